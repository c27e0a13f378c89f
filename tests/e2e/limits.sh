#!/bin/bash
# Connection limits end to end, with raw sockets from python3 and curl:
#  - body over http.max_body: 413; headers over http.max_header_bytes: 431,
#    headers within it are served;
#  - an idle connection is closed after http.connection_timeout_s; a client
#    trickling a header byte (or a body byte) faster than that is cut at
#    http.request_timeout_s anyway (slowloris); a handler slower than the
#    request deadline still answers;
#  - http.max_connections_per_ip refuses the excess from one address while
#    another address is served; over http.max_connections a client is not
#    served (it waits in the listen queue); both free up when connections
#    close;
#  - a thousand idle connections (default max_connections, started with a
#    soft open-files limit of 1024 that ddnsd raises) do not stop an update.
. "$top_srcdir/tests/lib/e2e.sh"

e2e_init
E2E_HTTP_PORT=$(e2e_free_port)
PORT=$E2E_HTTP_PORT
BASE=http://127.0.0.1:$PORT
CONF=$E2E_DIR/ddns.conf
KA=LimitsKeyAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1

# write_conf HTTP_SETTINGS
write_conf() {
	cat >"$CONF" <<EOF
http = { listen = [ "127.0.0.1:$PORT" ]; $1 };
database = "$E2E_DIR/ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
log_level = "debug";
auth_fail_delay_ms = 50;
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = {
  demo = { plugin = "dummy"; };
  slow = { plugin = "dummy"; delay_ms = 5000; };
};
records = (
  { domain = "a.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KA)"; },
  { domain = "s.example.com"; provider = "slow"; key_hash = "$(e2e_key_hash $KA)"; }
);
EOF
}

# update NAME IP [CURL ARGS...]: prints the HTTP status (000: no answer)
update() {
	local name=$1 ip=$2
	shift 2
	curl -s -o "$E2E_DIR/body" -w '%{http_code}' --max-time 20 "$@" \
		"$BASE/dynamicdns/update/$name/" --data "key=$KA&ip=$ip"
}

cat >"$E2E_DIR/client.py" <<'EOF'
"""Raw HTTP clients for the limits test; each prints one line."""
import os, resource, socket, sys, time

port = int(sys.argv[2])

def connect(src="127.0.0.1"):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s

def header(n):
    """A GET with an n-byte header: the status code, or 'none'."""
    s = connect()
    s.sendall(b"GET /dynamicdns/update/a.example.com/ HTTP/1.1\r\nHost: x\r\n"
              b"X-Pad: " + b"a" * n + b"\r\nConnection: close\r\n\r\n")
    s.settimeout(20)
    data = b""
    try:
        while True:
            c = s.recv(4096)
            if not c:
                break
            data += c
    except OSError:
        pass
    print(data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "none")

def wait_closed(s, trickle, limit=30):
    """Seconds until the server closes s; sends a byte every `trickle` s
    when given.  'open' when still open after `limit` s."""
    t0 = time.monotonic()
    s.settimeout(trickle or limit)
    got = b""
    while time.monotonic() - t0 < limit:
        try:
            c = s.recv(4096)
            if not c:
                return "closed %.1f %d" % (time.monotonic() - t0, len(got))
            got += c
        except socket.timeout:
            pass
        except ConnectionResetError:
            return "closed %.1f %d" % (time.monotonic() - t0, len(got))
        if trickle:
            try:
                s.sendall(b"a")
            except OSError:
                return "closed %.1f %d" % (time.monotonic() - t0, len(got))
    return "open"

