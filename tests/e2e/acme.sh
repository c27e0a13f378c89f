#!/bin/bash
# ACME DNS-01 TXT values end to end (doc/acme.md): the real ddnsd with
# builtin_dns, its acme-dns API (POST /update) and lego httpreq API
# (/present, /cleanup) driven by curl, the TXT answers read back with dig.
# A key opens only its own record's _acme-challenge name, up to 10 values
# live at once, each expires (acme_txt_expire_s), the serial rises for each
# record: the TXT answers come from builtin_dns.
. "$top_srcdir/tests/lib/e2e.sh"

e2e_init
E2E_HTTP_PORT=$(e2e_free_port)
DNS_PORT=$(e2e_free_udp_port)
BASE=http://127.0.0.1:$E2E_HTTP_PORT
CONF=$E2E_DIR/ddns.conf
KN=KeyForNasssssssssssssssssssssssss1
KW=KeyForWebbbbbbbbbbbbbbbbbbbbbbbbb2
KD=KeyForDummyyyyyyyyyyyyyyyyyyyyyyy3
T1=LPsIwTo7o8BoG0-vjCyGQGBWSVIPxI-i_X336eUOQZo
T2=Tk9UX0FfUkVBTF9DSEFMTEVOR0VfQlVUX0xPTkdfRU5

# write_conf EXPIRE: values live EXPIRE seconds.  The checks run with an
# hour (nothing expires under them, however loaded the machine); expiry
# is checked last, with 2 s.
write_conf() {
cat >"$CONF" <<EOF
http = { listen = [ "127.0.0.1:$E2E_HTTP_PORT" ]; };
database = "$E2E_DIR/ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
log_level = "debug";
auth_fail_delay_ms = 100;
acme_txt_expire_s = $1;
providers = {
  dns = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$DNS_PORT" ];
          zone = "dyn.example.com"; ttl = 1; udp_threads = 0; };
};
records = (
  { domain = "nas.dyn.example.com"; provider = "dns"; key_hash = "$(e2e_key_hash $KN)"; },
  { domain = "web.dyn.example.com"; provider = "dns"; key_hash = "$(e2e_key_hash $KW)"; }
);
EOF
}
write_conf 3600
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }

q() { dig @127.0.0.1 -p "$DNS_PORT" +norec +time=2 +tries=2 "$@"; }
txt() { q "$1" TXT +short | tr -d '"' | sort | tr '\n' ' ' | sed 's/ $//'; }
serial() { q dyn.example.com SOA +short | awk '{print $3}'; }
# acmedns USER KEY SUBDOMAIN TXT: prints the status, body in $E2E_DIR/body
acmedns() {
	curl -sS -o "$E2E_DIR/body" -w '%{http_code}' "$BASE/update" \
		-H "X-Api-User: $1" -H "X-Api-Key: $2" \
		-H 'Content-Type: application/json' \
		--data "{\"subdomain\":\"$3\",\"txt\":\"$4\"}"
}
# httpreq present|cleanup USER KEY FQDN VALUE
httpreq() {
	curl -sS -o "$E2E_DIR/body" -w '%{http_code}' "$BASE/$1" -u "$2:$3" \
		-H 'Content-Type: application/json' \
		--data "{\"fqdn\":\"$4\",\"value\":\"$5\"}"
}
ACME=_acme-challenge.nas.dyn.example.com

# --- acme-dns API ------------------------------------------------------------
S0=$(serial)
expect_eq "acme-dns: update 200" "$(acmedns nas.dyn.example.com $KN nas.dyn.example.com $T1)" 200
expect_eq "acme-dns: answer echoes the txt" "$(cat "$E2E_DIR/body")" "{\"txt\":\"$T1\"}"
expect_eq "TXT served at once" "$(txt $ACME)" "$T1"
S1=$(serial)
check "serial rose ($S0 -> $S1)" test "$S1" -gt "$S0"
# wildcard + apex in one order: two values at once
expect_eq "acme-dns: a second value" "$(acmedns nas.dyn.example.com $KN nas.dyn.example.com $T2)" 200
expect_eq "both values served" "$(txt $ACME)" "$(printf '%s\n' $T1 $T2 | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "acme-dns: the same value again is fine" "$(acmedns nas.dyn.example.com $KN nas.dyn.example.com $T1)" 200

# --- authorisation -------------------------------------------------------------
expect_eq "acme-dns: another record's key: 401" "$(acmedns nas.dyn.example.com $KW nas.dyn.example.com other)" 401
expect_eq "acme-dns: 401 body" "$(cat "$E2E_DIR/body")" '{"error":"forbidden"}'
expect_eq "acme-dns: subdomain other than the user: 401" "$(acmedns web.dyn.example.com $KW nas.dyn.example.com other)" 401
expect_eq "acme-dns: unknown user: 401" "$(acmedns nope.dyn.example.com $KN nope.dyn.example.com other)" 401
expect_eq "httpreq: another record's fqdn: 401" "$(httpreq present web.dyn.example.com $KW $ACME. other)" 401
expect_eq "httpreq: wrong key: 401" "$(httpreq present nas.dyn.example.com $KW $ACME. other)" 401
check "no foreign value was served" sh -c "! dig @127.0.0.1 -p $DNS_PORT +short $ACME TXT | grep -q other"
expect_eq "acme-dns: bad json: 400" "$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/update" -H "X-Api-User: nas.dyn.example.com" -H "X-Api-Key: $KN" --data '{')" 400
expect_eq "acme-dns: bad txt: 400" "$(acmedns nas.dyn.example.com $KN nas.dyn.example.com 'a b')" 400
expect_eq "/register is absent: 404" "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$BASE/register")" 404

# --- httpreq ---------------------------------------------------------------------
expect_eq "httpreq: present on web" "$(httpreq present web.dyn.example.com $KW _acme-challenge.web.dyn.example.com. webtoken)" 200
expect_eq "httpreq: served" "$(txt _acme-challenge.web.dyn.example.com)" webtoken
expect_eq "httpreq: cleanup" "$(httpreq cleanup web.dyn.example.com $KW _acme-challenge.web.dyn.example.com. webtoken)" 200
expect_eq "httpreq: gone: NXDOMAIN" "$(q _acme-challenge.web.dyn.example.com TXT | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')" NXDOMAIN

# --- at most 10 values -----------------------------------------------------------
for i in 3 4 5 6 7 8 9 10; do
	acmedns nas.dyn.example.com $KN nas.dyn.example.com "value-$i" >/dev/null
done
expect_eq "ten values served" "$(q $ACME TXT +short | wc -l)" 10
expect_eq "the eleventh refused: 400" "$(acmedns nas.dyn.example.com $KN nas.dyn.example.com value-11)" 400
expect_eq "the eleventh's error" "$(cat "$E2E_DIR/body")" '{"error":"too_many_txt"}'

# --- expiry ----------------------------------------------------------------------
check "ddnsd stops" e2e_stop_ddnsd
write_conf 2
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }
expect_eq "acme_txt_expire_s = 2: a value" "$(acmedns nas.dyn.example.com $KN nas.dyn.example.com $T1)" 200
expect_eq "... served" "$(txt $ACME)" "$T1"
status() { q $ACME TXT | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
# A bound, not a guess: it ends when the value has expired.
expired() { [ "$(status)" = NXDOMAIN ]; }
gone=0
for _ in $(seq 1 600); do expired && { gone=1; break; }; sleep 0.1; done
expect_eq "values expire after acme_txt_expire_s: NXDOMAIN" "$gone" 1
check "expiry logged" grep -q "TXT set: 0 value" "$E2E_DIR/ddnsd.log"

e2e_finish
