#!/bin/sh
# bench.sh - `make bench`: measurements against a real sandboxed dockerd,
# reported as medians of several runs and as ratios against baselines
# measured in the same run (machine noise affects both alike). Nothing
# here asserts a time; it reports. tests/BENCH.md keeps results and says
# how to read them.
#
# Settings (environment):
#   BENCH_ENGINE      dockerd of the sandbox: 20.10 (default) or 28.5
#   BENCH_MODES       backends, in order: "legacy nft" (default)
#   BENCH_RULES       rule counts N: "100 1000 10000" (default)
#   BENCH_CONTAINERS  running containers, even, >= 4 (default 100)
#   BENCH_RUNS        runs per median for N below 10,000 (default 5)
#   BENCH_RUNS_10K    runs per median for N of 10,000 and more (default 3)
#   BENCH_WORKLOADS   "internal cidr drop import" (default): which tables;
#                     internal and cidr: replays with all rules missing,
#                     no-op, half and all the addresses changed (each
#                     half of the containers restarted once a run);
#                     drop: one container's add --from, add to it, drop
#                     import: `docker-fw import` of the internal
#                     workload's rules from the original Go tool's files
#   BENCH_LOOP_MAX    the `iptables -C || -I` shell loop runs up to this
#                     N, once (default 1000; 0: never)
#   BENCH_PERF        a folder: each docker-fw run (not the iptables
#                     ones) is recorded there by `perf record -g`
#                     (linux-perf), KEY.RUN.data, for `perf report -i`;
#                     its times are then perf's too: a profile, not a
#                     measurement (DFW=an unstripped build for symbols)
#   BENCH_CLIENT      1 (default): first the Docker client against the
#                     docker CLI (inspect, TLS, a list of BENCH_LIST
#                     containers, default 1000); 0: skip it
#   BENCH_IPV6        1 (default): last, the IPv6 part (tests/bench6.sh:
#                     dockerd 28.5 with ip6tables, a dual-stack network,
#                     every rule in both families; its settings are
#                     BENCH6_*, see there); 0: skip it
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/lib/testing.sh"
. "$TOP/tests/lib/sandbox.sh"
. "$TOP/tests/lib/bench.sh"
. "$TOP/tests/lib/tls-certs.sh"
engine=${BENCH_ENGINE:-20.10}
modes=${BENCH_MODES:-legacy nft}
sizes=${BENCH_RULES:-100 1000 10000}
ctrs=${BENCH_CONTAINERS:-100}
runs_small=${BENCH_RUNS:-5}
runs_big=${BENCH_RUNS_10K:-3}
workloads=${BENCH_WORKLOADS:-internal cidr drop import}
A=$BUILD/test/apitool
R=$BUILD/test/rusage
why=$(sb_prereq "$engine") || { echo "bench: $why" >&2; exit 1; }
[ -x "$R" ] && [ -x "$A" ] && [ -x "$DFW" ] ||
	{ echo "bench: build first: make docker-fw tools" >&2; exit 1; }
case $ctrs in
*[!0-9]*|'') echo "bench: BENCH_CONTAINERS: a number" >&2; exit 1 ;;
esac
[ "$ctrs" -ge 4 ] && [ $((ctrs % 2)) -eq 0 ] ||
	{ echo "bench: BENCH_CONTAINERS: even, 4 or more" >&2; exit 1; }
t_start=$(date +%s)
export LC_ALL=C	# sort, join and comm agree on the order

now_us() { echo $(( $(date +%s%N) / 1000 )); }

# median_us CMD...: median wall time of runs_small runs of CMD, in
# microseconds (the client part: commands outside the sandbox's netns
# measured from the shell)
median_us() {
	i=0
	while [ $i -lt "$runs_small" ]; do
		t0=$(now_us)
		"$@" >/dev/null 2>&1
		echo $(( $(now_us) - t0 ))
		i=$((i + 1))
	done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}


echo "# docker-fw bench: dockerd $engine (version below), $(nproc) cores," \
     "$(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)" \
     "(other work on this machine shares the cores)"
echo

# ---- 1. The Docker client against the docker CLI -------------------------

