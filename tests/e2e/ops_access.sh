#!/bin/bash
# Who may read /metrics and /healthz, end to end with the real ddnsd and curl:
#  - by default loopback only; a client elsewhere (here: one a trusted proxy
#    names in X-Forwarded-For) gets the very 404 of an unknown path, headers
#    and body, even with a body over max_body that the route would refuse
#    with 413;
#  - a trusted proxy that names no client is refused; an X-Forwarded-For
#    from an untrusted peer changes nothing;
#  - http.ops_allow (changed by a reload): listed networks only, [] nobody;
#  - http.ops_listen: the endpoints only there, the update port answers
#    them 404 and the ops port serves nothing else;
#  - bad settings are refused with file:line.
. "$top_srcdir/tests/lib/e2e.sh"

e2e_init_http
OPS_PORT=$(e2e_free_port)
KA=KeyForOpsAccessaaaaaaaaaaaaaaaa1

# write_conf [HTTP SETTINGS]
write_conf() {
	{
		e2e_conf_base "trusted_proxies = [ \"127.0.0.2/32\" ]; max_body = 256;${1:+ $1}"
		cat <<EOF
auth_fail_delay_ms = 10;
providers = { demo = { plugin = "dummy"; }; };
records = ( { domain = "a.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KA)"; } );
EOF
	} >"$CONF"
}

# get URL [CURL ARGS...]: status in $CODE; headers (but Date) and body in
# $E2E_DIR/resp, to compare two answers byte for byte
get() {
	local url=$1
	shift
	CODE=$(curl -sS -D "$E2E_DIR/h" -o "$E2E_DIR/b" -w '%{http_code}' "$@" "$url")
	# HEAD (-I) writes the headers to the body file too: Date goes from both,
	# or two answers a second boundary apart differ.
	{ grep -vi '^Date:' "$E2E_DIR/h"; grep -vi '^Date:' "$E2E_DIR/b"; } >"$E2E_DIR/resp"
}
# same_as_unknown PATH [CURL ARGS...]: the answer for PATH equals the one
# for a path that does not exist, asked the same way
same_as_unknown() {
	local path=$1
	shift
	get "$BASE/no/such/path" "$@"
	cp "$E2E_DIR/resp" "$E2E_DIR/resp.unknown"
	get "$BASE$path" "$@"
	[ "$CODE" = 404 ] && cmp -s "$E2E_DIR/resp" "$E2E_DIR/resp.unknown" ||
		{ echo "# $path: $CODE"; diff "$E2E_DIR/resp.unknown" "$E2E_DIR/resp" | sed "s/^/# /"; false; }
}
VIA_PROXY=(--interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.5')

# --- the defaults: loopback only ------------------------------------------------
write_conf
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }
get "$BASE/metrics"
expect_eq "default: /metrics from 127.0.0.1: 200" "$CODE" 200
check "default: /metrics is the exposition" grep -q '^ddns_' "$E2E_DIR/b"
get "$BASE/healthz"
expect_eq "default: /healthz from 127.0.0.1: ok" "$CODE $(cat "$E2E_DIR/b")" "200 ok"
check "default: /metrics for a client elsewhere is an unknown path (404, same headers and body)" \
	same_as_unknown /metrics "${VIA_PROXY[@]}"
check "default: /healthz for a client elsewhere too" same_as_unknown /healthz "${VIA_PROXY[@]}"
check "default: HEAD /metrics for a client elsewhere too" \
	same_as_unknown /metrics -I "${VIA_PROXY[@]}"
head -c 2000 /dev/zero | tr '\0' x >"$E2E_DIR/big"
check "default: a body over max_body to /metrics: still the unknown path's 404, not 413" \
	same_as_unknown /metrics "${VIA_PROXY[@]}" --data-binary "@$E2E_DIR/big"
check "a trusted proxy naming no client: refused (its loopback address stands for no one)" \
	same_as_unknown /metrics --interface 127.0.0.2
get "$BASE/metrics" --interface 127.0.0.2 -H 'X-Forwarded-For: 127.0.0.1'
expect_eq "a trusted proxy naming a loopback client: 200" "$CODE" 200
CODE=$(curl -sS -o /dev/null -w '%{http_code}' --data "key=$KA&ip=192.0.2.1" \
	"${VIA_PROXY[@]}" "$BASE/dynamicdns/update/a.example.com/")
