#!/usr/bin/env python3
"""Mock of Amazon Route 53's REST-XML API (2013-04-01), as botocore's service
model (data/route53/2013-04-01/service-2.json) and the AWS API reference
describe it, for what route53.so uses:

  GET  /2013-04-01/hostedzonesbyname?dnsname=D[&hostedzoneid=Z]&maxitems=N
       zones in Route 53's order (labels reversed: com.example.a), from the
       first one >= D; IsTruncated, NextDNSName and NextHostedZoneId page on
  POST /2013-04-01/hostedzone/{Id}/rrset/    ChangeResourceRecordSetsRequest
       (CREATE | DELETE | UPSERT, applied as one batch or not at all)
       200 <ChangeResourceRecordSetsResponse><ChangeInfo> Status PENDING
  GET  /2013-04-01/change/{Id}               PENDING, later INSYNC
  GET  /2013-04-01/hostedzone/{Id}/rrset?maxitems=N&name=N&type=T
       ListResourceRecordSets: the sets from (name, type) on
Every request must carry an AWS Signature Version 4 for region us-east-1 and
service route53: the mock recomputes it with botocore (python3-botocore) from
what it received, so a request signed wrongly gets 403
SignatureDoesNotMatch, as from AWS.  Unknown key id: 403
InvalidClientTokenId.  Errors: <ErrorResponse><Error><Type><Code><Message>
</Error><RequestId>; InvalidChangeBatch 400 with <Messages>; NoSuchHostedZone
404; NoSuchChange 404; throttling is 400 Code Throttling "Rate exceeded"; a
change to a zone whose previous change is not INSYNC can be answered 400
PriorRequestNotComplete (control "prior": N).

Control keys (besides mock_common's; "ratelimit" gives Throttling):
  change_polls: N   GetChange answers PENDING N times, then INSYNC (default 1)
  prior: N          the next N change requests get PriorRequestNotComplete
  page_size: N      caps maxitems
  keys: {id: secret}  the accepted credentials (default AKIDTEST/secret below)
/_state: {"zones": {zone name (or "private:name"): [{"name", "type", "value",
"ttl"}]}, "changes": N}
"""
import datetime
import sys
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from mock_common import SEED_RECORDS, MockHandler, Reply, is_ipv4, is_ipv6, serve

NS = "https://route53.amazonaws.com/doc/2013-04-01/"
KEY_ID = "AKIDTEST7EXAMPLE"
SECRET = "r53/test+Secret/Key0123456789abcdefghijkl"


def xml_reply(status, body, headers=None):
    h = {"Content-Type": "text/xml", "x-amzn-RequestId": str(uuid.uuid4())}
    h.update(headers or {})
    return Reply(status, raw=('<?xml version="1.0"?>\n' + body).encode(), headers=h)


def error(status, code, message, sender=True):
    return xml_reply(status, '<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code>'
                     '<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>'
                     % (NS, "Sender" if sender else "Receiver", code, escape(message),
                        uuid.uuid4()))


def batch_error(messages):
    return xml_reply(400, '<InvalidChangeBatch xmlns="%s"><Messages>%s</Messages>'
                     '</InvalidChangeBatch>' % (NS, "".join("<Message>%s</Message>" % escape(m)
                                                           for m in messages)))


def order_key(name):
    return ".".join(reversed(name.rstrip(".").lower().split(".")))


