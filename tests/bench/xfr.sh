#!/bin/bash
# Benchmark (not a test): zone transfers from builtin_dns to a real Knot
# 3.2 secondary, beside Knot itself as the primary of the same zone, in
# one run.
#
#  1. AXFR of N records (default 100,000): the secondary's own figures
#     (time, messages, bytes, from its log), ddnsd as primary and knotd as
#     primary, rounds interleaved, the median of each.
#  2. IXFR: one record changed (through ddnsd's HTTP API; through knotc on
#     the Knot primary), the bytes of the IXFR the secondary pulls, and,
#     for ddnsd, the time from the HTTP 200 to the secondary serving it.
#
# Usage, from a build folder configured WITHOUT --enable-sanitizers:
#   /path/to/src/tests/bench/xfr.sh
# Environment: DDNSD, DDNSCTL, DDNS_PLUGIN_DIR (default ./daemon/ddnsd,
#   ./daemon/ddnsctl, ./plugins/.libs), BENCH_RECORDS=100000, BENCH_ROUNDS=3.
# Needs (Debian): knot knot-dnsutils python3 curl sqlite3.
set -u

DDNSD=${DDNSD:-$PWD/daemon/ddnsd}
DDNSCTL=${DDNSCTL:-$PWD/daemon/ddnsctl}
DDNS_PLUGIN_DIR=${DDNS_PLUGIN_DIR:-$PWD/plugins/.libs}
N=${BENCH_RECORDS:-100000}
ROUNDS=${BENCH_ROUNDS:-3}
ZONE=bench.example.com

for tool in knotd knotc kdig python3 curl; do
	command -v "$tool" >/dev/null || { echo "xfr.sh: $tool is missing" >&2; exit 1; }
done
[ -x "$DDNSD" ] && [ -x "$DDNSCTL" ] || { echo "xfr.sh: no ddnsd at $DDNSD (set DDNSD)" >&2; exit 1; }
if nm "$DDNSD" 2>/dev/null | grep -q __asan_init; then
	echo "xfr.sh: warning: $DDNSD is built with sanitizers; figures will be low" >&2
fi

top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
here=$top_srcdir/tests/bench
DDNS_TEST_PLUGIN_DIR=$DDNS_PLUGIN_DIR
. "$top_srcdir/tests/lib/e2e.sh"
e2e_init
DIR=$E2E_DIR
E2E_EXTRA_PIDS=
SECRET=$(head -c 32 /dev/urandom | base64)
PROBE_KEY=KeyForProbeeeeeeeeeeeeeeeeeeeeee1

# ---- the same zone for both primaries: N records, plus a probe ----
echo "making a zone of $N records ..."
"$DDNSCTL" -d "$DIR/ddns.sqlite" list >/dev/null   # the schema
python3 "$here/fill_store.py" "$DIR/ddns.sqlite" "$N"
{
	printf '$ORIGIN %s.\n$TTL 1\n' "$ZONE"
	printf '@ 3600 SOA ns1 hostmaster 1 3600 600 604800 1\n@ 3600 NS ns1\nns1 3600 A 127.0.0.1\n'
	printf 'probe A 192.0.2.1\n'
	python3 -c 'import sys
n = int(sys.argv[1])
for i in range(n):
    print("host%d A 10.%d.%d.%d" % (i, i >> 16 & 255, i >> 8 & 255, i & 255))' "$N"
} >"$DIR/knot-primary.zone"

DDNS_PORT=$(e2e_free_udp_port)
KP_PORT=$(e2e_free_udp_port)
SEC_PORT=$(e2e_free_udp_port)
E2E_HTTP_PORT=$(e2e_free_port)
cat >"$DIR/ddns.conf" <<EOF
http = { listen = [ "127.0.0.1:$E2E_HTTP_PORT" ]; };
database = "$DIR/ddns.sqlite";
plugin_dir = "$DDNS_PLUGIN_DIR";
log_level = "warning";
providers = {
  bench = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$DDNS_PORT" ]; zone = [ "$ZONE" ];
            ns = [ "ns1.$ZONE=127.0.0.1" ]; tsig_keys = [ "hmac-sha256:xfr-key:$SECRET" ];
            secondaries = [ "127.0.0.1:$SEC_PORT xfr-key" ]; };
};
records = ( { domain = "probe.$ZONE"; provider = "bench";
              key_hash = "$(e2e_key_hash "$PROBE_KEY")"; } );
