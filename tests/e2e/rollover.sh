#!/bin/bash
# DNSSEC key rollover end to end, as a validating resolver lives it.
#
# A real chain of trust on loopback: knotd serves the parent zone "test",
# signed, with the DS of dyn.test; builtin_dns serves dyn.test, signed;
# unbound is the caching validating resolver, its trust anchor the
# parent's key.  TTLs are seconds long, and so are the rollover's waits
# (dnssec_ds_ttl, dnssec_propagation_s).  Through two CSK rollovers (one
# on command, one on the key lifetime, with a reload in the middle) a
# watcher asks unbound five times a second: every answer must be
# validated (AD), none SERVFAIL.  The second rollover ends by itself:
# ddnsd asks the parent's server for the new DS (dnssec_parent).  At each step delv, with the trust anchor
# a parent would give, validates too, and kdig shows what is published:
# two keys, the CDS of the new one, the RRSIGs by which key.  The parent's
# DS is changed with knsupdate, then `ddnsctl dnssec ZONE ds-seen`.
. "$top_srcdir/tests/lib/e2e.sh"

KNOTD=$(e2e_find_tool knotd knot) || exit 1
KNSUPDATE=$(e2e_find_tool knsupdate knot-dnsutils) || exit 1
KDIG=$(e2e_find_tool kdig knot-dnsutils) || exit 1
DELV=$(e2e_find_tool delv bind9-dnsutils) || exit 1
UNBOUND=$(e2e_find_tool unbound unbound) || exit 1
e2e_init_http
ZONE=dyn.test
KH=KeyForHomeeeeeeeeeeeeeeeeeeeeeee1
DNS_PORT=$(e2e_free_udp_port)
KNOT_PORT=$(e2e_free_udp_port)
while [ "$KNOT_PORT" = "$DNS_PORT" ]; do KNOT_PORT=$(e2e_free_udp_port); done
UB_PORT=$(e2e_free_udp_port)
while [ "$UB_PORT" = "$DNS_PORT" ] || [ "$UB_PORT" = "$KNOT_PORT" ]; do
	UB_PORT=$(e2e_free_udp_port)
done

write_conf() {
	{
		e2e_conf_base
		cat <<EOF
providers = {
  dns = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$DNS_PORT" ]; zone = [ "$ZONE" ];
          ns = [ "ns1.$ZONE=127.0.0.1" ]; ttl = 1; ns_ttl = 2; soa_minimum = 1;
          dnssec = true; dnssec_ds_ttl = 2; dnssec_propagation_s = 1; $1 };
};
records = (
  { domain = "home.$ZONE"; provider = "dns"; key_hash = "$(e2e_key_hash "$KH")"; }
);
EOF
	} >"$CONF"
}
write_conf ""
e2e_start_ddnsd "$CONF" || exit 1
CODE=$(curl -s -o /dev/null -w '%{http_code}' --data "key=$KH&ip=192.0.2.7" "$BASE/dynamicdns/update/home.$ZONE/")
expect_eq "the address: 200" "$CODE" 200
ds_now() { "$DDNSCTL" -c "$CONF" dnssec "$ZONE" | grep " DS " | sed 's/ IN DS / 2 IN DS /'; }
DS1=$(ds_now)

# ---- the parent: knotd signs "test" and delegates dyn.test ----
KD=$E2E_DIR/knot
mkdir -p "$KD"
cat >"$KD/test.zone" <<EOF
\$TTL 2
test. SOA ns.test. hostmaster.test. 1 60 60 3600 2
test. NS ns.test.
ns.test. A 127.0.0.1
$ZONE. NS ns1.$ZONE.
ns1.$ZONE. A 127.0.0.1
$DS1
EOF
{
e2e_knot_conf_head "$KD" "$KNOT_PORT"
cat <<EOF
acl:
  - id: local_update
    address: 127.0.0.1
    action: update
policy:
  - id: short
    algorithm: ecdsap256sha256
    single-type-signing: on
    dnskey-ttl: 2
    zone-max-ttl: 2
    propagation-delay: 0
zone:
  - domain: test
    storage: "$KD"
    file: test.zone
    dnssec-signing: on
    dnssec-policy: short
    zonefile-sync: -1
    acl: local_update
EOF
} >"$KD/knot.conf"
"$KNOTD" -c "$KD/knot.conf" >"$KD/knotd.out" 2>&1 &
E2E_EXTRA_PIDS="$!"
parent_key() { PKEY=$("$KDIG" @127.0.0.1 -p "$KNOT_PORT" +short test. DNSKEY | grep '^257 ') && [ -n "$PKEY" ]; }
check "knotd signs the parent zone" e2e_until 60 parent_key
parent_ds() { "$KDIG" @127.0.0.1 -p "$KNOT_PORT" +short "$ZONE" DS; }
parent_has() { parent_ds | grep -q "^$1 "; } # TAG
tag_in() { echo "$1" | awk '{ print $5 }'; }
check "the parent publishes the DS of dyn.test" e2e_until 60 parent_has "$(tag_in "$DS1")"

