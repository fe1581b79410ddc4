#!/bin/sh
# bench.sh - `make bench`: measurements against a real sandboxed dockerd,
# reported as medians of BENCH_RUNS runs and as ratios against a baseline
# measured in the same run (machine noise affects both alike). Nothing here
# asserts a time; it reports.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/lib/testing.sh"
. "$TOP/tests/lib/sandbox.sh"
. "$TOP/tests/lib/tls-certs.sh"
set -e
runs=${BENCH_RUNS:-7}
engine=${BENCH_ENGINE:-20.10}
A=$BUILD/test/apitool
why=$(sb_prereq "$engine") || { echo "bench: $why" >&2; exit 1; }

now_us() { echo $(( $(date +%s%N) / 1000 )); }

# median_us CMD...: median wall time of runs runs of CMD, in microseconds
median_us() {
	i=0
	while [ $i -lt "$runs" ]; do
		t0=$(now_us)
		"$@" >/dev/null 2>&1
		echo $(( $(now_us) - t0 ))
		i=$((i + 1))
	done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# dockerd also listens with TLS (tcp://127.0.0.1:2376, RSA certificates)
tls_pki "$TESTING_TMP/pki" || { echo "bench: openssl failed" >&2; exit 1; }
# shellcheck disable=SC2046
sb_start "$engine" legacy $(sb_tls_args "$TESTING_TMP/pki")
echo "# docker-fw bench: dockerd $SB_VERSION, $(nproc) cores, median of $runs"
echo

# 1. Inspect 100 containers: our client vs the docker CLI, same 100 names.
for i in $(seq 100); do echo c$i; done >"$TESTING_TMP/names"
xargs -n 50 sh -c 'for n; do echo "$n"; done' _ <"$TESTING_TMP/names" |
	while read -r n; do sb_docker create --name "$n" "$SB_IMAGE" true; done \
	>/dev/null
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

# 1b. The same over TLS (one TLS 1.2 handshake, ECDHE, RSA certificates,
# a client certificate): ours against the docker CLI with the same files.
tls_env="env DOCKER_HOST=$SB_TLS_URL DOCKER_TLS_VERIFY=1
	 DOCKER_CERT_PATH=$TESTING_TMP/pki/rsa"
# shellcheck disable=SC2086
ours_tls=$(median_us sb_nsenter $tls_env "$A" inspect $names)
# shellcheck disable=SC2086
cli_tls=$(median_us sb_nsenter $tls_env docker inspect $names)
# shellcheck disable=SC2086
ping_unix=$(median_us sb_nsenter "$A" ping)
# shellcheck disable=SC2086
ping_tls=$(median_us sb_nsenter $tls_env "$A" ping)
echo "inspect 100 containers over TLS (tcp://127.0.0.1:2376):"
echo "  docker-fw client   $((ours_tls / 1000)) ms"
echo "  docker inspect     $((cli_tls / 1000)) ms"
echo "  ratio client/CLI   $(ratio "$ours_tls" "$cli_tls")"
echo "  ratio TLS/unix     $(ratio "$ours_tls" "$ours") (ours)"
echo "  one ping: unix $ping_unix us, TLS $ping_tls us (connect + handshake)"
echo

# 2. List 1,000 containers: time and peak RSS, against docker ps -a.
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
	"http://x/containers/json?all=1" 2>/dev/null | wc -c || echo '?')
ours=$(median_us sb_nsenter "$A" list)
cli=$(median_us sb_docker ps -a --no-trunc)
echo "list $count containers (a $bytes-byte body):"
echo "  docker-fw client   $((ours / 1000)) ms, peak RSS $rss KiB"
echo "  docker ps -a       $((cli / 1000)) ms"
echo "  ratio client/CLI   $(ratio "$ours" "$cli")"
echo

# 3. Replay of N rules over 100 running containers, the table all missing
# or all present, against iptables-legacy-restore --noflush of the same
# rules (the floor) and a shell loop of iptables -C || -I per rule (what
# people do by hand; run once, and only up to BENCH_LOOP_MAX rules).
R=$BUILD/test/rusage
ctrs=${BENCH_CONTAINERS:-100}