EOF
"$DDNSD" -c "$DIR/ddns.conf" >"$DIR/ddnsd.log" 2>&1 &
DDNSD_PID=$!
E2E_EXTRA_PIDS="$DDNSD_PID"
e2e_wait_port "$E2E_HTTP_PORT" || { cat "$DIR/ddnsd.log"; exit 1; }
curl -s -o /dev/null --data "key=$PROBE_KEY&ip=192.0.2.1" "http://127.0.0.1:$E2E_HTTP_PORT/dynamicdns/update/probe.$ZONE/"

# The Knot primary, with the same key and zone.
mkdir -p "$DIR/kp"
cp "$DIR/knot-primary.zone" "$DIR/kp/$ZONE.zone"
cat >"$DIR/kp/knot.conf" <<EOF
server:
    listen: 127.0.0.1@$KP_PORT
    rundir: "$DIR/kp"
database:
    storage: "$DIR/kp"
log:
  - target: "$DIR/kp/knot.log"
    any: info
key:
  - id: xfr-key
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: secondary
    address: 127.0.0.1@$SEC_PORT
    key: xfr-key
acl:
  - id: to_secondary
    remote: secondary
    action: transfer
zone:
  - domain: $ZONE
    storage: "$DIR/kp"
    file: $ZONE.zone
    acl: to_secondary
    notify: secondary
    zonefile-sync: -1
    journal-content: changes
EOF
knotd -c "$DIR/kp/knot.conf" >/dev/null 2>&1 &
KP_PID=$!
E2E_EXTRA_PIDS="$DDNSD_PID $KP_PID"
for _ in $(seq 1 300); do
	kdig @127.0.0.1 -p "$KP_PORT" +short +time=1 "$ZONE" SOA 2>/dev/null | grep -q . && break
	sleep 0.1
done

