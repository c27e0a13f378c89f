#!/bin/bash
# Benchmark (not a test): what signing the zone for secondaries costs
# builtin_dns (dnssec = true with secondaries), beside the same zone
# unsigned, and beside Knot 3.2 serving it signed with NSEC3, in one run.
#
# For N records (default 10,000), a thread first signs the zone whole (its
# time is in the log, printed, with the loop's longest stall), then kdig
# takes AXFRs with the TSIG key of a secondary: the first of a serial
# (ddnsd builds the image from the stored signatures), a second of the
# same serial (the image is shared), and the first after one update (a new
# image, its signatures from the store but two).  Then the IXFR
# of that update, in bytes.  knotd signs its copy at load (its time is in
# its log, printed), then serves AXFRs from memory.
#
# Usage, from a build folder configured WITHOUT --enable-sanitizers:
#   /path/to/src/tests/bench/xsign.sh
# Environment: DDNSD, DDNSCTL, DDNS_PLUGIN_DIR (default ./daemon/ddnsd,
#   ./daemon/ddnsctl, ./plugins/.libs), BENCH_RECORDS=10000.
# Needs (Debian): knot knot-dnsutils python3 curl.
set -u

DDNSD=${DDNSD:-$PWD/daemon/ddnsd}
DDNSCTL=${DDNSCTL:-$PWD/daemon/ddnsctl}
DDNS_PLUGIN_DIR=${DDNS_PLUGIN_DIR:-$PWD/plugins/.libs}
N=${BENCH_RECORDS:-10000}
ZONE=bench.example.com

for tool in knotd kdig python3 curl; do
	command -v "$tool" >/dev/null || { echo "xsign.sh: $tool is missing" >&2; exit 1; }
done
[ -x "$DDNSD" ] && [ -x "$DDNSCTL" ] || { echo "xsign.sh: no ddnsd at $DDNSD (set DDNSD)" >&2; exit 1; }
if nm "$DDNSD" 2>/dev/null | grep -q __asan_init; then
	echo "xsign.sh: warning: $DDNSD is built with sanitizers; figures will be low" >&2
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
DNS_PORT=$(e2e_free_udp_port)
KP_PORT=$(e2e_free_udp_port)
E2E_HTTP_PORT=$(e2e_free_port)

echo "making a zone of $N records ..."
"$DDNSCTL" -d "$DIR/ddns.sqlite" list >/dev/null   # the schema
python3 "$here/fill_store.py" "$DIR/ddns.sqlite" "$N"

# conf DNSSEC: ddnsd's config, signed or not
conf() {
	cat >"$DIR/ddns.conf" <<EOF
http = { listen = [ "127.0.0.1:$E2E_HTTP_PORT" ]; };
database = "$DIR/ddns.sqlite";
plugin_dir = "$DDNS_PLUGIN_DIR";
log_level = "info";
providers = {
  bench = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$DNS_PORT" ]; zone = [ "$ZONE" ];
            ns = [ "ns1.$ZONE=127.0.0.1" ]; tsig_keys = [ "hmac-sha256:xfr-key:$SECRET" ];
            secondaries = [ "127.0.0.1:9 xfr-key" ]; dnssec = $1; };
};
records = ( { domain = "probe.$ZONE"; provider = "bench";
              key_hash = "$(e2e_key_hash "$PROBE_KEY")"; } );
EOF
}
KEY="hmac-sha256:xfr-key:$SECRET"
# axfr PORT: "seconds bytes" of one AXFR by kdig
axfr() {
	local t0 t1 b
	t0=$(date +%s.%N)
	b=$(kdig @127.0.0.1 -p "$1" -y "$KEY" +time=120 "$ZONE" AXFR 2>/dev/null |
		sed -n 's/.*Received \([0-9]*\) B.*/\1/p' | tail -1)
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" -v n="${b:-0}" 'BEGIN { printf "%.3f %s\n", b - a, n }'
}
serial() { kdig @127.0.0.1 -p "$DNS_PORT" +short "$ZONE" SOA | awk '{ print $3 }'; }

