/*
 * search: Boyer-Moore-Horspool substring search over 1 MiB of four-letter
 * text for patterns cut from the text itself. Byte loads, a skip table and
 * data-dependent branches.
 */
#include "kernel.h"

#define TEXT_LEN (1u << 20)

static u8 text[TEXT_LEN];

static u32 count_matches(const u8 *hay, u32 hay_len, const u8 *pat, u32 pat_len) {
	u32 skip[256];
	for (u32 i = 0; i < 256; i++)
		skip[i] = pat_len;
	for (u32 i = 0; i + 1 < pat_len; i++)
		skip[pat[i]] = pat_len - 1 - i;
	u32 count = 0;
	u32 pos = 0;
	while (pos + pat_len <= hay_len) {
		u8 last = hay[pos + pat_len - 1];
		if (last == pat[pat_len - 1]) {
			u32 k = 0;
			while (k + 1 < pat_len && hay[pos + k] == pat[k])
				k++;
			if (k + 1 >= pat_len)
				count++;
		}
		pos += skip[last];
	}
	return count;
}

u32 run(u32 n) {
	static const u8 alphabet[4] = {'a', 'c', 'g', 't'};
	u32 state = 0x1f123bb5u;
	for (u32 i = 0; i < TEXT_LEN; i++)
		text[i] = alphabet[xorshift32(&state) >> 30];
	u32 h = 2166136261u;
	for (u32 r = 0; r < n; r++) {
		u32 pat_len = 6 + xorshift32(&state) % 12;
		u32 at = xorshift32(&state) % (TEXT_LEN - pat_len);
		h = mix32(h, count_matches(text, TEXT_LEN, text + at, pat_len));
	}
	return h;
}
