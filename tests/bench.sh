#!/bin/sh
# bench.sh - `make bench`: measurements against a real sandboxed dockerd,
# reported as medians of BENCH_RUNS runs and as ratios against a baseline
# measured in the same run (machine noise affects both alike). Nothing here
# asserts a time; it reports.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/lib/testing.sh"
. "$TOP/tests/lib/sandbox.sh"
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

sb_start "$engine" legacy
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
testing_cleanup
sb_stop
