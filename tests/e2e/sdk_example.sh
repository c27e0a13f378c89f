#!/bin/bash
# The SDK end to end: install the whole project into a scratch DESTDIR, build
# the installed copy of sdk/example (an HTTP provider on the REST toolkit)
# out of tree with nothing but the installed headers, libddnsrest and
# `pkg-config ddns-rest`, drop the .so into a plugin folder, start its mock
# API and the installed ddnsd on it, and route real updates through it with
# curl: a change, the same address again, IPv6, a rate limit, a failing API.
. "$top_srcdir/tests/lib/e2e.sh"
: "${top_builddir:?}"

e2e_init
DEST=$E2E_DIR/dest
BUILD=$E2E_DIR/example-build
PLUGINS=$E2E_DIR/plugins
CONF=$E2E_DIR/ddns.conf
KEY=ExampleKeyExampleKeyExampleKey42
TOKEN=example-token-e2e
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

PC=$(find "$DEST" -name ddns-rest.pc | head -n 1)
HEADER=$(find "$DEST" -path '*/include/ddns/plugin.h' | head -n 1)
INSTALLED_DDNSD=$(find "$DEST" -path '*/sbin/ddnsd' -type f | head -n 1)
INSTALLED_DUMMY=$(find "$DEST" -path '*/ddns/plugins/dummy.so' | head -n 1)
EXAMPLE=$(dirname "$(find "$DEST" -path '*/doc/ddnsd/example/example.c' | head -n 1)")
check "ddns-rest.pc and ddns-plugin.pc installed" \
	test -n "$PC" -a -f "$(dirname "$PC")/ddns-plugin.pc"
check "<ddns/plugin.h> and <ddns/rest.h> installed" \
	test -n "$HEADER" -a -f "$(dirname "$HEADER")/rest.h" -a -f "$(dirname "$HEADER")/rest/job.h"
check "libddnsrest.a installed" test -n "$(find "$DEST" -name libddnsrest.a)"
check "ddnsd installed" test -x "$INSTALLED_DDNSD"
check "dummy.so installed into the plugin folder" test -n "$INSTALLED_DUMMY"
check "the example and its mock are installed with the docs" \
	test -f "$EXAMPLE/Makefile" -a -f "$EXAMPLE/mock_api.py" -a -f "$EXAMPLE/README.md"
if [ -z "$PC" ] || [ -z "$INSTALLED_DDNSD" ] || [ ! -f "$EXAMPLE/example.c" ]; then
	e2e_finish
	exit 1
fi

# pkg-config finds the SDK only in the DESTDIR (jansson where the system has it).
export PKG_CONFIG_PATH=$(dirname "$PC")
export PKG_CONFIG_SYSROOT_DIR=$DEST
CFLAGS_GOT=$(pkg-config --cflags ddns-rest | cut -d' ' -f1)
expect_eq "pkg-config --cflags points at the installed headers" \
	"$CFLAGS_GOT" "-I$(dirname "$(dirname "$HEADER")")"
check "pkg-config --libs links the installed toolkit" \
	sh -c "pkg-config --libs ddns-rest | grep -q -- '-L$DEST.* -lddnsrest'"

# Build out of tree from the installed copy: no path back into the source or
# build tree, so only the installed SDK can satisfy the includes and -l.
check "sdk/example builds against the installed SDK" \
	run_make -s -C "$BUILD" -f "$EXAMPLE/Makefile" >"$E2E_DIR/example-build.log" 2>&1
cat "$E2E_DIR/example-build.log"
check "example.so exports only ddns_plugin" \
	test "$(nm -D --defined-only "$BUILD/example.so" | awk '$2 ~ /^[A-TV-Z]$/ && $3 !~ /^_/ {print $3}')" = ddns_plugin
cp "$BUILD/example.so" "$PLUGINS/"

# The example's own mock of its API.
python3 "$EXAMPLE/mock_api.py" --port 0 --token "$TOKEN" --zone example.com \
	>"$E2E_DIR/mock.port" 2>"$E2E_DIR/mock.log" &
E2E_EXTRA_PIDS="${E2E_EXTRA_PIDS:-} $!"
for _ in $(seq 1 200); do
	MOCK_PORT=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$E2E_DIR/mock.port")
	[ -n "$MOCK_PORT" ] && break
	sleep 0.05
