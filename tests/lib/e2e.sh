# Shared helpers for end-to-end tests: source it from a test script.
#
# e2e_init                 make a scratch folder ($E2E_DIR), trap cleanup
# e2e_free_port            print a free TCP port on 127.0.0.1
# e2e_start_ddnsd CONF     start $DDNSD -c CONF in the background, wait until
#                          its HTTP port ($E2E_HTTP_PORT) answers; pid in
#                          $E2E_DDNSD_PID, log in $E2E_DIR/ddnsd.log
# e2e_stop_ddnsd           SIGTERM and wait; fails if exit status is not 0
# e2e_wait_log TEXT [N]    wait (20 s at most) until ddnsd.log has the fixed
#                          string TEXT on N lines (default 1); fails if not
# e2e_key_hash KEY         print "sha256:<hex>" of KEY
# check DESC CMD...        run CMD, count a pass or a failure
# expect_eq DESC GOT WANT  compare strings
# e2e_finish               repeat the failures, print "N passed, N failed",
#                          exit 1 on failure
# e2e_init_http [SCHEME]   e2e_init, then a free port for ddnsd's listener:
#                          E2E_HTTP_PORT and PORT, BASE (SCHEME://127.0.0.1:
#                          PORT, http unless given), CONF ($E2E_DIR/ddns.conf)
# e2e_conf_base [HTTP]     print the first lines of a ddns.conf: http (listen
#                          on PORT, then the HTTP settings given), database
#                          in $E2E_DIR, plugin_dir
# e2e_find_tool NAME PKG   print the path of program NAME (PATH or /usr/sbin),
#                          or fail saying which Debian package has it
# e2e_pki_ca DIR           make a test CA with openssl: DIR/ca.pem, DIR/ca.key
# e2e_pki_cert DIR NAME SERIAL CN
#                          DIR/NAME.pem and DIR/NAME.key, a server certificate
#                          for 127.0.0.1 and localhost signed by that CA
set -u
# What a test writes is its own: configurations hold provider tokens, and
# ddnsd refuses a secret in a file others can read.  A test that needs
# another user to read a file says so with chmod.
umask 077

: "${DDNSD:?DDNSD must point at the ddnsd binary}"
: "${DDNS_TEST_PLUGIN_DIR:?}"
E2E_PASS=0
E2E_FAIL=0
E2E_FAILED=  # the failures again, at the end, where a log's tail shows them

e2e_init() {
	E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ddns-e2e.XXXXXX")
	trap e2e_cleanup EXIT
}

e2e_cleanup() {
	local pid
	for pid in ${E2E_DDNSD_PID:-} ${E2E_EXTRA_PIDS:-}; do
		kill -9 "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "${E2E_KEEP:-0}" = 1 ] || [ "$E2E_FAIL" -gt 0 ]; then
		echo "e2e: kept $E2E_DIR" >&2
		if [ -f "$E2E_DIR/ddnsd.log" ]; then
			echo "--- ddnsd.log (tail) ---" >&2
			tail -n 40 "$E2E_DIR/ddnsd.log" >&2
		fi
	else
		rm -rf "$E2E_DIR"
	fi
}

# Ports for test servers come from below the ephemeral range
# (tests/lib/free_port.py says why).
e2e_free_port() {
	python3 "$top_srcdir/tests/lib/free_port.py"
}

# A port free for both UDP and TCP (a DNS listener takes both).
e2e_free_udp_port() {
	python3 "$top_srcdir/tests/lib/free_port.py" --udp
}

e2e_key_hash() {
	printf 'sha256:%s\n' "$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)"
}

