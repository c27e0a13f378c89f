#!/bin/bash
# Graceful SIGTERM: new connections are refused at once, the update in
# flight (dummy with delay_ms) completes with 200 and is stored, ddnsd exits
# 0 with every handle closed.  Then the bounded case: a provider that would
# take longer than shutdown_timeout_ms is cancelled, its client gets a JSON
# 503, and ddnsd still exits 0.  SIGINT behaves like SIGTERM; a second
# signal cancels at once; SIGHUP while stopping changes nothing.
. "$top_srcdir/tests/lib/e2e.sh"
: "${DDNSCTL:?DDNSCTL must point at the ddnsctl binary}"

e2e_init
E2E_HTTP_PORT=$(e2e_free_port)
BASE=http://127.0.0.1:$E2E_HTTP_PORT
CONF=$E2E_DIR/ddns.conf
DB=$E2E_DIR/ddns.sqlite
KEY=ShutdownKeyShutdownKeyShutdownKeyShutdownKey123456

cat >"$CONF" <<CONFEOF
http = { listen = [ "127.0.0.1:$E2E_HTTP_PORT" ]; };
database = "$DB";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
log_level = "debug"; # the dummy says when an update reaches it
update_timeout_ms = 30000;
shutdown_timeout_ms = 4000;
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = {
  slow = { plugin = "dummy"; delay_ms = 1500; };
  stuck = { plugin = "dummy"; delay_ms = 20000; };
};
records = (
  { domain = "slow.example.com"; provider = "slow"; key_hash = "$(e2e_key_hash $KEY)"; },
  { domain = "stuck.example.com"; provider = "stuck"; key_hash = "$(e2e_key_hash $KEY)"; }
);
CONFEOF

# start_update NAME IP: background curl; result in $E2E_DIR/NAME.{code,body}
start_update() {
	curl -s -o "$E2E_DIR/$1.body" -w '%{http_code}' "$BASE/dynamicdns/update/$1/" \
		--data "key=$KEY&ip=$2" >"$E2E_DIR/$1.code" &
	UPDATE_PID=$!
}
# refused: a new connection is refused (polled, 5 s at most)
refused() {
	local i
	for i in $(seq 1 50); do
		curl -s -o /dev/null --max-time 1 "$BASE/dynamicdns/read/slow.example.com/" ||
			return 0
		sleep 0.1
	done
	return 1
}
# stop_with SIGNAL: signal ddnsd and wait; its exit status in $STATUS
stop_with() {
	STATUS=0
	kill "-$1" "$E2E_DDNSD_PID"
	wait "$E2E_DDNSD_PID" || STATUS=$?
	E2E_DDNSD_PID=
}

# --- an update in flight finishes ---
e2e_start_ddnsd "$CONF" || exit 1
start_update slow.example.com 192.0.2.50
check "the update reached the provider" e2e_wait_log "slow.example.com: answering in"
T0=$(date +%s%3N)
kill -TERM "$E2E_DDNSD_PID"
check "new connections are refused while draining" refused
STATUS=0
wait "$E2E_DDNSD_PID" || STATUS=$?
E2E_DDNSD_PID=
T1=$(date +%s%3N)
wait "$UPDATE_PID"
expect_eq "ddnsd exit status" "$STATUS" 0
expect_eq "the update in flight got 200" "$(cat "$E2E_DIR/slow.example.com.code")" 200
check "...with updated true" grep -q '"updated": true' "$E2E_DIR/slow.example.com.body"
check "it waited for the provider, not for the timeout" test $((T1 - T0)) -lt 4000
check "the address was stored" bash -c "'$DDNSCTL' -d '$DB' show slow.example.com | grep -q 192.0.2.50"
check "log: stopped" grep -q "ddnsd: stopped" "$E2E_DIR/ddnsd.log"
check "log: nothing left open" bash -c "! grep -q 'handles left open' '$E2E_DIR/ddnsd.log'"

# --- a provider slower than shutdown_timeout_ms is cancelled ---
e2e_start_ddnsd "$CONF" || exit 1
start_update stuck.example.com 192.0.2.60
check "the stuck update reached the provider" e2e_wait_log "stuck.example.com: answering in"
T0=$(date +%s%3N)
stop_with INT
expect_eq "SIGINT with a stuck provider: exit status 0" "$STATUS" 0
T1=$(date +%s%3N)
wait "$UPDATE_PID"
expect_eq "the cancelled update gets 503" "$(cat "$E2E_DIR/stuck.example.com.code")" 503
check "...as JSON" grep -q '"error": ' "$E2E_DIR/stuck.example.com.body"
check "stopped after shutdown_timeout_ms, not the provider's 20 s" test $((T1 - T0)) -lt 15000
check "log: cancelling" grep -q "cancelling provider updates" "$E2E_DIR/ddnsd.log"
check "nothing recorded as applied" \
	bash -c "! '$DDNSCTL' -d '$DB' show stuck.example.com | grep -q 192.0.2.60"

# --- a second signal cancels at once; SIGHUP while stopping is ignored ---
e2e_start_ddnsd "$CONF" || exit 1
start_update stuck.example.com 192.0.2.61
check "the stuck update reached the provider again" \
	e2e_wait_log "stuck.example.com: answering in" 2
T0=$(date +%s%3N)
kill -TERM "$E2E_DDNSD_PID"
# ddnsd.log gathers every run of this script: two stops came before this one
check "stopping" e2e_wait_log "ddnsd: stopping:" 3
kill -HUP "$E2E_DDNSD_PID"
check "SIGHUP while stopping is said" e2e_wait_log "SIGHUP while stopping: not reloading"
check "SIGHUP while stopping does not kill" kill -0 "$E2E_DDNSD_PID"
stop_with TERM
T1=$(date +%s%3N)
wait "$UPDATE_PID"
expect_eq "second SIGTERM: exit status 0" "$STATUS" 0
check "second SIGTERM: no wait for shutdown_timeout_ms" test $((T1 - T0)) -lt 3500
expect_eq "second SIGTERM: the client gets 503" "$(cat "$E2E_DIR/stuck.example.com.code")" 503
check "log: second stop signal" grep -q "second stop signal" "$E2E_DIR/ddnsd.log"

# --- idle: immediate and clean ---
e2e_start_ddnsd "$CONF" || exit 1
stop_with TERM
expect_eq "idle SIGTERM: exit status 0" "$STATUS" 0
e2e_finish
