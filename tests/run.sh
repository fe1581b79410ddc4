#!/bin/sh
# run.sh [unit|fuzz|e2e]... - the test runner of `make check`.
#
# Runs the unit tests (ASan+UBSan binaries in build/unit), a bounded fuzz
# run (build/fuzz, FUZZ_CHECK_SECONDS per target) and the e2e tests
# (tests/e2e/*.test, each against real dockerd in namespaces). Its last line
# is "N passed, N failed" (", N skipped" may follow); it exits non-zero on
# any failure. E2E_ONLY="name.test ..." narrows the e2e part; E2E_JOBS
# (default 2) is how many e2e files run side by side; E2E_TIMEOUT
# (seconds, default 2400) stops a file that hangs, as a failure.
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

# e2e_one TEST DIR: runs one e2e file under timeout (E2E_TIMEOUT
# seconds, default 2400: then TERM, the file's trap stops its sandboxes;
# KILL a minute later); timeout's PID goes to DIR/NAME.pid, the file's
# output to DIR/NAME.log, its "PASS|FAIL|SKIP" lines to DIR/NAME.res,
# then "P F S SECONDS" to DIR/NAME.sum (written last: the pool polls for
# it).
e2e_one() {
	n=${1##*/}
	: >"$2/$n.res"
	start=$(date +%s)
	TESTING_RESULTS=$2/$n.res DFW=$top/docker-fw BUILD=$build \
		timeout -k 60 "${E2E_TIMEOUT:-2400}" sh "$1" \
		</dev/null >"$2/$n.log" 2>&1 &
	echo $! >"$2/$n.pid"
	wait $!
	rc=$?
	[ $rc = 124 ] && echo "FAIL $n: stopped after ${E2E_TIMEOUT:-2400} s" \
		"(E2E_TIMEOUT)" >>"$2/$n.log"
	p=$(grep -c '^PASS' "$2/$n.res")
	f=$(grep -c '^FAIL' "$2/$n.res")
	s=$(grep -c '^SKIP' "$2/$n.res")
	p=${p:-0} f=${f:-0} s=${s:-0}
	if [ $rc -ne 0 ] && [ "$f" = 0 ]; then
		[ $rc = 124 ] || echo "FAIL $n: exited $rc" >>"$2/$n.log"
		f=1
	fi
	echo "$p $f $s $(( $(date +%s) - start ))" >"$2/$n.sum.tmp"
	mv "$2/$n.sum.tmp" "$2/$n.sum"
}

# e2e_stop: on INT or TERM, the files running are stopped (TERM to their
# timeout, which passes it on: their traps stop their sandboxes; an
# INT would not reach them, started in the background) and waited for.
e2e_stop() {
	for f in "$d"/*.pid; do
		[ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
	done
	wait
	rm -rf "$d" "$results"
	exit 130
}

# e2e_pool: the e2e files, E2E_JOBS at a time (default 2: each file
# spends most of its time waiting on dockerd, containers and timeouts;
# every file has its own namespaces, daemons and folders, so files run
# side by side). The longest files start first. Each file's output is
# printed whole when it ends, with its counts and seconds.
E2E_FIRST="ipv6 watch rules compat looking tls guard lifecycle topo hosts"
e2e_pool() {
	jobs=${E2E_JOBS:-2}
	case $jobs in
	''|*[!0-9]*|0*)
		echo "FAIL e2e: E2E_JOBS \"$jobs\": a whole number, 1 or more"
		fail=$((fail + 1))
		return ;;
	esac
	d=$(mktemp -d /tmp/dfwrun.XXXXXX)
	trap e2e_stop INT TERM HUP
	all=
	for n in $E2E_FIRST; do
		[ -f "tests/e2e/$n.test" ] && all="$all tests/e2e/$n.test"
	done
	for t in tests/e2e/*.test; do
		case " $all " in *" $t "*) continue ;; esac
		all="$all $t"
	done
	for n in ${E2E_ONLY:-}; do
		[ -f "tests/e2e/$n" ] && continue
		echo "FAIL e2e: E2E_ONLY names $n: no tests/e2e/$n"
		fail=$((fail + 1))
	done
	todo=
	for t in $all; do
		case " ${E2E_ONLY:-${t##*/}} " in
		*" ${t##*/} "*) ;;
		*) continue ;;
		esac
		todo="$todo $t"
	done
	store0=$(host_store)
	running=
	while [ -n "$todo$running" ]; do
		# start files while there is room; each job's PID in NAME.job
		while [ -n "$todo" ] &&
			[ $(echo $running | wc -w) -lt "$jobs" ]; do
			set -- $todo
			t=$1; shift; todo=$*
			echo "== e2e: ${t##*/} (started)"
			e2e_one "$t" "$d" &
			echo $! >"$d/${t##*/}.job"
			running="$running ${t##*/}"
		done
		sleep 1
		still=
		for n in $running; do
			if [ ! -f "$d/$n.sum" ]; then
				# a job gone without its counts: killed
				if kill -0 "$(cat "$d/$n.job")" 2>/dev/null ||
					[ -f "$d/$n.sum" ]; then
					still="$still $n"
					continue
				fi
				echo "0 1 0 -" >"$d/$n.sum"
				echo "FAIL $n: its runner ended without counts" \
					>>"$d/$n.log"
			fi
			echo "== e2e: $n"
			cat "$d/$n.log"
			set -- $(cat "$d/$n.sum")
			echo "   $n: $1 passed, $2 failed, $3 skipped in $4 s"
			pass=$((pass + $1)) fail=$((fail + $2)) skip=$((skip + $3))
		done
		running=$still
	done
	wait
	trap - INT TERM HUP
	# every run of a test has a store of its own
	if [ "$(host_store)" != "$store0" ]; then
		echo "FAIL e2e: the host's store (/var/lib/docker-fw) changed"
		fail=$((fail + 1))
	fi
	rm -rf "$d"
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
		e2e_pool ;;
	esac
done
rm -f "$results.log"
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
