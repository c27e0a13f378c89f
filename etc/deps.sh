#!/bin/sh
# Installs the Debian 12 packages ddnsd needs: to build and run it (default),
# or also to run its whole test suite (--test).  Installs only what is
# missing, says which and why, and is otherwise quiet.  Works as root (a
# server, a container, a fresh chroot) and as a user with sudo.
set -eu

# What each package is for; "build" packages are needed to build and run
# ddnsd, "test" ones only by tests/run.sh.
# (kind package reason), one per line.
table='
build autoconf                  the build system (./autogen.sh)
build automake                  the build system (./autogen.sh)
build libtool                   the plugins are shared objects (libtool)
build pkg-config                finding the libraries below
build make                      building
build gcc                       compiling (C11)
build libuv1-dev                the event loop
build libmicrohttpd-dev         the HTTP(S) server
build libcurl4-gnutls-dev       provider API calls
build libconfig-dev             reading ddns.conf
build libsqlite3-dev            the store
build libjansson-dev            JSON (API replies, provider APIs)
build libgnutls28-dev           key hashing, constant-time compare, TLS
build libknot-dev               DNS wire format for builtin_dns
build libargon2-dev             Argon2id password hashes of the web admin
build libxml2-dev               Route 53 replies and change batches (XML)
build libcmocka-dev             unit tests (make check builds them)
test  curl                      end-to-end tests drive ddnsd over HTTP
test  knot-dnsutils             kdig: DNS queries in end-to-end tests
test  knot                      knotd: the DNS UPDATE target of tests/e2e/rfc2136.sh, a secondary in secondaries.sh
test  nsd                       nsd: a secondary of builtin_dns in tests/e2e/secondaries.sh
test  unbound                   a caching validating resolver through DNSSEC rollovers (rollover.sh)
test  bind9                     named: the DNS UPDATE target of tests/e2e/rfc2136_bind.sh
test  bind9-dnsutils            dig: DNS queries in end-to-end tests
test  python3                   the mock provider APIs
test  python3-prometheus-client parsing /metrics
test  sqlite3                   inspecting the store
test  ddclient                  a real dyndns2 client under test
test  libio-socket-ssl-perl     HTTPS for ddclient (ssl=yes in ddclient.sh)
test  inadyn                    a real dyndns2 client under test
test  binutils                  nm: what a plugin exports
test  openssl                   the HTTPS test makes its own CA
test  procps                    ps/pkill in end-to-end tests
test  mount                     store_faults.sh mounts a small tmpfs to fill it (a full disk)
test  clang                     the libFuzzer harnesses
test  libclang-rt-14-dev        the libFuzzer and sanitizer runtimes
test  llvm                      llvm-symbolizer: names in sanitizer reports, as leak suppressions need
test  chromium                  a real browser drives the web admin (tests/e2e/admin.sh)
test  chromium-driver           chromedriver: Selenium talks to chromium through it
test  python3-selenium          the web admin test drives chromium with Selenium
test  python3-botocore          the Route 53 mock checks every SigV4 signature with botocore
test  pebble                    a local ACME server for the DNS-01 end-to-end tests
test  lego                      an ACME client (httpreq, exec) for the DNS-01 end-to-end tests
test  certbot                   an ACME client for the DNS-01 end-to-end tests
test  python3-certbot-dns-rfc2136  certbot over RFC 2136 (DNS-01 tests)
'

want=build
case "${1:-}" in
--test) want="build test" ;;
"") ;;
*) echo "usage: etc/deps.sh [--test]" >&2; exit 2 ;;
esac

missing=
why=
for kind in $want; do
	pkgs=$(printf '%s\n' "$table" | awk -v k="$kind" '$1 == k { print $2 }')
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' && continue
		missing="$missing $p"
		why="$why$(printf '%s\n' "$table" | awk -v p="$p" '$2 == p {
			$1 = ""; $2 = ""; sub(/^ +/, ""); printf "  %-26s %s", p, $0 }')
"
	done
done
[ -z "$missing" ] && exit 0

# Root runs apt-get itself; anyone else goes through sudo, which must keep
# DEBIAN_FRONTEND (env is used so it works whatever sudo's env policy is).
if [ "$(id -u)" -eq 0 ]; then
	as_root=
elif command -v sudo >/dev/null 2>&1; then
	as_root=sudo
else
	echo "deps: these packages are missing and installing them needs root (no sudo here):" >&2
	printf '%s' "$why" >&2
	exit 1
fi

echo "deps: installing the missing Debian packages:" >&2
printf '%s' "$why" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# ddclient's package starts a daemon and asks questions: keep it quiet.
if ! $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 ||
	! $as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $missing >>"$log" 2>&1; then
	tail -n 20 "$log" >&2
	echo "deps: apt-get failed (its last lines are above)" >&2
	exit 1
fi
echo "deps: done" >&2
