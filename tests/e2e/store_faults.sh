#!/bin/bash
# The store in trouble, end to end, with builtin_dns: ddnsd never waits for
# it on the loop, and DNS, the read API and the store keep agreeing.
#  - Another process holds the write lock past an update's deadline: the
#    update gets 503 with Retry-After within that deadline, /healthz and DNS
#    keep answering meanwhile, the provider's change is taken back (DNS
#    serves the old address), /healthz and /metrics say the store is busy,
#    and after the lock is gone everything works again.
#  - The disk is full (the database on a small tmpfs; root only, skipped
#    otherwise): changes the store cannot commit are refused and taken back,
#    DNS, read API and store agree, /healthz says the store is failing, and
#    once space is freed updates are applied again.
. "$top_srcdir/tests/lib/e2e.sh"
: "${DDNSCTL:?DDNSCTL must point at the ddnsctl binary}"
for tool in kdig sqlite3; do
	e2e_find_tool "$tool" "$tool" >/dev/null || exit 1
done

e2e_init_http
DNS_PORT=$(e2e_free_udp_port)
KEY=StoreFaultsKeyStoreFaultsKeyStoreFaultsKey01234567

# conf DIR: a config whose database lives in DIR
conf() {
	cat >"$CONF" <<CONFEOF
http = { listen = [ "127.0.0.1:$PORT" ]; };
database = "$1/ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
update_timeout_ms = 1500;
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = {
  dns = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$DNS_PORT" ]; zone = [ "dyn.test" ]; ttl = 1; };
};
records = ( { domain = "h.dyn.test"; provider = "dns"; key_hash = "$(e2e_key_hash $KEY)"; } );
CONFEOF
}
# update IP: the HTTP status; headers in $E2E_DIR/headers, time in $E2E_DIR/time
update() {
	curl -s -o "$E2E_DIR/body" -D "$E2E_DIR/headers" -w '%{http_code}' --max-time 20 \
		"$BASE/dynamicdns/update/h.dyn.test/" --data "key=$KEY&ip=$1"
}
dns_a() { kdig @127.0.0.1 -p "$DNS_PORT" +short +timeout=2 +retry=0 "$@" h.dyn.test A; }
read_ip() {
	curl -s "$BASE/dynamicdns/read/h.dyn.test/" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["ip"] or "")'
}
store_ip() { sqlite3 "$1/ddns.sqlite" "SELECT ipv4 FROM records WHERE name = 'h.dyn.test'"; }
healthz() { curl -s -w ' %{http_code}' --max-time 5 "$BASE/healthz"; }
# /healthz turns "ok" by itself (the writer's once-a-second probe), within 5 s
healthz_heals() {
	local i
	for i in $(seq 1 50); do
		[ "$(healthz | tr -d '\n')" = "ok 200" ] && return 0
		sleep 0.1
	done
	return 1
}
ms() { date +%s%3N; }

# ---- another process holds the write lock ----
DB_DIR=$E2E_DIR/db
mkdir -p "$DB_DIR"
conf "$DB_DIR"
e2e_start_ddnsd "$CONF" || exit 1
expect_eq "first update applied" "$(update 192.0.2.1)" 200
expect_eq "DNS has it" "$(dns_a)" "192.0.2.1"

rm -f "$E2E_DIR/locked"
sqlite3 "$DB_DIR/ddns.sqlite" ".timeout 5000" "BEGIN IMMEDIATE;" \
	".shell touch $E2E_DIR/locked; sleep 8" "COMMIT;" >/dev/null 2>&1 &
LOCKER=$!
E2E_EXTRA_PIDS=$LOCKER
for _ in $(seq 1 200); do [ -e "$E2E_DIR/locked" ] && break; sleep 0.05; done
check "another process holds the write lock" test -e "$E2E_DIR/locked"
# the client's own wait, not the checks below
(t0=$(ms); update 192.0.2.2 >"$E2E_DIR/locked.code"; echo $(($(ms) - t0)) >"$E2E_DIR/locked.ms") &
UPD=$!
# while that update waits for the store, everything else is answered
check "healthz answers while the store is locked" \
	python3 -c 'import http.client, time, sys
t = time.monotonic()
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
c.request("GET", "/healthz"); c.getresponse().read()
sys.exit(time.monotonic() - t > 0.5)' "$PORT"
check "DNS over TCP answers while the store is locked" \
	test "$(dns_a +tcp)" = "192.0.2.1" -o "$(dns_a +tcp)" = "192.0.2.2"
