#!/usr/bin/env python3
"""Mock of the Cloudflare API v4 zones and dns_records endpoints.

Reproduces what cloudflare.so relies on (https://developers.cloudflare.com/api/):
  GET   /client/v4/zones?name=<zone>
  GET   /client/v4/zones/{zone_id}/dns_records?type=&name=<fqdn>&page=&per_page=
  POST  /client/v4/zones/{zone_id}/dns_records
  PATCH /client/v4/zones/{zone_id}/dns_records/{id}
The envelope {"success","errors":[{"code","message"}],"messages","result",
"result_info":{"page","per_page","count","total_count","total_pages"}},
Authorization: Bearer <token> (malformed header: 400 code 6003/6111; unknown
token: 403 code 10000 "Authentication error"), Content-Type checks on
writes, ids of 32 hex digits, full names in replies, 429 with Retry-After.

Control keys (besides mock_common's): tokens: [...], page_size: N,
ignore_filters: bool.  Initial token: "cf-good-token".
"""
import hashlib
import sys
import time

from mock_common import SEED_RECORDS, MockHandler, Reply, is_ipv4, is_ipv6, serve

PREFIX = "/client/v4"


def cf_id(text):
    return hashlib.md5(text.encode()).hexdigest()


def envelope(result, info=None):
    body = {"success": True, "errors": [], "messages": [], "result": result}
    if info is not None:
        body["result_info"] = info
    return body


def failure(status, code, message, chain=None):
    err = {"code": code, "message": message}
    if chain:
        err["error_chain"] = [{"code": c, "message": m} for c, m in chain]
    return Reply(status, {"success": False, "errors": [err], "messages": [], "result": None})


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