client_bench() {
	# dockerd also listens with TLS (tcp://127.0.0.1:2376, RSA certificates)
	tls_pki "$TESTING_TMP/pki" ||
		{ echo "bench: openssl failed" >&2; exit 1; }
	# shellcheck disable=SC2046
	sb_start "$engine" legacy $(sb_tls_args "$TESTING_TMP/pki") || exit 1
	echo "## The Docker client: dockerd $SB_VERSION, median of" \
	     "$runs_small (ms measured from the shell)"
	echo

	# Inspect 100 containers: our client vs the docker CLI, same names.
	for i in $(seq 100); do echo "c$i"; done >"$TESTING_TMP/names"
	while read -r n; do
		sb_docker create --name "$n" "$SB_IMAGE" true
	done <"$TESTING_TMP/names" >/dev/null
	names=$(cat "$TESTING_TMP/names")
	# shellcheck disable=SC2086
	ours=$(median_us sb_nsenter "$A" inspect $names)
	# shellcheck disable=SC2086
	cli=$(median_us sb_docker inspect $names)
	echo "inspect 100 containers:"
	echo "  docker-fw client   $((ours / 1000)) ms"
	echo "  docker inspect     $((cli / 1000)) ms"
	echo "  ratio client/CLI   $(ratio "$ours" "$cli")"
	echo

	# The same over TLS (one TLS 1.2 handshake, ECDHE, RSA certificates,
	# a client certificate): ours against the docker CLI, same files.
	tls_env="env DOCKER_HOST=$SB_TLS_URL DOCKER_TLS_VERIFY=1
		 DOCKER_CERT_PATH=$TESTING_TMP/pki/rsa"
	# shellcheck disable=SC2086
	ours_tls=$(median_us sb_nsenter $tls_env "$A" inspect $names)
	# shellcheck disable=SC2086
	cli_tls=$(median_us sb_nsenter $tls_env docker inspect $names)
	ping_unix=$(median_us sb_nsenter "$A" ping)
	# shellcheck disable=SC2086
	ping_tls=$(median_us sb_nsenter $tls_env "$A" ping)
	echo "inspect 100 containers over TLS (tcp://127.0.0.1:2376):"
	echo "  docker-fw client   $((ours_tls / 1000)) ms"
	echo "  docker inspect     $((cli_tls / 1000)) ms"
	echo "  ratio client/CLI   $(ratio "$ours_tls" "$cli_tls")"
	echo "  ratio TLS/unix     $(ratio "$ours_tls" "$ours") (ours)"
	echo "  one ping: unix $ping_unix us, TLS $ping_tls us" \
	     "(connect + handshake)"
	echo

	# List many containers: time and peak RSS, against docker ps -a.
	n=${BENCH_LIST:-1000}
	i=100
	while [ $i -lt "$n" ]; do
		i=$((i + 1))
		sb_docker create --name "c$i" "$SB_IMAGE" true >/dev/null
	done
	rss=$(sb_nsenter env APITOOL_RUSAGE=1 "$A" list 2>&1 >/dev/null |
	      sed -n 's/^maxrss_kib=//p')
	count=$(sb_nsenter "$A" list | wc -l)
	bytes=$(curl -s --unix-socket "${DOCKER_HOST#unix://}" \
		"http://x/containers/json?all=1" 2>/dev/null | wc -c ||
		echo '?')
	ours=$(median_us sb_nsenter "$A" list)
	cli=$(median_us sb_docker ps -a --no-trunc)
	echo "list $count containers (a $bytes-byte body):"
	echo "  docker-fw client   $((ours / 1000)) ms, peak RSS $rss KiB"
	echo "  docker ps -a       $((cli / 1000)) ms"
	echo "  ratio client/CLI   $(ratio "$ours" "$cli")"
	echo
	sb_stop
}
[ "${BENCH_CLIENT:-1}" = 0 ] || client_bench

# ---- 2. Rules: docker-fw against iptables-restore and iptables-save --------
#
# Samples go to $S/KEY, one line per run: "wall_us tree_kib self_kib
# cpu_us self_cpu_us" (rusage's numbers). KEY is WORKLOAD.N.WHAT.

S=$TESTING_TMP/samples
LOG=$TESTING_TMP/log
half=$((ctrs / 2))



ipt_restore() { sb_nsenter "/usr/sbin/iptables-$SB_MODE-restore" -w; }

