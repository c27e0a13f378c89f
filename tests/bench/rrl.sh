#!/bin/bash
# Benchmark (not a test): what response rate limiting costs and what it
# saves, builtin_dns beside Knot DNS's mod-rrl in the same run.
#
#  1. qps: dnsperf against builtin_dns with RRL off and on (rrl_rate at its
#     maximum, so the bucket is looked up for every response but nothing is
#     limited), runs interleaved, the median of each.  Target: RRL costs
#     less than 10% of qps.
#  2. flood: one source sends NS queries for a zone with 8 NS names and dual
#     glue (the biggest answer the server gives) at a fixed rate; for
#     builtin_dns without RRL, with rrl_rate 20 / rrl_slip 2, and Knot with
#     mod-rrl rate-limit 20 / slip 2: queries answered (TC=1 slips count as
#     answers, they are what a flooded victim receives), bytes out per
#     byte in (the amplification), from dnsperf's counts and average sizes.
#
# Usage, from a build folder configured WITHOUT --enable-sanitizers:
#   /path/to/src/tests/bench/rrl.sh
# Environment: DDNSD, DDNS_PLUGIN_DIR (default ./daemon/ddnsd,
#   ./plugins/.libs), BENCH_SECONDS=5 (each qps run), BENCH_ROUNDS=3,
#   FLOOD_QPS=2000, FLOOD_SECONDS=5.
# Needs (Debian): dnsperf knot python3 dig.
set -u

DDNSD=${DDNSD:-$PWD/daemon/ddnsd}
DDNS_PLUGIN_DIR=${DDNS_PLUGIN_DIR:-$PWD/plugins/.libs}
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
FLOOD_QPS=${FLOOD_QPS:-2000}
FLOOD_SECONDS=${FLOOD_SECONDS:-5}
ZONE=rrl.example

for tool in dnsperf knotd dig python3; do
	command -v "$tool" >/dev/null || { echo "rrl.sh: $tool is missing" >&2; exit 1; }
done
[ -x "$DDNSD" ] || { echo "rrl.sh: no ddnsd at $DDNSD (set DDNSD)" >&2; exit 1; }
if nm "$DDNSD" 2>/dev/null | grep -q __asan_init; then
	echo "rrl.sh: warning: $DDNSD is built with sanitizers; figures will be low" >&2
fi

# The e2e helpers: a scratch folder removed at exit (E2E_EXTRA_PIDS killed),
# free ports.
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
DDNS_TEST_PLUGIN_DIR=$DDNS_PLUGIN_DIR
. "$top_srcdir/tests/lib/e2e.sh"
e2e_init
DIR=$E2E_DIR
E2E_EXTRA_PIDS=
free_port() { e2e_free_udp_port; }
wait_dns() {
	local i
	for i in $(seq 1 300); do
		dig @127.0.0.1 -p "$1" +time=1 +tries=1 +short "$ZONE" SOA 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	echo "rrl.sh: nothing answers on port $1" >&2
	return 1
}
stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# The zone: 8 in-zone NS names, each with an IPv4 and an IPv6 glue address.
NS_CONF=
{
	printf '$ORIGIN %s.\n$TTL 3600\n' "$ZONE"
	printf '@ SOA ns1 hostmaster 1 3600 600 604800 60\n'
	for i in 1 2 3 4 5 6 7 8; do
		printf '@ NS ns%d\nns%d A 192.0.2.%d\nns%d AAAA 2001:db8::%d\n' "$i" "$i" "$i" "$i" "$i"
		NS_CONF="$NS_CONF${NS_CONF:+, }\"ns$i.$ZONE=192.0.2.$i,2001:db8::$i\""
	done
} >"$DIR/zone"
echo "$ZONE SOA" >"$DIR/q_soa"
echo "$ZONE NS" >"$DIR/q_ns"

# start_ddnsd RRL_OPTIONS: sets PORT and PID.
start_ddnsd() {
	local http
	PORT=$(free_port)
	http=$(free_port)
	cat >"$DIR/ddns.conf" <<EOF
http = { listen = [ "127.0.0.1:$http" ]; };
database = "$DIR/ddns.sqlite";
plugin_dir = "$DDNS_PLUGIN_DIR";
log_level = "warning";
providers = { bench = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$PORT" ];
  zone = "$ZONE"; ns = [ $NS_CONF ]; udp_threads = 1; $1 }; };
EOF
	"$DDNSD" -c "$DIR/ddns.conf" >>"$DIR/ddnsd.log" 2>&1 &
	PID=$!
	E2E_EXTRA_PIDS="$E2E_EXTRA_PIDS $PID"
	wait_dns "$PORT"
}

