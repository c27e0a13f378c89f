#!/bin/bash
# IPv6 prefix updates end to end: records that follow a router's prefix
# (ipv6_from).  One update of the router's AAAA, through the dynamicdns API
# and then dyndns2, moves three hosts on builtin_dns (asked with dig and
# kdig) and three on digitalocean.so (its python mock's state), each with
# one history row (ddnsctl history); a follower whose provider fails keeps
# its old address and gets a failure row; a follower's own A and a direct
# update of its AAAA stay its own; a reload that changes a suffix moves that
# host at once.
. "$top_srcdir/tests/lib/e2e.sh"
. "$top_srcdir/tests/lib/mock_api.sh"
: "${DDNSCTL:?DDNSCTL must point at the ddnsctl binary}"

e2e_init_http
DIG=$(e2e_find_tool dig bind9-dnsutils) || exit 1
KDIG=$(e2e_find_tool kdig knot-dnsutils) || exit 1
DNS_PORT=$(e2e_free_udp_port)
KR=KeyForTheRouterrrrrrrrrrrrrrrrrrr1
KH=KeyForAHostttttttttttttttttttttttt2
KS=KeyForTheOtherssssssssssssssssssss3
mock_api_e2e DO mock_digitalocean.py
ROUTER=router.dyn.example.org

# ctl_do JSON: drive the DigitalOcean mock's control interface
ctl_do() { curl -sf -X POST -d "$1" "http://127.0.0.1:$DO_PORT/_control" >/dev/null; }
# mock_aaaa NAME: the AAAA the mock holds for NAME in example.com ("" none)
mock_aaaa() {
	curl -sf "http://127.0.0.1:$DO_PORT/_state" | python3 -c 'import json, sys
for r in json.load(sys.stdin)["zones"].get("example.com", []):
    if r["name"] == sys.argv[1] and r["type"] == "AAAA":
        print(r["data"])' "${1%.example.com}"
}
# update NAME KEY IP: the seed's API; prints the HTTP status
update() {
	curl -sS -o "$E2E_DIR/body" -w '%{http_code}' --max-time 30 \
		"$BASE/dynamicdns/update/$1/" --data "key=$2&ip=$3"
}
aaaa() { "$DIG" @127.0.0.1 -p "$DNS_PORT" +norec +time=3 +tries=2 +short "$1" AAAA; }
a() { "$DIG" @127.0.0.1 -p "$DNS_PORT" +norec +time=3 +tries=2 +short "$1" A; }
aaaa_tcp() { "$KDIG" @127.0.0.1 -p "$DNS_PORT" +tcp +norec +short "$1" AAAA; }
# history NAME: its rows, newest first
history() { "$DDNSCTL" -d "$E2E_DIR/ddns.sqlite" history -n 100 "$1"; }
rows() { history "$1" | grep -c "$2"; }
# wait_rows N: until the followers' history holds N rows in all (10 s)
wait_rows() {
	local i
	for i in $(seq 1 200); do
		[ "$("$DDNSCTL" -d "$E2E_DIR/ddns.sqlite" history -n 1000 |
			grep -c "prefix of $ROUTER")" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
stored6() { "$DDNSCTL" -d "$E2E_DIR/ddns.sqlite" show "$1" | sed -n 's/^ipv6: *//p'; }

write_conf() { # write_conf H2_SUFFIX
	e2e_conf_base
	cat <<EOF
auth_fail_delay_ms = 100;
update_timeout_ms = 5000;
abuse = { max_changes = 0; };
providers = {
  dns = { plugin = "builtin_dns"; listen = "127.0.0.1:$DNS_PORT"; zone = "dyn.example.org";
          ttl = 1; udp_threads = 0; };
  do = { plugin = "digitalocean"; token = "do-good-token"; create = true;
         api_url = "http://127.0.0.1:$DO_PORT"; };
  flaky = { plugin = "digitalocean"; token = "flaky-token"; create = true;
            api_url = "http://127.0.0.1:$DO_PORT"; };
};
records = (
  { domain = "$ROUTER"; provider = "dns"; key_hash = "$(e2e_key_hash $KR)"; },
  { domain = "h1.dyn.example.org"; provider = "dns"; key_hash = "$(e2e_key_hash $KH)";
    ipv6_from = "$ROUTER"; ipv6_suffix = "::1"; },
  { domain = "h2.dyn.example.org"; provider = "dns"; key_hash = "$(e2e_key_hash $KS)";
    ipv6_from = "$ROUTER"; ipv6_suffix = "$1"; ipv6_prefix_len = 64; },
  { domain = "h3.dyn.example.org"; provider = "dns"; key_hash = "$(e2e_key_hash $KS)";
    ipv6_from = "$ROUTER"; ipv6_suffix = "0:0:0:7::3"; ipv6_prefix_len = 48; },
  { domain = "d1.example.com"; provider = "do"; key_hash = "$(e2e_key_hash $KS)";
    ipv6_from = "$ROUTER"; ipv6_suffix = "::d1"; },
  { domain = "d2.example.com"; provider = "do"; key_hash = "$(e2e_key_hash $KS)";
    ipv6_from = "$ROUTER"; ipv6_suffix = "::d2"; },
  { domain = "d3.example.com"; provider = "do"; key_hash = "$(e2e_key_hash $KS)";
    ipv6_from = "$ROUTER"; ipv6_suffix = "::d3"; },
  { domain = "f1.example.com"; provider = "flaky"; key_hash = "$(e2e_key_hash $KS)";
    ipv6_from = "$ROUTER"; ipv6_suffix = "::f1"; }
);
EOF
}
write_conf "::1c2:3ff:fe45:6789" >"$CONF"
ctl_do '{"tokens":["do-good-token","flaky-token"]}'

check "ddnsd -t accepts the followers" "$DDNSD" -t -c "$CONF"
# A follower naming an unknown record is refused with file:line.
sed 's/ipv6_from = "router.dyn.example.org"; ipv6_suffix = "::d3"/ipv6_from = "nope.example.org"; ipv6_suffix = "::d3"/' \
	"$CONF" >"$E2E_DIR/bad.conf"
"$DDNSD" -t -c "$E2E_DIR/bad.conf" >"$E2E_DIR/bad.out" 2>&1
check "an unknown ipv6_from is refused" test $? -ne 0
check "... saying file:line and what" grep -qE \
	"bad.conf:[0-9]+: records.\[6\].ipv6_from: no record \"nope.example.org\" in \`records\`" \
	"$E2E_DIR/bad.out"

e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }

# The router has no AAAA yet: nothing to follow.
expect_eq "before the router's AAAA: h1 has none" "$(aaaa h1.dyn.example.org)" ""
# A follower's own A is its own.
expect_eq "h1 updates its A with its own key" "$(update h1.dyn.example.org $KH 198.51.100.1)" 200

# --- the router reports its prefix through the dynamicdns API --------------
expect_eq "router AAAA 2001:db8:1:2::ff" "$(update $ROUTER $KR 2001:db8:1:2::ff)" 200
check "seven followers moved, one history row each" wait_rows 7
for proto in udp tcp; do
	q=aaaa; [ $proto = tcp ] && q=aaaa_tcp
	expect_eq "h1 AAAA ($proto)" "$($q h1.dyn.example.org)" 2001:db8:1:2::1
	expect_eq "h2 AAAA ($proto)" "$($q h2.dyn.example.org)" 2001:db8:1:2:1c2:3ff:fe45:6789
	expect_eq "h3 AAAA, a /48 ($proto)" "$($q h3.dyn.example.org)" 2001:db8:1:7::3
done
expect_eq "the router's own AAAA" "$(aaaa $ROUTER)" 2001:db8:1:2::ff
expect_eq "h1's A untouched" "$(a h1.dyn.example.org)" 198.51.100.1
for d in d1 d2 d3; do
	expect_eq "$d AAAA at DigitalOcean" "$(mock_aaaa $d.example.com)" "2001:db8:1:2::$d"
	expect_eq "$d: one history row" "$(rows $d.example.com .)" 1