# The filter table as it was after `docker-fw init`, nothing stored.
to_base() { ipt_restore <"$SB_DIR/base.rules"; }

# ours_count: docker-fw's container rules in DFW-FORWARD now
ours_count() {
	sb_ipt_save -t filter | grep -c -- '^-A DFW-FORWARD .*docker-fw r[0-9]'
}
check_count() {	# check_count WHAT WANT
	got=$(ours_count)
	[ "$got" -eq "$2" ] ||
		echo "  ! $1: $got rules in DFW-FORWARD after it, not $2"
}

runs_of() { if [ "$1" -ge 10000 ]; then echo "$runs_big"; else echo "$runs_small"; fi; }

# The rule specs of container i (1..ctrs) for workload w with per rules:
# internal: from another container of its half (so that restarting one
# half changes exactly the rules of that half's containers), distinct
# ports; cidr: from per /32 sources, port 80.
specs() {	# specs W I PER
	awk -v w="$1" -v i="$2" -v per="$3" -v h="$half" -v c="$ctrs" 'BEGIN {
		base = i <= h ? 0 : h; size = i <= h ? h : c - h
		for (j = 1; j <= per; j++)
			if (w == "internal")
				printf "--source r%d --dport %d\n", base + \
				    (i - base - 1 + (j - 1) % (size - 1) + 1) % \
				    size + 1, 10000 + j
			else
				printf "--source 10.%d.%d.%d --dport 80\n",
				    int(i / 250), i % 250, j
	}'
}
# N /32 sources for one container: the drop workload
many() {
	awk -v n="$1" 'BEGIN { for (j = 0; j < n; j++)
		printf "--source 10.%d.%d.%d --dport 80\n", 100 + int(j / 65536),
		    int(j / 256) % 256, j % 256 }'
}

# store W N: the store of workload W with N rules, in its own folder,
# made with one `add* --from` per container
store() {
	export DFW_STATE_DIR="$SB_DIR/state.$1.$2"
	act=add-internal
	[ "$1" = internal ] || act=add
	to_base
	i=0
	while [ $i -lt "$ctrs" ]; do
		i=$((i + 1))
		specs "$1" $i $(($2 / ctrs)) >"$TESTING_TMP/from"
		sb_dfw $act "r$i" --from - <"$TESTING_TMP/from" >/dev/null ||
			{ echo "bench: $act r$i failed" >&2; exit 1; }
	done
	check_count "store $1 $2" "$2"
}