done
check "the example's mock API starts" test -n "$MOCK_PORT"
MOCK=http://127.0.0.1:$MOCK_PORT

write_conf() {
	cat >"$CONF" <<CONF
http = { listen = [ "127.0.0.1:$E2E_HTTP_PORT" ]; };
database = "$E2E_DIR/ddns.sqlite";
plugin_dir = "$PLUGINS";
log_level = "debug";
auth_fail_delay_ms = 100;
update_timeout_ms = 5000;
providers = { ex = { plugin = "example"; $1 }; };
records = (
  { domain = "sdk.example.com"; provider = "ex"; key_hash = "$(e2e_key_hash $KEY)"; }
);
CONF
}
GOOD="token = \"$TOKEN\"; zone = \"example.com\"; api_url = \"$MOCK\";"

# A config without the plugin's required option is refused, naming it.
write_conf 'zone = "example.com";'
"$INSTALLED_DDNSD" -t -c "$CONF" >"$E2E_DIR/t.out" 2>&1
check "ddnsd -t refuses a missing required option" test $? -ne 0
check "the refusal names file, line and option" \
	grep -q "ddns.conf:7: providers.ex.token: missing" "$E2E_DIR/t.out"

write_conf "$GOOD colour = \"red\";"
"$INSTALLED_DDNSD" -t -c "$CONF" >"$E2E_DIR/t.out" 2>&1
check "ddnsd -t refuses an undeclared option" test $? -ne 0
check "the refusal lists what the plugin takes" \
	grep -q "ddns.conf:7: providers.ex.colour: plugin example has no option \"colour\" (it takes: token, zone, ttl, api_url)" "$E2E_DIR/t.out"

# The module declares the ttl's range; ddnsd checks it before create():
# -t and a start both refuse it, naming file, line and option.
write_conf "$GOOD ttl = 5;"
"$INSTALLED_DDNSD" -t -c "$CONF" >"$E2E_DIR/t.out" 2>&1
check "ddnsd -t refuses a TTL out of the declared range" test $? -ne 0
check "... naming file, line, option and the range" \
	grep -q "ddns.conf:7: providers.ex.ttl: 5 is out of range (plugin example takes 60 to 86400)" "$E2E_DIR/t.out"
timeout 20 "$INSTALLED_DDNSD" -c "$CONF" >"$E2E_DIR/t.out" 2>&1
check "ddnsd refuses to start with a TTL out of the declared range" \
	grep -q "ddns.conf:7: providers.ex.ttl: 5 is out of range (plugin example takes 60 to 86400)" "$E2E_DIR/t.out"

# Modules that do not fit are refused before any of their code runs.
BROKEN=$top_builddir/tests/plugins/.libs
if [ -f "$BROKEN/broken_abi.so" ]; then
	cp "$BROKEN/broken_abi.so" "$BROKEN/broken_nosym.so" "$PLUGINS/"
	sed -i 's/plugin = "example";/plugin = "broken_abi";/' "$CONF"
	"$INSTALLED_DDNSD" -t -c "$CONF" >"$E2E_DIR/t.out" 2>&1
	check "ddnsd -t refuses a module of another ABI" test $? -ne 0
	check "the refusal names the file and both ABI numbers" \
		grep -q "plugin $PLUGINS/broken_abi.so: built for plugin ABI 999, this ddnsd speaks ABI 2 (and 1)" "$E2E_DIR/t.out"
	sed -i 's/plugin = "broken_abi";/plugin = "broken_nosym";/' "$CONF"
	"$INSTALLED_DDNSD" -t -c "$CONF" >"$E2E_DIR/t.out" 2>&1
	check "the refusal of a non-plugin .so says so" \
		grep -q "plugin $PLUGINS/broken_nosym.so: no ddns_plugin symbol (not a ddnsd plugin?)" "$E2E_DIR/t.out"

	# An ABI 1 module (the first ABI 1 header's descriptor and option
	# table) still loads, its options checked in ABI 1's layout.
	cp "$BROKEN/sized_oldest.so" "$PLUGINS/"
	write_conf 'zone = "example.com"; ttl = 5;'
	sed -i 's/plugin = "example";/plugin = "sized_oldest";/' "$CONF"
	check "ddnsd -t accepts an ABI 1 module" "$INSTALLED_DDNSD" -t -c "$CONF"
	write_conf 'zone = "example.com"; ttl = "5";'
	sed -i 's/plugin = "example";/plugin = "sized_oldest";/' "$CONF"
	"$INSTALLED_DDNSD" -t -c "$CONF" >"$E2E_DIR/t.out" 2>&1
	check "... and refuses a mistyped option of it, with file:line" \
		grep -q "ddns.conf:7: providers.ex.ttl: must be an integer" "$E2E_DIR/t.out"
