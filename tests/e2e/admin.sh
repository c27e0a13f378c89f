#!/bin/bash
# The web admin end to end: tests/e2e/admin.py drives headless Chromium
# through it (log in, add a record, copy its key, update with curl, rotate,
# delete, log out; CSRF, sessions, slowed failed logins, headers).  Here:
# the admin listener is absent unless ddns.conf has an `admin` group, a
# non-loopback admin without TLS is refused with file:line, and ddnsctl
# admin add/list/del.  Screenshots go to tests/e2e/admin-shots/ in the
# build folder.  Skips (77) only when chromium, chromium-driver or
# python3-selenium are missing.
. "$top_srcdir/tests/lib/e2e.sh"
: "${DDNSCTL:?DDNSCTL must point at the ddnsctl binary}"

if [ ! -x /usr/lib/chromium/chromium ] || [ ! -x /usr/bin/chromedriver ] ||
   ! /usr/bin/python3 -c 'import selenium' 2>/dev/null; then
	echo "SKIP: needs chromium, chromium-driver and python3-selenium (etc/deps.sh --test)"
	exit 77
fi

e2e_init_http
ADMIN_PORT=$(e2e_free_port)
KEY=ConfigKeyConfigKeyConfigKeyConfigKeyConfigKey12345
FAIL_DELAY_MS=1200
THROTTLE_DELAY_MS=3000
MAX_AUTH_FAILURES=5
conf() {
	e2e_conf_base "${1:-}"
	cat <<CONFEOF
auth_fail_delay_ms = $FAIL_DELAY_MS;
auth_throttle_delay_ms = $THROTTLE_DELAY_MS;
abuse = { max_changes = 0; max_auth_failures = $MAX_AUTH_FAILURES; };
providers = { demo = { plugin = "dummy"; }; };
records = ( { domain = "conf.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KEY)"; } );
CONFEOF
}

# --- without an admin group there is no admin anywhere ---
conf >"$CONF"
e2e_start_ddnsd "$CONF" || exit 1
expect_eq "no admin group: nothing listens on the admin port" \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/login")" 000
expect_eq "no admin group: the update listener has no /login" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$BASE/login")" 404
expect_eq "no admin group: the update listener has no /records" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$BASE/records")" 404
check "no admin line in the log" bash -c "! grep -q 'web admin on' '$E2E_DIR/ddnsd.log'"
check "ddnsd stops cleanly" e2e_stop_ddnsd

# --- a listener off loopback without TLS is refused, with file:line ---
{ conf; echo 'admin = { listen = [ "0.0.0.0:1" ]; };'; } >"$CONF.open"
"$DDNSD" -c "$CONF.open" >"$E2E_DIR/open.log" 2>&1
expect_eq "admin on 0.0.0.0 without TLS: ddnsd refuses to start" "$?" 1
check "it says file:line and why" grep -q "ddns.conf.open:[0-9]*: admin.listen: \"0.0.0.0:1\" is not a loopback" "$E2E_DIR/open.log"

# --- accounts ---
PASSWORD=correct-horse-battery
{ conf 'trusted_proxies = [ "127.0.0.3" ];'; echo "admin = { listen = [ \"127.0.0.1:$ADMIN_PORT\" ]; public_url = \"https://ddns.example.net\"; };"; } >"$CONF"
check "ddnsctl admin add (password on stdin)" \
	bash -c "echo '$PASSWORD' | '$DDNSCTL' -c '$CONF' admin add alice >/dev/null"
check "ddnsctl admin add bob" bash -c "echo other-password-1 | '$DDNSCTL' -c '$CONF' admin add bob >/dev/null"
check "a short password is refused" bash -c "! echo short | '$DDNSCTL' -c '$CONF' admin add carol 2>/dev/null"
check "ddnsctl admin list" bash -c "'$DDNSCTL' -c '$CONF' admin list | grep -q '^alice '"
check "the store holds an Argon2id hash, not the password" \
	bash -c "sqlite3 '$E2E_DIR/ddns.sqlite' \"SELECT hash FROM admin_users WHERE name = 'alice'\" | grep -q '^\\\$argon2id\\\$v=19\\\$m=19456,t=2,p=1\\\$'"
check "ddnsctl admin del bob" "$DDNSCTL" -c "$CONF" admin del bob
check "bob is gone" bash -c "! '$DDNSCTL' -c '$CONF' admin list | grep -q '^bob '"

# --- the browser ---
e2e_start_ddnsd "$CONF" || exit 1
e2e_wait_port "$ADMIN_PORT"
check "the admin listener is announced" grep -q "web admin on http://127.0.0.1:$ADMIN_PORT" "$E2E_DIR/ddnsd.log"
expect_eq "the update listener still has no admin pages" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$BASE/login")" 404
SHOTS=${ADMIN_SHOTS:-$PWD/tests/e2e/admin-shots}
ADMIN=http://127.0.0.1:$ADMIN_PORT UPDATE=$BASE ADMIN_USER=alice ADMIN_PASSWORD=$PASSWORD \
E2E_DIR=$E2E_DIR SHOTS=$SHOTS FAIL_DELAY_MS=$FAIL_DELAY_MS CONF_RECORD=conf.example.com \
THROTTLE_DELAY_MS=$THROTTLE_DELAY_MS MAX_AUTH_FAILURES=$MAX_AUTH_FAILURES \
	timeout 300 /usr/bin/python3 "$top_srcdir/tests/e2e/admin.py" >"$E2E_DIR/admin.out" 2>&1
