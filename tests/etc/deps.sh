#!/bin/sh
# etc/deps.sh, the README's first step, is read by /bin/sh (dash) on a fresh
# machine, not by the shell that runs the rest of the tests: check that dash
# parses it and that --help works.  (An apostrophe inside its single-quoted
# package table once broke it for every newcomer while make check was green.)
: "${top_srcdir:?}"
rc=0
if ! out=$(sh -n "$top_srcdir/etc/deps.sh" 2>&1); then
	echo "not ok - /bin/sh parses etc/deps.sh: $out"
	rc=1
else
	echo "ok - /bin/sh parses etc/deps.sh"
fi
if sh "$top_srcdir/etc/deps.sh" --help 2>&1 | grep -q '^usage: etc/deps.sh'; then
	echo "ok - etc/deps.sh --help"
else
	echo "not ok - etc/deps.sh --help"
	rc=1
fi
exit $rc
