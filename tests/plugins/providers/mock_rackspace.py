#!/usr/bin/env python3
"""Mock of Rackspace Cloud Identity v2.0 and Cloud DNS v1.0.

Reproduces what rackspace.so relies on (docs.rackspace.com, Cloud DNS
developer guide v1.0, and the Identity v2.0 API):
  POST /v2.0/tokens  {"auth":{"RAX-KSKEY:apiKeyCredentials":{"username","apiKey"}}}
       -> 200 {"access":{"token":{"id","expires","tenant"},"serviceCatalog":[...]}}
          401 {"unauthorized":{"code":401,"message":"Username or api key is invalid."}}
  GET  /v1.0/{tenant}/domains?name=<zone>&limit=&offset=  (the search
       includes subdomains, as the real one does: the mock lists the longest
       names first, so with many subdomains the zone itself is on a later
       page, reached through links rel "next")
  GET  /v1.0/{tenant}/domains/{id}/records?type=&name=<fqdn>&limit=&offset=
       (records named in full, ids like "A-6817754", links rel "next")
  PUT  /v1.0/{tenant}/domains/{id}/records/{recordId}  -> 202 async job
  POST /v1.0/{tenant}/domains/{id}/records             -> 202 async job
  GET  /v1.0/{tenant}/status/{jobId}?showDetails=true  -> 202 RUNNING, then
       200 COMPLETED (the change is applied then) or 200 ERROR with error.message
Every DNS call needs X-Auth-Token (a token of this tenant, not expired) and
Accept: application/json; writes need Content-Type: application/json and
ttl >= 300.  Rate limit: 413 {"overLimit":{...,"retryAfter"}} + Retry-After.

Control keys (besides mock_common's): token_ttl: seconds (expires of new
tokens), expire_tokens: true (every token issued so far is now invalid),
job_polls: N (polls answered RUNNING before the end), job_error: "message"
(the next job ends in ERROR), page_size: N, ignore_filters: bool,
revoke_on: ["text", ...] (the first DNS request whose "METHOD path?query"
contains each text revokes every token and is answered 401; each text once),
domains: ["sub.example.com", ...] (more domains).
Credentials: username "rsuser", apiKey "rs-good-key"; tenant 110011.
"""
import datetime
import sys
import uuid

from mock_common import SEED_RECORDS, MockHandler, Reply, is_ipv4, is_ipv6, serve

TENANT = "110011"


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def fault(status, message, details=""):
    return Reply(status, {"message": message, "code": status, "details": details})


