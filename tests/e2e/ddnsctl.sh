#!/bin/bash
# ddnsctl: every command, exit codes, error lines, what lands in the sqlite
# file (hashes, never keys), config-owned records, lock sharing, and then the
# same file under a running ddnsd (changes served without a restart).
. "$top_srcdir/tests/lib/e2e.sh"
: "${DDNSCTL:?DDNSCTL must point at the ddnsctl binary}"

e2e_init
DB=$E2E_DIR/state/ddns.sqlite
mkdir -p "$E2E_DIR/state"

# ctl ARGS...: run ddnsctl; stdout in $OUT, stderr in $ERR, status in $RC
ctl() {
	"$DDNSCTL" "$@" >"$E2E_DIR/out" 2>"$E2E_DIR/err" </dev/null
	RC=$?
	OUT=$(cat "$E2E_DIR/out")
	ERR=$(cat "$E2E_DIR/err")
}
sql() { sqlite3 -batch "$DB" "$@"; }
lines() { if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l; fi; }
# the key text appears in no file of the state folder (db, -wal, -shm)
key_nowhere() { ! grep -rqaF -- "$1" "$E2E_DIR/state"; }

# --- usage -----------------------------------------------------------------
ctl
expect_eq "no command: usage, exit 2" "$RC" 2
ctl -d "$DB" frobnicate
expect_eq "unknown command: exit 2" "$RC" 2
check "unknown command: named" grep -q 'unknown command "frobnicate"' "$E2E_DIR/err"
ctl -d "$DB" add a.example.com
expect_eq "add without -p: exit 2" "$RC" 2
ctl --help
expect_eq "--help: exit 0" "$RC" 0
check "--help: lists rotate-key" grep -q rotate-key "$E2E_DIR/err"

# --- genkey ----------------------------------------------------------------
ctl genkey
expect_eq "genkey: exit 0" "$RC" 0
GKEY=$(printf '%s\n' "$OUT" | sed -n 's/^key: //p')
check "genkey: 50 characters of [A-Za-z0-9]" \
	bash -c '[[ "$1" =~ ^[A-Za-z0-9]{50}$ ]]' _ "$GKEY"
expect_eq "genkey: key_hash line is the key's sha256" \
	"$(printf '%s\n' "$OUT" | sed -n 2p)" "key_hash = \"$(e2e_key_hash "$GKEY")\";"
ctl genkey
check "genkey: a fresh key each time" test "$(printf '%s\n' "$OUT" | sed -n 's/^key: //p')" != "$GKEY"
expect_eq "genkey: two lines on stdout" "$(lines "$OUT")" 2

# --- add with a generated key ----------------------------------------------
ctl -d "$DB" add A.Example.COM. -p demo --lan-ip 192.168.1.100 --lan-ip fd00::0:1
expect_eq "add: exit 0" "$RC" 0
expect_eq "add: nothing on stderr" "$ERR" ""
KEY=$(printf '%s\n' "$OUT" | sed -n 's/^key: //p')
check "add: shows a 50-character key" bash -c '[[ "$1" =~ ^[A-Za-z0-9]{50}$ ]]' _ "$KEY"
check "add: shows the curl line with name and key" grep -qxF \
	"curl https://<your-server>/dynamicdns/update/a.example.com/ --data \"key=$KEY\"" \
	"$E2E_DIR/out"
expect_eq "add: name normalised, hash stored" \
	"$(sql "SELECT name, key_hash, lan_ipv4, lan_ipv6, source FROM records")" \
	"a.example.com|$(e2e_key_hash "$KEY")|192.168.1.100|fd00::1|ddnsctl"
check "add: the key itself is nowhere in the database files" key_nowhere "$KEY"
check "add: not in a dump either" bash -c '! sqlite3 "$1" .dump | grep -qF "$2"' _ "$DB" "$KEY"
expect_eq "store: WAL mode" "$(sql 'PRAGMA journal_mode')" "wal"

ctl -d "$DB" add a.example.com -p demo
expect_eq "add twice: exit 1" "$RC" 1
expect_eq "add twice: one clear line" "$ERR" \
	"ddnsctl: a.example.com already exists (ddnsctl rotate-key gives it a new key)"