# secondary PRIMARY_PORT ROUND: a fresh Knot secondary of PRIMARY_PORT; it
# transfers the zone once, then stays up (SEC_PID, SEC_DIR).
secondary() {
	SEC_DIR=$DIR/sec-$2
	rm -rf "$SEC_DIR"
	mkdir -p "$SEC_DIR"
	cat >"$SEC_DIR/knot.conf" <<EOF
server:
    listen: 127.0.0.1@$SEC_PORT
    rundir: "$SEC_DIR"
database:
    storage: "$SEC_DIR"
log:
  - target: "$SEC_DIR/knot.log"
    any: info
key:
  - id: xfr-key
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: primary
    address: 127.0.0.1@$1
    key: xfr-key
acl:
  - id: from_primary
    remote: primary
    action: notify
zone:
  - domain: $ZONE
    storage: "$SEC_DIR"
    master: primary
    acl: from_primary
    zonefile-sync: -1
EOF
	knotd -c "$SEC_DIR/knot.conf" >/dev/null 2>&1 &
	SEC_PID=$!
	for _ in $(seq 1 600); do
		grep -q "AXFR, incoming.*finished" "$SEC_DIR/knot.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "xfr.sh: no AXFR finished from port $1" >&2
	return 1
}
# "0.21 seconds, 4 messages, 2973551 bytes" of the last $1 (AXFR|IXFR) line
figures() {
	grep "$1, incoming.*finished" "$SEC_DIR/knot.log" | tail -1 |
		sed 's/.*finished, \([0-9.]*\) seconds, \([0-9]*\) messages, \([0-9]*\) bytes.*/\1 \2 \3/'
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$DIR/ddnsd.axfr"
: >"$DIR/knot.axfr"
for r in $(seq 1 "$ROUNDS"); do
	secondary "$DDNS_PORT" "d$r" && figures AXFR >>"$DIR/ddnsd.axfr"
	stop "$SEC_PID"
	secondary "$KP_PORT" "k$r" && figures AXFR >>"$DIR/knot.axfr"
	stop "$SEC_PID"
done

echo
echo "AXFR of $N records to a Knot 3.2 secondary (its own figures), median of $ROUNDS:"
printf '  %-22s %8s %9s %12s %10s\n' primary seconds messages bytes bytes/rec
for who in ddnsd knot; do
	f=$DIR/$who.axfr
	s=$(awk '{print $1}' "$f" | median)
	m=$(awk '{print $2}' "$f" | median)
	b=$(awk '{print $3}' "$f" | median)
	printf '  %-22s %8s %9s %12s %10.1f\n' "$([ $who = ddnsd ] && echo builtin_dns || echo 'knotd (zone file)')" \
		"$s" "$m" "$b" "$(awk -v b="$b" -v n="$N" 'BEGIN{print b / n}')"
done

# ---- IXFR of one change ----
echo
echo "IXFR of one changed A record:"
secondary "$DDNS_PORT" ixd
T0=$(date +%s.%N)
curl -s -o /dev/null --data "key=$PROBE_KEY&ip=192.0.2.2" "http://127.0.0.1:$E2E_HTTP_PORT/dynamicdns/update/probe.$ZONE/"
for _ in $(seq 1 400); do
	[ "$(kdig @127.0.0.1 -p "$SEC_PORT" +short probe.$ZONE A 2>/dev/null)" = 192.0.2.2 ] && break
	sleep 0.01
done
T1=$(date +%s.%N)
read -r s m b < <(figures IXFR)
printf '  %-22s %6s bytes in %s message(s); the secondary served it %.3f s after the HTTP 200\n' \
	builtin_dns "$b" "$m" "$(awk -v a="$T0" -v b="$T1" 'BEGIN{print b - a}')"
stop "$SEC_PID"
secondary "$KP_PORT" ixk
knotc -c "$DIR/kp/knot.conf" zone-begin "$ZONE" >/dev/null
knotc -c "$DIR/kp/knot.conf" zone-unset "$ZONE" probe A 192.0.2.1 >/dev/null
knotc -c "$DIR/kp/knot.conf" zone-set "$ZONE" probe 1 A 192.0.2.2 >/dev/null
knotc -c "$DIR/kp/knot.conf" zone-commit "$ZONE" >/dev/null
for _ in $(seq 1 400); do
	grep -q "IXFR, incoming.*finished" "$SEC_DIR/knot.log" 2>/dev/null && break
	sleep 0.01
done
read -r s m b < <(figures IXFR)
printf '  %-22s %6s bytes in %s message(s)\n' "knotd (knotc change)" "$b" "$m"
stop "$SEC_PID"

# ---- the zone image: built once per serial on the loop, then shared ----
# kdig's own time for an AXFR right after a change (the image is built)
# and again (it is reused): the difference is what building cost the loop.
curl -s -o /dev/null --data "key=$PROBE_KEY&ip=192.0.2.3" "http://127.0.0.1:$E2E_HTTP_PORT/dynamicdns/update/probe.$ZONE/"
axfr_ms() {
	kdig @127.0.0.1 -p "$DDNS_PORT" -y "hmac-sha256:xfr-key:$SECRET" AXFR "$ZONE" 2>/dev/null |
		sed -n 's/.* in \([0-9.]*\) ms$/\1/p' | tail -1
}
first=$(axfr_ms)
again=$(axfr_ms)
echo
echo "kdig AXFR from builtin_dns: ${first} ms right after a change (the image is built), ${again} ms again (shared image)"
echo
echo "ddnsd's resident memory after the transfers: $(awk '/VmRSS/ {print $2, $3}' /proc/$DDNSD_PID/status)"
