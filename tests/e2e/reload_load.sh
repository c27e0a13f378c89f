#!/bin/bash
# Reload under load: 20 SIGHUPs alternating two valid configurations while
# updates (curl loops) and DNS queries (kdig loops, UDP and TCP) keep coming.
#
#  - "home" (builtin_dns) is the same in both: it must be kept across every
#    reload (one instance, created once), answer every query, right.
#  - "slow" (dummy) takes 200 ms per update in configuration A and 700 ms in
#    B, so it is re-created at every reload while updates are with it: each
#    must finish, on the instance it started on (one that started on a B
#    instance and outlived the reload still took its 700 ms).
#  - A has a record x.dyn.test (unused by the load), B an extra provider.
# Every update must answer 200 and every query the address it should.
#
# Phase 2 changes the builtin_dns instance's own options (TTL, UDP worker
# threads: on the loop, one, two) ten times under UDP and TCP queries, each
# asked once with a short timeout: not one may be lost.  The new instance
# binds beside the old one (SO_REUSEPORT) and shares its TCP listening
# socket; the reload then destroys the old one at once, which hands over:
# its UDP sockets leave the port's group (new queries go to the new
# instance), then it answers the queries the kernel had queued on them, and
# its open TCP connections move to the new instance, unread queries and
# all.  A client keeping one TCP connection across all the swaps must see
# each new TTL on it.
. "$top_srcdir/tests/lib/e2e.sh"
command -v kdig >/dev/null || { echo "reload_load.sh: kdig (knot-dnsutils) is needed" >&2; exit 1; }

e2e_init
E2E_HTTP_PORT=$(e2e_free_port)
PORT=$E2E_HTTP_PORT
DNS_PORT=$(e2e_free_udp_port)
BASE=http://127.0.0.1:$PORT
CONF=$E2E_DIR/ddns.conf
KEY=ReloadLoadKeyRrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr1
HASH=$(e2e_key_hash $KEY)
RELOADS=20
STOP=$E2E_DIR/stop

# write_conf A|B [HOME_TTL [HOME_UDP_THREADS]]
write_conf() {
	local delay=200 extra_prov= extra_rec=
	if [ "$1" = B ]; then
		delay=700
		extra_prov='extra = { plugin = "dummy"; };'
	else
		extra_rec=", { domain = \"x.dyn.test\"; provider = \"home\"; key_hash = \"$HASH\"; }"
	fi
	cat >"$CONF.new" <<EOF
http = { listen = [ "127.0.0.1:$PORT" ]; };
database = "$E2E_DIR/ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
update_timeout_ms = 10000;
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = {
  home = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$DNS_PORT" ];
           zone = "dyn.test"; ttl = ${2:-1}; udp_threads = ${3:-1}; };
  slow = { plugin = "dummy"; delay_ms = $delay; };
  $extra_prov
};
records = (
  { domain = "fixed.dyn.test"; provider = "home"; key_hash = "$HASH"; },
  { domain = "u1.dyn.test"; provider = "home"; key_hash = "$HASH"; },
  { domain = "u2.dyn.test"; provider = "home"; key_hash = "$HASH"; },
  { domain = "s1.example.com"; provider = "slow"; key_hash = "$HASH"; },
  { domain = "s2.example.com"; provider = "slow"; key_hash = "$HASH"; }
  $extra_rec
);
EOF
	mv "$CONF.new" "$CONF"
}

now_ms() { date +%s%3N; }
update() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
		"$BASE/dynamicdns/update/$1/" --data "key=$KEY&ip=$2"
}
# updater NAME C: new addresses 10.C.x.y until $STOP; one line per update:
# "end_ms code total pretransfer starttransfer" (curl's times in seconds:
# the request went out at end - (total - pretransfer), and ddnsd took
# starttransfer - pretransfer to answer)
updater() {
	local name=$1 c=$2 k=0 out
	while [ ! -e "$STOP" ] && [ $k -lt 60000 ]; do
		k=$((k + 1))
		out=$(curl -s -o /dev/null --max-time 30 \
			-w '%{http_code} %{time_total} %{time_pretransfer} %{time_starttransfer}' \
			"$BASE/dynamicdns/update/$name/" \
			--data "key=$KEY&ip=10.$c.$((k / 250)).$((k % 250 + 1))")
		echo "$(now_ms) $out" >>"$E2E_DIR/upd.$name"
	done
}

