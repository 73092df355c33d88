# Gate for Deno: build and test entry points. See README.md and docs/layout.md.
#
#   make          build native/build/libgate.so and native/build/gate-executor (and the
#                 TEST-ONLY native/build/gate-executor-probe, see docs/sandbox.md)
#   make run      build and run the example program (see README.md)
#   make examples build the example programs in examples/
#   make test     set up, build, run every test; last line "N passed, N failed"
#   make asan     build and run the C unit tests with ASan + UBSan
#   make fuzz     run the decoder/validator fuzzer (FUZZ_SECONDS, default 600)
#   make gen      regenerate ffi/errors.gen.ts and ffi/traps.gen.ts from the .def tables
#   make clean    remove build outputs

SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

CC := gcc
FUZZ_CC := clang
BUILD := native/build

WARN := -Wall -Wextra -Werror -Wimplicit-fallthrough
CFLAGS_COMMON := -std=c11 $(WARN) -D_GNU_SOURCE -fvisibility=hidden -fstack-protector-strong \
	-fPIC -g -MMD -MP
CFLAGS := -O2 $(CFLAGS_COMMON)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Deno: the one on PATH, else the pinned copy that tools/setup.sh puts in .tools/.
DENO := $(shell command -v deno 2>/dev/null || echo $(CURDIR)/.tools/bin/deno)
export PATH := $(CURDIR)/.tools/bin:$(PATH)

LIB_SRCS := $(wildcard native/lib/*.c native/wasm/*.c native/x64/*.c native/compile/*.c \
	native/snapshot/*.c)
# The runtime runs compiled code: instance processes and unit tests only, never libgate.so.
RT_SRCS := $(wildcard native/rt/*.c native/host/*.c)
TEST_SRCS := $(wildcard native/test/*.c)
EXEC_SRCS := $(filter-out native/executor/probe.c,$(wildcard native/executor/*.c))
# The sandbox probe: TEST-ONLY, a separate binary built with -DGATE_PROBE.
PROBE_SRCS := $(EXEC_SRCS) native/executor/probe.c
FUZZ_SRCS := $(wildcard native/fuzz/*.c)

obj = $(patsubst native/%.c,$(BUILD)/$(1)/%.o,$(2))

LIB_OBJS := $(call obj,rel,$(LIB_SRCS))
RT_OBJS := $(call obj,rel,$(RT_SRCS))
TEST_OBJS := $(call obj,rel,$(TEST_SRCS))
EXEC_OBJS := $(call obj,rel,$(EXEC_SRCS))
PROBE_OBJS := $(call obj,probe,$(PROBE_SRCS))
# The unit tests run the seccomp program as data.
SECCOMP_SRCS := native/executor/seccomp.c
ASAN_OBJS := $(call obj,asan,$(LIB_SRCS) $(RT_SRCS) $(TEST_SRCS) $(SECCOMP_SRCS))

.PHONY: all run test asan fuzz fuzz-smoke gen clean setup unit-test examples

all: $(BUILD)/libgate.so $(BUILD)/gate-executor $(BUILD)/gate-executor-probe

$(BUILD)/rel/%.o: native/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/probe/%.o: native/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DGATE_PROBE -c $< -o $@

$(BUILD)/asan/%.o: native/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) -O1 $(CFLAGS_COMMON) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/libgate.so: $(LIB_OBJS)
	$(CC) -shared -Wl,-z,relro,-z,now,-z,noexecstack,-z,nodelete -o $@ $^

# The executor's instance processes run images with the runtime (native/rt),
# which uses some of libgate's objects: linked from an archive, so only those.
$(BUILD)/libgate.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/gate-executor: $(EXEC_OBJS) $(RT_OBJS) $(BUILD)/libgate.a
	$(CC) -Wl,-z,relro,-z,now,-z,noexecstack -o $@ $^ -lm

# TEST-ONLY: a real sandbox plus the PROBE request (native/executor/probe.c).
$(BUILD)/gate-executor-probe: $(PROBE_OBJS) $(RT_OBJS) $(BUILD)/libgate.a
	@echo "warning: building the TEST-ONLY sandbox probe $@: never ship or install it" >&2
	$(CC) -Wl,-z,relro,-z,now,-z,noexecstack -o $@ $^ -lm

# Unit tests link the objects directly so they can reach internal functions.
$(BUILD)/unit-tests: $(LIB_OBJS) $(RT_OBJS) $(TEST_OBJS) $(call obj,rel,$(SECCOMP_SRCS))
	$(CC) -o $@ $^ -lm

$(BUILD)/unit-tests-asan: $(ASAN_OBJS)
	$(FUZZ_CC) $(SAN_FLAGS) -o $@ $^ -lm

$(BUILD)/fuzz-validate: $(FUZZ_SRCS) $(LIB_SRCS)
	@mkdir -p $(@D)
	$(FUZZ_CC) -O1 $(filter-out -MMD -MP,$(CFLAGS_COMMON)) $(SAN_FLAGS) -fsanitize=fuzzer \
		-o $@ $^ -lm

setup:
	@tools/setup.sh

unit-test: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

asan: $(BUILD)/unit-tests-asan
	$(BUILD)/unit-tests-asan

FUZZ_SECONDS ?= 600
fuzz: $(BUILD)/fuzz-validate
	tools/fuzz.sh $(FUZZ_SECONDS)

fuzz-smoke: $(BUILD)/fuzz-validate
	tools/fuzz.sh 60

gen:
	$(DENO) run --allow-read=native/errors.def,native/rt/traps.def \
		--allow-write=ffi/errors.gen.ts,ffi/traps.gen.ts tools/gen_errors.ts

# Example programs: C (include/gate.h, WASI) with Debian's clang and wasi-libc,
# WebAssembly text with wat2wasm. Linking with --strip-debug drops libc's DWARF but
# keeps the "name" section, so backtraces name the C functions.
WASI_CC := clang
WASI_CFLAGS := --target=wasm32-wasi -std=c11 -O2 $(WARN) -Iinclude
WASI_LDFLAGS := -Wl,--strip-debug
EXAMPLES_C := $(patsubst examples/%.c,$(BUILD)/examples/%.wasm,$(wildcard examples/*.c))
EXAMPLES_WAT := $(patsubst examples/%.wat,$(BUILD)/examples/%.wasm,$(wildcard examples/*.wat))
EXAMPLES := $(EXAMPLES_C) $(EXAMPLES_WAT)

examples: $(EXAMPLES)

$(BUILD)/examples/%.wasm: examples/%.c include/gate.h
	@mkdir -p $(@D)
	$(WASI_CC) $(WASI_CFLAGS) $(WASI_LDFLAGS) $< -o $@

$(BUILD)/examples/%.wasm: examples/%.wat
	@mkdir -p $(@D)
	wat2wasm --debug-names $< -o $@

run: setup all examples
	$(DENO) task -q gate inspect $(BUILD)/examples/hello.wasm
	$(DENO) task -q gate call $(BUILD)/examples/hello.wasm
	printf 'echo me\n' | $(DENO) task -q gate call $(BUILD)/examples/echo.wasm
	$(DENO) task -q gate call $(BUILD)/examples/fib.wasm fib 90
	$(DENO) task -q gate call $(BUILD)/examples/fib.wasm divide 1 0 || echo "(divide 1 0 traps on purpose: gate call exits 1)"

test: setup
	@tools/test.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