run_ddnsd() { # DNSSEC LABEL
	conf "$1"
	rm -rf "$DIR/plugins"
	"$DDNSD" -c "$DIR/ddns.conf" >"$DIR/ddnsd.log" 2>&1 &
	local pid=$!
	E2E_EXTRA_PIDS="$pid"
	e2e_wait_port "$E2E_HTTP_PORT" || { cat "$DIR/ddnsd.log"; exit 1; }
	curl -s -o /dev/null --data "key=$PROBE_KEY&ip=192.0.2.1" "http://127.0.0.1:$E2E_HTTP_PORT/dynamicdns/update/probe.$ZONE/"
	if [ "$1" = true ]; then # a thread signs the zone whole first
		for _ in $(seq 1 3000); do grep -q "signed for secondaries" "$DIR/ddnsd.log" && break; sleep 0.1; done
		SIGNED=$(grep -o "signed for secondaries: .*;" "$DIR/ddnsd.log" | tail -1)
	fi
	local cold warm s0 after ixfr
	cold=$(axfr "$DNS_PORT")
	warm=$(axfr "$DNS_PORT")
	s0=$(serial)
	curl -s -o /dev/null --data "key=$PROBE_KEY&ip=192.0.2.2" "http://127.0.0.1:$E2E_HTTP_PORT/dynamicdns/update/probe.$ZONE/"
	after=$(axfr "$DNS_PORT")
	ixfr=$(kdig @127.0.0.1 -p "$DNS_PORT" -y "$KEY" "$ZONE" "IXFR=$s0" 2>/dev/null |
		sed -n 's/.*Received \([0-9]*\) B.*/\1/p' | tail -1)
	printf '  %-26s %9s %9s %9s %11s %8s\n' "$2" "${cold% *}" "${warm% *}" "${after% *}" \
		"${cold#* }" "${ixfr:-?}"
	STALL=$(grep -o 'stalled for [0-9]* ms' "$DIR/ddnsd.log" | awk '{ if ($3 > m) m = $3 } END { print m + 0 }')
	kill "$pid"
	wait "$pid" 2>/dev/null
	E2E_EXTRA_PIDS=
}

echo
echo "AXFR of $N records by kdig (seconds), and the IXFR of one update (bytes):"
printf '  %-26s %9s %9s %9s %11s %8s\n' primary "1st AXFR" "2nd AXFR" "after upd" "AXFR bytes" "IXFR B"
run_ddnsd false "builtin_dns, unsigned"
run_ddnsd true "builtin_dns, signed"
if [ "$STALL" = 0 ]; then STALL="no stall warning (the watchdog warns from 1 s)"; else STALL="the longest stall the watchdog saw: $STALL ms"; fi
echo "  (builtin_dns $SIGNED $STALL)"

# Knot, signing the same zone with NSEC3 at load.
mkdir -p "$DIR/kp"
{
	printf '$ORIGIN %s.\n$TTL 1\n' "$ZONE"
	printf '@ 3600 SOA ns1 hostmaster 1 3600 600 604800 1\n@ 3600 NS ns1\nns1 3600 A 127.0.0.1\n'
	printf 'probe A 192.0.2.1\n'
	python3 -c 'import sys
n = int(sys.argv[1])
for i in range(n):
    print("host%d A 10.%d.%d.%d" % (i, i >> 16 & 255, i >> 8 & 255, i & 255))' "$N"
} >"$DIR/kp/$ZONE.zone"
{
	e2e_knot_conf_head "$DIR/kp" "$KP_PORT"
	cat <<EOF
key:
  - id: xfr-key
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: xfr
    key: xfr-key
    action: transfer
policy:
  - id: nsec3
    algorithm: ecdsap256sha256
    single-type-signing: on
    nsec3: on
    nsec3-iterations: 0
    nsec3-salt-length: 0
zone:
  - domain: $ZONE
    storage: "$DIR/kp"
    file: $ZONE.zone
    acl: xfr
    dnssec-signing: on
    dnssec-policy: nsec3
    zonefile-sync: -1
EOF
} >"$DIR/kp/knot.conf"
t0=$(date +%s.%N)
knotd -c "$DIR/kp/knot.conf" >/dev/null 2>&1 &
E2E_EXTRA_PIDS="$!"
for _ in $(seq 1 1200); do
	kdig @127.0.0.1 -p "$KP_PORT" +short +time=1 "$ZONE" DNSKEY 2>/dev/null | grep -q . && break
	sleep 0.1
done
t1=$(date +%s.%N)
a1=$(axfr "$KP_PORT")
a2=$(axfr "$KP_PORT")
printf '  %-26s %9s %9s %9s %11s %8s\n' "knotd 3.2, signed (NSEC3)" "${a1% *}" "${a2% *}" - "${a1#* }" -
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "  (knotd took %.2f s from start to serving the signed zone)\n", b - a }'
