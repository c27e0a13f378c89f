#!/bin/bash
# Operations end to end: the real ddnsd (dummy providers) driven by curl.
#  - GET /metrics parsed by the Prometheus client library's own parser, and
#    its counters checked against the requests this test made;
#  - GET /healthz, 200 while serving and 503 once shutdown began (asked on
#    a connection opened before);
#  - as root with user = "nobody": the privilege drop checked from
#    /proc/<pid>/status while ddnsd serves (updates, a reload), a user
#    that does not exist stops ddnsd before it serves anything, and ddnsd
#    started as a plain user with only CAP_NET_BIND_SERVICE (what the
#    systemd unit does) serves on a port below 1024;
#  - the systemd unit passes systemd-analyze verify.
# Needs python3-prometheus-client (Debian) for the parser.
. "$top_srcdir/tests/lib/e2e.sh"
: "${DDNSCTL:?DDNSCTL must point at the ddnsctl binary}"

e2e_init
E2E_HTTP_PORT=$(e2e_free_port)
# A port free for UDP and TCP; retried, as a TCP port in TIME_WAIT from
# other tests makes the probe fail now and then.
for _ in 1 2 3 4 5; do
	DNS_PORT=$(e2e_free_udp_port 2>/dev/null) && break
done
BASE=http://127.0.0.1:$E2E_HTTP_PORT
CONF=$E2E_DIR/ddns.conf
STATE=$E2E_DIR/state
KA=KeyForOpsAaaaaaaaaaaaaaaaaaaaaa1
KF=KeyForOpsFailffffffffffffffffff2

PY=
for c in python3 /usr/bin/python3; do
	if "$c" -c 'import prometheus_client.parser' 2>/dev/null; then
		PY=$c
		break
	fi
done
if [ -z "$PY" ]; then
	echo "ops.sh: needs python3-prometheus-client (the exposition format parser)" >&2
	exit 1
fi

AS_ROOT=0
[ "$(id -u)" = 0 ] && AS_ROOT=1
if [ "$AS_ROOT" = 1 ]; then
	# As root the DNS port is a privileged one (as 53 is): serving on it
	# after the drop to nobody shows it was bound before the drop.
	DNS_PORT=$("$PY" -c 'import socket
for p in range(900, 600, -1):
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p))
        t = socket.socket(); t.bind(("127.0.0.1", p)); t.close(); u.close()
        print(p); break
    except OSError: pass')
fi
mkdir -p "$STATE"
if [ "$AS_ROOT" = 1 ]; then
	# What an administrator does: the state folder belongs to the user,
	# the config is readable by it (reload happens after the drop).
	chown nobody: "$STATE"
	chmod 711 "$E2E_DIR"
fi

# write_conf USER_LINE
write_conf() {
	cat >"$CONF" <<EOF
http = { listen = [ "127.0.0.1:$E2E_HTTP_PORT" ]; };
database = "$STATE/ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
log_level = "debug";
auth_fail_delay_ms = 50;
$1
providers = {
  demo = { plugin = "dummy"; fail_names = [ "fail.example.com" ]; };
  slow = { plugin = "dummy"; delay_ms = 3000; };
  home = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$DNS_PORT" ];
           zone = "dyn.example.com"; udp_threads = 1; };
};
records = (
  { domain = "a.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KA)"; },
  { domain = "fail.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KF)"; },
  { domain = "slow.example.com"; provider = "slow"; key_hash = "$(e2e_key_hash $KA)"; },
  { domain = "h.dyn.example.com"; provider = "home"; key_hash = "$(e2e_key_hash $KA)"; }
);
EOF
	chmod 644 "$CONF"
}

# update NAME KEY IP: the seed's API; HTTP status in $CODE
update() {
	CODE=$(curl -s -o "$E2E_DIR/body" -w '%{http_code}' --max-time 20 \
		--data "key=$2&ip=$3" "$BASE/dynamicdns/update/$1/")
}

