#!/bin/bash
# The sample ddns.conf is documentation: it must stay a valid config, and so
# must each commented example in it once uncommented.
. "$top_srcdir/tests/lib/e2e.sh"
e2e_init

sample=$top_srcdir/etc/ddns.conf
conf=$E2E_DIR/ddns.conf
port=$(e2e_free_udp_port)
# The sample's paths are for an installed system: point them at the test's.
sed -e "s|^# plugin_dir = .*|plugin_dir = \"$DDNS_TEST_PLUGIN_DIR\";|" \
    -e "s|\"0.0.0.0:53\", \"\[::\]:53\"|\"127.0.0.1:$port\"|" \
    -e "s|^database = .*|database = \"$E2E_DIR/ddns.sqlite\";|" "$sample" > "$conf"

out=$("$DDNSD" -c "$conf" -t 2>&1)
check "the sample config is valid: $out" test $? -eq 0

# Each commented provider example, uncommented, is accepted too.
for p in do rs cf demo; do
	sed "s|^  # $p = |  $p = |" "$conf" > "$E2E_DIR/$p.conf"
	check "uncommented example provider '$p' is taken" \
		grep -q "^  $p = " "$E2E_DIR/$p.conf"
	out=$("$DDNSD" -c "$E2E_DIR/$p.conf" -t 2>&1)
	check "the sample with provider '$p' is valid: $out" test $? -eq 0
done

# The commented record, with a real hash, is accepted.
hash=$(e2e_key_hash "$(head -c 32 /dev/urandom | base64 | tr -dc A-Za-z0-9)")
sed -e "s|^  # { domain = \"a.dyn.example.com\"|  { domain = \"a.dyn.example.com\"|" \
    -e "s|^  #   key_hash = \"sha256:…\";|    key_hash = \"$hash\";|" "$conf" > "$E2E_DIR/rec.conf"
check "the example record is uncommented" grep -q "^  { domain" "$E2E_DIR/rec.conf"
out=$("$DDNSD" -c "$E2E_DIR/rec.conf" -t 2>&1)
check "the sample with its example record is valid: $out" test $? -eq 0

# The IPv6 prefix example (a router and a follower), uncommented after it.
sed -e "s|^  # ,{ \(.*\)sha256:…|  ,{ \1$hash|" -e "s|^  #    ipv6_|     ipv6_|" \
	"$E2E_DIR/rec.conf" > "$E2E_DIR/prefix.conf"
check "the IPv6 prefix example is uncommented" \
	test "$(grep -c '^  ,{ domain\|^     ipv6_' "$E2E_DIR/prefix.conf")" -eq 4
out=$("$DDNSD" -c "$E2E_DIR/prefix.conf" -t 2>&1)
check "the sample with its IPv6 prefix example is valid: $out" test $? -eq 0

# The web admin example, uncommented, is valid and starts the admin.
sed -e "s|^# admin = {|admin = {|" -e "s|^#   listen = \[ \"127.0.0.1:8081\" \];|  listen = [ \"127.0.0.1:$(e2e_free_port)\" ];|" \
    -e "s|^#   public_url|  public_url|" -e "s|^# };|};|" "$conf" > "$E2E_DIR/admin.conf"
check "the admin example is uncommented" \
	test "$(grep -c '^admin = {\|^  listen = \[ "127\|^  public_url\|^};' "$E2E_DIR/admin.conf")" -ge 4
out=$("$DDNSD" -c "$E2E_DIR/admin.conf" -t 2>&1)
check "the sample with its admin example is valid: $out" test $? -eq 0

# And a broken one is refused with the file and line.
printf 'database = ;\n' >> "$E2E_DIR/rec.conf"
out=$("$DDNSD" -c "$E2E_DIR/rec.conf" -t 2>&1)
check "a broken config is refused" test $? -ne 0
case $out in
*rec.conf:*) check "the refusal names the file and line" true ;;
*) check "the refusal names the file and line: $out" false ;;
esac

e2e_finish