# timed CMD...: "wall_us maxrss_kib" of one run
timed() {
	sb_nsenter env PATH="$SB_PATH" DFW_STATE_DIR="$DFW_STATE_DIR" \
		"$R" "$@" 2>&1 >/dev/null | sed -n 's/^wall_us=\([0-9]*\) maxrss_kib=\([0-9]*\)$/\1 \2/p'
}
# median_of SETUP CMD...: median wall time (us) and the largest RSS
median_of() {
	setup=$1
	shift
	i=0
	while [ $i -lt "$runs" ]; do
		$setup
		timed "$@"
		i=$((i + 1))
	done | sort -n | awk '{ v[NR] = $1; if ($2 > m) m = $2 }
		END { print v[int((NR + 1) / 2)], m }'
}
flush() { sb_ipt -F DFW-FORWARD; }
nothing() { :; }

# replay_bench MODE: the table in the sandbox's MODE (legacy or nft)
replay_bench() {
ids=$(sb_docker ps -aq)
# shellcheck disable=SC2086
[ -z "$ids" ] || sb_docker rm -f $ids >/dev/null
i=0
while [ $i -lt "$ctrs" ]; do
	i=$((i + 1))
	sb_run "r$i"
done
sb_dfw init >/dev/null
printf 'replay over %s running containers, %s (ms, median of %s):\n' \
	"$ctrs" "$(sb_dfw init | sed -n '1s/^# backend [a-z]*: \([^;]*\);.*/\1/p')" "$runs"
printf '  %6s %12s %12s %10s %12s %10s %10s\n' rules "all missing" \
	"no-op" "restore" "C||I loop" "miss/rest" "RSS KiB"
for n in ${BENCH_RULES:-100 1000 10000}; do
	export DFW_STATE_DIR="$SB_DIR/state.$n"
	flush
	per=$((n / ctrs))
	i=0
	while [ $i -lt "$ctrs" ]; do
		i=$((i + 1))
		j=0
		while [ $j -lt "$per" ]; do
			j=$((j + 1))
			echo "--source 10.$((i / 250)).$((i % 250)).$j --dport 80"
		done >"$TESTING_TMP/from"
		sb_dfw add "r$i" --from - <"$TESTING_TMP/from" >/dev/null 2>&1
	done
	{
		echo '*filter'
		sb_ipt_save -t filter | grep -- '^-A DFW-FORWARD -s 10\.'
		echo COMMIT
	} >"$TESTING_TMP/rules"
	got=$(grep -c -- '^-A' "$TESTING_TMP/rules")
	[ "$got" -eq "$n" ] || echo "  (expected $n rules in the table, found $got)"
	mode=$1
	set -- $(median_of flush "$DFW" replay)
	miss=$1 rss=$2
	set -- $(median_of nothing "$DFW" replay)
	noop=$1
	set -- $(median_of flush "iptables-$mode-restore" --noflush "$TESTING_TMP/rules")
	rest=$1
	loop=-
	if [ "$n" -le "${BENCH_LOOP_MAX:-1000}" ]; then
		grep -- '^-A' "$TESTING_TMP/rules" | sed 's/^-A DFW-FORWARD //' \
			>"$TESTING_TMP/loop.rules"
		cat >"$TESTING_TMP/loop.sh" <<-'LOOP'
		while read -r line; do
			eval "set -- $line"
			iptables -w -C DFW-FORWARD "$@" 2>/dev/null ||
				iptables -w -I DFW-FORWARD 2 "$@"
		done <"$1"
		LOOP
		flush
		set -- $(timed sh "$TESTING_TMP/loop.sh" "$TESTING_TMP/loop.rules")
		loop=$(($1 / 1000))
	fi
	printf '  %6s %12s %12s %10s %12s %10s %10s\n' "$n" $((miss / 1000)) \
		$((noop / 1000)) $((rest / 1000)) "$loop" \
		"$(ratio "$miss" "$rest")" "$rss"
	eval "miss_$n=$miss"
	set -- "$mode"
done
if [ -n "${miss_1000:-}" ] && [ -n "${miss_10000:-}" ]; then
	echo "  10x the rules (1,000 -> 10,000), all missing: $(ratio "$miss_10000" "$miss_1000")x the time"
fi
echo
}
replay_bench legacy
sb_stop
# The same on nf_tables: the nft backend against iptables-nft-restore.
sb_start "$engine" nft
replay_bench nft
testing_cleanup
sb_stop
