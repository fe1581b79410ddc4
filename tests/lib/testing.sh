# testing.sh - the toybox-style helper of the e2e tests.
#
#   testing NAME COMMAND EXPECTED   runs COMMAND (eval, stdout and exit
#                                   code of the last command kept) and
#                                   compares its stdout with EXPECTED
#   testing_pass NAME / testing_fail NAME / testing_skip NAME
#
# Results go to $TESTING_RESULTS (one "PASS|FAIL|SKIP name" line each) for
# tests/run.sh to count. Under CI=true a skip counts as a failure: missing
# prerequisites must not hide a test.

set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${TESTING_RESULTS:=/dev/null}"
TESTING_PREFIX=${TESTING_PREFIX:-}
testing_failed=0

testing_record() {
	echo "$1 ${TESTING_PREFIX}$2" >>"$TESTING_RESULTS"
	echo "$1 ${TESTING_PREFIX}$2"
}
testing_pass() { testing_record PASS "$1"; }
testing_fail() { testing_record FAIL "$1"; testing_failed=$((testing_failed + 1)); }
testing_skip() {
	if [ "${CI:-}" = true ]; then
		testing_fail "$1 (a skip is a failure under CI)"
	else
		testing_record SKIP "$1"
	fi
}

testing() {
	got=$(eval "$2" 2>"$TESTING_TMP/stderr")
	if [ "$got" = "$3" ]; then
		testing_pass "$1"
	else
		testing_fail "$1"
		printf -- '--- expected\n%s\n--- got\n%s\n--- stderr\n' "$3" "$got"
		sed -n 1,20p "$TESTING_TMP/stderr"
	fi
}

TESTING_TMP=$(mktemp -d /tmp/dfwtest.XXXXXX)
testing_cleanup() { rm -rf "$TESTING_TMP"; }
# Whatever way the test ends, the sandbox (if any) and the scratch folder go.
testing_atexit() {
	command -v sb_stop >/dev/null 2>&1 && sb_stop
	testing_cleanup
}
trap testing_atexit EXIT
trap 'exit 130' INT TERM HUP
