/* Helpers shared by the section decoders (decode.c, segments.c, const_expr.c). */
#ifndef GATE_WASM_DECODE_H
#define GATE_WASM_DECODE_H

#include "leb128.h"
#include "module.h"

/* Each reads one item at r's cursor and reports failure through c. */
int gate__get_u8(struct gate__ctx *c, struct gate__reader *r, uint8_t *out);
int gate__get_u32(struct gate__ctx *c, struct gate__reader *r, uint32_t *out);
int gate__get_valtype(struct gate__ctx *c, struct gate__reader *r, uint8_t *out);
int gate__get_reftype(struct gate__ctx *c, struct gate__reader *r, uint8_t *out);
int gate__get_name(struct gate__ctx *c, struct gate__reader *r, struct gate__span *out);

/*
 * Reads a vector length and checks it, before anything is allocated for it,
 * against the limit (GATE_LIMIT, "too many <what>") and against the bytes
 * left in the region, at least min_size per entry (GATE_MALFORMED).
 */
int gate__get_count(struct gate__ctx *c, struct gate__reader *r, uint32_t limit,
		    const char *what, size_t min_size, uint32_t *out);

/*
 * Decodes and validates a constant expression of type `type` ending in
 * `end`; marks functions it names with ref.func as declared. *start gets the
 * offset of its first instruction.
 */
int gate__const_expr(struct gate__ctx *c, struct gate__reader *r, uint8_t type,
		     uint32_t *start);

/* segments.c: the element and data sections. */
int gate__decode_elems(struct gate__ctx *c, struct gate__reader *r);
int gate__decode_data(struct gate__ctx *c, struct gate__reader *r);

#endif