# Fetch /metrics and flatten it with the strict parser into lines
# "name|label=value,...|value" (labels sorted); fails on invalid text.
scrape() {
	curl -s -D "$E2E_DIR/metrics.head" -o "$E2E_DIR/metrics.txt" "$BASE/metrics" &&
	"$PY" - "$E2E_DIR/metrics.txt" >"$E2E_DIR/metrics.flat" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
seen = set()
for fam in text_string_to_metric_families(text):
    if not fam.documentation or fam.type == "unknown":
        sys.exit("family %s lacks HELP or TYPE" % fam.name)
    seen.add(fam.name)
    for s in fam.samples:
        labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        v = s.value
        print("%s|%s|%s" % (s.name, labels, int(v) if v == int(v) else v))
for want in ("ddns_updates", "ddns_auth_failures", "ddns_provider_latency_seconds",
             "ddns_records", "ddns_reloads", "ddns_dns_queries"):
    if want not in seen:
        sys.exit("family %s missing" % want)
EOF
}

# metric NAME LABELS: the value, or "absent"
metric() {
	local v
	v=$(awk -F'|' -v n="$1" -v l="$2" '$1 == n && $2 == l { print $3; exit }' \
		"$E2E_DIR/metrics.flat")
	echo "${v:-absent}"
}

proc_status() {
	grep -E "^$2:" "/proc/$1/status" | cut -f2- | tr -s '\t ' ' ' | sed 's/ $//'
}

# ---- the systemd unit this build installs ----
if command -v systemd-analyze >/dev/null && [ -f "$top_builddir/etc/ddnsd.service" ]; then
	sed "s|^ExecStart=[^ ]*|ExecStart=$DDNSD|" "$top_builddir/etc/ddnsd.service" \
		>"$E2E_DIR/ddnsd.service"
	check "systemd unit verifies" systemd-analyze verify --man=no "$E2E_DIR/ddnsd.service"
	check "systemd unit: hardening present" grep -qx 'ProtectSystem=strict' "$E2E_DIR/ddnsd.service"
fi

# ---- a user that does not exist: refused before serving ----
if [ "$AS_ROOT" = 1 ]; then
	write_conf 'user = "no-such-user-ddns";'
	rc=0
	timeout 20 "$DDNSD" -c "$CONF" >"$E2E_DIR/bad.log" 2>&1 || rc=$?
	expect_eq "unknown user: ddnsd exits 1" "$rc" 1
	check "unknown user: the log names it" grep -q 'no-such-user-ddns' "$E2E_DIR/bad.log"
	check "unknown user: nothing served" \
		bash -c "! curl -s -o /dev/null --max-time 2 $BASE/healthz"
	rm -f "$STATE"/ddns.sqlite*
fi

# ---- serve ----
if [ "$AS_ROOT" = 1 ]; then
	write_conf 'user = "nobody";'
else
	write_conf ''
fi
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }
PID=$E2E_DDNSD_PID

CODE=$(curl -s -o "$E2E_DIR/body" -w '%{http_code}' "$BASE/healthz")
expect_eq "/healthz while serving: 200" "$CODE" 200
expect_eq "/healthz body" "$(cat "$E2E_DIR/body")" "ok"

# Requests whose outcome is known: 3 changes, 1 unchanged, 2 auth
# failures (wrong key on a known name, unknown name), 1 provider failure.
update a.example.com "$KA" 192.0.2.1;   expect_eq "change 1" "$CODE" 200
update a.example.com "$KA" 192.0.2.2;   expect_eq "change 2" "$CODE" 200
update a.example.com "$KA" 2001:db8::1; expect_eq "change 3 (IPv6)" "$CODE" 200
update a.example.com "$KA" 192.0.2.2;   expect_eq "unchanged" "$CODE" 200
update a.example.com WrongKeyWrongKeyWrongKey1 192.0.2.9; expect_eq "wrong key" "$CODE" 403
update nosuch.example.com "$KA" 192.0.2.9; expect_eq "unknown name" "$CODE" 403
update fail.example.com "$KF" 192.0.2.3; expect_eq "provider failure" "$CODE" 502
# dyndns2 goes through the same pipeline: one more change, one more failure.
DYN=$(curl -s --max-time 20 -u "a.example.com:$KA" \
	"$BASE/nic/update?hostname=a.example.com&myip=192.0.2.4")
expect_eq "dyndns2 change" "$DYN" "good 192.0.2.4"
DYN=$(curl -s --max-time 20 -u "a.example.com:WrongKeyWrongKeyWrongKey2" \
	"$BASE/nic/update?hostname=a.example.com&myip=192.0.2.5")
expect_eq "dyndns2 wrong key" "$DYN" "badauth"

