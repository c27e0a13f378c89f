#!/usr/bin/env python3
"""Latency probe for tests/bench/store.sh (a benchmark helper, not a test).

  probe.py HTTP_PORT DNS_PORT NAME KEY SECONDS

For SECONDS, while something else loads ddnsd, measures every 20 ms:
GET /healthz (a new connection each time), a DNS query for NAME over UDP
and one over TCP (new connection); and every 2.5 s the duration of an
update with a wrong KEY (ddnsd answers 403 after auth_fail_delay_ms).
Prints one line per kind: count, failures, p50, p99, max in ms.  A
DNS_PORT of 0 leaves DNS out (no DNS server to ask).
"""
import http.client
import socket
import struct
import sys
import threading
import time

port, dns_port, name, key, seconds = (int(sys.argv[1]), int(sys.argv[2]),
                                      sys.argv[3], sys.argv[4], float(sys.argv[5]))
TIMEOUT = 30.0


def query(qid):
    q = struct.pack(">HHHHHH", qid, 0x0000, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)


def dns_udp(qid):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    try:
        s.sendto(query(qid), ("127.0.0.1", dns_port))
        data = s.recv(4096)
        return data[:2] == struct.pack(">H", qid)
    finally:
        s.close()


def dns_tcp(qid):
    s = socket.create_connection(("127.0.0.1", dns_port), timeout=TIMEOUT)
    try:
        q = query(qid)
        s.sendall(struct.pack(">H", len(q)) + q)
        n = struct.unpack(">H", s.recv(2))[0]
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk:
                return False
            data += chunk
        return data[:2] == struct.pack(">H", qid)
    finally:
        s.close()


def healthz(_):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        c.request("GET", "/healthz")
        r = c.getresponse()
        r.read()
        return r.status == 200
    finally:
        c.close()


def wrong_key(_):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        c.request("POST", "/dynamicdns/update/%s/" % name, body="key=" + key,
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        return r.status == 403
    finally:
        c.close()


results = {}
stop = time.monotonic() + seconds


def run(kind, fn, every):
    lat, bad, qid = [], 0, 0
    while time.monotonic() < stop:
        qid = (qid + 1) & 0xFFFF
        t0 = time.monotonic()
        try:
            ok = fn(qid)
        except OSError:
            ok = False
        dt = (time.monotonic() - t0) * 1000
        lat.append(dt)
        bad += not ok
        rest = every - dt / 1000
        if rest > 0:
            time.sleep(rest)
    results[kind] = (lat, bad)


kinds = [("healthz", healthz, 0.02), ("dns_udp", dns_udp, 0.02),
         ("dns_tcp", dns_tcp, 0.02), ("403", wrong_key, 2.5)]
if dns_port == 0:
    kinds = [k for k in kinds if not k[0].startswith("dns")]
threads = [threading.Thread(target=run, args=k) for k in kinds]
for t in threads:
    t.start()
for t in threads:
    t.join()
for kind, _, _ in kinds:
    lat, bad = results[kind]
    lat.sort()
    if not lat:
        print("%-8s none" % kind)
        continue
    p = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))]
    print("%-8s n=%-5d failed=%-3d p50=%8.1f ms  p99=%8.1f ms  max=%8.1f ms"
          % (kind, len(lat), bad, p(0.5), p(0.99), lat[-1]))
