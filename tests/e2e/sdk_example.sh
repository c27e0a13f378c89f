#!/bin/bash
# The SDK end to end: install the whole project into a scratch DESTDIR, build
# sdk/example out of tree with nothing but the installed <ddns/plugin.h> and
# `pkg-config ddns-plugin`, drop the .so into a plugin folder, start the
# installed ddnsd on it, and route real updates through it with curl.
. "$top_srcdir/tests/lib/e2e.sh"
: "${top_builddir:?}"

e2e_init
DEST=$E2E_DIR/dest
BUILD=$E2E_DIR/example-build
PLUGINS=$E2E_DIR/plugins
OUT=$E2E_DIR/updates.log
CONF=$E2E_DIR/ddns.conf
KEY=ExampleKeyExampleKeyExampleKey42
E2E_HTTP_PORT=$(e2e_free_port)
BASE=http://127.0.0.1:$E2E_HTTP_PORT
mkdir -p "$BUILD" "$PLUGINS"

# The nested make must not join the outer make's jobserver.
run_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES "${MAKE:-make}" "$@"
}

check "make install DESTDIR=..." \
	run_make -s -C "$top_builddir" install DESTDIR="$DEST" >"$E2E_DIR/install.log" 2>&1 \
	|| { tail -n 30 "$E2E_DIR/install.log"; }

PC=$(find "$DEST" -name ddns-plugin.pc | head -n 1)
HEADER=$(find "$DEST" -path '*/include/ddns/plugin.h' | head -n 1)
INSTALLED_DDNSD=$(find "$DEST" -path '*/sbin/ddnsd' -type f | head -n 1)
INSTALLED_DUMMY=$(find "$DEST" -path '*/ddns/plugins/dummy.so' | head -n 1)
check "ddns-plugin.pc installed" test -n "$PC"
check "<ddns/plugin.h> installed" test -n "$HEADER"
check "ddnsd installed" test -x "$INSTALLED_DDNSD"
check "dummy.so installed into the plugin folder" test -n "$INSTALLED_DUMMY"
if [ -z "$PC" ] || [ -z "$INSTALLED_DDNSD" ]; then
	e2e_finish
	exit 1
fi

# pkg-config sees only the DESTDIR: its -I must point into it.
export PKG_CONFIG_PATH=$(dirname "$PC") PKG_CONFIG_LIBDIR=$(dirname "$PC")
export PKG_CONFIG_SYSROOT_DIR=$DEST
CFLAGS_GOT=$(pkg-config --cflags ddns-plugin | tr -d " ")
expect_eq "pkg-config --cflags points at the installed header" \
	"$CFLAGS_GOT" "-I$(dirname "$(dirname "$HEADER")")"

# Build out of tree from a copy of the example: no path back into the source
# or build tree, so only the installed SDK can satisfy #include <ddns/plugin.h>.
cp "$top_srcdir/sdk/example/example.c" "$top_srcdir/sdk/example/Makefile" "$E2E_DIR/"
check "sdk/example builds against the installed SDK" \
	run_make -s -C "$BUILD" -f "$E2E_DIR/Makefile" >"$E2E_DIR/example-build.log" 2>&1
cat "$E2E_DIR/example-build.log"
check "example.so exports only ddns_plugin" \
	test "$(nm -D --defined-only "$BUILD/example.so" | awk '$2 ~ /^[A-TV-Z]$/ && $3 !~ /^_/ {print $3}')" = ddns_plugin
cp "$BUILD/example.so" "$PLUGINS/"

write_conf() {
	cat >"$CONF" <<CONF
http = { listen = [ "127.0.0.1:$E2E_HTTP_PORT" ]; };
database = "$E2E_DIR/ddns.sqlite";
plugin_dir = "$PLUGINS";
log_level = "debug";
auth_fail_delay_ms = 100;
providers = { ex = { plugin = "example"; $1 }; };
records = (
  { domain = "sdk.example.com"; provider = "ex"; key_hash = "$(e2e_key_hash $KEY)"; }
);
CONF
}

# A config without the plugin's required option is refused, naming it.
write_conf ''
"$INSTALLED_DDNSD" -t -c "$CONF" >"$E2E_DIR/t.out" 2>&1
check "ddnsd -t refuses a missing required option" test $? -ne 0
check "the refusal names file, line and option" \
	grep -q "ddns.conf:6: providers.ex.file: missing" "$E2E_DIR/t.out"

