# Start a python mock provider API from a shell script (the shell twin of
# mock_api.c): source it, then
#
#   mock_api_start NAME SCRIPT DIR
#
# runs tests/plugins/providers/SCRIPT on a free port (the mock picks it and
# prints "PORT <n>"), its output in DIR/NAME.port and DIR/NAME.log; sets
# NAME_PORT and MOCK_API_PID (the caller kills it).  Fails, with the mock's
# log, if it does not say its port within ~10 s.
: "${top_srcdir:?top_srcdir must name the source tree}"

mock_api_start() {
	local name=$1 script=$2 dir=$3 port= i
	python3 "$top_srcdir/tests/plugins/providers/$script" --port 0 \
		>"$dir/$name.port" 2>"$dir/$name.log" &
	MOCK_API_PID=$!
	for i in $(seq 1 200); do
		port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$dir/$name.port")
		[ -n "$port" ] && break
		kill -0 "$MOCK_API_PID" 2>/dev/null || break  # it died: no use waiting
		sleep 0.05
	done
	if [ -z "$port" ]; then
		echo "$(basename "$0"): $script did not start" >&2
		cat "$dir/$name.log" >&2
		return 1
	fi
	printf -v "${name}_PORT" '%s' "$port"
}

# mock_api_e2e NAME SCRIPT: the same in an e2e test (tests/lib/e2e.sh):
# output in $E2E_DIR, the mock killed by e2e_cleanup; a mock that does not
# start ends the test.
mock_api_e2e() {
	mock_api_start "$1" "$2" "$E2E_DIR" || exit 1
	E2E_EXTRA_PIDS="${E2E_EXTRA_PIDS:-} $MOCK_API_PID"
}
