#!/bin/bash
# Crash safety: kill -9 in the middle of a stream of updates loses nothing
# that was acknowledged.
#
# Four clients, each owning one record, send updates back to back (each a
# new address, curl one request at a time) through the seed's API to the
# real ddnsd (dummy provider with a short delay, so a kill often lands while
# an update is with the provider).  Each client logs "S addr" before a
# request and "R addr code" after its reply.  ddnsd is killed with SIGKILL
# at a random moment, then started again on the same store, several times.
#
# What may the store hold for a record after the kill?  A client sends one
# request at a time, so everything it sent after its last 200 was either
# in flight at the kill (ddnsd may have committed it and died before
# replying) or sent after the kill (refused: nothing was applied).  So the
# stored address must be the last acknowledged one or one of the addresses
# sent after it, never an older one; and every acknowledged change must have
# its "applied" history row.  The store must pass PRAGMA integrity_check and
# ddnsd must start on it and serve.
. "$top_srcdir/tests/lib/e2e.sh"

e2e_init
E2E_HTTP_PORT=$(e2e_free_port)
PORT=$E2E_HTTP_PORT
BASE=http://127.0.0.1:$PORT
CONF=$E2E_DIR/ddns.conf
DB=$E2E_DIR/ddns.sqlite
KEY=CrashKeyCcccccccccccccccccccccccccccccccccccccccccc1
CLIENTS=4
ROUNDS=${CRASH_ROUNDS:-4}

cat >"$CONF" <<EOF
http = { listen = [ "127.0.0.1:$PORT" ]; };
database = "$DB";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
update_timeout_ms = 5000;
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = { demo = { plugin = "dummy"; delay_ms = 20; }; };
records = (
$(for c in $(seq 1 $CLIENTS); do
	printf '  { domain = "c%d.example.com"; provider = "demo"; key_hash = "%s"; }%s\n' \
		"$c" "$(e2e_key_hash $KEY)" "$([ "$c" -lt $CLIENTS ] && echo ,)"
done)
);
EOF

# client C ROUND: update cC.example.com until $E2E_DIR/stop exists; the
# addresses 10.C.x.y are unique over all rounds (5000 per round at most).
client() {
	local c=$1 round=$2 k n ip out
	for k in $(seq 0 4999); do
		[ -e "$E2E_DIR/stop" ] && break
		n=$((round * 5000 + k))
		ip=10.$c.$((n / 250)).$((n % 250 + 1))
		echo "S $ip" >>"$E2E_DIR/client$c.log"
		out=$(curl -s --max-time 20 -w ' %{http_code}' \
			"$BASE/dynamicdns/update/c$c.example.com/" --data "key=$KEY&ip=$ip")
		# a 200 must also say the address it acknowledged
		case "$out" in
		*'"ip": "'"$ip"'"'*' 200' | *'"ip":"'"$ip"'"'*' 200') out=200 ;;
		*' 200') out=bad200 ;;
		*) out=${out##* } ;;
		esac
		echo "R $ip $out" >>"$E2E_DIR/client$c.log"
	done
}

# The checks after a kill, in python3 (sqlite3 module): prints one line per
# problem and "acked=N" at the end.
verify() {
	python3 - "$DB" "$E2E_DIR" "$CLIENTS" <<'PYEOF'
import sqlite3, sys
db, d, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
problems, acked_total = [], 0
applied = set(con.execute("SELECT name, new_ip FROM history"
                          " WHERE family = 'ipv4' AND result = 'applied'"))
for c in range(1, n + 1):
    name = "c%d.example.com" % c
    sent, acked, after = [], None, []
    for line in open("%s/client%d.log" % (d, c)):
        f = line.split()
        if f[0] == "S":
            after.append(f[1])
        elif f[2] == "200":
            acked_total += 1
            acked, after = f[1], []
            if (name, f[1]) not in applied:
                problems.append("%s: acknowledged %s has no history row" % (name, f[1]))
        elif f[2] not in ("000", "503"):
            # 000: the connection died with ddnsd; 503: it was stopping
            problems.append("%s: %s answered %s" % (name, f[1], f[2]))
    row = con.execute("SELECT ipv4 FROM records WHERE name = ?", (name,)).fetchone()
    stored = row[0] if row else None
    allowed = ([acked] if acked else [""]) + after
    if stored not in allowed:
        problems.append("%s: stored %r, last acknowledged %r, sent after it %r"
                        % (name, stored, acked, after[:3]))
for p in problems:
    print(p)
print("acked=%d" % acked_total)
PYEOF
}

e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }
for round in $(seq 1 "$ROUNDS"); do
	rm -f "$E2E_DIR/stop"
	PIDS=
	for c in $(seq 1 $CLIENTS); do
		client "$c" "$round" &
		PIDS="$PIDS $!"
	done
	# a random moment 0.5-2.5 s into the stream, once updates are flowing
	sleep "$((RANDOM % 3)).$((RANDOM % 10))"
	for i in $(seq 1 100); do
		[ "$(cat "$E2E_DIR"/client*.log 2>/dev/null | grep -c ' 200$')" -ge $((round * 20)) ] && break
		sleep 0.05
	done
	kill -9 "$E2E_DDNSD_PID"
	wait "$E2E_DDNSD_PID" 2>/dev/null
	E2E_DDNSD_PID=
	touch "$E2E_DIR/stop"
	# shellcheck disable=SC2086
	wait $PIDS

	OUT=$(verify)
	ACKED=$(echo "$OUT" | sed -n 's/^acked=//p')
	echo "# round $round: $ACKED acknowledged so far"
	check "round $round: updates were acknowledged before the kill" test "${ACKED:-0}" -ge $((round * 20))
	expect_eq "round $round: every acknowledged update is in the store, with its history" \
		"$(echo "$OUT" | grep -v '^acked=')" ""
	expect_eq "round $round: integrity_check" "$(sqlite3 "$DB" 'PRAGMA integrity_check')" "ok"
	check "round $round: ddnsd starts again on the same store" e2e_start_ddnsd "$CONF"
	BODY=$(curl -s "$BASE/dynamicdns/read/c1.example.com/")
	STORED=$(sqlite3 "$DB" "SELECT ipv4 FROM records WHERE name = 'c1.example.com'")
	check "round $round: it serves what the store holds" \
		grep -q "\"ip\": *\"$STORED\"" <<<"$BODY"
done
CODE=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/dynamicdns/update/c1.example.com/" \
	--data "key=$KEY&ip=192.0.2.77")
expect_eq "after the last restart an update is served" "$CODE" 200
check "ddnsd stops cleanly" e2e_stop_ddnsd
expect_eq "integrity_check after a clean stop" "$(sqlite3 "$DB" 'PRAGMA integrity_check')" "ok"
e2e_finish
