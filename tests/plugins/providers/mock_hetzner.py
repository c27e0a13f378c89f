#!/usr/bin/env python3
"""Mock of the Hetzner Cloud API's DNS endpoints (zones, RRsets, actions).

Reproduces what hetzner.so relies on, as the official hcloud-go client
(hcloud/zone.go, zone_rrset.go, schema/*.go, error.go) uses the API at
https://api.hetzner.cloud/v1 :
  GET  /v1/zones?name=<zone>                 {"zones": [...], "meta": {"pagination"}}
  GET  /v1/zones/{id_or_name}/rrsets/{name}/{type}          {"rrset": {...}} or 404
  POST /v1/zones/{id_or_name}/rrsets         (201 {"rrset", "action"})
  POST /v1/zones/{id_or_name}/rrsets/{name}/{type}/actions/set_records
       {"records": [{"value"}]}              (201 {"action"})
  POST /v1/zones/{id_or_name}/rrsets/{name}/{type}/actions/change_ttl
       {"ttl": N}                            (201 {"action"})
  GET  /v1/actions/{id}                      {"action": {"status": running|success|error}}
Authorization: Bearer <token> (else 401 {"error": {"code": "unauthorized"}});
names relative and lower-case ("@" for the apex); mutations are actions that
finish later (a change is visible only once its action succeeded);
RateLimit-Limit/-Remaining/-Reset (Unix time) headers and 429
{"error": {"code": "rate_limit_exceeded"}}; 422 incorrect_zone_mode when
writing a secondary zone; errors as {"error": {"code", "message", "details"}}.

Control keys (besides mock_common's): tokens: [..], action_polls: N (polls
an action answers "running" before it ends; default 1), action_fail: N (the
next N actions end in "error"), secondary: [zone, ...], zones: [..],
add: [{zone, name (FQDN), type, data, ttl?}].  Initial token: "hz-good-token".
/_state: {"zones": {zone: [{"name", "type", "value", "ttl"}, ...]}}.
"""
import sys
import time

from mock_common import SEED_RECORDS, MockHandler, Reply, is_ipv4, is_ipv6, serve


def relative(fqdn, zone):
    return "@" if fqdn == zone else fqdn[: -len(zone) - 1]


def error(status, code, message):
    return Reply(status, {"error": {"code": code, "message": message, "details": {}}})


NOT_FOUND = ("not_found", "resource not found")


