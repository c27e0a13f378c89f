#!/bin/bash
# A real dyndns2 client against ddnsd: Debian's ddclient (3.10), run once in
# the foreground per step, with protocol=dyndns2 and the records' keys as
# passwords.  Checks the record in ddnsd's store after each run.  Last, over
# native HTTPS (ssl=yes, which needs libio-socket-ssl-perl), with a test CA.
. "$top_srcdir/tests/lib/e2e.sh"
: "${DDNSCTL:?DDNSCTL must point at the ddnsctl binary}"

DDCLIENT=$(e2e_find_tool ddclient ddclient) || exit 1

e2e_init_http
DB=$E2E_DIR/ddns.sqlite
KA=KeyForAaaaaaaaaaaaaaaaaaaaaaaaa1
KB=KeyForBbbbbbbbbbbbbbbbbbbbbbbbb2

write_conf() {
	e2e_conf_base "$@"
	cat <<EOF
auth_fail_delay_ms = 100;
providers = { demo = { plugin = "dummy"; }; };
records = (
  { domain = "a.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KA)"; },
  { domain = "b.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KA)"; },
  { domain = "c.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KB)"; }
);
EOF
}
write_conf >"$CONF"
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }

show() { "$DDNSCTL" -c "$CONF" show "$1" | sed -n "s/^$2: *//p"; }

# ddc CONF_BODY [ARGS...]: write a ddclient.conf and run ddclient once;
# its output in $E2E_DIR/ddclient.out.  The cache is kept between runs, as
# it is between a real ddclient's runs.
ddc() {
	local body=$1
	shift
	printf 'daemon=0\nssl=%s\nprotocol=dyndns2\nserver=127.0.0.1:%s\n%s\n' \
		"${DDC_SSL:-no}" "$PORT" "$body" >"$E2E_DIR/ddclient.conf"
	chmod 600 "$E2E_DIR/ddclient.conf"
	timeout 60 "$DDCLIENT" -daemon=0 -foreground -noquiet -verbose \
		-file "$E2E_DIR/ddclient.conf" -cache "$E2E_DIR/ddclient.cache" "$@" \
		>"$E2E_DIR/ddclient.out" 2>&1
	echo "--- ddclient $* ---"
	grep -E 'SUCCESS|FAILED|WARNING|UPDATE|SENDING: +GET|RECEIVE: +(good|nochg|badauth)' \
		"$E2E_DIR/ddclient.out" | sed 's/^/# /'
}
out_has() { grep -qE "$1" "$E2E_DIR/ddclient.out"; }

# 1. one host, the address given in the config
ddc "use=ip, ip=203.0.113.77
login=a.example.com
password='$KA'
a.example.com"
check "ddclient reports success" out_has 'SUCCESS: +updating a.example.com: good: IP address set to 203.0.113.77'
expect_eq "the record changed in ddnsd" "$(show a.example.com ipv4)" "203.0.113.77"
check "ddclient used GET /nic/update with hostname and myip" \
	out_has 'GET /nic/update\?system=dyndns&hostname=a.example.com&myip=203.0.113.77'
check "ddclient's user agent is in the request" out_has 'User-Agent: ddclient/3'

# 2. the same address again, forced: nochg is success for ddclient
ddc "use=ip, ip=203.0.113.77
login=a.example.com
password='$KA'
a.example.com" -force
check "forced, same address: ddclient sees nochg" out_has 'updating a.example.com: nochg'
check "forced, same address: no FAILED" bash -c '! grep -q FAILED "$1"' _ "$E2E_DIR/ddclient.out"

# 3. two hosts in one request (ddclient groups hosts with one login);
# -force: ddclient's cache would otherwise hold it back for 30 s
ddc "use=ip, ip=198.51.100.5
login=whoever
password='$KA'
a.example.com,b.example.com" -force
check "two hosts: both succeed" bash -c \
	'grep -q "SUCCESS: *updating a.example.com: good" "$1" && grep -q "SUCCESS: *updating b.example.com: good" "$1"' \
	_ "$E2E_DIR/ddclient.out"
check "two hosts: one request" out_has 'hostname=a.example.com,b.example.com&myip=198.51.100.5'
expect_eq "two hosts: a changed" "$(show a.example.com ipv4)" "198.51.100.5"
expect_eq "two hosts: b changed" "$(show b.example.com ipv4)" "198.51.100.5"

# 4. a wrong password: ddclient reports badauth and nothing changes
ddc "use=ip, ip=198.51.100.6
login=c.example.com
password='$KA'
c.example.com"
check "wrong password: ddclient reports badauth" out_has 'FAILED: +updating c.example.com: badauth'
expect_eq "wrong password: c unchanged" "$(show c.example.com ipv4)" "-"

# 5. ddclient learns its address from ddnsd's own /nic/checkip (-force: a
# failed host is otherwise held back for 5 minutes)
ddc "use=web, web=http://127.0.0.1:$PORT/nic/checkip
login=c.example.com
password='$KB'
c.example.com" -force
if out_has 'SUCCESS: +updating c.example.com: good: IP address set to 127.0.0.1'; then
	check "checkip as ddclient's web source: updated to the address ddnsd saw" true
	expect_eq "checkip: c holds 127.0.0.1" "$(show c.example.com ipv4)" "127.0.0.1"
else
	check "checkip as ddclient's web source: updated to the address ddnsd saw" false
fi

# 6. the newer syntax of ddclient 3.10 (usev4=ipv4), and an IPv6 address:
# ddclient 3.10's dyndns2 sends one address per request, and the other
# family must survive it
ddc "usev4=ipv4, ipv4=203.0.113.88
login=a.example.com
password='$KA'
a.example.com" -force
check "usev4=ipv4: success" out_has 'SUCCESS: +updating a.example.com: good: IP address set to 203.0.113.88'
ddc "use=ip, ip=2001:db8::88
login=a.example.com
password='$KA'
a.example.com" -force
check "IPv6 via ddclient: success" out_has 'SUCCESS: +updating a.example.com: good: IP address set to 2001:db8::88'
expect_eq "IPv6 via ddclient: AAAA set" "$(show a.example.com ipv6)" "2001:db8::88"
expect_eq "IPv6 via ddclient: A survives" "$(show a.example.com ipv4)" "203.0.113.88"

check "ddnsd stops cleanly" e2e_stop_ddnsd

# 7. over native HTTPS: ssl=yes, the certificate checked against a test CA
e2e_pki_ca "$E2E_DIR/pki" && e2e_pki_cert "$E2E_DIR/pki" server 0x77 ddnsd-test || exit 1
write_conf "tls_certificate = \"$E2E_DIR/pki/server.pem\"; tls_key = \"$E2E_DIR/pki/server.key\";" >"$CONF"
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }
DDC_SSL=yes ddc "use=ip, ip=203.0.113.99
ssl_ca_file=$E2E_DIR/pki/ca.pem
login=c.example.com
password='$KB'
c.example.com" -force
check "HTTPS: ddclient reports success" \
	out_has 'SUCCESS: +updating c.example.com: good: IP address set to 203.0.113.99'
expect_eq "HTTPS: the record changed in ddnsd" "$(show c.example.com ipv4)" "203.0.113.99"
check "HTTPS: ddclient connected using SSL" out_has "CONNECTED: +using SSL"
check "ddnsd stops cleanly" e2e_stop_ddnsd
e2e_finish
