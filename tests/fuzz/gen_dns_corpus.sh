#!/bin/sh
# Regenerate tests/fuzz/corpus/dns_query/: real queries from dig and kdig,
# caught by a small UDP listener, each prefixed with the harness's flags byte
# (see fuzz_dns_query.c).  Needs python3, dig and kdig.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$here/corpus/dns_query
mkdir -p "$dir"
port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$port" "$dir" <<'PY' &
import socket, sys, hashlib
port, out = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(5)
n = 0
try:
    while True:
        pkt, _ = s.recvfrom(65535)
        for flags in (0, 1, 2, 6):
            data = bytes([flags]) + pkt
            name = hashlib.sha1(data).hexdigest()[:16]
            open(f"{out}/{name}", "wb").write(data)
        n += 1
except socket.timeout:
    pass
PY
sleep 0.5
d() { dig @127.0.0.1 -p "$port" +time=1 +tries=1 "$@" >/dev/null 2>&1 || true; }
k() { kdig @127.0.0.1 -p "$port" +time=1 +retry=0 "$@" >/dev/null 2>&1 || true; }
d a.example.com A
d A.ExAmPlE.cOm AAAA +noedns
d example.com NS +bufsize=4096
d example.com SOA +nsid +cookie
d example.com ANY
d y.example.com MX +edns=1 +noednsnegotiation
d version.bind TXT CH
d example.com SOA +opcode=notify
d example.com AXFR +notcp
k a.example.com A +nsid
k v6.dyn.example.org AAAA +subnet=192.0.2.0/24 +padding
k nope.example.com TXT +dnssec
wait
echo "corpus: $(ls "$dir" | wc -l) files in $dir"
