#!/bin/sh
# Quick start: installs the missing Debian packages, builds ddnsd in _build/,
# makes a local state folder (state/) with a config, an embedded sqlite store
# and one demo record, prints its key and a ready-to-paste curl line, then
# runs ddnsd in the foreground.  Run it again: it reuses state/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
etc/deps.sh
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
mkdir -p _build
(cd _build && { [ -f Makefile ] || ../configure -q; } && make -j"$(nproc)" >/dev/null)

state=$top/state
port=${DDNS_HTTP_PORT:-8080}
mkdir -p "$state"
chmod 700 "$state"
if [ ! -f "$state/ddns.conf" ]; then
	key=$(_build/daemon/ddnsctl genkey | sed -n 's/^key: //p')
	hash=$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)
	printf '%s\n' "$key" > "$state/demo.key"
	chmod 600 "$state/demo.key"
	cat > "$state/ddns.conf" <<CONF
# Made by etc/quickstart.sh: a local demo.  See etc/ddns.conf for every setting.
http = { listen = [ "127.0.0.1:$port" ]; };
database = "ddns.sqlite";
plugin_dir = "$top/_build/plugins/.libs";
providers = {
  demo = { plugin = "dummy"; };
};
records = (
  { domain = "a.example.com"; provider = "demo";
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

Records and keys: _build/daemon/ddnsctl -c state/ddns.conf list
Stop with Ctrl-C.

MSG
exec _build/daemon/ddnsd -c "$state/ddns.conf"
