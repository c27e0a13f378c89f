#!/bin/bash
# Benchmark (not a test): how long ddnsd takes to start serving with
# BENCH_RECORDS (default 1,000,000) records in its store, and the memory it
# then holds, against the same start with an empty store, in one run.
#
#   tests/bench/startup.sh [BUILD_DIR]      (default: the current folder)
#
# Use a build without sanitizers.  Needs python3 and curl.  The records are
# written straight into the store (as ddnsctl would), for the dummy provider,
# so the figure is ddnsd's own: opening the store, reading every record into
# memory, and binding its port.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-.}" && pwd)
nrec=${BENCH_RECORDS:-1000000}
DDNSD=$build/daemon/ddnsd DDNS_TEST_PLUGIN_DIR=$build/plugins/.libs
. "$here/../lib/e2e.sh"
[ -x "$DDNSD" ] || { echo "startup.sh: no $DDNSD (build first)" >&2; exit 1; }
e2e_init
work=$E2E_DIR

conf() { # DB PORT
	cat >"$work/ddns.conf" <<CONF
http = { listen = [ "127.0.0.1:$2" ]; };
database = "$1";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
log_level = "warning";
providers = { bench = { plugin = "dummy"; }; };
CONF
}

# start DB: prints "ms-to-serve rss-kB"
start() {
	E2E_HTTP_PORT=$(e2e_free_port)
	conf "$1" "$E2E_HTTP_PORT"
	local t0 t1
	t0=$(date +%s%N)
	"$DDNSD" -c "$work/ddns.conf" >>"$work/ddnsd.log" 2>&1 &
	E2E_DDNSD_PID=$!
	until curl -s -o /dev/null "http://127.0.0.1:$E2E_HTTP_PORT/healthz"; do
		kill -0 "$E2E_DDNSD_PID" 2>/dev/null || { cat "$work/ddnsd.log"; exit 1; }
		sleep 0.01
	done
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $(awk '/^VmRSS/ { print $2 }' "/proc/$E2E_DDNSD_PID/status")"
	e2e_stop_ddnsd
}

# (not `read < <(start ...)`: the copy below must wait for ddnsd's exit,
# which folds its WAL into the file)
start "$work/empty.sqlite" >"$work/start0"
read -r ms0 rss0 <"$work/start0"
# The store's schema from ddnsd itself, then the records in one transaction.
cp "$work/empty.sqlite" "$work/big.sqlite"
python3 "$here/fill_store.py" "$work/big.sqlite" "$nrec"
start "$work/big.sqlite" >"$work/start1"
read -r ms1 rss1 <"$work/start1"
echo "== ddnsd start-up: $("$DDNSD" --version 2>/dev/null | head -1) =="
echo "empty store:          serving after ${ms0} ms, ${rss0} kB resident"
echo "$nrec records: serving after ${ms1} ms, ${rss1} kB resident" \
	"($(( (rss1 - rss0) * 1024 / nrec )) bytes a record)"
e2e_finish >/dev/null
