#!/bin/sh
# Quick start: installs the missing Debian packages, builds ddnsd in _build/,
# makes a local state folder (state/) with a config, an embedded sqlite store,
# the built-in DNS server on 127.0.0.1:5353 and one demo record, prints its
# key with ready-to-paste curl and dig lines, then runs ddnsd in the
# foreground.  Run it again: it reuses state/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
etc/deps.sh
# Its own build folder, _build/, plain flags (tests/run.sh builds elsewhere).
if ! etc/build.sh _build >_build.log 2>&1; then
	tail -n 30 _build.log
	echo "quickstart: the build failed; the whole log is in _build.log" >&2
	exit 1
fi

state=$top/state
port=${DDNS_HTTP_PORT:-8080}
dns_port=${DDNS_DNS_PORT:-5353}
mkdir -p "$state"
chmod 700 "$state"
if [ ! -f "$state/ddns.conf" ]; then
	key=$(_build/daemon/ddnsctl genkey 2>/dev/null | sed -n 's/^key: //p')
	hash=$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)
	printf '%s\n' "$key" > "$state/demo.key"
	chmod 600 "$state/demo.key"
	cat > "$state/ddns.conf" <<CONF
# Made by etc/quickstart.sh: a local demo.  See etc/ddns.conf for every setting.
http = { listen = [ "127.0.0.1:$port" ]; };
database = "ddns.sqlite";
plugin_dir = "$top/_build/plugins/.libs";
providers = {
  # The built-in authoritative DNS server, for the zone example.com.
  home = { plugin = "builtin_dns"; listen = [ "127.0.0.1:$dns_port" ];
           zone = [ "example.com" ]; ttl = 1; };
};
records = (
  { domain = "a.example.com"; provider = "home";
    key_hash = "sha256:$hash"; lan_ip = "192.168.1.100"; }
);
CONF
fi
key=$(cat "$state/demo.key")
cat <<MSG

ddnsd quick start: one record, a.example.com, with key $key
Update it from another terminal:

  curl http://127.0.0.1:$port/dynamicdns/update/a.example.com/ --data "key=$key"
  curl http://127.0.0.1:$port/dynamicdns/read/a.example.com/
  dig @127.0.0.1 -p $dns_port a.example.com.

(Updating from 127.0.0.1 makes that ddnsd's "home" WAN address, so dig from the
same machine gets the LAN address, 192.168.1.100, as a client at home would.)

Records and keys: _build/daemon/ddnsctl -c state/ddns.conf list
Stop with Ctrl-C.

MSG
exec _build/daemon/ddnsd -c "$state/ddns.conf"
