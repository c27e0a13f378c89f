#!/bin/bash
# Benchmark (not a test): updates per second through digitalocean.so against
# its mock (tests/plugins/providers/mock_digitalocean.py), and the time
# ddnsd adds per update over the mock's own response time.
#
#   tests/bench/providers.sh [BUILD_DIR]      (default: the current folder)
#
# Use a build without sanitizers (configure CFLAGS=-O2).  Needs wrk, curl,
# python3.  Knobs: BENCH_SECONDS (10), BENCH_CONNECTIONS (100),
# BENCH_THREADS (2), BENCH_RECORDS (1000), BENCH_SEQUENTIAL (300).
#
# Every request changes the address of one of BENCH_RECORDS names (a wrk Lua
# script rotates names and addresses), so every request is a real provider
# update: GET .../records?type=A&name=... then PATCH .../records/<id>.
#
# Two figures for "time ddnsd adds":
#  1. sequential updates (one client): per update, the client's latency
#     minus the mock's own handling time of its two API requests (the mock
#     logs it: /_requests handle_ms), median over the run;
#  2. the same updates' median latency minus the median latency of the same
#     two API calls made straight to the mock with curl (so connection and
#     HTTP parsing costs of the mock are not counted as ddnsd's).
# It also prints the provider instance's own time (ddnsd's /metrics) against
# the mock's, and the latency of an unchanged update (no provider call).
# The store commits each change durably (sqlite synchronous=FULL: one fsync
# per update); BENCH_SYNC=normal (database_sync = "normal") leaves the
# fsync to checkpoints, and TMPDIR=/dev/shm puts the store on tmpfs, to show
# that part.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:-.}" && pwd)
plugins=$build/plugins/.libs
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-100}
threads=${BENCH_THREADS:-2}
nrec=${BENCH_RECORDS:-1000}
nseq=${BENCH_SEQUENTIAL:-300}

# The e2e helpers (scratch folder, ports, ddnsd) and the mock starter.
DDNSD=$build/daemon/ddnsd DDNS_TEST_PLUGIN_DIR=$plugins top_srcdir=$top
. "$top/tests/lib/e2e.sh"
. "$top/tests/lib/mock_api.sh"
for tool in wrk curl python3; do
	e2e_find_tool "$tool" "$tool" >/dev/null || exit 1
done
[ -x "$DDNSD" ] || { echo "providers.sh: no $DDNSD (build first)" >&2; exit 1; }
[ -f "$plugins/digitalocean.so" ] || { echo "providers.sh: no $plugins/digitalocean.so" >&2; exit 1; }
e2e_init
work=$E2E_DIR

key() { printf 'Key%047d' "$1"; }

# --- the mock, with the records ---
mock_api_e2e DO mock_digitalocean.py
mport=$DO_PORT
MOCK=http://127.0.0.1:$mport
python3 - "$nrec" >"$work/add.json" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"add": [{"zone": "example.com", "name": "r%d.example.com" % i,
                           "type": "A", "data": "192.0.2.1"} for i in range(1, n + 1)]}))
PY
curl -sf -X POST --data-binary @"$work/add.json" "$MOCK/_control" >/dev/null

# --- ddnsd ---
E2E_HTTP_PORT=$(e2e_free_port)
port=$E2E_HTTP_PORT
hash=$(python3 - "$nrec" <<'PY'
import hashlib, sys
for i in range(1, int(sys.argv[1]) + 1):
    print("sha256:" + hashlib.sha256(("Key%047d" % i).encode()).hexdigest())
PY
)
{
	cat <<EOF
http = { listen = [ "127.0.0.1:$port" ]; };
database = "$work/ddns.sqlite";
database_sync = "${BENCH_SYNC:-full}";
plugin_dir = "$plugins";
log_level = "warning";
update_timeout_ms = 30000;
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = {
  do = { plugin = "digitalocean"; token = "do-good-token"; zone = "example.com";
         api_url = "$MOCK"; };
};
records = (
EOF
	i=0
	for h in $hash; do
		i=$((i + 1))
		printf '  %s{ domain = "r%d.example.com"; provider = "do"; key_hash = "%s"; }\n' \
			"$([ $i -gt 1 ] && echo ,)" "$i" "$h"
	done
	echo ');'
} >"$work/ddns.conf"
e2e_start_ddnsd "$work/ddns.conf"
BASE=http://127.0.0.1:$port

# --- 1. sequential latency ---
curl -sf -X POST -d '{"clear_requests":true}' "$MOCK/_control" >/dev/null
curl -s "$BASE/metrics" >"$work/metrics.before" || true
: >"$work/seq.txt"
for i in $(seq 1 "$nseq"); do
	r=$(( (i - 1) % nrec + 1 ))
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
		--data "key=$(key $r)&ip=198.18.$((i / 256)).$((i % 256))" \
		"$BASE/dynamicdns/update/r$r.example.com/" >>"$work/seq.txt"
done
curl -sf "$MOCK/_requests" >"$work/seq_requests.json"
curl -s "$BASE/metrics" >"$work/metrics.after" || true
# The same again: the addresses are already set, so no provider call (the
# daemon's own floor: HTTP, key check, store read).
: >"$work/unchanged.txt"
for i in $(seq 1 "$nseq"); do
	r=$(( (i - 1) % nrec + 1 ))
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
		--data "key=$(key $r)&ip=198.18.$((i / 256)).$((i % 256))" \
		"$BASE/dynamicdns/update/r$r.example.com/" >>"$work/unchanged.txt"
done

# The same two calls straight to the mock, as a client of the mock sees them.
: >"$work/direct.txt"
for i in $(seq 1 "$nseq"); do
	r=$(( (i - 1) % nrec + 1 ))
	g=$(curl -s -o "$work/list.json" -w '%{time_total}' -H 'Authorization: Bearer do-good-token' \
		-H 'Accept: application/json' \
		"$MOCK/v2/domains/example.com/records?type=A&name=r$r.example.com&per_page=200")
	id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["domain_records"][0]["id"])' "$work/list.json")
	p=$(curl -s -o /dev/null -w '%{time_total}' -X PATCH -H 'Authorization: Bearer do-good-token' \
		-H 'Content-Type: application/json' -H 'Accept: application/json' \
		-d "{\"type\":\"A\",\"data\":\"198.19.$((i / 256)).$((i % 256))\"}" \
		"$MOCK/v2/domains/example.com/records/$id")
	echo "$g $p" >>"$work/direct.txt"
