#!/bin/bash
# dyndns2 end to end: the real ddnsd (dummy provider) driven by curl over
# /nic/update and /nic/checkip: every reply code, multi-host requests, v4,
# v6 and dual-stack updates, the source address, HTTP/1.0, POST, trusted
# proxies, the seed's API and dyndns2 leaving the same store, and abuse
# control (a name changed too often, a source failing authentication).
. "$top_srcdir/tests/lib/e2e.sh"
: "${DDNSCTL:?DDNSCTL must point at the ddnsctl binary}"

e2e_init
E2E_HTTP_PORT=$(e2e_free_port)
PORT=$E2E_HTTP_PORT
DB=$E2E_DIR/ddns.sqlite
CONF=$E2E_DIR/ddns.conf
BASE=http://127.0.0.1:$PORT

KA=KeyForAaaaaaaaaaaaaaaaaaaaaaaaa1
KB=KeyForBbbbbbbbbbbbbbbbbbbbbbbbb2
KM=KeyForMultiiiiiiiiiiiiiiiiiiiii3
KS=KeyForSeedvsdyndns2sssssssssss4

# IPv6 on loopback, if this machine has it, for the v6 source address.
HAVE_V6=0
if python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", '"$PORT"'))' 2>/dev/null; then
	HAVE_V6=1
fi

# write_conf MAX_CHANGES CHANGE_BLOCK_S MAX_AUTH_FAILURES AUTH_BLOCK_S [TOP-LEVEL SETTINGS]
write_conf() {
	local listen="\"127.0.0.1:$PORT\""
	[ "$HAVE_V6" = 1 ] && listen="$listen, \"[::1]:$PORT\""
	cat >"$CONF" <<EOF
http = { listen = [ $listen ]; trusted_proxies = [ "127.0.0.2/32" ]; };
database = "$DB";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
log_level = "debug";
auth_fail_delay_ms = 100;
update_timeout_ms = 1500;
${5:-}
abuse = {
  max_changes = $1; change_window_s = 60; change_block_s = $2;
  max_auth_failures = $3; auth_window_s = 60; auth_block_s = $4;
};
providers = {
  demo = { plugin = "dummy"; fail_names = [ "fail.example.com" ]; };
  slow = { plugin = "dummy"; delay_ms = 5000; };
  half = { plugin = "dummy"; fail_family = "AAAA"; };
};
records = (
  { domain = "a.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KA)"; },
  { domain = "b.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KB)"; },
  { domain = "m1.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KM)"; },
  { domain = "m2.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KM)"; },
  { domain = "fail.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KM)"; },
  { domain = "slow.example.com"; provider = "slow"; key_hash = "$(e2e_key_hash $KM)"; },
  { domain = "s.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KS)"; },
  { domain = "d.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KS)"; },
  { domain = "half.example.com"; provider = "half"; key_hash = "$(e2e_key_hash $KM)"; }
);
EOF
}

# nic CRED QUERY [CURL ARGS...]: GET /nic/update; body in $BODY, status in $CODE
nic() {
	local cred=$1 query=$2
	shift 2
	CODE=$(curl -sS -o "$E2E_DIR/body" -D "$E2E_DIR/headers" -w '%{http_code}' \
		-u "$cred" "$@" "$BASE/nic/update?$query")
	BODY=$(cat "$E2E_DIR/body")
}
show() { "$DDNSCTL" -c "$CONF" show "$1" | sed -n "s/^$2: *//p"; }
sql() { sqlite3 -batch "$DB" "$@"; }
read_json() { curl -sS "$BASE/dynamicdns/read/$1/"; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }

write_conf 1000 60 1000 60
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }

# --- credentials -------------------------------------------------------------
CODE=$(curl -sS -o "$E2E_DIR/body" -D "$E2E_DIR/headers" -w '%{http_code}' \
	"$BASE/nic/update?hostname=a.example.com&myip=203.0.113.7")
expect_eq "no credentials: 401" "$CODE" 401
expect_eq "no credentials: body badauth" "$(cat "$E2E_DIR/body")" "badauth"
check "no credentials: WWW-Authenticate Basic realm" \
	grep -qi '^WWW-Authenticate: Basic realm="ddnsd"' "$E2E_DIR/headers"
