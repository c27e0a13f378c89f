#!/bin/bash
# Native HTTPS end to end, with a CA and server certificates this test makes
# (openssl):
#  - curl --cacert updates a record over https; curl without the CA fails
#    verification; plain http on the TLS port gets no answer;
#  - SIGHUP with a renewed certificate (new key, serial and CN): openssl
#    s_client sees the new one, the listening socket is the same, and a TLS
#    connection opened before the reload still works afterwards;
#  - a broken certificate, or a key of another certificate, is refused on
#    reload with a clear error and the old certificate keeps being served;
#  - ddnsd -t and a start with a broken certificate say what is wrong;
#  - TLS 1.2 and 1.3 only by default: openssl s_client -tls1 and -tls1_1
#    are refused, though the client allows them (@SECLEVEL=0) and ddnsd
#    completes them when http.tls_priorities lets it (so the refusal is
#    ddnsd's); a tls_priorities GnuTLS does not understand is a file:line
#    error.
. "$top_srcdir/tests/lib/e2e.sh"

e2e_init
E2E_HTTP_PORT=$(e2e_free_port)
PORT=$E2E_HTTP_PORT
BASE=https://127.0.0.1:$PORT
CONF=$E2E_DIR/ddns.conf
PKI=$E2E_DIR/pki
KA=TlsKeyAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1
mkdir -p "$PKI"

# ---- a CA and server certificates ----
e2e_pki_ca "$PKI" || exit 1
make_cert() { e2e_pki_cert "$PKI" "$@"; }
make_cert one 0x1001 ddnsd-one || exit 1
make_cert two 0x2002 ddnsd-two || exit 1
make_cert three 0x3003 ddnsd-three || exit 1

# install NAME [KEYNAME]: what the configuration points at, replaced whole
install_cert() {
	cp "$PKI/$1.pem" "$E2E_DIR/cert.pem.new" && mv "$E2E_DIR/cert.pem.new" "$E2E_DIR/cert.pem"
	cp "$PKI/${2:-$1}.key" "$E2E_DIR/key.pem.new" && mv "$E2E_DIR/key.pem.new" "$E2E_DIR/key.pem"
}
install_cert one

cat >"$CONF" <<EOF
http = {
  listen = [ "127.0.0.1:$PORT" ];
  tls_certificate = "cert.pem";
  tls_key = "key.pem";
};
database = "$E2E_DIR/ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
log_level = "debug";
auth_fail_delay_ms = 50;
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = { demo = { plugin = "dummy"; }; };
records = (
  { domain = "a.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KA)"; }
);
EOF

# update IP [CURL ARGS...]: prints the HTTP status (000 when none)
update() {
	local ip=$1
	shift
	curl -s -o "$E2E_DIR/body" -w '%{http_code}' "$@" \
		"$BASE/dynamicdns/update/a.example.com/" --data "key=$KA&ip=$ip"
}
# served: "serial=..., subject" of the certificate a handshake gets now
served() {
	openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
		</dev/null 2>/dev/null |
		openssl x509 -noout -serial -subject -nameopt RFC2253 2>/dev/null |
		tr '\n' ' ' | sed 's/ $//'
}
# handshake VERSION (tls1, tls1_1, tls1_2, tls1_3): the protocol a handshake
# offering only VERSION settles on, or "refused".  The client allows old
# versions and weak ciphers (@SECLEVEL=0), so a refusal is the server's.
handshake() {
	openssl s_client -connect "127.0.0.1:$PORT" -servername localhost "-$1" \
		-cipher 'DEFAULT:@SECLEVEL=0' </dev/null 2>/dev/null |
		awk '/^New, .*Cipher is \(NONE\)/ { r = 1 }
		     /^New, / { n = $2; sub(/,$/, "", n) }
		     /^ *Protocol *:/ { p = $3 }
		     END { print r ? "refused" : (p != "" ? p : n) }'
}
listen_inode() {
	awk -v p="$(printf ':%04X' "$PORT")" '$2 ~ p"$" && $4 == "0A" { print $10 }' /proc/net/tcp
}

check "ddnsd -t accepts the certificate" "$DDNSD" -t -c "$CONF"
e2e_start_ddnsd "$CONF" || exit 1
check "the log names the certificate served" \
	grep -q "cert.pem: serving subject CN=ddnsd-one, serial 1001" "$E2E_DIR/ddnsd.log"
check "ready line says https" grep -q "ready: https on 127.0.0.1:$PORT" "$E2E_DIR/ddnsd.log"
INODE=$(listen_inode)
check "the listening socket is found" test -n "$INODE"

expect_eq "update over https with --cacert" "$(update 198.51.100.1 --cacert "$PKI/ca.pem")" 200
# dyndns2 credentials as URL parameters: taken over native HTTPS by default
expect_eq "dyndns2 username/password parameters over native https: good" \
	"$(curl -sS --cacert "$PKI/ca.pem" \
		"$BASE/nic/update?hostname=a.example.com&myip=198.51.100.9&username=a.example.com&password=$KA")" \
	"good 198.51.100.9"
check "the answer is the seed's JSON" grep -q '"ip": *"198.51.100.1"\|"198.51.100.1"' "$E2E_DIR/body"
rc=0
curl -s -o /dev/null "$BASE/dynamicdns/update/a.example.com/" --data "key=$KA&ip=198.51.100.9" || rc=$?
expect_eq "without the CA, curl refuses the certificate (exit 60)" "$rc" 60
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	"http://127.0.0.1:$PORT/dynamicdns/update/a.example.com/" --data "key=$KA&ip=198.51.100.9")
expect_eq "plain http on the TLS port gets no HTTP answer" "$code" 000
expect_eq "the certificate served is the first one" "$(served)" "serial=1001 subject=CN=ddnsd-one"
expect_eq "TLS 1.0 refused by default" "$(handshake tls1)" refused
expect_eq "TLS 1.1 refused by default" "$(handshake tls1_1)" refused
expect_eq "TLS 1.2 served" "$(handshake tls1_2)" TLSv1.2
expect_eq "TLS 1.3 served" "$(handshake tls1_3)" TLSv1.3

