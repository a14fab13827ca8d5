#!/usr/bin/env bash
# The whole test suite on a build with AddressSanitizer (and LeakSanitizer)
# and UBSan: the cmocka units through meson, then the pytest e2e suite
# against that build, so fusecheck, memfs, the shim and every helper they
# start run sanitized.  ASan and LeakSanitizer reports go to files under
# build-san/sanitizer-logs/ (a leak found when memfs exits inside a mount
# namespace has no terminal to print to: its exit status is not judged),
# and any report there fails the run.  UBSan (gcc's runtime ignores
# log_path here) prints to the process's stderr and halts it with status
# 1, which fails the test that ran it.
# Needs root, like scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-san
if [ ! -d "$build" ]; then
	CC=gcc meson setup "$build" -Db_sanitize=address,undefined \
		-Dbuildtype=debug -Db_lto=false >/dev/null
fi
ninja -C "$build" >/dev/null

logs=$PWD/$build/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
# No quarantine: ASan otherwise keeps freed memory resident, and the leak
# probe (LF-LEAK-PROBE) would rightly see memfs's RSS grow every cycle.
export ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=0:log_path=$logs/asan
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan
export FUSECHECK_BUILD=$PWD/$build

rc=0
meson test -C "$build" --print-errorlogs || rc=1
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e || rc=1

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
	echo "sanitize: reports from sanitized processes:"
	for f in $reports; do
		echo "=== $f"
		head -60 "$f"
	done
	rc=1
fi
[ "$rc" -eq 0 ] && echo "sanitize: no sanitizer reports"
exit "$rc"