fi

write_conf "$GOOD"
check "ddnsd -t accepts the example's config" "$INSTALLED_DDNSD" -t -c "$CONF"

DDNSD=$INSTALLED_DDNSD
check "the installed ddnsd starts with example.so" e2e_start_ddnsd "$CONF"

json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# stored NAME/TYPE: the mock's record set, "-" if none
stored() {
	curl -sS "$MOCK/_state" | python3 -c 'import json,sys
r = json.load(sys.stdin)["example.com"].get(sys.argv[1])
print(",".join(r["records"]) if r else "-")' "$1"
}
puts() { curl -sS "$MOCK/_requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
update() {
	curl -sS -o "$E2E_DIR/body" -w '%{http_code}' \
		-d "key=$KEY" -d "ip=$1" "$BASE/dynamicdns/update/sdk.example.com/"
}

expect_eq "update through example.so: 200" "$(update 203.0.113.7)" 200
expect_eq "update through example.so: updated" "$(json updated <"$E2E_DIR/body")" True
expect_eq "update through example.so: ip" "$(json ip <"$E2E_DIR/body")" 203.0.113.7
expect_eq "the API holds the A record" "$(stored sdk/A)" 203.0.113.7
check "the plugin sent its token as a bearer" \
	sh -c "curl -sS '$MOCK/_requests' | grep -q '\"auth\": \"Bearer $TOKEN\"'"

expect_eq "same address again: 200" "$(update 203.0.113.7)" 200
expect_eq "same address again: not updated" "$(json updated <"$E2E_DIR/body")" False
expect_eq "an unchanged address does not reach the API" "$(puts)" 1

expect_eq "IPv6 update through example.so: 200" "$(update 2001:db8::7)" 200
expect_eq "the API holds the AAAA record" "$(stored sdk/AAAA)" 2001:db8::7
expect_eq "the A record is left alone" "$(stored sdk/A)" 203.0.113.7

# A 429 with Retry-After: the toolkit waits (a timer) and tries again.
curl -sS -d '{"ratelimit": 1}' "$MOCK/_control" >/dev/null
expect_eq "rate-limited once: 200" "$(update 203.0.113.8)" 200
expect_eq "rate-limited once: applied" "$(stored sdk/A)" 203.0.113.8
expect_eq "rate-limited once: 429 then 200 (two PUTs)" "$(puts)" 4

# An API that keeps failing: three tries, then 502, and the store keeps the
# address the API last confirmed.
curl -sS -d '{"error500": 3}' "$MOCK/_control" >/dev/null
expect_eq "API failing: 502" "$(update 203.0.113.9)" 502
check "API failing: the error says what the provider said" \
	grep -q "example:" "$E2E_DIR/body"
expect_eq "API failing: the API was tried three times" "$(puts)" 7
CODE=$(curl -sS -o "$E2E_DIR/body" -w '%{http_code}' "$BASE/dynamicdns/read/sdk.example.com/")
expect_eq "read: 200" "$CODE" 200
check "read: the store still holds the confirmed address" grep -q 203.0.113.8 "$E2E_DIR/body"
expect_eq "API recovered: 200" "$(update 203.0.113.9)" 200
expect_eq "API recovered: applied" "$(stored sdk/A)" 203.0.113.9

check "the plugin's log line carries the instance name" \
	grep -q "provider ex: zone example.com at $MOCK" "$E2E_DIR/ddnsd.log"
check "the token never reaches the log" sh -c "! grep -q '$TOKEN' '$E2E_DIR/ddnsd.log'"

check "ddnsd stops cleanly" e2e_stop_ddnsd
e2e_finish
