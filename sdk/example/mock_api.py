#!/usr/bin/env python3
"""A local mock of "Example DNS", the REST API example.so talks to
(python3 standard library only).

API (bearer token auth; the token is given with --token):
  PUT /v1/zones/{zone}/rrsets/{name}/{type}   {"ttl": N, "records": ["addr"]}
      -> 200 {"rrset": {"name", "type", "ttl", "records"}}; 400 on a bad body,
         401 on a wrong token, 404 on an unknown zone, 429 when rate-limited
         (with Retry-After), 500 when told to fail.
For tests:
  POST /_control {"ratelimit": N, "error500": N}  the next N API calls get 429/500
  GET /_state      {"zone": {"name/type": {"ttl", "records"}}}
  GET /_requests   [{"method", "path", "status", "auth"}, ...]

Start: mock_api.py --port 0 [--token T] [--zone example.com]; prints
"PORT <n>" once listening.
"""
import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
ZONES = {}
FAULTS = {"ratelimit": 0, "error500": 0}
REQUESTS = []
TOKEN = ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n)

    def do_GET(self):
        with LOCK:
            if self.path == "/_state":
                return self.reply(200, ZONES)
            if self.path == "/_requests":
                return self.reply(200, REQUESTS)
        self.reply(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/_control":
            return self.reply(404, {"error": "not found"})
        with LOCK:
            FAULTS.update(json.loads(self.body()))
        self.reply(200, FAULTS)

    def do_PUT(self):
        raw = self.body()
        with LOCK:
            status, body, headers = self.put(raw)
            REQUESTS.append({"method": "PUT", "path": self.path, "status": status,
                             "auth": self.headers.get("Authorization")})
        self.reply(status, body, headers)

    def put(self, raw):
        parts = self.path.split("/")
        if len(parts) != 7 or parts[1:3] != ["v1", "zones"] or parts[4] != "rrsets":
            return 404, {"error": "no such endpoint"}, ()
        zone, name, rtype = parts[3], parts[5], parts[6]
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            return 401, {"error": "invalid token"}, ()
        if FAULTS["ratelimit"] > 0:
            FAULTS["ratelimit"] -= 1
            return 429, {"error": "slow down"}, (("Retry-After", "1"),)
        if FAULTS["error500"] > 0:
            FAULTS["error500"] -= 1
            return 500, {"error": "internal error"}, ()
        if zone not in ZONES:
            return 404, {"error": "no such zone"}, ()
        try:
            req = json.loads(raw)
            records, ttl = req["records"], int(req.get("ttl", 300))
            assert rtype in ("A", "AAAA") and isinstance(records, list)
        except (ValueError, KeyError, AssertionError, TypeError):
            return 400, {"error": "bad rrset"}, ()
        ZONES[zone][name + "/" + rtype] = {"ttl": ttl, "records": records}
        fqdn = zone if name == "@" else name + "." + zone
        return 200, {"rrset": {"name": fqdn, "type": rtype, "ttl": ttl,
                               "records": records}}, ()


def main():
    global TOKEN
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", default="example-token")
    ap.add_argument("--zone", default="example.com")
    args = ap.parse_args()
    TOKEN = args.token
    ZONES[args.zone] = {}
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
