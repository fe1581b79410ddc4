#!/bin/sh
# bench6.sh - `make bench`'s IPv6 part (issue #14): docker-fw's replay
# with every rule in both families, against iptables-restore +
# ip6tables-restore of the same rules and iptables-save + ip6tables-save
# of both tables, per backend. tests/bench.sh runs it last
# (BENCH_IPV6=0 skips it); `sh tests/bench6.sh` runs it alone. Nothing
# here asserts a time; it reports (tests/BENCH.md, "IPv6 (issue #14)").
#
# The workload: dockerd 28.5 with its defaults (ip6tables on, so Docker
# writes its IPv6 rules too), one dual-stack user network (`--ipv6
# --subnet 172.30.0.0/16 --subnet fd00:30::/64`), C running containers
# on it (r1..rC), N/C `add-internal` rules per container, each from
# another container, distinct ports (as the IPv4 workload of bench.sh):
# every container has an address in both families, so each rule is one
# rule in the ip table and one in the ip6 table - N per family, 2N in
# all.
#
# Settings (environment):
#   BENCH6_MODES       backends, in order: "legacy nft" (default:
#                      BENCH_MODES, else "legacy nft")
#   BENCH6_RULES       rule counts N per family: "1000 10000" (default),
#                      each a multiple of BENCH6_CONTAINERS
#   BENCH6_CONTAINERS  running containers, >= 2 (default 100)
#   BENCH6_RUNS        runs per median (default 3)
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/lib/testing.sh"
. "$TOP/tests/lib/sandbox.sh"
. "$TOP/tests/lib/bench.sh"
engine=28.5
modes=${BENCH6_MODES:-${BENCH_MODES:-legacy nft}}
sizes=${BENCH6_RULES:-1000 10000}
ctrs=${BENCH6_CONTAINERS:-100}
runs=${BENCH6_RUNS:-3}
R=$BUILD/test/rusage
why=$(sb_prereq "$engine") || { echo "bench6: $why" >&2; exit 1; }
[ -x "$R" ] && [ -x "$DFW" ] ||
	{ echo "bench6: build first: make docker-fw tools" >&2; exit 1; }
case $ctrs$runs in
*[!0-9]*|'') echo "bench6: BENCH6_CONTAINERS, BENCH6_RUNS: numbers" >&2
	exit 1 ;;
esac
[ "$ctrs" -ge 2 ] && [ "$runs" -ge 1 ] ||
	{ echo "bench6: BENCH6_CONTAINERS >= 2, BENCH6_RUNS >= 1" >&2; exit 1; }
for n in $sizes; do
	case $n in
	*[!0-9]*|'') echo "bench6: BENCH6_RULES: numbers" >&2; exit 1 ;;
	esac
	[ "$n" -ge "$ctrs" ] && [ $((n % ctrs)) -eq 0 ] || {
		echo "bench6: BENCH6_RULES: each a multiple of $ctrs" >&2
		exit 1; }
done
t_start=$(date +%s)
export LC_ALL=C

S=$TESTING_TMP/samples6
LOG=$TESTING_TMP/log6
OURS='docker-fw r[0-9]'



# both KEY A B: the runs of A and B (same count, run by run) as one:
# times added, the larger RSS (the two ran one after the other)
both() {
	[ -s "$S/$2" ] && [ -s "$S/$3" ] || return 0
	paste -d' ' "$S/$2" "$S/$3" | awk '{
		printf "%d %d %d %d %d\n", $1 + $6, ($2 > $7 ? $2 : $7),
		    ($3 > $8 ? $3 : $8), $4 + $9, $5 + $10 }' >"$S/$1"
}


# The filter tables of both families as they were after `docker-fw
# init`, nothing stored.
to_base() {
	sb_nsenter "/usr/sbin/iptables-$SB_MODE-restore" -w \
		<"$SB_DIR/base4.rules" &&
	sb_nsenter "/usr/sbin/ip6tables-$SB_MODE-restore" -w \
		<"$SB_DIR/base6.rules"
}

# counts: docker-fw's container rules now, "IPV4 IPV6": in DFW-FORWARD,
# then anywhere in the table (the same if every rule is a FORWARD one)
counts() {
	f4=$(sb_ipt_save -t filter | grep -c -- "^-A DFW-FORWARD .*$OURS")
	f6=$(sb_ipt6_save -t filter | grep -c -- "^-A DFW-FORWARD .*$OURS")
	a4=$(sb_ipt_save -t filter | grep -c -- "^-A .*$OURS")
	a6=$(sb_ipt6_save -t filter | grep -c -- "^-A .*$OURS")
	echo "$f4 $f6 $a4 $a6"
}
check_counts() {	# WHAT N
	got=$(counts)
	[ "$got" = "$2 $2 $2 $2" ] ||
		echo "  ! $1: rules (ip DFW-FORWARD, ip6 DFW-FORWARD, ip all," \
		     "ip6 all) $got, not $2 each"
}

