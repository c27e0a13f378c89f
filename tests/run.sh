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
if ! make -j"$jobs" check; then
	# Show what failed: the logs of the failing tests.
	for log in $(grep -l ':test-result: \(FAIL\|ERROR\)' $(find . -name '*.trs') 2>/dev/null | sed 's/\.trs$/.log/'); do
		echo "===== $log"; grep '^not ok' "$log" || true
		echo "----- its last lines:"; tail -n 80 "$log"
	done
	exit 1
fi
make -j"$jobs" distcheck >/dev/null
echo "distcheck: passed"
if [ -x "$top/tests/fuzz/run.sh" ]; then
	FUZZ_SECONDS=${FUZZ_SECONDS:-60} "$top/tests/fuzz/run.sh"
fi