CODE=$(curl -sS -o "$E2E_DIR/body" -w '%{http_code}' -H 'Authorization: Bearer x' \
	"$BASE/nic/update?hostname=a.example.com")
expect_eq "another auth scheme: 401" "$CODE" 401

# --- v4, v6 and dual-stack; the other family survives ----------------------------
nic "a.example.com:$KA" "hostname=a.example.com&myip=203.0.113.7"
expect_eq "v4 update: 200" "$CODE" 200
expect_eq "v4 update: good" "$BODY" "good 203.0.113.7"
check "reply is text/plain" grep -qi '^Content-Type: text/plain' "$E2E_DIR/headers"
nic "a.example.com:$KA" "hostname=a.example.com&myip=203.0.113.7"
expect_eq "same address again: nochg" "$BODY" "nochg 203.0.113.7"
nic "a.example.com:$KA" "hostname=a.example.com&myip=2001:DB8::7&system=dyndns&wildcard=NOCHG&mx=&backmx=NO&offline=NO"
expect_eq "v6 update (unknown parameters ignored): good, canonical" "$BODY" "good 2001:db8::7"
expect_eq "v6 update: A survives (store)" "$(show a.example.com ipv4)" "203.0.113.7"
expect_eq "v6 update: AAAA set (store)" "$(show a.example.com ipv6)" "2001:db8::7"
expect_eq "v6 update: read API ip" "$(read_json a.example.com | json_field ip)" "203.0.113.7"
expect_eq "v6 update: read API ipv6" "$(read_json a.example.com | json_field ipv6)" "2001:db8::7"
nic "anything:$KA" "hostname=a.example.com&myip=203.0.113.8"
expect_eq "v4 update, any user name: good" "$BODY" "good 203.0.113.8"
expect_eq "v4 update: AAAA survives" "$(show a.example.com ipv6)" "2001:db8::7"
nic "a.example.com:$KA" "hostname=a.example.com&myip=203.0.113.9,2001:db8::9"
expect_eq "dual-stack myip list: both reported" "$BODY" "good 203.0.113.9,2001:db8::9"
expect_eq "dual-stack: A" "$(show a.example.com ipv4)" "203.0.113.9"
expect_eq "dual-stack: AAAA" "$(show a.example.com ipv6)" "2001:db8::9"
nic "a.example.com:$KA" "hostname=a.example.com&myip=203.0.113.9&myipv6=2001:db8::10"
expect_eq "myip + myipv6: good (one family changed)" "$BODY" "good 203.0.113.9,2001:db8::10"
nic "a.example.com:$KA" "hostname=a.example.com&myip=203.0.113.9,2001:db8::10"
expect_eq "dual-stack again: nochg with both" "$BODY" "nochg 203.0.113.9,2001:db8::10"
expect_eq "history: one applied row per family changed" \
	"$(sql "SELECT family || ' ' || old_ip || '>' || new_ip FROM history WHERE name = 'a.example.com' AND result = 'applied' ORDER BY id")" \
	"$(printf '%s\n' 'ipv4 >203.0.113.7' 'ipv6 >2001:db8::7' 'ipv4 203.0.113.7>203.0.113.8' \
		'ipv4 203.0.113.8>203.0.113.9' 'ipv6 2001:db8::7>2001:db8::9' 'ipv6 2001:db8::9>2001:db8::10')"

# --- A applied, AAAA failed: not `good`, but A is stored with its row ----------------
nic "half.example.com:$KM" "hostname=half.example.com&myip=203.0.113.30,2001:db8::30"
expect_eq "partial dual-stack: dnserr (the client tries again)" "$BODY" "dnserr"
expect_eq "partial dual-stack: A stored" "$(show half.example.com ipv4)" "203.0.113.30"
expect_eq "partial dual-stack: AAAA not" "$(show half.example.com ipv6)" "-"
expect_eq "partial dual-stack: one row per family, each its own outcome" \
	"$(sql "SELECT family || ' ' || new_ip || ' ' || result FROM history WHERE name = 'half.example.com' ORDER BY family")" \
	"$(printf '%s\n' 'ipv4 203.0.113.30 applied' 'ipv6 2001:db8::30 failed')"
