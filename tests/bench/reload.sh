#!/bin/bash
# Benchmark (not a test): does a SIGHUP with many records pause serving?
#
#   tests/bench/reload.sh [BUILD_DIR]      (default: the current folder)
#
# ddnsd starts with BENCH_RECORDS (100,000) records in ddns.conf on
# builtin_dns.  While tests/bench/probe.py measures /healthz, a DNS query
# over UDP and over TCP and a wrong key's 403 every 20 ms, the config is
# changed (one record added, one removed, one given a LAN address) and
# ddnsd gets SIGHUP, BENCH_RELOADS (3) times, one a second.  Prints how long
# each reload took (SIGHUP to "reloaded" in the log) and the probe's
# p50/p99/max: the target is no request paused more than 50 ms.
# Use a build without sanitizers (the quick start's _build/).  Needs curl,
# python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:-.}" && pwd)
nrec=${BENCH_RECORDS:-100000}
reloads=${BENCH_RELOADS:-3}
DDNSD=$build/daemon/ddnsd DDNS_TEST_PLUGIN_DIR=$build/plugins/.libs top_srcdir=$top
. "$top/tests/lib/e2e.sh"
[ -x "$DDNSD" ] || { echo "reload.sh: no $DDNSD (build first)" >&2; exit 1; }
e2e_init
work=$E2E_DIR
KEY=BenchReloadKeyBenchReloadKeyBenchReloadKey0123
HASH=$(e2e_key_hash "$KEY")
http=$(e2e_free_port)
dns=$(e2e_free_udp_port)

# write_conf GENERATION: records 1..N, with generation G adding h(N+G),
# dropping h(G) and giving h(N/2) the LAN address 10.0.0.G
write_conf() {
	python3 - "$1" "$nrec" "$http" "$dns" "$work" "$DDNS_TEST_PLUGIN_DIR" "$HASH" <<'PY' \
		>"$work/ddns.conf.new"
import sys
g, n, http, dns, work, plugins, h = sys.argv[1:8]
g, n = int(g), int(n)
print('http = { listen = [ "127.0.0.1:%s" ]; };' % http)
print('database = "%s/ddns.sqlite";\nplugin_dir = "%s";\nlog_level = "notice";' % (work, plugins))
print('auth_fail_delay_ms = 2000;\nabuse = { max_changes = 0; max_auth_failures = 0; };')
print('providers = { dns = { plugin = "builtin_dns"; listen = [ "127.0.0.1:%s" ]; '
      'zone = [ "dyn.test" ]; ttl = 1; }; };' % dns)
out = []
for i in list(range(1, n + 1)) + ([n + g] if g > 0 else []):
    if g > 0 and i == g:
        continue
    lan = ' lan_ip = "10.0.0.%d";' % g if g > 0 and i == n // 2 else ''
    out.append('  { domain = "h%d.dyn.test"; provider = "dns"; key_hash = "%s";%s }'
               % (i, h, lan))
print('records = (\n' + ',\n'.join(out) + '\n);')
PY
	mv "$work/ddns.conf.new" "$work/ddns.conf.$1"
}

# every generation written before the probe runs: its CPU is not ddnsd's
for g in $(seq 0 "$reloads"); do write_conf "$g"; done
cp "$work/ddns.conf.0" "$work/ddns.conf"
t0=$(date +%s%N)
"$DDNSD" -c "$work/ddns.conf" >>"$work/ddnsd.log" 2>&1 &
E2E_DDNSD_PID=$!
E2E_HTTP_PORT=$http
until curl -s -o /dev/null "http://127.0.0.1:$http/healthz"; do
	kill -0 "$E2E_DDNSD_PID" 2>/dev/null || { cat "$work/ddnsd.log"; exit 1; }
	sleep 0.02
done
t1=$(date +%s%N)
echo "== reload benchmark: $("$DDNSD" --version 2>/dev/null | head -1), $nrec config records =="
echo "first start (store created): $(((t1 - t0) / 1000000)) ms," \
	"$(awk '/^VmRSS/ { print $2 }' "/proc/$E2E_DDNSD_PID/status") kB resident"

python3 "$here/probe.py" "$http" "$dns" h7.dyn.test WrongKeyWrongKeyWrongKey0000 \
	$((reloads * 2 + 3)) >"$work/probe" &
probe=$!
sleep 1 # not a wait for an event: a baseline before the first SIGHUP
for g in $(seq 1 "$reloads"); do
	mv "$work/ddns.conf.$g" "$work/ddns.conf"
	before=$(grep -c 'reloaded:' "$work/ddnsd.log" || true)
	s0=$(date +%s%N)
	kill -HUP "$E2E_DDNSD_PID"
	until [ "$(grep -c 'reloaded:' "$work/ddnsd.log" || true)" -gt "$before" ]; do
		grep -q 'keeping the running configuration' "$work/ddnsd.log" &&
			{ tail "$work/ddnsd.log"; exit 1; }
		sleep 0.005
	done
	s1=$(date +%s%N)
	echo "reload $g: $(((s1 - s0) / 1000000)) ms from SIGHUP to reloaded;" \
		"ddnsd: $(grep 'reloaded:' "$work/ddnsd.log" | tail -n 1 | sed 's/.* in //')"
	sleep 1
done
wait "$probe"
cat "$work/probe"
e2e_stop_ddnsd
e2e_finish >/dev/null
