#!/bin/sh
# bench_watch.sh - the dfw-watch part of `make bench` (BENCH_WATCH=0 in
# make bench skips it; `sh tests/bench_watch.sh` runs it alone), against a
# real sandboxed dockerd. Nothing here asserts a time; it reports.
#
# 1. Latency: container wb has a rule (add-internal wb --source wa); it is
#    stopped (until the table no longer holds its rule) and started again,
#    BENCH_WATCH_RESTARTS times, while dfw-watch runs (default window).
#    Latency of one restart: from Docker's start event (its timeNano, from
#    `docker events`) to the time dfw-watch's log line for that start's
#    sync reached us (stamped as it arrives through a fifo; watch writes
#    it after the commit): the first line after the start request of a
#    sync that changed wb's rules, which the table is then read to hold.
#    The burst window (200 ms) runs from the first event of a restart,
#    the network connect Docker sends before the start event, so that
#    line may come before the start event: such restarts are counted
#    ("early", negative times). p50, p99, max and min, in ms.
# 2. Memory: watch's RSS (VmRSS) after the latency loop, then after
#    BENCH_WATCH_CYCLES stop/start cycles of wb (Docker's API through
#    curl, as fast as dockerd takes them, each start awaited by Docker),
#    then its VmHWM; the log lines (batches) it wrote meanwhile.
#
# Settings (environment):
#   BENCH_ENGINE          dockerd: 20.10 (default) or 28.5
#   BENCH_WATCH_MODES     backends, in order: "legacy nft" (default)
#   BENCH_WATCH_RESTARTS  restarts timed per backend (default 100)
#   BENCH_WATCH_CYCLES    stop/start cycles for RSS, in the last backend
#                         only (default 1000; 0: none)
#   BENCH_WATCH_PAR       containers cycled at once, each with a rule
#                         (wb, wc1, ...): the cycles are shared among them
#                         (default 1: wb alone)
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/lib/testing.sh"
. "$TOP/tests/lib/sandbox.sh"
engine=${BENCH_ENGINE:-20.10}
modes=${BENCH_WATCH_MODES:-legacy nft}
restarts=${BENCH_WATCH_RESTARTS:-100}
cycles=${BENCH_WATCH_CYCLES:-1000}
par=${BENCH_WATCH_PAR:-1}
why=$(sb_prereq "$engine") || { echo "bench: $why" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench: curl not installed" >&2; exit 1; }
[ -x "$DFW" ] || { echo "bench: build first: make docker-fw" >&2; exit 1; }
T=$TESTING_TMP
WPID='' EPID='' SPID=''
t_start=$(date +%s)

stop_all() {
	for p in $WPID $EPID $SPID; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	WPID='' EPID='' SPID=''
}
trap 'stop_all; testing_atexit' EXIT

api() {	# api METHOD PATH: one call to the sandbox's dockerd
	curl -sf --unix-socket "${DOCKER_HOST#unix://}" -X "$1" "http://x$2" \
		>/dev/null
}
nlines() { grep -c -- "$1" "$T/watch.log"; }
# wait_lines N TEXT: until the log holds N lines with TEXT (60 s at most)
wait_lines() {
	i=0
	while [ "$(nlines "$2")" -lt "$1" ]; do
		i=$((i + 1))
		[ $i -gt 6000 ] && { echo "bench: no '$2' x $1" >&2; return 1; }
		sleep 0.01
	done
}
rules_wb() { sb_ipt_save -t filter | grep -c -- '-d [0-9.]*/32.*docker-fw wb '; }
status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$WPID/status"; }

# watch_bench MODE LAST: the sandbox of MODE; LAST=1 runs the cycles too
watch_bench() {
	sb_start "$engine" "$1" || { echo "bench: sandbox did not start" >&2; exit 1; }
	export DFW_STATE_DIR="$SB_DIR/state"
	sb_dfw init >/dev/null 2>&1
	sb_run wa
	sb_run wb
	sb_dfw add-internal wb --source wa --dport 80 >/dev/null 2>&1 ||
		{ echo "bench: add-internal failed" >&2; exit 1; }

	# watch's stderr through a fifo, each line stamped (ns) on arrival
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	: >"$T/watch.log"
	while IFS= read -r l; do
		printf '%s %s\n' "$(date +%s%N)" "$l"
	done <"$T/fifo" >>"$T/watch.log" &
	SPID=$!
	PATH=$SB_PATH nsenter --net="/var/run/netns/$SB_NS" "$DFW" watch \
		2>"$T/fifo" >/dev/null &
	WPID=$!
	wait_lines 1 'replay of every container' || exit 1
	docker -H "$DOCKER_HOST" events --filter container=wb \
		--filter event=start --format '{{.TimeNano}}' \
		>"$T/starts" 2>/dev/null &
	EPID=$!
	sleep 1	# the events client connected
	: >"$T/synced"
	k=0
	while [ $k -lt "$restarts" ]; do
		k=$((k + 1))
		api POST /containers/wb/stop?t=0
		i=0
		while [ "$(rules_wb)" != 0 ]; do
			i=$((i + 1))
			[ $i -gt 600 ] && { echo "bench: wb's rule stays" >&2; exit 1; }
			sleep 0.05
		done
		sleep 0.3	# the stop's batches done
		l0=$(wc -l <"$T/watch.log")
		api POST /containers/wb/start
		# the first line after the start of a sync that changed wb's
		# rules (a connect's batch may do it before the start event;
		# a batch before the address is known changes nothing)
		i=0
		until t=$(tail -n +$((l0 + 1)) "$T/watch.log" |
			  grep -m 1 'sync wb: [1-9]') ; do
			i=$((i + 1))
			[ $i -gt 3000 ] && { echo "bench: wb not synced" >&2; exit 1; }
			sleep 0.02
		done
		[ "$(rules_wb)" = 1 ] ||
			{ echo "bench: wb synced, its rule not in" >&2; exit 1; }
		echo "${t%% *}" >>"$T/synced"
	done
	# the k-th start event and the k-th restart's sync
	i=0
	while [ "$(wc -l <"$T/starts")" -lt "$restarts" ] && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	paste -d' ' "$T/starts" "$T/synced" |
		awk 'NF == 2 { print ($2 - $1) / 1e6 }' | sort -n >"$T/lat"
	got=$(wc -l <"$T/lat")
	printf '  %-8s %9s %8s %8s %8s %8s %8s\n' "$1" "$got" \
		"$(awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] }' "$T/lat")" \
		"$(awk '{ v[NR] = $1 } END { i = int(NR * 0.99 + 0.999); printf "%.0f", v[i] }' "$T/lat")" \
		"$(tail -n 1 "$T/lat" | awk '{ printf "%.0f", $1 }')" \
		"$(head -n 1 "$T/lat" | awk '{ printf "%.0f", $1 }')" \
		"$(awk '$1 < 0' "$T/lat" | wc -l)"
	grep -q 'sync wb: ' "$T/watch.log" || cat "$T/watch.log" >&2

	if [ "$2" = 1 ] && [ "$cycles" -gt 0 ]; then
		kill "$EPID" 2>/dev/null
		wait "$EPID" 2>/dev/null
		EPID=
		r0=$(status VmRSS) h0=$(status VmHWM)
		l0=$(wc -l <"$T/watch.log")
		c0=$(date +%s)
		# par containers, each in a loop of its own, cycles/par each
		names=wb
		j=1
		while [ $j -lt "$par" ]; do
			sb_run "wc$j"
			sb_dfw add-internal "wc$j" --source wa --dport 80 \
				>/dev/null 2>&1 ||
				{ echo "bench: add-internal failed" >&2; exit 1; }
			names="$names wc$j"
			j=$((j + 1))
		done
		pids=
		for n in $names; do
			(
				k=0
				while [ $k -lt $((cycles / par)) ]; do
					k=$((k + 1))
					api POST "/containers/$n/stop?t=0"
					api POST "/containers/$n/start"
				done
			) &
			pids="$pids $!"
		done
		# shellcheck disable=SC2086 # one PID a word
		wait $pids
		# the last starts synced, each rule in: watch took them all
		i=0
		while [ "$(sb_ipt_save -t filter |
			   grep -c -- '-d [0-9.]*/32.*docker-fw w[bc][0-9]* ')" \
			!= "$par" ] && [ $i -lt 600 ]; do
			i=$((i + 1))
			sleep 0.1
		done
		sleep 2
		r1=$(status VmRSS) h1=$(status VmHWM)
		l1=$(wc -l <"$T/watch.log")
		echo
		echo "watch's memory over $((cycles / par * par)) stop/start" \
		     "cycles of $names" \
		     "($1, $(( $(date +%s) - c0 )) s):"
		echo "  VmRSS   before $r0 KiB, after $r1 KiB"
		echo "  VmHWM   before $h0 KiB, after $h1 KiB"
		echo "  log lines (batches and the like) $((l1 - l0));" \
		     "rules of $names at the end: $(sb_ipt_save -t filter |
			grep -c -- '-d [0-9.]*/32.*docker-fw w[bc][0-9]* ')"
		echo "  errors in the log: $(grep -ciE 'error|cannot|lost' \
			"$T/watch.log")"
	fi
	stop_all
	sb_stop
}

echo "## dfw-watch: Docker's start event to the rule's commit"
echo
echo "dockerd $engine, $(nproc) cores, load average" \
     "$(cut -d' ' -f1-3 /proc/loadavg); default burst window; in ms"
echo
printf '  %-8s %9s %8s %8s %8s %8s %8s\n' backend restarts p50 p99 max min \
	early
last=${modes##* }
for m in $modes; do
	if [ "$m" = "$last" ]; then watch_bench "$m" 1; else watch_bench "$m" 0; fi
done
echo
echo "# bench_watch done in $(( $(date +%s) - t_start )) s; load average" \
     "now $(cut -d' ' -f1-3 /proc/loadavg)"
testing_cleanup
