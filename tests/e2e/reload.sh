#!/bin/bash
# SIGHUP: a good configuration adds a provider and a record, keeps the
# unchanged provider instance, lets an update in flight on a replaced
# instance finish; a broken one is refused with file:line in the log and the
# old configuration keeps serving.  The listening socket never changes.
. "$top_srcdir/tests/lib/e2e.sh"

e2e_init
E2E_HTTP_PORT=$(e2e_free_port)
PORT=$E2E_HTTP_PORT
BASE=http://127.0.0.1:$PORT
CONF=$E2E_DIR/ddns.conf
KA=ReloadKeyAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1
KB=ReloadKeyBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2

# write_conf SLOW_DELAY_MS [EXTRA_PROVIDERS] [EXTRA_RECORDS]
write_conf() {
	cat >"$CONF.new" <<CONFEOF
http = { listen = [ "127.0.0.1:$PORT" ]; };
database = "$E2E_DIR/ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
auth_fail_delay_ms = 100;
log_level = "debug"; # the dummy says when an update reaches it
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = {
  demo = { plugin = "dummy"; };
  slow = { plugin = "dummy"; delay_ms = $1; };
  ${2:-}
};
records = (
  { domain = "a.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KA)"; },
  { domain = "s.example.com"; provider = "slow"; key_hash = "$(e2e_key_hash $KA)"; }
  ${3:-}
);
CONFEOF
	mv "$CONF.new" "$CONF"
}

# update NAME KEY IP: prints "STATUS BODY"
update() {
	curl -s -o "$E2E_DIR/body" -w '%{http_code}' "$BASE/dynamicdns/update/$1/" \
		--data "key=$2&ip=$3"
}
# inode of the socket listening on $PORT
listen_inode() {
	awk -v p="$(printf ':%04X' "$PORT")" '$2 ~ p"$" && $4 == "0A" { print $10 }' /proc/net/tcp
}

write_conf 1500
e2e_start_ddnsd "$CONF" || exit 1
INODE=$(listen_inode)
check "the listening socket is found" test -n "$INODE"
expect_eq "a works before the reload" "$(update a.example.com "$KA" 192.0.2.1)" 200
expect_eq "b is unknown before the reload" "$(update b.example.com "$KB" 192.0.2.1)" 403

# An update in flight on "slow" while a reload replaces that instance.
curl -s -o "$E2E_DIR/inflight.body" -w '%{http_code}' "$BASE/dynamicdns/update/s.example.com/" \
	--data "key=$KA&ip=192.0.2.77" >"$E2E_DIR/inflight.code" &
INFLIGHT=$!
check "the update reached the slow provider" e2e_wait_log "s.example.com: answering in"

# --- good configuration: a new provider and record, slow changed ---
write_conf 1400 'second = { plugin = "dummy"; fail = "second says no"; };' \
	", { domain = \"b.example.com\"; provider = \"second\"; key_hash = \"$(e2e_key_hash $KB)\"; }"
kill -HUP "$E2E_DDNSD_PID"
check "reload logged" e2e_wait_log "reloaded: 3 provider(s), 3 configured record(s)"
expect_eq "the new record goes to the new provider" "$(update b.example.com "$KB" 192.0.2.2)" 502
check "that provider's message" grep -q '"error": "second says no"' "$E2E_DIR/body"
expect_eq "a still works" "$(update a.example.com "$KA" 192.0.2.3)" 200
expect_eq "the unchanged instance was kept (created once)" \
	"$(grep -c 'provider demo: plugin dummy' "$E2E_DIR/ddnsd.log")" 1
expect_eq "the changed instance was re-created" \
	"$(grep -c 'provider slow: plugin dummy' "$E2E_DIR/ddnsd.log")" 2
wait "$INFLIGHT"
expect_eq "the update in flight on the replaced instance finished" "$(cat "$E2E_DIR/inflight.code")" 200
check "...and was applied" grep -q '"ip": "192.0.2.77"' "$E2E_DIR/inflight.body"
expect_eq "same listening socket after a reload" "$(listen_inode)" "$INODE"

