#!/bin/bash
# Benchmark (not a test): the web admin's pages with BENCH_RECORDS (default
# 1,000,000) records and one history row each in the store.
#
#   tests/bench/admin.sh [BUILD_DIR]      (default: the current folder)
#
# Fills a store (tests/bench/fill_store.py, then last changes spread over
# 30 days and a history row per record over the last 48 hours), starts
# ddnsd with an `admin` group, logs in with curl, and times each page
# BENCH_ROUNDS (default 20) times: the first page of records, a page half
# way down (keyset: no OFFSET), searches (a frequent and an absent
# substring: the absent one walks the whole index), one record, the
# activity chart and the providers.  Prints p50 and max in ms per page.
# The goal: the records pages under 100 ms.  Use a build without
# sanitizers (CFLAGS=-O2).  Needs python3, sqlite3 and curl.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:-.}" && pwd)
nrec=${BENCH_RECORDS:-1000000}
rounds=${BENCH_ROUNDS:-20}
DDNSD=$build/daemon/ddnsd DDNS_TEST_PLUGIN_DIR=$build/plugins/.libs top_srcdir=$top
DDNSCTL=$build/daemon/ddnsctl
. "$top/tests/lib/e2e.sh"
[ -x "$DDNSD" ] && [ -x "$DDNSCTL" ] || { echo "admin.sh: build first" >&2; exit 1; }
e2e_init
work=$E2E_DIR
E2E_HTTP_PORT=$(e2e_free_port)
admin_port=$(e2e_free_port)
cat >"$work/ddns.conf" <<CONF
http = { listen = [ "127.0.0.1:$E2E_HTTP_PORT" ]; };
database = "$work/ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
log_level = "warning";
providers = { bench = { plugin = "dummy"; }; };
admin = { listen = [ "127.0.0.1:$admin_port" ]; };
CONF

echo "filling the store with $nrec records ..."
SECONDS=0
"$DDNSCTL" -d "$work/ddns.sqlite" list >/dev/null   # the schema
python3 "$here/fill_store.py" "$work/ddns.sqlite" "$nrec"
now=$(date +%s)
sqlite3 "$work/ddns.sqlite" <<SQL
DROP TRIGGER record_changes_update;
UPDATE records SET last_change = $now - abs(random() % 2592000);
INSERT INTO history (time, name, family, old_ip, new_ip, client, result, message)
  SELECT $now - abs(random() % 172800), name, 'ipv4', '', ipv4, '192.0.2.1',
         CASE WHEN abs(random() % 50) = 0 THEN 'failed' ELSE 'applied' END, 'bench'
  FROM records;
DELETE FROM record_changes;
SQL
# the trigger back, as migration 3 made it
sqlite3 "$work/ddns.sqlite" "CREATE TRIGGER record_changes_update AFTER UPDATE OF name, provider, key_hash, ipv4, ipv6, lan_ipv4, lan_ipv6, last_change, source ON records BEGIN INSERT INTO record_changes (name) VALUES (new.name); INSERT INTO record_changes (name) SELECT old.name WHERE old.name <> new.name; END;"
echo "filled in $SECONDS s"
echo bench-password-1 | "$DDNSCTL" -c "$work/ddns.conf" admin add bench >/dev/null

e2e_start_ddnsd "$work/ddns.conf" || exit 1
e2e_wait_port "$admin_port"
A=http://127.0.0.1:$admin_port
jar=$work/cookies
csrf=$(curl -s -c "$jar" -b "$jar" "$A/login" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')
curl -s -c "$jar" -b "$jar" -o /dev/null -d "csrf=$csrf&user=bench&password=bench-password-1" "$A/login"

# The cursor of a record half way down, found here with OFFSET (the bench
# may; the admin does not).
mid=$(sqlite3 "$work/ddns.sqlite" "SELECT last_change || ':' || name FROM records ORDER BY last_change DESC, name LIMIT 1 OFFSET $((nrec / 2))")
one=$(sqlite3 "$work/ddns.sqlite" "SELECT name FROM records LIMIT 1 OFFSET $((nrec / 3))")

# time_page LABEL PATH [ROUNDS]: p50 and max of ROUNDS fetches, in ms
time_page() {
	local label=$1 path=$2 n=${3:-$rounds} i
	for i in $(seq 1 "$n"); do
		curl -s -b "$jar" -o "$work/page" -w '%{http_code} %{time_total}\n' "$A$path"
	done >"$work/times"
	if grep -qv '^200 ' "$work/times"; then
		echo "$label: not 200: $(grep -v '^200 ' "$work/times" | head -n 1)" >&2
		return 1
	fi
	python3 - "$label" "$work/times" "$(wc -c <"$work/page")" <<'PY'
import statistics, sys
label, path, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = sorted(float(l.split()[1]) * 1000 for l in open(path))
print("%-34s p50 %7.1f ms  max %7.1f ms  (%d runs, %d bytes)" % (
    label, statistics.median(t), t[-1], len(t), size))
PY
}

echo "ddnsd with $nrec records, web admin pages (curl, loopback):"
time_page "records, first page" "/records"
time_page "records, half way down (keyset)" "/records?after=${mid/:/%3A}"
time_page "search \"host4242\" (frequent)" "/records?q=host4242"
time_page "search \"nomatch\" (walks all)" "/records?q=nomatch" 3
time_page "one record with its history" "/record/$one"
time_page "activity (48 h chart)" "/activity" 5
time_page "providers (last 1000 attempts)" "/providers" 5
e2e_stop_ddnsd