# ---- the resolver: unbound, trusting the parent's key ----
UD=$E2E_DIR/unbound
mkdir -p "$UD"
cat >"$UD/unbound.conf" <<EOF
server:
    interface: 127.0.0.1
    port: $UB_PORT
    do-not-query-localhost: no
    username: ""
    chroot: ""
    directory: "$UD"
    pidfile: "$UD/unbound.pid"
    logfile: "$UD/unbound.log"
    use-syslog: no
    do-daemonize: no
    verbosity: 1
    val-log-level: 2
    module-config: "validator iterator"
    trust-anchor: "test. DNSKEY $PKEY"
    qname-minimisation: no
    prefetch: no
    # RFC 6761 makes "test." a local zone of unbound's by default
    local-zone: "test." nodefault
    serve-expired: no
remote-control:
    control-enable: no
stub-zone:
    name: "test"
    stub-addr: 127.0.0.1@$KNOT_PORT
stub-zone:
    name: "$ZONE"
    stub-addr: 127.0.0.1@$DNS_PORT
EOF
"$UNBOUND" -d -c "$UD/unbound.conf" >"$UD/unbound.out" 2>&1 &
E2E_EXTRA_PIDS="$E2E_EXTRA_PIDS $!"
# resolved NAME TYPE: unbound's answer is validated (AD) and NOERROR
resolved() {
	RESOLVED=$("$KDIG" @127.0.0.1 -p "$UB_PORT" +dnssec +timeout=2 +retry=0 "$1" "$2" 2>&1)
	printf '%s\n' "$RESOLVED" | grep -q "status: NOERROR" &&
		printf '%s\n' "$RESOLVED" | grep -qi "flags:.* ad"
}
check "unbound validates the chain: test, then dyn.test" e2e_until 60 resolved "home.$ZONE" A

# The watcher: five queries a second through unbound until told to stop,
# one line each: "ok" or what went wrong.
watch_resolver() {
	while [ ! -e "$E2E_DIR/watch.stop" ]; do
		for q in "home.$ZONE A" "nothere.$ZONE A" "$ZONE DNSKEY"; do
			# shellcheck disable=SC2086
			if resolved $q; then echo "ok $q"; else
				echo "FAIL $(date +%T.%N) $q: $(printf '%s\n' "$RESOLVED" | grep -E 'status|Flags|WARN' | tr '\n' ' ')"; fi
		done
		sleep 0.2
	done >>"$E2E_DIR/watch.log"
}
watch_resolver &
WATCH_PID=$!
E2E_EXTRA_PIDS="$E2E_EXTRA_PIDS $WATCH_PID"

