#!/bin/bash
# ddnsctl while ddnsd runs: a record added, re-keyed and removed with
# ddnsctl is served (or refused) by the running daemon without a restart,
# and the daemon notices the store changed (providers are told).  ddnsctl
# returns only once ddnsd took the change in (store_notify): the next
# request already sees it, with no polling.
. "$top_srcdir/tests/lib/e2e.sh"
: "${DDNSCTL:?DDNSCTL must point at the ddnsctl binary}"

e2e_init
E2E_HTTP_PORT=$(e2e_free_port)
BASE=http://127.0.0.1:$E2E_HTTP_PORT
CONF=$E2E_DIR/ddns.conf
KEY=ConfigKeyConfigKeyConfigKeyConfigKeyConfigKey12345

cat >"$CONF" <<CONFEOF
http = { listen = [ "127.0.0.1:$E2E_HTTP_PORT" ]; };
database = "$E2E_DIR/ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
log_level = "debug";
auth_fail_delay_ms = 100;
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = { demo = { plugin = "dummy"; }; };
records = ( { domain = "a.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KEY)"; } );
CONFEOF

# update NAME KEY IP: prints the HTTP status
update() {
	curl -s -o "$E2E_DIR/body" -w '%{http_code}' "$BASE/dynamicdns/update/$1/" \
		--data "key=$2&ip=$3"
}
# until_status WANT NAME KEY IP: poll (10 s at most) until update gives WANT
until_status() {
	local want=$1 i
	shift
	for i in $(seq 1 100); do
		[ "$(update "$@")" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}
# key_of: the key from ddnsctl's "key: KEY" line
key_of() { sed -n 's/^key: //p' "$E2E_DIR/ctl.out" | head -n 1; }
read_status() {
	curl -s -o /dev/null -w '%{http_code}' "$BASE/dynamicdns/read/$1/"
}

e2e_start_ddnsd "$CONF" || exit 1
expect_eq "before add: unknown name is 403" "$(update new.example.com "$KEY" 192.0.2.1)" 403
expect_eq "before add: read is 404" "$(read_status new.example.com)" 404

check "ddnsctl add while ddnsd runs" \
	bash -c "'$DDNSCTL' -c '$CONF' add new.example.com -p demo >'$E2E_DIR/ctl.out'"
NEWKEY=$(key_of)
expect_eq "the shown key has 50 characters" "${#NEWKEY}" 50
expect_eq "the new record is served at once" "$(update new.example.com "$NEWKEY" 192.0.2.1)" 200
check "its reply says updated" grep -q '"updated": true' "$E2E_DIR/body"
expect_eq "read shows it" \
	"$(curl -s "$BASE/dynamicdns/read/new.example.com/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ip"])')" \
	"192.0.2.1"

# The watch timer sees another process's commit (PRAGMA data_version).
found=0
for i in $(seq 1 50); do
	grep -q 'changed by another process' "$E2E_DIR/ddnsd.log" && { found=1; break; }
	sleep 0.1
done
expect_eq "ddnsd noticed the store changed" "$found" 1

check "ddnsctl rotate-key" \
	bash -c "'$DDNSCTL' -c '$CONF' rotate-key new.example.com >'$E2E_DIR/ctl.out'"
ROTKEY=$(key_of)
check "rotate-key shows a new key" test -n "$ROTKEY" -a "$ROTKEY" != "$NEWKEY"
expect_eq "the old key is refused at once" "$(update new.example.com "$NEWKEY" 192.0.2.1)" 403
expect_eq "the new key works" "$(update new.example.com "$ROTKEY" 192.0.2.2)" 200

check "ddnsctl rm" "$DDNSCTL" -c "$CONF" rm new.example.com
expect_eq "removed: 403 at once" "$(update new.example.com "$ROTKEY" 192.0.2.3)" 403
expect_eq "removed: read is 404" "$(read_status new.example.com)" 404
expect_eq "the config record still works" "$(update a.example.com "$KEY" 192.0.2.9)" 200

SOCK=$E2E_DIR/ddns.sqlite.notify
expect_eq "the notice socket is ddnsd's alone (0600)" "$(stat -c %a "$SOCK")" 600

# ddnsctl -d and sqlite3 behind ddnsd's back: still seen, within a second
sqlite3 "$E2E_DIR/ddns.sqlite" "UPDATE records SET key_hash = '$(e2e_key_hash "$ROTKEY")'
	WHERE name = 'a.example.com'"
check "a change that sent no notice is seen by the watch" \
	until_status 200 a.example.com "$ROTKEY" 192.0.2.10

check "ddnsd stops with status 0" e2e_stop_ddnsd
check "the notice socket is removed at exit" test ! -e "$SOCK"
check "ddnsctl without a running ddnsd says nothing about notices" \
	bash -c "'$DDNSCTL' -c '$CONF' add late.example.com -p demo 2>'$E2E_DIR/late.err' >/dev/null &&
	! grep -q notice '$E2E_DIR/late.err' && ! grep -q warning '$E2E_DIR/late.err'"
e2e_finish