# A half's turn: kill containers rFIRST..rLAST and start them again in
# the order of their addresses, rotated by one, so that Docker's
# lowest-free allocation gives each the address of another. Prints how
# many addresses changed. restart_half: r1..r(C/2); restart_other: the
# rest, so that after both every container has another address.
restart_range() {	# FIRST LAST
	names=$(seq "$1" "$2" | sed 's/^/r/')
	# shellcheck disable=SC2086
	sb_docker inspect -f '{{.NetworkSettings.IPAddress}} {{.Name}}' \
		$names | sort -t. -k1,1n -k2,2n -k3,3n -k4,4n \
		>"$TESTING_TMP/before"
	order=$(awk '{ sub("^/", "", $2); n[NR] = $2 }
		END { for (i = 2; i <= NR; i++) print n[i]; print n[1] }' \
		"$TESTING_TMP/before")
	# shellcheck disable=SC2086
	{ sb_docker kill $names >/dev/null && sb_docker start $order >/dev/null; } ||
		{ echo "bench: restarting containers failed" >&2; exit 1; }
	# shellcheck disable=SC2086
	sb_docker inspect -f '{{.NetworkSettings.IPAddress}} {{.Name}}' \
		$names | sort -k2 >"$TESTING_TMP/after"
	sort -k2 "$TESTING_TMP/before" | join -1 2 -2 2 - "$TESTING_TMP/after" |
		awk '$2 != $3 { n++ } END { print n + 0 }'
}
restart_half() { restart_range 1 "$half"; }
restart_other() { restart_range $((half + 1)) "$ctrs"; }

# One run of workload W (internal or cidr) at N rules: all missing,
# no-op, save; restore of the same rules; the table kept for the half
# changed replay after the restarts.
run_replay() {	# W N RUN
	export DFW_STATE_DIR="$SB_DIR/state.$1.$2"
	k=$1.$2
	to_base
	sample "$k.miss" "$DFW" replay
	check_count "replay all missing, $1 $2" "$2"
	sample "$k.noop" "$DFW" replay
	# the same without the stamp the run before wrote (#18): the full
	# check, as the first replay after any change pays it
	rm -f "$DFW_STATE_DIR/.stamp"
	sample "$k.full" "$DFW" replay
	sample "$k.save" "iptables-$SB_MODE-save" -t filter
	sb_ipt_save -t filter >"$SB_DIR/table.$k"
	if [ "$3" = 1 ]; then
		{
			echo '*filter'
			grep -- '^-A DFW-FORWARD .*docker-fw r[0-9]' \
				"$SB_DIR/table.$k"
			echo COMMIT
		} >"$SB_DIR/rules.$k"
	fi
	to_base
	sample "$k.rest" "iptables-$SB_MODE-restore" -w --noflush \
		"$SB_DIR/rules.$k"
}

# After restart_half (WHAT half) or after restart_other too (WHAT all):
# the table as the last replay before the restarts left it (the old
# addresses), then replay; on the first run, how many of its rules the
# replay changed.
run_moved() {	# W N RUN WHAT
	export DFW_STATE_DIR="$SB_DIR/state.$1.$2"
	k=$1.$2
	ipt_restore <"$SB_DIR/table.$k"
	sample "$k.$4" "$DFW" replay
	check_count "replay $4 changed, $1 $2" "$2"
	if [ "$3" = 1 ]; then
		sb_ipt_save -t filter |
			grep -- '^-A DFW-FORWARD .*docker-fw r[0-9]' |
			sort >"$TESTING_TMP/new"
		grep -- '^-A DFW-FORWARD .*docker-fw r[0-9]' \
			"$SB_DIR/table.$k" | sort |
			comm -23 - "$TESTING_TMP/new" | wc -l >"$S/$k.changed.$4"
	fi
}

# One container (r$ctrs) given N rules by one `add --from`, then drop;
# then one given N - 1 (not measured), and one more by `add`.
run_drop() {	# N RUN
	export DFW_STATE_DIR="$SB_DIR/state.drop.$1"
	k=drop.$1
	c=r$ctrs
	many "$1" >"$SB_DIR/from.$k"
	to_base
	sample "$k.add" "$DFW" add "$c" --from "$SB_DIR/from.$k"
	check_count "add --from, drop $1" "$1"
	if [ "$2" = 1 ]; then
		sb_ipt_save -t filter |
			grep -- "^-A DFW-FORWARD .*docker-fw $c " >"$TESTING_TMP/a"
		{ echo '*filter'; cat "$TESTING_TMP/a"; echo COMMIT; } \
			>"$SB_DIR/add.$k"
		{ echo '*filter'; sed 's/^-A /-D /' "$TESTING_TMP/a"; echo COMMIT; } \
			>"$SB_DIR/del.$k"
	fi
	sample "$k.drop" "$DFW" drop "$c"
	check_count "drop $1" 0
	# one rule more by `add` to the container holding N - 1 (a store
	# file holds 10,000 rules)
	head -n $(($1 - 1)) "$SB_DIR/from.$k" >"$TESTING_TMP/from1"
	sb_dfw add "$c" --from "$TESTING_TMP/from1" >/dev/null
	sample "$k.add1" "$DFW" add "$c" --source 10.200.0.1 --dport 81
	check_count "add to a container holding $(($1 - 1))" "$1"
	sb_dfw drop "$c" >/dev/null
	check_count "drop after it, $1" 0
	to_base
	sample "$k.rest" "iptables-$SB_MODE-restore" -w --noflush \
		"$SB_DIR/add.$k"
	sample "$k.rdel" "iptables-$SB_MODE-restore" -w --noflush \
		"$SB_DIR/del.$k"
}

# The original Go docker-fw's files for the internal workload's N rules:
# each container's extraRules.json in Docker's data root (an
# add-internal rule is Chain DOCKER, JumpTo ACCEPT; the addresses as
# they are now), as `docker-fw import` reads them. N/ctrs rules per file
# (the import reads at most 1 MiB of one).
go_rules() {	# N
	# shellcheck disable=SC2046
	sb_docker inspect -f '{{.Id}} {{.Name}} {{.NetworkSettings.IPAddress}}' \
		$(seq 1 "$ctrs" | sed 's/^/r/') >"$TESTING_TMP/ids" ||
		{ echo "bench: docker inspect failed" >&2; exit 1; }
	i=0
	while read -r id _ addr; do
		i=$((i + 1))
		specs internal $i $(($1 / ctrs)) |
		awk -v ids="$TESTING_TMP/ids" -v me="$addr" '
		BEGIN { while ((getline l < ids) > 0) {
				split(l, f, " "); sub("^/", "", f[2])
				at[f[2]] = f[3] } }
		{ printf "%s{\"Source\":\"%s/32\",\"SourceAlias\":\"%s\"," \
		    "\"SourcePort\":0,\"Destination\":\"%s/32\"," \
		    "\"DestinationAlias\":\".\",\"DestinationPort\":%d," \
		    "\"Protocol\":\"tcp\",\"Filter\":\"\",\"Chain\":\"DOCKER\"," \
		    "\"JumpTo\":\"ACCEPT\"}", (NR > 1 ? "," : "{\"Rules\":["),
		    at[$2], $2, me, $4 }
		END { print "]}" }' >"$SB_DIR/data/containers/$id/extraRules.json"
	done <"$TESTING_TMP/ids"
}

# `docker-fw import` of the internal workload's N rules from the
# original's files, into an empty store, the table as after init
run_import() {	# N
	export DFW_STATE_DIR="$SB_DIR/state.import.$1"
	rm -rf "$DFW_STATE_DIR"
	go_rules "$1"
	to_base
	sample "import.$1.import" "$DFW" import --docker-root "$SB_DIR/data"
	check_count "import $1" "$1"
}

# the shell loop of `iptables -C || -I` per rule, once (what people do
# by hand), for the cidr workload
run_loop() {	# N
	k=cidr.$1
	grep -- '^-A' "$SB_DIR/rules.$k" | sed 's/^-A DFW-FORWARD //' \
		>"$TESTING_TMP/loop.rules"
	cat >"$TESTING_TMP/loop.sh" <<-'LOOP'
	while read -r line; do
		eval "set -- $line"
		iptables -w -C DFW-FORWARD "$@" 2>/dev/null ||
			iptables -w -I DFW-FORWARD 2 "$@"
	done <"$1"
	LOOP
	to_base
	sample "$k.loop" sh "$TESTING_TMP/loop.sh" "$TESTING_TMP/loop.rules"
}

# row LABEL FUNC: one line of a table, FUNC N giving each column
row() {
	label=$1
	shift
	printf '  %-40s' "$label"
	for n in $sizes; do
		printf ' %10s' "$("$@" "$n")"
	done
	echo
}
head_row() {
	printf '  %-40s' "$1"
	for n in $sizes; do
		printf ' %10s' "N=$(echo "$n" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')"
	done
	echo
}
# the columns: row passes N last
c_ms() { ms "$(med "$W.$2.$1")"; }		# WHAT N
c_ratio() { ratio "$(med "$W.$3.$1")" "$(med "$W.$3.$2")"; }	# A B N
c_cpu_ratio() { ratio "$(med "$W.$3.$1" 4)" "$(med "$W.$3.$2" 4)"; }
# CPU: "itself/its tree" for docker-fw, the tree alone for the others
c_cpu() {	# WHAT N
	if [ "$(med "$W.$2.$1")" = - ]; then
		echo -
	elif [ "$1" = "${1#rest}" ] && [ "$1" != save ] && [ "$1" != rdel ]; then
		echo "$(ms "$(med "$W.$2.$1" 5)")/$(ms "$(med "$W.$2.$1" 4)")"
	else
		ms "$(med "$W.$2.$1" 4)"
	fi
}
c_rss() { rss "$W.$3.$1" "$2"; }		# WHAT COLUMN N
c_changed() { cat "$S/$W.$2.changed.$1" 2>/dev/null || echo -; }	# WHAT N

# lin W WHAT [COLUMN]: time at 10,000 over time at 1,000
lin() { ratio "$(med "$1.10000.$2" "${3:-1}")" "$(med "$1.1000.$2" "${3:-1}")"; }

print_replay_table() {	# W TITLE...
	W=$1
	shift
	echo "$*"
	head_row ""
	row "replay, all rules missing (ms)" c_ms miss
	row "  CPU ms: docker-fw/with children" c_cpu miss
	row "replay, no-op (ms)" c_ms noop
	row "  CPU ms: docker-fw/with children" c_cpu noop
	row "replay, no-op without its stamp (ms)" c_ms full
	row "  CPU ms: docker-fw/with children" c_cpu full
	row "replay, half changed (ms)" c_ms half
	row "  CPU ms: docker-fw/with children" c_cpu half
	row "  rules changed by the restart" c_changed half
	row "replay, all changed (ms)" c_ms all
	row "  CPU ms: docker-fw/with children" c_cpu all
	row "  rules changed by the restarts" c_changed all
	row "iptables-restore --noflush (ms)" c_ms rest
	row "  CPU ms" c_cpu rest
	row "iptables-save -t filter (ms)" c_ms save
	row "  CPU ms" c_cpu save
	[ "$W" = cidr ] && [ "${BENCH_LOOP_MAX:-1000}" -gt 0 ] &&
		row "iptables -C || -I loop, 1 run (ms)" c_ms loop
	row "all missing / restore" c_ratio miss rest
	row "  in CPU time (with children)" c_cpu_ratio miss rest
	row "no-op / save" c_ratio noop save
	row "  in CPU time (with children)" c_cpu_ratio noop save
	row "no-op without its stamp / save" c_ratio full save
	row "  in CPU time (with children)" c_cpu_ratio full save
	row "half changed / restore" c_ratio half rest
	row "  in CPU time (with children)" c_cpu_ratio half rest
	row "all changed / restore" c_ratio all rest
	row "  in CPU time (with children)" c_cpu_ratio all rest
	row "peak RSS docker-fw, all missing (MiB)" c_rss miss 3
	row "  largest in its tree (MiB)" c_rss miss 2
	row "peak RSS docker-fw, half changed (MiB)" c_rss half 3
	row "  largest in its tree (MiB)" c_rss half 2
	row "peak RSS iptables-restore (MiB)" c_rss rest 2
	echo
}

print_drop_table() {
	W=drop
	echo "one container (r$ctrs) given N rules by one \`add --from\`" \
	     "(N /32 sources), then \`drop\`:"
	head_row ""
	row "add --from (ms)" c_ms add
	row "  CPU ms: docker-fw/with children" c_cpu add
	row "add 1 rule to it, holding N - 1 (ms)" c_ms add1
	row "  CPU ms: docker-fw/with children" c_cpu add1
	row "drop (ms)" c_ms drop
	row "  CPU ms: docker-fw/with children" c_cpu drop
	row "iptables-restore --noflush, -A (ms)" c_ms rest
	row "  CPU ms" c_cpu rest
	row "iptables-restore --noflush, -D (ms)" c_ms rdel
	row "  CPU ms" c_cpu rdel
	row "add / restore -A" c_ratio add rest
	row "  in CPU time (with children)" c_cpu_ratio add rest
	row "drop / restore -D" c_ratio drop rdel
	row "  in CPU time (with children)" c_cpu_ratio drop rdel
	row "peak RSS docker-fw, add (MiB)" c_rss add 3
	row "  largest in its tree (MiB)" c_rss add 2
	row "peak RSS docker-fw, drop (MiB)" c_rss drop 3
	row "  largest in its tree (MiB)" c_rss drop 2
	echo
}


# each_cell FUNC [ARG]: FUNC W N RUN [ARG] for each replay workload W
# (internal, cidr) run and each N whose run count reaches run r
each_cell() {
	for w in internal cidr; do
		has "$workloads" $w || continue
		for n in $sizes; do
			[ "$r" -le "$(runs_of "$n")" ] && "$1" $w "$n" "$r" ${2:+"$2"}
		done
	done
	return 0
}

rules_bench() {	# MODE
	rm -rf "$S" && mkdir -p "$S"
	sb_start "$engine" "$1" || exit 1
	i=0
	while [ $i -lt "$ctrs" ]; do
		i=$((i + 1))
		# the cidr workload's containers and the drop workload's
		# publish the ports their rules open (add refuses a rule
		# that cannot match): port 80 on an ephemeral host port
		pub=
		has "$workloads" cidr && pub="-p 80"
		[ $i = "$ctrs" ] && pub="-p 80 -p 81"
		# shellcheck disable=SC2086
		sb_run "r$i" $pub ||
			{ echo "bench: docker run r$i failed" >&2; exit 1; }
	done
	export DFW_STATE_DIR="$SB_DIR/state.init"
	sb_dfw init >/dev/null || { echo "bench: init failed" >&2; exit 1; }
	sb_ipt_save -t filter >"$SB_DIR/base.rules"
	backend=$(sb_dfw init 2>&1 |
		  sed -n 's/^# backend [a-z]*: \([^;]*\);.*/\1/p')
	ver=$(sb_nsenter "iptables-$1" --version)
	t0=$(date +%s)
	for w in internal cidr; do
		has "$workloads" $w || continue
		for n in $sizes; do
			store $w "$n"
		done
	done
	t1=$(date +%s)
	maxruns=$runs_small
	[ "$runs_big" -gt "$maxruns" ] && maxruns=$runs_big
	moved=
	moved_all=
	r=0
	while [ $r -lt "$maxruns" ]; do
		r=$((r + 1))
		each_cell run_replay
		if has "$workloads" internal || has "$workloads" cidr; then
			moved="$moved $(restart_half)"
			each_cell run_moved half
			moved_all="$moved_all $(restart_other)"
			each_cell run_moved all
		fi
		if has "$workloads" drop; then
			for n in $sizes; do
				[ $r -le "$(runs_of "$n")" ] && run_drop "$n" $r
			done
		fi
		if has "$workloads" import; then
			for n in $sizes; do
				[ $r -le "$(runs_of "$n")" ] && run_import "$n"
			done
		fi
		export DFW_STATE_DIR="$SB_DIR/state.none"
		to_base
		sample none "$DFW" replay
		# nothing stored after init (its settings): init's part is
		# checked, so the networks and every running container's
		# published ports are read (#18: one list, no inspect)
		export DFW_STATE_DIR="$SB_DIR/state.init"
		to_base
		sample init "$DFW" replay
	done
	if has "$workloads" cidr; then
		for n in $sizes; do
			[ "$n" -le "${BENCH_LOOP_MAX:-1000}" ] && run_loop "$n"
		done
	fi
	t2=$(date +%s)

	echo "## $backend: $ver; dockerd $SB_VERSION; $ctrs running" \
	     "containers"
	echo "# ms: medians of $runs_small runs ($runs_big at N >= 10,000);" \
	     "load average now $(cut -d' ' -f1-3 /proc/loadavg);" \
	     "setup $((t1 - t0)) s, runs $((t2 - t1)) s"
	echo "# addresses moved per restart of $half containers: r1..r$half" \
	     "$moved; r$((half + 1))..r$ctrs$moved_all"
	echo
	if has "$workloads" internal; then
		print_replay_table internal "add-internal: N/$ctrs rules per" \
			"container, each from another container of its half" \
			"(--source rK --dport P, distinct ports):"
	fi
	if has "$workloads" cidr; then
		print_replay_table cidr "add: N/$ctrs rules per container" \
			"from /32 sources (--source 10.X.Y.Z --dport 80):"
	fi
	if has "$workloads" drop; then
		print_drop_table
	fi
	if has "$workloads" import; then
		W=import
		echo "\`docker-fw import\` of the add-internal workload's rules" \
		     "from the original's extraRules.json files (N/$ctrs per" \
		     "container), into an empty store:"
		head_row ""
		row "import (ms)" c_ms import
		row "  CPU ms: docker-fw/with children" c_cpu import
		row "peak RSS docker-fw (MiB)" c_rss import 3
		echo
	fi
	W=none
	echo "replay with nothing stored ($ctrs running containers):" \
	     "$(ms "$(med none)") ms (CPU ms: docker-fw/with children" \
	     "$(ms "$(med none 5)")/$(ms "$(med none 4)")), peak RSS" \
	     "$(rss none 3) MiB"
	echo "the same after init (init's part checked, the networks and" \
	     "ports read): $(ms "$(med init)") ms (CPU ms: docker-fw/with" \
	     "children $(ms "$(med init 5)")/$(ms "$(med init 4)")), peak" \
	     "RSS $(rss init 3) MiB"
	echo
	if has "$sizes" 1000 && has "$sizes" 10000; then
		for col in 1 4; do
			[ $col = 1 ] && echo "10x the rules: wall time at" \
			     "N=10,000 / at N=1,000 (10 is linear):"
			[ $col = 4 ] && echo "the same in CPU time (with children):"
			has "$workloads" internal &&
				echo "  add-internal: all missing" \
				     "$(lin internal miss $col), no-op" \
				     "$(lin internal noop $col), half changed" \
				     "$(lin internal half $col), all changed" \
				     "$(lin internal all $col); restore" \
				     "$(lin internal rest $col), save" \
				     "$(lin internal save $col)"
			has "$workloads" cidr &&
				echo "  add (cidr):   all missing" \
				     "$(lin cidr miss $col), no-op" \
				     "$(lin cidr noop $col), half changed" \
				     "$(lin cidr half $col), all changed" \
				     "$(lin cidr all $col); restore" \
				     "$(lin cidr rest $col), save" \
				     "$(lin cidr save $col)"
			has "$workloads" drop &&
				echo "  one container: add --from" \
				     "$(lin drop add $col), add to it" \
				     "$(lin drop add1 $col), drop" \
				     "$(lin drop drop $col); restore -A" \
				     "$(lin drop rest $col), -D" \
				     "$(lin drop rdel $col)"
			has "$workloads" import &&
				echo "  import: $(lin import import $col)"
		done
		echo
	fi
	sb_stop
	unset DFW_STATE_DIR
}

cat <<'EOF'
## Rules: docker-fw against iptables-restore and iptables-save

How each number is measured (tests/bench.sh; tests/tools/rusage.c):
- time: wall clock of one run from fork to reap, by tests/tools/rusage in
  the sandbox's network namespace (nsenter and the shell are outside it);
  the median of the runs.
- all rules missing: the filter table restored (iptables-restore of the
  whole table) to what it was after `docker-fw init` with nothing stored:
  Docker's chains and rules and init's; then `docker-fw replay`.
- no-op: `docker-fw replay` again at once.
- half changed: containers r1..r(C/2) killed and started again in the
  order of their addresses rotated by one, so that each gets another
  address (the count is printed); the table put back to what the last
  replay left; then `docker-fw replay`. "rules changed": the rules of
  that table the replay replaced (first run).
- all changed: after "half changed", containers r(C/2+1)..rC restarted
  the same way, so that every container has another address since the
  last replay before both restarts; that replay's table put back; then
  `docker-fw replay`. One restart of each half per run.
- add --from: one `docker-fw add rC --from FILE` of N rules to a
  container holding none; drop: then `docker-fw drop rC`; add 1 rule:
  after an `add --from` of N - 1 of them (a store file holds 10,000
  rules), one `docker-fw add rC --source S --dport 81`.
- import: the original Go docker-fw's extraRules.json in each container's
  folder of Docker's data root, with the add-internal workload's rules
  (N/C per container, the addresses as they are now); an empty store;
  the table as after init; then `docker-fw import`.
- restore: `iptables-restore --noflush` of the same rules (the -A lines
  iptables-save prints after the replay) into the table of "all missing";
  save: `iptables-save -t filter` of the table holding them.
- -D: `iptables-restore --noflush` of `-D CHAIN RULE` lines (by their
  text), in the order of the chain, top down.
- CPU ms: user and system time; "docker-fw/with children" is docker-fw's
  own (its time on a CPU, /proc/PID/schedstat at its exit) and that of
  docker-fw and every child it reaped (wait4's rusage); for iptables-*
  the process's. Load from other work inflates wall times more than CPU
  times: compare ratios of both.
- peak RSS docker-fw: its own peak (VmHWM of /proc/PID/status read at its
  exit, a ptrace exit stop); largest in its tree: ru_maxrss of wait4 on
  docker-fw, which Linux takes over docker-fw and every child it reaped
  (iptables-nft-save/-restore on nf_tables): the largest one process, not
  a sum. Both the largest of the runs.

EOF
for m in $modes; do
	rules_bench "$m"
done
[ "${BENCH_IPV6:-1}" = 0 ] || sh "$TOP/tests/bench6.sh"
echo "# bench done in $(( $(date +%s) - t_start )) s; load average now" \
     "$(cut -d' ' -f1-3 /proc/loadavg)"
testing_cleanup
