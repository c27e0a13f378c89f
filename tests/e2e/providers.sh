#!/bin/bash
# Provider plugins end to end: curl -> the real ddnsd -> digitalocean.so /
# cloudflare.so / rackspace.so -> the python mocks of their APIs
# (tests/plugins/providers/mock_*.py).  Checks what each mock received and
# what the client was answered: 200 on a change, 502 with the provider's
# words on a failure, 504 past the update timeout; then 100 different
# records updated at once through one ddnsd while it keeps answering reads.
. "$top_srcdir/tests/lib/e2e.sh"
. "$top_srcdir/tests/lib/mock_api.sh"
: "${DDNSCTL:?DDNSCTL must point at the ddnsctl binary}"

e2e_init_http
BULK=100

# ctl PORT JSON: drive a mock's control interface
ctl() {
	curl -sf -X POST -d "$2" "http://127.0.0.1:$1/_control" >/dev/null
}
# mock_data PORT ZONE NAME TYPE [FIELD]: a record's data in a mock ("" if none)
mock_data() {
	curl -sf "http://127.0.0.1:$1/_state" | python3 -c 'import json, sys
zone, name, rtype, field = sys.argv[1:5]
for r in json.load(sys.stdin)["zones"].get(zone, []):
    if r["name"] == name and r["type"] == rtype:
        print(r[field])' "$2" "$3" "$4" "${5:-data}"
}
# mock_count PORT METHOD PATH_PART: requests a mock received
mock_count() {
	curl -sf "http://127.0.0.1:$1/_requests" | python3 -c 'import json, sys
m, p = sys.argv[1:3]
print(sum(1 for r in json.load(sys.stdin) if r["method"] == m and p in r["path"]))' "$2" "$3"
}
# update NAME KEY IP: POST the seed API; sets CODE and BODY
update() {
	local out
	out=$(curl -s -o "$E2E_DIR/body" -w '%{http_code}' --max-time 30 \
		--data "key=$2&ip=$3" "$BASE/dynamicdns/update/$1/")
	CODE=$out
	BODY=$(cat "$E2E_DIR/body")
}
json() {
	python3 -c 'import json, sys
v = json.loads(sys.argv[1]).get(sys.argv[2], "<absent>")
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$BODY" "$1"
}
key() { printf 'Key%047d' "$1"; }

mock_api_e2e DO mock_digitalocean.py
mock_api_e2e CF mock_cloudflare.py
mock_api_e2e RS mock_rackspace.py
mock_api_e2e HZ mock_hetzner.py
mock_api_e2e R53 mock_route53.py

# The bulk records exist at DigitalOcean already.
python3 - "$BULK" >"$E2E_DIR/bulk.json" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"add": [{"zone": "example.com", "name": "r%d.example.com" % i,
                           "type": "A", "data": "192.0.2.1"} for i in range(1, n + 1)]}))
PY
check "seed $BULK records into the DigitalOcean mock" ctl "$DO_PORT" "$(cat "$E2E_DIR/bulk.json")"