# The rule specs of container i (1..ctrs) with per rules: from another
# container (never itself), distinct ports.
specs() {	# I PER
	awk -v i="$1" -v per="$2" -v c="$ctrs" 'BEGIN {
		for (j = 1; j <= per; j++)
			printf "--source r%d --dport %d\n",
			    (i - 1 + (j - 1) % (c - 1) + 1) % c + 1, 10000 + j
	}'
}

# store N: the store of N rules per family in its own folder, one
# `add-internal --from` per container
store() {
	export DFW_STATE_DIR="$SB_DIR/state.$1"
	to_base
	i=0
	while [ $i -lt "$ctrs" ]; do
		i=$((i + 1))
		specs $i $(($1 / ctrs)) >"$TESTING_TMP/from6"
		sb_dfw add-internal "r$i" --from - <"$TESTING_TMP/from6" \
			>/dev/null ||
			{ echo "bench6: add-internal r$i failed" >&2; exit 1; }
	done
	check_counts "store $1" "$1"
}

# One run at N: all missing, no-op, both saves; both restores of the
# same rules into the tables of "all missing".
run_replay() {	# N RUN
	export DFW_STATE_DIR="$SB_DIR/state.$1"
	k=$1
	to_base
	sample "$k.miss" "$DFW" replay
	check_counts "replay all missing, $1" "$1"
	sample "$k.noop" "$DFW" replay
	check_counts "replay no-op, $1" "$1"
	rm -f "$DFW_STATE_DIR/.stamp" # the full check (#18's stamp)
	sample "$k.full" "$DFW" replay
	sample "$k.save4" "iptables-$SB_MODE-save" -t filter
	sample "$k.save6" "ip6tables-$SB_MODE-save" -t filter
	if [ "$2" = 1 ]; then
		for f in 4 6; do
			if [ $f = 4 ]; then sv=sb_ipt_save; else sv=sb_ipt6_save; fi
			{
				echo '*filter'
				$sv -t filter | grep -- "^-A DFW-FORWARD .*$OURS"
				echo COMMIT
			} >"$SB_DIR/rules$f.$k"
		done
	fi
	to_base
	sample "$k.rest4" "iptables-$SB_MODE-restore" -w --noflush \
		"$SB_DIR/rules4.$k"
	sample "$k.rest6" "ip6tables-$SB_MODE-restore" -w --noflush \
		"$SB_DIR/rules6.$k"
	check_counts "both restores, $1" "$1"
}

row() {	# LABEL FUNC ARGS...: FUNC ARGS... N per column
	label=$1
	shift
	printf '  %-44s' "$label"
	for n in $sizes; do
		printf ' %10s' "$("$@" "$n")"
	done
	echo
}
head_row() {
	printf '  %-44s' "$1"
	for n in $sizes; do
		printf ' %10s' "N=$(echo "$n" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')"
	done
	echo
}
c_ms() { ms "$(med "$2.$1")"; }					# WHAT N
c_cpu_dfw() { echo "$(ms "$(med "$2.$1" 5)")/$(ms "$(med "$2.$1" 4)")"; }
c_cpu() { ms "$(med "$2.$1" 4)"; }
c_ratio() { ratio "$(med "$3.$1")" "$(med "$3.$2")"; }		# A B N
c_cpu_ratio() { ratio "$(med "$3.$1" 4)" "$(med "$3.$2" 4)"; }
c_rss() { rss "$3.$1" "$2"; }					# WHAT COLUMN N
lin() { ratio "$(med "10000.$1" "${2:-1}")" "$(med "1000.$1" "${2:-1}")"; }