# --- broken configuration: a syntax error on line 3 ---
cp "$CONF" "$E2E_DIR/good.conf"
sed -i '3s/.*/plugin_dir = = ;/' "$CONF"
kill -HUP "$E2E_DDNSD_PID"
check "syntax error refused with file:line" e2e_wait_log "keeping the running configuration"
check "the error names the file and line" grep -qF "ddns.conf:3: " "$E2E_DIR/ddnsd.log"
expect_eq "old configuration keeps serving: a" "$(update a.example.com "$KA" 192.0.2.4)" 200
expect_eq "old configuration keeps serving: b" "$(update b.example.com "$KB" 192.0.2.5)" 502

# --- broken configuration: an option the plugin did not declare ---
cp "$E2E_DIR/good.conf" "$CONF"
sed -i 's/second = { plugin = "dummy";/second = { plugin = "dummy"; colour = "blue";/' "$CONF"
# and a new record, which the store takes before the plugin refuses
sed -i "s|^  { domain = \"a.example.com\"|  { domain = \"c.example.com\"; provider = \"demo\"; key_hash = \"$(e2e_key_hash $KA)\"; },\n&|" "$CONF"
check "the broken config has the new record" grep -q c.example.com "$CONF"
kill -HUP "$E2E_DDNSD_PID"
check "undeclared option refused" e2e_wait_log "keeping the running configuration" 2
check "...naming the option" grep -q "colour" "$E2E_DIR/ddnsd.log"
expect_eq "still serving after the second refusal" "$(update a.example.com "$KA" 192.0.2.6)" 200
expect_eq "the refused reload's new record was taken back" \
	"$(update c.example.com "$KA" 192.0.2.6)" 403
check "...in the store too" \
	test "$(sqlite3 "$E2E_DIR/ddns.sqlite" "SELECT count(*) FROM records WHERE name = 'c.example.com'")" = 0

# --- a SIGHUP during a reload: one more reload after it ---
# (5,000 records make the reload last long enough to send the second
# SIGHUP while it runs; if it was over already, the second is a plain one)
HA=$(e2e_key_hash $KA)
MANY=$(for i in $(seq 1 5000); do
	printf ', { domain = "m%d.example.com"; provider = "demo"; key_hash = "%s"; }' "$i" "$HA"
done)
write_conf 1400 'second = { plugin = "dummy"; fail = "second says no"; };' \
	", { domain = \"b.example.com\"; provider = \"second\"; key_hash = \"$(e2e_key_hash $KB)\"; }$MANY"
RELOADED=$(grep -c 'ddnsd: reloaded:' "$E2E_DIR/ddnsd.log")
RELOADING=$(grep -c 'ddnsd: reloading' "$E2E_DIR/ddnsd.log")
kill -HUP "$E2E_DDNSD_PID"
check "the first reload began" e2e_wait_log "ddnsd: reloading" $((RELOADING + 1))
kill -HUP "$E2E_DDNSD_PID"
check "both SIGHUPs reloaded" e2e_wait_log "reloaded: 3 provider(s), 5003 configured record(s)" 2
grep -q "reloading again after it" "$E2E_DIR/ddnsd.log" &&
	echo "# the second SIGHUP came during the first reload"
expect_eq "records of the big config served" "$(update m4999.example.com "$KA" 192.0.2.8)" 200
check "and only one reload ran at a time" \
	test "$(grep -c 'ddnsd: reloaded:' "$E2E_DIR/ddnsd.log")" -eq $((RELOADED + 2))

# --- a record removed by a reload is refused ---
write_conf 1400
kill -HUP "$E2E_DDNSD_PID"
check "second reload logged" e2e_wait_log "reloaded: 2 provider(s), 2 configured record(s)"
expect_eq "the removed record is refused" "$(update b.example.com "$KB" 192.0.2.7)" 403
expect_eq "same listening socket at the end" "$(listen_inode)" "$INODE"
check "same process all along" kill -0 "$E2E_DDNSD_PID"

check "ddnsd stops with status 0" e2e_stop_ddnsd
e2e_finish
