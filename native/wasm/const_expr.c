/*
 * Constant expressions (spec 3.3.10): global initializers and segment
 * offsets and items. In WebAssembly 2.0 they are a single t.const, ref.null,
 * ref.func or global.get of an imported immutable global, then `end`; the
 * expression must leave exactly one value of the expected type.
 */
#include "decode.h"
#include "opcodes.h"

static int mismatch(struct gate__ctx *c, size_t off, uint8_t want, uint32_t n, uint8_t got)
{
	if (n == 0)
		return gate__fail(c, GATE_INVALID, off,
				  "type mismatch: expected %s, found nothing in constant "
				  "expression",
				  gate__valtype_name(want));
	if (n > 1)
		return gate__fail(c, GATE_INVALID, off,
				  "type mismatch: expected one %s, found %u values in constant "
				  "expression",
				  gate__valtype_name(want), n);
	return gate__fail(c, GATE_INVALID, off,
			  "type mismatch: expected %s, found %s in constant expression",
			  gate__valtype_name(want), gate__valtype_name(got));
}

/* Decodes one constant instruction at r's cursor; *got is the type pushed. */
static int const_instr(struct gate__ctx *c, struct gate__reader *r, uint8_t op, size_t off,
		       uint8_t *got)
{
	struct gate_module *m = c->m;
	uint8_t raw[16];
	int64_t s;
	uint32_t x;
	int e;

	switch (op) {
	case 0x41: /* i32.const */
		e = gate__leb_s(r, 32, &s);
		*got = GATE__I32;
		return e ? gate__fail_read(c, e, gate__off(r)) : 0;
	case 0x42: /* i64.const */
		e = gate__leb_s(r, 64, &s);
		*got = GATE__I64;
		return e ? gate__fail_read(c, e, gate__off(r)) : 0;
	case 0x43: /* f32.const */
		e = gate__read_bytes(r, raw, 4);
		*got = GATE__F32;
		return e ? gate__fail_read(c, e, gate__off(r)) : 0;
	case 0x44: /* f64.const */
		e = gate__read_bytes(r, raw, 8);
		*got = GATE__F64;
		return e ? gate__fail_read(c, e, gate__off(r)) : 0;
	case 0xfd: /* v128.const is 0xfd 12 */
		e = gate__read_u32(r, &x);
		if (e)
			return gate__fail_read(c, e, gate__off(r));
		if (x != 12) {
			if (x >= 256 || gate__ops_fd[x].cls == GATE__OPC_ILLEGAL)
				return gate__fail(c, GATE_MALFORMED, off, "illegal opcode 0xfd %u",
						  x);
			break;
		}
		e = gate__read_bytes(r, raw, 16);
		*got = GATE__V128;
		return e ? gate__fail_read(c, e, gate__off(r)) : 0;
	case 0xd0: /* ref.null t */
		*got = 0;
		return gate__get_reftype(c, r, got);
	case 0xd2: /* ref.func x */
		e = gate__get_u32(c, r, &x);
		if (e)
			return e;
		if (x >= m->nfuncs)
			return gate__fail(c, GATE_INVALID, off, "unknown function %u", x);
		gate__declare(m, x);
		*got = GATE__FUNCREF;
		return 0;
	case 0x23: /* global.get x: only imported globals are visible */
		e = gate__get_u32(c, r, &x);
		if (e)
			return e;
		if (x >= m->nglobal_imports)
			return gate__fail(c, GATE_INVALID, off,
					  "unknown global %u: constant expressions may only "
					  "read imported globals",
					  x);
		if (m->globals[x].mut)
			return gate__fail(c, GATE_INVALID, off,
					  "constant expression required: global %u is mutable", x);
		*got = m->globals[x].type;
		return 0;
	default:
		if (gate__ops[op].cls == GATE__OPC_ILLEGAL)
			return gate__fail(c, GATE_MALFORMED, off, "illegal opcode 0x%02x", op);
	}
	return gate__fail(c, GATE_INVALID, off,
			  "constant expression required: opcode 0x%02x is not constant", op);
}

int gate__const_expr(struct gate__ctx *c, struct gate__reader *r, uint8_t type,
		     uint32_t *start)
{
	uint32_t n = 0;
	uint8_t last = 0;

	*start = (uint32_t)gate__off(r);
	for (;;) {
		size_t off = gate__off(r);
		uint8_t op, got;
		int ret = gate__get_u8(c, r, &op);

		if (ret)
			return ret;
		if (op == 0x0b) {
			if (n != 1 || last != type)
				return mismatch(c, off, type, n, last);
			return 0;
		}
		ret = const_instr(c, r, op, off, &got);
		if (ret)
			return ret;
		/* n only counts; it cannot wrap before the bytes run out */
		n++;
		last = got;
	}
}
