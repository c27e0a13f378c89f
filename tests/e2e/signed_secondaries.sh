#!/bin/bash
# DNSSEC with secondaries: builtin_dns signs the zone a real Knot 3.2
# secondary transfers (RRSIGs, DNSKEY/CDS/CDNSKEY, an NSEC3 chain per
# RFC 9276), and keeps it signed through IXFR.  After each transfer
# BIND's dnssec-verify checks the zone file knotd wrote (every RRset
# signed, the NSEC3 chain whole), and delv, trusting the zone's key,
# validates answers *from knotd*: an address, NODATA, a name that does not
# exist (NSEC3).  The run: the first transfer; an HTTP update (an IXFR of
# one RRset, its RRSIG and the SOA's); an ACME TXT name coming and going
# (the chain gains and loses a name, by IXFR); a key rollover (the whole
# zone again at each step); a restart.
. "$top_srcdir/tests/lib/e2e.sh"

KNOTD=$(e2e_find_tool knotd knot) || exit 1
KDIG=$(e2e_find_tool kdig knot-dnsutils) || exit 1
DELV=$(e2e_find_tool delv bind9-dnsutils) || exit 1
VERIFY=$(e2e_find_tool dnssec-verify bind9-utils) || exit 1
e2e_init_http
DNS_PORT=$(e2e_free_udp_port)
KNOT_PORT=$(e2e_free_udp_port)
while [ "$KNOT_PORT" = "$DNS_PORT" ]; do KNOT_PORT=$(e2e_free_udp_port); done
ZONE=dyn.example.test
KH=KeyForHomeeeeeeeeeeeeeeeeeeeeeee1
KW=KeyForWwwwwwwwwwwwwwwwwwwwwwwwww2
SECRET=$(head -c 32 /dev/urandom | base64)
{
	e2e_conf_base
	cat <<EOF
providers = {
  dns = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$DNS_PORT" ]; zone = [ "$ZONE" ];
          ns = [ "ns1.$ZONE=127.0.0.1" ]; ttl = 2; ns_ttl = 2; soa_minimum = 1;
          tsig_keys = [ "ddnsd-key:$SECRET" ];
          secondaries = [ "127.0.0.1:$KNOT_PORT ddnsd-key" ];
          dnssec = true; dnssec_ds_ttl = 1; dnssec_propagation_s = 1; };
};
records = (
  { domain = "home.$ZONE"; provider = "dns"; key_hash = "$(e2e_key_hash "$KH")"; },
  { domain = "www.$ZONE"; provider = "dns"; key_hash = "$(e2e_key_hash "$KW")"; }
);
EOF
} >"$CONF"
e2e_start_ddnsd "$CONF" || exit 1
update() {
	CODE=$(curl -s -o /dev/null -w '%{http_code}' --data "key=$2&ip=$3" "$BASE/dynamicdns/update/$1/")
}
update "home.$ZONE" "$KH" 203.0.113.1
expect_eq "home: 200" "$CODE" 200
update "www.$ZONE" "$KW" 203.0.113.80
expect_eq "www: 200" "$CODE" 200

KD=$E2E_DIR/knot
mkdir -p "$KD"
{
	e2e_knot_conf_head "$KD" "$KNOT_PORT"
	e2e_knot_secondary_zone "$KD" "$SECRET" "$DNS_PORT" "$ZONE" "file: \"$ZONE.zone\"" \
		"zonefile-sync: 0"
} >"$KD/knot.conf"
"$KNOTD" -c "$KD/knot.conf" >"$KD/knotd.out" 2>&1 &
E2E_EXTRA_PIDS="$!"

soa_of() { "$KDIG" @127.0.0.1 -p "$1" +short "$ZONE" SOA | awk '{ print $3 }'; }
serial_is() { [ "$(soa_of "$KNOT_PORT")" = "$(soa_of "$DNS_PORT")" ]; }
# The zone file knotd wrote has ddnsd's serial (knotd writes it at once).
file_is_current() {
	[ -s "$KD/$ZONE.zone" ] &&
		awk -v s="$(soa_of "$DNS_PORT")" '$3 == "SOA" && $6 == s { f = 1 } END { exit !f }' "$KD/$ZONE.zone"
}
verify_file() { "$VERIFY" -z -q -o "$ZONE" "$KD/$ZONE.zone" >"$E2E_DIR/verify.out" 2>&1; }
# at STEP: knotd is current, its file verifies, delv validates from it
at() {
	check "$1: knotd has ddnsd's serial" e2e_until 60 serial_is
	check "$1: knotd wrote it" e2e_until 60 file_is_current
	check "$1: dnssec-verify: the zone knotd holds is fully signed, its NSEC3 chain whole" verify_file
	[ -s "$E2E_DIR/verify.out" ] && sed 's/^/# /' "$E2E_DIR/verify.out" | head -5
	anchor
	check "$1: delv at knotd: the address, fully validated" delv_ok "home.$ZONE" A "fully validated"
	check "$1: ... NODATA, validated" delv_ok "home.$ZONE" AAAA "negative response, fully validated"
	check "$1: ... a name that does not exist (NSEC3), validated" \
		delv_ok "nothere.$ZONE" A "negative response, fully validated"
}
# A trust anchor from every published key (ddnsd's own answer).
anchor() {
	"$KDIG" @127.0.0.1 -p "$DNS_PORT" +short "$ZONE" DNSKEY | awk -v z="$ZONE" \
		'BEGIN { printf "trust-anchors {\n" } { k = ""; for (i = 4; i <= NF; i++) k = k $i;
		 printf "  %s. static-key %s %s %s \"%s\";\n", z, $1, $2, $3, k } END { print "};" }' \
		>"$E2E_DIR/ta.conf"
}
delv_ok() { # NAME TYPE WHAT
	"$DELV" @127.0.0.1 -p "$KNOT_PORT" -a "$E2E_DIR/ta.conf" +root="$ZONE" "$1" "$2" 2>&1 |
		grep -q "^; $3"
}
metric() {
	curl -s "$BASE/metrics" | awk -v m="ddns_$1{provider=\"dns\"}" '$1 == m { print $2 }'
}

