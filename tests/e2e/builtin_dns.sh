#!/bin/bash
# builtin_dns end to end: the real ddnsd serving a zone, asked by dig and
# kdig over UDP and TCP, IPv4 and IPv6: every answer kind of issue 4, the
# LAN answer, an update visible at once, EDNS sizes and truncation, and a
# burst of garbage after which the server still answers.
. "$top_srcdir/tests/lib/e2e.sh"

e2e_init
# A port free for UDP and TCP on every address (the wildcard listener
# needs 0.0.0.0 and [::]); tried again when the TCP half is taken.
dns_free_port() {
	python3 "$top_srcdir/tests/lib/free_port.py" --udp --host 0.0.0.0
}
E2E_HTTP_PORT=$(e2e_free_port)
DNS_PORT=$(dns_free_port)
WILD_PORT=$(dns_free_port)
while [ "$WILD_PORT" = "$DNS_PORT" ]; do WILD_PORT=$(dns_free_port); done
GLUE_PORT=$(dns_free_port)
while [ "$GLUE_PORT" = "$DNS_PORT" ] || [ "$GLUE_PORT" = "$WILD_PORT" ]; do GLUE_PORT=$(dns_free_port); done
FAIR_PORT=$(dns_free_port)
while [ "$FAIR_PORT" = "$DNS_PORT" ] || [ "$FAIR_PORT" = "$WILD_PORT" ] ||
      [ "$FAIR_PORT" = "$GLUE_PORT" ]; do FAIR_PORT=$(dns_free_port); done
BASE=http://127.0.0.1:$E2E_HTTP_PORT
CONF=$E2E_DIR/ddns.conf
KA=KeyForAaaaaaaaaaaaaaaaaaaaaaaaaaa1
KH=KeyForHomeeeeeeeeeeeeeeeeeeeeeee2
KW=KeyForAwayyyyyyyyyyyyyyyyyyyyyyy3

HAVE_V6=0
if python3 -c 'import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", '"$DNS_PORT"'))' 2>/dev/null; then
	HAVE_V6=1
fi
LISTEN="\"127.0.0.1:$DNS_PORT\""
[ "$HAVE_V6" = 1 ] && LISTEN="$LISTEN, \"[::1]:$DNS_PORT\""
WILD="\"0.0.0.0:$WILD_PORT\""
[ "$HAVE_V6" = 1 ] && WILD="$WILD, \"[::]:$WILD_PORT\""

# Thirty long NS names outside the zone make the NS answer ~2 kB: more than
# a UDP answer may carry, so it is truncated over UDP and whole over TCP.
NS="\"ns1.example.com=127.0.0.1,127.0.0.2,::1\""
for i in $(seq -w 1 30); do
	NS="$NS, \"ns-$i-with-a-long-label-that-will-not-compress.example.net\""
done

# Forty in-zone NS names, one glue address each: how much glue fits in a
# 1232-byte answer depends on the glue owners being compressed.
GLUE_NS="\"ns-01.glue.test=192.0.2.1\""
for i in $(seq -w 2 40); do
	GLUE_NS="$GLUE_NS, \"ns-$i.glue.test=192.0.2.$((10#$i))\""
done

cat >"$CONF" <<EOF
http = { listen = [ "127.0.0.1:$E2E_HTTP_PORT" ]; };
database = "$E2E_DIR/ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
log_level = "debug";
auth_fail_delay_ms = 100;
providers = {
  home = { plugin = "builtin_dns"; listen = [ $LISTEN ];
           zone = [ "example.com", "dyn.example.org" ]; ttl = 1;
           ns = [ $NS ]; soa_contact = "hostmaster@example.com"; };
  wild = { plugin = "builtin_dns"; listen = [ $WILD ]; zone = "wild.test";
           tcp_clients = 2; tcp_idle_timeout_ms = 2000; udp_threads = 0; };
  glue = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$GLUE_PORT" ]; zone = "glue.test";
           ns = [ $GLUE_NS ]; };
  fair = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$FAIR_PORT" ]; zone = "fair.test";
           tcp_max_per_source = 16; tcp_query_timeout_ms = 1500; udp_threads = 0;
           rrl_rate = 20; rrl_slip = 2; rrl_exempt = [ "127.0.0.3/32" ]; };
};
records = (
  { domain = "a.example.com"; provider = "home"; key_hash = "$(e2e_key_hash $KA)";
    lan_ip = "192.168.1.100"; },
  { domain = "home.example.com"; provider = "home"; key_hash = "$(e2e_key_hash $KH)";
    lan_ip = "192.168.1.10"; lan_ipv6 = "fd00::10"; },
  { domain = "away.example.com"; provider = "home"; key_hash = "$(e2e_key_hash $KW)";
    lan_ip = "192.168.1.20"; },
  { domain = "x.y.dyn.example.org"; provider = "home"; key_hash = "$(e2e_key_hash $KW)"; },
  { domain = "stray.example.net"; provider = "home"; key_hash = "$(e2e_key_hash $KW)"; },
  { domain = "ns1.example.com"; provider = "home"; key_hash = "$(e2e_key_hash $KW)"; },
  { domain = "w.wild.test"; provider = "wild"; key_hash = "$(e2e_key_hash $KW)"; },
  { domain = "f.fair.test"; provider = "fair"; key_hash = "$(e2e_key_hash $KW)"; }
);
EOF