nic "half.example.com:$KM" "hostname=half.example.com&myip=203.0.113.30,2001:db8::30"
expect_eq "the retry: AAAA alone fails again" "$BODY" "dnserr"
expect_eq "the retry sent no A: still one applied row" \
	"$(sql "SELECT count(*) FROM history WHERE name = 'half.example.com' AND result = 'applied'")" 1

# --- myipv6 alone leaves A alone (DS-Lite: the v4 source is the carrier's) -----
nic "a.example.com:$KA" "hostname=a.example.com&myipv6=2001:db8::11"
expect_eq "myipv6 alone over IPv4: only the v6 address reported" "$BODY" "good 2001:db8::11"
expect_eq "myipv6 alone over IPv4: A untouched (not the source 127.0.0.1)" \
	"$(show a.example.com ipv4)" "203.0.113.9"
expect_eq "myipv6 alone over IPv4: AAAA set" "$(show a.example.com ipv6)" "2001:db8::11"
nic "a.example.com:$KA" "hostname=a.example.com&myip=&myipv6=2001:db8::10"
expect_eq "empty myip and myipv6: A still untouched" "$BODY$(show a.example.com ipv4)" \
	"good 2001:db8::10203.0.113.9"

# --- credentials as username/password parameters -------------------------------
# q URL-QUERY [CURL ARGS...]: GET /nic/update without Basic credentials
q() {
	local query=$1
	shift
	CODE=$(curl -sS -o "$E2E_DIR/body" -D "$E2E_DIR/headers" -w '%{http_code}' \
		"$@" "$BASE/nic/update?$query")
	BODY=$(cat "$E2E_DIR/body")
}
QC="hostname=b.example.com&username=b.example.com&password=$KB"
q "$QC&myip=192.0.2.60"
expect_eq "password parameter over plain HTTP (default https only): 401" "$CODE" 401
expect_eq "password parameter over plain HTTP: badauth" "$BODY" "badauth"
check "password parameter over plain HTTP: WWW-Authenticate" \
	grep -qi '^WWW-Authenticate: Basic' "$E2E_DIR/headers"
q "$QC&myip=192.0.2.60" -H 'X-Forwarded-Proto: https'
expect_eq "X-Forwarded-Proto: https from an untrusted peer proves nothing: 401" "$CODE" 401
q "$QC&myip=192.0.2.60" --interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.30' \
	-H 'X-Forwarded-Proto: http'
expect_eq "a trusted proxy saying the client came over http: 401" "$CODE" 401
expect_eq "refused parameters: b untouched" "$(show b.example.com ipv4)" "-"
q "$QC&myip=192.0.2.60" --interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.30' \
	-H 'X-Forwarded-Proto: http' -H 'X-Forwarded-Proto: https'
expect_eq "over HTTPS (a trusted proxy's X-Forwarded-Proto, its last): good" \
	"$CODE $BODY" "200 good 192.0.2.60"
q "hostname=b.example.com&username=b.example.com&password=WrongKeyWrongKeyWrongKey&myip=192.0.2.61" \
	--interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.30' -H 'X-Forwarded-Proto: https'
expect_eq "over HTTPS, a wrong password parameter: badauth" "$CODE $BODY" "200 badauth"
q "$QC&myip=192.0.2.61" -u "b.example.com:WrongKeyWrongKeyWrongKey" --interface 127.0.0.2 \
	-H 'X-Forwarded-For: 198.51.100.30' -H 'X-Forwarded-Proto: https'
expect_eq "Basic and parameters both given: Basic wins" "$BODY" "badauth"
expect_eq "b holds the parameters' update only" "$(show b.example.com ipv4)" "192.0.2.60"
check "the refusal is logged at debug without the password" \
	grep -q "password parameter over plain HTTP refused" "$E2E_DIR/ddnsd.log"
check "no log line holds a password given as a parameter" \
	bash -c '! grep -q -e "$1" -e WrongKeyWrongKey "$2"' _ "$KB" "$E2E_DIR/ddnsd.log"