at "first transfer"
OUT=$("$KDIG" @127.0.0.1 -p "$KNOT_PORT" +dnssec "nothere.$ZONE" A 2>&1)
check "knotd denies with NSEC3 (NXDOMAIN)" sh -c "echo '$OUT' | grep -q 'status: NXDOMAIN' && echo '$OUT' | grep -q NSEC3"
check "... NSEC3PARAM at the apex: SHA-1, no salt, 0 iterations" \
	sh -c "'$KDIG' @127.0.0.1 -p $KNOT_PORT +short $ZONE NSEC3PARAM | grep -qx '1 0 0 -'"
OUT=$("$KDIG" @127.0.0.1 -p "$DNS_PORT" +dnssec "nothere.$ZONE" A 2>&1)
check "ddnsd itself still denies compactly (NSEC, NOERROR)" sh -c "echo '$OUT' | grep -q 'status: NOERROR'"

IXFR0=$(metric dns_ixfr_total)
WHOLE0=$(metric dns_ixfr_whole_total)
update "home.$ZONE" "$KH" 203.0.113.2
expect_eq "an update: 200" "$CODE" 200
at "after an update"
check "knotd serves the new address" sh -c "'$KDIG' @127.0.0.1 -p $KNOT_PORT +short home.$ZONE A | grep -qx 203.0.113.2"
check "... it came by IXFR" test "$(metric dns_ixfr_total)" -gt "${IXFR0:-0}"
expect_eq "... not the whole zone" "$(metric dns_ixfr_whole_total)" "${WHOLE0:-0}"

# An ACME TXT name: the NSEC3 chain gains a name, then loses it.
T1=LPsIwTo7o8BoG0-vjCyGQGBWSVIPxI-i_X336eUOQZo
CODE=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/update" -H "X-Api-User: home.$ZONE" \
	-H "X-Api-Key: $KH" -H 'Content-Type: application/json' \
	--data "{\"subdomain\":\"home.$ZONE\",\"txt\":\"$T1\"}")
expect_eq "an ACME TXT value: 200" "$CODE" 200
at "a new name (TXT)"
check "knotd serves the TXT" sh -c "'$KDIG' @127.0.0.1 -p $KNOT_PORT +short _acme-challenge.home.$ZONE TXT | grep -q $T1"
anchor
check "... validated" delv_ok "_acme-challenge.home.$ZONE" TXT "fully validated"
expect_eq "... by IXFR still" "$(metric dns_ixfr_whole_total)" "${WHOLE0:-0}"

# A key rollover: each step changes the keys, and the whole zone is sent.
"$DDNSCTL" -c "$CONF" dnssec "$ZONE" roll >/dev/null
check "rollover: started" e2e_wait_log "rollover started"
at "rollover, publish"
check "... knotd has both keys" sh -c "[ \$('$KDIG' @127.0.0.1 -p $KNOT_PORT +short $ZONE DNSKEY | wc -l) = 2 ]"
check "rollover: the new key signs" e2e_wait_log "the new key signs now"
at "rollover, submit"
"$DDNSCTL" -c "$CONF" dnssec "$ZONE" ds-seen >/dev/null
check "rollover: done" e2e_wait_log "rollover done"
at "rollover, done"
check "... knotd has the new key alone" sh -c "[ \$('$KDIG' @127.0.0.1 -p $KNOT_PORT +short $ZONE DNSKEY | wc -l) = 1 ]"

S1=$(soa_of "$DNS_PORT")
check "ddnsd stops" e2e_stop_ddnsd
e2e_start_ddnsd "$CONF" || exit 1
check "after a restart: the serial rises (the signatures start afresh)" \
	test "$(soa_of "$DNS_PORT")" -gt "$S1"
at "after a restart"
check "ddnsd stops at the end" e2e_stop_ddnsd
e2e_finish