rc=$?
cat "$E2E_DIR/admin.out"
expect_eq "admin.py passed" "$rc" 0
check "the admin's actions are logged with its name" \
	grep -q "home.example.com: deleted by admin alice" "$E2E_DIR/ddnsd.log"
check "screenshots saved" test -s "$SHOTS/record.png" -a -s "$SHOTS/activity.png"

# --- curl as a browser: log in as USER with PASSWORD into cookie jar JAR ---
login() {
	local jar=$E2E_DIR/$1.jar csrf
	csrf=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$ADMIN_PORT/login" |
		sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')
	curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' \
		-d "csrf=$csrf&user=$1&password=$2" "http://127.0.0.1:$ADMIN_PORT/login"
}
page() { curl -s -b "$E2E_DIR/$1.jar" -o "$E2E_DIR/page" -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT$2"; }

# --- a deleted account's sessions end at their next request ---
check "ddnsctl admin add carol" bash -c "echo carols-password | '$DDNSCTL' -c '$CONF' admin add carol >/dev/null"
expect_eq "carol logs in" "$(login carol carols-password)" 303
expect_eq "carol sees the records" "$(page carol /records)" 200
check "ddnsctl admin del carol" "$DDNSCTL" -c "$CONF" admin del carol
expect_eq "carol's session ends: to the login" "$(page carol /records)" 303
expect_eq "and stays ended" "$(page carol /providers)" 303

# --- SIGHUP: the admin serves the new configuration's providers ---
expect_eq "alice logs in" "$(login alice "$PASSWORD")" 303
sed -i 's|^providers = { demo = { plugin = "dummy"; }; };|providers = { demo = { plugin = "dummy"; }; second = { plugin = "dummy"; }; };|' "$CONF"
kill -HUP "$E2E_DDNSD_PID"
check "reloaded" e2e_wait_log "reloaded:"
expect_eq "the add form after the reload" "$(page alice /records/new)" 200
check "it offers the new provider" grep -q '<option>second</option>' "$E2E_DIR/page"
expect_eq "the providers page after the reload" "$(page alice /providers)" 200
check "it lists the new provider" grep -q '<td>second</td>' "$E2E_DIR/page"
expect_eq "alice's session survived the reload" "$(page alice /records)" 200
# behind a TLS proxy (trusted_proxies) the cookie is Secure; from anyone else the header means nothing
curl -s -D "$E2E_DIR/proxy.hdr" -o /dev/null -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$ADMIN_PORT/login"
check "X-Forwarded-Proto from an untrusted peer: no Secure" bash -c "grep -i '^Set-Cookie: ddns_admin' '$E2E_DIR/proxy.hdr' | grep -vq Secure"
curl -s -D "$E2E_DIR/proxy.hdr" -o /dev/null --interface 127.0.0.3 -H 'X-Forwarded-Proto: https' \
	-H 'X-Forwarded-For: 192.0.2.50' "http://127.0.0.1:$ADMIN_PORT/login"
check "X-Forwarded-Proto: https from the trusted proxy: Secure" \
	grep -qi '^Set-Cookie: ddns_admin=.*; Secure' "$E2E_DIR/proxy.hdr"
check "ddnsd stops cleanly" e2e_stop_ddnsd

# --- with http's certificate the admin is HTTPS, its cookie Secure ---
PKI=$E2E_DIR/pki
mkdir -p "$PKI"
e2e_pki_ca "$PKI" >/dev/null 2>&1 && e2e_pki_cert "$PKI" server 2 127.0.0.1 >/dev/null 2>&1
{ conf "tls_certificate = \"$PKI/server.pem\"; tls_key = \"$PKI/server.key\";"
  echo "admin = { listen = [ \"127.0.0.1:$ADMIN_PORT\" ]; };"; } >"$CONF"
e2e_start_ddnsd "$CONF" || exit 1
e2e_wait_port "$ADMIN_PORT"
check "the admin is announced as https" grep -q "web admin on https://127.0.0.1:$ADMIN_PORT" "$E2E_DIR/ddnsd.log"
curl -s --cacert "$PKI/ca.pem" -D "$E2E_DIR/tls.hdr" -o /dev/null "https://127.0.0.1:$ADMIN_PORT/login"
check "over HTTPS the session cookie is Secure" \
	grep -qi '^Set-Cookie: ddns_admin=[0-9a-f]*; Path=/; HttpOnly; SameSite=Strict; Secure' "$E2E_DIR/tls.hdr"
expect_eq "plain HTTP is not served on the admin port" \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/login")" 000
check "ddnsd stops cleanly" e2e_stop_ddnsd
e2e_finish