# --- the source address ---------------------------------------------------------
nic "b.example.com:$KB" "hostname=b.example.com"
expect_eq "absent myip: the source address" "$BODY" "good 127.0.0.1"
nic "b.example.com:$KB" "hostname=b.example.com&myip="
expect_eq "empty myip: the source address" "$BODY" "nochg 127.0.0.1"
nic "b.example.com:$KB" "hostname=b.example.com" -H 'X-Forwarded-For: 198.51.100.99'
expect_eq "X-Forwarded-For from an untrusted peer: ignored" "$BODY" "nochg 127.0.0.1"
nic "b.example.com:$KB" "hostname=b.example.com" --interface 127.0.0.2 \
	-H 'X-Forwarded-For: 198.51.100.23'
expect_eq "X-Forwarded-For from a trusted proxy: its client" "$BODY" "good 198.51.100.23"
if [ "$HAVE_V6" = 1 ]; then
	CODE=$(curl -sS -o "$E2E_DIR/body" -w '%{http_code}' -u "b.example.com:$KB" \
		"http://[::1]:$PORT/nic/update?hostname=b.example.com")
	expect_eq "absent myip over IPv6: the v6 source address" "$(cat "$E2E_DIR/body")" "good ::1"
	expect_eq "v6 source: A survives" "$(show b.example.com ipv4)" "198.51.100.23"
	expect_eq "v6 source: AAAA is ::1" "$(show b.example.com ipv6)" "::1"
	expect_eq "checkip over IPv6" "$(curl -sS "http://[::1]:$PORT/nic/checkip")" \
		"<html><head><title>Current IP Check</title></head><body>Current IP Address: ::1</body></html>"
else
	echo "# no IPv6 on loopback: v6 source address not tested"
fi
expect_eq "history: the client is recorded" \
	"$(sql "SELECT client FROM history WHERE name = 'b.example.com' AND new_ip = '198.51.100.23'")" \
	"198.51.100.23"

# --- HTTP/1.0 and POST ----------------------------------------------------------
nic "b.example.com:$KB" "hostname=b.example.com&myip=192.0.2.10" -0
expect_eq "HTTP/1.0: 200" "$CODE" 200
expect_eq "HTTP/1.0: good" "$BODY" "good 192.0.2.10"
check "HTTP/1.0: a length and a close, no chunks" bash -c \
	'grep -qi "^Content-Length: 16" "$1" && grep -qi "^Connection: close" "$1" &&
	 ! grep -qi "^Transfer-Encoding" "$1"' _ "$E2E_DIR/headers"
# A bare HTTP/1.0 request without Host, as the oldest clients send it.
raw10() {
	exec 3<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /nic/update?hostname=b.example.com&myip=192.0.2.12 HTTP/1.0\r\nAuthorization: Basic %s\r\n\r\n' \
		"$(printf '%s' "b.example.com:$KB" | base64 -w0)" >&3
	timeout 10 cat <&3 | tr -d '\r'
	exec 3<&-
}
RAW=$(raw10)
expect_eq "raw HTTP/1.0 without Host: status line" "$(printf '%s\n' "$RAW" | head -n1)" "HTTP/1.1 200 OK"
expect_eq "raw HTTP/1.0 without Host: good" "$(printf '%s\n' "$RAW" | tail -n1)" "good 192.0.2.12"
BODY=$(curl -sS -u "b.example.com:$KB" --data 'hostname=b.example.com&myip=192.0.2.11' \
	"$BASE/nic/update")
expect_eq "POST form: good" "$BODY" "good 192.0.2.11"
CODE=$(curl -sS -o "$E2E_DIR/body" -w '%{http_code}' -X PUT -u "b.example.com:$KB" \
	"$BASE/nic/update?hostname=b.example.com")
expect_eq "PUT: 405" "$CODE" 405
expect_eq "PUT: badagent" "$(cat "$E2E_DIR/body")" "badagent"

# --- wrong keys never tell which names exist --------------------------------------
nic "a.example.com:WrongKeyWrongKeyWrongKey" "hostname=a.example.com&myip=192.0.2.1"
expect_eq "wrong key: badauth" "$BODY" "badauth"
nic "nothere.example.com:WrongKeyWrongKeyWrongKey" "hostname=nothere.example.com&myip=192.0.2.1"
expect_eq "unknown name, wrong key: badauth (not nohost)" "$BODY" "badauth"
nic "a.example.com:$KA" "hostname=b.example.com&myip=192.0.2.1"
expect_eq "credentials of one host used on another: badauth" "$BODY" "badauth"
expect_eq "...and b is untouched" "$(show b.example.com ipv4)" "192.0.2.11"
nic "a.example.com:$KA" "hostname=nothere.example.com&myip=192.0.2.1"
expect_eq "unknown name, caller proven by its user name and key: nohost" "$BODY" "nohost"
nic "someone:$KA" "hostname=nothere.example.com&myip=192.0.2.1"
expect_eq "unknown name, key proves nothing: badauth" "$BODY" "badauth"

