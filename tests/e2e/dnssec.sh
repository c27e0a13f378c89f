#!/bin/bash
# DNSSEC end to end: builtin_dns with dnssec = true, asked by delv (BIND's
# validator) with a trust anchor made from the zone's DNSKEY: a positive
# answer, NODATA, a name that does not exist (RFC 9824 compact denial),
# the LAN answer, an answer right after an HTTP update, the apex sets;
# kdig +dnssec shows the RRSIGs and the NSEC; ddnsctl dnssec prints the DS
# ddnsd logged; the key survives a restart.  (A signed zone's secondaries:
# signed_secondaries.sh.)
. "$top_srcdir/tests/lib/e2e.sh"

DELV=$(e2e_find_tool delv bind9-dnsutils) || exit 1
KDIG=$(e2e_find_tool kdig knot-dnsutils) || exit 1
e2e_init_http
DNS_PORT=$(e2e_free_udp_port)
ZONE=dyn.example.test
KH=KeyForHomeeeeeeeeeeeeeeeeeeeeeee1
write_conf() {
	{
		e2e_conf_base
		cat <<EOF
providers = {
  dns = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$DNS_PORT" ]; zone = [ "$ZONE" ];
          ns = [ "ns1.$ZONE=127.0.0.1" ]; ttl = 60; dnssec = true; $1 };
};
records = (
  { domain = "home.$ZONE"; provider = "dns"; key_hash = "$(e2e_key_hash "$KH")";
    lan_ip = "10.1.1.1"; }
);
EOF
	} >"$CONF"
}
write_conf ""
check "ddnsd -t accepts dnssec" "$DDNSD" -t -c "$CONF"
e2e_start_ddnsd "$CONF" || exit 1
update() {
	CODE=$(curl -s -o /dev/null -w '%{http_code}' --data "key=$KH&ip=$1" "$BASE/dynamicdns/update/home.$ZONE/")
}
update 192.0.2.7
expect_eq "first address: 200" "$CODE" 200

KEY=$("$KDIG" @127.0.0.1 -p "$DNS_PORT" +short "$ZONE" DNSKEY)
check "the apex has a DNSKEY: a CSK (257), ECDSA P-256 (13)" sh -c "echo '$KEY' | grep -q '^257 3 13 '"
printf 'trust-anchors { %s. static-key %s "%s"; };\n' "$ZONE" "$(echo "$KEY" | cut -d' ' -f1-3)" \
	"$(echo "$KEY" | cut -d' ' -f4- | tr -d ' ')" >"$E2E_DIR/ta.conf"
# delv NAME TYPE [OPTS]: its output; validated answers say "fully validated"
delv() { OUT=$("$DELV" @127.0.0.1 -p "$DNS_PORT" -a "$E2E_DIR/ta.conf" +root="$ZONE" "$@" 2>&1); }
has() { printf '%s\n' "$OUT" | grep -q -- "$1"; }

delv "home.$ZONE" A
check "delv: the address, fully validated" has "; fully validated"
check "... 192.0.2.7" has "192.0.2.7"
delv "home.$ZONE" AAAA
check "delv: NODATA, validated" has "; negative response, fully validated"
delv "nothere.$ZONE" A
check "delv: a name that does not exist, validated" has "; negative response, fully validated"
for t in SOA NS DNSKEY CDS CDNSKEY; do
	delv "$ZONE" "$t"
	check "delv: the apex $t, validated" has "; fully validated"
done

OUT=$("$KDIG" @127.0.0.1 -p "$DNS_PORT" +dnssec "nothere.$ZONE" A 2>&1)
check "kdig: compact denial is NOERROR (RFC 9824)" has "status: NOERROR"
check "... an NSEC at the name, next \\\\000.name, types RRSIG NSEC NXNAME" \
	has "nothere.$ZONE.*NSEC.*\\\\000.nothere.$ZONE. RRSIG NSEC TYPE128"
OUT=$("$KDIG" @127.0.0.1 -p "$DNS_PORT" +dnssec "home.$ZONE" AAAA 2>&1)
check "kdig: NODATA's NSEC has the name's real types" has "NSEC.*\\\\000.home.$ZONE. A RRSIG NSEC"
OUT=$("$KDIG" @127.0.0.1 -p "$DNS_PORT" "home.$ZONE" A 2>&1)
check "without DO: no RRSIG" sh -c "! printf '%s' \"\$0\" | grep -q RRSIG" "$OUT"
OUT=$("$KDIG" @127.0.0.1 -p "$DNS_PORT" +dnssec "nothere.$ZONE" TYPE128 2>&1)
check "a query for NXNAME: FORMERR (RFC 9824 section 3.4)" has "status: FORMERR"

update 192.0.2.8
delv "home.$ZONE" A
check "right after an update: the new address, fully validated" has "192.0.2.8"
check "... validated" has "; fully validated"
# The LAN answer goes to the record's own address: ours, on loopback.
update 127.0.0.1
delv "home.$ZONE" A
check "the LAN answer, validated" has "10.1.1.1"
check "... fully" has "; fully validated"

metric() {
	curl -s "$BASE/metrics" | awk -v m="ddns_$1{provider=\"dns\"}" '$1 == m { print $2 }'
}
MADE=$(metric dns_dnssec_signatures_total)
HITS=$(metric dns_dnssec_signature_cache_hits_total)
check "/metrics: signatures made ($MADE)" test "${MADE:-0}" -gt 0
for i in 1 2 3; do "$KDIG" @127.0.0.1 -p "$DNS_PORT" +dnssec "home.$ZONE" A >/dev/null; done
check "/metrics: the same answer again comes from the cache" \
	test "$(metric dns_dnssec_signature_cache_hits_total)" -ge "$((${HITS:-0} + 3))"
expect_eq "... and makes no signature" "$(metric dns_dnssec_signatures_total)" "$MADE"

DS=$("$DDNSCTL" -c "$CONF" dnssec "$ZONE" | grep " DS ")
check "ddnsctl dnssec prints the DS ddnsd logged" grep -qF "$DS" "$E2E_DIR/ddnsd.log"
TAG=$(grep -o 'key tag [0-9]*' "$E2E_DIR/ddnsd.log" | head -1 | cut -d' ' -f3)
check "... for the key's tag, algorithm 13, SHA-256" sh -c "echo '$DS' | grep -q ' DS $TAG 13 2 '"
KEYDIR=$E2E_DIR/plugins/dns/keys
check "the key is only ddnsd's: the directory 0700" test "$(stat -c %a "$KEYDIR")" = 700
check "... its file 0600" sh -c "stat -c %a '$KEYDIR'/*.pem | grep -qx 600"

check "ddnsd stops" e2e_stop_ddnsd
e2e_start_ddnsd "$CONF" || exit 1
expect_eq "after a restart: the same key" "$("$KDIG" @127.0.0.1 -p "$DNS_PORT" +short "$ZONE" DNSKEY)" "$KEY"
delv "home.$ZONE" A
check "... answers still validate" has "; fully validated"
check "ddnsd stops again" e2e_stop_ddnsd
e2e_finish