# --- add with a user key ---------------------------------------------------
UKEY=my-own.key_0123~XYZ
ctl -d "$DB" add b.example.com -p other -k "$UKEY"
expect_eq "add -k: exit 0" "$RC" 0
check "add -k: the key is not echoed" bash -c '! grep -qF "$1" "$2"' _ "$UKEY" "$E2E_DIR/out"
expect_eq "add -k: its hash stored" "$(sql "SELECT key_hash FROM records WHERE name = 'b.example.com'")" \
	"$(e2e_key_hash "$UKEY")"
check "add -k: the key is nowhere in the database files" key_nowhere "$UKEY"
"$DDNSCTL" -d "$DB" add c.example.com -p demo -k - >/dev/null 2>&1 <<<"from-stdin-key-12345"
expect_eq "add -k -: key read from stdin" "$(sql "SELECT key_hash FROM records WHERE name = 'c.example.com'")" \
	"$(e2e_key_hash from-stdin-key-12345)"
ctl -d "$DB" add d.example.com -p demo -k short
expect_eq "add -k too short: exit 1" "$RC" 1
check "add -k too short: says why" grep -q "a key must be 16 to 128 characters" "$E2E_DIR/err"
ctl -d "$DB" add d.example.com -p demo -k "spaces are not ok 123"
expect_eq "add -k bad characters: exit 1" "$RC" 1

# --- bad names and addresses -------------------------------------------------
for bad in "bad name.example.com" "-a.example.com" "a..example.com" "example" \
	"a.example.com/x" "$(printf 'x%.0s' $(seq 1 64)).example.com"; do
	ctl -d "$DB" add -p demo -- "$bad"
	expect_eq "bad name '$bad': exit 1" "$RC" 1
	check "bad name '$bad': one clear line" \
		bash -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "is not a valid domain name" "$1"' _ "$E2E_DIR/err"
done
ctl -d "$DB" add e.example.com -p demo --lan-ip 192.168.1.300
expect_eq "bad --lan-ip: exit 1" "$RC" 1
check "bad --lan-ip: named" grep -q '"192.168.1.300" is not an IPv4 or IPv6 address' "$E2E_DIR/err"
expect_eq "nothing bad was stored" "$(sql 'SELECT count(*) FROM records')" 3

# --- list and show -----------------------------------------------------------
sql "UPDATE records SET ipv4 = '203.0.113.7', last_change = 1700000000 WHERE name = 'a.example.com'"
ctl -d "$DB" list
expect_eq "list: exit 0" "$RC" 0
expect_eq "list: header and three records" "$(lines "$OUT")" 4
check "list: header" bash -c 'head -1 "$1" | grep -qE "^NAME +PROVIDER +IPV4 +IPV6 +LAST CHANGE +SOURCE$"' _ "$E2E_DIR/out"
check "list: a.example.com row" grep -qE \
	'^a\.example\.com +demo +203\.0\.113\.7 +- +2023-11-14T22:13:20Z +ddnsctl$' "$E2E_DIR/out"
check "list: sorted by name" bash -c 'sed 1d "$1" | cut -d" " -f1 | sort -c' _ "$E2E_DIR/out"

ctl -d "$DB" show a.EXAMPLE.com
expect_eq "show: exit 0" "$RC" 0
check "show: address" grep -qE '^ipv4: +203\.0\.113\.7$' "$E2E_DIR/out"
check "show: LAN address" grep -qE '^lan ipv4: +192\.168\.1\.100$' "$E2E_DIR/out"
check "show: last change" grep -qE '^last change: +2023-11-14T22:13:20Z$' "$E2E_DIR/out"
check "show: source" grep -qE '^source: +ddnsctl$' "$E2E_DIR/out"
check "show: hash, not key" bash -c 'grep -qF "$2" "$1" && ! grep -qF "$3" "$1"' _ \
	"$E2E_DIR/out" "$(e2e_key_hash "$KEY")" "$KEY"
ctl -d "$DB" show nope.example.com
expect_eq "show unknown: exit 1" "$RC" 1
expect_eq "show unknown: one line" "$ERR" "ddnsctl: no record nope.example.com"