# --- notfqdn, numhost, badip, dnserr ------------------------------------------------
nic "a.example.com:$KA" "hostname=localhost&myip=192.0.2.1"
expect_eq "one-label name: notfqdn" "$BODY" "notfqdn"
nic "a.example.com:$KA" "myip=192.0.2.1"
expect_eq "no hostname: notfqdn" "$BODY" "notfqdn"
HOSTS=$(seq -f 'h%g.example.com' -s, 1 21)
nic "a.example.com:$KA" "hostname=$HOSTS&myip=192.0.2.1"
expect_eq "21 names: numhost" "$BODY" "numhost"
nic "a.example.com:$KA" "hostname=a.example.com&myip=192.0.2.300"
expect_eq "bad myip: 400" "$CODE" 400
expect_eq "bad myip: says why" "$BODY" 'badip myip: "192.0.2.300" is not an IPv4 or IPv6 address'
nic "a.example.com:$KA" "hostname=a.example.com&myip=192.0.2.1,192.0.2.2"
expect_eq "two IPv4 in myip: 400" "$CODE" 400
nic "fail.example.com:$KM" "hostname=fail.example.com&myip=192.0.2.1"
expect_eq "provider failure: dnserr" "$BODY" "dnserr"
expect_eq "provider failure: not recorded as applied" "$(show fail.example.com ipv4)" "-"
check "provider failure: in the history" \
	bash -c '"$1" -c "$2" history fail.example.com | grep -q failed' _ "$DDNSCTL" "$CONF"

nic "slow.example.com:$KM" "hostname=slow.example.com&myip=192.0.2.1"
expect_eq "provider timeout: dnserr" "$BODY" "dnserr"
expect_eq "provider timeout: not recorded as applied" "$(show slow.example.com ipv4)" "-"
# a record whose provider is not configured (any more): added with ddnsctl
# on the database alone, while ddnsd runs
"$DDNSCTL" -d "$DB" add orphan.example.com -p gone -k "$KM" >/dev/null
for i in $(seq 1 50); do
	nic "orphan.example.com:$KM" "hostname=orphan.example.com&myip=192.0.2.1"
	[ "$BODY" = "badauth" ] || break # until ddnsd has seen the new row
	sleep 0.1
done
expect_eq "provider not configured: 911" "$BODY" "911"

# --- multi-host with mixed results, in request order ---------------------------------
nic "m1.example.com:$KM" "hostname=m1.example.com,m2.example.com,localhost,fail.example.com,a.example.com,nothere.example.com&myip=198.51.100.1"
expect_eq "mixed multi-host: one line each, in order" "$BODY" \
	"$(printf '%s\n' 'good 198.51.100.1' 'good 198.51.100.1' notfqdn dnserr badauth nohost)"
expect_eq "mixed multi-host: m2 set" "$(show m2.example.com ipv4)" "198.51.100.1"
expect_eq "mixed multi-host: a untouched" "$(show a.example.com ipv4)" "203.0.113.9"
HOSTS=$(seq -f 'h%g.example.com' -s, 1 18)
nic "m1.example.com:$KM" "hostname=m1.example.com,$HOSTS,m2.example.com&myip=198.51.100.2,2001:db8::2"
expect_eq "20 names: 20 lines" "$(printf '%s\n' "$BODY" | wc -l)" 20
expect_eq "20 names: first and last updated dual-stack" \
	"$(printf '%s\n' "$BODY" | sed -n '1p;20p' | tr '\n' ' ')" \
	"good 198.51.100.2,2001:db8::2 good 198.51.100.2,2001:db8::2 "

# --- checkip -----------------------------------------------------------------------
expect_eq "checkip" "$(curl -sS "$BASE/nic/checkip")" \
	"<html><head><title>Current IP Check</title></head><body>Current IP Address: 127.0.0.1</body></html>"