# ---- delv at each step, with the anchor a parent would give ----
# anchor_keys: every published DNSKEY as static-key; anchor_ds DS: one DS
anchor_keys() {
	"$KDIG" @127.0.0.1 -p "$DNS_PORT" +short "$ZONE" DNSKEY | awk -v z="$ZONE" \
		'BEGIN { printf "trust-anchors {\n" } { k = ""; for (i = 4; i <= NF; i++) k = k $i;
		 printf "  %s. static-key %s %s %s \"%s\";\n", z, $1, $2, $3, k } END { print "};" }' \
		>"$E2E_DIR/ta.conf"
}
anchor_ds() {
	echo "$1" | awk '{ printf "trust-anchors {\n  %s static-ds %s %s %s \"%s\";\n};\n", $1, $5, $6, $7, $8 }' \
		>"$E2E_DIR/ta.conf"
}
delv_ok() {
	"$DELV" @127.0.0.1 -p "$DNS_PORT" -a "$E2E_DIR/ta.conf" +root="$ZONE" "$@" 2>&1 |
		grep -q "fully validated"
}
delv_all() { # STEP: the address, a missing name, the DNSKEY set
	check "$1: delv validates the address" delv_ok "home.$ZONE" A
	check "$1: ... a missing name" delv_ok "nothere.$ZONE" A
	check "$1: ... the DNSKEY set" delv_ok "$ZONE" DNSKEY
}
n_keys() { "$KDIG" @127.0.0.1 -p "$DNS_PORT" +short "$ZONE" DNSKEY | grep -c '^257 '; }
keys_are() { [ "$(n_keys)" = "$1" ]; }
key_files_are() { [ "$(ls "$E2E_DIR"/plugins/dns/keys/*.pem | wc -l)" = "$1" ]; }
tags_of() { # TYPE: the key tags of the RRSIGs over it
	"$KDIG" @127.0.0.1 -p "$DNS_PORT" +dnssec +noall +answer "$@" | awk '$4 == "RRSIG" { print $11 }' | sort -n | tr '\n' ' '
}
cds_tag() { "$KDIG" @127.0.0.1 -p "$DNS_PORT" +short "$ZONE" CDS | cut -d' ' -f1; }
set_parent_ds() { # DS line: the parent's DS becomes it
	printf 'server 127.0.0.1 %s\nzone test.\nupdate delete %s. DS\nupdate add %s\nsend\n' \
		"$KNOT_PORT" "$ZONE" "$1" | "$KNSUPDATE" -t 30
}
not_delv_ok() { ! delv_ok "$@"; }

anchor_ds "$DS1"
delv_all "before"
OLD_TAG=$(tag_in "$DS1")
expect_eq "before: the data is signed by the key" "$(tags_of "home.$ZONE" A)" "$OLD_TAG "

# roll_through STEP OLD-TAG N HOW: the Nth rollover, once started, to its
# end; the parent's new DS told by ddnsctl (HOW ddnsctl) or found by ddnsd
# asking the parent (HOW parent); the new key's DS line in NEW_DS, its tag
# in NEW_TAG
roll_through() {
	local step=$1 old_tag=$2
	check "$step: publish: two keys in the DNSKEY set" e2e_until 30 keys_are 2
	expect_eq "$step: publish: the data still signed by the old key" "$(tags_of "home.$ZONE" A)" "$old_tag "
	expect_eq "$step: publish: CDS still names the old key" "$(cds_tag)" "$old_tag"
	anchor_ds "$OLD_DS"
	delv_all "$step: publish, old DS"
	anchor_keys
	delv_all "$step: publish, either key trusted"
	check "$step: submit comes after DNSKEY TTL + propagation" e2e_wait_log "the new key signs now" "$3"
	NEW_TAG=$(cds_tag)
	check "$step: submit: CDS names the new key" test "$NEW_TAG" != "$old_tag"
	expect_eq "$step: submit: the data signed by the new key" "$(tags_of "home.$ZONE" A)" "$NEW_TAG "
	expect_eq "$step: submit: the DNSKEY set by both" "$(tags_of "$ZONE" DNSKEY)" \
		"$(printf '%s\n' "$old_tag" "$NEW_TAG" | sort -n | tr '\n' ' ')"
	NEW_DS=$(ds_now)
	check "$step: ddnsctl dnssec gives the new DS" test "$(tag_in "$NEW_DS")" = "$NEW_TAG"
	check "$step: ... and says the rollover awaits it" sh -c "'$DDNSCTL' -c '$CONF' dnssec $ZONE | grep -q 'rollover: submit'"
	anchor_ds "$OLD_DS"
	delv_all "$step: submit, old DS"
	anchor_ds "$NEW_DS"
	delv_all "$step: submit, new DS"
	check "$step: the parent takes the new DS (knsupdate)" set_parent_ds "$NEW_DS"
	check "$step: ... and serves it" e2e_until 30 parent_has "$NEW_TAG"
	if [ "$4" = ddnsctl ]; then
		OUT=$("$DDNSCTL" -c "$CONF" dnssec "$ZONE" ds-seen 2>&1)
		check "$step: ddnsctl dnssec ds-seen: ddnsd took it" sh -c "echo '$OUT' | grep -q 'ddnsd took the request'"
	else
		check "$step: ddnsd asks the parent and sees the new DS (dnssec_parent)" \
			e2e_wait_log "all publish the new DS"
	fi
	check "$step: done after DS TTL + propagation" e2e_wait_log "rollover done" "$3"
	expect_eq "$step: done: one key, the new one" "$(n_keys) $(cds_tag)" "1 $NEW_TAG"
	expect_eq "$step: done: the DNSKEY set signed by it alone" "$(tags_of "$ZONE" DNSKEY)" "$NEW_TAG "
	check "$step: done: the old key's file is removed" e2e_until 10 key_files_are 1
	delv_all "$step: done, new DS"
	anchor_ds "$OLD_DS"
	check "$step: done: the old DS no longer validates (the check can fail)" \
		not_delv_ok "home.$ZONE" A
}

