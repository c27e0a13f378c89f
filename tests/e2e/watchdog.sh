#!/bin/bash
# The loop's watchdog, end to end: a plugin that blocks the event loop in
# update() (tests/plugins/dummy/misbehaving.c, 1.5 s) while ddnsd serves.
#  - ddnsd logs one warning naming the instance, its plugin and the callback
#    that held the loop, then that the loop runs again;
#  - /metrics counts it (ddns_loop_stalls_total), and only it: an idle
#    ddnsd is never taken for a stalled one;
#  - the blocked update, whose deadline (update_timeout_ms = 1000) passed
#    while its plugin held the loop, is answered 504, not 200, and the
#    store does not take its address.
. "$top_srcdir/tests/lib/e2e.sh"
e2e_init_http
KEY=KeyForTheWatchdogTestKeyForTheWatchdog01
{
	e2e_conf_base
	cat <<CONF
update_timeout_ms = 1000;
providers = {
  quick = { plugin = "dummy"; };
  stuck = { plugin = "$top_builddir/tests/plugins/.libs/misbehaving.so"; block_ms = 1500; };
};
records = (
  { domain = "q.example.com"; provider = "quick"; key_hash = "$(e2e_key_hash $KEY)"; },
  { domain = "s.example.com"; provider = "stuck"; key_hash = "$(e2e_key_hash $KEY)"; }
);
CONF
} >"$CONF"
e2e_start_ddnsd "$CONF" || exit 1

update() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
		"$BASE/dynamicdns/update/$1/" --data "key=$KEY&ip=$2"
}
stalls() { curl -s "$BASE/metrics" | sed -n 's/^ddns_loop_stalls_total //p'; }

expect_eq "an update through a plugin that does not block" "$(update q.example.com 192.0.2.1)" 200
expect_eq "no stall counted on a ddnsd at work" "$(stalls)" 0
expect_eq "the blocked update is answered 504: its deadline passed meanwhile" \
	"$(update s.example.com 192.0.2.2)" 504
check "...and logged as late" grep -q "s.example.com: answered [0-9]* ms after the deadline" \
	"$E2E_DIR/ddnsd.log"
expect_eq "the store did not take its address" \
	"$(sqlite3 "$E2E_DIR/ddns.sqlite" "SELECT ipv4 FROM records WHERE name = 's.example.com'")" ""
expect_eq "while the other plugin's is stored" \
	"$(sqlite3 "$E2E_DIR/ddns.sqlite" "SELECT ipv4 FROM records WHERE name = 'q.example.com'")" \
	192.0.2.1
check "the stall is logged, naming the instance and its callback" \
	e2e_wait_log "event loop: stalled for"
check "...provider stuck (misbehaving): update" \
	grep -q "event loop: stalled for [0-9]* ms, in provider stuck (misbehaving): update" \
	"$E2E_DIR/ddnsd.log"
check "and the loop's return" e2e_wait_log "event loop: running again after"
expect_eq "/metrics counts one stall" "$(stalls)" 1
expect_eq "the other plugin still answers" "$(update q.example.com 192.0.2.3)" 200
expect_eq "still one stall" "$(stalls)" 1
check "ddnsd stops with status 0" e2e_stop_ddnsd
e2e_finish