expect_eq "checkip, untrusted X-Forwarded-For ignored" \
	"$(curl -sS -H 'X-Forwarded-For: 203.0.113.200' "$BASE/nic/checkip")" \
	"<html><head><title>Current IP Check</title></head><body>Current IP Address: 127.0.0.1</body></html>"
expect_eq "checkip through a trusted proxy" \
	"$(curl -sS --interface 127.0.0.2 -H 'X-Forwarded-For: 10.1.1.1, 203.0.113.200' "$BASE/nic/checkip")" \
	"<html><head><title>Current IP Check</title></head><body>Current IP Address: 203.0.113.200</body></html>"
expect_eq "checkip over HTTP/1.0" "$(curl -sS -0 "$BASE/nic/checkip" | grep -o 'Current IP Address: [0-9.]*')" \
	"Current IP Address: 127.0.0.1"

# --- the seed's API and dyndns2 leave the same store ---------------------------------
seed() { curl -sS -o /dev/null -w '%{http_code}' --data "key=$KS&ip=$1" "$BASE/dynamicdns/update/s.example.com/"; }
dd2() { nic "d.example.com:$KS" "hostname=d.example.com&myip=$1"; echo "$CODE"; }
for ip in 203.0.113.50 2001:db8::50 203.0.113.51 203.0.113.51 2001:db8::51; do
	expect_eq "seed API update $ip" "$(seed $ip)" 200
	expect_eq "dyndns2 update $ip" "$(dd2 $ip)" 200
done
expect_eq "same record state (addresses, provider, source, LAN)" \
	"$(sql "SELECT provider, ipv4, ipv6, lan_ipv4, lan_ipv6, source, last_change > 0 FROM records WHERE name = 's.example.com'")" \
	"$(sql "SELECT provider, ipv4, ipv6, lan_ipv4, lan_ipv6, source, last_change > 0 FROM records WHERE name = 'd.example.com'")"
expect_eq "same history" \
	"$(sql "SELECT family, old_ip, new_ip, client, result FROM history WHERE name = 's.example.com' ORDER BY id")" \
	"$(sql "SELECT family, old_ip, new_ip, client, result FROM history WHERE name = 'd.example.com' ORDER BY id")"
expect_eq "same ddnsctl show (but name and key)" \
	"$("$DDNSCTL" -c "$CONF" show s.example.com | grep -v -e '^name:' -e '^key hash:' -e '^last')" \
	"$("$DDNSCTL" -c "$CONF" show d.example.com | grep -v -e '^name:' -e '^key hash:' -e '^last')"
expect_eq "and the state is what was sent" "$(show d.example.com ipv4) $(show d.example.com ipv6)" \
	"203.0.113.51 2001:db8::51"

# --- dyndns2_query_credentials = "always" / "never" (SIGHUP) ----------------------
write_conf 1000 60 1000 60 'dyndns2_query_credentials = "always";'
kill -HUP "$E2E_DDNSD_PID"
check "reload to query credentials always" e2e_wait_log "reloaded:" 1
q "$QC&myip=192.0.2.62"
expect_eq "always: password parameter over plain HTTP: good" "$CODE $BODY" "200 good 192.0.2.62"
q "hostname=b.example.com&password=$KB&myip=192.0.2.63"
expect_eq "always: password without username: good" "$BODY" "good 192.0.2.63"
write_conf 1000 60 1000 60 'dyndns2_query_credentials = "never";'
kill -HUP "$E2E_DDNSD_PID"
check "reload to query credentials never" e2e_wait_log "reloaded:" 2
q "$QC&myip=192.0.2.64" --interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.30' \
	-H 'X-Forwarded-Proto: https'
expect_eq "never: refused even over HTTPS" "$CODE $BODY" "401 badauth"
nic "b.example.com:$KB" "hostname=b.example.com&myip=192.0.2.11"
expect_eq "never: Basic still works" "$BODY" "good 192.0.2.11"
check "no log line holds the password" bash -c '! grep -q -e "$1" "$2"' _ "$KB" "$E2E_DIR/ddnsd.log"
write_conf 1000 60 1000 60 'dyndns2_query_credentials = "sometimes";'
check "a bad dyndns2_query_credentials: ddnsd -t says file:line" bash -c \
	'"$1" -t -c "$2" 2>&1 | grep -q "ddns.conf:[0-9]*: dyndns2_query_credentials: \"sometimes\" is not"' \
	_ "$DDNSD" "$CONF"

