#!/bin/bash
# Benchmark (not a test): does the event loop wait for the disk?
#
#   tests/bench/store.sh [BUILD_DIR]      (default: the current folder)
#
# A stream of changed-address updates (wrk, BENCH_CONNECTIONS clients, every
# request a new address for one of BENCH_NAMES names on builtin_dns, with
# database_sync = "full") runs while tests/bench/probe.py measures what else
# ddnsd must keep doing: /healthz, a DNS query over UDP and over TCP, and a
# wrong key's 403 (due after auth_fail_delay_ms = 2000).  Three cases:
#   disk     the store as it is
#   slowsync every fsync 20 ms slower (tests/bench/slow_fsync.c, LD_PRELOAD)
#   locked   another process holds a write transaction for 20 s
# For each: durable changed updates/s (history rows written / seconds), the
# probe's p50/p99/max, and how long SIGTERM takes at the end of the stream.
# Use a build without sanitizers (the quick start's _build/).  Needs wrk,
# curl, python3, sqlite3, cc.  Knobs: BENCH_SECONDS (10; the locked case
# runs 24 s at least), BENCH_NAMES (64),
# BENCH_CONNECTIONS (50), BENCH_CASES ("disk slowsync locked").
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:-.}" && pwd)
plugins=$build/plugins/.libs
secs=${BENCH_SECONDS:-10}
names=${BENCH_NAMES:-64}
conns=${BENCH_CONNECTIONS:-50}
cases=${BENCH_CASES:-disk slowsync locked}

DDNSD=$build/daemon/ddnsd DDNS_TEST_PLUGIN_DIR=$plugins top_srcdir=$top
. "$top/tests/lib/e2e.sh"
for tool in wrk curl python3 sqlite3 cc; do
	e2e_find_tool "$tool" "$tool" >/dev/null || exit 1
done
[ -x "$DDNSD" ] || { echo "store.sh: no $DDNSD (build first)" >&2; exit 1; }
e2e_init
work=$E2E_DIR
cc -O2 -shared -fPIC -o "$work/slow_fsync.so" "$here/slow_fsync.c" -ldl

KEY=BenchStoreKeyBenchStoreKeyBenchStoreKey0123456789
HASH=$(e2e_key_hash "$KEY")

write_conf() { # DB HTTP_PORT DNS_PORT
	{
		cat <<CONF
http = { listen = [ "127.0.0.1:$2" ]; };
database = "$1";
database_sync = "full";
plugin_dir = "$plugins";
log_level = "warning";
update_timeout_ms = 30000;
auth_fail_delay_ms = 2000;
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = {
  dns = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$3" ]; zone = [ "dyn.test" ]; ttl = 1; };
};
records = (
CONF
		for i in $(seq 1 "$names"); do
			printf '  %s{ domain = "h%d.dyn.test"; provider = "dns"; key_hash = "%s"; }\n' \
				"$([ "$i" -gt 1 ] && echo ,)" "$i" "$HASH"
		done
		echo ');'
	} >"$work/ddns.conf"
}

cat >"$work/rotate.lua" <<EOF
-- Each request gives one of $names names an address it did not have.
local next_id = 0
function setup(thread)
	thread:set("tid", next_id)
	next_id = next_id + 1
end
function init(args)
	n = 0
end
function request()
	n = n + 1
	local seq = n * 4 + tid
	local r = (seq % $names) + 1
	local ip = string.format("10.%d.%d.%d", math.floor(seq / 65536) % 256,
		math.floor(seq / 256) % 256, seq % 256)
	return wrk.format("POST", "/dynamicdns/update/h" .. r .. ".dyn.test/",
		{ ["Content-Type"] = "application/x-www-form-urlencoded" },
		"key=$KEY&ip=" .. ip)
end
EOF

applied() { sqlite3 "$1" "SELECT count(*) FROM history WHERE result = 'applied'"; }

echo "== store benchmark: $("$DDNSD" --version 2>/dev/null | head -1), $names names," \
	"$conns clients, ${secs}s per case, database_sync = full =="
for c in $cases; do
	db=$work/$c.sqlite
	http=$(e2e_free_port)
	dns=$(e2e_free_udp_port)
	write_conf "$db" "$http" "$dns"
	E2E_HTTP_PORT=$http
	: >"$work/ddnsd.log"
	preload=
	[ "$c" = slowsync ] && preload=$work/slow_fsync.so
	LD_PRELOAD=$preload "$DDNSD" -c "$work/ddns.conf" >>"$work/ddnsd.log" 2>&1 &
	E2E_DDNSD_PID=$!
	e2e_wait_port "$http" || { cat "$work/ddnsd.log"; exit 1; }
	before=$(applied "$db")
	lock_pid=
	if [ "$c" = locked ]; then
		# another process (a backup, a careless script) holds the write lock
		(sleep 1; sqlite3 "$db" ".timeout 10000" "BEGIN IMMEDIATE;" \
			".shell touch $work/locked; sleep 20" "COMMIT;" >/dev/null 2>&1) &
		lock_pid=$!
	fi
	run=$secs
	[ "$c" = locked ] && [ "$run" -lt 24 ] && run=24 # the lock's 20 s and more
	t0=$(date +%s%N)
	wrk -t 2 -c "$conns" -d "${run}s" --timeout 60s -s "$work/rotate.lua" \
		"http://127.0.0.1:$http" >"$work/wrk.$c" 2>&1 &
	wrk_pid=$!
	sleep 0.5 # not a wait for an event: the probe measures under a running stream
	python3 "$here/probe.py" "$http" "$dns" h1.dyn.test WrongKeyWrongKeyWrongKey0000 \
		"$(awk -v s="$run" 'BEGIN { print s - 1 }')" >"$work/probe.$c"
	wait "$wrk_pid"
	t1=$(date +%s%N)
	s0=$(date +%s%N)
	kill -TERM "$E2E_DDNSD_PID"
	wait "$E2E_DDNSD_PID" || true
	s1=$(date +%s%N)
	E2E_DDNSD_PID=
	if [ -n "$lock_pid" ]; then
		wait "$lock_pid" || true
		[ -e "$work/locked" ] || echo "(the other process never got the lock)"
	fi
	after=$(applied "$db")
	echo "-- $c"
	awk -v n=$((after - before)) -v ms=$(((t1 - t0) / 1000000)) \
		'BEGIN { printf "durable changed updates/s %.0f  (%d in %.1f s)\n", n * 1000 / ms, n, ms / 1000 }'
	grep -E 'Non-2xx|Socket errors' "$work/wrk.$c" || true
	cat "$work/probe.$c"
	echo "SIGTERM to exit: $(((s1 - s0) / 1000000)) ms"
done
e2e_finish >/dev/null
