#!/bin/bash
# Benchmark (not a test): dnsperf on loopback against ddnsd (builtin_dns),
# NSD and Knot DNS serving the same names, in the same run, with 10 and with
# 100,000 records.  Prints queries per second and lost queries for each.
#
# Usage, from a build folder configured WITHOUT --enable-sanitizers:
#   /path/to/src/tests/bench/dns.sh
# Environment:
#   DDNSD, DDNS_PLUGIN_DIR   the daemon and plugin folder (default: ./daemon/ddnsd,
#                            ./plugins/.libs)
#   BENCH_RECORDS="10 100000"  record counts
#   BENCH_SECONDS=10         length of each dnsperf run
#   BENCH_CLIENTS=4          dnsperf -c (sockets), BENCH_OUTSTANDING=200 (-q)
#   BENCH_THREADS="1 N"      UDP threads of every server (N = CPUs): builtin_dns
#                            udp_threads, NSD server-count, Knot udp-workers
#   BENCH_ROUNDS=3           dnsperf runs per server, interleaved; the median counts
#   BENCH_RATE=              dnsperf -Q: a fixed query rate (default: as fast as
#                            possible).  The CPU time each server spends per
#                            query is printed too: unlike qps, it barely
#                            depends on what else the machine is running.
# Needs (Debian): dnsperf nsd knot sqlite3 python3.
set -u

DDNSD=${DDNSD:-$PWD/daemon/ddnsd}
DDNS_PLUGIN_DIR=${DDNS_PLUGIN_DIR:-$PWD/plugins/.libs}
RECORDS=${BENCH_RECORDS:-10 100000}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CLIENTS=${BENCH_CLIENTS:-4}
OUTSTANDING=${BENCH_OUTSTANDING:-200}
THREADS=${BENCH_THREADS:-1 $(nproc)}
ROUNDS=${BENCH_ROUNDS:-3}
RATE=${BENCH_RATE:-}
HZ=$(getconf CLK_TCK)
UDP_THREADS=1
PEER_THREADS=1
ZONE=bench.example

for tool in dnsperf nsd knotd sqlite3 python3; do
	command -v "$tool" >/dev/null || { echo "dns.sh: $tool is missing" >&2; exit 1; }
done
[ -x "$DDNSD" ] || { echo "dns.sh: no ddnsd at $DDNSD (set DDNSD)" >&2; exit 1; }
if nm "$DDNSD" 2>/dev/null | grep -q __asan_init; then
	echo "dns.sh: warning: $DDNSD is built with sanitizers; figures will be low" >&2
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/ddns-bench.XXXXXX")
PIDS=
cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT

# free_port: a port free for both UDP and TCP on 127.0.0.1.
free_port() {
	python3 -c 'import socket
while True:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", s.getsockname()[1]))
    except OSError:
        continue
    print(s.getsockname()[1])
    break'
}

# wait_dns PORT: until a SOA query for the zone is answered (<= 120 s).
wait_dns() {
	local i
	for i in $(seq 1 1200); do
		if dig @127.0.0.1 -p "$1" +time=1 +tries=1 +short "$ZONE" SOA 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	echo "dns.sh: nothing answers on port $1" >&2
	return 1
}

# wait_http PORT: until ddnsd's HTTP port accepts (it is then fully started).
wait_http() {
	local i
	for i in $(seq 1 1200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "dns.sh: ddnsd's HTTP port $1 does not answer" >&2
	return 1
}

# stop PID: SIGTERM and wait.
stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	PIDS=$(echo " $PIDS " | sed "s/ $1 / /")
}