done

# --- 2. throughput with $conns concurrent clients ---
cat >"$work/rotate.lua" <<EOF
-- Each request changes one of $nrec names to an address not used before.
local nrec, nthreads = $nrec, $threads
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
	local seq = n * nthreads + tid
	local r = (seq % nrec) + 1
	local ip = string.format("10.%d.%d.%d", math.floor(seq / 65536) % 256,
		math.floor(seq / 256) % 256, seq % 256)
	local body = string.format("key=Key%047d&ip=%s", r, ip)
	return wrk.format("POST", "/dynamicdns/update/r" .. r .. ".example.com/",
		{ ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end
EOF
curl -sf -X POST -d '{"clear_requests":true}' "$MOCK/_control" >/dev/null
wrk -t "$threads" -c "$conns" -d "${secs}s" --latency -s "$work/rotate.lua" "$BASE" >"$work/wrk.txt" 2>&1
curl -sf "$MOCK/_requests" >"$work/load_requests.json"

echo "== digitalocean.so via ddnsd ($("$DDNSD" --version 2>/dev/null | head -1)) against mock_digitalocean.py =="
echo "-- throughput: $conns concurrent clients, $threads wrk threads, ${secs}s, $nrec records"
grep -A4 'Latency Distribution' "$work/wrk.txt"
grep -E 'requests in|Requests/sec|Non-2xx' "$work/wrk.txt"
python3 - "$work" "$nseq" <<'PY'
import json, statistics, sys
work, nseq = sys.argv[1], int(sys.argv[2])
med = statistics.median

load = json.load(open(work + "/load_requests.json"))
patches = [r for r in load if r["method"] == "PATCH"]
gets = [r for r in load if r["method"] == "GET"]
print("-- under load: the mock received %d GET + %d PATCH (%d changes applied)"
      % (len(gets), len(patches), sum(1 for r in patches if r["status"] == 200)))
if gets and patches:
    print("   mock's own handling time, median: GET %.3f ms, PATCH %.3f ms"
          % (med(r["handle_ms"] for r in gets if r["handle_ms"] is not None),
             med(r["handle_ms"] for r in patches if r["handle_ms"] is not None)))

seq = [l.split() for l in open(work + "/seq.txt")]
ok = [float(t) * 1000 for code, t in seq if code == "200"]
reqs = json.load(open(work + "/seq_requests.json"))
# One client, one update at a time: the mock's log is GET, PATCH, GET, ...
per_update = []
for i in range(0, len(reqs) - 1, 2):
    g, p = reqs[i], reqs[i + 1]
    if g["method"] == "GET" and p["method"] == "PATCH":
        per_update.append(g["handle_ms"] + p["handle_ms"])
print("-- sequential: %d updates, %d answered 200" % (len(seq), len(ok)))
if len(per_update) == len(ok) and ok:
    added = [c - m for c, m in zip(ok, per_update)]
    print("   client latency via ddnsd, median        %.3f ms" % med(ok))
    print("   mock's own handling (GET+PATCH), median %.3f ms" % med(per_update))
    print("   ddnsd adds per update, median          %.3f ms  (p90 %.3f ms)"
          % (med(added), sorted(added)[int(len(added) * 0.9)]))
def provider_latency(path):
    # ddns_provider_latency_seconds_{sum,count}{provider="do"} from /metrics
    s = c = 0.0
    try:
        for line in open(path):
            if line.startswith('ddns_provider_latency_seconds_sum{provider="do"}'):
                s = float(line.split()[-1])
            elif line.startswith('ddns_provider_latency_seconds_count{provider="do"}'):
                c = float(line.split()[-1])
    except OSError:
        pass
    return s, c
s0, c0 = provider_latency(work + "/metrics.before")
s1, c1 = provider_latency(work + "/metrics.after")
if c1 > c0 and per_update:
    prov = (s1 - s0) / (c1 - c0) * 1000
    print("   provider instance time (ddnsd /metrics), mean %.3f ms; the mock's own, mean %.3f ms"
          % (prov, statistics.mean(per_update)))
    print("   -> plugin + HTTP client + loopback, mean   %.3f ms"
          % (prov - statistics.mean(per_update)))
unchanged = [float(l.split()[1]) * 1000 for l in open(work + "/unchanged.txt")
             if l.split()[0] == "200"]
if unchanged:
    print("   an unchanged update (no provider call), median %.3f ms" % med(unchanged))
direct = [sum(float(x) * 1000 for x in l.split()) for l in open(work + "/direct.txt")]
if direct and ok:
    print("   the same two calls straight to the mock with curl, median %.3f ms" % med(direct))
    print("   ddnsd's latency over that, median      %.3f ms" % (med(ok) - med(direct)))
PY
