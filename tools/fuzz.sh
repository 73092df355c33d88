#!/usr/bin/env bash
# Runs the decode+validate fuzzer for SECONDS (default 600), single process,
# with a corpus seeded from the spec testsuite's binary modules.
#   tools/fuzz.sh [SECONDS]
# Corpus: .cache/fuzz/corpus; findings: .cache/fuzz/crash-*. Exit 1 on a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
bin=native/build/fuzz-validate
dir=.cache/fuzz
mkdir -p "$dir/corpus" "$dir/seeds"

# Seeds: the .wasm files wast2json produced for the spec runner, if present.
if [ -d .cache/spec ]; then
	find .cache/spec -name '*.wasm' -size -64k -exec cp -n -t "$dir/seeds" {} + 2>/dev/null || true
fi

log="$dir/fuzz.log"
set +e
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	-artifact_prefix="$dir/" -print_final_stats=1 \
	"$dir/corpus" "$dir/seeds" >"$log" 2>&1
rc=$?
set -e
grep -E '^(#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" | tail -n 3
if [ "$rc" -ne 0 ]; then
	tail -n 40 "$log"
	echo "fuzz: finding after $seconds s; see $log and $dir/crash-*" >&2
	exit 1
fi
echo "fuzz: $seconds s without a finding"
