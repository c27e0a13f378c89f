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

read -r ms0 rss0 < <(start "$work/empty.sqlite")
# The store's schema from ddnsd itself, then the records in one transaction.
python3 - "$work/big.sqlite" "$work/empty.sqlite" "$nrec" <<'PY'
import shutil, sqlite3, sys
big, empty, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
shutil.copy(empty, big)
db = sqlite3.connect(big)
h = "sha256:" + "ab" * 32
db.executemany("INSERT INTO records (name, provider, key_hash, ipv4, last_change, source)"
               " VALUES (?, 'bench', ?, ?, 1700000000, 'ddnsctl')",
               (("host%d.bench.example.com" % i, h, "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255))
                for i in range(n)))
db.commit()
PY
read -r ms1 rss1 < <(start "$work/big.sqlite")
echo "== ddnsd start-up: $("$DDNSD" --version 2>/dev/null | head -1) =="
echo "empty store:          serving after ${ms0} ms, ${rss0} kB resident"
echo "$nrec records: serving after ${ms1} ms, ${rss1} kB resident" \
	"($(( (rss1 - rss0) * 1024 / nrec )) bytes a record)"
e2e_finish >/dev/null
