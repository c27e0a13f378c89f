#!/bin/bash
# ACME DNS-01 end to end with a real ACME server: Debian's pebble resolves
# the challenges through builtin_dns (-dnsserver), lego (Debian 12) solves
# them through ddnsd's httpreq API and its acme-dns API (an exec hook) with
# the record's name and key, and certbot with python3-certbot-dns-rfc2136
# through RFC 2136 UPDATE with a TSIG key, each for the
# name and its wildcard in one order (two TXT values at once).  The
# certificate's names are checked, and its chain against pebble's root with
# openssl verify.  PEBBLE_VA_ALWAYS_VALID is never set.  Skips (77) only
# when pebble or lego is absent.
. "$top_srcdir/tests/lib/e2e.sh"

PEBBLE=$(e2e_find_tool pebble pebble) || exit 77
LEGO=$(e2e_find_tool lego lego) || exit 77
e2e_init
unset PEBBLE_VA_ALWAYS_VALID
E2E_HTTP_PORT=$(e2e_free_port)
DNS_PORT=$(e2e_free_udp_port)
ACME_PORT=$(e2e_free_port)
MGMT_PORT=$(e2e_free_port)
while [ "$MGMT_PORT" = "$ACME_PORT" ]; do MGMT_PORT=$(e2e_free_port); done
CONF=$E2E_DIR/ddns.conf
KN=KeyForNasssssssssssssssssssssssss1
SECRET=$(head -c 32 /dev/urandom | base64)

cat >"$CONF" <<EOF
http = { listen = [ "127.0.0.1:$E2E_HTTP_PORT" ]; };
database = "$E2E_DIR/ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
log_level = "debug";
providers = {
  dns = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$DNS_PORT" ];
          zone = "dyn.example.com"; ttl = 1; udp_threads = 0;
          tsig_keys = [ "hmac-sha256:acme-key:$SECRET" ];
          update_keys = [ "acme-key nas.dyn.example.com" ]; };
};
records = (
  { domain = "nas.dyn.example.com"; provider = "dns"; key_hash = "$(e2e_key_hash $KN)"; }
);
EOF
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }

# pebble's HTTPS certificate, from a CA of our own
e2e_pki_ca "$E2E_DIR/pki" && e2e_pki_cert "$E2E_DIR/pki" pebble 1 localhost ||
	{ e2e_finish; exit 1; }
cat >"$E2E_DIR/pebble.json" <<EOF
{ "pebble": { "listenAddress": "127.0.0.1:$ACME_PORT",
  "managementListenAddress": "127.0.0.1:$MGMT_PORT",
  "certificate": "$E2E_DIR/pki/pebble.pem", "privateKey": "$E2E_DIR/pki/pebble.key",
  "httpPort": 5002, "tlsPort": 5001, "ocspResponderURL": "",
  "externalAccountBindingRequired": false } }
EOF
# Pebble rejects 5% of nonces by default, to test clients' retries; the
# certbot of Debian 12 (2.1, python3-acme) then dies with "AttributeError:
# can't set attribute" instead of retrying (a client bug, not ddnsd's), so
# the run would fail one time in a few.  Nonces are never rejected here.
PEBBLE_WFE_NONCEREJECT=0 PEBBLE_VA_NOSLEEP=1 PEBBLE_AUTHZREUSE=0 "$PEBBLE" -config "$E2E_DIR/pebble.json" \
	-dnsserver "127.0.0.1:$DNS_PORT" >"$E2E_DIR/pebble.log" 2>&1 &
PEBBLE_PID=$!
e2e_wait_port "$ACME_PORT" || { cat "$E2E_DIR/pebble.log" >&2; kill "$PEBBLE_PID"; e2e_finish; exit 1; }

