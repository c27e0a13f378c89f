#!/bin/bash
# The seed's API end to end (PROTOCOLS.md §1): the real ddnsd with the dummy
# provider, driven by curl.  Every reply, the README's cron lines, IPv4 and
# IPv6 slots, the 403 delay served by a timer while others are answered,
# names in any case with a trailing dot, 400/404/405/413, trusted proxies.
. "$top_srcdir/tests/lib/e2e.sh"
: "${DDNSCTL:?DDNSCTL must point at the ddnsctl binary}"

e2e_init
E2E_HTTP_PORT=$(e2e_free_port)
PORT=$E2E_HTTP_PORT
BASE=http://127.0.0.1:$PORT
DB=$E2E_DIR/ddns.sqlite
CONF=$E2E_DIR/ddns.conf
DELAY_MS=2000

# The key of the seed README's cron line.
KEY=ZHXPu3RTfs3oAexrwBTi8DGN5lmiH3t1pc9iGG1NZsp75UeM84
K2=AnotherKeyAnotherKeyAnotherKeyAnotherKeyAnotherKey

# IPv6 on loopback, if this machine has it, for a v6 client address.
HAVE_V6=0
if python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", '"$PORT"'))' 2>/dev/null; then
	HAVE_V6=1
fi
LISTEN="\"127.0.0.1:$PORT\""
[ "$HAVE_V6" = 1 ] && LISTEN="$LISTEN, \"[::1]:$PORT\""

cat >"$CONF" <<EOF
http = { listen = [ $LISTEN ]; trusted_proxies = [ "127.0.0.2/32" ]; };
database = "$DB";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
auth_fail_delay_ms = $DELAY_MS;
update_timeout_ms = 5000;
log_level = "debug";
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = {
  demo = { plugin = "dummy"; };
  broken = { plugin = "dummy"; fail = "zone example.net is locked"; };
  stuck = { plugin = "dummy"; delay_ms = 10000; };
  half = { plugin = "dummy"; fail_family = "AAAA"; delay_ms = 3000; };
};
records = (
  { domain = "a.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KEY)";
    lan_ip = "192.168.1.100"; },
  { domain = "b.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $K2)"; },
  { domain = "fail.example.net"; provider = "broken"; key_hash = "$(e2e_key_hash $K2)"; },
  { domain = "slow.example.net"; provider = "stuck"; key_hash = "$(e2e_key_hash $K2)"; },
  { domain = "half.example.net"; provider = "half"; key_hash = "$(e2e_key_hash $K2)"; }
);
EOF

