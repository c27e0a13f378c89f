#!/bin/sh
# tests/layout/deps.py must fail on what it is there to catch, so that a
# check that silently finds nothing cannot pass: two generated objects that
# call each other, and a call from a lower folder into a higher one.  A
# clean pair passes.
set -eu
: "${top_srcdir:?}"
deps="${PYTHON:-python3} $top_srcdir/tests/layout/deps.py"
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ddns-layout.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "selftest: $*" >&2; exit 1; }

# obj FOLDER NAME DEFINES CALLS: FOLDER/NAME.o with function DEFINES calling CALLS.
obj() {
	mkdir -p "$tmp/$1"
	printf 'void %s(void);\nvoid %s(void) { %s(); }\n' "$4" "$3" "$4" >"$tmp/$1/$2.c"
	$cc -c -o "$tmp/$1/prefix-$2.o" "$tmp/$1/$2.c"
}

# 1. A cycle of two files in one folder.
obj cyc ping ping pong
obj cyc pong pong ping
if out=$($deps cyc); then
	fail "a cycle passed"
fi
echo "$out" | grep -q '^cycle: cyc/ping.c <-> cyc/pong.c' || fail "no cycle reported: $out"

# 2. A call up the layers: low/ calls high/.
obj low l l h
obj high h h other
printf 'low\nhigh\n' >"$tmp/layers"
if out=$($deps --layers layers low high); then
	fail "an upward call passed"
fi
echo "$out" | grep -q '^layers: low/l.c calls up into high/h.c: h' || fail "no layer report: $out"

# 3. The same objects with the layers the right way round pass; a folder
#    missing from the layers does not.
printf 'high\nlow\n' >"$tmp/layers"
$deps --layers layers low high || fail "a clean graph failed"
printf 'high\n' >"$tmp/layers"
if $deps --layers layers low high >/dev/null; then
	fail "an undeclared folder passed"
fi
echo "selftest: deps.py catches cycles, upward calls and undeclared folders"
