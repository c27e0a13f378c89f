#!/bin/bash
# The mock provider APIs themselves: they refuse what the real APIs refuse
# (wrong token, wrong Content-Type, bad JSON, invalid data, short TTLs,
# expired tokens) with the real status codes and error shapes, so a plugin
# that sends a wrong request fails its tests.
. "$top_srcdir/tests/lib/e2e.sh"
. "$top_srcdir/tests/lib/mock_api.sh"

e2e_init

# call METHOD URL [CURL ARGS...]: sets CODE and BODY
call() {
	local method=$1 url=$2
	shift 2
	CODE=$(curl -s -o "$E2E_DIR/body" -w '%{http_code}' -X "$method" "$@" "$url")
	BODY=$(cat "$E2E_DIR/body")
}
# field EXPR: a python expression on the JSON body `b`
field() {
	python3 -c 'import json, sys
b = json.loads(sys.argv[1])
print(eval(sys.argv[2]))' "$BODY" "$1"
}

mock_api_e2e DO mock_digitalocean.py
mock_api_e2e CF mock_cloudflare.py
mock_api_e2e RS mock_rackspace.py
DO=http://127.0.0.1:$DO_PORT
CF=http://127.0.0.1:$CF_PORT/client/v4
RS=http://127.0.0.1:$RS_PORT
GOOD_DO=(-H 'Authorization: Bearer do-good-token')
GOOD_CF=(-H 'Authorization: Bearer cf-good-token')

# --- DigitalOcean ---
call GET "$DO/v2/domains/example.com/records" -H 'Authorization: Bearer nope'
expect_eq "do: wrong token -> 401" "$CODE" 401
expect_eq "do: ... unauthorized" "$(field 'b["id"]')" unauthorized
call GET "$DO/v2/domains/example.com/records?type=A&name=a.example.com" "${GOOD_DO[@]}"
expect_eq "do: list by type and FQDN" "$(field '[r["name"] for r in b["domain_records"]]')" "['a']"
expect_eq "do: ids are numbers" "$(field 'type(b["domain_records"][0]["id"]).__name__')" int
check "do: ratelimit headers" grep -q . <(curl -s -D - -o /dev/null "${GOOD_DO[@]}" "$DO/v2/domains/example.com" | grep -i '^ratelimit-remaining:')
ID=$(field 'b["domain_records"][0]["id"]')
call PATCH "$DO/v2/domains/example.com/records/$ID" "${GOOD_DO[@]}" -d '{"data":"203.0.113.1"}'
expect_eq "do: PATCH without Content-Type: application/json -> 400" "$CODE" 400
call PATCH "$DO/v2/domains/example.com/records/$ID" "${GOOD_DO[@]}" \
	-H 'Content-Type: application/json' -d '{"data":"not-an-ip"}'
expect_eq "do: A data that is no IPv4 -> 422" "$CODE" 422
call PATCH "$DO/v2/domains/example.com/records/$ID" "${GOOD_DO[@]}" \
	-H 'Content-Type: application/json' -d '{"data":'
expect_eq "do: broken JSON -> 400" "$CODE" 400
call POST "$DO/v2/domains/example.com/records" "${GOOD_DO[@]}" \
	-H 'Content-Type: application/json' -d '{"type":"A","name":"n.example.com","data":"203.0.113.1"}'
expect_eq "do: create with a FQDN instead of a relative name -> 422" "$CODE" 422
call GET "$DO/v2/domains/nope.example.com" "${GOOD_DO[@]}"
expect_eq "do: unknown domain -> 404 not_found" "$CODE $(field 'b["id"]')" "404 not_found"
curl -s -X POST -d '{"page_size":2}' "$DO/_control" >/dev/null
call GET "$DO/v2/domains/example.com/records" "${GOOD_DO[@]}"
check "do: a next page link when there is more" \
	test "$(field '"page=2" in b["links"]["pages"]["next"]')" = True

# --- Cloudflare ---
call GET "$CF/zones?name=example.com"
expect_eq "cf: no Authorization -> 400" "$CODE" 400
call GET "$CF/zones?name=example.com" -H 'Authorization: Bearer nope'
expect_eq "cf: wrong token -> 403 code 10000" "$CODE $(field 'b["errors"][0]["code"]')" "403 10000"
call GET "$CF/zones?name=example.com" "${GOOD_CF[@]}"
expect_eq "cf: the zone, in the envelope" "$(field 'b["success"], b["result"][0]["name"]')" "(True, 'example.com')"
ZID=$(field 'b["result"][0]["id"]')
call GET "$CF/zones/$ZID/dns_records?type=A&name=a.example.com" "${GOOD_CF[@]}"
expect_eq "cf: records named in full, result_info" \
	"$(field 'b["result"][0]["name"], b["result_info"]["total_pages"]')" "('a.example.com', 1)"