class RackspaceMock(MockHandler):
    @classmethod
    def reset(cls):
        cls.state.db = {"tokens": {}, "token_ttl": 86400, "job_polls": 1, "job_error": None,
                        "page_size": None, "ignore_filters": False, "jobs": {},
                        "domains": {}, "next_domain": 2725257, "next_record": 6817754}
        cls.add_domain("example.com")
        for rtype, name, data in SEED_RECORDS:
            cls.add_record("example.com", rtype, name, data)

    @classmethod
    def add_domain(cls, name):
        db = cls.state.db
        for d in db["domains"].values():
            if d["name"] == name:
                return d
        d = {"name": name, "id": db["next_domain"], "accountId": int(TENANT),
             "emailAddress": "hostmaster@" + name, "updated": iso(utcnow()),
             "created": iso(utcnow()), "records": []}
        db["next_domain"] += 1
        db["domains"][str(d["id"])] = d
        cls.add_record(name, "NS", name, "dns1.stabletransit.com", 3600)
        return d

    @classmethod
    def add_record(cls, zone, rtype, name, data, ttl=300):
        d = cls.add_domain(zone)
        db = cls.state.db
        rec = {"name": name, "id": "%s-%d" % (rtype, db["next_record"]), "type": rtype,
               "data": data, "ttl": ttl, "updated": iso(utcnow()), "created": iso(utcnow())}
        db["next_record"] += 1
        d["records"].append(rec)
        return rec

    def control(self, ctl):
        db = self.state.db
        for k in ("token_ttl", "job_polls", "job_error"):
            if k in ctl:
                db[k] = ctl[k]
        self.control_listing(ctl)
        if ctl.get("expire_tokens"):
            db["tokens"] = {}
        if "revoke_on" in ctl:
            db["revoke_on"] = list(ctl["revoke_on"])
        for name in ctl.get("domains", []):
            type(self).add_domain(name)
        for r in ctl.get("add", []):
            type(self).add_record(r["zone"], r["type"], r["name"], r["data"], r.get("ttl", 300))
        return None

    def snapshot(self):
        return {"zones": {d["name"]: d["records"] for d in self.state.db["domains"].values()}}

    def rate_limit_reply(self, retry_after):
        when = utcnow() + datetime.timedelta(seconds=int(retry_after))
        return Reply(413, {"overLimit": {"code": 413, "message": "OverLimit Retry...",
                                         "details": "Error Details...",
                                         "retryAfter": when.strftime("%Y-%m-%dT%H:%M:%SZ")}},
                     {"Retry-After": str(retry_after)})

    def server_error_reply(self):
        return fault(500, "Internal Server Error", "The server encountered an error")

    def api(self, method, path, query, body):
        if path == "/v2.0/tokens":
            return self.identity(method, body)
        if not path.startswith("/v1.0/"):
            return fault(404, "Resource not found")
        return self.dns(method, path, query, body)

    # ---- identity -------------------------------------------------------
    def identity(self, method, body):
        if method != "POST":
            return Reply(405, {"badMethod": {"code": 405, "message": "Method not allowed"}})
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return Reply(415, {"badMediaType": {"code": 415,
                                                "message": "Unsupported media type"}})
        creds = body.get("auth", {}).get("RAX-KSKEY:apiKeyCredentials") \
            if isinstance(body, dict) and isinstance(body.get("auth"), dict) else None
        if not isinstance(creds, dict) or not isinstance(creds.get("username"), str) or \
                not isinstance(creds.get("apiKey"), str):
            return Reply(400, {"badRequest": {"code": 400,
                                              "message": "Invalid json request body"}})
        if creds["username"] != "rsuser" or creds["apiKey"] != "rs-good-key":
            return Reply(401, {"unauthorized": {"code": 401,
                                                "message": "Username or api key is invalid."}})
        db = self.state.db
        token = uuid.uuid4().hex
        expires = utcnow() + datetime.timedelta(seconds=db["token_ttl"])
        db["tokens"][token] = expires
        base = self.base_url()
        return Reply(200, {"access": {
            "token": {"id": token, "expires": iso(expires),
                      "tenant": {"id": TENANT, "name": TENANT},
                      "RAX-AUTH:authenticatedBy": ["APIKEY"]},
            "serviceCatalog": [
                {"name": "cloudFiles", "type": "object-store",
                 "endpoints": [{"region": "DFW", "tenantId": "MossoCloudFS_x",
                                "publicURL": base + "/files/v1/MossoCloudFS_x"}]},
                {"name": "cloudDNS", "type": "rax:dns",
                 "endpoints": [{"publicURL": "%s/v1.0/%s" % (base, TENANT),
                                "tenantId": TENANT}]}],
            "user": {"id": "123456", "name": "rsuser",
                     "roles": [{"id": "3", "name": "identity:user-admin"}]}}})

    # ---- DNS ------------------------------------------------------------
    def dns(self, method, path, query, body):
        db = self.state.db
        target = "%s %s" % (method, self.path)
        for text in db.get("revoke_on", []):
            if text in target:
                db["revoke_on"].remove(text)
                db["tokens"] = {}
                break
        token = self.headers.get("X-Auth-Token")
        exp = db["tokens"].get(token)
        parts = path.strip("/").split("/")
        if exp is None or exp <= utcnow() or len(parts) < 2 or parts[1] != TENANT:
            return Reply(401, {"unauthorized": {"code": 401, "message":
                               "No valid token provided. Please use the 'X-Auth-Token' "
                               "header with a valid token."}})
        if "application/json" not in self.headers.get("Accept", ""):
            return fault(406, "Not Acceptable", "Accept must be application/json or application/xml")
        rest = parts[2:]
        if rest == ["domains"] and method == "GET":
            return self.search_domains(query, path)
        if len(rest) == 2 and rest[0] == "status" and method == "GET":
            return self.job_status(rest[1], query)
        if len(rest) >= 3 and rest[0] == "domains" and rest[2] == "records":
            dom = db["domains"].get(rest[1])
            if dom is None:
                return Reply(404, {"itemNotFound": {"code": 404,
                                                    "message": "Object not Found."}})
            if len(rest) == 3 and method == "GET":
                return self.list_records(dom, query, path)
            if len(rest) == 3 and method == "POST":
                return self.create(dom, body)
            if len(rest) == 4 and method == "PUT":
                rec = next((r for r in dom["records"] if r["id"] == rest[3]), None)
                if rec is None:
                    return Reply(404, {"itemNotFound": {"code": 404,
                                                        "message": "Object not Found."}})
                return self.modify(dom, rec, body)
        return fault(404, "Resource not found")

    def search_domains(self, query, path):
        name = query.get("name", [None])[0]
        try:
            limit = max(1, min(int(query.get("limit", ["100"])[0]), 100))
            offset = int(query.get("offset", ["0"])[0])
        except ValueError:
            return fault(400, "limit and offset must be integers")
        sel = [{k: v for k, v in d.items() if k != "records"}
               for d in self.state.db["domains"].values()
               if name is None or d["name"] == name or d["name"].endswith("." + name)]
        sel.sort(key=lambda d: (-len(d["name"]), d["name"]))
        body = {"domains": sel[offset: offset + limit], "totalEntries": len(sel)}
        extra = "&name=%s" % name if name is not None else ""
        if offset + limit < len(sel):
            body["links"] = [{"href": "%s%s?limit=%d&offset=%d%s" % (
                self.base_url(), path, limit, offset + limit, extra), "rel": "next"}]
        return Reply(200, body)

    def list_records(self, dom, query, path):
        rtype = query.get("type", [None])[0]
        name = query.get("name", [None])[0]
        if name is not None and rtype is None:
            return Reply(400, {"validationErrors": {"messages": [
                "type is required when filtering by name"]}, "code": 400})
        try:
            limit = int(query.get("limit", ["100"])[0])
            offset = int(query.get("offset", ["0"])[0])
        except ValueError:
            return fault(400, "limit and offset must be integers")
        limit = max(1, min(limit, 100))
        if self.state.db["page_size"]:
            limit = min(limit, self.state.db["page_size"])
        sel = dom["records"]
        if not self.state.db["ignore_filters"]:
            sel = [r for r in sel if (rtype is None or r["type"] == rtype) and
                   (name is None or r["name"] == name)]
        chunk = sel[offset: offset + limit]
        links = []
        extra = "".join("&%s=%s" % (k, query[k][0]) for k in ("type", "name") if k in query)
        base = self.base_url() + path
        if offset > 0:
            links.append({"href": "%s?limit=%d&offset=%d%s" % (base, limit, max(0, offset - limit), extra),
                          "rel": "previous"})
        if offset + limit < len(sel):
            links.append({"href": "%s?limit=%d&offset=%d%s" % (base, limit, offset + limit, extra),
                          "rel": "next"})
        body = {"records": chunk, "totalEntries": len(sel)}
        if links:
            body["links"] = links
        return Reply(200, body)

    def validate(self, dom, rtype, rec_in):
        msgs = []
        name, data, ttl = rec_in.get("name"), rec_in.get("data"), rec_in.get("ttl", 300)
        if not isinstance(name, str) or not (name == dom["name"] or name.endswith("." + dom["name"])):
            msgs.append("Record name must be within the domain %s." % dom["name"])
        if rtype == "A" and not (isinstance(data, str) and is_ipv4(data)):
            msgs.append("Invalid IPv4 address.")
        if rtype == "AAAA" and not (isinstance(data, str) and is_ipv6(data)):
            msgs.append("Invalid IPv6 address.")
        if not isinstance(ttl, int) or ttl < 300:
            msgs.append("Minimum TTL is 300 seconds.")
        if msgs:
            return Reply(400, {"validationErrors": {"messages": msgs}, "code": 400})
        return None

    def check_write(self, body):
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return fault(415, "Unsupported Media Type", "Content-Type must be application/json")
        if isinstance(body, ValueError) or not isinstance(body, dict):
            return fault(400, "Bad Request", "Invalid JSON in request body")
        return None

    def new_job(self, verb, path, apply):
        db = self.state.db
        job_id = str(uuid.uuid4())
        job = {"jobId": job_id, "verb": verb, "status": "RUNNING",
               "callbackUrl": "%s/v1.0/%s/status/%s" % (self.base_url(), TENANT, job_id),
               "requestUrl": self.base_url() + path,
               "polls_left": db["job_polls"], "error": db["job_error"], "apply": apply}
        db["job_error"] = None
        db["jobs"][job_id] = job
        return Reply(202, self.job_view(job, False))

    def job_view(self, job, details):
        view = {k: job[k] for k in ("status", "verb", "jobId", "callbackUrl", "requestUrl")}
        if details and job["status"] == "COMPLETED" and job.get("response") is not None:
            view["response"] = job["response"]
        if job["status"] == "ERROR":
            view["error"] = {"failedItems": {"faults": [{"message": job["error"], "code": 400}]},
                             "message": job["error"], "code": 400,
                             "details": "Domain ID: ... failed"}
        return view

    def job_status(self, job_id, query):
        job = self.state.db["jobs"].get(job_id)
        if job is None:
            return Reply(404, {"itemNotFound": {"code": 404, "message": "Object not Found."}})
        details = query.get("showDetails", ["false"])[0] == "true"
        if job["status"] == "RUNNING":
            if job["polls_left"] > 0:
                job["polls_left"] -= 1
                return Reply(202, self.job_view(job, details))
            if job["error"]:
                job["status"] = "ERROR"
            else:
                job["response"] = job["apply"]()
                job["status"] = "COMPLETED"
        return Reply(200, self.job_view(job, details))

    def modify(self, dom, rec, body):
        bad = self.check_write(body)
        if bad:
            return bad
        merged = dict(rec)
        merged.update({k: body[k] for k in ("name", "data", "ttl") if k in body})
        bad = self.validate(dom, rec["type"], merged)
        if bad:
            return bad

        def apply():
            rec.update({k: merged[k] for k in ("name", "data", "ttl")})
            rec["updated"] = iso(utcnow())
            return None
        return self.new_job("PUT", self.path.split("?")[0], apply)

    def create(self, dom, body):
        bad = self.check_write(body)
        if bad:
            return bad
        recs = body.get("records")
        if not isinstance(recs, list) or not recs:
            return fault(400, "Bad Request", "records must be a non-empty list")
        for r in recs:
            if not isinstance(r, dict) or r.get("type") not in ("A", "AAAA", "CNAME", "TXT", "MX", "NS"):
                return Reply(400, {"validationErrors": {"messages": ["Invalid record type."]},
                                   "code": 400})
            bad = self.validate(dom, r["type"], r)
            if bad:
                return bad

        def apply():
            made = [type(self).add_record(dom["name"], r["type"], r["name"], r["data"],
                                          r.get("ttl", 3600)) for r in recs]
            return {"records": made}
        return self.new_job("POST", self.path.split("?")[0], apply)


if __name__ == "__main__":
    sys.exit(serve(RackspaceMock, sys.argv))