class CloudflareMock(MockHandler):
    @classmethod
    def reset(cls):
        cls.state.db = {"tokens": {"cf-good-token"}, "page_size": None,
                        "ignore_filters": False, "zones": {}, "serial": 0}
        cls.add_zone("example.com")
        for rtype, name, data in SEED_RECORDS:
            cls.add_record("example.com", rtype, name, data)

    @classmethod
    def add_zone(cls, name):
        zones = cls.state.db["zones"]
        if any(z["name"] == name for z in zones.values()):
            return next(z for z in zones.values() if z["name"] == name)
        zone = {"id": cf_id("zone:" + name), "name": name, "status": "active",
                "paused": False, "type": "full", "records": []}
        zones[zone["id"]] = zone
        cls.add_record(name, "NS", name, "ns1.cloudflare.test")
        return zone

    @classmethod
    def add_record(cls, zone_name, rtype, name, content, ttl=1):
        zone = cls.add_zone(zone_name)
        db = cls.state.db
        db["serial"] += 1
        rec = {"id": cf_id("rec:%d:%s:%s" % (db["serial"], rtype, name)),
               "zone_id": zone["id"], "zone_name": zone["name"], "name": name,
               "type": rtype, "content": content, "proxiable": rtype in ("A", "AAAA"),
               "proxied": False, "ttl": ttl, "locked": False, "comment": None,
               "tags": [], "meta": {"auto_added": False, "source": "primary"},
               "created_on": now(), "modified_on": now()}
        zone["records"].append(rec)
        return rec

    def control(self, ctl):
        db = self.state.db
        if "tokens" in ctl:
            db["tokens"] = set(ctl["tokens"])
        self.control_listing(ctl)
        for z in ctl.get("zones", []):
            type(self).add_zone(z)
        for r in ctl.get("add", []):
            type(self).add_record(r["zone"], r["type"], r["name"], r["data"], r.get("ttl", 1))
        return None

    def snapshot(self):
        return {"zones": {z["name"]: z["records"] for z in self.state.db["zones"].values()}}

    def rate_limit_reply(self, retry_after):
        r = failure(429, 971, "Please wait and consider throttling your request speed")
        r.headers["Retry-After"] = str(retry_after)
        return r

    def server_error_reply(self):
        return failure(500, 1000, "Internal Server Error")

    def page(self, items, query):
        try:
            page = int(query.get("page", ["1"])[0])
            per_page = int(query.get("per_page", ["100"])[0])
        except ValueError:
            return None, failure(400, 1004, "DNS Validation Error",
                                 [(9106, "page and per_page must be integers")])
        per_page = max(5, min(per_page, 5000000))
        if self.state.db["page_size"]:
            per_page = min(per_page, self.state.db["page_size"])
        total_pages = max(1, (len(items) + per_page - 1) // per_page)
        chunk = items[(page - 1) * per_page: page * per_page]
        return envelope(chunk, {"page": page, "per_page": per_page, "count": len(chunk),
                                "total_count": len(items), "total_pages": total_pages}), None

    def api(self, method, path, query, body):
        auth = self.headers.get("Authorization")
        if auth is None:
            return failure(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")
        if not auth.startswith("Bearer ") or len(auth) <= 7:
            return failure(400, 6003, "Invalid request headers",
                           [(6111, "Invalid format for Authorization header")])
        if auth[7:] not in self.state.db["tokens"]:
            return failure(403, 10000, "Authentication error")
        if not path.startswith(PREFIX + "/zones"):
            return failure(404, 7000, "No route for that URI")
        parts = path[len(PREFIX) + 1:].strip("/").split("/")
        zones = self.state.db["zones"]
        if parts == ["zones"] and method == "GET":
            name = query.get("name", [None])[0]
            sel = [self.zone_view(z) for z in zones.values() if name is None or z["name"] == name]
            reply, err = self.page(sel, query)
            return err or Reply(200, reply)
        if len(parts) < 3 or parts[2] != "dns_records":
            return failure(404, 7003, "Could not route to %s, perhaps your object identifier "
                           "is invalid?" % path)
        zone = zones.get(parts[1])
        if zone is None:
            return failure(404, 7003, "Could not route to %s, perhaps your object identifier "
                           "is invalid?" % path)
        if len(parts) == 3 and method == "GET":
            return self.list_records(zone, query)
        if len(parts) == 3 and method == "POST":
            return self.create(zone, body)
        if len(parts) == 4:
            rec = next((r for r in zone["records"] if r["id"] == parts[3]), None)
            if rec is None:
                return failure(404, 81044, "Record does not exist.")
            if method == "GET":
                return Reply(200, envelope(rec))
            if method in ("PATCH", "PUT"):
                return self.modify(zone, rec, body)
        return failure(405, 10405, "Method not allowed for this endpoint")

    def zone_view(self, z):
        return {k: v for k, v in z.items() if k != "records"}

    def list_records(self, zone, query):
        rtype = query.get("type", [None])[0]
        name = query.get("name", [None])[0]
        sel = zone["records"]
        if not self.state.db["ignore_filters"]:
            sel = [r for r in sel if (rtype is None or r["type"] == rtype) and
                   (name is None or r["name"] == name)]
        reply, err = self.page(sel, query)
        return err or Reply(200, reply)

    def check_write(self, body):
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return failure(400, 6003, "Invalid request headers",
                           [(6105, "Invalid Content-Type header, valid values are "
                                   "application/json,multipart/form-data")])
        if isinstance(body, ValueError) or not isinstance(body, dict):
            return failure(400, 9207, "Request body is invalid.")
        return None

    def check_fields(self, rtype, body):
        if "content" in body:
            c = body["content"]
            if rtype == "A" and not (isinstance(c, str) and is_ipv4(c)):
                return failure(400, 1004, "DNS Validation Error",
                               [(9005, "Content for A record must be a valid IPv4 address.")])
            if rtype == "AAAA" and not (isinstance(c, str) and is_ipv6(c)):
                return failure(400, 1004, "DNS Validation Error",
                               [(9006, "Content for AAAA record must be a valid IPv6 address.")])
        if "ttl" in body:
            t = body["ttl"]
            if not isinstance(t, int) or not (t == 1 or 60 <= t <= 86400):
                return failure(400, 1004, "DNS Validation Error",
                               [(9021, "Invalid TTL. Must be between 60 and 86400 seconds, "
                                       "or 1 for Automatic.")])
        if "proxied" in body and not isinstance(body["proxied"], bool):
            return failure(400, 9003, "Invalid 'proxied' value, must be a boolean")
        return None

    def modify(self, zone, rec, body):
        bad = self.check_write(body) or self.check_fields(body.get("type", rec["type"]), body)
        if bad:
            return bad
        for k in ("type", "name", "content", "ttl", "proxied", "comment", "tags"):
            if k in body:
                rec[k] = body[k]
        rec["modified_on"] = now()
        return Reply(200, envelope(rec))

    def create(self, zone, body):
        bad = self.check_write(body)
        if bad:
            return bad
        rtype, name, content = body.get("type"), body.get("name"), body.get("content")
        if rtype not in ("A", "AAAA", "CNAME", "TXT", "MX", "NS", "CAA", "SRV"):
            return failure(400, 9004, "DNS record type is invalid.")
        if not isinstance(name, str) or not name:
            return failure(400, 9007, "DNS record name is invalid.")
        if content is None:
            return failure(400, 9005, "DNS record content is required.")
        bad = self.check_fields(rtype, body)
        if bad:
            return bad
        if name == "@":
            name = zone["name"]
        elif not (name == zone["name"] or name.endswith("." + zone["name"])):
            name = "%s.%s" % (name, zone["name"])
        if any(r["type"] == rtype and r["name"] == name and r["content"] == content
               for r in zone["records"]):
            return failure(400, 81058, "An identical record already exists.")
        rec = type(self).add_record(zone["name"], rtype, name, content, body.get("ttl", 1))
        rec["proxied"] = body.get("proxied", False)
        return Reply(200, envelope(rec))


if __name__ == "__main__":
    sys.exit(serve(CloudflareMock, sys.argv))