RID=$(field 'b["result"][0]["id"]')
call PATCH "$CF/zones/$ZID/dns_records/$RID" "${GOOD_CF[@]}" -H 'Content-Type: application/json' \
	-d '{"ttl":30}'
expect_eq "cf: ttl 30 -> 400" "$CODE" 400
call PATCH "$CF/zones/$ZID/dns_records/$RID" "${GOOD_CF[@]}" -d '{"content":"203.0.113.1"}'
expect_eq "cf: PATCH without JSON Content-Type -> 400" "$CODE" 400
call PATCH "$CF/zones/0123/dns_records/$RID" "${GOOD_CF[@]}" -H 'Content-Type: application/json' \
	-d '{"content":"203.0.113.1"}'
expect_eq "cf: unknown zone id -> 404 code 7003" "$CODE $(field 'b["errors"][0]["code"]')" "404 7003"

# --- Rackspace ---
call POST "$RS/v2.0/tokens" -H 'Content-Type: application/json' \
	-d '{"auth":{"RAX-KSKEY:apiKeyCredentials":{"username":"rsuser","apiKey":"wrong"}}}'
expect_eq "rs: bad API key -> 401" "$CODE $(field 'b["unauthorized"]["code"]')" "401 401"
call POST "$RS/v2.0/tokens" -H 'Content-Type: application/json' -d '{"auth":{}}'
expect_eq "rs: no credentials -> 400" "$CODE" 400
call POST "$RS/v2.0/tokens" -H 'Content-Type: application/json' \
	-d '{"auth":{"RAX-KSKEY:apiKeyCredentials":{"username":"rsuser","apiKey":"rs-good-key"}}}'
expect_eq "rs: a token" "$CODE" 200
TOKEN=$(field 'b["access"]["token"]["id"]')
EP=$(field '[e["publicURL"] for s in b["access"]["serviceCatalog"] if s["type"] == "rax:dns" for e in s["endpoints"]][0]')
call GET "$EP/domains?name=example.com" -H "X-Auth-Token: $TOKEN"
expect_eq "rs: Accept must ask for JSON" "$CODE" 406
call GET "$EP/domains?name=example.com" -H "X-Auth-Token: $TOKEN" -H 'Accept: application/json'
DID=$(field 'b["domains"][0]["id"]')
call GET "$EP/domains/$DID/records?type=A&name=a.example.com" -H "X-Auth-Token: $TOKEN" \
	-H 'Accept: application/json'
RID=$(field 'b["records"][0]["id"]')
expect_eq "rs: record ids like A-nnn" "${RID%%-*}" A
call PUT "$EP/domains/$DID/records/$RID" -H "X-Auth-Token: $TOKEN" -H 'Accept: application/json' \
	-H 'Content-Type: application/json' -d '{"name":"a.example.com","data":"203.0.113.1","ttl":60}'
expect_eq "rs: ttl under 300 -> 400 validationErrors" \
	"$CODE $(field 'b["validationErrors"]["messages"][0]')" "400 Minimum TTL is 300 seconds."
call PUT "$EP/domains/$DID/records/$RID" -H "X-Auth-Token: $TOKEN" -H 'Accept: application/json' \
	-H 'Content-Type: application/json' -d '{"name":"a.example.com","data":"203.0.113.1"}'
expect_eq "rs: PUT -> 202 job" "$CODE $(field 'b["status"]')" "202 RUNNING"
CB=$(field 'b["callbackUrl"]')
call GET "$CB?showDetails=true" -H "X-Auth-Token: $TOKEN" -H 'Accept: application/json'
expect_eq "rs: first poll: still RUNNING" "$CODE $(field 'b["status"]')" "202 RUNNING"
call GET "$CB?showDetails=true" -H "X-Auth-Token: $TOKEN" -H 'Accept: application/json'
expect_eq "rs: then COMPLETED" "$CODE $(field 'b["status"]')" "200 COMPLETED"
curl -s -X POST -d '{"expire_tokens":true}' "$RS/_control" >/dev/null
call GET "$EP/domains?name=example.com" -H "X-Auth-Token: $TOKEN" -H 'Accept: application/json'
expect_eq "rs: a revoked token -> 401" "$CODE" 401
curl -s -X POST -d '{"ratelimit":1,"retry_after":3}' "$RS/_control" >/dev/null
call GET "$EP/domains?name=example.com" -H "X-Auth-Token: $TOKEN" -H 'Accept: application/json'
expect_eq "rs: over the limit -> 413 overLimit" "$CODE $(field '"retryAfter" in b["overLimit"]')" "413 True"

e2e_finish