done
expect_eq "f1 AAAA at DigitalOcean (flaky provider, still working)" \
	"$(mock_aaaa f1.example.com)" 2001:db8:1:2::f1
for h in h1 h2 h3; do
	expect_eq "$h: one AAAA history row" "$(rows $h.dyn.example.org ipv6)" 1
done
check "the row says applied, from the router's prefix and client" bash -c \
	'grep -q "h2.dyn.example.org  ipv6  - -> 2001:db8:1:2:1c2:3ff:fe45:6789  client 127.0.0.1  applied: prefix of router.dyn.example.org" <<<"$1"' \
	_ "$(history h2.dyn.example.org)"

# --- the flaky provider fails; the router moves through dyndns2 ------------
ctl_do '{"tokens":["do-good-token"]}'
CODE=$(curl -sS -o "$E2E_DIR/body" -w '%{http_code}' -u "$ROUTER:$KR" \
	"$BASE/nic/update?hostname=$ROUTER&myip=2001:db8:aa:bb::ff")
expect_eq "dyndns2: router AAAA 2001:db8:aa:bb::ff" "$CODE $(cut -d' ' -f1 "$E2E_DIR/body")" \
	"200 good"
check "seven more rows" wait_rows 14
expect_eq "h1 AAAA after dyndns2" "$(aaaa h1.dyn.example.org)" 2001:db8:aa:bb::1
expect_eq "h2 AAAA after dyndns2" "$(aaaa h2.dyn.example.org)" 2001:db8:aa:bb:1c2:3ff:fe45:6789
expect_eq "h3 AAAA after dyndns2" "$(aaaa h3.dyn.example.org)" 2001:db8:aa:7::3
for d in d1 d2 d3; do
	expect_eq "$d AAAA at DigitalOcean after dyndns2" "$(mock_aaaa $d.example.com)" \
		"2001:db8:aa:bb::$d"
	expect_eq "$d: two history rows" "$(rows $d.example.com applied)" 2
done
expect_eq "f1 keeps its old address at DigitalOcean" "$(mock_aaaa f1.example.com)" 2001:db8:1:2::f1
expect_eq "f1 keeps its old address in the store" "$(stored6 f1.example.com)" 2001:db8:1:2::f1
expect_eq "f1: one failure row" "$(rows f1.example.com '  failed: prefix of router.dyn.example.org')" 1
expect_eq "f1: still one applied row" "$(rows f1.example.com applied)" 1

# --- a follower's own AAAA holds until the router's next change ------------
expect_eq "h1 sets its own AAAA" "$(update h1.dyn.example.org $KH 2001:db8:ffff::1)" 200
expect_eq "h1 serves its own AAAA" "$(aaaa h1.dyn.example.org)" 2001:db8:ffff::1
expect_eq "router unchanged: 200" "$(update $ROUTER $KR 2001:db8:aa:bb::ff)" 200
expect_eq "an unchanged router moves nobody" "$(aaaa h1.dyn.example.org)" 2001:db8:ffff::1
ctl_do '{"tokens":["do-good-token","flaky-token"]}'
expect_eq "router AAAA 2001:db8:cc:dd::ff" "$(update $ROUTER $KR 2001:db8:cc:dd::ff)" 200
check "seven more rows (f1 too, its provider back)" wait_rows 21
expect_eq "the router's change overrides h1's own AAAA" "$(aaaa h1.dyn.example.org)" 2001:db8:cc:dd::1
expect_eq "f1 follows again" "$(mock_aaaa f1.example.com)" 2001:db8:cc:dd::f1

# --- a reload that changes a suffix moves that host at once -----------------
write_conf "::abcd" >"$CONF"
kill -HUP "$E2E_DDNSD_PID"
check "reloaded" e2e_wait_log "reloaded:"
check "h2 moved by the reload" wait_rows 22
expect_eq "h2 AAAA after the reload" "$(aaaa h2.dyn.example.org)" 2001:db8:cc:dd::abcd
expect_eq "h1 not rewritten by the reload" "$(rows h1.dyn.example.org ipv6)" 4

check "ddnsd stops cleanly" e2e_stop_ddnsd
e2e_finish
