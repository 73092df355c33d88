/* gate_module_info: the JSON description of a module (native/wasm/info_json.c). */
#include <string.h>

#include "test.h"
#include "test_wasm_build.h"

static const char expected[] =
	"{\"imports\":["
	"{\"module\":\"env\",\"name\":\"f\",\"kind\":\"function\","
	"\"type\":{\"params\":[\"i32\"],\"results\":[\"i64\"]}},"
	"{\"module\":\"m\",\"name\":\"mem\",\"kind\":\"memory\","
	"\"type\":{\"minimum\":1,\"maximum\":2}},"
	"{\"module\":\"m\",\"name\":\"t\",\"kind\":\"table\","
	"\"type\":{\"element\":\"funcref\",\"minimum\":0}},"
	"{\"module\":\"m\",\"name\":\"g\",\"kind\":\"global\","
	"\"type\":{\"value\":\"i32\",\"mutable\":false}}],"
	"\"exports\":["
	"{\"name\":\"main\",\"kind\":\"function\",\"index\":1,"
	"\"type\":{\"params\":[],\"results\":[]}},"
	"{\"name\":\"a\\\"b\\\\\",\"kind\":\"global\",\"index\":1,"
	"\"type\":{\"value\":\"v128\",\"mutable\":true}}],"
	"\"functions\":2,"
	"\"memories\":[{\"minimum\":1,\"maximum\":2}],"
	"\"tables\":[{\"element\":\"funcref\",\"minimum\":0},"
	"{\"element\":\"externref\",\"minimum\":1,\"maximum\":10}],"
	"\"globals\":[{\"value\":\"i32\",\"mutable\":false},{\"value\":\"v128\",\"mutable\":true}],"
	"\"start\":1,"
	"\"customSections\":[\"name\",\"producers\"],"
	"\"functionNames\":[[0,\"x\\u0001\"],[1,\"main\"]]}";

static struct wb info_module(void)
{
	struct wb w = wb_module();

	wb_section(&w, 1, B(0x02, 0x60, 0x01, 0x7f, 0x01, 0x7e, 0x60, 0x00, 0x00));
	wb_section(&w, 2, B(0x04, 0x03, 'e', 'n', 'v', 0x01, 'f', 0x00, 0x00,        /* func */
			    0x01, 'm', 0x03, 'm', 'e', 'm', 0x02, 0x01, 0x01, 0x02, /* memory */
			    0x01, 'm', 0x01, 't', 0x01, 0x70, 0x00, 0x00,           /* table */
			    0x01, 'm', 0x01, 'g', 0x03, 0x7f, 0x00));               /* global */
	wb_section(&w, 3, B(0x01, 0x01));
	wb_section(&w, 4, B(0x01, 0x6f, 0x01, 0x01, 0x0a));
	wb_section(&w, 6, B(0x01, 0x7b, 0x01, 0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			    0, 0, 0x0b));
	wb_section(&w, 7, B(0x02, 0x04, 'm', 'a', 'i', 'n', 0x00, 0x01, 0x04, 'a', '"', 'b', '\\',
			    0x03, 0x01));
	wb_section(&w, 8, B(0x01));
	wb_section(&w, 10, B(0x01, 0x02, 0x00, 0x0b));
	wb_section(&w, 0, B(0x04, 'n', 'a', 'm', 'e', 0x00, 0x02, 0x01, 'M', /* module name */
			    0x01, 0x0b, 0x02, 0x00, 0x02, 'x', 0x01, 0x01, 0x04, 'm', 'a', 'i',
			    'n'));
	wb_section(&w, 0, B(0x09, 'p', 'r', 'o', 'd', 'u', 'c', 'e', 'r', 's'));
	return w;
}

TEST(module_info_describes_interface)
{
	struct wb w = info_module();
	gate_module *m = NULL;
	char err[256], json[2048];
	int64_t n;

	CHECK_EQ(gate_module_new(w.p, w.n, NULL, &m, err, sizeof(err)), GATE_OK);
	n = gate_module_info(m, (uint8_t *)json, sizeof(json));
	CHECK_EQ(n, (int64_t)strlen(expected));
	json[n] = '\0';
	if (strcmp(json, expected) != 0)
		fprintf(stderr, "  got  %s\n  want %s\n", json, expected);
	CHECK(strcmp(json, expected) == 0);
	gate_module_free(m);
	wb_free(&w);
}