# Wait until TCP port $1 on 127.0.0.1 accepts, at most ~10 s.
e2e_wait_port() {
	local i
	for i in $(seq 1 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		if [ -n "${E2E_DDNSD_PID:-}" ] && ! kill -0 "$E2E_DDNSD_PID" 2>/dev/null; then
			return 1
		fi
		sleep 0.05
	done
	return 1
}

e2e_start_ddnsd() {
	local conf=$1
	"$DDNSD" -c "$conf" >>"$E2E_DIR/ddnsd.log" 2>&1 &
	E2E_DDNSD_PID=$!
	if ! e2e_wait_port "$E2E_HTTP_PORT"; then
		echo "e2e: ddnsd did not start; log:" >&2
		cat "$E2E_DIR/ddnsd.log" >&2
		return 1
	fi
}

# Tests wait for what ddnsd says it did, never for a fixed time: a loaded
# machine can take any time to get there.
e2e_wait_log() {
	local i
	for i in $(seq 1 400); do
		[ "$(grep -cF -- "$1" "$E2E_DIR/ddnsd.log" 2>/dev/null)" -ge "${2:-1}" ] && return 0
		sleep 0.05
	done
	return 1
}

e2e_stop_ddnsd() {
	local rc=0
	[ -n "${E2E_DDNSD_PID:-}" ] || return 0
	kill -TERM "$E2E_DDNSD_PID" 2>/dev/null
	wait "$E2E_DDNSD_PID" || rc=$?
	E2E_DDNSD_PID=
	return $rc
}

check() {
	local desc=$1
	shift
	if "$@"; then
		E2E_PASS=$((E2E_PASS + 1))
		echo "ok - $desc"
	else
		E2E_FAIL=$((E2E_FAIL + 1))
		E2E_FAILED="$E2E_FAILED# failed: $desc
"
		echo "not ok - $desc"
	fi
}

expect_eq() {
	if [ "$2" = "$3" ]; then
		E2E_PASS=$((E2E_PASS + 1))
		echo "ok - $1"
	else
		E2E_FAIL=$((E2E_FAIL + 1))
		echo "not ok - $1"
		echo "#   got:  $2"
		echo "#   want: $3"
		E2E_FAILED="$E2E_FAILED# failed: $1 (got \"$2\", want \"$3\")
"
	fi
}

e2e_finish() {
	printf '%s' "$E2E_FAILED"
	echo "$E2E_PASS passed, $E2E_FAIL failed"
	[ "$E2E_FAIL" -eq 0 ]
}

# What almost every e2e test starts with: one ddnsd HTTP port and a config.
e2e_init_http() {
	e2e_init
	E2E_HTTP_PORT=$(e2e_free_port)
	PORT=$E2E_HTTP_PORT
	BASE=${1:-http}://127.0.0.1:$PORT
	CONF=$E2E_DIR/ddns.conf
}

e2e_conf_base() {
	cat <<EOF
http = { listen = [ "127.0.0.1:$PORT" ];${1:+ $1} };
database = "$E2E_DIR/ddns.sqlite";
plugin_dir = "$DDNS_TEST_PLUGIN_DIR";
EOF
}

# A test that needs a program fails (not skips) without it: the project
# installs it, so its absence is a broken setup to be told about.
e2e_find_tool() {
	local path
	path=$(command -v "$1" || echo "/usr/sbin/$1")
	if [ ! -x "$path" ]; then
		echo "$(basename "$0"): $1 is not installed (Debian package $2)" >&2
		return 1
	fi
	printf '%s\n' "$path"
}

e2e_pki_ca() {
	mkdir -p "$1"
	printf '%s\n' '[req]' 'distinguished_name = dn' 'prompt = no' '[dn]' \
		'CN = ddnsd test CA' '[v3_ca]' 'basicConstraints = critical,CA:TRUE' \
		'keyUsage = critical,keyCertSign,cRLSign' 'subjectKeyIdentifier = hash' >"$1/ca.cnf"
	printf '%s\n' 'basicConstraints = CA:FALSE' \
		'keyUsage = critical,digitalSignature,keyEncipherment' \
		'extendedKeyUsage = serverAuth' 'subjectAltName = IP:127.0.0.1,DNS:localhost' \
		>"$1/server.ext"
	openssl req -x509 -config "$1/ca.cnf" -extensions v3_ca \
		-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$1/ca.key" -out "$1/ca.pem" -days 2 2>/dev/null ||
		{ echo "$(basename "$0"): openssl cannot make a CA" >&2; return 1; }
}

e2e_pki_cert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$1/$2.key" -out "$1/$2.csr" -subj "/CN=$4" 2>/dev/null &&
	openssl x509 -req -in "$1/$2.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" \
		-set_serial "$3" -days 2 -extfile "$1/server.ext" \
		-out "$1/$2.pem" 2>/dev/null
}

# The head of a knot.conf for a knotd of the test in directory $1 on
# 127.0.0.1 port $2: where it runs, keeps its data and logs (knot.log).
e2e_knot_conf_head() {
	cat <<EOF
server:
    listen: 127.0.0.1@$2
    rundir: "$1"
database:
    storage: "$1"
log:
  - target: "$1/knot.log"
    any: info
EOF
}

# e2e_until SECONDS CMD...: run CMD until it succeeds, at most SECONDS: a
# bound, not a guess (it ends as soon as CMD succeeds).
e2e_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# e2e_knot_secondary_zone DIR SECRET PRIMARY-PORT ZONE [LINE...]: the rest
# of a knot.conf (after e2e_knot_conf_head) for a TSIG secondary of ZONE
# whose primary is 127.0.0.1 PRIMARY-PORT, key ddnsd-key; each LINE is
# added to the zone ("zonefile-sync: 0").
e2e_knot_secondary_zone() {
	local dir=$1 secret=$2 port=$3 zone=$4 line
	shift 4
	cat <<EOF
key:
  - id: ddnsd-key
    algorithm: hmac-sha256
    secret: $secret
remote:
  - id: ddnsd
    address: 127.0.0.1@$port
    key: ddnsd-key
acl:
  - id: from_ddnsd
    remote: ddnsd
    action: notify
zone:
  - domain: $zone
    storage: "$dir"
    master: ddnsd
    acl: from_ddnsd
EOF
	for line in "$@"; do
		printf '    %s\n' "$line"
	done
}