write_conf "file = \"$OUT\"; colour = \"red\";"
"$INSTALLED_DDNSD" -t -c "$CONF" >"$E2E_DIR/t.out" 2>&1
check "ddnsd -t refuses an undeclared option" test $? -ne 0
check "the refusal lists what the plugin takes" \
	grep -q "ddns.conf:6: providers.ex.colour: plugin example has no option \"colour\" (it takes: file, prefix)" "$E2E_DIR/t.out"

# Modules that do not fit are refused before any of their code runs.
BROKEN=$top_builddir/tests/plugins/.libs
if [ -f "$BROKEN/broken_abi.so" ]; then
	cp "$BROKEN/broken_abi.so" "$BROKEN/broken_nosym.so" "$PLUGINS/"
	sed -i 's/plugin = "example";/plugin = "broken_abi";/' "$CONF"
	"$INSTALLED_DDNSD" -t -c "$CONF" >"$E2E_DIR/t.out" 2>&1
	check "ddnsd -t refuses a module of another ABI" test $? -ne 0
	check "the refusal names the file and both ABI numbers" \
		grep -q "plugin $PLUGINS/broken_abi.so: built for plugin ABI 999, this ddnsd speaks ABI 1" "$E2E_DIR/t.out"
	sed -i 's/plugin = "broken_abi";/plugin = "broken_nosym";/' "$CONF"
	"$INSTALLED_DDNSD" -t -c "$CONF" >"$E2E_DIR/t.out" 2>&1
	check "the refusal of a non-plugin .so says so" \
		grep -q "plugin $PLUGINS/broken_nosym.so: no ddns_plugin symbol (not a ddnsd plugin?)" "$E2E_DIR/t.out"
fi

write_conf "file = \"$OUT\";"
check "ddnsd -t accepts the example's config" "$INSTALLED_DDNSD" -t -c "$CONF"

DDNSD=$INSTALLED_DDNSD
check "the installed ddnsd starts with example.so" e2e_start_ddnsd "$CONF"

json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

CODE=$(curl -sS -o "$E2E_DIR/body" -w '%{http_code}' \
	-d "key=$KEY" -d ip=203.0.113.7 "$BASE/dynamicdns/update/sdk.example.com/")
expect_eq "update through example.so: 200" "$CODE" 200
expect_eq "update through example.so: updated" "$(json updated <"$E2E_DIR/body")" True
expect_eq "update through example.so: ip" "$(json ip <"$E2E_DIR/body")" 203.0.113.7
check "example.so wrote the update to its file" \
	grep -Eq '^[0-9]+ sdk\.example\.com ipv4=203\.0\.113\.7 ipv6=-$' "$OUT"

CODE=$(curl -sS -o "$E2E_DIR/body" -w '%{http_code}' \
	-d "key=$KEY" -d ip=203.0.113.7 "$BASE/dynamicdns/update/sdk.example.com/")
expect_eq "same address again: 200" "$CODE" 200
expect_eq "same address again: not updated" "$(json updated <"$E2E_DIR/body")" False
expect_eq "an unchanged address does not reach the plugin" "$(wc -l <"$OUT")" 1

CODE=$(curl -sS -o "$E2E_DIR/body" -w '%{http_code}' \
	-d "key=$KEY" -d ip=2001:db8::7 "$BASE/dynamicdns/update/sdk.example.com/")
expect_eq "IPv6 update through example.so: 200" "$CODE" 200
check "example.so wrote the IPv6 update" \
	grep -Eq '^[0-9]+ sdk\.example\.com ipv4=- ipv6=2001:db8::7$' "$OUT"

CODE=$(curl -sS -o "$E2E_DIR/body" -w '%{http_code}' "$BASE/dynamicdns/read/sdk.example.com/")
expect_eq "read: 200" "$CODE" 200
check "the plugin's log line carries the instance name" \
	grep -q "provider ex: appending updates to $OUT" "$E2E_DIR/ddnsd.log"

check "ddnsd stops cleanly" e2e_stop_ddnsd
e2e_finish