class HetznerMock(MockHandler):
    @classmethod
    def reset(cls):
        cls.state.db = {
            "tokens": {"hz-good-token"},
            "zones": {},
            "next_zone": 5000,
            "actions": {},
            "next_action": 9000,
            "action_polls": 1,
            "action_fail": 0,
            "remaining": 3600,
        }
        cls.add_zone("example.com")
        for rtype, name, data in SEED_RECORDS:
            cls.put(cls.state.db["zones"]["example.com"], relative(name, "example.com"),
                    rtype, [data], 3600)

    @classmethod
    def add_zone(cls, zone, mode="primary"):
        db = cls.state.db
        if zone not in db["zones"]:
            db["zones"][zone] = {"id": db["next_zone"], "name": zone, "mode": mode,
                                 "ttl": 3600, "rrsets": {}}
            db["next_zone"] += 1
        return db["zones"][zone]

    @staticmethod
    def put(z, name, rtype, values, ttl):
        z["rrsets"][(name, rtype)] = {"ttl": ttl, "values": list(values)}

    def control(self, ctl):
        db = self.state.db
        if "tokens" in ctl:
            db["tokens"] = set(ctl["tokens"])
        for k in ("action_polls", "action_fail"):
            if k in ctl:
                db[k] = int(ctl[k])
        for zone in ctl.get("zones", []):
            type(self).add_zone(zone)
        for zone in ctl.get("secondary", []):
            type(self).add_zone(zone)["mode"] = "secondary"
        for r in ctl.get("add", []):
            z = type(self).add_zone(r["zone"])
            self.put(z, relative(r["name"], r["zone"]), r["type"], [r["data"]],
                     r.get("ttl", 3600))
        return None

    def snapshot(self):
        out = {}
        for zname, z in self.state.db["zones"].items():
            out[zname] = [{"name": n, "type": t, "value": v, "ttl": rr["ttl"]}
                          for (n, t), rr in z["rrsets"].items() for v in rr["values"]]
        return {"zones": out}

    def rate_limit_reply(self, retry_after):
        return Reply(429, {"error": {"code": "rate_limit_exceeded",
                                     "message": "limit of 3600 requests per hour reached",
                                     "details": {}}},
                     {"RateLimit-Limit": "3600", "RateLimit-Remaining": "0",
                      "RateLimit-Reset": str(int(time.time()) + int(retry_after))})

    def server_error_reply(self):
        return error(500, "server_error", "an internal error occurred")

    def api(self, method, path, query, body):
        reply = self.route(method, path, query, body)
        db = self.state.db
        db["remaining"] = max(0, db["remaining"] - 1)
        reply.headers.update({"RateLimit-Limit": "3600",
                              "RateLimit-Remaining": str(db["remaining"]),
                              "RateLimit-Reset": str(int(time.time()) + 1)})
        return reply

    def zone_json(self, z):
        return {"id": z["id"], "name": z["name"], "mode": z["mode"], "ttl": z["ttl"],
                "status": "ok", "record_count": len(z["rrsets"]),
                "protection": {"delete": False}, "labels": {}}

    def rrset_json(self, z, name, rtype):
        rr = z["rrsets"][(name, rtype)]
        return {"id": "%s/%s" % (name, rtype), "name": name, "type": rtype,
                "ttl": rr["ttl"], "zone": z["id"],
                "records": [{"value": v, "comment": ""} for v in rr["values"]],
                "protection": {"change": False}, "labels": {}}

    def find_zone(self, id_or_name):
        for z in self.state.db["zones"].values():
            if z["name"] == id_or_name or str(z["id"]) == id_or_name:
                return z
        return None

    def route(self, method, path, query, body):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.state.db["tokens"]:
            return error(401, "unauthorized", "unable to authenticate")
        p = path.strip("/").split("/")
        if not p or p[0] != "v1":
            return error(404, *NOT_FOUND)
        if p[1:] == ["zones"] and method == "GET":
            name = query.get("name", [None])[0]
            zs = [self.zone_json(z) for z in self.state.db["zones"].values()
                  if name is None or z["name"] == name]
            return Reply(200, {"zones": zs, "meta": {"pagination": {
                "page": 1, "per_page": 25, "previous_page": None, "next_page": None,
                "last_page": 1, "total_entries": len(zs)}}})
        if len(p) == 3 and p[1] == "actions" and method == "GET":
            return self.poll(p[2])
        if len(p) < 4 or p[1] != "zones" or p[3] != "rrsets":
            return error(404, *NOT_FOUND)
        z = self.find_zone(p[2])
        if z is None:
            return error(404, *NOT_FOUND)
        if method != "GET" and z["mode"] != "primary":
            return error(422, "incorrect_zone_mode", "zone is not in primary mode")
        if len(p) == 4 and method == "POST":
            return self.create(z, body)
        if len(p) < 6:
            return error(404, *NOT_FOUND)
        name, rtype = p[4], p[5]
        if (name, rtype) not in z["rrsets"]:
            return error(404, *NOT_FOUND)
        if len(p) == 6 and method == "GET":
            return Reply(200, {"rrset": self.rrset_json(z, name, rtype)})
        if len(p) == 8 and p[6] == "actions" and method == "POST":
            return self.rrset_action(z, name, rtype, p[7], body)
        return error(404, *NOT_FOUND)

    def bad_body(self, body):
        if not self.headers.get("Content-Type", "").startswith("application/json") or \
                not isinstance(body, dict):
            return error(400, "invalid_input", "invalid JSON body")
        return None

    def values(self, rtype, body):
        recs = body.get("records")
        if not isinstance(recs, list) or not recs or \
                not all(isinstance(r, dict) and isinstance(r.get("value"), str) for r in recs):
            return None, error(422, "invalid_input", "records must be a list of {value}")
        vals = [r["value"] for r in recs]
        check = is_ipv4 if rtype == "A" else is_ipv6 if rtype == "AAAA" else None
        if check and not all(check(v) for v in vals):
            return None, error(422, "invalid_input", "invalid %s record value" % rtype)
        return vals, None

    def action(self, command, apply):
        db = self.state.db
        aid = db["next_action"]
        db["next_action"] += 1
        fail = db["action_fail"] > 0
        if fail:
            db["action_fail"] -= 1
        a = {"id": aid, "command": command, "status": "running", "progress": 0,
             "started": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
             "finished": None, "resources": [], "error": None,
             "_polls": db["action_polls"], "_apply": apply, "_fail": fail}
        db["actions"][aid] = a
        if a["_polls"] <= 0:
            self.finish(a)
        return a

    def finish(self, a):
        if a["_fail"]:
            a["status"] = "error"
            a["error"] = {"code": "action_failed", "message": "the DNS backend refused it"}
        else:
            a["_apply"]()
            a["status"] = "success"
            a["progress"] = 100
        a["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())

    @staticmethod
    def public(a):
        return {k: v for k, v in a.items() if not k.startswith("_")}

    def poll(self, aid):
        try:
            a = self.state.db["actions"][int(aid)]
        except (ValueError, KeyError):
            return error(404, *NOT_FOUND)
        if a["status"] == "running":
            if a["_polls"] > 0:
                a["_polls"] -= 1
            if a["_polls"] == 0:
                self.finish(a)
        return Reply(200, {"action": self.public(a)})

    def create(self, z, body):
        bad = self.bad_body(body)
        if bad:
            return bad
        name, rtype, ttl = body.get("name"), body.get("type"), body.get("ttl")
        if not isinstance(name, str) or not name or name != name.lower() or \
                name.endswith(".") or name.endswith(z["name"]):
            return error(422, "invalid_input", "name must be relative and lower-case")
        if rtype not in ("A", "AAAA", "TXT", "CNAME", "MX", "NS"):
            return error(422, "invalid_input", "invalid type")
        if (name, rtype) in z["rrsets"]:
            return error(409, "uniqueness_error", "rrset already exists")
        vals, bad = self.values(rtype, body)
        if bad:
            return bad
        if ttl is not None and (not isinstance(ttl, int) or ttl < 60):
            return error(422, "invalid_input", "ttl must be at least 60")
        # The RRset exists at once; its records take effect with the action.
        self.put(z, name, rtype, [], ttl)
        a = self.action("create_rrset", lambda: self.put(z, name, rtype, vals, ttl))
        return Reply(201, {"rrset": self.rrset_json(z, name, rtype), "action": self.public(a)})

    def rrset_action(self, z, name, rtype, verb, body):
        bad = self.bad_body(body)
        if bad:
            return bad
        rr = z["rrsets"][(name, rtype)]
        if verb == "set_records":
            vals, bad = self.values(rtype, body)
            if bad:
                return bad

            def apply():
                rr["values"] = vals
            a = self.action("set_rrset_records", apply)
        elif verb == "change_ttl":
            ttl = body.get("ttl")
            if ttl is not None and (not isinstance(ttl, int) or ttl < 60):
                return error(422, "invalid_input", "ttl must be at least 60")

            def apply():
                rr["ttl"] = ttl
            a = self.action("change_rrset_ttl", apply)
        else:
            return error(404, *NOT_FOUND)
        return Reply(201, {"action": self.public(a)})


if __name__ == "__main__":
    sys.exit(serve(HetznerMock, sys.argv))
