#!/bin/bash
# builtin_dns as the hidden primary of real secondaries: a Knot 3.2 knotd
# and an NSD 4.6 nsd on loopback, both with a TSIG key.  The initial AXFR;
# an HTTP update reaching both by NOTIFY then IXFR (ddnsd counts which,
# knotd logs it); a restart after which the serial still rises and IXFR
# still works; refusals: a wrong TSIG secret, an unknown key, no key, a
# host that is not a secondary.
. "$top_srcdir/tests/lib/e2e.sh"

e2e_init_http
KNOTD=$(e2e_find_tool knotd knot) || exit 77
NSD=$(e2e_find_tool nsd nsd) || exit 77
KDIG=$(e2e_find_tool kdig knot-dnsutils) || exit 1

DNS_PORT=$(e2e_free_udp_port)
KNOT_PORT=$(e2e_free_udp_port)
while [ "$KNOT_PORT" = "$DNS_PORT" ]; do KNOT_PORT=$(e2e_free_udp_port); done
NSD_PORT=$(e2e_free_udp_port)
while [ "$NSD_PORT" = "$DNS_PORT" ] || [ "$NSD_PORT" = "$KNOT_PORT" ]; do
	NSD_PORT=$(e2e_free_udp_port)
done
SECRET=$(head -c 32 /dev/urandom | base64)
WRONG=$(head -c 32 /dev/urandom | base64)
ZONE=dyn.example.test
KH=KeyForHomeeeeeeeeeeeeeeeeeeeeeee1
KL=KeyForLannnnnnnnnnnnnnnnnnnnnnnn2

write_conf() {
	{
		e2e_conf_base
		cat <<EOF
providers = {
  dns = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$DNS_PORT" ];
          zone = [ "$ZONE" ]; ttl = 60; ns = [ "ns1.$ZONE=127.0.0.1" ];
          tsig_keys = [ "hmac-sha256:ddnsd-key:$SECRET" ];
          secondaries = [ "127.0.0.1:$KNOT_PORT ddnsd-key", "127.0.0.1:$NSD_PORT ddnsd-key" ];
          notify_retry_s = 2; };
};
records = (
  { domain = "home.$ZONE"; provider = "dns"; key_hash = "$(e2e_key_hash "$KH")"; },
  { domain = "nas.$ZONE"; provider = "dns"; key_hash = "$(e2e_key_hash "$KL")";
    lan_ip = "192.168.1.20"; }
);
EOF
	} >"$CONF"
}
write_conf
check "ddnsd -t accepts secondaries and tsig_keys" "$DDNSD" -t -c "$CONF"
e2e_start_ddnsd "$CONF" || exit 1
check "a LAN address with secondaries is warned about" \
	e2e_wait_log "nas.$ZONE (and maybe others) has a LAN address"

update() {
	CODE=$(curl -s -o "$E2E_DIR/body" -w '%{http_code}' --max-time 30 \
		--data "key=$2&ip=$3" "$BASE/dynamicdns/update/$1/")
}
# soa PORT: the serial a server has for the zone
soa() { "$KDIG" @127.0.0.1 -p "$1" +short +time=1 +retry=0 "$ZONE" SOA 2>/dev/null | awk '{print $3}'; }
ask() { "$KDIG" @127.0.0.1 -p "$1" +short +time=1 +retry=0 "$2" A 2>/dev/null; }
metric() {
	curl -s "$BASE/metrics" | awk -v m="ddns_$1{provider=\"dns\"}" '$1 == m { print $2 }'
}
# until_eq SECONDS CMD WANT: poll CMD until it prints WANT (a bound for a
# loaded machine, not a speed check: it returns as soon as CMD agrees)
until_eq() {
	local end=$((SECONDS + $1)) got
	while :; do
		got=$(eval "$2")
		[ "$got" = "$3" ] && return 0
		[ $SECONDS -ge $end ] && { echo "got '$got', want '$3'" >&2; return 1; }
		sleep 0.05
	done
}

update "home.$ZONE" "$KH" 203.0.113.1
expect_eq "first address: 200" "$CODE" 200