# DNS answers by response code, over UDP (a worker thread) and TCP (the
# loop): 2 NOERROR, 1 NXDOMAIN, 1 REFUSED.
update h.dyn.example.com "$KA" 192.0.2.50; expect_eq "builtin_dns record update" "$CODE" 200
q() { dig @127.0.0.1 -p "$DNS_PORT" +norec +time=3 +tries=1 "$@"; }
expect_eq "DNS: A over UDP" "$(q +short h.dyn.example.com A)" 192.0.2.50
expect_eq "DNS: A over TCP" "$(q +tcp +short h.dyn.example.com A)" 192.0.2.50
check "DNS: NXDOMAIN" bash -c "$(declare -f q); DNS_PORT=$DNS_PORT; q nx.dyn.example.com A | grep -q 'status: NXDOMAIN'"
check "DNS: REFUSED" bash -c "$(declare -f q); DNS_PORT=$DNS_PORT; q www.example.org A | grep -q 'status: REFUSED'"

if [ "$AS_ROOT" = 1 ]; then
	# Serving as nobody: ids, groups, capabilities, no way back.
	expect_eq "drop: Uid" "$(proc_status "$PID" Uid)" "65534 65534 65534 65534"
	expect_eq "drop: Gid" "$(proc_status "$PID" Gid)" "65534 65534 65534 65534"
	expect_eq "drop: Groups" "$(proc_status "$PID" Groups)" "65534"
	expect_eq "drop: CapEff" "$(proc_status "$PID" CapEff)" "0000000000000000"
	expect_eq "drop: CapPrm" "$(proc_status "$PID" CapPrm)" "0000000000000000"
	expect_eq "drop: NoNewPrivs" "$(proc_status "$PID" NoNewPrivs)" "1"
	check "drop: logged" grep -q 'dropped root: now user "nobody"' "$E2E_DIR/ddnsd.log"
	check "drop: DNS served on privileged port $DNS_PORT, bound before the drop" \
		test "$DNS_PORT" -lt 1024
else
	echo "# not root: privilege drop checks skipped"
	expect_eq "plain user: NoNewPrivs" "$(proc_status "$PID" NoNewPrivs)" "1"
fi

# A reload after the drop (the config must still be readable), and a
# record added by ddnsctl behind ddnsd's back: both show in /metrics.
kill -HUP "$PID"
for _ in $(seq 1 100); do
	grep -q 'reloaded' "$E2E_DIR/ddnsd.log" && break
	sleep 0.05
done
check "reload after the drop" grep -q 'reloaded' "$E2E_DIR/ddnsd.log"
ctl=("$DDNSCTL" -c "$CONF")
[ "$AS_ROOT" = 1 ] && ctl=(setpriv --reuid=65534 --regid=65534 --clear-groups "${ctl[@]}")
check "ddnsctl add" "${ctl[@]}" add b.example.com -p demo -k KeyForOpsBbbbbbbbbbbbbbbbbbbbbb3

check "/metrics parses (HELP, TYPE, every family)" scrape
check "/metrics content type" grep -qi '^content-type: text/plain; version=0.0.4' "$E2E_DIR/metrics.head"
expect_eq "updates changed" "$(metric ddns_updates_total 'provider=demo,result=changed')" 4
expect_eq "updates changed (builtin_dns)" \
	"$(metric ddns_updates_total 'provider=home,result=changed')" 1
expect_eq "updates unchanged" "$(metric ddns_updates_total 'provider=demo,result=unchanged')" 1
expect_eq "updates provider_failed" \
	"$(metric ddns_updates_total 'provider=demo,result=provider_failed')" 1
expect_eq "updates auth_failed (no provider named)" \
	"$(metric ddns_updates_total 'provider=,result=auth_failed')" 3
expect_eq "auth failures" "$(metric ddns_auth_failures_total '')" 3
expect_eq "latency count" "$(metric ddns_provider_latency_seconds_count 'provider=demo')" 5
expect_eq "latency +Inf bucket" \
	"$(metric ddns_provider_latency_seconds_bucket 'le=+Inf,provider=demo')" 5