# --- rotate-key --------------------------------------------------------------
ctl -d "$DB" rotate-key a.example.com
expect_eq "rotate-key: exit 0" "$RC" 0
NKEY=$(printf '%s\n' "$OUT" | sed -n 's/^key: //p')
check "rotate-key: a new 50-character key" bash -c '[[ "$1" =~ ^[A-Za-z0-9]{50}$ ]] && [ "$1" != "$2" ]' _ "$NKEY" "$KEY"
expect_eq "rotate-key: new hash stored" "$(sql "SELECT key_hash FROM records WHERE name = 'a.example.com'")" \
	"$(e2e_key_hash "$NKEY")"
expect_eq "rotate-key: address kept" "$(sql "SELECT ipv4 FROM records WHERE name = 'a.example.com'")" 203.0.113.7
check "rotate-key: new key nowhere in the database files" key_nowhere "$NKEY"
ctl -d "$DB" rotate-key a.example.com -k "chosen-key-0123456789"
expect_eq "rotate-key -k: hash of the given key" "$(sql "SELECT key_hash FROM records WHERE name = 'a.example.com'")" \
	"$(e2e_key_hash chosen-key-0123456789)"
ctl -d "$DB" rotate-key zz.example.com
expect_eq "rotate-key unknown: exit 1" "$RC" 1

# --- history -----------------------------------------------------------------
sql "INSERT INTO history (time, name, family, old_ip, new_ip, client, result, message) VALUES
	(1700000000, 'a.example.com', 'ipv4', '', '203.0.113.7', '203.0.113.7', 'applied', ''),
	(1700000100, 'b.example.com', 'ipv4', '', '198.51.100.1', '198.51.100.1', 'failed', 'provider said no'),
	(1700000200, 'a.example.com', 'ipv6', '', '2001:db8::1', '2001:db8::1', 'applied', '')"
ctl -d "$DB" history
expect_eq "history: exit 0" "$RC" 0
expect_eq "history: all rows" "$(lines "$OUT")" 3
check "history: newest first" bash -c 'head -1 "$1" | grep -q "2023-11-14T22:16:40Z  a.example.com  ipv6"' _ "$E2E_DIR/out"
check "history: provider message shown" grep -q "failed: provider said no" "$E2E_DIR/out"
ctl -d "$DB" history a.example.com
expect_eq "history NAME: only its rows" "$(lines "$OUT")" 2
ctl -d "$DB" history -n 1
expect_eq "history -n 1: one row" "$(lines "$OUT")" 1
ctl -d "$DB" history -n zero
expect_eq "history -n bad: exit 1" "$RC" 1

# --- rm ------------------------------------------------------------------------
ctl -d "$DB" rm c.example.com
expect_eq "rm: exit 0" "$RC" 0
expect_eq "rm: gone" "$(sql "SELECT count(*) FROM records WHERE name = 'c.example.com'")" 0
ctl -d "$DB" rm c.example.com
expect_eq "rm again: exit 1" "$RC" 1
expect_eq "rm again: one line" "$ERR" "ddnsctl: no record c.example.com"

# --- with a config: database path, providers, config-owned records --------------
mkdir -p "$E2E_DIR/etc/state"
CONF=$E2E_DIR/etc/ddns.conf
cat >"$CONF" <<EOF
http = { listen = [ "127.0.0.1:$(e2e_free_port)" ]; };
# relative: taken from this file's folder
database = "state/ddns.sqlite";
providers = {
  demo = { plugin = "dummy"; };
};
records = (
  { domain = "conf.example.com"; provider = "demo";
    key_hash = "$(e2e_key_hash conf-key-0123456789)"; }
);
EOF
CDB=$E2E_DIR/etc/state/ddns.sqlite
cd / || exit 1
ctl -c "$CONF" add f.example.com -p demo
expect_eq "config: add exit 0 (from another folder)" "$RC" 0
check "config: database relative to the config file" test -f "$CDB"
ctl -c "$CONF" add g.example.com -p nosuch
expect_eq "config: unknown provider refused" "$RC" 1
expect_eq "config: unknown provider named" "$ERR" "ddnsctl: no provider \"nosuch\" in $CONF"
ctl -c "$CONF" add Conf.Example.com -p demo
expect_eq "config: adding a config name refused" "$RC" 1
expect_eq "config: says which line" "$ERR" \
	"ddnsctl: conf.example.com is managed by $CONF (line 8): edit it there"
# what ddnsd's reconcile writes for the config's record
sqlite3 -batch "$CDB" "INSERT INTO records (name, provider, key_hash, source) VALUES
	('conf.example.com', 'demo', '$(e2e_key_hash conf-key-0123456789)', 'config')"
