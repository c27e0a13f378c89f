#!/bin/bash
# rfc2136.so end to end: curl -> the real ddnsd -> DNS UPDATE with TSIG ->
# a real Knot 3.2 knotd on loopback (Debian package knot); every change is
# checked by asking knotd with kdig.  Then the failures: a wrong TSIG secret,
# a zone knotd does not serve, an update its ACL refuses, and a server that
# is not there (the update's deadline passes).
. "$top_srcdir/tests/lib/e2e.sh"

e2e_init_http
KNOTD=$(e2e_find_tool knotd knot) || exit 77
KDIG=$(e2e_find_tool kdig knot-dnsutils) || exit 1

KD=$E2E_DIR/knot
mkdir -p "$KD/storage" "$KD/run"
DNS_PORT=$(e2e_free_port)
SECRET=$(head -c 32 /dev/urandom | base64)
WRONG=$(head -c 32 /dev/urandom | base64)
cat >"$KD/storage/example.test.zone" <<EOF
\$ORIGIN example.test.
\$TTL 300
@ SOA ns1 hostmaster 1 3600 600 86400 60
@ NS ns1
ns1 A 127.0.0.1
home A 192.0.2.1
noaaaa A 192.0.2.2
EOF
cat >"$KD/knot.conf" <<EOF
server:
  rundir: "$KD/run"
  listen: 127.0.0.1@$DNS_PORT
database:
  storage: "$KD/storage"
log:
  - target: "$KD/knot.log"
    any: info
key:
  - id: ddnsd-key
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: ddnsd_update
    address: 127.0.0.1
    key: ddnsd-key
    action: update
    update-type: [A]
zone:
  - domain: example.test
    storage: "$KD/storage"
    file: example.test.zone
    acl: ddnsd_update
    zonefile-sync: -1
    zonefile-load: difference-no-serial
    journal-content: all
EOF
"$KNOTD" -c "$KD/knot.conf" >"$KD/knotd.out" 2>&1 &
KNOT_PID=$!
trap 'kill $KNOT_PID 2>/dev/null; wait $KNOT_PID 2>/dev/null; e2e_cleanup' EXIT
for _ in $(seq 1 50); do
	"$KDIG" @127.0.0.1 -p "$DNS_PORT" +short +time=1 +retry=0 example.test SOA 2>/dev/null | grep -q hostmaster && break
	sleep 0.2
done
check "knotd answers for example.test" sh -c "'$KDIG' @127.0.0.1 -p $DNS_PORT +short example.test SOA | grep -q hostmaster"

# ask NAME TYPE: what knotd serves now
ask() { "$KDIG" @127.0.0.1 -p "$DNS_PORT" +short +time=2 +retry=1 "$1" "$2" | sort | tr '\n' ' ' | sed 's/ $//'; }
update() {
	CODE=$(curl -s -o "$E2E_DIR/body" -w '%{http_code}' --max-time 30 \
		--data "key=$2&ip=$3" "$BASE/dynamicdns/update/$1/")
}
key() { printf 'Key%047d' "$1"; }
DOWN_PORT=$(e2e_free_port)
# A server that takes the datagrams and never answers.
SILENT_PORT=$(e2e_free_port)
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(120)' "$SILENT_PORT" &
SILENT_PID=$!
trap 'kill $KNOT_PID $SILENT_PID 2>/dev/null; wait $KNOT_PID 2>/dev/null; e2e_cleanup' EXIT

{
	e2e_conf_base
	cat <<EOF
update_timeout_ms = 4000;
auth_fail_delay_ms = 100;
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = {
  knot = { plugin = "rfc2136"; server = "127.0.0.1:$DNS_PORT"; zone = "example.test";
           tsig_key_name = "ddnsd-key"; tsig_secret = "$SECRET"; ttl = 60; };
  knot_wrongkey = { plugin = "rfc2136"; server = "127.0.0.1:$DNS_PORT"; zone = "example.test";
           tsig_key_name = "ddnsd-key"; tsig_secret = "$WRONG"; };
  knot_wrongzone = { plugin = "rfc2136"; server = "127.0.0.1:$DNS_PORT"; zone = "other.test";
           tsig_key_name = "ddnsd-key"; tsig_secret = "$SECRET"; };
  down = { plugin = "rfc2136"; server = "127.0.0.1:$DOWN_PORT"; zone = "example.test";
           tsig_key_name = "ddnsd-key"; tsig_secret = "$SECRET"; };
  silent = { plugin = "rfc2136"; server = "127.0.0.1:$SILENT_PORT";
           tsig_key_name = "ddnsd-key"; tsig_secret = "$SECRET"; };
  knot_auto = { plugin = "rfc2136"; server = "127.0.0.1:$DNS_PORT";
           tsig_key_name = "ddnsd-key"; tsig_secret = "$SECRET"; };
};
records = (
  { domain = "home.example.test"; provider = "knot"; key_hash = "$(e2e_key_hash "$(key 1)")"; },
  { domain = "bad.example.test"; provider = "knot_wrongkey"; key_hash = "$(e2e_key_hash "$(key 2)")"; },
  { domain = "home.other.test"; provider = "knot_wrongzone"; key_hash = "$(e2e_key_hash "$(key 3)")"; },
  { domain = "noaaaa.example.test"; provider = "knot"; key_hash = "$(e2e_key_hash "$(key 4)")"; },
  { domain = "gone.example.test"; provider = "down"; key_hash = "$(e2e_key_hash "$(key 5)")"; },
  { domain = "quiet.example.test"; provider = "silent"; key_hash = "$(e2e_key_hash "$(key 6)")"; },
  { domain = "auto.example.test"; provider = "knot_auto"; key_hash = "$(e2e_key_hash "$(key 7)")"; },
  { domain = "auto.nowhere.test"; provider = "knot_auto"; key_hash = "$(e2e_key_hash "$(key 8)")"; }
);
EOF
} >"$CONF"
check "ddnsd -t accepts the rfc2136 configuration" "$DDNSD" -t -c "$CONF"
e2e_start_ddnsd "$CONF" || exit 1