check "ddnsd stops cleanly" e2e_stop_ddnsd

# --- abuse control: small limits --------------------------------------------------------
# 3 changes of a name per 60 s, then 3 s of abuse; 3 failed authentications
# per source per 60 s, then the source is throttled for 8 s: its wrong keys
# wait 1.5 s and get `abuse`, its right keys are served at once.
write_conf 3 3 3 8 'auth_throttle_delay_ms = 1500;'
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }
for i in 1 2 3; do
	nic "a.example.com:$KA" "hostname=a.example.com&myip=192.0.2.10$i"
	expect_eq "change $i of 3: good" "$BODY" "good 192.0.2.10$i"
done
nic "a.example.com:$KA" "hostname=a.example.com&myip=192.0.2.104"
expect_eq "a 4th change within the window: abuse" "$BODY" "abuse"
expect_eq "abuse: the address is not changed" "$(show a.example.com ipv4)" "192.0.2.103"
nic "a.example.com:$KA" "hostname=a.example.com&myip=192.0.2.103"
expect_eq "abuse: the unchanged address (cron) still gets nochg" "$BODY" "nochg 192.0.2.103"
check "abuse: in the history" \
	bash -c '"$1" -c "$2" history a.example.com | grep -q "192.0.2.104.*abuse"' _ "$DDNSCTL" "$CONF"
for i in $(seq 1 100); do
	nic "a.example.com:$KA" "hostname=a.example.com&myip=192.0.2.104"
	[ "$BODY" = "abuse" ] || break
	sleep 0.1
done
expect_eq "abuse is lifted after the block time" "$BODY" "good 192.0.2.104"
expect_eq "refused changes: one history row for the block, not one per request" \
	"$(sql "SELECT count(*) FROM history WHERE name = 'a.example.com' AND result = 'abuse'")" 1