expect_eq "records (4 configured + 1 ddnsctl)" "$(metric ddns_records '')" 5
expect_eq "reloads ok" "$(metric ddns_reloads_total 'result=ok')" 1
expect_eq "DNS NOERROR" "$(metric ddns_dns_queries_total 'rcode=NOERROR')" 2
expect_eq "DNS NXDOMAIN" "$(metric ddns_dns_queries_total 'rcode=NXDOMAIN')" 1
expect_eq "DNS REFUSED" "$(metric ddns_dns_queries_total 'rcode=REFUSED')" 1
expect_eq "DNS SERVFAIL" "$(metric ddns_dns_queries_total 'rcode=SERVFAIL')" 0

CODE=$(curl -s -o /dev/null -w '%{http_code}' --data x "$BASE/metrics")
expect_eq "POST /metrics: 405" "$CODE" 405
CODE=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/metricsx")
expect_eq "/metricsx: 404" "$CODE" 404

# ---- /healthz during shutdown ----
# One connection asks /healthz; another sends a slow update (the dummy
# takes 3 s), so the drain has something to wait for; SIGTERM; then the
# first connection, opened before the stop, asks again.
"$PY" - "$E2E_HTTP_PORT" "$PID" "$KA" >"$E2E_DIR/healthz.out" 2>&1 <<'EOF'
import http.client, os, signal, sys, time
port, pid, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
hz = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
up = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
up.request("POST", "/dynamicdns/update/slow.example.com/", body="key=%s&ip=192.0.2.77" % key,
           headers={"Content-Type": "application/x-www-form-urlencoded"})
# Answered after the POST was read: the update is with the provider now.
hz.request("GET", "/healthz"); r = hz.getresponse(); r.read()
print("before", r.status)
os.kill(pid, signal.SIGTERM)
status, body = None, b""
for _ in range(100):            # the drain starts on the loop's next turn
    hz.request("GET", "/healthz"); r = hz.getresponse(); body = r.read()
    status = r.status
    if status != 200:
        break
    time.sleep(0.02)
print("after", status, body.decode().strip())
r = up.getresponse()
print("in-flight update", r.status)
EOF
check "/healthz before stop: 200" grep -qx 'before 200' "$E2E_DIR/healthz.out"
check "/healthz while stopping: 503" grep -qx 'after 503 shutting down' "$E2E_DIR/healthz.out"
check "the update in flight at SIGTERM completes" grep -qx 'in-flight update 200' \
	"$E2E_DIR/healthz.out"
rc=0
wait "$PID" || rc=$?
E2E_DDNSD_PID=
expect_eq "ddnsd exits 0" "$rc" 0

# ---- a plain user with CAP_NET_BIND_SERVICE, as under systemd ----
if [ "$AS_ROOT" = 1 ] && command -v setpriv >/dev/null; then
	LOW=$("$PY" -c 'import socket
for p in range(980, 600, -1):
    try:
        s = socket.socket(); s.bind(("127.0.0.1", p)); s.close(); print(p); break
    except OSError: pass')
	E2E_HTTP_PORT=$LOW
	BASE=http://127.0.0.1:$LOW
	rm -f "$STATE"/ddns.sqlite*
	# nobody runs the program itself now: give it a copy of ddnsd and the
	# plugins it can read (the build tree may be private to root, as CI's is).
	capdir=$E2E_DIR/cap
	mkdir -p "$capdir/plugins"
	cp "$DDNSD" "$capdir/ddnsd"
	cp "$DDNS_TEST_PLUGIN_DIR"/*.so "$capdir/plugins/"
	chmod -R a+rX "$capdir"
	DDNS_TEST_PLUGIN_DIR=$capdir/plugins
	write_conf 'user = "nobody";'
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps +net_bind_service --ambient-caps +net_bind_service \
		"$capdir/ddnsd" -c "$CONF" >"$E2E_DIR/ddnsd.log" 2>&1 &
	E2E_DDNSD_PID=$!
	check "capability: serves on port $LOW" e2e_wait_port "$LOW"
	CODE=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")
	expect_eq "capability: /healthz" "$CODE" 200
	update a.example.com "$KA" 192.0.2.5
	expect_eq "capability: an update" "$CODE" 200
	expect_eq "capability: Uid" "$(proc_status "$E2E_DDNSD_PID" Uid)" "65534 65534 65534 65534"
	check "capability: logged" grep -q 'nothing to drop (holding CAP_NET_BIND_SERVICE)' \
		"$E2E_DIR/ddnsd.log"
	check "capability: ddnsd exits 0" e2e_stop_ddnsd
fi

e2e_finish
