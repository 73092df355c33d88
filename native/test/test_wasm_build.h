/*
 * A tiny WebAssembly binary builder for the decoder's unit tests: modules
 * are assembled in memory byte by byte, so each test shows exactly the bytes
 * it feeds the decoder.
 *
 *	struct wb m = wb_module();
 *	wb_section(&m, 1, B(0x01, 0x60, 0x00, 0x00));
 */
#ifndef GATE_TEST_WASM_BUILD_H
#define GATE_TEST_WASM_BUILD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../libgate.h"

struct wb {
	uint8_t *p;
	size_t n, cap;
};

/* A byte-array literal and its length, for wb_put and wb_section. */
#define B(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

static inline void wb_put(struct wb *w, const uint8_t *b, size_t n)
{
	if (w->n + n > w->cap) {
		size_t cap = w->cap ? w->cap : 64;

		while (cap < w->n + n)
			cap *= 2;
		w->p = realloc(w->p, cap);
		if (w->p == NULL)
			abort();
		w->cap = cap;
	}
	if (n)
		memcpy(w->p + w->n, b, n);
	w->n += n;
}

static inline void wb_byte(struct wb *w, uint8_t b)
{
	wb_put(w, &b, 1);
}

static inline void wb_fill(struct wb *w, uint8_t b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		wb_byte(w, b);
}

static inline void wb_u32(struct wb *w, uint32_t v)
{
	do {
		uint8_t b = v & 0x7f;

		v >>= 7;
		wb_byte(w, (uint8_t)(b | (v ? 0x80 : 0)));
	} while (v);
}

static inline struct wb wb_module(void)
{
	struct wb w = { 0 };

	wb_put(&w, B(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00));
	return w;
}

static inline void wb_section(struct wb *w, uint8_t id, const uint8_t *b, size_t n)
{
	wb_byte(w, id);
	wb_u32(w, (uint32_t)n);
	wb_put(w, b, n);
}

/* Appends section id with the contents of s, and frees s. */
static inline void wb_section_wb(struct wb *w, uint8_t id, struct wb *s)
{
	wb_section(w, id, s->p, s->n);
	free(s->p);
	*s = (struct wb){ 0 };
}

/*
 * The common shape: type 0 = [] -> [] (or the given type section), one
 * function of type 0 with the given body (locals + code, without the size).
 */
static inline struct wb wb_func_module(const uint8_t *body, size_t n)
{
	struct wb m = wb_module(), code = { 0 };

	wb_section(&m, 1, B(0x01, 0x60, 0x00, 0x00));
	wb_section(&m, 3, B(0x01, 0x00));
	wb_byte(&code, 1);
	wb_u32(&code, (uint32_t)n);
	wb_put(&code, body, n);
	wb_section_wb(&m, 10, &code);
	return m;
}

/* Runs gate_module_new with limits (NULL: defaults) and returns the status;
 * err gets the message. */
static inline int wb_check(const struct wb *w, const gate_limits *lim, char *err, size_t len)
{
	gate_module *m = NULL;
	int st = gate_module_new(w->p, w->n, lim, &m, err, len);

	gate_module_free(m);
	return st;
}

static inline void wb_free(struct wb *w)
{
	free(w->p);
	*w = (struct wb){ 0 };
}

/*
 * Checks (in a TEST) that module w, decoded under lim, gives status and a
 * message containing needle (if not NULL); frees w.
 */
#define WB_EXPECT_LIM(w, lim, status, needle)                                          \
	do {                                                                           \
		char err_[512] = "";                                                   \
		int st_ = wb_check(&(w), lim, err_, sizeof(err_));                     \
		const char *needle_ = (needle);                                        \
		wb_free(&(w));                                                         \
		if (st_ != (status) || (needle_ && !strstr(err_, needle_)))            \
			fprintf(stderr, "  got %s: %s\n", gate_status_name(st_), err_); \
		CHECK_EQ(st_, status);                                                 \
		CHECK(needle_ == NULL || strstr(err_, needle_) != NULL);               \
	} while (0)

#define WB_EXPECT(w, status, needle) WB_EXPECT_LIM(w, NULL, status, needle)

#endif
