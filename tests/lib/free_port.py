#!/usr/bin/env python3
"""Print a port free for a test server: free_port.py [--udp] [--host ADDR]

The port is picked at random BELOW the kernel's ephemeral range
(/proc/sys/net/ipv4/ip_local_port_range), never from it: a port the
kernel hands out for binding to port 0 is also the kind it hands a
client (dig, curl) as its source port, so a server port picked that way
can, in the moment before the server binds it, become another test's
client socket, which then receives queries meant for a server (dig:
"query response not set").  Tests run in parallel, so the range is wide
and the pick random.  With --udp the port is free for UDP and TCP both
(a DNS listener takes both).
"""
import random
import socket
import sys

udp = "--udp" in sys.argv
host = "127.0.0.1"
if "--host" in sys.argv:
    host = sys.argv[sys.argv.index("--host") + 1]
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
top = max(low - 1, 2048)
bottom = max(1024, top - 12000)
rng = random.SystemRandom()
for _ in range(500):
    port = rng.randint(bottom, top)
    socks = []
    try:
        for kind in ([socket.SOCK_STREAM, socket.SOCK_DGRAM] if udp else [socket.SOCK_STREAM]):
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            s.bind((host, port))
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(port)
    break
else:
    raise SystemExit("free_port.py: no free port in %d-%d" % (bottom, top))