ctl -c "$CONF" rm conf.example.com
expect_eq "config-owned: rm refused" "$RC" 1
expect_eq "config-owned: rm says why" "$ERR" \
	"ddnsctl: conf.example.com is managed by $CONF (line 8): edit it there"
ctl -c "$CONF" rotate-key conf.example.com
expect_eq "config-owned: rotate-key refused" "$RC" 1
expect_eq "config-owned: key untouched" \
	"$(sqlite3 -batch "$CDB" "SELECT key_hash FROM records WHERE name = 'conf.example.com'")" \
	"$(e2e_key_hash conf-key-0123456789)"
ctl -d "$CDB" rm conf.example.com
expect_eq "config-owned: refused without the config too" "$RC" 1
check "config-owned: still says ddns.conf" grep -q "is managed by ddns.conf" "$E2E_DIR/err"
ctl -c "$CONF" list
check "config: list shows both sources" bash -c 'grep -qE "^conf\.example\.com .* ddns\.conf$" "$1" && grep -qE "^f\.example\.com .* ddnsctl$" "$1"' _ "$E2E_DIR/out"
ctl -c "$E2E_DIR/etc/missing.conf" list
expect_eq "missing config: exit 1" "$RC" 1
check "missing config: named" grep -q "missing.conf" "$E2E_DIR/err"
ctl -d "$E2E_DIR/no/such/folder/db.sqlite" list
expect_eq "unopenable database: exit 1" "$RC" 1
check "unopenable database: one line naming it" \
	bash -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "no/such/folder/db.sqlite" "$1"' _ "$E2E_DIR/err"

# --- another process holds the write lock: ddnsctl waits, then succeeds -----
LOCKED=$E2E_DIR/locked
sqlite3 -batch "$DB" "BEGIN IMMEDIATE;" \
	"UPDATE records SET last_seen = 1 WHERE name = 'b.example.com';" \
	".shell touch $LOCKED; sleep 1" "COMMIT;" >/dev/null 2>&1 &
LOCKER=$!
E2E_EXTRA_PIDS=$LOCKER
for _ in $(seq 1 200); do [ -e "$LOCKED" ] && break; sleep 0.05; done
check "lock holder started" test -e "$LOCKED"
ctl -d "$DB" add h.example.com -p demo
expect_eq "add while locked: waits and succeeds" "$RC" 0
wait "$LOCKER"
expect_eq "lock holder committed too" "$(sql "SELECT last_seen FROM records WHERE name = 'b.example.com'")" 1

# --- status on a store with no history, without a config ---------------------
ctl -d "$E2E_DIR/status-empty.sqlite" status
expect_eq "status, empty store: exit 0" "$RC" 0
expect_eq "status, empty store: the whole report" "$OUT" \
"ddnsd:             unknown (no ddns.conf to say where it listens)
records:           0
last changes:      none
failing providers: none"
ctl -d "$DB" status extra
expect_eq "status with an argument: usage, exit 2" "$RC" 2

