#!/bin/bash
# A second real dyndns2 client: Debian's inadyn (2.10, an HTTP/1.0 client)
# with the "custom" provider section of doc/clients.md, run once (-1) per
# step.  Checks the record in ddnsd's store after each run.
. "$top_srcdir/tests/lib/e2e.sh"
: "${DDNSCTL:?DDNSCTL must point at the ddnsctl binary}"

INADYN=$(e2e_find_tool inadyn inadyn) || exit 1

e2e_init_http
KA=KeyForAaaaaaaaaaaaaaaaaaaaaaaaa1

{
	e2e_conf_base
	cat <<EOF
auth_fail_delay_ms = 100;
providers = { demo = { plugin = "dummy"; }; };
records = (
  { domain = "a.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KA)"; }
);
EOF
} >"$CONF"
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }

show() { "$DDNSCTL" -c "$CONF" show "$1" | sed -n "s/^$2: *//p"; }

# ina PASSWORD ADDRESS [GLOBAL SETTINGS]: run inadyn once with a custom
# provider for a.example.com whose address is ADDRESS; log in inadyn.out.
ina() {
	cat >"$E2E_DIR/inadyn.conf" <<EOF
period = 300
${3:-}
custom ddnsd {
    username        = a.example.com
    password        = $1
    ssl             = false
    ddns-server     = 127.0.0.1:$PORT
    ddns-path       = "/nic/update?hostname=%h&myip=%i"
    checkip-command = "echo $2"
    hostname        = a.example.com
}
EOF
	chmod 600 "$E2E_DIR/inadyn.conf"
	rm -rf "$E2E_DIR/inadyn-cache"
	timeout 60 "$INADYN" -1 --foreground -l debug -f "$E2E_DIR/inadyn.conf" \
		--cache-dir="$E2E_DIR/inadyn-cache" -P "$E2E_DIR/inadyn.pid" >"$E2E_DIR/inadyn.out" 2>&1
	cp "$E2E_DIR/inadyn.out" "$E2E_DIR/inadyn-$2.out"
	echo "--- inadyn $2 ---"
	grep -E 'GET /nic|^(good|nochg|badauth)|Successful|[Ee]rror|[Ff]ail' "$E2E_DIR/inadyn.out" | sed 's/^/# /'
}
out_has() { grep -qE "$1" "$E2E_DIR/inadyn.out"; }

ina "$KA" 203.0.113.99
check "inadyn: speaks HTTP/1.0 with Basic auth" out_has 'GET /nic/update\?hostname=a.example.com&myip=203.0.113.99 HTTP/1.0'
check "inadyn: reports success" out_has 'Successful alias table update for a.example.com => new IP# 203.0.113.99'
expect_eq "inadyn: the record changed in ddnsd" "$(show a.example.com ipv4)" "203.0.113.99"

ina "$KA" 2001:db8::99 "allow-ipv6 = true"
check "inadyn IPv6: sent percent-encoded" out_has "myip=2001%3adb8%3a%3a99 HTTP/1.0"
check "inadyn IPv6: reports success" out_has 'Successful alias table update for a.example.com => new IP# 2001:db8::99'
expect_eq "inadyn IPv6: AAAA set" "$(show a.example.com ipv6)" "2001:db8::99"
expect_eq "inadyn IPv6: A survives" "$(show a.example.com ipv4)" "203.0.113.99"

ina "$KA" 203.0.113.99
check "inadyn, same address: nochg is success" out_has 'Successful alias table update'

ina WrongKeyWrongKeyWrongKey 203.0.113.100
check "inadyn, wrong key: no success" bash -c '! grep -q "Successful alias" "$1"' _ "$E2E_DIR/inadyn.out"
check "inadyn, wrong key: badauth reached it" out_has '^badauth'
expect_eq "inadyn, wrong key: unchanged" "$(show a.example.com ipv4)" "203.0.113.99"

check "ddnsd stops cleanly" e2e_stop_ddnsd
e2e_finish
