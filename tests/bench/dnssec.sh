#!/bin/bash
# Benchmark (not a test): what DNSSEC costs builtin_dns's answers.
# dnsperf with DO set (-D), in one run, rounds interleaved, the median of
# each: builtin_dns serving the zone unsigned, the same zone signed
# (dnssec = true: RRSIGs cached per RRset), and Knot 3.2 with
# mod-onlinesign (it signs on every query) serving the same names.  The
# queries ask for BENCH_NAMES existing names (A) and, in a second mix,
# names that do not exist (each denial is signed for its query).  Target:
# signed >= 0.9x unsigned, and above Knot's onlinesign.  Also: the memory
# builtin_dns holds per signed RRset once warm.
#
# Usage, from a build folder configured WITHOUT --enable-sanitizers:
#   /path/to/src/tests/bench/dnssec.sh
# Environment: DDNSD, DDNSCTL, DDNS_PLUGIN_DIR (default ./daemon/ddnsd,
#   ./daemon/ddnsctl, ./plugins/.libs), BENCH_RECORDS=10000, BENCH_NAMES=1000,
#   BENCH_SECONDS=5, BENCH_ROUNDS=3.
# Needs (Debian): dnsperf knot python3.
set -u

DDNSD=${DDNSD:-$PWD/daemon/ddnsd}
DDNSCTL=${DDNSCTL:-$PWD/daemon/ddnsctl}
DDNS_PLUGIN_DIR=${DDNS_PLUGIN_DIR:-$PWD/plugins/.libs}
N=${BENCH_RECORDS:-10000}
NAMES=${BENCH_NAMES:-1000}
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
ZONE=bench.example.com

for tool in dnsperf knotd python3; do
	command -v "$tool" >/dev/null || { echo "dnssec.sh: $tool is missing" >&2; exit 1; }
done
[ -x "$DDNSD" ] || { echo "dnssec.sh: no ddnsd at $DDNSD (set DDNSD)" >&2; exit 1; }
if nm "$DDNSD" 2>/dev/null | grep -q __asan_init; then
	echo "dnssec.sh: warning: $DDNSD is built with sanitizers; figures will be low" >&2
fi
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
DDNS_TEST_PLUGIN_DIR=$DDNS_PLUGIN_DIR
. "$top_srcdir/tests/lib/e2e.sh"
e2e_init
DIR=$E2E_DIR
E2E_EXTRA_PIDS=
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
wait_dns() {
	local i
	for i in $(seq 1 300); do
		kdig @127.0.0.1 -p "$1" +time=1 +retry=0 +short "$ZONE" SOA 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	echo "dnssec.sh: nothing answers on port $1" >&2
	return 1
}

