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
# Phase 2 changes the builtin_dns instance's own options six times under UDP
# queries: the new instance binds beside the old one (SO_REUSEPORT) and the
# old one closes when retired, so the port is never without a listener and
# every query is answered, but not always at the first try: datagrams the
# kernel had queued on the old socket (the group spreads queries over both
# sockets until then) go with it, and so does a TCP query on a connection the
# old instance had accepted and not yet read.  Changing a builtin_dns
# instance's options under load costs a few clients one retry (stub
# resolvers and kdig retry after a second or so); without a change of its
# options (phase 1) nothing is lost.
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

# write_conf A|B [HOME_TTL]
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
           zone = "dyn.test"; ttl = ${2:-1}; };
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
# until_log TEXT N: wait (20 s at most) until the log has TEXT N times
until_log() {
	local i
	for i in $(seq 1 200); do
		[ "$(grep -cF -- "$1" "$E2E_DIR/ddnsd.log")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
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

sleep 1
RELOAD_FAIL=0
for i in $(seq 1 $RELOADS); do
	v=B
	[ $((i % 2)) = 0 ] && v=A
	write_conf $v
	echo "$(now_ms) HUP" >>"$E2E_DIR/reloads"
	kill -HUP "$E2E_DDNSD_PID"
	until_log "reloaded:" "$i" || RELOAD_FAIL=$((RELOAD_FAIL + 1))
	echo "$(now_ms) $v" >>"$E2E_DIR/reloads"
	sleep 0.$((3 + RANDOM % 4))
done
sleep 1
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

# Phase 2: the builtin_dns instance's own options change (its TTL): a new
# instance binds beside the old one (SO_REUSEPORT), the old one closes once
# retired.  Queries are asked as a stub resolver does (a lost try is asked
# again, after 1 s): every one must be answered, so there is never a moment
# with nobody on the port; the tries lost in the swap are counted.
rm -f "$STOP" "$E2E_DIR"/dns.*
PIDS=
querier fixed.dyn.test '192\.0\.2\.200' +timeout=1 +retry=2 & PIDS="$PIDS $!"
querier u1.dyn.test '10\.1\.[0-9]+\.[0-9]+' +timeout=1 +retry=2 & PIDS="$PIDS $!"
E2E_EXTRA_PIDS=$PIDS
DONE=$(grep -c "reloaded:" "$E2E_DIR/ddnsd.log")
for i in 1 2 3 4 5 6; do
	write_conf A $((i % 2 + 1))
	kill -HUP "$E2E_DDNSD_PID"
	until_log "reloaded:" $((DONE + i)) || RELOAD_FAIL=$((RELOAD_FAIL + 1))
	# until the retired instance has let go of the port (swept within ~1 s)
	until_log "home: removed from the configuration" "$i" || RELOAD_FAIL=$((RELOAD_FAIL + 1))
	sleep 0.$((3 + RANDOM % 4))
done
touch "$STOP"
# shellcheck disable=SC2086
wait $PIDS
E2E_EXTRA_PIDS=
expect_eq "builtin_dns options changed 6 times: every reload done" "$RELOAD_FAIL" 0
expect_eq "...a new instance each time" \
	"$(grep -c 'provider home: plugin builtin_dns' "$E2E_DIR/ddnsd.log")" 7
for f in "$E2E_DIR"/dns.*; do
	TOTAL=$(wc -l <"$f")
	check "new options, $(basename "$f"): queries ran ($TOTAL)" test "$TOTAL" -ge 5
	expect_eq "new options, $(basename "$f"): every UDP query answered right" \
		"$(grep -v -e '^ok$' -e '^retried$' "$f" | head -3)" ""
	echo "# $(basename "$f"): $(grep -c '^retried$' "$f") of $TOTAL queries lost a try in the swaps"
done
# ttl: the TTL answered for fixed.dyn.test
ttl() { kdig @127.0.0.1 -p "$DNS_PORT" +noall +answer +timeout=3 +retry=0 fixed.dyn.test A | awk '{print $2}'; }
# once the retired instance has closed its socket (its sweep, within ~1 s),
# only the last options answer: ten queries in a row
last_ttl_only() {
	local i n=0
	for i in $(seq 1 100); do
		if [ "$(ttl)" = 1 ]; then n=$((n + 1)); else n=0; fi
		[ $n -ge 10 ] && return 0
		sleep 0.05
	done
	return 1
}
check "the last options are served (TTL 1), and only they" last_ttl_only

check "ddnsd stops cleanly" e2e_stop_ddnsd
e2e_finish