wait "$UPD"
TOOK=$(cat "$E2E_DIR/locked.ms")
expect_eq "the update that met the lock gets 503" "$(cat "$E2E_DIR/locked.code")" 503
check "...with Retry-After" grep -qi '^Retry-After: [0-9]' "$E2E_DIR/headers"
check "...near its deadline (1.5 s), not the lock's 8 s ($TOOK ms)" test "$TOOK" -lt 6000
check "healthz says the store is busy" bash -c "[[ '$(healthz)' == 'store busy'*' 503' ]]"
check "metrics: ddns_store_up 0" bash -c "curl -s '$BASE/metrics' | grep -qx 'ddns_store_up 0'"
check "the change was taken back: DNS serves the old address" \
	bash -c "[ \"\$(kdig @127.0.0.1 -p $DNS_PORT +short h.dyn.test A)\" = 192.0.2.1 ]"
wait "$LOCKER"
E2E_EXTRA_PIDS=
expect_eq "the store kept the old address" "$(store_ip "$DB_DIR")" "192.0.2.1"
check "lock gone: healthz ok again before any update" healthz_heals
expect_eq "lock gone: the update is applied" "$(update 192.0.2.3)" 200
expect_eq "healthz ok again" "$(healthz)" "ok
 200"
expect_eq "DNS has it" "$(dns_a)" "192.0.2.3"
check "metrics: ddns_store_up 1" bash -c "curl -s '$BASE/metrics' | grep -qx 'ddns_store_up 1'"
check "ddnsd stops with status 0" e2e_stop_ddnsd

# ---- the disk is full ----
if [ "$(id -u)" != 0 ]; then
	echo "# disk full: skipped (mounting a tmpfs needs root)"
	e2e_finish
	exit
fi
FULL=$E2E_DIR/full
mkdir -p "$FULL"
mount -t tmpfs -o size=1m tmpfs "$FULL" || { echo "cannot mount a tmpfs"; exit 1; }
trap 'kill -9 $E2E_DDNSD_PID 2>/dev/null; wait 2>/dev/null; umount -l "$FULL"; e2e_cleanup' EXIT
conf "$FULL"
e2e_start_ddnsd "$CONF" || exit 1
expect_eq "before: applied" "$(update 192.0.2.10)" 200
dd if=/dev/zero of="$FULL/filler" bs=4k >/dev/null 2>&1 || true
codes=
for i in $(seq 11 250); do
	c=$(update "192.0.2.$i")
	codes="$codes $c"
	# after every answer, DNS, read API and store agree
	s=$(store_ip "$FULL") d=$(dns_a) r=$(read_ip)
	if [ "$s" != "$d" ] || [ "$s" != "$r" ]; then
		echo "# after update $i ($c): store $s, DNS $d, read API $r"
		break
	fi
	[ "$c" = 200 ] || break
done
check "a full disk refuses a change (HTTP codes:$codes)" \
	bash -c "[[ '$codes' == *500* ]]"
expect_eq "DNS, read API and store agree on a full disk" \
	"$(dns_a) $(read_ip)" "$(store_ip "$FULL") $(store_ip "$FULL")"
check "healthz says the store is failing" bash -c "[[ '$(healthz)' == 'store failing'*' 503' ]]"
check "DNS keeps answering" test -n "$(dns_a +tcp)"
# the probe writes while the store fails: an empty commit would pass on a
# full disk and call the store healthy
failed_txns() {
	curl -s "$BASE/metrics" |
		sed -n 's/^ddns_store_transactions_total{result="failed"} //p'
}
F0=$(failed_txns)
for i in $(seq 1 100); do
	[ "$(failed_txns)" -ge $((F0 + 2)) ] && break
	sleep 0.1
done
check "still full: the writer's probes fail ($F0 -> $(failed_txns))" \
	test "$(failed_txns)" -ge $((F0 + 2))
check "still full: healthz still says failing" \
	bash -c "[[ '$(healthz)' == 'store failing'*' 503' ]]"
rm -f "$FULL/filler"
check "space freed: healthz ok again before any update" healthz_heals
expect_eq "space freed: the update is applied" "$(update 192.0.2.251)" 200
expect_eq "DNS has it" "$(dns_a)" "192.0.2.251"
expect_eq "healthz ok again" "$(healthz)" "ok
 200"
check "ddnsd stops with status 0" e2e_stop_ddnsd
e2e_finish
