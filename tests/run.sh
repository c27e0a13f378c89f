#!/bin/sh
# The whole test suite, as CI runs it: installs what the tests need, builds
# ddnsd with ASan/UBSan and -Werror in _build-check/, runs `make check` (unit,
# plugin and end-to-end tests), `make distcheck`, and the fuzzers briefly.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
etc/deps.sh --test
./autogen.sh >/dev/null 2>&1
# _build-check/, not the quick start's _build/: different flags, never mixed.
etc/build.sh _build-check --enable-sanitizers --enable-werror
cd _build-check
jobs=$(nproc)
# Show what failed: the logs of the failing tests below this folder.
show_failures() {
	for log in $(grep -l ':test-result: \(FAIL\|ERROR\)' $(find . -name '*.trs') 2>/dev/null | sed 's/\.trs$/.log/'); do
		echo "===== $log"; grep '^not ok' "$log" || true
		echo "----- its last lines:"; tail -n 80 "$log"
	done
}
if ! make -j"$jobs" check; then
	show_failures
	exit 1
fi
# distcheck's own test run is quiet, but not when it fails: its tree is
# left under ddnsd-*/ (read-only; the logs can still be read).
if ! make -j"$jobs" distcheck >distcheck.log 2>&1; then
	tail -n 30 distcheck.log
	(cd ddnsd-*/ 2>/dev/null && show_failures)
	exit 1
fi
echo "distcheck: passed"
if [ -x "$top/tests/fuzz/run.sh" ]; then
	FUZZ_SECONDS=${FUZZ_SECONDS:-60} "$top/tests/fuzz/run.sh"
fi