{
	e2e_conf_base
	cat <<EOF
update_timeout_ms = 6000;
auth_fail_delay_ms = 100;
abuse = { max_changes = 0; max_auth_failures = 0; };
providers = {
  do = { plugin = "digitalocean"; token = "do-good-token";
         api_url = "http://127.0.0.1:$DO_PORT"; };
  do_bulk = { plugin = "digitalocean"; token = "do-good-token"; zone = "example.com";
              api_url = "http://127.0.0.1:$DO_PORT"; };
  do_badkey = { plugin = "digitalocean"; token = "revoked-token";
                api_url = "http://127.0.0.1:$DO_PORT"; };
  cf = { plugin = "cloudflare"; token = "cf-good-token"; create = true;
         api_url = "http://127.0.0.1:$CF_PORT/client/v4"; };
  rs = { plugin = "rackspace"; username = "rsuser"; api_key = "rs-good-key";
         identity_url = "http://127.0.0.1:$RS_PORT/v2.0"; };
  hz = { plugin = "hetzner"; token = "hz-good-token"; create = true;
         api_url = "http://127.0.0.1:$HZ_PORT"; };
  r53 = { plugin = "route53"; access_key_id = "AKIDTEST7EXAMPLE";
          secret_access_key = "r53/test+Secret/Key0123456789abcdefghijkl";
          api_url = "http://127.0.0.1:$R53_PORT"; };
};
records = (
  { domain = "a.example.com"; provider = "do"; key_hash = "$(e2e_key_hash "$(key 1)")"; },
  { domain = "www.example.com"; provider = "do_badkey"; key_hash = "$(e2e_key_hash "$(key 2)")"; },
  { domain = "c.example.com"; provider = "cf"; key_hash = "$(e2e_key_hash "$(key 3)")"; },
  { domain = "a.example.com.cf"; provider = "cf"; key_hash = "$(e2e_key_hash "$(key 4)")"; },
  { domain = "r.example.com"; provider = "rs"; key_hash = "$(e2e_key_hash "$(key 5)")"; },
  { domain = "h.example.com"; provider = "hz"; key_hash = "$(e2e_key_hash "$(key 6)")"; },
  { domain = "n.home.example.com"; provider = "r53"; key_hash = "$(e2e_key_hash "$(key 7)")"; }
EOF
	for i in $(seq 1 "$BULK"); do
		printf '  ,{ domain = "r%d.example.com"; provider = "do_bulk"; key_hash = "%s"; }\n' \
			"$i" "$(e2e_key_hash "$(key $((1000 + i)))")"
	done
	echo ');'
} >"$CONF"
# Rackspace has r.example.com already, with an old address.
check "seed r.example.com at Rackspace" ctl "$RS_PORT" \
	'{"add":[{"zone":"example.com","name":"r.example.com","type":"A","data":"192.0.2.50"}]}'

check "ddnsd -t accepts the provider configuration" "$DDNSD" -t -c "$CONF"
e2e_start_ddnsd "$CONF" || exit 1

# A config with DigitalOcean's dead v1 keys is refused, saying what to do.
sed 's/token = "do-good-token"; zone/client_id = "abc"; api_key = "def"; zone/' "$CONF" \
	>"$E2E_DIR/v1.conf"
"$DDNSD" -t -c "$E2E_DIR/v1.conf" >"$E2E_DIR/v1.out" 2>&1
check "the v1 client_id/api_key config is refused" test $? -ne 0
check "... with a pointer to v2 tokens" \
	grep -q "cloud.digitalocean.com/account/api/tokens" "$E2E_DIR/v1.out"

# --- DigitalOcean ---
update a.example.com "$(key 1)" 203.0.113.7
expect_eq "digitalocean: 200" "$CODE" 200
expect_eq "digitalocean: updated" "$(json updated)" true
expect_eq "digitalocean: the mock holds the new A" "$(mock_data "$DO_PORT" example.com a A)" 203.0.113.7
expect_eq "digitalocean: one PATCH" "$(mock_count "$DO_PORT" PATCH /v2/domains/example.com/records/)" 1
update a.example.com "$(key 1)" 2001:db8::7
expect_eq "digitalocean IPv6: 200" "$CODE" 200
expect_eq "digitalocean IPv6: the mock holds the new AAAA" \
	"$(mock_data "$DO_PORT" example.com a AAAA)" 2001:db8::7
expect_eq "digitalocean IPv6: A untouched" "$(mock_data "$DO_PORT" example.com a A)" 203.0.113.7

update www.example.com "$(key 2)" 203.0.113.8
expect_eq "digitalocean, revoked token: 502" "$CODE" 502
check "digitalocean, revoked token: the API's words reach the client" \
	grep -q "Unable to authenticate you" "$E2E_DIR/body"
expect_eq "digitalocean, revoked token: nothing changed" \
	"$(mock_data "$DO_PORT" example.com www A)" 192.0.2.2

ctl "$DO_PORT" '{"ratelimit":1,"retry_after":1,"match":"PATCH"}'
update a.example.com "$(key 1)" 203.0.113.9
expect_eq "digitalocean, rate-limited once: 200 after waiting" "$CODE" 200
expect_eq "digitalocean, rate-limited once: applied" "$(mock_data "$DO_PORT" example.com a A)" 203.0.113.9

ctl "$DO_PORT" '{"ratelimit":1,"retry_after":120,"match":"PATCH"}'
update a.example.com "$(key 1)" 203.0.113.10
expect_eq "digitalocean, rate-limited past the deadline: 502" "$CODE" 502
check "... saying so" grep -q "past the update's deadline" "$E2E_DIR/body"

ctl "$DO_PORT" '{"delay_ms":9000,"delay_count":1,"match":""}'
update a.example.com "$(key 1)" 203.0.113.11
expect_eq "digitalocean, no answer in time: 504" "$CODE" 504
expect_eq "digitalocean, no answer in time: not recorded as applied" \
	"$(curl -s "$BASE/dynamicdns/read/a.example.com/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ip"])')" \
	203.0.113.9

# --- Cloudflare ---
update c.example.com "$(key 3)" 203.0.113.30
expect_eq "cloudflare, created: 200" "$CODE" 200
expect_eq "cloudflare: the mock holds the new record" \
	"$(mock_data "$CF_PORT" example.com c.example.com A content)" 203.0.113.30
ctl "$CF_PORT" '{"malformed":1,"match":"dns_records"}'
update c.example.com "$(key 3)" 203.0.113.31
expect_eq "cloudflare, malformed reply: 502" "$CODE" 502
check "... saying what was expected" grep -q 'expected' "$E2E_DIR/body"
update a.example.com.cf "$(key 4)" 203.0.113.32
expect_eq "cloudflare, zone not in the account: 502" "$CODE" 502
check "... naming the name" grep -q 'no zone in this Cloudflare account holds a.example.com.cf' "$E2E_DIR/body"

# --- Rackspace ---
update r.example.com "$(key 5)" 203.0.113.50
expect_eq "rackspace: 200 once the job COMPLETED" "$CODE" 200
expect_eq "rackspace: the mock holds the new A" "$(mock_data "$RS_PORT" example.com r.example.com A)" 203.0.113.50
check "rackspace: the job was polled" test "$(mock_count "$RS_PORT" GET /status/)" -ge 2
ctl "$RS_PORT" '{"job_error":"Domain example.com is locked for maintenance."}'
update r.example.com "$(key 5)" 203.0.113.51
expect_eq "rackspace, job ERROR: 502" "$CODE" 502
check "rackspace, job ERROR: the API's message reaches the client" \
	grep -q "Domain example.com is locked for maintenance." "$E2E_DIR/body"
check "rackspace, job ERROR: the message is in the history" \
	sh -c "'$DDNSCTL' -c '$CONF' history r.example.com | grep -q 'locked for maintenance'"
ctl "$RS_PORT" '{"expire_tokens":true}'
update r.example.com "$(key 5)" 203.0.113.52
expect_eq "rackspace, token revoked between updates: 200" "$CODE" 200
expect_eq "rackspace: authenticated twice in all" "$(mock_count "$RS_PORT" POST /v2.0/tokens)" 2

# --- Hetzner Cloud API: an RRset created, then set; each confirmed only
# once its action succeeded ---
update h.example.com "$(key 6)" 203.0.113.60
expect_eq "hetzner (created): 200" "$CODE" 200
expect_eq "hetzner: the mock holds the new A" "$(mock_data "$HZ_PORT" example.com h A value)" \
	203.0.113.60
expect_eq "hetzner: its action was polled" "$(mock_count "$HZ_PORT" GET /v1/actions/)" 1
update h.example.com "$(key 6)" 203.0.113.61
expect_eq "hetzner (set_records): 200" "$CODE" 200
expect_eq "hetzner: set_records used" \
	"$(mock_count "$HZ_PORT" POST /rrsets/h/A/actions/set_records)" 1
expect_eq "hetzner: the mock holds the changed A" \
	"$(mock_data "$HZ_PORT" example.com h A value)" 203.0.113.61
check "hetzner: make the next action fail" ctl "$HZ_PORT" '{"action_fail":1}'
update h.example.com "$(key 6)" 203.0.113.62
expect_eq "hetzner, failed action: 502" "$CODE" 502
check "hetzner, failed action: the API's words reach the client" \
	grep -q "the DNS backend refused it" "$E2E_DIR/body"
CODE=$(curl -s -o "$E2E_DIR/body" -w '%{http_code}' "$BASE/dynamicdns/read/h.example.com/")
check "hetzner, failed action: the store keeps the confirmed address" \
	grep -q 203.0.113.61 "$E2E_DIR/body"

# --- Route 53: the longest public zone found, one signed UPSERT, the change
# polled until INSYNC; the mock checks every signature with botocore ---
ctl "$R53_PORT" '{"change_polls":0}'
update n.home.example.com "$(key 7)" 203.0.113.70
expect_eq "route53: 200" "$CODE" 200
expect_eq "route53: the zone home.example.com holds the new A" \
	"$(mock_data "$R53_PORT" home.example.com n.home.example.com A value)" 203.0.113.70
expect_eq "route53: the change was polled" "$(mock_count "$R53_PORT" GET /2013-04-01/change/)" 1
check "route53: throttle the next change" ctl "$R53_PORT" '{"ratelimit":1,"match":"/rrset/"}'
update n.home.example.com "$(key 7)" 203.0.113.71
expect_eq "route53, throttled once: 200" "$CODE" 200
expect_eq "route53: the UPSERT was sent again" "$(mock_count "$R53_PORT" POST /rrset/)" 3
check "route53: the key is revoked" ctl "$R53_PORT" '{"keys":{}}'
update n.home.example.com "$(key 7)" 203.0.113.72
expect_eq "route53, revoked key: 502" "$CODE" 502
check "route53, revoked key: AWS's words reach the client" \
	grep -q "InvalidClientTokenId" "$E2E_DIR/body"
CODE=$(curl -s -o "$E2E_DIR/body" -w '%{http_code}' "$BASE/dynamicdns/read/n.home.example.com/")
check "route53, revoked key: the store keeps the confirmed address" \
	grep -q 203.0.113.71 "$E2E_DIR/body"

# --- 100 records at once, while ddnsd keeps answering ---
# Each mock request takes 1.5 s now, so every update lasts >= 3 s.
ctl "$DO_PORT" '{"delay_ms":1500,"match":"","clear_requests":true}'
START=$(date +%s%N)
PIDS=
for i in $(seq 1 "$BULK"); do
	curl -s -o "$E2E_DIR/bulk.$i" -w '%{http_code}\n' --max-time 30 \
		--data "key=$(key $((1000 + i)))&ip=198.51.100.$i" \
		"$BASE/dynamicdns/update/r$i.example.com/" >"$E2E_DIR/bulk.$i.code" &
	PIDS="$PIDS $!"
done
# The storm has reached ddnsd: it holds a socket for each of its clients
# (the mock logs a request only once it answered, 1.5 s later).
for _ in $(seq 1 200); do
	[ "$(find "/proc/$E2E_DDNSD_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l)" -ge "$BULK" ] &&
		break
	sleep 0.05
done
READ_OK=0
for i in 1 2 3 4 5; do
	t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$BASE/dynamicdns/read/a.example.com/")
	case $t in
	"200 0."* | "200 1."*) READ_OK=$((READ_OK + 1)) ;;
	*) echo "# read during the storm: $t" ;;
	esac
	# Updates finished by now (their PATCH was answered, or not even sent).
	[ "$i" = 1 ] && INFLIGHT=$(mock_count "$DO_PORT" PATCH /records/)