bench6() {	# MODE
	rm -rf "$S" && mkdir -p "$S"
	sb_start "$engine" "$1" || exit 1
	sb_docker network create --ipv6 --subnet 172.30.0.0/16 \
		--subnet fd00:30::/64 dual >/dev/null ||
		{ echo "bench6: network create failed" >&2; exit 1; }
	i=0
	while [ $i -lt "$ctrs" ]; do
		i=$((i + 1))
		sb_run "r$i" --network dual ||
			{ echo "bench6: docker run r$i failed" >&2; exit 1; }
	done
	a6=$(sb_ip6 "r$ctrs" dual)
	case $a6 in
	fd00:30:*) ;;
	*) echo "bench6: r$ctrs has no IPv6 address on dual: '$a6'" >&2
	   exit 1 ;;
	esac
	export DFW_STATE_DIR="$SB_DIR/state.init"
	sb_dfw init >/dev/null || { echo "bench6: init failed" >&2; exit 1; }
	sb_ipt_save -t filter >"$SB_DIR/base4.rules"
	sb_ipt6_save -t filter >"$SB_DIR/base6.rules"
	grep -q '^:DFW-FORWARD ' "$SB_DIR/base6.rules" ||
		{ echo "bench6: init made no ip6 DFW-FORWARD" >&2; exit 1; }
	backend=$(sb_dfw init 2>&1 |
		  sed -n 's/^# backend [a-z]*: \([^;]*\);.*/\1/p')
	ver=$(sb_nsenter "iptables-$1" --version)
	t0=$(date +%s)
	for n in $sizes; do
		store "$n"
	done
	t1=$(date +%s)
	r=0
	while [ $r -lt "$runs" ]; do
		r=$((r + 1))
		for n in $sizes; do
			run_replay "$n" $r
		done
	done
	for n in $sizes; do
		both "$n.rest" "$n.rest4" "$n.rest6"
		both "$n.save" "$n.save4" "$n.save6"
	done
	t2=$(date +%s)

	echo "## IPv6: $backend: $ver; dockerd $SB_VERSION (its defaults:" \
	     "ip6tables on); $ctrs running containers on one dual-stack" \
	     "network"
	echo "# ms: medians of $runs runs; load average now" \
	     "$(cut -d' ' -f1-3 /proc/loadavg); setup $((t1 - t0)) s," \
	     "runs $((t2 - t1)) s"
	echo
	echo "add-internal: N/$ctrs rules per container, each from another" \
	     "container (--source rK --dport P, distinct ports), each rule" \
	     "in both families: N per family, 2N in all"
	head_row ""
	row "replay, all rules missing (ms)" c_ms miss
	row "  CPU ms: docker-fw/with children" c_cpu_dfw miss
	row "replay, no-op (ms)" c_ms noop
	row "  CPU ms: docker-fw/with children" c_cpu_dfw noop
	row "replay, no-op without its stamp (ms)" c_ms full
	row "  CPU ms: docker-fw/with children" c_cpu_dfw full
	row "iptables-restore --noflush, ip (ms)" c_ms rest4
	row "ip6tables-restore --noflush, ip6 (ms)" c_ms rest6
	row "  both (ms)" c_ms rest
	row "  both, CPU ms" c_cpu rest
	row "iptables-save -t filter (ms)" c_ms save4
	row "ip6tables-save -t filter (ms)" c_ms save6
	row "  both (ms)" c_ms save
	row "  both, CPU ms" c_cpu save
	row "all missing / both restores" c_ratio miss rest
	row "  in CPU time (with children)" c_cpu_ratio miss rest
	row "no-op / both saves" c_ratio noop save
	row "  in CPU time (with children)" c_cpu_ratio noop save
	row "no-op without its stamp / both saves" c_ratio full save
	row "  in CPU time (with children)" c_cpu_ratio full save
	row "peak RSS docker-fw, all missing (MiB)" c_rss miss 3
	row "  largest in its tree (MiB)" c_rss miss 2
	row "peak RSS docker-fw, no-op (MiB)" c_rss noop 3
	row "  largest in its tree (MiB)" c_rss noop 2
	row "peak RSS iptables-restore, ip (MiB)" c_rss rest4 2
	row "peak RSS ip6tables-restore, ip6 (MiB)" c_rss rest6 2
	echo
	if has "$sizes" 1000 && has "$sizes" 10000; then
		echo "10x the rules: N=10,000 / N=1,000 (10 is linear), wall" \
		     "(CPU with children): all missing $(lin miss)" \
		     "($(lin miss 4)), no-op $(lin noop) ($(lin noop 4));" \
		     "both restores $(lin rest) ($(lin rest 4)), both saves" \
		     "$(lin save) ($(lin save 4))"
		echo
	fi
	sb_stop
	unset DFW_STATE_DIR
}

echo "# docker-fw bench, IPv6 part: $(nproc) cores, $(uname -sr)," \
     "$(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
cat <<'EOF'
How each number is measured (as in bench.sh's rules part):
- time: wall clock of one run from fork to reap, by tests/tools/rusage in
  the sandbox's network namespace; the median of the runs.
- all rules missing: both filter tables restored (iptables-restore and
  ip6tables-restore of the whole table) to what they were after
  `docker-fw init` with nothing stored; then `docker-fw replay` (one run
  for both families).
- no-op: `docker-fw replay` again at once.
- restores: `iptables-restore --noflush` of the ip rules and
  `ip6tables-restore --noflush` of the ip6 rules (the -A lines -save
  prints after the replay) into the tables of "all missing", one after
  the other; "both" adds the two times of each run (median of the sums).
  saves: `iptables-save -t filter` and `ip6tables-save -t filter` of the
  tables holding the rules, added the same way.
- CPU ms: user and system time; "docker-fw/with children" is docker-fw's
  own and that of docker-fw with every child it reaped (nf_tables: its
  iptables-nft-save/-restore and ip6tables-nft-save/-restore).
- peak RSS docker-fw: its own (VmHWM at its exit); largest in its tree:
  ru_maxrss of wait4, the largest one process of docker-fw and its
  children, not a sum. The largest of the runs.

EOF
for m in $modes; do
	bench6 "$m"
done
echo "# bench6 done in $(( $(date +%s) - t_start )) s; load average now" \
     "$(cut -d' ' -f1-3 /proc/loadavg)"
testing_cleanup
