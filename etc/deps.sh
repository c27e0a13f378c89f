#!/bin/sh
# Installs the Debian 12 packages ddnsd needs: to build and run it (default),
# or also to run its whole test suite (--test).  Uses sudo when not root.
set -eu

build="autoconf automake libtool pkg-config make gcc
  libuv1-dev libmicrohttpd-dev libcurl4-gnutls-dev libconfig-dev
  libsqlite3-dev libjansson-dev libgnutls28-dev libknot-dev libcmocka-dev"
# curl/dig/kdig drive the end-to-end tests, python3 runs the provider mocks,
# sqlite3 inspects the store, ddclient and inadyn are real dyndns2 clients
# under test, nm (binutils) checks what a plugin exports, openssl makes the
# HTTPS test's CA, python3-prometheus-client parses /metrics, and clang with
# its runtime builds the libFuzzer harnesses.
test="curl knot-dnsutils bind9-dnsutils python3 python3-prometheus-client sqlite3
  ddclient inadyn binutils openssl clang libclang-rt-14-dev"

pkgs=$build
[ "${1:-}" = "--test" ] && pkgs="$build $test"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "deps: installing$missing" >&2
$sudo apt-get update -q >/dev/null
# ddclient's package starts a daemon and asks questions: keep it quiet.
DEBIAN_FRONTEND=noninteractive $sudo -E apt-get install -y -q --no-install-recommends $missing >/dev/null
