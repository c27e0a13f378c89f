#!/bin/sh
# Build and run every libFuzzer harness tests/fuzz/fuzz_<name>.c that has a
# seed corpus folder tests/fuzz/corpus/<name>/, for FUZZ_SECONDS each
# (default 60), with clang -fsanitize=fuzzer,address,undefined.
#
# A harness names what it links in its header comment, one line each:
#   fuzz-sources:  source files, relative to the top of the tree
#   fuzz-includes: more include folders (sdk/ and daemon/*/ always are)
#   fuzz-pkgs:     pkg-config packages
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

command -v "$cc" >/dev/null || { echo "run.sh: $cc not found (Debian package clang)" >&2; exit 1; }

# field FILE NAME: the value of "NAME:" comment lines in FILE.
field() {
	sed -n "s/^[/ *]*$2:[ ]*//p" "$1" | tr '\n' ' '
}

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
	srcs= incs="-I$top/sdk"
	for d in "$top"/daemon/*/; do incs="$incs -I$d"; done
	for f in $(field "$src" fuzz-sources); do srcs="$srcs $top/$f"; done
	for d in $(field "$src" fuzz-includes); do incs="$incs -I$top/$d"; done
	pkgs=$(field "$src" fuzz-pkgs)
	pkg_cflags= pkg_libs=
	if [ -n "$pkgs" ]; then
		pkg_cflags=$(pkg-config --cflags $pkgs)
		pkg_libs=$(pkg-config --libs $pkgs)
	fi
	bin=$out/fuzz_$name
	echo "run.sh: building $name"
	# shellcheck disable=SC2086
	if ! "$cc" -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
		$incs $pkg_cflags -o "$bin" "$src" $srcs $pkg_libs; then
		echo "run.sh: $name: build FAILED" >&2
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
