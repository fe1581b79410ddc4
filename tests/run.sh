#!/bin/sh
# run.sh [unit|fuzz|e2e]... - the test runner of `make check`.
#
# Runs the unit tests (ASan+UBSan binaries in build/unit), a bounded fuzz
# run (build/fuzz, FUZZ_CHECK_SECONDS per target) and the e2e tests
# (tests/e2e/*.test, each against real dockerd in namespaces). Its last line
# is "N passed, N failed" (", N skipped" may follow); it exits non-zero on
# any failure. E2E_ONLY=name.test narrows the e2e part.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
cd "$top" || exit 3
parts=${*:-unit fuzz e2e}
# the host's own store folder (docker-fw's default): names, sizes, times
host_store() { ls -la --full-time /var/lib/docker-fw 2>&1; }
pass=0 fail=0 skip=0
results=$(mktemp /tmp/dfwresults.XXXXXX)
trap 'rm -f "$results"' EXIT

count() {	# count LOGFILE: adds a "N passed, N failed" closing line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		fail=$((fail + 1))
		return
	fi
	set -- $line
	pass=$((pass + $1))
	fail=$((fail + $3))
}

for part in $parts; do
	case $part in
	unit)
		for t in "$build"/unit/test_*; do
			[ -x "$t" ] || continue
			echo "== unit: ${t##*/}"
			"$t" >"$results.log" 2>&1
			rc=$?
			cat "$results.log"
			count "$results.log"
			[ $rc -ne 0 ] && ! grep -q ' [1-9][0-9]* failed' \
				"$results.log" && fail=$((fail + 1))
		done ;;
	fuzz)
		for f in "$build"/fuzz/fuzz_*; do
			[ -x "$f" ] || continue
			n=${f##*/fuzz_}
			echo "== fuzz: $n (${FUZZ_CHECK_SECONDS:-10} s)"
			if sh tests/fuzz/run.sh "${FUZZ_CHECK_SECONDS:-10}" "$n" \
				>"$results.log" 2>&1; then
				pass=$((pass + 1)); echo "PASS fuzz_$n"
			else
				tail -n 30 "$results.log"
				fail=$((fail + 1)); echo "FAIL fuzz_$n"
			fi
		done ;;
	e2e)
		for t in tests/e2e/*.test; do
			[ -n "${E2E_ONLY:-}" ] && [ "${t##*/}" != "$E2E_ONLY" ] &&
				continue
			echo "== e2e: ${t##*/}"
			: >"$results"
			start=$(date +%s)
			store0=$(host_store)
			TESTING_RESULTS=$results DFW=$top/docker-fw BUILD=$build \
				sh "$t"
			rc=$?
			p=$(grep -c '^PASS' "$results")
			f=$(grep -c '^FAIL' "$results")
			s=$(grep -c '^SKIP' "$results")
			if [ $rc -ne 0 ] && [ "$f" = 0 ]; then
				echo "FAIL ${t##*/}: exited $rc"
				f=1
			fi
			# every run of a test has a store of its own
			if [ "$(host_store)" != "$store0" ]; then
				echo "FAIL ${t##*/}: the host's store" \
				     "(/var/lib/docker-fw) changed"
				f=$((f + 1))
			fi
			echo "   ${t##*/}: $p passed, $f failed, $s skipped in" \
			     "$(( $(date +%s) - start )) s"
			pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
		done ;;
	esac
done
rm -f "$results.log"
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