update home.example.test "$(key 1)" 203.0.113.7
expect_eq "knot: 200" "$CODE" 200
expect_eq "knot serves the new A" "$(ask home.example.test A)" 203.0.113.7
expect_eq "knot: the TTL is the configured one" \
	"$("$KDIG" @127.0.0.1 -p "$DNS_PORT" +noall +answer home.example.test A | awk '{print $2}')" 60
update home.example.test "$(key 1)" 203.0.113.8
expect_eq "knot, second change: 200" "$CODE" 200
expect_eq "knot: the old A is gone, the new one alone" "$(ask home.example.test A)" 203.0.113.8

update bad.example.test "$(key 2)" 203.0.113.9
expect_eq "wrong TSIG secret: 502" "$CODE" 502
check "wrong TSIG secret: the client is told NOTAUTH/BADSIG" grep -q "BADSIG" "$E2E_DIR/body"
expect_eq "wrong TSIG secret: knot has no record" "$(ask bad.example.test A)" ""

update home.other.test "$(key 3)" 203.0.113.10
expect_eq "a zone knot does not serve: 502" "$CODE" 502
check "... saying NOTAUTH" grep -q "NOTAUTH" "$E2E_DIR/body"

# The ACL allows A only: Knot refuses an AAAA with NOTAUTH/BADKEY.
update noaaaa.example.test "$(key 4)" 2001:db8::4
expect_eq "an update the ACL refuses: 502" "$CODE" 502
check "... saying the key is unknown or not permitted" grep -q "not permitted" "$E2E_DIR/body"
expect_eq "... and knot has no AAAA" "$(ask noaaaa.example.test AAAA)" ""
expect_eq "... and the A is untouched" "$(ask noaaaa.example.test A)" 192.0.2.2
check "ddnsd still keeps the old address in its store" sh -c "'$DDNSCTL' -c '$CONF' list 2>/dev/null | grep noaaaa | grep -vq 2001:db8::4"

# Nothing listens on DOWN_PORT: the kernel says so (ICMP) or the deadline passes.
update gone.example.test "$(key 5)" 203.0.113.11
check "server down: 502 or 504 ($CODE)" sh -c "[ $CODE = 502 ] || [ $CODE = 504 ]"
check "... with the server named" grep -q "127.0.0.1:$DOWN_PORT" "$E2E_DIR/body"

# A server that never answers: the SOA query (no zone configured) is sent
# again until the update's deadline (4 s), then the client hears 504.
update quiet.example.test "$(key 6)" 203.0.113.13
expect_eq "silent server: 504" "$CODE" 504
check "... the query was sent again by timer meanwhile" \
	grep -q "no answer from 127.0.0.1:$SILENT_PORT yet: SOA query sent again" "$E2E_DIR/ddnsd.log"

# No zone configured: the zone is asked with a signed SOA query (auto is a
# new name: NXDOMAIN with the zone's SOA in the authority section).
update auto.example.test "$(key 7)" 203.0.113.14
expect_eq "zone discovered: 200" "$CODE" 200
expect_eq "... and knot serves the A" "$(ask auto.example.test A)" 203.0.113.14
check "... ddnsd logged the zone it found" grep -q "auto.example.test: in zone example.test" "$E2E_DIR/ddnsd.log"
update auto.example.test "$(key 7)" 203.0.113.15
expect_eq "zone remembered: 200" "$CODE" 200
expect_eq "... and knot serves the change" "$(ask auto.example.test A)" 203.0.113.15
expect_eq "... after a single zone lookup" "$(grep -c 'auto.example.test: in zone' "$E2E_DIR/ddnsd.log")" 1
update auto.nowhere.test "$(key 8)" 203.0.113.16
expect_eq "a name in no zone of the server: 502" "$CODE" 502
check "... saying the zone could not be found" grep -q "finding the zone of auto.nowhere.test" "$E2E_DIR/body"

update home.example.test "$(key 1)" 203.0.113.12
expect_eq "after the failures, ddnsd and knot still take a change" "$CODE" 200
expect_eq "... and knot serves it" "$(ask home.example.test A)" 203.0.113.12
e2e_stop_ddnsd
e2e_finish
