#!/usr/bin/env bash
# Runs every test stage of `make test`, keeps going after a failing stage, and
# ends with one line of its own: "N passed, N failed", summing C unit tests,
# checks, Deno tests (steps included) and spec assertions. Exits 1 on any
# failure. Logs go to .cache/test-logs/.
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1
export PATH="$PWD/.tools/bin:$PATH"
DENO=${DENO:-deno}
logs=.cache/test-logs
mkdir -p "$logs"

passed=0
failed=0

# stage NAME COMMAND...: runs a command whose output ends with "N passed, N failed".
stage() {
	local name=$1
	shift
	echo "== $name"
	"$@" 2>&1 | tee "$logs/$name.log"
	local rc=${PIPESTATUS[0]}
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/$name.log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "!! $name: no summary line (exit $rc); counted as 1 failure"
		failed=$((failed + 1))
		return
	fi
	local p f
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!! $name: exit $rc with no failed test; counted as 1 failure"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

# check NAME COMMAND...: a single pass/fail check.
check() {
	local name=$1
	shift
	echo "== $name"
	if "$@" >"$logs/$name.log" 2>&1; then
		echo "ok   $name"
		passed=$((passed + 1))
	else
		cat "$logs/$name.log"
		echo "FAIL $name"
		failed=$((failed + 1))
	fi
}

# Deno's summary ("ok | 10 passed (7 steps) | 0 failed") becomes our line.
deno_tests() {
	local out rc
	$DENO test --allow-ffi --allow-read --allow-env --allow-run --allow-write=.cache \
		--trace-leaks 2>&1 | tee "$logs/deno-raw.log"
	rc=${PIPESTATUS[0]}
	out=$(grep -E '^(ok|FAILED) \| ' "$logs/deno-raw.log" | tail -n 1)
	[ -n "$out" ] || return "$rc"
	local p f ps fs
	p=$(echo "$out" | sed -nE 's/.* ([0-9]+) passed.*/\1/p')
	ps=$(echo "$out" | sed -nE 's/.* passed \(([0-9]+) steps?\).*/\1/p')
	f=$(echo "$out" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')
	fs=$(echo "$out" | sed -nE 's/.* failed \(([0-9]+) steps?\).*/\1/p')
	echo "$((p + ${ps:-0})) passed, $((f + ${fs:-0})) failed"
	return "$rc"
}

check build make --no-print-directory all native/build/unit-tests
stage c-unit native/build/unit-tests
check errors-gen-fresh $DENO run --allow-read tools/gen_errors.ts --check
check fmt $DENO fmt --check
check lint $DENO lint
check typecheck $DENO check mod.ts cli.ts server.ts ffi/ cli/ tests/ tools/ bench/
stage deno deno_tests
if [ -f tests/spec/run.ts ]; then
	stage spec $DENO task -q spec
fi
if [ -f native/fuzz/fuzz_validate.c ] && [ "${GATE_SKIP_FUZZ:-}" != 1 ]; then
	check fuzz-smoke make --no-print-directory fuzz-smoke
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
