#!/bin/bash
# rfc2136.so end to end against a real BIND 9.18 named (Debian bind9) on
# loopback, with the update-policy of doc/providers.md: curl -> ddnsd ->
# DNS UPDATE with TSIG -> named, every change checked with dig.  The zone
# is found by an SOA query for one provider and configured for another;
# then BIND's failures: a wrong TSIG secret (NOTAUTH/BADSIG), a key whose
# update-policy does not cover the name (REFUSED), a zone named does not
# serve (NOTAUTH).
. "$top_srcdir/tests/lib/e2e.sh"

e2e_init_http
NAMED=$(e2e_find_tool named bind9) || exit 77
DIG=$(e2e_find_tool dig bind9-dnsutils) || exit 1

BD=$E2E_DIR/bind
mkdir -p "$BD"
DNS_PORT=$(e2e_free_port)
SECRET=$(head -c 32 /dev/urandom | base64)
LIMITED=$(head -c 32 /dev/urandom | base64)
WRONG=$(head -c 32 /dev/urandom | base64)
cat >"$BD/example.test.zone" <<EOF
\$ORIGIN example.test.
\$TTL 300
@ SOA ns1 hostmaster 1 3600 600 86400 60
@ NS ns1
ns1 A 127.0.0.1
home A 192.0.2.1
EOF
cat >"$BD/named.conf" <<EOF
key "ddnsd-key" { algorithm hmac-sha256; secret "$SECRET"; };
key "limited-key" { algorithm hmac-sha256; secret "$LIMITED"; };
options {
	directory "$BD";
	listen-on port $DNS_PORT { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file none;
	recursion no;
	dnssec-validation no;
};
zone "example.test" {
	type primary;
	file "$BD/example.test.zone";
	update-policy {
		grant ddnsd-key zonesub A AAAA TXT;
		grant limited-key name only.example.test A;
	};
};
EOF
# named writes its journal (.jnl) next to the zone: as root it runs as the
# bind user, who must own the folder.
USER_OPT=
if [ "$(id -u)" = 0 ] && id bind >/dev/null 2>&1; then
	chown -R bind "$BD"
	chmod 755 "$E2E_DIR"
	USER_OPT="-u bind"
fi
"$NAMED" -g $USER_OPT -c "$BD/named.conf" >"$BD/named.out" 2>&1 &
NAMED_PID=$!
trap 'kill $NAMED_PID 2>/dev/null; wait $NAMED_PID 2>/dev/null; e2e_cleanup' EXIT
for _ in $(seq 1 50); do
	"$DIG" @127.0.0.1 -p "$DNS_PORT" +short +time=1 +tries=1 example.test SOA 2>/dev/null | grep -q hostmaster && break
	sleep 0.2
done
if ! check "named answers for example.test" \
	sh -c "'$DIG' @127.0.0.1 -p $DNS_PORT +short example.test SOA | grep -q hostmaster"; then
	tail -20 "$BD/named.out" >&2
	e2e_finish
fi

# ask NAME TYPE: what named serves now
ask() { "$DIG" @127.0.0.1 -p "$DNS_PORT" +short +time=2 +tries=2 "$1" "$2" | sort | tr '\n' ' ' | sed 's/ $//'; }
update() {
	CODE=$(curl -s -o "$E2E_DIR/body" -w '%{http_code}' --max-time 30 \
		--data "key=$2&ip=$3" "$BASE/dynamicdns/update/$1/")
}
key() { printf 'Key%047d' "$1"; }

{
	e2e_conf_base
	cat <<EOF
update_timeout_ms = 4000;
auth_fail_delay_ms = 100;
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = {
  bind = { plugin = "rfc2136"; server = "127.0.0.1:$DNS_PORT";
           tsig_key_name = "ddnsd-key"; tsig_secret = "$SECRET"; ttl = 120; };
  bind_zone = { plugin = "rfc2136"; server = "127.0.0.1:$DNS_PORT"; zone = "example.test";
           tsig_key_name = "ddnsd-key"; tsig_secret = "$SECRET"; };
  bind_wrongkey = { plugin = "rfc2136"; server = "127.0.0.1:$DNS_PORT"; zone = "example.test";
           tsig_key_name = "ddnsd-key"; tsig_secret = "$WRONG"; };
  bind_limited = { plugin = "rfc2136"; server = "127.0.0.1:$DNS_PORT"; zone = "example.test";
           tsig_key_name = "limited-key"; tsig_secret = "$LIMITED"; };
  bind_wrongzone = { plugin = "rfc2136"; server = "127.0.0.1:$DNS_PORT"; zone = "other.test";
           tsig_key_name = "ddnsd-key"; tsig_secret = "$SECRET"; };
};
records = (
  { domain = "home.example.test"; provider = "bind"; key_hash = "$(e2e_key_hash "$(key 1)")"; },
  { domain = "nas.example.test"; provider = "bind_zone"; key_hash = "$(e2e_key_hash "$(key 2)")"; },
  { domain = "bad.example.test"; provider = "bind_wrongkey"; key_hash = "$(e2e_key_hash "$(key 3)")"; },
  { domain = "only.example.test"; provider = "bind_limited"; key_hash = "$(e2e_key_hash "$(key 4)")"; },
  { domain = "notmine.example.test"; provider = "bind_limited"; key_hash = "$(e2e_key_hash "$(key 5)")"; },
  { domain = "home.other.test"; provider = "bind_wrongzone"; key_hash = "$(e2e_key_hash "$(key 6)")"; }
);
EOF
} >"$CONF"
check "ddnsd -t accepts the configuration" "$DDNSD" -t -c "$CONF"
e2e_start_ddnsd "$CONF" || exit 1

SERIAL0=$("$DIG" @127.0.0.1 -p "$DNS_PORT" +short example.test SOA | awk '{print $3}')
update home.example.test "$(key 1)" 203.0.113.7
expect_eq "bind, zone found by SOA query: 200" "$CODE" 200
expect_eq "named serves the new A" "$(ask home.example.test A)" 203.0.113.7
expect_eq "... with the configured TTL" \
	"$("$DIG" @127.0.0.1 -p "$DNS_PORT" +noall +answer home.example.test A | awk '{print $2}')" 120
check "named raised the serial itself" \
	test "$("$DIG" @127.0.0.1 -p "$DNS_PORT" +short example.test SOA | awk '{print $3}')" -gt "$SERIAL0"
update home.example.test "$(key 1)" 2001:db8::7
expect_eq "bind, IPv6: 200" "$CODE" 200
expect_eq "named serves the AAAA" "$(ask home.example.test AAAA)" 2001:db8::7
expect_eq "... and the A is untouched" "$(ask home.example.test A)" 203.0.113.7

update nas.example.test "$(key 2)" 203.0.113.8
expect_eq "bind, zone configured, a new name: 200" "$CODE" 200
expect_eq "named serves it" "$(ask nas.example.test A)" 203.0.113.8
update nas.example.test "$(key 2)" 203.0.113.9
expect_eq "bind, second change: 200" "$CODE" 200
expect_eq "the old A is gone, the new one alone" "$(ask nas.example.test A)" 203.0.113.9

update bad.example.test "$(key 3)" 203.0.113.10
expect_eq "wrong TSIG secret: 502" "$CODE" 502
check "... the client is told NOTAUTH/BADSIG" grep -q "BADSIG" "$E2E_DIR/body"
expect_eq "... named has no record" "$(ask bad.example.test A)" ""

update only.example.test "$(key 4)" 203.0.113.11
expect_eq "limited key, its own name: 200" "$CODE" 200
expect_eq "named serves it" "$(ask only.example.test A)" 203.0.113.11
update notmine.example.test "$(key 5)" 203.0.113.12
expect_eq "limited key, another name: 502" "$CODE" 502
check "... saying REFUSED by the update policy" grep -q "REFUSED" "$E2E_DIR/body"
expect_eq "... named has no record" "$(ask notmine.example.test A)" ""

update home.other.test "$(key 6)" 203.0.113.13
expect_eq "a zone named does not serve: 502" "$CODE" 502
check "... saying NOTAUTH" grep -q "NOTAUTH" "$E2E_DIR/body"

update home.example.test "$(key 1)" 203.0.113.14
expect_eq "after the failures, named still takes a change" "$CODE" 200
expect_eq "... and serves it" "$(ask home.example.test A)" 203.0.113.14
e2e_stop_ddnsd
e2e_finish