# --- while ddnsd runs on the same file ---------------------------------------
# ddnsd reconciles the config's records into the store; ddnsctl changes are
# served without a restart (ddnsd watches sqlite's data_version).
mkdir -p "$E2E_DIR/live"
LCONF=$E2E_DIR/live/ddns.conf
E2E_HTTP_PORT=$(e2e_free_port)
cat >"$LCONF" <<EOF
http = { listen = [ "127.0.0.1:$E2E_HTTP_PORT" ]; };
database = "ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
auth_fail_delay_ms = 50;
providers = {
  demo = { plugin = "dummy"; };
  locked = { plugin = "dummy"; fail = "zone is locked"; };
  flaky = { plugin = "dummy"; fail_names = [ "down.example.com" ]; };
};
records = (
  { domain = "conf.example.com"; provider = "demo";
    key_hash = "$(e2e_key_hash conf-key-0123456789)"; }
);
EOF
URL=http://127.0.0.1:$E2E_HTTP_PORT/dynamicdns/update
# status NAME KEY IP: the HTTP status of one update
status() { curl -s -o /dev/null -w '%{http_code}' "$URL/$1/" --data "key=$2&ip=$3"; }
# wait_status WANT NAME KEY IP: poll (bounded, ~10 s) until the status is WANT
wait_status() {
	local want=$1 got i
	shift
	for i in $(seq 1 100); do
		got=$(status "$@")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	echo "# last status $got, wanted $want" >&2
	return 1
}
if e2e_start_ddnsd "$LCONF"; then
	ctl -c "$LCONF" show conf.example.com
	check "live: ddnsd reconciled the config record" grep -qE '^source: +ddns\.conf$' "$E2E_DIR/out"
	ctl -c "$LCONF" rm conf.example.com
	expect_eq "live: config record not removable" "$RC" 1
	ctl -c "$LCONF" add live.example.com -p demo
	expect_eq "live: add while ddnsd runs" "$RC" 0
	LKEY=$(printf '%s\n' "$OUT" | sed -n 's/^key: //p')
	check "live: the new record is served without restart" \
		wait_status 200 live.example.com "$LKEY" 192.0.2.44
	ctl -c "$LCONF" history live.example.com
	check "live: history shows the applied update" \
		grep -qE 'live\.example\.com  ipv4  - -> 192\.0\.2\.44  client 127\.0\.0\.1  applied' "$E2E_DIR/out"
	ctl -c "$LCONF" show live.example.com
	check "live: the address is in the store" grep -qE '^ipv4: +192\.0\.2\.44$' "$E2E_DIR/out"
	# status: a provider failing, one that failed then succeeded, the last changes
	for n in bad down up; do
		ctl -c "$LCONF" add $n.example.com -p "$( [ $n = bad ] && echo locked || echo flaky )" -k "status-key-$n-0123456789"
	done
	check "status: bad.example.com refused by its provider" \
		wait_status 502 bad.example.com status-key-bad-0123456789 192.0.2.60
	check "status: down.example.com refused by its provider" \
		wait_status 502 down.example.com status-key-down-0123456789 192.0.2.61
	check "status: up.example.com (same provider) applied after it" \
		wait_status 200 up.example.com status-key-up-0123456789 192.0.2.62
	ctl -c "$LCONF" status
	expect_eq "status: exit 0" "$RC" 0
	expect_eq "status: ddnsd is answering" "$(printf '%s\n' "$OUT" | sed -n 1p)" \
		"ddnsd:             answering on 127.0.0.1:$E2E_HTTP_PORT"
	expect_eq "status: records per provider" "$(printf '%s\n' "$OUT" | sed -n 2p)" \
		"records:           5 (demo 2, flaky 2, locked 1)"
	check "status: the newest change first" bash -c \
		'sed -n "/^last changes:/{n;p}" "$1" | grep -qE "^  [0-9T:Z-]+  up\.example\.com  ipv4  - -> 192\.0\.2\.62  client 127\.0\.0\.1$"' _ "$E2E_DIR/out"
	check "status: the older change after it" \
		grep -qE '^  [0-9T:Z-]+  live\.example\.com  ipv4  - -> 192\.0\.2\.44' "$E2E_DIR/out"
	check "status: the failing provider, its time, record and message" \
		grep -qE '^  locked: failed at [0-9T:Z-]+ \(bad\.example\.com ipv4 -> 192\.0\.2\.60\): zone is locked$' "$E2E_DIR/out"
	expect_eq "status: only the provider whose latest attempt failed" \
		"$(sed -n '/^failing providers:/,$p' "$E2E_DIR/out" | grep -c '^  ')" 1
	ctl -c "$LCONF" rotate-key live.example.com
	NLKEY=$(printf '%s\n' "$OUT" | sed -n 's/^key: //p')
	check "live: the rotated key works" wait_status 200 live.example.com "$NLKEY" 192.0.2.45
	expect_eq "live: the old key is refused" "$(status live.example.com "$LKEY" 192.0.2.46)" 403
	ctl -c "$LCONF" rm live.example.com
	check "live: a removed record is refused" wait_status 403 live.example.com "$NLKEY" 192.0.2.47
	check "live: ddnsd stops cleanly" e2e_stop_ddnsd
	ctl -c "$LCONF" status
	expect_eq "status: ddnsd stopped" "$(printf '%s\n' "$OUT" | sed -n 1p)" \
		"ddnsd:             not answering on 127.0.0.1:$E2E_HTTP_PORT"
else
	check "live: ddnsd started" false
fi

e2e_finish