# a source failing authentication (through the trusted proxy, so it has its own address)
bad() { nic "$1" "hostname=b.example.com&myip=192.0.2.50" --interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.66'; }
for i in 1 2 3; do
	bad "b.example.com:WrongKeyWrongKeyWrongKey"
	expect_eq "failed authentication $i of 3: badauth" "$BODY" "badauth"
done
check "the source is throttled (logged)" e2e_wait_log "198.51.100.66: source throttled"
# The guesser keeps going from the address; the owner shares it (a NAT).
guesser() {
	for g in 1 2 3 4; do
		curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' -u "b.example.com:Guess${g}Guess${g}Guess${g}xx" \
			--interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.66' \
			"$BASE/nic/update?hostname=b.example.com&myip=192.0.2.66" &
	done
	wait
}
guesser >"$E2E_DIR/guesses" &
GUESSER=$!
sleep 0.3 # the guesses are in and held
T0=$(date +%s%N)
bad "b.example.com:$KB"
T1=$(date +%s%N)
expect_eq "the owner, from the throttled address, with the right key: good" "$BODY" "good 192.0.2.50"
check "...at once, not held like the guesses (under 1.5 s)" test $(( (T1 - T0) / 1000000 )) -lt 1500
expect_eq "the owner's update is applied" "$(show b.example.com ipv4)" "192.0.2.50"
wait "$GUESSER"
bad "b.example.com:WrongKeyWrongKeyWrongKey"
expect_eq "a wrong key from the throttled source: abuse" "$BODY" "abuse"
check "every guess was held at least the throttle delay" \
	awk 'NF != 2 || $2 < 1.4 { exit 1 } END { exit NR == 4 ? 0 : 1 }' "$E2E_DIR/guesses"
nic "nothere.example.com:WrongKeyWrongKeyWrongKey" "hostname=nothere.example.com&myip=192.0.2.1" \
	--interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.66'
expect_eq "an unknown name from the throttled source: the same abuse" "$BODY" "abuse"
nic "b.example.com:$KB" "hostname=b.example.com&myip=192.0.2.51"
expect_eq "other sources are not throttled" "$BODY" "good 192.0.2.51"
check "throttled source: in the history with its address" \
	bash -c '"$1" -c "$2" history b.example.com | grep -q "client 198.51.100.66.*abuse"' _ "$DDNSCTL" "$CONF"
for i in $(seq 1 100); do
	bad "b.example.com:WrongKeyWrongKeyWrongKey"
	[ "$BODY" = "abuse" ] || break
	sleep 0.1
done
expect_eq "wrong keys get badauth again after the throttle time" "$BODY" "badauth"
expect_eq "throttled source: one history row for its throttle, not one per request" \
	"$(sql "SELECT count(*) FROM history WHERE client = '198.51.100.66' AND result = 'abuse'")" 1

# a dyndns2 client with a valid key and a dozen stale names (renamed,
# deleted) is not guessing: its nohost answers never throttle its address
stale() { nic "$1" "hostname=b.example.com,$(seq -f 'stale%g.example.com' -s, 1 12)&myip=$2" \
	--interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.77'; }
stale "b.example.com:$KB" 192.0.2.70
expect_eq "valid key and 12 stale names: good, then 12 nohost" "$BODY" \
	"$(printf 'good 192.0.2.70\n'; for i in $(seq 1 12); do echo nohost; done)"
stale "b.example.com:$KB" 192.0.2.70
expect_eq "...and again: the address is not throttled" "$(printf '%s\n' "$BODY" | sort | uniq -c | tr -s ' ')" \
	"$(printf ' 1 nochg 192.0.2.70\n 12 nohost')"
check "...no throttle logged for it" bash -c '! grep -q "198.51.100.77: source throttled" "$1"' _ "$E2E_DIR/ddnsd.log"
nic "b.example.com:WrongKeyWrongKeyWrongKey" "hostname=b.example.com&myip=192.0.2.72" \
	--interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.77'
expect_eq "...a wrong key from it is its first failure: badauth" "$BODY" "badauth"

# the same from 127.0.0.1 itself, no proxy: a guesser throttles the address,
# the owner there updates through both APIs all the same
for i in 1 2 3; do
	nic "m1.example.com:WrongKeyWrongKeyWrongKey" "hostname=m1.example.com&myip=192.0.2.90"
done
expect_eq "127.0.0.1 after 3 wrong keys: throttled, a 4th gets abuse" \
	"$(nic "m1.example.com:WrongKeyWrongKeyWrongKey" "hostname=m1.example.com&myip=192.0.2.90"; echo "$BODY")" "abuse"
nic "m1.example.com:WrongKeyWrongKeyWrongKey" "hostname=m1.example.com&myip=192.0.2.90" &
GUESS=$!
nic "m1.example.com:$KM" "hostname=m1.example.com&myip=192.0.2.91"
expect_eq "owner on 127.0.0.1 while it is throttled: dyndns2 good" "$BODY" "good 192.0.2.91"
CODE=$(curl -sS -o /dev/null -w '%{http_code}' --data "key=$KM&ip=192.0.2.92" "$BASE/dynamicdns/update/m2.example.com/")
expect_eq "owner on 127.0.0.1 while it is throttled: dynamicdns API 200" "$CODE" 200
CODE=$(curl -sS -o /dev/null -w '%{http_code}' --data "key=WrongKeyWrongKeyWrongKey&ip=192.0.2.92" \
	"$BASE/dynamicdns/update/m2.example.com/")
expect_eq "a wrong key there through the dynamicdns API: 429" "$CODE" 429
wait "$GUESS"
authfail() { curl -sS "$BASE/metrics" | sed -n 's/^ddns_auth_failures_total //p'; }
BEFORE=$(authfail)
nic "m1.example.com:WrongKeyWrongKeyWrongKey" "hostname=m1.example.com&myip=192.0.2.90"
expect_eq "a throttled wrong key (abuse) still counts in ddns_auth_failures_total" \
	"$BODY $(authfail)" "abuse $((BEFORE + 1))"
expect_eq "m1 and m2 hold the owner's addresses" "$(show m1.example.com ipv4) $(show m2.example.com ipv4)" \
	"192.0.2.91 192.0.2.92"

check "ddnsd stops cleanly" e2e_stop_ddnsd
e2e_finish
