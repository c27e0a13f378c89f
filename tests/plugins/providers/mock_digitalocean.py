#!/usr/bin/env python3
"""Mock of the DigitalOcean API v2 domain records endpoints.

Reproduces what digitalocean.so relies on, as documented at
https://docs.digitalocean.com/reference/api/ :
  GET   /v2/domains/{domain}
  GET   /v2/domains/{domain}/records?type=&name=<fqdn>&per_page=&page=
  POST  /v2/domains/{domain}/records        (201)
  PATCH /v2/domains/{domain}/records/{id}   (200)
Authorization: Bearer <token> (else 401 {"id":"unauthorized",...}), JSON
bodies with Content-Type: application/json, relative record names ("@",
"www"), pagination with links.pages.next and meta.total, ratelimit-*
headers, 429 {"id":"too_many_requests"}.

Control keys (besides mock_common's): tokens: [..] (valid tokens),
page_size: N (cap per_page), ignore_filters: bool (list every record of the
zone, as if the filters were not understood), next_base: URL (what the
pagination links start with instead of this mock's own address: a hostile
API's links).  Initial token: "do-good-token".
"""
import sys
import time

from mock_common import SEED_RECORDS, MockHandler, Reply, is_ipv4, is_ipv6, serve

RECORD_TYPES = {"A", "AAAA", "CAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT"}


def record(rid, rtype, name, data, ttl=1800):
    return {"id": rid, "type": rtype, "name": name, "data": data,
            "priority": None, "port": None, "ttl": ttl, "weight": None,
            "flags": None, "tag": None}


def relative(fqdn, zone):
    """DigitalOcean names records relative to their domain: "@", "www"."""
    return "@" if fqdn == zone else fqdn[: -len(zone) - 1]


def error(status, eid, message):
    return Reply(status, {"id": eid, "message": message})


