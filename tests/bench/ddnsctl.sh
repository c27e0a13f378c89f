#!/bin/bash
# Benchmark (not a test): what a ddnsctl change costs a running ddnsd with
# BENCH_RECORDS (default 1,000,000) records in its store.
#
#   tests/bench/ddnsctl.sh [BUILD_DIR]      (default: the current folder)
#
# While tests/bench/probe.py asks /healthz every 20 ms (and a wrong key's
# 403 every 2.5 s), ddnsctl adds a record, rotates its key and removes it,
# BENCH_ROUNDS (5) times; each command returns once ddnsd has taken the
# change in (its change notice).  Prints each command's p50/max wall time
# and the probe's figures: the loop should not notice.  Use a build
# without sanitizers.  Needs python3 and curl.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:-.}" && pwd)
nrec=${BENCH_RECORDS:-1000000}
rounds=${BENCH_ROUNDS:-5}
DDNSD=$build/daemon/ddnsd DDNS_TEST_PLUGIN_DIR=$build/plugins/.libs top_srcdir=$top
DDNSCTL=$build/daemon/ddnsctl
. "$top/tests/lib/e2e.sh"
[ -x "$DDNSD" ] && [ -x "$DDNSCTL" ] || { echo "ddnsctl.sh: build first" >&2; exit 1; }
e2e_init
work=$E2E_DIR
http=$(e2e_free_port)
cat >"$work/ddns.conf" <<CONF
http = { listen = [ "127.0.0.1:$http" ]; };
database = "$work/ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
log_level = "warning";
auth_fail_delay_ms = 2000;
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = { bench = { plugin = "dummy"; }; };
CONF
# the schema from ddnsctl itself, then the records in one transaction
"$DDNSCTL" -c "$work/ddns.conf" list >/dev/null
python3 "$here/fill_store.py" "$work/ddns.sqlite" "$nrec"
E2E_HTTP_PORT=$http
e2e_start_ddnsd "$work/ddns.conf" || exit 1
echo "== ddnsctl benchmark: $("$DDNSD" --version 2>/dev/null | head -1), $nrec records =="
python3 "$here/probe.py" "$http" 0 host7.bench.example.com WrongKeyWrongKeyWrongKey0000 \
	$((rounds * 3 + 2)) >"$work/probe" &
probe=$!
sleep 1 # not a wait for an event: a baseline before the first command
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
: >"$work/add" ; : >"$work/rotate"; : >"$work/rm"
for i in $(seq 1 "$rounds"); do
	ms "$DDNSCTL" -c "$work/ddns.conf" add "new$i.bench.example.com" -p bench >>"$work/add"
	sleep 0.5
	ms "$DDNSCTL" -c "$work/ddns.conf" rotate-key "new$i.bench.example.com" >>"$work/rotate"
	sleep 0.5
	ms "$DDNSCTL" -c "$work/ddns.conf" rm "new$i.bench.example.com" >>"$work/rm"
	sleep 0.5
done
wait "$probe"
for c in add rotate rm; do
	sort -n "$work/$c" | awk -v c="$c" '{ v[NR] = $1 } END {
		printf "ddnsctl %-7s n=%d p50=%6d ms  max=%6d ms\n", c, NR, v[int((NR + 1) / 2)], v[NR] }'
done
cat "$work/probe"
e2e_stop_ddnsd
e2e_finish >/dev/null