LEGO_CA_CERTIFICATES="$E2E_DIR/pki/ca.pem" \
HTTPREQ_ENDPOINT="http://127.0.0.1:$E2E_HTTP_PORT" \
HTTPREQ_USERNAME=nas.dyn.example.com HTTPREQ_PASSWORD=$KN \
	timeout 120 "$LEGO" --server "https://127.0.0.1:$ACME_PORT/dir" --accept-tos \
	--email test@example.com --path "$E2E_DIR/lego" \
	--domains nas.dyn.example.com --domains '*.nas.dyn.example.com' \
	--dns httpreq --dns.disable-cp --dns.resolvers "127.0.0.1:$DNS_PORT" \
	run >"$E2E_DIR/lego.log" 2>&1
RC=$?
expect_eq "lego through httpreq: issued" "$RC" 0
[ "$RC" = 0 ] || { cat "$E2E_DIR/lego.log" >&2; tail -20 "$E2E_DIR/pebble.log" >&2; }
CERT=$E2E_DIR/lego/certificates/nas.dyn.example.com.crt
check "certificate written" test -s "$CERT"
SAN=$(openssl x509 -in "$CERT" -noout -ext subjectAltName 2>/dev/null | tr -d ' \n')
check "names: nas.dyn.example.com ($SAN)" grep -q 'DNS:nas.dyn.example.com' <<<"$SAN"
check "names: *.nas.dyn.example.com ($SAN)" grep -qF 'DNS:*.nas.dyn.example.com' <<<"$SAN"
curl -sk "https://127.0.0.1:$MGMT_PORT/roots/0" >"$E2E_DIR/root.pem"
# the leaf first, then its intermediate(s)
awk 'n>0{print > "'"$E2E_DIR"'/chain.pem"} /END CERTIFICATE/{n++}' "$CERT"
check "chain verifies against pebble's root" \
	openssl verify -CAfile "$E2E_DIR/root.pem" -untrusted "$E2E_DIR/chain.pem" "$CERT"
check "two TXT values were live at once" grep -q "TXT set: 2 value" "$E2E_DIR/ddnsd.log"

# The acme-dns API: Debian 12's lego has no acme-dns provider (PROTOCOLS-2
# section 6), so its exec provider runs the call an acme-dns client makes
# (X-Api-User, X-Api-Key, {"subdomain","txt"}): argv is present|cleanup FQDN VALUE.
{
	echo '#!/bin/sh'
	echo '[ "$1" = present ] || exit 0'
	echo "curl -sSf -X POST http://127.0.0.1:$E2E_HTTP_PORT/update -H 'X-Api-User: nas.dyn.example.com' -H 'X-Api-Key: $KN' -d '{\"subdomain\":\"nas.dyn.example.com\",\"txt\":\"'\"\$3\"'\"}' >/dev/null && echo \"\$3\" >>$E2E_DIR/hook.calls"
} >"$E2E_DIR/acmedns-hook"
chmod +x "$E2E_DIR/acmedns-hook"
LEGO_CA_CERTIFICATES="$E2E_DIR/pki/ca.pem" EXEC_PATH="$E2E_DIR/acmedns-hook" \
	timeout 120 "$LEGO" --server "https://127.0.0.1:$ACME_PORT/dir" --accept-tos \
	--email test@example.com --path "$E2E_DIR/lego2" \
	--domains nas.dyn.example.com --domains '*.nas.dyn.example.com' \
	--dns exec --dns.disable-cp --dns.resolvers "127.0.0.1:$DNS_PORT" \
	run >"$E2E_DIR/lego2.log" 2>&1
RC=$?
expect_eq "lego through the acme-dns API: issued" "$RC" 0
[ "$RC" = 0 ] || { cat "$E2E_DIR/lego2.log" >&2; cat "$E2E_DIR/acmedns-hook" >&2; }
CERT=$E2E_DIR/lego2/certificates/nas.dyn.example.com.crt
SAN=$(openssl x509 -in "$CERT" -noout -ext subjectAltName 2>/dev/null | tr -d ' \n')
check "acme-dns: both names ($SAN)" grep -qF 'DNS:nas.dyn.example.com,DNS:*.nas.dyn.example.com' <<<"$SAN"
awk 'n>0{print > "'"$E2E_DIR"'/chain2.pem"} /END CERTIFICATE/{n++}' "$CERT"
check "acme-dns: chain verifies against pebble's root" \
	openssl verify -CAfile "$E2E_DIR/root.pem" -untrusted "$E2E_DIR/chain2.pem" "$CERT"