# querier NAME PATTERN [KDIG OPTS]: query NAME A until $STOP; one line per
# query, "ok", "retried" (answered after a lost try, only with +retry=N in
# OPTS) or "bad <answer>" (by default one try, 3 s: a lost query is a failure)
querier() {
	local name=$1 pat=$2 out
	shift 2
	while [ ! -e "$STOP" ]; do
		out=$(kdig @127.0.0.1 -p "$DNS_PORT" +timeout=3 +retry=0 +noall +answer +header \
			"$@" "$name" A 2>&1)
		if grep -q 'status: NOERROR' <<<"$out" &&
			grep -qE "^$name\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+$pat\$" <<<"$out"; then
			if grep -q 'response timeout' <<<"$out"; then echo retried; else echo ok; fi
		else
			echo "bad $(tr '\n' ' ' <<<"$out")"
		fi >>"$E2E_DIR/dns.$name.$*"
	done
}

# load_files: the output files of the load running now (upd.*, dns.*)
load_files() { ls "$E2E_DIR"/upd.* "$E2E_DIR"/dns.* 2>/dev/null; }
# load_running N: wait (20 s at most) until N load writers have each
# written a line, so reloads start under load and not before it
load_running() {
	for _ in $(seq 1 400); do
		[ "$(load_files | wc -l)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# load_moved: wait (20 s at most) until every load writer has written again,
# so the last reload is seen to be survived by every kind of client
load_moved() {
	local f before=() i=0 all
	for f in $(load_files); do before+=("$f:$(wc -l <"$f")"); done
	for _ in $(seq 1 400); do
		all=1
		for i in "${before[@]}"; do
			[ "$(wc -l <"${i%:*}")" -gt "${i##*:}" ] || { all=0; break; }
		done
		[ $all = 1 ] && return 0
		sleep 0.05
	done
	return 1
}

write_conf A
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }
expect_eq "fixed.dyn.test set" "$(update fixed.dyn.test 192.0.2.200)" 200
expect_eq "u1.dyn.test set" "$(update u1.dyn.test 10.1.0.1)" 200

echo "$(now_ms) A" >"$E2E_DIR/reloads"
PIDS=
updater u1.dyn.test 1 & PIDS="$PIDS $!"
updater u2.dyn.test 2 & PIDS="$PIDS $!"
updater s1.example.com 3 & PIDS="$PIDS $!"
updater s2.example.com 4 & PIDS="$PIDS $!"
querier fixed.dyn.test '192\.0\.2\.200' & PIDS="$PIDS $!"
querier fixed.dyn.test '192\.0\.2\.200' +tcp & PIDS="$PIDS $!"
querier u1.dyn.test '10\.1\.[0-9]+\.[0-9]+' & PIDS="$PIDS $!"
E2E_EXTRA_PIDS=$PIDS

check "the load is running (4 updaters, 3 queriers)" load_running 7
RELOAD_FAIL=0
for i in $(seq 1 $RELOADS); do
	v=B
	[ $((i % 2)) = 0 ] && v=A
	write_conf $v
	echo "$(now_ms) HUP" >>"$E2E_DIR/reloads"
	kill -HUP "$E2E_DDNSD_PID"
	e2e_wait_log "ddnsd: reloaded:" "$i" || RELOAD_FAIL=$((RELOAD_FAIL + 1))
	echo "$(now_ms) $v" >>"$E2E_DIR/reloads"
	sleep 0.$((3 + RANDOM % 4)) # pacing, not a wait: reloads at uneven times
done
check "every client went on after the last reload" load_moved
touch "$STOP"
# shellcheck disable=SC2086
wait $PIDS
E2E_EXTRA_PIDS=

expect_eq "all $RELOADS reloads done" "$RELOAD_FAIL" 0
expect_eq "no reload refused" "$(grep -c 'keeping the running configuration' "$E2E_DIR/ddnsd.log")" 0
for n in u1.dyn.test u2.dyn.test s1.example.com s2.example.com; do
	TOTAL=$(wc -l <"$E2E_DIR/upd.$n")
	check "$n: updates ran during the reloads ($TOTAL)" test "$TOTAL" -ge 10
	expect_eq "$n: every update answered 200" \
		"$(awk '$2 != 200' "$E2E_DIR/upd.$n" | head -3)" ""
done
for f in "$E2E_DIR"/dns.*; do
	TOTAL=$(wc -l <"$f")
	check "$(basename "$f"): queries ran during the reloads ($TOTAL)" test "$TOTAL" -ge 10
	expect_eq "$(basename "$f"): every query answered right" "$(grep -v '^ok$' "$f" | head -3)" ""
done

# In-flight updates on "slow" across a reload: each finished on the instance
# it started on.  A request that started inside a window of configuration X
# (after its reload was done, before the next SIGHUP) and was still running at
# that SIGHUP took at least X's delay.  Checked for B (700 ms): had such a
# request been moved to the next (A, 200 ms) instance or cut short, it would
# not all have.
SPAN=$(python3 - "$E2E_DIR" <<'PYEOF'
import sys
d = sys.argv[1]
ev = [l.split() for l in open(d + "/reloads")]
windows = []  # (start, end, variant): between a done reload and the next HUP
for i, (t, what) in enumerate(ev):
    if what in ("A", "B"):
        end = next((int(t2) for t2, w2 in ev[i + 1:] if w2 == "HUP"), None)
        if end is not None:
            windows.append((int(t), end, what))
spanned, wrong = 0, []
for name in ("s1.example.com", "s2.example.com"):
    for line in open("%s/upd.%s" % (d, name)):
        t_end, code, total, pre, first = line.split()
        sent = int(t_end) - (float(total) - float(pre)) * 1000
        took = (float(first) - float(pre)) * 1000
        for start, end, v in windows:
            # sent well inside a B window, still with ddnsd at the next
            # SIGHUP; B's 700 ms against A's 200: 600 ms tells them apart
            if v == "B" and start <= sent < end - 50 and sent + took > end:
                spanned += 1
                if took < 600:
                    wrong.append("%s took %d ms, sent on B (700 ms)" % (name, took))
print(spanned, "; ".join(wrong[:3]))
PYEOF
)
check "updates were in flight on a replaced 700 ms instance (${SPAN%% *})" test "${SPAN%% *}" -ge 3
expect_eq "...each finished on the instance it started on" "${SPAN#* }" ""
expect_eq "builtin_dns kept across every reload (created once)" \
	"$(grep -c 'provider home: plugin builtin_dns' "$E2E_DIR/ddnsd.log")" 1
expect_eq "slow re-created at every reload" \
	"$(grep -c 'provider slow: plugin dummy' "$E2E_DIR/ddnsd.log")" $((RELOADS + 1))
check "x.dyn.test is back in the store (configuration A last)" \
	bash -c '[ "$(sqlite3 "$1" "SELECT count(*) FROM records WHERE name = '"'"'x.dyn.test'"'"'")" = 1 ]' _ "$E2E_DIR/ddns.sqlite"

# Phase 2: the builtin_dns instance's own options change.  kdig asks once
# (3 s), and dnsload.py keeps up a denser load: bursts of 32 UDP queries
# from one socket, a new TCP connection per query (sent at once, so some are
# accepted, or not yet accepted, by the old instance when it goes), and one
# TCP connection kept for every query (moved from instance to instance).
cat >"$E2E_DIR/dnsload.py" <<'PYEOF'
import os, socket, struct, sys, time
port, mode, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
NAME, ADDR = "fixed.dyn.test", bytes([192, 0, 2, 200])

def query(qid):
    q = b"".join(bytes([len(l)]) + l.encode() for l in NAME.split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack(">HH", 1, 1)

def ttl_of(r, qid):
    """The answer's TTL, or None unless it is NOERROR with NAME's address."""
    if len(r) < 12 or struct.unpack(">H", r[:2])[0] != qid or r[3] & 0xf != 0:
        return None
    if struct.unpack(">H", r[6:8])[0] < 1:
        return None
    i = 12
    while r[i] != 0:                  # the question's name
        i += r[i] + 1
    i += 5                            # its end, type, class
    i += 2 if r[i] & 0xc0 else 0      # the answer's name: a pointer
    rtype, _, ttl, rdlen = struct.unpack(">HHIH", r[i:i + 10])
    return ttl if rtype == 1 and r[i + 10:i + 10 + rdlen] == ADDR else None

def tcp_ask(s, qid):
    q = query(qid)
    s.sendall(struct.pack(">H", len(q)) + q)
    data = b""
    while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return ttl_of(data[2:], qid)

sent = lost = bad = 0
ttls = set()
qid = 1
kept = None
while not os.path.exists(stop):
    qid = qid % 65000 + 1
    if mode == "udp":                 # a burst, every answer within 3 s
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3)
        want = {}
        for k in range(32):
            want[qid + k] = True
            s.sendto(query(qid + k), ("127.0.0.1", port))
        sent += 32
        qid += 32
        try:
            while want:
                r = s.recv(4096)
                q = struct.unpack(">H", r[:2])[0]
                if want.pop(q, None) is None or ttl_of(r, q) is None:
                    bad += 1
        except socket.timeout:
            lost += len(want)
        s.close()
        continue
    try:
        if mode == "tcp":             # a new connection per query
            with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
                t = tcp_ask(s, qid)
        else:                         # "keep": one connection throughout
            if kept is None:
                kept = socket.create_connection(("127.0.0.1", port), timeout=3)
            t = tcp_ask(kept, qid)
            time.sleep(0.005)
        sent += 1
        if t is None:
            bad += 1
        else:
            ttls.add(t)
    except OSError as e:
        sent += 1
        lost += 1
        print("lost: %s" % e, file=sys.stderr)
        if kept is not None:
            kept.close()
            kept = None
print(sent, lost, bad, len(ttls))
PYEOF
rm -f "$STOP" "$E2E_DIR"/dns.* "$E2E_DIR"/upd.*
PIDS=
querier fixed.dyn.test '192\.0\.2\.200' & PIDS="$PIDS $!"
querier u1.dyn.test '10\.1\.[0-9]+\.[0-9]+' & PIDS="$PIDS $!"
querier fixed.dyn.test '192\.0\.2\.200' +tcp & PIDS="$PIDS $!"
for m in udp tcp keep; do
	python3 "$E2E_DIR/dnsload.py" "$DNS_PORT" $m "$STOP" >"$E2E_DIR/load.$m" 2>"$E2E_DIR/load.$m.err" &
	PIDS="$PIDS $!"
done
E2E_EXTRA_PIDS=$PIDS
check "the queriers are running" load_running 3
DONE=$(grep -c "ddnsd: reloaded:" "$E2E_DIR/ddnsd.log")
SWAPS=10
for i in $(seq 1 $SWAPS); do
	write_conf A $((i + 1)) $((i % 3))
	kill -HUP "$E2E_DDNSD_PID"
	e2e_wait_log "ddnsd: reloaded:" $((DONE + i)) || RELOAD_FAIL=$((RELOAD_FAIL + 1))
	sleep 0.$((3 + RANDOM % 4)) # pacing, not a wait: reloads at uneven times
done
check "every querier went on after the last swap" load_moved
touch "$STOP"
# shellcheck disable=SC2086
wait $PIDS
E2E_EXTRA_PIDS=
expect_eq "builtin_dns options changed $SWAPS times: every reload done" "$RELOAD_FAIL" 0
expect_eq "...a new instance each time" \
	"$(grep -c 'provider home: plugin builtin_dns' "$E2E_DIR/ddnsd.log")" $((SWAPS + 1))
# The old instance goes within the reload, before "reloaded:", not later.
expect_eq "...and the old one handed over within each reload" "$(awk '
	/provider home: stopped:/ { n++ }
	/ddnsd: reloaded:/ && r++ >= '"$DONE"' && n != r - '"$DONE"' { print "reload " r - '"$DONE"' ": " n " stopped"; exit }
' "$E2E_DIR/ddnsd.log")" ""
for f in "$E2E_DIR"/dns.*; do
	TOTAL=$(wc -l <"$f")
	check "new options, $(basename "$f"): queries ran ($TOTAL)" test "$TOTAL" -ge 5
	expect_eq "new options, $(basename "$f"): every query answered at the first try" \
		"$(grep -v '^ok$' "$f" | head -3)" ""
done
for m in udp tcp keep; do
	read -r SENT LOST BAD NTTL <"$E2E_DIR/load.$m"
	check "new options, dnsload $m: queries ran (${SENT:-0})" test "${SENT:-0}" -ge 100
	expect_eq "new options, dnsload $m: none lost, none wrong" "${LOST:-?} ${BAD:-?}" "0 0"
	[ -s "$E2E_DIR/load.$m.err" ] && sed 's/^/# /' "$E2E_DIR/load.$m.err" | head -3
done
check "new options, the kept TCP connection saw the new instances' TTLs ($NTTL)" \
	test "${NTTL:-0}" -ge 4
echo "# at the handovers: $(awk '/provider home: stopped:/ { q += $5; t += $10 }
	END { print q + 0 " queued UDP queries answered, " t + 0 " TCP connections moved" }' \
	"$E2E_DIR/ddnsd.log")"
# ttl: the TTL answered for fixed.dyn.test
ttl() { kdig @127.0.0.1 -p "$DNS_PORT" +noall +answer +timeout=3 +retry=0 fixed.dyn.test A | awk '{print $2}'; }
# the old instances are gone: only the last options answer, ten in a row
last_ttl_only() {
	local i
	for i in $(seq 1 10); do
		[ "$(ttl)" = $((SWAPS + 1)) ] || return 1
	done
}
check "the last options are served (TTL $((SWAPS + 1))), and only they" last_ttl_only

check "ddnsd stops cleanly" e2e_stop_ddnsd
e2e_finish
