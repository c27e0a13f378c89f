#!/bin/bash
# File modes end to end, under the usual umask 022:
#  - the store ddnsd creates, and its -wal and -shm, are 0600 after an
#    update (key hashes are for ddnsd alone); so is one ddnsctl creates;
#  - a store left 0644 (an older ddnsd) is tightened at start, with a log
#    line per file;
#  - a provider secret (a token) in a config file others can read is
#    refused by ddnsd -t and at start, naming the file, its mode and the
#    chmod to run; group read (root:ddns 0640) is fine.
. "$top_srcdir/tests/lib/e2e.sh"
: "${DDNSCTL:?DDNSCTL must point at the ddnsctl binary}"

e2e_init_http
umask 022 # what a shell usually has; the harness's 077 would hide the bug
DB=$E2E_DIR/ddns.sqlite
KA=ModesKeyAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1
write_conf() {
	{
		e2e_conf_base
		cat <<EOF
auth_fail_delay_ms = 50;
providers = { demo = { plugin = "dummy"; }; $1 };
records = (
  { domain = "a.example.com"; provider = "demo"; key_hash = "$(e2e_key_hash $KA)"; }
);
EOF
	} >"$CONF"
}
modes() { # the modes of the store's three files, "-" for a missing one
	local s out=
	for s in "" -wal -shm; do
		out="$out $(stat -c %a "$DB$s" 2>/dev/null || echo -)"
	done
	echo "${out# }"
}

# --- the store ddnsd makes ------------------------------------------------------
write_conf ""
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/dynamicdns/update/a.example.com/" \
	--data "key=$KA&ip=192.0.2.1")
expect_eq "an update is applied" "$code" 200
expect_eq "ddns.sqlite, -wal and -shm are 0600 under umask 022" "$(modes)" "600 600 600"
check "ddnsd stops cleanly" e2e_stop_ddnsd

# --- a store left readable by an older ddnsd ----------------------------------
chmod 644 "$DB"
[ -e "$DB-wal" ] && chmod 644 "$DB-wal"
[ -e "$DB-shm" ] && chmod 644 "$DB-shm"
e2e_start_ddnsd "$CONF" || { e2e_finish; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/dynamicdns/update/a.example.com/" \
	--data "key=$KA&ip=192.0.2.2")
expect_eq "an update after the restart is applied" "$code" 200
expect_eq "tightened back to 0600" "$(modes)" "600 600 600"
check "the log says which file was tightened" \
	grep -q "$DB: store: mode 0644 tightened to 0600" "$E2E_DIR/ddnsd.log"
check "ddnsd stops cleanly" e2e_stop_ddnsd

# --- a store ddnsctl makes ------------------------------------------------------
rm -f "$DB" "$DB-wal" "$DB-shm"
"$DDNSCTL" -c "$CONF" add b.example.com -p demo -k "$KA" >/dev/null 2>&1
check "ddnsctl creates the store" test -s "$DB"
expect_eq "ddnsctl's store is 0600 too" "$(stat -c %a "$DB")" 600
chmod 644 "$DB"
"$DDNSCTL" -c "$CONF" list >/dev/null 2>&1
expect_eq "ddnsctl tightens a loose store as well" "$(stat -c %a "$DB")" 600

# --- a provider secret in a file others can read ----------------------------------
write_conf 'do = { plugin = "digitalocean"; token = "dop_v1_secret"; };'
chmod 644 "$CONF"
rc=0
out=$("$DDNSD" -t -c "$CONF" 2>&1) || rc=$?
check "ddnsd -t refuses a token in a 0644 file (exit $rc)" test "$rc" -ne 0
check "the refusal names file:line, setting, mode and chmod ($out)" grep -qF \
	"$CONF:5: providers.do.token: a secret in a file other users can read (mode 0644): run chmod o-rw $CONF" \
	<<<"$out"
check "the token is not in the message" test "${out/dop_v1_secret/}" = "$out"
rc=0
timeout 20 "$DDNSD" -c "$CONF" >"$E2E_DIR/start.log" 2>&1 || rc=$?
check "ddnsd does not start with it (exit $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "and says why" grep -q "a secret in a file other users can read" "$E2E_DIR/start.log"
chmod 640 "$CONF"
check "group-readable (root:ddns 0640) is accepted" "$DDNSD" -t -c "$CONF"
chmod 600 "$CONF"
check "0600 is accepted" "$DDNSD" -t -c "$CONF"
# Without a secret option, a readable file is fine (nothing to leak).
write_conf ""
chmod 644 "$CONF"
check "a 0644 file without secrets is accepted" "$DDNSD" -t -c "$CONF"

e2e_finish