expect_eq "acme-dns: two values set through /update" "$(wc -l <"$E2E_DIR/hook.calls" 2>/dev/null)" 2

# certbot over RFC 2136: TSIG-signed SOA queries find the zone, UPDATEs
# (TCP) add and remove the values.  Skipped when certbot or its plugin is
# absent; the algorithm must be upper case (PROTOCOLS-2 section 6).
if command -v certbot >/dev/null &&
   dpkg-query -W -f='${Status}' python3-certbot-dns-rfc2136 2>/dev/null | grep -q 'ok installed'; then
	cat >"$E2E_DIR/rfc2136.ini" <<EOF
dns_rfc2136_server = 127.0.0.1
dns_rfc2136_port = $DNS_PORT
dns_rfc2136_name = acme-key
dns_rfc2136_secret = $SECRET
dns_rfc2136_algorithm = HMAC-SHA256
EOF
	chmod 600 "$E2E_DIR/rfc2136.ini"
	txt_now() { dig @127.0.0.1 -p "$DNS_PORT" +short TXT _acme-challenge.nas.dyn.example.com | sort; }
	BEFORE=$(txt_now) # the acme-dns run's values: its hook does no cleanup
	CB=$E2E_DIR/certbot
	REQUESTS_CA_BUNDLE="$E2E_DIR/pki/ca.pem" timeout 180 certbot certonly --non-interactive \
		--agree-tos --email test@example.com --no-eff-email \
		--server "https://127.0.0.1:$ACME_PORT/dir" \
		--config-dir "$CB/config" --work-dir "$CB/work" --logs-dir "$CB/logs" \
		--dns-rfc2136 --dns-rfc2136-credentials "$E2E_DIR/rfc2136.ini" \
		--dns-rfc2136-propagation-seconds 0 \
		-d nas.dyn.example.com -d '*.nas.dyn.example.com' >"$E2E_DIR/certbot.out" 2>&1
	RC=$?
	expect_eq "certbot through RFC 2136: issued" "$RC" 0
	[ "$RC" = 0 ] || { cat "$E2E_DIR/certbot.out" >&2; tail -30 "$CB/logs/letsencrypt.log" >&2; }
	CERT=$CB/config/live/nas.dyn.example.com/cert.pem
	SAN=$(openssl x509 -in "$CERT" -noout -ext subjectAltName 2>/dev/null | tr -d ' \n')
	check "certbot: nas.dyn.example.com ($SAN)" grep -q 'DNS:nas.dyn.example.com' <<<"$SAN"
	check "certbot: *.nas.dyn.example.com ($SAN)" grep -qF 'DNS:*.nas.dyn.example.com' <<<"$SAN"
	check "certbot: chain verifies against pebble's root" openssl verify -CAfile \
		"$E2E_DIR/root.pem" -untrusted "$CB/config/live/nas.dyn.example.com/chain.pem" "$CERT"
	check "certbot's UPDATEs were signed and applied" \
		grep -q "update from 127.0.0.1: _acme-challenge.nas.dyn.example.com: 1 change(s): NOERROR" \
		"$E2E_DIR/ddnsd.log"
	expect_eq "certbot cleaned up its values (class NONE deletes)" "$(txt_now)" "$BEFORE"
else
	echo "# certbot or python3-certbot-dns-rfc2136 missing: the RFC 2136 run is skipped"
fi

kill "$PEBBLE_PID"
wait "$PEBBLE_PID" 2>/dev/null
e2e_finish