# ---- the secondaries ----
KD=$E2E_DIR/knot
ND=$E2E_DIR/nsd
mkdir -p "$KD" "$ND"
{
	e2e_knot_conf_head "$KD" "$KNOT_PORT"
	e2e_knot_secondary_zone "$KD" "$SECRET" "$DNS_PORT" "$ZONE"
} >"$KD/knot.conf"
cat >"$ND/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$NSD_PORT
    zonesdir: "$ND"
    database: ""
    username: ""
    chroot: ""
    pidfile: "$ND/nsd.pid"
    xfrdfile: "$ND/xfrd.state"
    zonelistfile: "$ND/zone.list"
    xfrdir: "$ND"
    logfile: "$ND/nsd.log"
    verbosity: 2
remote-control:
    control-enable: no
key:
    name: "ddnsd-key"
    algorithm: hmac-sha256
    secret: "$SECRET"
zone:
    name: "$ZONE"
    zonefile: "$ZONE.zone"
    allow-notify: 127.0.0.1 ddnsd-key
    request-xfr: 127.0.0.1@$DNS_PORT ddnsd-key
EOF
"$KNOTD" -c "$KD/knot.conf" >"$KD/knotd.out" 2>&1 &
KNOT_PID=$!
"$NSD" -d -c "$ND/nsd.conf" >"$ND/nsd.out" 2>&1 &
NSD_PID=$!
E2E_EXTRA_PIDS="$KNOT_PID $NSD_PID"

SERIAL=$(soa "$DNS_PORT")
check "ddnsd has a serial" test -n "$SERIAL"
check "knotd: the initial transfer gives ddnsd's serial" until_eq 60 "soa $KNOT_PORT" "$SERIAL"
check "nsd: the initial transfer gives ddnsd's serial" until_eq 60 "soa $NSD_PORT" "$SERIAL"
check "knotd serves the address" until_eq 60 "ask $KNOT_PORT home.$ZONE" 203.0.113.1
check "nsd serves the address" until_eq 60 "ask $NSD_PORT home.$ZONE" 203.0.113.1
expect_eq "secondaries get the WAN view: no A for the LAN-only name" \
	"$(ask "$KNOT_PORT" "nas.$ZONE")" ""
check "knotd's first transfer was an AXFR" grep -q "AXFR, incoming" "$KD/knot.log"
AXFR=$(metric dns_axfr_total)
check "ddnsd counted the AXFRs" test "${AXFR:-0}" -ge 2

# ---- an update: NOTIFY, then IXFR ----
IXFR0=$(metric dns_ixfr_total)
WHOLE0=$(metric dns_ixfr_whole_total)
update "home.$ZONE" "$KH" 203.0.113.2
expect_eq "update: 200" "$CODE" 200
T0=$(date +%s.%N)
check "knotd serves the new address after NOTIFY" until_eq 60 "ask $KNOT_PORT home.$ZONE" 203.0.113.2
T1=$(date +%s.%N)
check "nsd serves the new address after NOTIFY" until_eq 60 "ask $NSD_PORT home.$ZONE" 203.0.113.2
T2=$(date +%s.%N)
echo "secondaries: knotd after $(awk "BEGIN{print $T1 - $T0}") s, nsd after $(awk "BEGIN{print $T2 - $T0}") s (from the 200)"
S2=$(soa "$DNS_PORT")
check "the serial rose" test "$S2" -gt "$SERIAL"
check "knotd has the new serial" until_eq 60 "soa $KNOT_PORT" "$S2"
check "nsd has the new serial" until_eq 60 "soa $NSD_PORT" "$S2"
check "both pulled incrementally (IXFR from the journal)" \
	until_eq 60 "echo \$((\$(metric dns_ixfr_total) - IXFR0))" 2
expect_eq "... none needed the whole zone" "$(metric dns_ixfr_whole_total)" "$WHOLE0"
check "knotd logs an incoming IXFR" grep -q "IXFR, incoming" "$KD/knot.log"
check "NOTIFYs were answered" test "$(metric dns_notify_answered_total)" -ge 2