# ---- a rollover on command ----
OLD_DS=$DS1
OUT=$("$DDNSCTL" -c "$CONF" dnssec "$ZONE" ds-seen 2>&1)
check "ds-seen with no rollover: a warning" sh -c "echo '$OUT' | grep -q 'no rollover awaits'"
check "... ddnsd ignores it, saying so" e2e_wait_log "ds-seen ignored"
OUT=$("$DDNSCTL" -c "$CONF" dnssec "$ZONE" roll 2>&1)
check "ddnsctl dnssec roll: ddnsd took it" sh -c "echo '$OUT' | grep -q 'ddnsd took the request'"
check "... the rollover starts" e2e_wait_log "rollover started (asked)"
"$DDNSCTL" -c "$CONF" dnssec "$ZONE" roll >/dev/null 2>&1
check "a second roll meanwhile is ignored, saying so" e2e_wait_log "roll ignored: a rollover is under way"
roll_through "rollover 1" "$OLD_TAG" 1 ddnsctl
TAG1=$NEW_TAG

check "ddnsd stops" e2e_stop_ddnsd
e2e_start_ddnsd "$CONF" || exit 1
expect_eq "after a restart: the new key stays" "$(cds_tag) $(n_keys)" "$TAG1 1"

# ---- a rollover on the key's lifetime, with a reload in the middle ----
OLD_DS=$NEW_DS
write_conf 'dnssec_parent = [ "nonsense" ];'
kill -HUP "$E2E_DDNSD_PID"
check "a reload with a bad dnssec_parent is refused, naming it" \
	e2e_wait_log '"nonsense" is not an address'
anchor_ds "$OLD_DS"
check "... and ddnsd serves on, signed" delv_ok "home.$ZONE" A
PARENT_OPT="dnssec_parent = [ \"127.0.0.1:$KNOT_PORT\" ]; dnssec_parent_check_s = 1;"
write_conf "dnssec_key_lifetime_s = 3; $PARENT_OPT"
kill -HUP "$E2E_DDNSD_PID"
check "the key lifetime starts a rollover" e2e_wait_log "rollover started (key lifetime)"
check "... a short lifetime is warned about" e2e_wait_log "a key barely outlives its rollover"
write_conf "$PARENT_OPT"
kill -HUP "$E2E_DDNSD_PID"
check "a reload mid-rollover" e2e_wait_log "reloaded:" 2
roll_through "rollover 2" "$TAG1" 2 parent

touch "$E2E_DIR/watch.stop"
wait "$WATCH_PID"
ASKED=$(wc -l <"$E2E_DIR/watch.log")
FAILED=$(grep -c '^FAIL' "$E2E_DIR/watch.log")
echo "# unbound was asked $ASKED times through both rollovers; $FAILED failed"
check "unbound was asked all along (at least 60 times)" test "$ASKED" -ge 60
expect_eq "no answer through unbound failed to validate" "$FAILED" 0
grep '^FAIL' "$E2E_DIR/watch.log" | head -5
check "unbound logged no validation failure" sh -c "! grep -i 'validation failure' '$UD/unbound.log'"
grep -i 'validation failure' "$UD/unbound.log" | head -3
check "ddnsd stops at the end" e2e_stop_ddnsd
e2e_finish