"$DDNSCTL" -d "$DIR/ddns.sqlite" list >/dev/null
python3 "$top_srcdir/tests/bench/fill_store.py" "$DIR/ddns.sqlite" "$N"
{
	printf '$ORIGIN %s.\n$TTL 1\n@ 3600 SOA ns1 hostmaster 1 3600 600 604800 1\n' "$ZONE"
	printf '@ 3600 NS ns1\nns1 3600 A 127.0.0.1\n'
	python3 -c 'import sys
for i in range(int(sys.argv[1])):
    print("host%d A 10.%d.%d.%d" % (i, i >> 16 & 255, i >> 8 & 255, i & 255))' "$N"
} >"$DIR/zone"
python3 -c 'import sys
n, names, z = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with open(sys.argv[4], "w") as f:
    for i in range(names):
        f.write("host%d.%s A\n" % (i * (n // names), z))
with open(sys.argv[5], "w") as f:
    for i in range(names):
        f.write("nothere%d.%s A\n" % (i, z))' "$N" "$NAMES" "$ZONE" "$DIR/q_pos" "$DIR/q_neg"

# start_ddnsd OPTIONS: PORT, PID
start_ddnsd() {
	PORT=$(e2e_free_udp_port)
	local http
	http=$(e2e_free_port)
	cat >"$DIR/ddns.conf" <<EOF
http = { listen = [ "127.0.0.1:$http" ]; };
database = "$DIR/ddns.sqlite";
plugin_dir = "$DDNS_PLUGIN_DIR";
log_level = "warning";
providers = { bench = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$PORT" ];
  zone = "$ZONE"; ns = [ "ns1.$ZONE=127.0.0.1" ]; udp_threads = 1; $1 }; };
EOF
	"$DDNSD" -c "$DIR/ddns.conf" >>"$DIR/ddnsd.log" 2>&1 &
	PID=$!
	E2E_EXTRA_PIDS="$E2E_EXTRA_PIDS $PID"
	wait_dns "$PORT"
}
start_knot() {
	PORT=$(e2e_free_udp_port)
	rm -rf "$DIR/knot"
	mkdir -p "$DIR/knot"
	cat >"$DIR/knot.conf" <<EOF
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
template:
  - id: default
    storage: "$DIR"
    journal-content: none
    zonefile-sync: -1
    module: mod-onlinesign
zone:
  - domain: $ZONE
    file: "$DIR/zone"
EOF
	knotd -c "$DIR/knot.conf" >"$DIR/knot/stdout" 2>&1 &
	PID=$!
	E2E_EXTRA_PIDS="$E2E_EXTRA_PIDS $PID"
	wait_dns "$PORT" || cat "$DIR/knot/stdout" >&2
}
qps() {
	dnsperf -s 127.0.0.1 -p "$1" -d "$2" -D -l "$SECS" -c 4 -q 200 -t 1 2>&1 |
		sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p'
}

echo "# dnssec.sh: $(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $N records; $NAMES names asked (A, DO set); $SECS s runs, $ROUNDS rounds interleaved"
: >"$DIR/qps"
for r in $(seq 1 "$ROUNDS"); do
	for who in unsigned signed knot; do
		case $who in
		unsigned) start_ddnsd "" ;;
		signed) start_ddnsd "dnssec = true;" ;;
		knot) start_knot ;;
		esac
		# one pass first: the signed server's cache is warm, as it is
		# in service (each RRset is signed once a day)
		dnsperf -s 127.0.0.1 -p "$PORT" -d "$DIR/q_pos" -D -n 1 -c 1 -q 50 >/dev/null 2>&1
		if [ "$who" = signed ] && [ "$r" = 1 ]; then
			RSS_SIGNED=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
		fi
		if [ "$who" = unsigned ] && [ "$r" = 1 ]; then
			RSS_UNSIGNED=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
		fi
		echo "$who pos $(qps "$PORT" "$DIR/q_pos")" >>"$DIR/qps"
		echo "$who neg $(qps "$PORT" "$DIR/q_neg")" >>"$DIR/qps"
		stop "$PID"
	done
done
median() {
	awk -v w="$1" -v m="$2" '$1 == w && $2 == m { print $3 }' "$DIR/qps" | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
printf '\n  %-34s %12s %12s\n' "server (DO set)" "A, qps" "NXDOMAIN, qps"
for who in unsigned signed knot; do
	case $who in
	unsigned) label="builtin_dns, unsigned" ;;
	signed) label="builtin_dns, dnssec = true" ;;
	knot) label="knot 3.2, mod-onlinesign" ;;
	esac
	printf '  %-34s %12.0f %12.0f\n' "$label" "$(median "$who" pos)" "$(median "$who" neg)"
done
awk -v s="$(median signed pos)" -v u="$(median unsigned pos)" -v k="$(median knot pos)" \
	'BEGIN { printf "\n  signed / unsigned: %.2fx;  signed / knot onlinesign: %.2fx (A answers)\n", s / u, s / k }'
awk -v s="$(median signed neg)" -v u="$(median unsigned neg)" -v k="$(median knot neg)" \
	'BEGIN { printf "  signed / unsigned: %.2fx;  signed / knot onlinesign: %.2fx (denials)\n", s / u, s / k }'
awk -v a="${RSS_SIGNED:-0}" -v b="${RSS_UNSIGNED:-0}" -v n="$NAMES" \
	'BEGIN { printf "  memory: %d kB more when signed and warm, %.0f bytes per signed RRset, the cache table pages included (%d names, 2 threads)\n", a - b, (a - b) * 1024 / n, n }'