# start_knot RRL(0: none) SLIP: sets PORT and PID.
start_knot() {
	PORT=$(free_port)
	mkdir -p "$DIR/knot"
	{
		cat <<EOF
server:
  listen: 127.0.0.1@$PORT
  rundir: "$DIR/knot"
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
log:
  - target: stderr
    any: warning
database:
  storage: "$DIR/knot"
EOF
		[ "$1" != 0 ] && printf 'mod-rrl:\n  - id: flood\n    rate-limit: %s\n    slip: %s\n' "$1" "$2"
		cat <<EOF
template:
  - id: default
    storage: "$DIR"
    journal-content: none
    zonefile-sync: -1
EOF
		[ "$1" != 0 ] && printf '    global-module: mod-rrl/flood\n'
		printf 'zone:\n  - domain: %s\n    file: "%s/zone"\n' "$ZONE" "$DIR"
	} >"$DIR/knot.conf"
	knotd -c "$DIR/knot.conf" >"$DIR/knot/stdout" 2>&1 &
	PID=$!
	E2E_EXTRA_PIDS="$E2E_EXTRA_PIDS $PID"
	wait_dns "$PORT" || cat "$DIR/knot/stdout" >&2
}

# dnsperf_run PORT QUERIES ARGS...  (A flood's -q is twice its rate: a
# dropped query holds its slot for the 1 s timeout, and the rate must hold.): prints "qps sent completed req_bytes resp_bytes".
dnsperf_run() {
	local out port=$1 q=$2
	shift 2
	out=$(dnsperf -s 127.0.0.1 -p "$port" -d "$q" -t 1 "$@" 2>&1)
	printf '%s %s %s %s %s\n' \
		"$(sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' <<<"$out")" \
		"$(sed -n 's/.*Queries sent: *\([0-9]*\).*/\1/p' <<<"$out")" \
		"$(sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p' <<<"$out")" \
		"$(sed -n 's/.*Average packet size: *request \([0-9]*\).*/\1/p' <<<"$out")" \
		"$(sed -n 's/.*Average packet size: .*response \([0-9]*\).*/\1/p' <<<"$out")"
}

echo "# rrl.sh: $(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## 1. qps, builtin_dns, RRL off vs on (rrl_rate 1000000: looked up, never limiting)"
for r in $(seq 1 "$ROUNDS"); do
	for mode in off on; do
		if [ "$mode" = on ]; then start_ddnsd "rrl_rate = 1000000; rrl_slip = 2;"
		else start_ddnsd ""; fi
		read -r qps _ <<<"$(dnsperf_run "$PORT" "$DIR/q_soa" -l "$SECS" -c 4 -q 200)"
		echo "$mode $qps" >>"$DIR/qps"
		stop "$PID"
	done
done
# median MODE: the median qps of MODE's runs (mawk has no asort).
median() {
	awk -v m="$1" '$1 == m { print $2 }' "$DIR/qps" | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
OFF=$(median off)
ON=$(median on)
printf '  RRL off median %9.0f qps  (runs: %s)\n' "$OFF" "$(awk '$1 == "off" { printf "%.0f ", $2 }' "$DIR/qps")"
printf '  RRL on  median %9.0f qps  (runs: %s)\n' "$ON" "$(awk '$1 == "on" { printf "%.0f ", $2 }' "$DIR/qps")"
awk -v a="$OFF" -v b="$ON" 'BEGIN { printf "  cost of RRL: %.1f%% of qps\n", (a - b) * 100 / a }'

echo
echo "## 2. flood: NS queries from 127.0.0.1 at $FLOOD_QPS/s for $FLOOD_SECONDS s"
printf '  %-34s %9s %9s %9s %7s %7s %14s\n' server sent answered answered% req_B resp_B amplification
flood() {
	local label=$1 sent done_ req resp
	read -r _ sent done_ req resp <<<"$(dnsperf_run "$PORT" "$DIR/q_ns" -l "$FLOOD_SECONDS" \
		-Q "$FLOOD_QPS" -c 1 -q $((FLOOD_QPS * 2)))"
	awk -v l="$label" -v s="${sent:-0}" -v d="${done_:-0}" -v a="${req:-0}" -v b="${resp:-0}" \
		'BEGIN { printf "  %-34s %9d %9d %8.1f%% %7d %7d %13.2fx\n", l, s, d,
		         s ? d * 100 / s : 0, a, b, (s && a) ? d * b / (s * a) : 0 }'
}
start_ddnsd ""
flood "builtin_dns, no RRL"
stop "$PID"
start_ddnsd "rrl_rate = 20; rrl_slip = 2;"
flood "builtin_dns, rrl_rate 20, slip 2"
stop "$PID"
start_knot 0 0
flood "knot 3.2, no RRL"
stop "$PID"
start_knot 20 2
flood "knot 3.2, mod-rrl 20/s, slip 2"
stop "$PID"