TEST(module_info_reports_full_length_to_small_buffers)
{
	struct wb w = info_module();
	gate_module *m = NULL;
	char err[256];
	uint8_t small[17];

	CHECK_EQ(gate_module_new(w.p, w.n, NULL, &m, err, sizeof(err)), GATE_OK);
	memset(small, 0xee, sizeof(small));
	CHECK_EQ(gate_module_info(m, small, 16), (int64_t)strlen(expected));
	CHECK(memcmp(small, expected, 16) == 0);
	CHECK_EQ(small[16], 0xee);
	CHECK_EQ(gate_module_info(m, NULL, 0), (int64_t)strlen(expected));
	CHECK_EQ(gate_module_info(NULL, small, 16), -1);
	gate_module_free(m);
	wb_free(&w);
}

TEST(module_info_minimal_module)
{
	struct wb w = wb_module();
	gate_module *m = NULL;
	char err[256], json[512];
	int64_t n;
	static const char want[] = "{\"imports\":[],\"exports\":[],\"functions\":0,\"memories\":[],"
				   "\"tables\":[],\"globals\":[],\"start\":null,"
				   "\"customSections\":[],\"functionNames\":[]}";

	CHECK_EQ(gate_module_new(w.p, w.n, NULL, &m, err, sizeof(err)), GATE_OK);
	n = gate_module_info(m, (uint8_t *)json, sizeof(json) - 1);
	CHECK_EQ(n, (int64_t)strlen(want));
	json[n] = '\0';
	CHECK(strcmp(json, want) == 0);
	gate_module_free(m);
	wb_free(&w);
}

TEST(module_new_rejects_bad_arguments_and_keeps_no_pointer)
{
	struct wb w = info_module();
	gate_module *m = NULL;
	char err[256];
	uint8_t json[2048];
	int64_t a, b;

	CHECK_EQ(gate_module_new(NULL, 4, NULL, &m, err, sizeof(err)), GATE_INVALID_ARGUMENT);
	CHECK_EQ(gate_module_new(w.p, w.n, NULL, NULL, err, sizeof(err)), GATE_INVALID_ARGUMENT);
	CHECK_EQ(gate_module_new(w.p, w.n, NULL, &m, NULL, 0), GATE_OK);
	a = gate_module_info(m, json, sizeof(json));
	/* the module owns a copy: wiping the caller's bytes changes nothing */
	memset(w.p, 0, w.n);
	b = gate_module_info(m, json, sizeof(json));
	CHECK_EQ(a, b);
	CHECK(memmem(json, (size_t)b, "\"main\"", 6) != NULL);
	gate_module_free(m);
	gate_module_free(NULL);
	wb_free(&w);
}

TEST(module_describe_matches_module_info_without_a_handle)
{
	struct wb w = info_module();
	char err[256], json[2048];
	uint8_t small[8];
	int64_t n;

	n = gate_module_describe(w.p, w.n, NULL, (uint8_t *)json, sizeof(json), err, sizeof(err));
	CHECK_EQ(n, (int64_t)strlen(expected));
	json[n] = '\0';
	CHECK(strcmp(json, expected) == 0);
	/* A small buffer gets a prefix and the full length. */
	CHECK_EQ(gate_module_describe(w.p, w.n, NULL, small, sizeof(small), err, sizeof(err)), n);
	CHECK(memcmp(small, expected, sizeof(small)) == 0);
	wb_free(&w);
}

TEST(module_describe_returns_negated_status_and_message)
{
	static const uint8_t bad[] = { 0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00 };
	char err[256] = "";
	uint8_t json[64];
	gate_limits lim;

	CHECK_EQ(gate_module_describe(bad, sizeof(bad), NULL, json, sizeof(json), err, sizeof(err)),
		 -GATE_MALFORMED);
	CHECK(strstr(err, "offset") != NULL);
	gate_limits_default(&lim);
	lim.module_size = 4;
	CHECK_EQ(gate_module_describe(bad, sizeof(bad), &lim, json, sizeof(json), err, sizeof(err)),
		 -GATE_LIMIT);
}