# A TLS connection made before the reload: it must keep working after it.
cat >"$E2E_DIR/early.py" <<'EOF'
import socket, ssl, sys, time, os
port, cafile, key, flag = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=cafile)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                    server_hostname="localhost")
open(flag + ".up", "w").close()
for _ in range(200):
    if os.path.exists(flag):
        break
    time.sleep(0.05)
body = "key=%s&ip=198.51.100.7" % key
s.sendall(("POST /dynamicdns/update/a.example.com/ HTTP/1.1\r\nHost: localhost\r\n"
           "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n"
           "Connection: close\r\n\r\n%s" % (len(body), body)).encode())
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.split(b"\r\n", 1)[0].decode())
print(s.getpeercert()["serialNumber"])
EOF
python3 "$E2E_DIR/early.py" "$PORT" "$PKI/ca.pem" "$KA" "$E2E_DIR/go" >"$E2E_DIR/early.out" 2>&1 &
EARLY=$!
E2E_EXTRA_PIDS=$EARLY
for _ in $(seq 1 100); do [ -e "$E2E_DIR/go.up" ] && break; sleep 0.1; done
check "a TLS connection is open before the reload" test -e "$E2E_DIR/go.up"

# ---- renewal: SIGHUP serves the new certificate on the same socket ----
install_cert two
kill -HUP "$E2E_DDNSD_PID"
check "the reload says what it serves now" e2e_wait_log "now serving subject CN=ddnsd-two"
expect_eq "a new handshake gets the renewed certificate" "$(served)" "serial=2002 subject=CN=ddnsd-two"
expect_eq "update over https after the renewal" "$(update 198.51.100.2 --cacert "$PKI/ca.pem")" 200
expect_eq "the listening socket is the same one" "$(listen_inode)" "$INODE"
touch "$E2E_DIR/go"
wait "$EARLY"
expect_eq "the connection from before the reload still works (and kept its certificate)" \
	"$(tr '\n' ' ' <"$E2E_DIR/early.out")" "HTTP/1.1 200 OK 1001 "

# ---- a broken certificate is refused; the old one keeps serving ----
printf -- '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n' \
	>"$E2E_DIR/cert.pem"
kill -HUP "$E2E_DDNSD_PID"
check "a broken certificate is refused on reload" \
	e2e_wait_log "$E2E_DIR/cert.pem: no usable PEM certificate"
check "the refusal keeps the running configuration" \
	e2e_wait_log "keeping the running configuration"
expect_eq "the renewed certificate is still served" "$(served)" "serial=2002 subject=CN=ddnsd-two"
expect_eq "update over https after the refused reload" "$(update 198.51.100.3 --cacert "$PKI/ca.pem")" 200

install_cert three one
kill -HUP "$E2E_DDNSD_PID"
check "a key of another certificate is refused on reload" \
	e2e_wait_log "key.pem: the private key does not belong to the certificate (the first one in $E2E_DIR/cert.pem)"
expect_eq "still the renewed certificate" "$(served)" "serial=2002 subject=CN=ddnsd-two"

install_cert three
kill -HUP "$E2E_DDNSD_PID"
check "a good pair is taken again" e2e_wait_log "now serving subject CN=ddnsd-three"
expect_eq "the third certificate is served" "$(served)" "serial=3003 subject=CN=ddnsd-three"
expect_eq "update over https with the third certificate" "$(update 198.51.100.4 --cacert "$PKI/ca.pem")" 200
check "ddnsd stops cleanly" e2e_stop_ddnsd

# ---- what a broken certificate does before serving ----
install_cert three two
out=$("$DDNSD" -t -c "$CONF" 2>&1)
check "ddnsd -t refuses a key of another certificate" \
	grep -q "the private key does not belong to the certificate" <<<"$out"
: >"$E2E_DIR/start.log"
rc=0
"$DDNSD" -c "$CONF" >"$E2E_DIR/start.log" 2>&1 || rc=$?
check "ddnsd does not start with it (exit $rc)" test "$rc" -ne 0
check "and says why" grep -q "does not belong to the certificate" "$E2E_DIR/start.log"

# ---- tls_priorities: the versions are ddnsd's to choose ----
install_cert one
sed 's|tls_key = "key.pem";|tls_key = "key.pem"; tls_priorities = "NORMAL:+VERS-TLS1.1";|' \
	"$CONF" >"$E2E_DIR/old.conf"
e2e_start_ddnsd "$E2E_DIR/old.conf" || exit 1
expect_eq "tls_priorities allowing TLS 1.1: the same client completes it" \
	"$(handshake tls1_1)" TLSv1.1
expect_eq "and TLS 1.3 still" "$(handshake tls1_3)" TLSv1.3
check "ddnsd stops cleanly" e2e_stop_ddnsd
sed 's|tls_key = "key.pem";|tls_key = "key.pem";\n  tls_priorities = "NORMAL:+VERS-TLS9.9";|' \
	"$CONF" >"$E2E_DIR/bad.conf"
out=$("$DDNSD" -t -c "$E2E_DIR/bad.conf" 2>&1)
check "a tls_priorities GnuTLS does not understand: file:line error ($out)" \
	grep -q "bad.conf:5: http.tls_priorities: not a GnuTLS priority string: \"+VERS-TLS9.9\" is not understood" <<<"$out"

e2e_finish