done
wait $PIDS
ELAPSED_MS=$(( ($(date +%s%N) - START) / 1000000 ))
expect_eq "5 reads answered (each within 2 s) during the storm" "$READ_OK" 5
check "the first read came back while updates were in flight (PATCHes seen then: $INFLIGHT)" \
	test "$INFLIGHT" -lt "$BULK"
GOOD=0
for i in $(seq 1 "$BULK"); do
	if [ "$(cat "$E2E_DIR/bulk.$i.code")" = 200 ] &&
		grep -q '"updated": *true' "$E2E_DIR/bulk.$i"; then
		GOOD=$((GOOD + 1))
	fi
done
expect_eq "$BULK concurrent updates: all 200 updated" "$GOOD" "$BULK"
check "... concurrently, not one by one (${ELAPSED_MS} ms)" test "$ELAPSED_MS" -lt 20000
APPLIED=$(curl -sf "http://127.0.0.1:$DO_PORT/_state" | python3 -c 'import json, sys
recs = json.load(sys.stdin)["zones"]["example.com"]
want = {"r%d" % i: "198.51.100.%d" % i for i in range(1, int(sys.argv[1]) + 1)}
print(sum(1 for r in recs if want.get(r["name"]) == r["data"] and r["type"] == "A"))' "$BULK")
expect_eq "$BULK concurrent updates: every record holds its own address at the mock" "$APPLIED" "$BULK"
expect_eq "$BULK concurrent updates: one PATCH each" "$(mock_count "$DO_PORT" PATCH /records/)" "$BULK"

check "ddnsd stops cleanly" e2e_stop_ddnsd
check "no token or key in the log" \
	sh -c "! grep -q -e do-good-token -e cf-good-token -e rs-good-key -e revoked-token '$E2E_DIR/ddnsd.log'"
e2e_finish
