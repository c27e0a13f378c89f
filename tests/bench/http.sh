#!/bin/bash
# Benchmark (not a test): ddnsd's unchanged-address path against a bare
# libmicrohttpd server answering a reply of the same size, in one run.
#
#   tests/bench/http.sh [BUILD_DIR]      (default: the current folder)
#
# Use a build without sanitizers (configure CFLAGS=-O2).  Needs wrk, sqlite3,
# curl, cc and libmicrohttpd's headers.  Knobs: BENCH_SECONDS (10),
# BENCH_CONNECTIONS (50), BENCH_THREADS (2), BENCH_RECORDS (100000),
# BENCH_ROUNDS (3: bare and ddnsd alternate, the medians are compared, so a
# busy machine skews both alike).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-.}" && pwd)
plugins=$build/plugins/.libs
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-50}
threads=${BENCH_THREADS:-2}
nrec=${BENCH_RECORDS:-100000}
rounds=${BENCH_ROUNDS:-3}

# The e2e helpers: scratch folder, ports, starting and stopping ddnsd.
DDNSD=$build/daemon/ddnsd DDNS_TEST_PLUGIN_DIR=$plugins
. "$here/../lib/e2e.sh"
for tool in wrk:wrk sqlite3:sqlite3 curl:curl cc:gcc python3:python3; do
	e2e_find_tool "${tool%%:*}" "${tool#*:}" >/dev/null || exit 1
done
[ -x "$DDNSD" ] || { echo "http.sh: no $DDNSD (build first)" >&2; exit 1; }
e2e_init
work=$E2E_DIR

key=benchbenchbenchbenchbenchbenchbenchbenchbenchbench
hash="sha256:$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)"
name=bench.example.com
export BENCH_BODY="key=$key&ip=198.51.100.7"
E2E_HTTP_PORT=$(e2e_free_port)
dport=$E2E_HTTP_PORT
cat >"$work/ddns.conf" <<EOF
http = { listen = [ "127.0.0.1:$dport" ]; };
database = "$work/ddns.sqlite";
plugin_dir = "$plugins";
log_level = "warning";
providers = { bench = { plugin = "dummy"; }; };
records = ( { domain = "$name"; provider = "bench"; key_hash = "$hash"; } );
abuse = { max_changes = 0; max_auth_failures = 0; };
EOF

stop_ddnsd() {
	e2e_stop_ddnsd || { echo "http.sh: ddnsd exited with $?" >&2; cat "$work/ddnsd.log" >&2; exit 1; }
}

# CPU time (ms) process $1 has used so far
cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' "/proc/$1/stat"
}
# One wrk run against URL $1 served by process $2: prints "req/s cpu_us_per_req"
# (the wrk script is $script: post.lua, or post_random.lua for random names)
script=post.lua
rps() {
	local c0 c1
	c0=$(cpu_ms "$2")
	wrk -t"$threads" -c"$conns" -d"${secs}s" -s "$here/$script" "$1" >"$work/wrk.out"
	c1=$(cpu_ms "$2")
	if grep -q 'Non-2xx' "$work/wrk.out"; then
		echo "http.sh: errors against $1:" >&2
		cat "$work/wrk.out" >&2
		exit 1
	fi
	awk -v c0="$c0" -v c1="$c1" '
		/ requests in / { n = $1 }
		/^Requests\/sec:/ { r = $2 }
		END { printf "%s %.2f\n", r, (c1 - c0) * 1000 / n }' "$work/wrk.out"
}
# rounds BARE_URL DDNSD_URL: alternate; prints "bare_median ddnsd_median"
measure() {
	local b=() d=() bc=() dc=() i r c
	for i in $(seq 1 "$rounds"); do
		read -r r c < <(rps "$1" "$bpid")
		b+=("$r"); bc+=("$c")
		read -r r c < <(rps "$2" "$E2E_DDNSD_PID")
		d+=("$r"); dc+=("$c")
		echo "  round $i: bare ${b[-1]} req/s ${bc[-1]} us CPU/req;  ddnsd ${d[-1]} req/s ${dc[-1]} us CPU/req" >&2
	done
	python3 -c 'import statistics as s, sys
a = [list(map(float, x.split())) for x in sys.argv[1:]]
print(*(s.median(x) for x in a))' "${b[*]}" "${d[*]}" "${bc[*]}" "${dc[*]}"
}