# req METHOD PATH [CURL ARGS...]: sets CODE, BODY, CTYPE, ALLOW, TIME.
req() {
	local method=$1 path=$2
	shift 2
	local out
	out=$(curl -s -X "$method" -D "$E2E_DIR/headers" -o "$E2E_DIR/body" \
		-w '%{http_code} %{time_total}' "$@" "$BASE$path")
	CODE=${out% *}
	TIME=${out#* }
	BODY=$(cat "$E2E_DIR/body")
	CTYPE=$(sed -n 's/^[Cc]ontent-[Tt]ype: \([^\r]*\)\r*$/\1/p' "$E2E_DIR/headers")
	ALLOW=$(sed -n 's/^[Aa]llow: \([^\r]*\)\r*$/\1/p' "$E2E_DIR/headers")
}
# jq-free JSON field read: json FIELD (from $BODY)
json() {
	python3 -c 'import json, sys
v = json.loads(sys.argv[1]).get(sys.argv[2], "<absent>")
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$BODY" "$1"
}
# ms since the epoch
now_ms() { date +%s%3N; }
# sockets: how many sockets ddnsd holds (listeners and accepted connections)
sockets() { find "/proc/$E2E_DDNSD_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l; }

check "ddnsd -t accepts the configuration" "$DDNSD" -t -c "$CONF"
e2e_start_ddnsd "$CONF" || exit 1
check "one 'ready' line in the log" grep -q "ddnsd .* ready: http on 127.0.0.1:$PORT" "$E2E_DIR/ddnsd.log"

# --- the README's cron line, verbatim but over http to our port ---
BODY=$(curl -s http://127.0.0.1:$PORT/dynamicdns/update/a.example.com/ --data "key=ZHXPu3RTfs3oAexrwBTi8DGN5lmiH3t1pc9iGG1NZsp75UeM84")
expect_eq "cron line: domain" "$(json domain)" "a.example.com"
expect_eq "cron line: the peer address is used" "$(json ip)" "127.0.0.1"
expect_eq "cron line: updated" "$(json updated)" "true"
FIRST_CHANGE=$(json last_change)
check "last_change is ISO 8601 UTC" \
	python3 -c 'import sys, datetime; datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ")' "$FIRST_CHANGE"
expect_eq "exact keys of the changed reply" \
	"$(python3 -c 'import json,sys; print(sorted(json.loads(sys.argv[1])))' "$BODY")" \
	"['domain', 'ip', 'last_change', 'updated']"

sleep 1.1 # not a wait for an event: a bumped last_change (seconds) would show
req POST /dynamicdns/update/a.example.com/ --data "key=$KEY"
expect_eq "unchanged: 200" "$CODE" 200
expect_eq "unchanged: application/json" "$CTYPE" "application/json"
expect_eq "unchanged: updated false" "$(json updated)" "false"
expect_eq "unchanged: last_change not bumped" "$(json last_change)" "$FIRST_CHANGE"

# --- a multipart form (curl -F), as Django accepted ---
req POST /dynamicdns/update/a.example.com/ -F "key=$KEY"
expect_eq "multipart form: 200" "$CODE" 200
expect_eq "multipart form: unchanged" "$(json updated)" "false"

# --- the README's second line: an explicit ip ---
BODY=$(curl -s http://127.0.0.1:$PORT/dynamicdns/update/a.example.com/ --data "key=ZHXPu3RTfs3oAexrwBTi8DGN5lmiH3t1pc9iGG1NZsp75UeM84&ip=1.2.3.4")
expect_eq "explicit ip: changed" "$(json updated)" "true"
expect_eq "explicit ip: the given address" "$(json ip)" "1.2.3.4"

# --- IPv6 in its own slot ---
req POST /dynamicdns/update/a.example.com/ --data "key=$KEY&ip=2001:DB8:0:0::1"
expect_eq "ipv6: 200" "$CODE" 200
expect_eq "ipv6: canonical text" "$(json ip)" "2001:db8::1"
expect_eq "ipv6: updated" "$(json updated)" "true"
req GET /dynamicdns/read/a.example.com/
expect_eq "read after v6: 200" "$CODE" 200
expect_eq "read: ip keeps the IPv4" "$(json ip)" "1.2.3.4"
expect_eq "read: ipv6 shown too" "$(json ipv6)" "2001:db8::1"
check "read never shows the LAN address" bash -c "! grep -q 192.168.1.100 '$E2E_DIR/body'"
req POST /dynamicdns/update/a.example.com/ --data "key=$KEY&ip=1.2.3.4"
expect_eq "v4 unchanged by the v6 update" "$(json updated)" "false"
req POST /dynamicdns/update/a.example.com/ --data "key=$KEY&ip=2001:db8::1"
expect_eq "v6 again: unchanged" "$(json updated)" "false"

# --- no ip, a v6 client: the client's family decides the slot ---
if [ "$HAVE_V6" = 1 ]; then
	BODY=$(curl -s -6 "http://[::1]:$PORT/dynamicdns/update/b.example.com/" --data "key=$K2")
	expect_eq "v6 client: its address" "$(json ip)" "::1"
	req GET /dynamicdns/read/b.example.com/
	expect_eq "v6 client: stored as ipv6" "$(json ipv6)" "::1"
	expect_eq "v6 client: no IPv4 invented" "$(json ip)" "::1"
else
	echo "# skipped: no IPv6 on loopback"
fi

# --- names: any case, one trailing dot ---
req POST /dynamicdns/update/A.Example.COM/ --data "key=$KEY&ip=1.2.3.4"
expect_eq "upper case name: 200" "$CODE" 200
expect_eq "upper case name: normalised" "$(json domain)" "a.example.com"
req POST /dynamicdns/update/a.example.com./ --data "key=$KEY&ip=1.2.3.4"
expect_eq "trailing dot: 200" "$CODE" 200
req GET /dynamicdns/read/A.EXAMPLE.com./
expect_eq "read, any case and trailing dot: 200" "$CODE" 200

# --- 400s ---
req POST /dynamicdns/update/a.example.com/ --data "ip=1.2.3.4"
expect_eq "no key: 400" "$CODE" 400
expect_eq "no key: body" "$BODY" '{"error": "Bad request"}'
req POST /dynamicdns/update/a.example.com/ --data "key="
expect_eq "empty key: 400" "$CODE" 400
req POST /dynamicdns/update/a.example.com/ --data "key=$KEY&ip=300.1.2.3"
expect_eq "invalid ip: 400" "$CODE" 400
check "invalid ip: says so" grep -q '"error": "Invalid ip' "$E2E_DIR/body"
req POST /dynamicdns/update/a.example.com/ --data "key=$KEY&ip=example.com"
expect_eq "hostname as ip: 400" "$CODE" 400
req POST '/dynamicdns/update/bad_name!.example.com/' --data "key=$KEY"
expect_eq "malformed name: 400" "$CODE" 400
expect_eq "malformed name: JSON" "$BODY" '{"error": "Malformed domain name"}'
req POST /dynamicdns/update/a.example.com/extra/ --data "key=$KEY"
expect_eq "extra path segment: 400" "$CODE" 400
req POST /dynamicdns/update/a..example.com/ --data "key=$KEY"
expect_eq "empty label: 400" "$CODE" 400

# --- 403: wrong key and unknown name alike, after the delay ---
req POST /dynamicdns/update/a.example.com/ --data "key=$K2"
expect_eq "wrong key: 403" "$CODE" 403
expect_eq "wrong key: body" "$BODY" '{"error": "Authentication failure"}'
WRONG_BODY=$BODY
check "wrong key: answered after the delay" \
	python3 -c "import sys; sys.exit(float('$TIME') < $DELAY_MS / 1000.0 * 0.95)"
req POST /dynamicdns/update/nosuch.example.com/ --data "key=$KEY"
expect_eq "unknown name: 403" "$CODE" 403
expect_eq "unknown name: same body as a wrong key" "$BODY" "$WRONG_BODY"
check "unknown name: answered after the delay" \
	python3 -c "import sys; sys.exit(float('$TIME') < $DELAY_MS / 1000.0 * 0.95)"

# While a wrong key waits, another client is served: the delay is a timer.
rm -f "$E2E_DIR/slow.out"
SOCKETS=$(sockets)
curl -s -o "$E2E_DIR/slow.body" -w '%{http_code}' "$BASE/dynamicdns/update/b.example.com/" \
	--data "key=$KEY" >"$E2E_DIR/slow.out.tmp" &
SLOW_PID=$!
T0=$(now_ms)
# the waiting request reaches ddnsd first: it has accepted one more socket
for _ in $(seq 1 200); do [ "$(sockets)" -gt "$SOCKETS" ] && break; sleep 0.05; done
req POST /dynamicdns/update/a.example.com/ --data "key=$KEY&ip=1.2.3.4"
T1=$(now_ms)
expect_eq "served while another waits: 200" "$CODE" 200
check "served while another waits: before the delay ended" \
	test $((T1 - T0)) -lt "$DELAY_MS"
check "the waiting client is still waiting" kill -0 "$SLOW_PID"
wait "$SLOW_PID"
T2=$(now_ms)
expect_eq "the waiting client then gets 403" "$(cat "$E2E_DIR/slow.out.tmp")" 403
check "after the full delay" test $((T2 - T0)) -ge $((DELAY_MS - 100))

# --- provider failure and timeout ---
req POST /dynamicdns/update/fail.example.net/ --data "key=$K2&ip=192.0.2.1"
expect_eq "provider failure: 502" "$CODE" 502
expect_eq "provider failure: the provider's message" "$(json error)" "zone example.net is locked"
req GET /dynamicdns/read/fail.example.net/
expect_eq "provider failure: nothing recorded as applied" "$(json ip)" "null"
check "provider failure: history says failed" \
	bash -c "'$DDNSCTL' -d '$DB' history fail.example.net | grep -q failed"
req POST /dynamicdns/update/slow.example.net/ --data "key=$K2&ip=192.0.2.2"
expect_eq "provider timeout: 504" "$CODE" 504
check "provider timeout: JSON error" grep -q '"error": ' "$E2E_DIR/body"
req GET /dynamicdns/read/slow.example.net/
expect_eq "provider timeout: nothing recorded as applied" "$(json ip)" "null"

# --- one family of a merged update fails: A stored, the AAAA client told ---
# An A update in flight (3 s); an A and an AAAA request arrive meanwhile
# and go to the provider together, which applies A and fails AAAA.  The
# 3 s are the room two curls have to arrive: with 300 ms, a loaded fresh
# machine started them too late, and they went one by one.
# (update_timeout_ms is 5 s so that this answer is in time.)
upd() { curl -s -o "$E2E_DIR/$1.body" -w '%{http_code}' --data "key=$K2&ip=$2" \
	"$BASE/dynamicdns/update/half.example.net/" >"$E2E_DIR/$1.code"; }
upd h1 192.0.2.70 &
H1=$!
check "partial: the first update is with the provider" \
	e2e_wait_log "half.example.net: answering in 3000 ms" 1
upd h2 192.0.2.71 &
H2=$!
upd h3 2001:db8::71 &
H3=$!
wait $H1 $H2 $H3
expect_eq "partial: the first A request: 200" "$(cat "$E2E_DIR/h1.code")" 200
expect_eq "partial: the merged A request: 200" "$(cat "$E2E_DIR/h2.code")" 200
BODY=$(cat "$E2E_DIR/h2.body")
expect_eq "partial: ... updated" "$(json updated)" "true"
expect_eq "partial: the AAAA request: 502" "$(cat "$E2E_DIR/h3.code")" 502
BODY=$(cat "$E2E_DIR/h3.body")
expect_eq "partial: its error names the family" "$(json error)" \
	"AAAA: dummy: AAAA fails as configured"
req GET /dynamicdns/read/half.example.net/
expect_eq "partial: A stored" "$(json ip)" "192.0.2.71"
expect_eq "partial: AAAA not" "$(json ipv6)" "<absent>"
expect_eq "partial: history rows, A applied and AAAA failed" \
	"$(sqlite3 -batch "$DB" "SELECT family || ' ' || new_ip || ' ' || result || ' ' || message FROM history WHERE name = 'half.example.net' ORDER BY id")" \
	"$(printf '%s\n' 'ipv4 192.0.2.70 applied dummy: applied' \
		'ipv6 2001:db8::71 failed dummy: AAAA fails as configured' \
		'ipv4 192.0.2.71 applied dummy: A applied')"

# --- 404, 405, 413 ---
req GET /dynamicdns/read/nosuch.example.com/
expect_eq "read unknown name: 404" "$CODE" 404
expect_eq "read unknown name: JSON" "$BODY" '{"error": "Not found"}'
req GET /no/such/path
expect_eq "unknown path: 404" "$CODE" 404
expect_eq "unknown path: JSON" "$CTYPE" "application/json"
req GET /dynamicdns/update/a.example.com/
expect_eq "GET on update: 405" "$CODE" 405
expect_eq "GET on update: Allow" "$ALLOW" "POST"
req PUT /dynamicdns/update/a.example.com/ --data "key=$KEY"
expect_eq "PUT on update: 405" "$CODE" 405
req POST /dynamicdns/read/a.example.com/ --data "key=$KEY"
expect_eq "POST on read: 405" "$CODE" 405
expect_eq "POST on read: Allow" "$ALLOW" "GET, HEAD"
head -c 5000 /dev/zero | tr '\0' 'x' >"$E2E_DIR/big"
req POST /dynamicdns/update/a.example.com/ --data-binary "@$E2E_DIR/big"
expect_eq "oversized body: 413" "$CODE" 413
expect_eq "oversized body: JSON" "$BODY" '{"error": "Request body too large"}'

# --- the client address: X-Forwarded-For only from a trusted proxy ---
req POST /dynamicdns/update/b.example.com/ --data "key=$K2" -H "X-Forwarded-For: 203.0.113.50"
expect_eq "untrusted peer: X-Forwarded-For ignored" "$(json ip)" "127.0.0.1"
if curl -s --interface 127.0.0.2 -o /dev/null "$BASE/none" 2>/dev/null; then
	req POST /dynamicdns/update/b.example.com/ --interface 127.0.0.2 --data "key=$K2" \
		-H "X-Forwarded-For: 198.51.100.9, 203.0.113.50"
	expect_eq "trusted proxy: right-most hop" "$(json ip)" "203.0.113.50"
else
	echo "# skipped: cannot bind 127.0.0.2"
fi

# --- history of a change ---
check "history has the applied changes" \
	bash -c "'$DDNSCTL' -d '$DB' history a.example.com | grep -q applied"

check "ddnsd stops with status 0" e2e_stop_ddnsd
check "nothing left open at exit" bash -c "! grep -q 'handles left open' '$E2E_DIR/ddnsd.log'"
e2e_finish