# make_data N: names, zone file and dnsperf input for N records.
make_data() {
	local n=$1
	python3 - "$n" "$DIR" "$ZONE" <<'PY'
import random, sys
n, d, zone = int(sys.argv[1]), sys.argv[2], sys.argv[3]
names = [f"host{i}.{zone}" for i in range(n)]
addr = lambda i: f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
with open(f"{d}/zone", "w") as z:
    z.write(f"$ORIGIN {zone}.\n$TTL 1\n")
    z.write(f"@ 3600 IN SOA ns1.{zone}. hostmaster.{zone}. 1 3600 600 604800 1\n")
    z.write(f"@ 3600 IN NS ns1.{zone}.\nns1 3600 IN A 127.0.0.1\n")
    for i, name in enumerate(names):
        z.write(f"{name}. 1 IN A {addr(i)}\n")
with open(f"{d}/rows.sql", "w") as s:
    s.write("BEGIN;\n")
    for i, name in enumerate(names):
        s.write(f"INSERT INTO records (name, provider, key_hash, ipv4, source) VALUES "
                f"('{name}', 'bench', 'sha256:{'0' * 64}', '{addr(i)}', 'ddnsctl');\n")
    s.write("COMMIT;\n")
rnd = random.Random(1)
with open(f"{d}/queries", "w") as q:
    # Every name once, shuffled, then again: dnsperf loops over the file.
    order = list(range(n)) * max(1, 100000 // n)
    rnd.shuffle(order)
    for i in order:
        q.write(f"{names[i]} A\n")
PY
}

# cpu_ticks PID: user + system clock ticks of PID, its threads and children.
cpu_ticks() {
	local t p
	# Fields after "pid (comm) ": the name may hold spaces ("nsd: main").
	t=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}')
	t=${t:-0}
	for p in $(pgrep -P "$1"); do
		t=$((t + $(cpu_ticks "$p")))
	done
	echo "$t"
}

# perf PORT LABEL PID: one dnsperf run, appended to $DIR/results as
# "label qps sent lost cpu-us-per-query".
perf() {
	local out t0 t1
	t0=$(cpu_ticks "$3")
	out=$(dnsperf -s 127.0.0.1 -p "$1" -d "$DIR/queries" -l "$SECONDS_PER_RUN" \
		-c "$CLIENTS" -q "$OUTSTANDING" -t 2 ${RATE:+-Q "$RATE"} 2>&1)
	t1=$(cpu_ticks "$3")
	local qps sent lost done_
	qps=$(sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' <<<"$out")
	sent=$(sed -n 's/.*Queries sent: *\([0-9]*\).*/\1/p' <<<"$out")
	lost=$(sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' <<<"$out")
	done_=$(sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p' <<<"$out")
	local us
	us=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="${done_:-0}" \
		'BEGIN { if (n > 0) printf "%.2f", t * 1e6 / hz / n; else print 0 }')
	echo "$2 ${qps:-0} ${sent:-0} ${lost:-0} $us" >>"$DIR/results"
}

# start_ddnsd: the store gets the N rows as ddnsctl would add them; sets DDNSD_PORT.
start_ddnsd() {
	local port http db=$DIR/ddns.sqlite
	port=$(free_port)
	http=$(free_port)
	rm -f "$db" "$db"-*
	cat >"$DIR/ddns.conf" <<EOF
http = { listen = [ "127.0.0.1:$http" ]; };
database = "$db";
plugin_dir = "$DDNS_PLUGIN_DIR";
log_level = "warning";
providers = { bench = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$port" ];
  zone = [ "$ZONE" ]; ns = [ "ns1.$ZONE=127.0.0.1" ]; udp_threads = $UDP_THREADS; }; };
EOF
	# Create the schema, then add the rows.
	"$DDNSD" -c "$DIR/ddns.conf" >"$DIR/ddnsd.log" 2>&1 &
	local pid=$!
	PIDS="$PIDS $pid"
	wait_http "$http" || return 1
	stop "$pid"
	sqlite3 -batch "$db" <"$DIR/rows.sql" || return 1
	"$DDNSD" -c "$DIR/ddns.conf" >>"$DIR/ddnsd.log" 2>&1 &
	DDNSD_PID=$!
	PIDS="$PIDS $DDNSD_PID"
	wait_http "$http" && wait_dns "$port" || return 1
	dig @127.0.0.1 -p "$port" +short "host$((N - 1)).$ZONE" A | grep -q . ||
		{ echo "dns.sh: ddnsd does not serve the records" >&2; return 1; }
	DDNSD_PORT=$port
}

start_nsd() {
	local port
	port=$(free_port)
	mkdir -p "$DIR/nsd"
	cat >"$DIR/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$port
  server-count: $PEER_THREADS
  username: ""
  chroot: ""
  zonesdir: "$DIR"
  database: ""
  zonelistfile: "$DIR/nsd/zone.list"
  xfrdfile: "$DIR/nsd/xfrd.state"
  xfrdir: "$DIR/nsd"
  pidfile: "$DIR/nsd/nsd.pid"
  logfile: "$DIR/nsd/nsd.log"
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: $ZONE
  zonefile: "$DIR/zone"
EOF
	nsd -d -c "$DIR/nsd.conf" >"$DIR/nsd/stdout" 2>&1 &
	NSD_PID=$!
	PIDS="$PIDS $NSD_PID"
	wait_dns "$port" || { cat "$DIR/nsd/nsd.log" "$DIR/nsd/stdout" >&2; return 1; }
	NSD_PORT=$port
}

start_knot() {
	local port
	port=$(free_port)
	mkdir -p "$DIR/knot"
	cat >"$DIR/knot.conf" <<EOF
server:
  listen: 127.0.0.1@$port
  rundir: "$DIR/knot"
  udp-workers: $PEER_THREADS
  tcp-workers: 1
  background-workers: 1
log:
  - target: stderr
    any: warning
database:
  storage: "$DIR/knot"
template:
  - id: default
    storage: "$DIR"
    journal-content: none
    zonefile-sync: -1
zone:
  - domain: $ZONE
    file: "$DIR/zone"
EOF
	knotd -c "$DIR/knot.conf" >"$DIR/knot/stdout" 2>&1 &
	KNOT_PID=$!
	PIDS="$PIDS $KNOT_PID"
	wait_dns "$port" || { cat "$DIR/knot/stdout" >&2; return 1; }
	KNOT_PORT=$port
}

# report SERVER: median qps of its rounds, total sent and lost.
report() {
	awk -v s="$1" -v n="$N" -v t="$UDP_THREADS" '$1 == s { q[++k] = $2; c[k] = $5; sent += $3; lost += $4 }
	END {
		if (k == 0) { printf "%-6s %7d records  %d thread(s)  FAILED\n", s, n, t; exit }
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) {
			if (q[j] < q[i]) { x = q[i]; q[i] = q[j]; q[j] = x }
			if (c[j] < c[i]) { x = c[i]; c[i] = c[j]; c[j] = x }
		}
		m = int((k + 1) / 2)
		printf "%-6s %7d records  %d thread(s)  %9.0f qps  %5.2f us CPU/query  (medians of %d; qps runs:", s, n, t, q[m], c[m], k
		for (i = 1; i <= k; i++) printf " %.0f", q[i]
		printf ")  %d sent  %d lost\n", sent, lost
	}' "$DIR/results"
}