url="http://127.0.0.1:$dport/dynamicdns/update/$name/"
e2e_start_ddnsd "$work/ddns.conf"
reply=$(curl -s "$url" --data "$BENCH_BODY")   # the change; then unchanged
reply=$(curl -s "$url" --data "$BENCH_BODY")
case $reply in *'"updated": false'*) ;; *) echo "http.sh: unexpected reply: $reply" >&2; exit 1 ;; esac
size=${#reply}

cc -O2 -o "$work/bare_mhd" "$here/bare_mhd.c" $(pkg-config --cflags --libs libmicrohttpd)
bport=$(e2e_free_port)
"$work/bare_mhd" "$bport" "$size" &
bpid=$!
E2E_EXTRA_PIDS=$bpid
e2e_wait_port "$bport" || { echo "http.sh: nothing listens on port $bport" >&2; exit 1; }

echo "wrk: $threads threads, $conns connections, keep-alive, ${secs}s x $rounds rounds; reply $size bytes"
read -r bare1 d1 bcpu1 dcpu1 < <(measure "http://127.0.0.1:$bport/" "$url")
stop_ddnsd

# 100,000 more records, written straight into the store.
python3 - "$nrec" "$hash" >"$work/records.sql" <<'EOF'
import sys
n, h = int(sys.argv[1]), sys.argv[2]
print("BEGIN;")
for i in range(n):
    print(f"INSERT INTO records (name, provider, key_hash, ipv4, last_change, source) "
          f"VALUES ('host{i}.bench.example.com', 'bench', '{h}', '203.0.113.{i % 250 + 1}', 1700000000, 'ddnsctl');")
print("COMMIT;")
EOF
sqlite3 "$work/ddns.sqlite" <"$work/records.sql"
count=$(sqlite3 "$work/ddns.sqlite" 'SELECT count(*) FROM records')
e2e_start_ddnsd "$work/ddns.conf"
echo "with $count records in the store:"
read -r bare2 d2 bcpu2 dcpu2 < <(measure "http://127.0.0.1:$bport/" "$url")
echo "random names among the $nrec generated records (record cache misses):"
export BENCH_KEY=$key BENCH_RECORDS=$nrec
script=post_random.lua
read -r bare3 d3 bcpu3 dcpu3 < <(measure "http://127.0.0.1:$bport/" "http://127.0.0.1:$dport/")
stop_ddnsd

python3 - "$bare1" "$d1" "$bare2" "$d2" "$count" "$bcpu1" "$dcpu1" "$bcpu2" "$dcpu2" \
	"$bare3" "$d3" "$bcpu3" "$dcpu3" <<'EOF'
import sys
b1, d1, b2, d2 = map(float, sys.argv[1:5])
n = sys.argv[5]
bc1, dc1, bc2, dc2 = map(float, sys.argv[6:10])
b3, d3, bc3, dc3 = map(float, sys.argv[10:14])
print("medians:")
print(f"bare libmicrohttpd           {b1:10.0f} req/s")
print(f"ddnsd, 1 record              {d1:10.0f} req/s   ratio {d1 / b1:.2f} (target >= 0.80)")
print(f"bare libmicrohttpd (again)   {b2:10.0f} req/s")
print(f"ddnsd, {n} records      {d2:10.0f} req/s   ratio {d2 / b2:.2f} "
      f"(within 10% of the 1-record ratio: {(d2 / b2) / (d1 / b1):.2f} >= 0.90)")
print(f"ddnsd, random names         {d3:10.0f} req/s   ratio {d3 / b3:.2f} (bare {b3:.0f})")
print("server CPU per request (robust when the machine is busy):")
print(f"  bare {bc1:.2f} us, ddnsd {dc1:.2f} us: ratio {bc1 / dc1:.2f}")
print(f"  bare {bc2:.2f} us, ddnsd with {n} records {dc2:.2f} us: ratio {bc2 / dc2:.2f}")
print(f"  ddnsd, 1 record vs {n} records: {dc1 / dc2:.2f}")
print(f"  random names: bare {bc3:.2f} us, ddnsd {dc3:.2f} us: ratio {bc3 / dc3:.2f}")
EOF