def slow(kind, interval):
    s = connect()
    if kind == "header":   # slowloris: the header never ends
        s.sendall(b"GET /dynamicdns/update/a.example.com/ HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    else:                  # whole headers, then a body that trickles
        s.sendall(b"POST /dynamicdns/update/a.example.com/ HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 900\r\n\r\nkey=")
    print(wait_closed(s, interval))

def idle():
    print(wait_closed(connect(), 0))

def hold(src, n, flag):
    """Hold n idle connections from src until `flag` exists; then say how
    many the server closed meanwhile."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    socks = [connect(src) for _ in range(n)]
    open(flag + ".up", "w").close()
    for _ in range(2400):
        if os.path.exists(flag):
            break
        time.sleep(0.05)
    closed = 0
    for s in socks:
        try:
            if s.recv(1, socket.MSG_DONTWAIT) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        s.close()
    print("held %d closed %d" % (n, closed))

def refused(n):
    """n connections that send a request: how many got no HTTP answer."""
    none = 0
    for _ in range(n):
        s = connect()
        s.settimeout(10)
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            none += 0 if s.recv(64).startswith(b"HTTP/") else 1
        except OSError:
            none += 1
        s.close()
    print(none)

cmd = sys.argv[1]
if cmd == "refused":
    refused(int(sys.argv[3]))
elif cmd == "header":
    header(int(sys.argv[3]))
elif cmd == "slow":
    slow(sys.argv[3], float(sys.argv[4]))
elif cmd == "idle":
    idle()
elif cmd == "hold":
    hold(sys.argv[3], int(sys.argv[4]), sys.argv[5])
EOF
client() { python3 "$E2E_DIR/client.py" "$1" "$PORT" "${@:2}"; }

# secs_between LINE LOW HIGH: "closed SECS BYTES" with LOW <= SECS <= HIGH
# and nothing answered
secs_between() {
	python3 - "$@" <<'EOF'
import sys
w = sys.argv[1].split()
sys.exit(0 if len(w) == 3 and w[0] == "closed" and w[2] == "0"
         and float(sys.argv[2]) <= float(w[1]) <= float(sys.argv[3]) else 1)
EOF
}

# hold_start NAME SRC N: hold N connections from SRC in the background
hold_start() {
	client hold "$2" "$3" "$E2E_DIR/$1" >"$E2E_DIR/$1.out" 2>&1 &
	E2E_EXTRA_PIDS="${E2E_EXTRA_PIDS:-} $!"
	eval "HOLD_$1=$!"
	local i
	for i in $(seq 1 600); do
		[ -e "$E2E_DIR/$1.up" ] && return 0
		sleep 0.05
	done
	return 1
}
# hold_end NAME: release them; the holder's line is in $E2E_DIR/NAME.out
hold_end() {
	touch "$E2E_DIR/$1"
	eval "wait \$HOLD_$1"
}

# ---- sizes and slow clients ----
write_conf "max_body = 1024; max_header_bytes = 4096;
            connection_timeout_s = 1; request_timeout_s = 4;"
e2e_start_ddnsd "$CONF" || exit 1
expect_eq "an update is served" "$(update a.example.com 198.51.100.1)" 200
pad=$(head -c 2000 /dev/zero | tr '\0' a)
expect_eq "a body over max_body gets 413" \
	"$(update a.example.com 198.51.100.1 --data "pad=$pad")" 413
expect_eq "headers within max_header_bytes are served" "$(client header 2000)" 405
expect_eq "headers over max_header_bytes get 431" "$(client header 5000)" 431
expect_eq "a huge header gets 431 too" "$(client header 200000)" 431
r=$(client idle)
check "an idle connection is closed after connection_timeout_s ($r)" secs_between "$r" 0.5 3.5
r=$(client slow header 0.25)
check "a header trickled byte by byte is cut at request_timeout_s ($r)" secs_between "$r" 3 15
r=$(client slow body 0.25)
check "a body trickled byte by byte is cut at request_timeout_s ($r)" secs_between "$r" 3 15
expect_eq "a handler slower than request_timeout_s still answers" \
	"$(update s.example.com 198.51.100.2)" 200
check "cuts are logged at debug with the client" \
	grep -q "debug: 127.0.0.1: no complete request within 4000 ms; connection closed" \
	"$E2E_DIR/ddnsd.log"
expect_eq "still serving after all that" "$(update a.example.com 198.51.100.3)" 200
check "ddnsd stops cleanly" e2e_stop_ddnsd

# ---- connections per address and in total ----
write_conf "max_connections = 8; max_connections_per_ip = 5;
            connection_timeout_s = 120; request_timeout_s = 120;"
e2e_start_ddnsd "$CONF" || exit 1
check "5 connections from 127.0.0.1 are held" hold_start one 127.0.0.1 5
expect_eq "a 6th from 127.0.0.1 is refused" "$(update a.example.com 198.51.100.4)" 000
expect_eq "30 more from 127.0.0.1 are refused" "$(client refused 30)" 30
n=$(grep -c "reached connection limit" "$E2E_DIR/ddnsd.log")
check "refusals do not flood the log ($n lines)" test "$n" -le 2
expect_eq "127.0.0.2 is served meanwhile" \
	"$(update a.example.com 198.51.100.5 --interface 127.0.0.2)" 200
check "3 connections from 127.0.0.2 are held (8 in all)" hold_start two 127.0.0.2 3
# Over max_connections libmicrohttpd stops accepting: a 9th client waits in
# the listen queue, unanswered, until a connection closes.
expect_eq "a 9th, from 127.0.0.3, is not served (max_connections)" \
	"$(update a.example.com 198.51.100.6 --interface 127.0.0.3 --max-time 3)" 000
hold_end one
expect_eq "the server closed none of those it accepted (127.0.0.1)" \
	"$(cat "$E2E_DIR/one.out")" "held 5 closed 0"
# The server learns of the closes asynchronously: ask again for a while.
served_again() {
	local i
	for i in $(seq 1 100); do
		[ "$(update a.example.com 198.51.100.7 "$@")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}
check "127.0.0.3 is served once connections closed" served_again --interface 127.0.0.3
check "127.0.0.1 is served once its connections closed" served_again
hold_end two
expect_eq "the server closed none of those it accepted (127.0.0.2)" \
	"$(cat "$E2E_DIR/two.out")" "held 3 closed 0"
check "ddnsd stops cleanly" e2e_stop_ddnsd

# ---- a thousand idle connections ----
# Started with the usual soft limit of 1024 open files: ddnsd raises it.
write_conf "max_connections_per_ip = 0; connection_timeout_s = 120; request_timeout_s = 120;"
ulimit -S -n 1024
e2e_start_ddnsd "$CONF" || exit 1
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$E2E_DDNSD_PID/limits")
check "ddnsd raised its open-files limit ($soft)" test "$soft" -ge 1280
check "1000 idle connections are held" hold_start many 127.0.0.1 1000
# sockets_at_least N: ddnsd has accepted them (asynchronously; 20 s at most)
sockets_at_least() {
	local i
	for i in $(seq 1 200); do
		socks=$(find "/proc/$E2E_DDNSD_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l)
		[ "$socks" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
check "ddnsd accepted them all" sockets_at_least 1000
expect_eq "an update is served past 1000 idle connections" \
	"$(update a.example.com 198.51.100.8)" 200
check "the answer says so" grep -q "198.51.100.8" "$E2E_DIR/body"
hold_end many
expect_eq "the server closed none of the idle ones" \
	"$(cat "$E2E_DIR/many.out")" "held 1000 closed 0"
check "ddnsd stops cleanly" e2e_stop_ddnsd

e2e_finish
