#!/bin/sh
# Build (`make fuzz`, see tests/fuzz/Makefile.inc) and run every libFuzzer
# harness tests/fuzz/fuzz_<name>.c that has a seed corpus folder
# tests/fuzz/corpus/<name>/, for FUZZ_SECONDS each (default 60).
#
# It builds in a configured build folder: FUZZ_BUILD, else the current
# folder when it holds ddnsd's Makefile (tests/run.sh calls this from
# _build), else _build at the top of the tree.  FUZZ_CC picks the clang.
# New inputs go to a scratch corpus (the seed folder is only read); a crash
# leaves its input in $FUZZ_OUT (default: a temporary folder, kept then) and
# makes this script exit 1.
#
# Usage: tests/fuzz/run.sh [harness-name...]     (FUZZ_SECONDS=10 to shorten)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-clang}
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/ddns-fuzz.XXXXXX")}
mkdir -p "$out"

if [ -n "${FUZZ_BUILD:-}" ]; then
	build=$FUZZ_BUILD
elif grep -q '^FUZZ_HARNESSES' Makefile 2>/dev/null; then
	build=$PWD
else
	build=$top/_build
fi
[ -f "$build/Makefile" ] || { echo "run.sh: no configured build in $build (set FUZZ_BUILD)" >&2; exit 1; }
command -v "$cc" >/dev/null || { echo "run.sh: $cc not found (Debian package clang)" >&2; exit 1; }

failed=0
ran=0
for src in "$here"/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	seeds=$here/corpus/$name
	if [ ! -d "$seeds" ]; then
		echo "run.sh: $name: no seed corpus folder $seeds: skipped" >&2
		continue
	fi
	bin=$build/tests/fuzz/fuzz_$name
	echo "run.sh: building $name"
	# Always afresh: the rule knows the sources, not the headers they include.
	rm -f "$bin"
	if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MAKE:-make}" -s -C "$build" \
		FUZZ_CC="$cc" "tests/fuzz/fuzz_$name" >"$out/$name.build.log" 2>&1; then
		echo "run.sh: $name: build FAILED" >&2
		tail -n 40 "$out/$name.build.log" >&2
		failed=1
		continue
	fi
	work=$out/corpus_$name
	mkdir -p "$work"
	echo "run.sh: fuzzing $name for ${seconds}s"
	ran=$((ran + 1))
	if ! ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/${name}-" -print_final_stats=1 "$work" "$seeds" \
		>"$out/$name.log" 2>&1; then
		echo "run.sh: $name FAILED; log and crash input in $out" >&2
		tail -n 40 "$out/$name.log" >&2
		failed=1
	else
		grep -E '^stat::number_of_executed_units|^Done' "$out/$name.log" || true
	fi
done

[ "$ran" -gt 0 ] || { echo "run.sh: no harness ran" >&2; exit 1; }
if [ "$failed" = 0 ] && [ -z "${FUZZ_OUT:-}" ]; then
	rm -rf "$out"
fi
exit "$failed"
