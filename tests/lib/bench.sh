# tests/lib/bench.sh - what tests/bench.sh and tests/bench6.sh share:
# runs under tests/tools/rusage ($R) in the sandbox's namespace, kept one
# line per run in $S/KEY, and their medians, peaks and ratios. Needs S,
# LOG, R, DFW and TESTING_TMP set, and the sandbox (sandbox.sh) started.

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "" || b == "" || a == "-" || b == "-" || b == 0)
			print "-"
		else
			printf "%.2f", a / b }'
}

# sample KEY CMD...: one run of CMD in the sandbox's namespace under
# rusage, with the sandbox's PATH and DFW_STATE_DIR; stdout is dropped,
# stderr kept in $LOG. A command that fails is reported (the bench goes
# on: a missing number shows as "-").
sample() {
	key=$1
	shift
	rm -f "$TESTING_TMP/one"
	if [ -n "${BENCH_PERF:-}" ] && [ "$1" = "$DFW" ]; then
		mkdir -p "$BENCH_PERF"
		set -- perf record -q -g -F 2000 \
			-o "$BENCH_PERF/$key.$(($(wc -l <"$S/$key" 2>/dev/null ||
				echo 0) + 1)).data" -- "$@"
	fi
	sb_nsenter env PATH="$SB_PATH" DFW_STATE_DIR="${DFW_STATE_DIR:-}" \
		"$R" -o "$TESTING_TMP/one" "$@" >/dev/null 2>"$LOG"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		printf '  ! %s: %s exited %s: %s\n' "$key" "${1##*/}" "$rc" \
			"$(head -n 1 "$LOG")"
		return "$rc"
	fi
	sed -n 's/^wall_us=\([0-9]*\) maxrss_kib=\([0-9]*\) self_kib=\(-*[0-9]*\) cpu_us=\([0-9]*\) self_cpu_us=\(-*[0-9]*\)$/\1 \2 \3 \4 \5/p' \
		"$TESTING_TMP/one" >>"$S/$key"
}

# med KEY [COLUMN]: the median wall time (or CPU time: COLUMN 4 for the
# tree, 5 for the process itself) in microseconds, "-" without samples
med() {
	[ -s "$S/$1" ] || { echo -; return; }
	awk -v c="${2:-1}" '{ print $c }' "$S/$1" | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# rss KEY COLUMN: the largest RSS of the runs in MiB (2: tree, 3: self)
rss() {
	[ -s "$S/$1" ] || { echo -; return; }
	awk -v c="$2" '$c > m { m = $c } END { printf "%.1f", m / 1024 }' \
		"$S/$1"
}

ms() { awk -v v="$1" 'BEGIN { if (v == "-") print v; else printf "%.0f", v / 1000 }'; }

# has LIST WORD: whether WORD is one of the words of LIST
has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }
