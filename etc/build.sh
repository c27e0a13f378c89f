#!/bin/sh
# etc/build.sh DIR [CONFIGURE-FLAG...]: builds ddnsd out of tree in DIR (under
# the source tree) with exactly these configure flags.  A DIR configured with
# other flags is emptied first: objects built with and without the sanitizers
# must never be mixed (a plain plugin loaded by an ASan ddnsd fails with "ASan
# runtime does not come first").  The README's two commands each have their own
# DIR, so either can run first, and each can run again.
set -eu
[ $# -ge 1 ] || { echo "usage: etc/build.sh DIR [CONFIGURE-FLAG...]" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
cd "$top"
if [ -f config.status ]; then
	echo "build: the source tree itself is configured (./configure was run in $top);" >&2
	echo "build: run 'make distclean' there first, then builds go to $dir/" >&2
	exit 1
fi
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
flags="$*"
stamp=$dir/.configure-flags
if [ -f "$dir/config.status" ] && [ "$(cat "$stamp" 2>/dev/null)" != "$flags" ]; then
	echo "build: $dir/ was configured with other flags; starting it afresh" >&2
	rm -rf "$dir"
fi
mkdir -p "$dir"
cd "$dir"
if [ ! -f config.status ]; then
	"$top/configure" -q "$@"
	printf '%s\n' "$flags" >.configure-flags
fi
make -j"$(nproc)" >/dev/null