# ---- direct transfers with kdig ----
ax() { OUT=$("$KDIG" @127.0.0.1 -p "$DNS_PORT" +time=2 +retry=0 "$@" 2>&1); }
has() { printf '%s\n' "$OUT" | grep -q -- "$1"; }
lacks() { ! has "$1"; }
count() { printf '%s\n' "$OUT" | grep -c -- "$1"; }
ax -y "hmac-sha256:ddnsd-key:$SECRET" AXFR "$ZONE"
check "kdig AXFR with the key: the zone" has "home.$ZONE.*203.0.113.2"
expect_eq "... starts and ends with the SOA" "$(count 'SOA')" 2
ax -y "hmac-sha256:ddnsd-key:$SECRET" "IXFR=$SERIAL" "$ZONE"
check "kdig IXFR from the old serial: the address that went" has "203.0.113.1"
check "... and the one that came" has "203.0.113.2"
check "... and nothing else (no NS)" lacks "	NS	"
ax -y "hmac-sha256:ddnsd-key:$WRONG" AXFR "$ZONE"
check "a wrong secret: refused, BADSIG" has "error 'BADSIG'"
check "... without a record" lacks 203.0.113
ax -y "hmac-sha256:other-key:$SECRET" AXFR "$ZONE"
check "an unknown key: refused, BADKEY" has "error 'BADKEY'"
ax AXFR "$ZONE"
check "no key: refused (NOTAUTH)" has NOTAUTH
check "... without a record" lacks 203.0.113
ax -b 127.0.0.2 -y "hmac-sha256:ddnsd-key:$SECRET" AXFR "$ZONE"
check "the right key from a host that is no secondary: NOTAUTH" has NOTAUTH
check "... without a record" lacks 203.0.113
check "refusals are counted" test "$(metric dns_xfr_refused_total)" -ge 4

# ---- a restart: the serial never goes back, IXFR still works ----
check "ddnsd stops cleanly" e2e_stop_ddnsd
check "the serials are kept in the state directory" \
	grep -q "^$ZONE. $S2 " "$E2E_DIR/plugins/dns/serials"
e2e_start_ddnsd "$CONF" || exit 1
expect_eq "after a restart, an unchanged zone keeps its serial" "$(soa "$DNS_PORT")" "$S2"
IXFR0=$(metric dns_ixfr_total)
update "home.$ZONE" "$KH" 203.0.113.3
expect_eq "update after the restart: 200" "$CODE" 200
S3=$(soa "$DNS_PORT")
check "the serial rose past the one before the restart" test "$S3" -gt "$S2"
check "knotd follows" until_eq 60 "ask $KNOT_PORT home.$ZONE" 203.0.113.3
check "nsd follows" until_eq 60 "ask $NSD_PORT home.$ZONE" 203.0.113.3
check "by IXFR" until_eq 60 "echo \$((\$(metric dns_ixfr_total) - IXFR0))" 2
ax -y "hmac-sha256:ddnsd-key:$SECRET" "IXFR=$SERIAL" "$ZONE"
check "the journal from before the restart still reaches back" has 203.0.113.1
check "... step by step, not the whole zone" lacks "	NS	"

# ---- a burst: serials only rise, the secondaries end current ----
for i in 4 5 6 7 8; do update "home.$ZONE" "$KH" "203.0.113.$i"; done
S4=$(soa "$DNS_PORT")
check "five changes in a row: the serial rose" test "$S4" -gt "$S3"
check "knotd ends current" until_eq 60 "soa $KNOT_PORT" "$S4"
check "nsd ends current" until_eq 60 "soa $NSD_PORT" "$S4"
expect_eq "knotd serves the last address" "$(ask "$KNOT_PORT" "home.$ZONE")" 203.0.113.8

# ---- a reload that changes every record (the TTL): a new instance over
# the same state; the serial goes on rising, the secondaries follow ----
sed -i 's/ttl = 60;/ttl = 120;/' "$CONF"
kill -HUP "$E2E_DDNSD_PID"
check "the reload is done" e2e_wait_log "reloaded: "
S5=$(soa "$DNS_PORT")
check "after the reload the serial rose again" test "$S5" -gt "$S4"
ttl() { "$KDIG" @127.0.0.1 -p "$1" +noall +answer +time=1 "home.$ZONE" A 2>/dev/null | awk '{print $2}'; }
check "knotd serves the new TTL" until_eq 60 "ttl $KNOT_PORT" 120
check "nsd serves the new TTL" until_eq 60 "ttl $NSD_PORT" 120

kill "$KNOT_PID" "$NSD_PID" 2>/dev/null
e2e_finish