expect_eq "the update API still serves that client" "$CODE" 200

# --- ops_allow, changed by a reload -----------------------------------------------
write_conf 'ops_allow = [ "198.51.100.0/24", "2001:db8::/32" ];'
kill -HUP "$E2E_DDNSD_PID"
check "reload with ops_allow" e2e_wait_log "reloaded:" 1
get "$BASE/metrics" "${VIA_PROXY[@]}"
expect_eq "ops_allow lists the client's network: 200" "$CODE" 200
check "ops_allow without loopback: 127.0.0.1 gets the unknown path's 404" same_as_unknown /metrics
check "an X-Forwarded-For naming an allowed client from an untrusted peer: ignored" \
	same_as_unknown /metrics -H 'X-Forwarded-For: 198.51.100.5'
check "...also as the right-most of several" \
	same_as_unknown /healthz -H 'X-Forwarded-For: 10.0.0.1, 198.51.100.5'
write_conf 'ops_allow = [ ];'
kill -HUP "$E2E_DDNSD_PID"
check "reload with ops_allow = []" e2e_wait_log "reloaded:" 2
check "ops_allow = []: nobody, not even loopback" same_as_unknown /healthz
check "ops_allow = []: nor the proxied client" same_as_unknown /metrics "${VIA_PROXY[@]}"
check "ddnsd stops cleanly" e2e_stop_ddnsd

# --- ops_listen: the endpoints on their own port ----------------------------------
write_conf "ops_listen = [ \"127.0.0.1:$OPS_PORT\" ];"
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }
e2e_wait_port "$OPS_PORT"
OPS=http://127.0.0.1:$OPS_PORT
get "$OPS/metrics"
expect_eq "ops_listen: /metrics on the ops port: 200" "$CODE" 200
get "$OPS/healthz"
expect_eq "ops_listen: /healthz on the ops port: ok" "$CODE $(cat "$E2E_DIR/b")" "200 ok"
check "ops_listen: /metrics on the update port is an unknown path" same_as_unknown /metrics
check "ops_listen: /healthz on the update port is an unknown path" same_as_unknown /healthz
CODE=$(curl -sS -o /dev/null -w '%{http_code}' --data "key=$KA&ip=192.0.2.2" \
	"$OPS/dynamicdns/update/a.example.com/")
expect_eq "ops_listen: no update API on the ops port" "$CODE" 404
CODE=$(curl -sS -o /dev/null -w '%{http_code}' -u "a.example.com:$KA" \
	"$OPS/nic/update?hostname=a.example.com&myip=192.0.2.2")
expect_eq "ops_listen: no dyndns2 on the ops port" "$CODE" 404
CODE=$(curl -sS -o /dev/null -w '%{http_code}' --data "key=$KA&ip=192.0.2.2" \
	"$BASE/dynamicdns/update/a.example.com/")
expect_eq "ops_listen: updates on the update port" "$CODE" 200
get "$OPS/metrics" --interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.5'
expect_eq "ops_listen: ops_allow applies there too (default loopback)" "$CODE" 404
write_conf "ops_listen = [ \"127.0.0.1:$((OPS_PORT + 1))\" ];"
kill -HUP "$E2E_DDNSD_PID"
check "a changed ops_listen waits for a restart (said)" \
	e2e_wait_log "http.ops_listen changed: takes effect at restart"
check "ddnsd stops cleanly" e2e_stop_ddnsd

# --- bad settings -------------------------------------------------------------------
write_conf 'ops_allow = [ "127.0.0.0/33" ];'
check "a bad ops_allow: ddnsd -t says file:line" bash -c \
	'"$1" -t -c "$2" 2>&1 | grep -q "ddns.conf:1: http.ops_allow.*\"127.0.0.0/33\" is not an address or prefix"' \
	_ "$DDNSD" "$CONF"
write_conf 'ops_listen = [ "localhost" ];'
check "a bad ops_listen: ddnsd -t says file:line" bash -c \
	'"$1" -t -c "$2" 2>&1 | grep -q "ddns.conf:1: http.ops_listen.*\"localhost\" is not \"address:port\""' \
	_ "$DDNSD" "$CONF"

e2e_finish
