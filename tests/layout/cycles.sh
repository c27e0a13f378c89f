#!/bin/sh
# The layout of the tree, checked on the built objects (make check): no two
# source files call each other (directly or round a circle), and no part
# calls a part above it in tests/layout/layers.  See tests/layout/deps.py.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
cd "$top_builddir"
exec "${PYTHON:-python3}" "$top_srcdir/tests/layout/deps.py" \
	--layers "$top_srcdir/tests/layout/layers" daemon tools plugins
