/*
 * echo: copies the caller's bytes back to the caller through the origin
 * service (for `gate call`, stdin to stdout), then exits when the input ends.
 *
 * Flow control: the program only grants the origin as many bytes as it may
 * send back (its send credit), so a received chunk can always be written at
 * once and nothing needs to be queued.
 */
#include <gate.h>

static char recv_buf[GATE_MAX_RECV_SIZE] __attribute__((aligned(8)));
static char send_buf[GATE_MAX_SEND_SIZE] __attribute__((aligned(8)));

int main(void)
{
	struct gate_stream s;
	int64_t granted = 0; /* receive capacity granted and not yet used */
	int err = gate_origin_accept(&s, recv_buf);

	if (err != 0) {
		gate_debug_str("echo: cannot accept the origin: ");
		gate_debug_int(err);
		gate_debug_str("\n");
		return 1;
	}
	for (;;) {
		const char *data = NULL;
		size_t size = 0;
		int32_t note = 0;
		int event;

		if (!s.input_ended && s.credit > granted && s.credit - granted >= 4096) {
			int64_t more = s.credit - granted;

			if (more > INT32_MAX)
				more = INT32_MAX;
			gate_stream_grant(&s, (int32_t)more);
			granted += more;
		}
		event = gate_stream_next(&s, recv_buf, &data, &size, &note);
		switch (event) {
		case GATE_STREAM_DATA:
			granted -= (int64_t)size;
			/* size <= granted <= credit: it goes out whole. */
			if (gate_stream_write(&s, data, size, send_buf) != size)
				return 2;
			break;
		case GATE_STREAM_EOF:
			gate_stream_write(&s, NULL, 0, send_buf); /* end of our output */
			return 0;
		case GATE_STREAM_CLOSED: /* the caller reads no more */
			return 0;
		case GATE_STREAM_CREDIT:
		case GATE_STREAM_NOTE:
		case GATE_STREAM_OTHER:
			break;
		default:
			gate_debug_str("echo: bad packet\n");
			return 3;
		}
	}
}