echo "dnsperf: ${SECONDS_PER_RUN}s per run, $ROUNDS interleaved rounds, $CLIENTS clients," \
	"$OUTSTANDING outstanding, rate ${RATE:-unlimited}; $(nproc) CPUs;" \
	"load $(cut -d' ' -f1-3 /proc/loadavg)"
for N in $RECORDS; do
	make_data "$N"
	for threads in $THREADS; do
		UDP_THREADS=$threads
		PEER_THREADS=$threads
		: >"$DIR/results"
		DDNSD_PORT= NSD_PORT= KNOT_PORT=
		start_ddnsd || echo "ddnsd: did not start: $(tail -n 3 "$DIR/ddnsd.log")" >&2
		start_nsd || echo "nsd: did not start" >&2
		start_knot || echo "knot: did not start" >&2
		for round in $(seq 1 "$ROUNDS"); do
			[ -n "$DDNSD_PORT" ] && perf "$DDNSD_PORT" ddnsd "$DDNSD_PID"
			[ -n "$NSD_PORT" ] && perf "$NSD_PORT" nsd "$NSD_PID"
			[ -n "$KNOT_PORT" ] && perf "$KNOT_PORT" knot "$KNOT_PID"
		done
		report ddnsd
		report nsd
		report knot
		for pid in ${DDNSD_PID:-} ${NSD_PID:-} ${KNOT_PID:-}; do stop "$pid"; done
		DDNSD_PID= NSD_PID= KNOT_PID=
	done
done
