"""Shared machinery of the mock provider APIs (python3 standard library only).

Each mock (mock_digitalocean.py, mock_rackspace.py, mock_cloudflare.py)
subclasses MockHandler and implements api(method, path, query, body).  This
module adds what tests need around the API:

  POST /_control  JSON object; keys (all optional):
      reset: true            back to the initial records and settings
      clear_requests: true   empty the request log
      ratelimit: N           the next N API requests get the provider's
                             rate-limit reply (retry_after: seconds, default 1)
      error500: N            the next N API requests get a 500
      malformed: N           the next N API replies have a truncated JSON body
      lose_reply: N          the next N API requests are carried out, then
                             answered 502 (a reply lost on the way back)
      delay_ms: MS           sleep before answering (delay_count: N requests,
                             default every request until changed)
      match: "PATCH"         faults apply only to requests whose
                             "METHOD /path" contains this text
      add: [{zone, name (FQDN), type, data, ttl?}, ...]   seed records
      zones: ["example.com", ...]                          seed zones
      ...and whatever the mock's own control() accepts.
  GET /_requests  the API requests received, oldest first: method, path,
                  query (dict of lists), headers (lower-case names), body,
                  status, handle_ms (the mock's own handling time)
  GET /_state     the mock's records, for assertions

Start: python3 mock_X.py [--port N]; prints "PORT <n>" once listening.
"""
import json
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


# The records every mock starts with (type, FQDN, data) besides its NS/SOA:
# the tests assert on these values, so all providers hold the same ones.
SEED_RECORDS = (("A", "example.com", "192.0.2.1"),
                ("A", "www.example.com", "192.0.2.2"),
                ("A", "a.example.com", "192.0.2.10"),
                ("AAAA", "a.example.com", "2001:db8::10"))


class Reply:
    """What an API handler answers."""

    def __init__(self, status, body=None, headers=None, raw=None):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.raw = raw


class MockState:
    def __init__(self):
        self.lock = threading.RLock()
        self.requests = []
        self.faults = {}

    def take_fault(self, kind, subject):
        """Consume one injected fault of this kind if it applies."""
        with self.lock:
            n = self.faults.get(kind, 0)
            match = self.faults.get("match")
            if n <= 0 or (match and match not in subject):
                return False
            self.faults[kind] = n - 1
            return True


class MockHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock-api/1.0"
    state = None  # set by serve()

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def setup(self):
        super().setup()
        # Headers and body leave in separate writes: without TCP_NODELAY a
        # kept-alive connection would wait for the client's delayed ACK
        # (40 ms) on every reply, which real APIs do not do.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # --- what subclasses provide -------------------------------------
    def api(self, method, path, query, body):
        raise NotImplementedError

    def control(self, ctl):
        """Mock-specific control keys; return an error string or None."""
        return None

    def control_listing(self, ctl):
        """The listing keys every mock takes: page_size: N caps a page,
        ignore_filters: bool lists every record as if the query's filters
        were not understood (both kept in state.db)."""
        db = self.state.db
        if "page_size" in ctl:
            db["page_size"] = ctl["page_size"]
        if "ignore_filters" in ctl:
            db["ignore_filters"] = bool(ctl["ignore_filters"])

    def rate_limit_reply(self, retry_after):
        return Reply(429, {"message": "Too many requests"},
                     {"Retry-After": str(retry_after)})

    def server_error_reply(self):
        return Reply(500, {"message": "Internal server error"})

    def snapshot(self):
        return {}

    # --- plumbing ------------------------------------------------------
    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def base_url(self):
        return "http://%s" % (self.headers.get("Host") or
                              "127.0.0.1:%d" % self.server.server_address[1])

    def send(self, reply, malformed=False):
        if reply.raw is not None:
            data = reply.raw
        elif reply.body is None:
            data = b""
        else:
            data = json.dumps(reply.body).encode()
        if malformed and data:
            data = data[: max(1, len(data) // 2)]
        self.send_response(reply.status)
        if data and "Content-Type" not in reply.headers:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def parse_request(self):
        # The request line is in; the mock's own time starts here (headers
        # parsing included), not while it waits on a kept-alive connection.
        self.t_start = time.perf_counter()
        return super().parse_request()

    def dispatch(self, method):
        t0 = self.t_start
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.raw_body = raw  # for mocks of APIs that are not JSON
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        st = self.state
        if path == "/_control" and method == "POST":
            self.send(self.handle_control(raw))
            return
        if path == "/_requests":
            with st.lock:
                self.send(Reply(200, st.requests))
            return
        if path == "/_state":
            with st.lock:
                self.send(Reply(200, self.snapshot()))
            return
        entry = {"method": method, "path": path, "query": query,
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": raw.decode("utf-8", "replace")}
        subject = "%s %s" % (method, path)
        delay = 0
        with st.lock:
            if st.faults.get("delay_ms") and st.faults.get("delay_count", -1) != 0:
                match = st.faults.get("match")
                if not match or match in subject:
                    delay = st.faults["delay_ms"] / 1000.0
                    if st.faults.get("delay_count", -1) > 0:
                        st.faults["delay_count"] -= 1
        if delay:
            time.sleep(delay)
        malformed = False
        if st.take_fault("ratelimit", subject):
            reply = self.rate_limit_reply(st.faults.get("retry_after", 1))
        elif st.take_fault("error500", subject):
            reply = self.server_error_reply()
        else:
            malformed = st.take_fault("malformed", subject)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = ValueError("bad JSON")
            with st.lock:
                reply = self.api(method, path, query, body)
            if st.take_fault("lose_reply", subject):
                reply = Reply(502, {"message": "Bad gateway (the reply was lost)"})
        entry["status"] = reply.status
        entry["handle_ms"] = None
        # Logged before the reply leaves, so a client that saw the reply
        # always finds its request in /_requests.
        with st.lock:
            st.requests.append(entry)
        try:
            self.send(reply, malformed)
        finally:
            entry["handle_ms"] = (time.perf_counter() - t0) * 1000.0 - delay * 1000.0

    def handle_control(self, raw):
        st = self.state
        try:
            ctl = json.loads(raw or b"{}")
            if not isinstance(ctl, dict):
                raise ValueError("not an object")
        except ValueError as e:
            return Reply(400, {"error": "control body: %s" % e})
        with st.lock:
            if ctl.get("reset"):
                st.faults = {}
                type(self).reset()
            if ctl.get("clear_requests"):
                st.requests = []
            for k in ("ratelimit", "retry_after", "error500", "malformed", "lose_reply",
                      "delay_ms", "delay_count", "match"):
                if k in ctl:
                    st.faults[k] = ctl[k]
            if "delay_ms" in ctl and "delay_count" not in ctl:
                st.faults["delay_count"] = -1
            err = self.control(ctl)
        if err:
            return Reply(400, {"error": err})
        return Reply(200, {"ok": True})

    @classmethod
    def reset(cls):
        """Put the initial records into cls.state.db."""
        cls.state.db = {}


def serve(handler_cls, argv):
    port = 0
    if "--port" in argv:
        port = int(argv[argv.index("--port") + 1])
    handler_cls.state = MockState()
    handler_cls.reset()
    ThreadingHTTPServer.request_queue_size = 256
    ThreadingHTTPServer.daemon_threads = True
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler_cls)
    print("PORT %d" % httpd.server_address[1], flush=True)
    try:
        httpd.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    return 0


def is_ipv4(text):
    import ipaddress
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv4Address) and \
            str(ipaddress.ip_address(text)) == text
    except ValueError:
        return False


def is_ipv6(text):
    import ipaddress
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv6Address)
    except ValueError:
        return False


if __name__ == "__main__":
    sys.exit("run one of the mock_*.py servers instead")