class Route53Mock(MockHandler):
    @classmethod
    def reset(cls):
        cls.state.db = {"zones": {}, "changes": {}, "next_change": 1,
                        "change_polls": 1, "prior": 0, "keys": {KEY_ID: SECRET}}
        # A private zone of the same name sorts first: the plugin must skip it.
        cls.add_zone("Z0PRIVATE0000000000001", "example.com", True)
        cls.add_zone("Z1PUBLIC00000000000001", "example.com", False)
        cls.add_zone("Z3HOME000000000000003", "home.example.com", False)
        cls.add_zone("Z2OTHER00000000000002", "example.org", False)
        z = cls.state.db["zones"]["Z1PUBLIC00000000000001"]
        for rtype, name, data in SEED_RECORDS:
            z["rrsets"][(name + ".", rtype)] = {"ttl": 300, "values": [data]}

    @classmethod
    def add_zone(cls, zid, name, private):
        cls.state.db["zones"][zid] = {"id": zid, "name": name + ".", "private": private,
                                      "rrsets": {}}

    def control(self, ctl):
        db = self.state.db
        for k in ("change_polls", "prior", "page_size"):
            if k in ctl:
                db[k] = int(ctl[k])
        if "keys" in ctl:
            db["keys"] = dict(ctl["keys"])
        for z in ctl.get("zones", []):  # [{id, name, private}]
            self.add_zone(z["id"], z["name"], bool(z.get("private")))
        return None

    def rate_limit_reply(self, retry_after):
        return error(400, "Throttling", "Rate exceeded")

    def server_error_reply(self):
        return error(500, "InternalFailure", "The request processing has failed because of "
                     "an unknown error, exception or failure.", sender=False)

    def snapshot(self):
        out = {}
        for z in self.state.db["zones"].values():
            key = ("private:" if z["private"] else "") + z["name"].rstrip(".")
            out[key] = [{"name": n.rstrip("."), "type": t, "value": v, "ttl": rr["ttl"]}
                        for (n, t), rr in sorted(z["rrsets"].items()) for v in rr["values"]]
        return {"zones": out, "changes": len(self.state.db["changes"])}

    # --- SigV4, checked with botocore -------------------------------------
    def check_signature(self):
        auth = self.headers.get("Authorization")
        if not auth:
            return error(403, "MissingAuthenticationTokenException",
                         "Missing Authentication Token")
        try:
            algo, rest = auth.split(" ", 1)
            parts = dict(p.strip().split("=", 1) for p in rest.split(","))
            cred = parts["Credential"].split("/")
            signed = parts["SignedHeaders"].split(";")
            got = parts["Signature"]
        except (ValueError, KeyError):
            return error(400, "IncompleteSignatureException", "Authorization header malformed")
        if algo != "AWS4-HMAC-SHA256" or len(cred) != 5:
            return error(400, "IncompleteSignatureException", "Unsupported algorithm")
        key_id, day, region, service, term = cred
        secret = self.state.db["keys"].get(key_id)
        if secret is None:
            return error(403, "InvalidClientTokenId",
                         "The security token included in the request is invalid.")
        if region != "us-east-1" or service != "route53" or term != "aws4_request":
            return error(403, "SignatureDoesNotMatch", "Credential should be scoped to a "
                         "valid region (us-east-1) and service (route53), not %s/%s"
                         % (region, service))
        amz_date = self.headers.get("X-Amz-Date")
        if not amz_date or amz_date[:8] != day:
            return error(403, "SignatureDoesNotMatch", "X-Amz-Date missing or not of the "
                         "credential's day")
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
        if abs((datetime.datetime.utcnow() - when).total_seconds()) > 300:
            return error(403, "SignatureDoesNotMatch", "Signature expired")
        if "host" not in signed or "x-amz-date" not in signed:
            return error(403, "SignatureDoesNotMatch", "host and x-amz-date must be signed")
        headers = {}
        for name in signed:
            v = self.headers.get(name)
            if v is None:
                return error(403, "SignatureDoesNotMatch", "signed header %s absent" % name)
            headers[name] = v
        token = self.headers.get("X-Amz-Security-Token")
        req = AWSRequest(method=self.command, url="http://%s%s" % (headers["host"], self.path),
                         data=self.raw_body, headers=headers)
        req.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(key_id, secret, token), "route53", "us-east-1")
        canonical = signer.canonical_request(req)
        want = signer.signature(signer.string_to_sign(req, canonical), req)
        if signer.signed_headers(signer.headers_to_sign(req)) != parts["SignedHeaders"] or \
                want != got:
            return error(403, "SignatureDoesNotMatch", "The request signature we calculated "
                         "does not match the signature you provided.")
        return None

    # --- the API ------------------------------------------------------------
    def api(self, method, path, query, body):
        bad = self.check_signature()
        if bad:
            return bad
        p = path.split("/")
        if method == "GET" and path == "/2013-04-01/hostedzonesbyname":
            return self.list_by_name(query)
        if method == "POST" and len(p) == 6 and p[2] == "hostedzone" and p[4] == "rrset" \
                and p[5] == "":
            return self.change(p[3])
        if method == "POST" and len(p) == 5 and p[2] == "hostedzone" and p[4] == "rrset":
            return error(404, "UnknownOperationException", "no such operation (the path "
                         "ends in /rrset/)")
        if method == "GET" and len(p) == 5 and p[2] == "hostedzone" and p[4] == "rrset":
            return self.list_rrsets(p[3], query)
        if method == "GET" and len(p) == 4 and p[2] == "change":
            return self.get_change(p[3])
        return error(404, "UnknownOperationException", "Unknown operation %s %s"
                     % (method, path))

    def zone_xml(self, z):
        return ("<HostedZone><Id>/hostedzone/%s</Id><Name>%s</Name><CallerReference>%s"
                "</CallerReference><Config><PrivateZone>%s</PrivateZone></Config>"
                "<ResourceRecordSetCount>%d</ResourceRecordSetCount></HostedZone>"
                % (z["id"], z["name"], z["id"].lower(), "true" if z["private"] else "false",
                   len(z["rrsets"]) + 2))

    def list_by_name(self, query):
        db = self.state.db
        dnsname = query.get("dnsname", [""])[0]
        zid = query.get("hostedzoneid", [None])[0]
        if zid and not dnsname:
            return error(400, "InvalidInput", "hostedzoneid requires dnsname")
        try:
            maxitems = int(query.get("maxitems", ["100"])[0])
        except ValueError:
            return error(400, "InvalidInput", "maxitems must be a number")
        maxitems = max(1, min(maxitems, 100, db.get("page_size") or 100))
        zones = sorted(db["zones"].values(), key=lambda z: (order_key(z["name"]), z["id"]))
        start = (order_key(dnsname), zid or "")
        sel = [z for z in zones if (order_key(z["name"]), z["id"]) >= start] if dnsname \
            else zones
        page, more = sel[:maxitems], sel[maxitems:]
        xml = ['<ListHostedZonesByNameResponse xmlns="%s"><HostedZones>' % NS]
        xml += [self.zone_xml(z) for z in page]
        xml.append("</HostedZones>")
        if dnsname:
            xml.append("<DNSName>%s</DNSName>" % escape(dnsname))
        xml.append("<IsTruncated>%s</IsTruncated><MaxItems>%d</MaxItems>"
                   % ("true" if more else "false", maxitems))
        if more:
            xml.append("<NextDNSName>%s</NextDNSName><NextHostedZoneId>%s</NextHostedZoneId>"
                       % (more[0]["name"], more[0]["id"]))
        xml.append("</ListHostedZonesByNameResponse>")
        return xml_reply(200, "".join(xml))

    def change(self, zid):
        db = self.state.db
        z = db["zones"].get(zid)
        if z is None:
            return error(404, "NoSuchHostedZone", "No hosted zone found with ID: %s" % zid)
        if self.headers.get("Content-Type", "").split(";")[0] not in ("application/xml",
                                                                      "text/xml"):
            return error(400, "InvalidInput", "Content-Type must be XML")
        try:
            root = ET.fromstring(self.raw_body)
        except ET.ParseError as e:
            return error(400, "MalformedInput", "Could not parse the request: %s" % e)
        q = "{%s}" % NS
        if root.tag != q + "ChangeResourceRecordSetsRequest":
            return error(400, "MalformedInput", "expected ChangeResourceRecordSetsRequest in "
                         "namespace %s, got %s" % (NS, root.tag))
        changes = root.findall("%sChangeBatch/%sChanges/%sChange" % (q, q, q))
        if not changes:
            return error(400, "InvalidInput", "ChangeBatch has no Changes")
        if db["prior"] > 0:
            db["prior"] -= 1
            return error(400, "PriorRequestNotComplete", "The request was rejected because "
                         "Route 53 was still processing a prior request.")
        rrsets = {k: {"ttl": v["ttl"], "values": list(v["values"])}
                  for k, v in z["rrsets"].items()}
        msgs = []
        for ch in changes:
            action = ch.findtext(q + "Action")
            rs = ch.find(q + "ResourceRecordSet")
            name = (rs.findtext(q + "Name") or "").lower() if rs is not None else ""
            rtype = rs.findtext(q + "Type") if rs is not None else None
            ttl = rs.findtext(q + "TTL") if rs is not None else None
            values = [v.text or "" for v in rs.findall("%sResourceRecords/%sResourceRecord/"
                                                        "%sValue" % (q, q, q))] \
                if rs is not None else []
            if action not in ("CREATE", "DELETE", "UPSERT"):
                msgs.append("Invalid action %s" % action)
                continue
            if not name.endswith(".") or not (name == z["name"] or name.endswith("." + z["name"])):
                msgs.append("RRSet with DNS name %s is not permitted in zone %s"
                            % (name, z["name"]))
                continue
            if rtype not in ("A", "AAAA", "TXT", "CNAME"):
                msgs.append("Invalid type %s" % rtype)
                continue
            if ttl is None or not ttl.isdigit() or not values:
                msgs.append("Invalid request: Missing field 'TTL' or 'ResourceRecords' in "
                            "Change with [Action=%s, Name=%s, Type=%s]" % (action, name, rtype))
                continue
            check = {"A": is_ipv4, "AAAA": is_ipv6,
                     "TXT": lambda v: len(v) >= 2 and v[0] == '"' and v[-1] == '"',
                     "CNAME": lambda v: True}[rtype]
            if not all(check(v) for v in values):
                msgs.append("Invalid Resource Record: 'FATAL problem: %s (Value is not "
                            "valid) encountered with '%s''" % (rtype, values[0]))
                continue
            key = (name, rtype)
            if action == "CREATE" and key in rrsets:
                msgs.append("Tried to create resource record set [name='%s', type='%s'] but "
                            "it already exists" % key)
            elif action == "DELETE" and (key not in rrsets or rrsets[key]["values"] != values):
                msgs.append("Tried to delete resource record set [name='%s', type='%s'] but "
                            "it was not found" % key)
            elif action == "DELETE":
                del rrsets[key]
            else:
                rrsets[key] = {"ttl": int(ttl), "values": values}
        if msgs:
            return batch_error(msgs)
        z["rrsets"] = rrsets
        cid = "C%017dQ" % db["next_change"]
        db["next_change"] += 1
        db["changes"][cid] = db["change_polls"]
        return xml_reply(200, '<ChangeResourceRecordSetsResponse xmlns="%s"><ChangeInfo>'
                         '<Id>/change/%s</Id><Status>PENDING</Status><SubmittedAt>%s'
                         '</SubmittedAt><Comment>%s</Comment></ChangeInfo>'
                         '</ChangeResourceRecordSetsResponse>'
                         % (NS, cid, datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                            escape(root.findtext("%sChangeBatch/%sComment" % (q, q)) or "")))

    def list_rrsets(self, zid, query):
        """ListResourceRecordSets: the sets from (name, type) on, in Route 53's
        order (names by reversed labels, then type)."""
        z = self.state.db["zones"].get(zid)
        if z is None:
            return error(404, "NoSuchHostedZone", "No hosted zone found with ID: %s" % zid)
        name = query.get("name", [None])[0]
        rtype = query.get("type", [None])[0]
        if rtype and not name:
            return error(400, "InvalidInput", "type requires name")
        maxitems = int(query.get("maxitems", ["100"])[0])
        sets = sorted(z["rrsets"].items(), key=lambda kv: (order_key(kv[0][0]), kv[0][1]))
        if name:
            start = (order_key(name), rtype or "")
            sets = [kv for kv in sets if (order_key(kv[0][0]), kv[0][1]) >= start]
        page, more = sets[:maxitems], sets[maxitems:]
        xml = ['<ListResourceRecordSetsResponse xmlns="%s"><ResourceRecordSets>' % NS]
        for (n, t), rr in page:
            xml.append("<ResourceRecordSet><Name>%s</Name><Type>%s</Type><TTL>%d</TTL>"
                       "<ResourceRecords>%s</ResourceRecords></ResourceRecordSet>"
                       % (escape(n), t, rr["ttl"], "".join(
                           "<ResourceRecord><Value>%s</Value></ResourceRecord>" % escape(v)
                           for v in rr["values"])))
        xml.append("</ResourceRecordSets><IsTruncated>%s</IsTruncated><MaxItems>%d</MaxItems>"
                   % ("true" if more else "false", maxitems))
        if more:
            xml.append("<NextRecordName>%s</NextRecordName><NextRecordType>%s</NextRecordType>"
                       % (escape(more[0][0][0]), more[0][0][1]))
        xml.append("</ListResourceRecordSetsResponse>")
        return xml_reply(200, "".join(xml))

    def get_change(self, cid):
        db = self.state.db
        if cid not in db["changes"]:
            return error(404, "NoSuchChange", "A change with the specified change ID does not "
                         "exist.")
        left = db["changes"][cid]
        status = "INSYNC" if left <= 0 else "PENDING"
        db["changes"][cid] = left - 1
        return xml_reply(200, '<GetChangeResponse xmlns="%s"><ChangeInfo><Id>/change/%s</Id>'
                         '<Status>%s</Status><SubmittedAt>2026-12-05T00:00:00.000Z'
                         '</SubmittedAt></ChangeInfo></GetChangeResponse>' % (NS, cid, status))


if __name__ == "__main__":
    sys.exit(serve(Route53Mock, sys.argv))
