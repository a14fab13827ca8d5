#!/usr/bin/env bash
# Build the libFuzzer targets (fuzz/) with clang, ASan and UBSan into
# ./build-fuzz and run each for a bounded time; fail on any crash, leak,
# out-of-memory or timeout.  usage: scripts/fuzz.sh [SECONDS [TARGET...]]
# (default 60 s each, targets proto scn evlog).  FUZZ_KEEP_GOING=1 runs in
# libFuzzer's fork mode and collects every crash instead of stopping at
# the first.  Crash inputs land in build-fuzz/artifacts/; reproduce one
# with build-fuzz/fuzz/fuzz_TARGET FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(proto scn evlog)
build=build-fuzz

if [ ! -d "$build" ]; then
	# no LTO: clang's needs a linker plugin Debian's ld lacks
	CC=clang meson setup "$build" -Dfuzz=true -Db_lto=false \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$build" "${targets[@]/#/fuzz/fuzz_}" >"$build/ninja.log" || {
	cat "$build/ninja.log"
	exit 1
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p "$build/artifacts"
extra=()
[ "${FUZZ_KEEP_GOING:-0}" = 1 ] &&
	extra=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)

passed=0
failed=0
for t in "${targets[@]}"; do
	# new inputs go to a scratch corpus; the seeds in git stay as they are
	work=$(mktemp -d)
	log="$build/artifacts/$t.log"
	echo "fuzz: $t for ${secs}s"
	rc=0
	"$build/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$t-" "${extra[@]}" \
		"$work" "fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
		grep -o '[0-9]*$' | tail -1 || true)
	[ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tail -1 |
		tr -d '#' || true)
	crashes=$(grep -c '^==[0-9]*== *ERROR\|^SUMMARY: ' "$log" || true)
	if [ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ]; then
		echo "fuzz: $t ok, ${runs:-?} executions"
		passed=$((passed + 1))
	else
		echo "fuzz: $t FAILED (exit $rc), ${runs:-?} executions:"
		grep -A12 '^==[0-9]*== *ERROR\|runtime error' "$log" | head -40
		ls "$build/artifacts" | grep "^$t-" || true
		failed=$((failed + 1))
	fi
	rm -rf "$work"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