e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }

# update NAME KEY IP: the seed's API; prints the HTTP status.
update() {
	curl -sS -o "$E2E_DIR/body" -w '%{http_code}' \
		"$BASE/dynamicdns/update/$1/" --data "key=$2&ip=$3"
}
# q SERVER ARGS...: dig without recursion, one try.
q() {
	local server=$1
	shift
	dig @"$server" -p "$DNS_PORT" +norec +time=3 +tries=2 "$@"
}
status() { q "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
flags() { q "$@" | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p'; }
short() { q "$@" +short | tr '\n' ' ' | sed 's/ $//'; }
serial() { q 127.0.0.1 example.com SOA +short | awk '{print $3}'; }

expect_eq "update a.example.com to 127.0.0.1" "$(update a.example.com $KA 127.0.0.1)" 200
expect_eq "update home.example.com to 127.0.0.1" "$(update home.example.com $KH 127.0.0.1)" 200
expect_eq "update away.example.com to 203.0.113.5" "$(update away.example.com $KW 203.0.113.5)" 200
expect_eq "update home.example.com AAAA ::1" "$(update home.example.com $KH ::1)" 200
expect_eq "update away.example.com AAAA" "$(update away.example.com $KW 2001:db8::5)" 200
expect_eq "update x.y.dyn.example.org" "$(update x.y.dyn.example.org $KW 198.51.100.1)" 200

# --- the seed's walkthrough ----------------------------------------------------
OUT=$(dig @127.0.0.1 -p "$DNS_PORT" a.example.com.)
check "seed walkthrough: NOERROR" grep -q 'status: NOERROR' <<<"$OUT"
check "seed walkthrough: ANSWER SECTION with the LAN address" \
	grep -Eq '^a\.example\.com\.[[:space:]]+1[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.168\.1\.100$' <<<"$OUT"
check "seed walkthrough: EDNS udp 1232" grep -q 'udp: 1232' <<<"$OUT"

# --- LAN and WAN answers --------------------------------------------------------
for proto in +notcp +tcp; do
	expect_eq "LAN A from the record's WAN address ($proto)" \
		"$(short 127.0.0.1 home.example.com A $proto)" 192.168.1.10
	expect_eq "WAN A for a record whose WAN is elsewhere ($proto)" \
		"$(short 127.0.0.1 away.example.com A $proto)" 203.0.113.5
	expect_eq "WAN AAAA (no LAN v6) ($proto)" \
		"$(short 127.0.0.1 away.example.com AAAA $proto)" 2001:db8::5
	expect_eq "LAN AAAA from the record's IPv4 WAN ($proto)" \
		"$(short 127.0.0.1 home.example.com AAAA $proto)" fd00::10
done
if [ "$HAVE_V6" = 1 ]; then
	for proto in +notcp +tcp; do
		expect_eq "IPv6: LAN A from the record's IPv6 WAN ::1 ($proto)" \
			"$(short ::1 home.example.com A $proto)" 192.168.1.10
		expect_eq "IPv6: LAN AAAA ($proto)" "$(short ::1 home.example.com AAAA $proto)" fd00::10
		expect_eq "IPv6: WAN A ($proto)" "$(short ::1 away.example.com A $proto)" 203.0.113.5
		expect_eq "IPv6: NXDOMAIN ($proto)" "$(status ::1 nope.example.com A $proto)" NXDOMAIN
	done
	check "kdig -6 TCP: AA flag and answer" \
		bash -c "kdig @::1 -p $DNS_PORT +tcp away.example.com A | grep -q 'Flags: qr aa'"
else
	echo "# no IPv6 on loopback: IPv6 checks skipped"
fi

# --- wildcard addresses: the reply leaves from the address asked -----------
expect_eq "update w.wild.test" "$(update w.wild.test $KW 198.51.100.7)" 200
expect_eq "update f.fair.test" "$(update f.fair.test $KW 198.51.100.9)" 200
for server in 127.0.0.1 127.0.0.2; do
	expect_eq "0.0.0.0 listener asked at $server (UDP)" \
		"$(dig @$server -p "$WILD_PORT" +norec +time=3 +tries=2 +short w.wild.test A)" 198.51.100.7
done
expect_eq "0.0.0.0 listener over TCP" \
	"$(dig @127.0.0.2 -p "$WILD_PORT" +norec +tcp +time=3 +short w.wild.test A)" 198.51.100.7
if [ "$HAVE_V6" = 1 ]; then
	expect_eq "[::] listener asked at ::1" \
		"$(dig @::1 -p "$WILD_PORT" +norec +time=3 +tries=2 +short w.wild.test A)" 198.51.100.7
fi
expect_eq "one instance does not answer for another's zone" \
	"$(dig @127.0.0.1 -p "$WILD_PORT" +norec +time=3 +short example.com SOA; \
	   dig @127.0.0.1 -p "$WILD_PORT" +norec +time=3 example.com SOA | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')" REFUSED

# --- answer kinds --------------------------------------------------------------
for proto in +notcp +tcp; do
	check "AA flag ($proto)" grep -qw aa <<<"$(flags 127.0.0.1 away.example.com A $proto)"
	OUT=$(q 127.0.0.1 away.example.com A $proto +noall +answer)
	check "TTL 1 ($proto)" grep -Eq '^away\.example\.com\.[[:space:]]+1[[:space:]]+IN' <<<"$OUT"
	OUT=$(q 127.0.0.1 nope.example.com A $proto)
	check "NXDOMAIN ($proto)" grep -q 'status: NXDOMAIN' <<<"$OUT"
	check "NXDOMAIN: SOA in authority ($proto)" \
		grep -Eq '^example\.com\..*IN[[:space:]]+SOA' <<<"$(q 127.0.0.1 nope.example.com A $proto +noall +authority)"
	check "NXDOMAIN: AA ($proto)" grep -qw aa <<<"$(flags 127.0.0.1 nope.example.com A $proto)"
	OUT=$(q 127.0.0.1 y.dyn.example.org A $proto)
	check "empty non-terminal: NOERROR ($proto)" grep -q 'status: NOERROR' <<<"$OUT"
	check "empty non-terminal: no answer ($proto)" grep -q 'ANSWER: 0,' <<<"$OUT"
	check "empty non-terminal: SOA of dyn.example.org ($proto)" \
		grep -Eq '^dyn\.example\.org\..*SOA' <<<"$(q 127.0.0.1 y.dyn.example.org A $proto +noall +authority)"
	OUT=$(q 127.0.0.1 away.example.com MX $proto)
	check "other type: NOERROR ($proto)" grep -q 'status: NOERROR' <<<"$OUT"
	check "other type: no answer, SOA ($proto)" grep -q 'ANSWER: 0, AUTHORITY: 1' <<<"$OUT"
	OUT=$(q 127.0.0.1 example.com SOA $proto +noall +answer)
	check "SOA at the apex ($proto)" \
		grep -Eq '^example\.com\..*SOA[[:space:]]+ns1\.example\.com\. hostmaster\.example\.com\. [0-9]+' <<<"$OUT"
	expect_eq "REFUSED outside the zones ($proto)" "$(status 127.0.0.1 example.net A $proto)" REFUSED
	check "REFUSED: no AA ($proto)" bash -c "! grep -qw aa <<<'$(flags 127.0.0.1 example.net A $proto)'"
	expect_eq "class CH: REFUSED ($proto)" "$(status 127.0.0.1 version.bind TXT CH $proto)" REFUSED
	expect_eq "NOTIMP for NOTIFY ($proto)" "$(status 127.0.0.1 example.com SOA +opcode=notify $proto)" NOTIMP
	expect_eq "BADVERS for EDNS version 1 ($proto)" \
		"$(status 127.0.0.1 away.example.com A +edns=1 +noednsnegotiation $proto)" BADVERS
	OUT=$(q 127.0.0.1 away.example.com ANY $proto +noall +answer)
	expect_eq "ANY: one RRset, the A (RFC 8482) ($proto)" "$(awk '{print $4}' <<<"$OUT" | sort -u | tr '\n' ' ')" "A "
	OUT=$(q 127.0.0.1 AwAy.ExAmPlE.cOm A $proto +noall +answer)
	check "query name case kept ($proto)" grep -q '^AwAy\.ExAmPlE\.cOm\.' <<<"$OUT"
done
OUT=$(dig @127.0.0.1 -p "$GLUE_PORT" +norec +time=3 +tries=2 +ignore +bufsize=1232 glue.test NS)
GLUE_N=$(grep -Ec '^ns-[0-9]+\.glue\.test\..*[[:space:]]A[[:space:]]+192\.0\.2\.[0-9]+$' <<<"$OUT")
echo "# glue A records in a 1232-byte answer: $GLUE_N of 40"
check "glue owners compressed: at least 19 of 40 glue A in 1232 bytes ($GLUE_N)" test "$GLUE_N" -ge 19
check "...within 1232 bytes, not truncated (glue never sets TC)" \
	bash -c "test \$(sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<'$OUT') -le 1232 && ! grep -Eq '^;; flags:.* tc' <<<'$OUT'"
OUT=$(kdig @127.0.0.1 -p "$GLUE_PORT" +tcp glue.test NS)
check "glue over TCP: all 40, each owner its NS name" \
	test "$(grep -Ec '^ns-([0-9]+)\.glue\.test\..*[[:space:]]A[[:space:]]+192\.0\.2\.[0-9]+$' <<<"$OUT")" -eq 40
check "glue over TCP: ns-07 has 192.0.2.7" grep -Eq '^ns-07\.glue\.test\..*[[:space:]]A[[:space:]]+192\.0\.2\.7$' <<<"$OUT"
# RFC 1995 §3: kdig puts its SOA in the authority section of an IXFR.
OUT=$(kdig @127.0.0.1 -p "$DNS_PORT" +tcp IXFR=1 example.com 2>&1)
check "IXFR with the client's SOA in authority: REFUSED, not FORMERR" grep -q "replied with error 'REFUSED'" <<<"$OUT"
OUT=$(kdig @127.0.0.1 -p "$DNS_PORT" +notcp IXFR=1 example.com 2>&1)
check "IXFR over UDP: REFUSED" grep -q "replied with error 'REFUSED'" <<<"$OUT"
# RFC 3225 §3: the DO bit comes back in the response's OPT.
for proto in +notcp +tcp; do
	check "DO bit copied into the response OPT ($proto)" \
		grep -q '; EDNS: version: 0, flags: do;' <<<"$(q 127.0.0.1 away.example.com A +dnssec $proto)"
	check "no DO in the query: none in the response ($proto)" \
		grep -q '; EDNS: version: 0, flags:;' <<<"$(q 127.0.0.1 away.example.com A $proto)"
done
OUT=$(kdig @127.0.0.1 -p "$DNS_PORT" +tcp example.com NS)
check "NS at the apex over TCP: all 31 names" test "$(grep -Ec '[[:space:]]NS[[:space:]]+[a-z0-9-]+\.example\.(com|net)\.$' <<<"$OUT")" -eq 31
check "NS at the apex: glue A and AAAA for ns1" \
	bash -c "grep -Eq '^ns1\.example\.com\..*A[[:space:]]+127\.0\.0\.1' <<<'$OUT' && grep -Eq '^ns1\.example\.com\..*AAAA[[:space:]]+::1' <<<'$OUT'"
check "NS at the apex: AA" grep -q 'Flags: qr aa' <<<"$OUT"
check "NS at the apex: both glue A of ns1 (several addresses per family)" \
	test "$(grep -Ec '^ns1\.example\.com\..*[[:space:]]A[[:space:]]+127\.0\.0\.[12]$' <<<"$OUT")" -eq 2
for proto in +notcp +tcp; do
	expect_eq "A of an NS name: every glue address ($proto)" \
		"$(q 127.0.0.1 ns1.example.com A $proto +short | sort | tr '\n' ' ')" "127.0.0.1 127.0.0.2 "
done
# A record named like an in-zone NS name: the glue wins, the record is
# logged naming both, and an update to it is refused.
check "a record shadowing glue is logged with its ns item" \
	grep -q 'ns1.example.com: the record has the name of ns "ns1.example.com=127.0.0.1,127.0.0.2,::1"' "$E2E_DIR/ddnsd.log"
check "an update of the glue's name is refused" \
	test "$(update ns1.example.com $KW 198.51.100.53)" != 200
expect_eq "...and the glue is still served" \
	"$(q 127.0.0.1 ns1.example.com A +short | sort | tr '\n' ' ')" "127.0.0.1 127.0.0.2 "

# --- EDNS sizes and truncation ------------------------------------------------
OUT=$(q 127.0.0.1 example.com NS +ignore +noedns)
check "no EDNS: NS answer truncated (tc)" grep -Eq '^;; flags: qr aa tc' <<<"$OUT"
check "no EDNS: response within 512 bytes" \
	test "$(sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<"$OUT")" -le 512
check "no EDNS: no OPT" bash -c "! grep -q 'OPT PSEUDOSECTION' <<<'$OUT'"
OUT=$(q 127.0.0.1 example.com NS +ignore +bufsize=4096)
check "EDNS 4096: still truncated at our 1232" grep -Eq '^;; flags: qr aa tc' <<<"$OUT"
check "EDNS: OPT with udp 1232" grep -q 'udp: 1232' <<<"$OUT"
check "EDNS 4096: response within 1232 bytes" \
	test "$(sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<"$OUT")" -le 1232
OUT=$(q 127.0.0.1 example.com NS)
check "dig retries over TCP after TC: full answer" grep -q 'ANSWER: 31,' <<<"$OUT"
OUT=$(q 127.0.0.1 away.example.com A +bufsize=512)
check "small answer with EDNS 512: not truncated" bash -c "! grep -Eq '^;; flags:.* tc' <<<'$OUT'"
OUT=$(kdig @127.0.0.1 -p "$DNS_PORT" +notcp +bufsize=1232 example.com NS +ignore)
check "kdig UDP 1232: TC" grep -q 'Flags: qr aa tc' <<<"$OUT"

# --- an update is visible at once --------------------------------------------
S0=$(serial)
expect_eq "update away.example.com to 198.51.100.99" "$(update away.example.com $KW 198.51.100.99)" 200
expect_eq "dig right after the 200 shows the new address" \
	"$(short 127.0.0.1 away.example.com A)" 198.51.100.99
expect_eq "kdig over TCP too" \
	"$(kdig @127.0.0.1 -p "$DNS_PORT" +tcp +short away.example.com A)" 198.51.100.99
S1=$(serial)
check "SOA serial rose ($S0 -> $S1)" test "$S1" -gt "$S0"
expect_eq "same address again: 200" "$(update away.example.com $KW 198.51.100.99)" 200
expect_eq "unchanged address: serial unchanged" "$(serial)" "$S1"
check "a record outside the zones is logged by name" grep -q 'stray.example.net.*outside' "$E2E_DIR/ddnsd.log"

# --- packets that get no answer, or FORMERR ---------------------------------
cat >"$E2E_DIR/raw.py" <<'EOF'
import os, random, socket, struct, sys, time
port, family, host = int(sys.argv[1]), sys.argv[2], sys.argv[3]
af = socket.AF_INET6 if family == "6" else socket.AF_INET

def query(name, qtype=1, qdcount=1, flags=0x0100, qid=0x4242):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, flags, qdcount, 0, 0, 0) + q + struct.pack(">HH", qtype, 1)

def udp(pkt, timeout=1.0):
    s = socket.socket(af, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(pkt, (host, port))
    try:
        return s.recv(65535)
    except socket.timeout:
        return None
    finally:
        s.close()

def rcode(r):
    return None if r is None else r[3] & 0xf

def tcp_query(s, name):
    q = query(name)
    s.sendall(struct.pack(">H", len(q)) + q)
    hdr = s.recv(2)
    if len(hdr) < 2:
        return None
    want, data = struct.unpack(">H", hdr)[0], b""
    while len(data) < want:
        chunk = s.recv(want - len(data))
        if not chunk:
            return None
        data += chunk
    return data

mode = sys.argv[4]
if mode == "tcplimit":    # past tcp_clients: closed without an answer
    idle = [socket.create_connection((host, port)) for _ in range(2)]
    time.sleep(0.3)
    c = socket.create_connection((host, port))
    c.settimeout(3)
    try:
        r = tcp_query(c, "w.wild.test")
    except (ConnectionResetError, BrokenPipeError):
        r = None
    print("closed" if r is None else "answered")
elif mode == "tcpidle":   # silent: closed after tcp_idle_timeout_ms
    s = socket.create_connection((host, port))
    s.settimeout(10)
    r = tcp_query(s, "w.wild.test")   # one answer, then silence
    t0 = time.time()
    try:
        gone = s.recv(100) == b""
    except ConnectionResetError:
        gone = True
    print("closed" if r is not None and gone and time.time() - t0 < 8 else "open")
elif mode == "slowloris":  # 128 trickling connections, then a query from 127.0.0.2
    import subprocess
    conns, refused = [], 0
    for i in range(128):
        t = socket.create_connection((host, port))
        conns.append(t)
    time.sleep(0.3)
    def gone(t):              # closed by the server: EOF or reset, now
        t.setblocking(False)
        try:
            return t.recv(1) == b""
        except BlockingIOError:
            return False
        except ConnectionResetError:
            return True
    # Each sends a byte every 0.4 s: never idle, never a whole query (half
    # trickle a 257-byte frame, half empty frames, which answer nothing).
    t0 = time.time()
    live = list(conns)
    open_early = None
    while time.time() - t0 < 3.5:
        for i, t in enumerate(live):
            try:
                t.send(b"\x01" if i % 2 else b"\x00")
            except OSError:
                pass
        time.sleep(0.4)
        if open_early is None:
            open_early = sum(1 for t in live if not gone(t))
            # Meanwhile another source is served over TCP.
            out = subprocess.run(["dig", "-b", "127.0.0.2", "@127.0.0.1", "-p", str(port),
                                  "+tcp", "+norec", "+time=2", "+tries=1", "+short",
                                  "f.fair.test", "A"], capture_output=True, text=True)
            answer = out.stdout.strip() or "none"
    still = sum(1 for t in live if not gone(t))
    print(open_early, answer, still)
elif mode == "rrl":        # a UDP flood from sys.argv[5]: counts of full and TC replies
    src = sys.argv[5]
    n = int(sys.argv[6])
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((src, 0))
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    q = query("f.fair.test")
    full = tc = bad = 0
    def collect(wait):
        global full, tc, bad
        u.settimeout(wait)
        while True:
            try:
                r = u.recv(4096)
            except socket.timeout:
                return
            if r[2] & 0x02:                     # TC: header and question only
                tc += 1
                if struct.unpack(">HHH", r[6:12]) != (0, 0, 0):
                    bad += 1
            else:
                full += 1
    for i in range(n):
        u.sendto(q, (host, port))
        if i % 50 == 49:
            collect(0.005)                     # pace a little: the server's buffer
    collect(1.0)
    print(full, tc, bad)
elif mode == "qr":          # a response: dropped
    print("none" if udp(query("away.example.com", flags=0x8100)) is None else "answered")
elif mode == "qd2":       # two questions: FORMERR
    q = query("away.example.com", qdcount=2)
    print(rcode(udp(q + q[12:])))
elif mode == "trunc":     # a question cut short: FORMERR
    print(rcode(udp(query("away.example.com")[:20])))
elif mode == "burst":     # garbage, truncated and odd packets, UDP and TCP
    rnd = random.Random(7)
    base = query("away.example.com")
    s = socket.socket(af, socket.SOCK_DGRAM)
    for i in range(3000):
        kind = i % 4
        if kind == 0:
            pkt = os.urandom(rnd.randrange(0, 600))
        elif kind == 1:
            pkt = base[:rnd.randrange(0, len(base))]
        elif kind == 2:
            b = bytearray(base)
            for _ in range(4):
                b[rnd.randrange(len(b))] = rnd.randrange(256)
            pkt = bytes(b)
        else:
            pkt = base + os.urandom(rnd.randrange(1, 64))
        try:
            s.sendto(pkt, (host, port))
        except OSError:
            pass
    s.close()
    for i in range(50):
        t = socket.socket(af, socket.SOCK_STREAM)
        t.settimeout(2)
        t.connect((host, port))
        if i % 3 == 0:
            t.sendall(struct.pack(">H", 300) + os.urandom(100))   # frame cut short
        elif i % 3 == 1:
            g = os.urandom(rnd.randrange(1, 200))
            t.sendall(struct.pack(">H", len(g)) + g)              # garbage frame
        else:
            t.sendall(os.urandom(1))                              # half a length
        t.close()
    print("sent")
EOF
raw() { python3 "$E2E_DIR/raw.py" "$DNS_PORT" "$@"; }
expect_eq "QR set: no reply" "$(raw 4 127.0.0.1 qr)" none
WILD_RAW() { python3 "$E2E_DIR/raw.py" "$WILD_PORT" "$@"; }
expect_eq "TCP: past tcp_clients a connection is closed" "$(WILD_RAW 4 127.0.0.1 tcplimit)" closed
expect_eq "TCP: a silent connection is closed after its idle timeout" \
	"$(WILD_RAW 4 127.0.0.1 tcpidle)" closed
expect_eq "TCP: served again once connections are gone" \
	"$(dig @127.0.0.1 -p "$WILD_PORT" +norec +tcp +time=3 +short w.wild.test A)" 198.51.100.7
# TCP fairness: 128 connections from 127.0.0.1 trickling a byte each 0.4 s
# (never idle).  Only 16 stay open (tcp_max_per_source); a TCP query from
# 127.0.0.2 meanwhile is answered; after tcp_query_timeout_ms (1.5 s)
# without a whole query, the 16 are closed too.
expect_eq "TCP fairness: 16 held, another source answered, tricklers closed" \
	"$(python3 "$E2E_DIR/raw.py" "$FAIR_PORT" 4 127.0.0.1 slowloris)" "16 198.51.100.9 0"
check "TCP fairness: the limits are logged" \
	grep -q "tcp_max_per_source connections: refusing more" "$E2E_DIR/ddnsd.log"
# Response rate limiting (rrl_rate 20, rrl_slip 2): a flood of 2000 from
# 127.0.0.1 gets about 20 full answers (plus what a second refills), and
# half the rest truncated (TC=1, no records), the others dropped.
read -r RRL_FULL RRL_TC RRL_BAD <<<"$(python3 "$E2E_DIR/raw.py" "$FAIR_PORT" 4 127.0.0.1 rrl 127.0.0.1 2000)"
check "RRL: few full answers to a flood ($RRL_FULL of 2000)" test "$RRL_FULL" -ge 15 -a "$RRL_FULL" -le 100
check "RRL: slipped ones carry TC=1 ($RRL_TC), about half the rest" test "$RRL_TC" -ge 300 -a "$RRL_TC" -le 1100
expect_eq "RRL: a slipped response has no records" "$RRL_BAD" 0
expect_eq "RRL: another source is answered meanwhile" \
	"$(dig -b 127.0.0.2 @127.0.0.1 -p "$FAIR_PORT" +norec +time=2 +tries=1 +short f.fair.test A)" 198.51.100.9
expect_eq "RRL: rrl_exempt is never limited (200 of 200 answered whole)" \
	"$(python3 "$E2E_DIR/raw.py" "$FAIR_PORT" 4 127.0.0.1 rrl 127.0.0.3 200)" "200 0 0"
# The limits in /metrics, per instance (host->metric_counter): what was
# refused, dropped and truncated above; nothing on the instance without RRL.
curl -s "$BASE/metrics" >"$E2E_DIR/metrics"
metric() { awk -v k="ddns_$1{provider=\"$2\"}" '$1 == k { print $2 }' "$E2E_DIR/metrics"; }
check "metrics: RRL drops of fair counted ($(metric dns_rrl_dropped_total fair))" \
	test "$(metric dns_rrl_dropped_total fair)" -ge 300
check "metrics: RRL slips of fair at least the TC=1 replies seen ($(metric dns_rrl_slipped_total fair) >= $RRL_TC)" \
	test "$(metric dns_rrl_slipped_total fair)" -ge "$RRL_TC"
check "metrics: TCP connections refused past tcp_max_per_source ($(metric dns_tcp_refused_total fair))" \
	test "$(metric dns_tcp_refused_total fair)" -ge 100
check "metrics: TCP connections closed past tcp_query_timeout_ms ($(metric dns_tcp_timeouts_total fair))" \
	test "$(metric dns_tcp_timeouts_total fair)" -ge 16
expect_eq "metrics: no RRL drops on home (no rrl_rate)" "$(metric dns_rrl_dropped_total home)" 0
check "metrics: one HELP line per counter" \
	test "$(grep -c '^# HELP ddns_dns_rrl_dropped_total ' "$E2E_DIR/metrics")" -eq 1
expect_eq "QDCOUNT 2: FORMERR" "$(raw 4 127.0.0.1 qd2)" 1
expect_eq "truncated question: FORMERR" "$(raw 4 127.0.0.1 trunc)" 1
expect_eq "garbage burst over IPv4 sent" "$(raw 4 127.0.0.1 burst)" sent
if [ "$HAVE_V6" = 1 ]; then
	expect_eq "garbage burst over IPv6 sent" "$(raw 6 ::1 burst)" sent
fi
check "ddnsd still running after the burst" kill -0 "$E2E_DDNSD_PID"
expect_eq "after the burst: UDP answer" "$(short 127.0.0.1 away.example.com A)" 198.51.100.99
expect_eq "after the burst: TCP answer" "$(short 127.0.0.1 away.example.com A +tcp)" 198.51.100.99
expect_eq "after the burst: LAN answer" "$(short 127.0.0.1 home.example.com A)" 192.168.1.10

# --- pipelined TCP queries on one connection ----------------------------------
OUT=$(kdig @127.0.0.1 -p "$DNS_PORT" +tcp +keepopen away.example.com A home.example.com A nope.example.com A)
check "three queries on one TCP connection" \
	test "$(grep -c 'status: NOERROR\|status: NXDOMAIN' <<<"$OUT")" -eq 3

# --- records added and removed with ddnsctl ------------------------------------
# wait_for DESC WANT CMD...: poll CMD until it prints WANT (<= 15 s).
wait_for() {
	local desc=$1 want=$2 got= i
	shift 2
	for i in $(seq 1 150); do
		got=$("$@")
		[ "$got" = "$want" ] && break
		sleep 0.1
	done
	expect_eq "$desc" "$got" "$want"
}
if [ -n "${DDNSCTL:-}" ] && [ -x "$DDNSCTL" ]; then
	KN=KeyForNewwwwwwwwwwwwwwwwwwwwwwwww4
	check "ddnsctl add new.example.com" \
		bash -c "printf '%s' '$KN' | '$DDNSCTL' -c '$CONF' add new.example.com -p home -k - --lan-ip 10.9.9.9 >/dev/null"
	wait_for "a record added with ddnsctl exists (NODATA, no address yet)" NOERROR \
		status 127.0.0.1 new.example.com A
	expect_eq "update the new record" "$(update new.example.com $KN 198.51.100.44)" 200
	expect_eq "its address is served at once" "$(short 127.0.0.1 new.example.com A)" 198.51.100.44
	check "ddnsctl rm new.example.com" "$DDNSCTL" -c "$CONF" rm new.example.com
	wait_for "a record removed with ddnsctl is gone (NXDOMAIN)" NXDOMAIN \
		status 127.0.0.1 new.example.com A
else
	echo "# DDNSCTL not set: ddnsctl checks skipped"
fi

# --- a reload with new options: more UDP worker threads, another TTL ---------
# The new instance binds beside the old one (SO_REUSEPORT) and shares its
# TCP listening socket; the reload destroys the old one at once, which
# answers the UDP queries queued on it and hands its open TCP connections
# to the new one: a client keeping its connection across the reload gets
# its next answer from the new instance.  "wild" (UDP on the loop, wildcard
# addresses) changes too.
cat >"$E2E_DIR/hold.py" <<'PYEOF'
import os, socket, struct, sys, time
port, go = int(sys.argv[1]), sys.argv[2]

def ttl(s, qid):
    q = b"\x04away\x07example\x03com\x00"
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack(">HH", 1, 1)
    s.sendall(struct.pack(">H", len(q)) + q)
    data = b""
    while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
        chunk = s.recv(4096)
        if not chunk:
            return "closed"
        data += chunk
    return str(struct.unpack(">I", data[-10:-6])[0])   # the A record's TTL

s = socket.create_connection(("127.0.0.1", port), timeout=10)
print(ttl(s, 1), flush=True)
for _ in range(300):
    if os.path.exists(go):
        break
    time.sleep(0.05)
print(ttl(s, 2), flush=True)
PYEOF
python3 "$E2E_DIR/hold.py" "$DNS_PORT" "$E2E_DIR/go" >"$E2E_DIR/hold.out" 2>&1 &
HOLD=$!
held() { [ -s "$E2E_DIR/hold.out" ]; }
for i in $(seq 1 100); do held && break; sleep 0.05; done
RELOADS_BEFORE=$(grep -c 'ddnsd: reloaded:' "$E2E_DIR/ddnsd.log")
sed -i 's/ttl = 1;/ttl = 30; udp_threads = 2;/; s/udp_threads = 0;/udp_threads = 0; ttl = 5;/' "$CONF"
kill -HUP "$E2E_DDNSD_PID"
ttl_of() { q 127.0.0.1 away.example.com A +noall +answer | awk '{print $2}'; }
wait_for "after SIGHUP the new options serve (TTL 30)" 30 ttl_of
reloaded() { grep -c 'ddnsd: reloaded:' "$E2E_DIR/ddnsd.log"; }
wait_for "the reload is done" $((RELOADS_BEFORE + 1)) reloaded
# Within the reload, not a watch tick later: both before "reloaded:".
expect_eq "the replaced instances handed over within the reload" "$(awk '
	/provider (home|wild): stopped:/ { n++ }
	/ddnsd: reloaded:/ && ++r == '"$((RELOADS_BEFORE + 1))"' { print n + 0 }' "$E2E_DIR/ddnsd.log")" 2
touch "$E2E_DIR/go"
wait "$HOLD"
expect_eq "a TCP connection kept across the reload: answered by the old, then the new instance" \
	"$(tr '\n' ' ' <"$E2E_DIR/hold.out")" "1 30 "
check "...handed over, not closed" grep -q 'provider home: stopped: .* 1 TCP connection(s) handed over' \
	"$E2E_DIR/ddnsd.log"
destroyed() { grep -c 'provider home: destroyed' "$E2E_DIR/ddnsd.log"; }
expect_eq "the replaced instance is destroyed" "$(destroyed)" 1
wild_ttl() { dig @127.0.0.1 -p "$WILD_PORT" +norec +time=3 +tries=1 "$@" w.wild.test A +noall +answer | awk '{print $2}'; }
expect_eq "wild: the new options serve over UDP (TTL 5)" "$(wild_ttl +notcp)" 5
expect_eq "wild: and over TCP" "$(wild_ttl +tcp)" 5
for proto in +notcp +tcp; do
	expect_eq "threads: WAN A kept across the reload ($proto)" \
		"$(short 127.0.0.1 away.example.com A $proto)" 198.51.100.99
	expect_eq "threads: LAN A ($proto)" "$(short 127.0.0.1 home.example.com A $proto)" 192.168.1.10
	expect_eq "threads: NXDOMAIN ($proto)" "$(status 127.0.0.1 nope.example.com A $proto)" NXDOMAIN
done
S2=$(serial)
expect_eq "threads: update" "$(update away.example.com $KW 198.51.100.100)" 200
expect_eq "threads: the update is visible at once" "$(short 127.0.0.1 away.example.com A)" 198.51.100.100
check "threads: SOA serial rose" test "$(serial)" -gt "$S2"
expect_eq "threads: garbage burst sent" "$(raw 4 127.0.0.1 burst)" sent
expect_eq "threads: still answering" "$(short 127.0.0.1 away.example.com A)" 198.51.100.100
if [ "$HAVE_V6" = 1 ]; then
	expect_eq "threads: IPv6 LAN AAAA" "$(short ::1 home.example.com AAAA)" fd00::10
fi

# --- a reload raises only the serial of a zone whose content changed --------
# A record is added to dyn.example.org and wild's options change, so wild
# is a new instance and home re-reads all its records (records_changed):
# example.com is the same as before and keeps its serial.
serial_of() { q 127.0.0.1 "$1" SOA +short | awk '{print $3}'; }
SC0=$(serial)
SD0=$(serial_of dyn.example.org)
RELOADS_BEFORE=$(reloaded)
python3 - "$CONF" "$(e2e_key_hash $KW)" <<'PYEOF'
import sys
path, key = sys.argv[1], sys.argv[2]
s = open(path).read()
s = s.replace("udp_threads = 0; ttl = 5;", "udp_threads = 0; ttl = 6;")
s = s.replace('  { domain = "x.y.dyn.example.org";',
              '  { domain = "new2.dyn.example.org"; provider = "home"; key_hash = "%s"; },\n'
              '  { domain = "x.y.dyn.example.org";' % key)
open(path, "w").write(s)
PYEOF
kill -HUP "$E2E_DDNSD_PID"
wait_for "the reload with a new record is done" $((RELOADS_BEFORE + 1)) reloaded
wait_for "the new record is served (NODATA, no address yet)" NOERROR \
	status 127.0.0.1 new2.dyn.example.org A
expect_eq "wild: new options (TTL 6)" "$(wild_ttl +notcp)" 6
expect_eq "reload: example.com unchanged, its serial too" "$(serial)" "$SC0"
check "reload: dyn.example.org changed, its serial rose ($SD0 -> $(serial_of dyn.example.org))" \
	test "$(serial_of dyn.example.org)" -gt "$SD0"

check "ddnsd stops cleanly" e2e_stop_ddnsd
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$E2E_DIR/ddnsd.log'"
e2e_finish
