#!/bin/bash
# RFC 2136 UPDATE of ACME TXT records to builtin_dns, driven with knsupdate
# over TCP and over UDP (handed from the UDP worker thread to the loop),
# checked with dig: add, remove one, clear; and the refusals:
# another record's challenge, a non-TXT type, a name that is no challenge,
# a wrong secret, an unknown key, no key, an 11th value, prerequisites, a
# zone not served.  (certbot's real run is in acme_pebble.sh.)
. "$top_srcdir/tests/lib/e2e.sh"

KNSUPDATE=$(e2e_find_tool knsupdate knot-dnsutils) || exit 1
e2e_init_http
DNS_PORT=$(e2e_free_udp_port)
SECRET=$(head -c 32 /dev/urandom | base64)
OTHER=$(head -c 32 /dev/urandom | base64)
ZONE=dyn.example.com
{
	e2e_conf_base
	cat <<EOF
providers = {
  dns = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$DNS_PORT" ]; zone = "$ZONE";
          tsig_keys = [ "hmac-sha256:nas-key:$SECRET", "hmac-sha256:lab-key:$OTHER" ];
          update_keys = [ "nas-key nas.$ZONE", "lab-key lab.$ZONE" ]; };
};
records = (
  { domain = "nas.$ZONE"; provider = "dns"; key_hash = "$(e2e_key_hash KeyForNasssssssssssssssssssssssss1)"; },
  { domain = "lab.$ZONE"; provider = "dns"; key_hash = "$(e2e_key_hash KeyForLabbbbbbbbbbbbbbbbbbbbbbbbb2)"; }
);
EOF
} >"$CONF"
check "ddnsd -t accepts update_keys" "$DDNSD" -t -c "$CONF"
e2e_start_ddnsd "$CONF" || exit 1

# upd KEY SECRET LINES...: one UPDATE over TCP; RC and OUT set
upd() {
	local key=$1 secret=$2
	shift 2
	{
		echo "server 127.0.0.1 $DNS_PORT"
		echo "zone ${ZONE_OVERRIDE:-$ZONE}."
		[ -n "$key" ] && echo "key hmac-sha256:$key $secret"
		printf '%s\n' "$@"
		echo send
		echo answer
	} >"$E2E_DIR/upd.in"
	OUT=$("$KNSUPDATE" ${UDP:--v} -t 30 -r 0 "$E2E_DIR/upd.in" 2>&1)
	RC=$?
}
status() { printf '%s\n' "$OUT" | sed -n 's/.*status: \([A-Z]*\).*/\1/p; s/.*error .\([A-Z]*\).*/\1/p' | head -1; }
txt() { dig @127.0.0.1 -p "$DNS_PORT" +short TXT "_acme-challenge.$1.$ZONE" | tr -d '"' | sort | tr '\n' ' ' | sed 's/ $//'; }
A=_acme-challenge.nas.$ZONE.

upd nas-key "$SECRET" "update add $A 60 TXT token-one" "update add $A 60 TXT token-two"
expect_eq "two values in one UPDATE: NOERROR" "$(status)" NOERROR
expect_eq "... both served" "$(txt nas)" "token-one token-two"
upd nas-key "$SECRET" "update delete $A TXT token-one"
expect_eq "delete one value (class NONE): NOERROR" "$(status)" NOERROR
expect_eq "... the other stays" "$(txt nas)" "token-two"
upd nas-key "$SECRET" "update delete $A TXT"
expect_eq "delete the set (class ANY): NOERROR" "$(status)" NOERROR
expect_eq "... nothing left" "$(txt nas)" ""

upd nas-key "$SECRET" "update add _acme-challenge.lab.$ZONE. 60 TXT stolen"
expect_eq "nas's key for lab's challenge: REFUSED" "$(status)" REFUSED
expect_eq "... lab has no TXT" "$(txt lab)" ""
upd nas-key "$SECRET" "update add $A 60 A 192.0.2.1"
expect_eq "an A record at the challenge name: REFUSED" "$(status)" REFUSED
upd nas-key "$SECRET" "update add nas.$ZONE. 60 TXT not-a-challenge"
expect_eq "TXT at the record's own name: REFUSED" "$(status)" REFUSED
upd nas-key "$OTHER" "update add $A 60 TXT forged"
expect_eq "a wrong secret: BADSIG" "$(status)" BADSIG
upd who-key "$SECRET" "update add $A 60 TXT forged"
expect_eq "an unknown key: BADKEY" "$(status)" BADKEY
upd "" "" "update add $A 60 TXT forged"
expect_eq "no key: REFUSED" "$(status)" REFUSED
expect_eq "... none of those was served" "$(txt nas)" ""
upd nas-key "$SECRET" "prereq nxrrset $A TXT" "update add $A 60 TXT token"
expect_eq "prerequisites: NOTIMPL" "$(status)" NOTIMPL
ZONE_OVERRIDE=other.example upd nas-key "$SECRET" "update add _acme-challenge.nas.other.example. 60 TXT x"
expect_eq "a zone not served: NOTAUTH" "$(status)" NOTAUTH
upd nas-key "$SECRET" "update add _acme-challenge.nas.example.org. 60 TXT x"
expect_eq "a name outside the zone: NOTZONE" "$(status)" NOTZONE

# Over UDP: a worker thread reads it, the loop applies it, the reply goes
# back from the same socket.
UDP=" " upd nas-key "$SECRET" "update add $A 60 TXT over-udp"
expect_eq "UDP: add: NOERROR" "$(status)" NOERROR
expect_eq "... served" "$(txt nas)" "over-udp"
UDP=" " upd nas-key "$OTHER" "update add $A 60 TXT forged"
expect_eq "UDP: a wrong secret: BADSIG" "$(status)" BADSIG
UDP=" " upd nas-key "$SECRET" "update delete $A TXT"
expect_eq "UDP: clear: NOERROR" "$(status)" NOERROR
expect_eq "... nothing left" "$(txt nas)" ""

LINES=()
for i in $(seq 1 10); do LINES+=("update add $A 60 TXT v$i"); done
upd nas-key "$SECRET" "${LINES[@]}"
expect_eq "ten values: NOERROR" "$(status)" NOERROR
expect_eq "... ten served" "$(txt nas | wc -w)" 10
upd nas-key "$SECRET" "update add $A 60 TXT v11"
expect_eq "an 11th: REFUSED" "$(status)" REFUSED
expect_eq "... still ten" "$(txt nas | wc -w)" 10
check "the refusal is logged" grep -q "10 TXT values already" "$E2E_DIR/ddnsd.log"
check "no secret in the log" sh -c "! grep -qF -- '$SECRET' '$E2E_DIR/ddnsd.log'"
e2e_finish