class DigitalOceanMock(MockHandler):
    @classmethod
    def reset(cls):
        cls.state.db = {
            "tokens": {"do-good-token"},
            "page_size": None,
            "ignore_filters": False,
            "next_id": 28448432,
            "remaining": 5000,
            "zones": {},
        }
        cls.add_zone("example.com")
        for rtype, name, data in SEED_RECORDS:
            cls.add_record("example.com", rtype, relative(name, "example.com"), data)

    @classmethod
    def add_zone(cls, zone):
        db = cls.state.db
        if zone in db["zones"]:
            return
        db["zones"][zone] = []
        cls.add_record(zone, "SOA", "@", "1800")
        for ns in ("ns1.digitalocean.com", "ns2.digitalocean.com", "ns3.digitalocean.com"):
            cls.add_record(zone, "NS", "@", ns)

    @classmethod
    def add_record(cls, zone, rtype, name, data, ttl=1800):
        db = cls.state.db
        rec = record(db["next_id"], rtype, name, data, ttl)
        db["next_id"] += 1
        db["zones"][zone].append(rec)
        return rec

    def control(self, ctl):
        db = self.state.db
        if "tokens" in ctl:
            db["tokens"] = set(ctl["tokens"])
        if "next_base" in ctl:
            db["next_base"] = ctl["next_base"]
        self.control_listing(ctl)
        for zone in ctl.get("zones", []):
            type(self).add_zone(zone)
        for r in ctl.get("add", []):
            zone = r["zone"]
            type(self).add_zone(zone)
            type(self).add_record(zone, r["type"], relative(r["name"], zone), r["data"],
                                  r.get("ttl", 1800))
        return None

    def snapshot(self):
        return {"zones": self.state.db["zones"]}

    def rate_headers(self):
        db = self.state.db
        db["remaining"] = max(0, db["remaining"] - 1)
        return {"ratelimit-limit": "5000", "ratelimit-remaining": str(db["remaining"]),
                "ratelimit-reset": str(int(time.time()) + 60)}

    def rate_limit_reply(self, retry_after):
        return Reply(429, {"id": "too_many_requests", "message": "API Rate limit exceeded."},
                     {"ratelimit-limit": "5000", "ratelimit-remaining": "0",
                      "ratelimit-reset": str(int(time.time()) + int(retry_after)),
                      "retry-after": str(retry_after)})

    def server_error_reply(self):
        return error(500, "server_error", "Unexpected server-side error")

    def api(self, method, path, query, body):
        reply = self.route(method, path, query, body)
        reply.headers.update(self.rate_headers())
        return reply

    def route(self, method, path, query, body):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.state.db["tokens"]:
            return error(401, "unauthorized", "Unable to authenticate you")
        parts = path.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "v2" or parts[1] != "domains":
            return error(404, "not_found", "The resource you were accessing could not be found.")
        zone = parts[2]
        recs = self.state.db["zones"].get(zone)
        if recs is None:
            return error(404, "not_found", "The resource you were accessing could not be found.")
        if len(parts) == 3 and method == "GET":
            return Reply(200, {"domain": {"name": zone, "ttl": 1800, "zone_file": ""}})
        if len(parts) == 4 and parts[3] == "records":
            if method == "GET":
                return self.list_records(zone, recs, query)
            if method == "POST":
                return self.create(zone, recs, body)
        if len(parts) == 5 and parts[3] == "records":
            rec = next((r for r in recs if str(r["id"]) == parts[4]), None)
            if rec is None:
                return error(404, "not_found", "The resource you were accessing could not be found.")
            if method == "GET":
                return Reply(200, {"domain_record": rec})
            if method in ("PATCH", "PUT"):
                return self.modify(rec, body)
        return error(405, "method_not_allowed", "Method not allowed")

    def fqdn(self, zone, rec):
        return zone if rec["name"] == "@" else "%s.%s" % (rec["name"], zone)

    def list_records(self, zone, recs, query):
        rtype = query.get("type", [None])[0]
        name = query.get("name", [None])[0]
        if rtype is not None and rtype not in RECORD_TYPES:
            return error(400, "bad_request", "type is not a valid DNS record type")
        try:
            per_page = int(query.get("per_page", ["20"])[0])
            page = int(query.get("page", ["1"])[0])
        except ValueError:
            return error(400, "bad_request", "per_page and page must be integers")
        per_page = max(1, min(per_page, 200))
        if self.state.db["page_size"]:
            per_page = min(per_page, self.state.db["page_size"])
        sel = recs
        if not self.state.db["ignore_filters"]:
            sel = [r for r in recs if (rtype is None or r["type"] == rtype) and
                   (name is None or self.fqdn(zone, r) == name)]
        total = len(sel)
        last = max(1, (total + per_page - 1) // per_page)
        chunk = sel[(page - 1) * per_page: page * per_page]
        base = "%s/v2/domains/%s/records?" % (self.state.db.get("next_base") or
                                              self.base_url(), zone)
        extra = "".join("&%s=%s" % (k, query[k][0]) for k in ("type", "name") if k in query)

        def link(p):
            return "%spage=%d&per_page=%d%s" % (base, p, per_page, extra)
        pages = {}
        if page > 1:
            pages["first"] = link(1)
            pages["prev"] = link(page - 1)
        if page < last:
            pages["next"] = link(page + 1)
            pages["last"] = link(last)
        return Reply(200, {"domain_records": chunk,
                           "links": {"pages": pages} if pages else {},
                           "meta": {"total": total}})

    def check_write(self, body):
        ctype = self.headers.get("Content-Type", "")
        if not ctype.startswith("application/json"):
            return error(400, "bad_request", "Content-Type must be application/json")
        if isinstance(body, ValueError) or not isinstance(body, dict):
            return error(400, "bad_request", "unexpected end of JSON input")
        return None

    def check_fields(self, rtype, body):
        data = body.get("data")
        if "data" in body:
            if rtype == "A" and not (isinstance(data, str) and is_ipv4(data)):
                return error(422, "unprocessable_entity", "Data needs to be a valid IPv4 address")
            if rtype == "AAAA" and not (isinstance(data, str) and is_ipv6(data)):
                return error(422, "unprocessable_entity", "Data needs to be a valid IPv6 address")
        if "ttl" in body and (not isinstance(body["ttl"], int) or body["ttl"] < 30):
            return error(422, "unprocessable_entity", "TTL must be at least 30 seconds")
        return None

    def modify(self, rec, body):
        bad = self.check_write(body)
        if bad:
            return bad
        if "type" in body and body["type"] != rec["type"]:
            return error(422, "unprocessable_entity", "Type can not be changed")
        bad = self.check_fields(rec["type"], body)
        if bad:
            return bad
        for k in ("name", "data", "ttl", "priority", "port", "weight", "flags", "tag"):
            if k in body:
                rec[k] = body[k]
        return Reply(200, {"domain_record": rec})

    def create(self, zone, recs, body):
        bad = self.check_write(body)
        if bad:
            return bad
        rtype, name = body.get("type"), body.get("name")
        if rtype not in RECORD_TYPES:
            return error(422, "unprocessable_entity", "Type is not a valid record type")
        if not isinstance(name, str) or not name or name.endswith(".") or \
                name.endswith("." + zone):
            return error(422, "unprocessable_entity", "Name is invalid (use \"@\" or a name relative to the domain)")
        if "data" not in body:
            return error(422, "unprocessable_entity", "Data can't be blank")
        bad = self.check_fields(rtype, body)
        if bad:
            return bad
        rec = type(self).add_record(zone, rtype, name, body["data"], body.get("ttl", 1800))
        return Reply(201, {"domain_record": rec})


if __name__ == "__main__":
    sys.exit(serve(DigitalOceanMock, sys.argv))
