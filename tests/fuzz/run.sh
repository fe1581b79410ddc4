#!/bin/sh
# run.sh SECONDS [NAME...] - runs libFuzzer targets build/fuzz/fuzz_NAME
# for SECONDS each, from tests/fuzz/corpus/NAME (seeds) into a scratch
# corpus under build/fuzz/corpus-NAME. A crash leaves its input in
# build/fuzz/ and fails the run.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
secs=$1
shift
names=${*:-$(cd "$build/fuzz" && ls fuzz_* 2>/dev/null | grep -v '\.' | sed 's/^fuzz_//')}
for n in $names; do
	work=$build/fuzz/corpus-$n
	mkdir -p "$work"
	echo "fuzz_$n: $secs s"
	"$build/fuzz/fuzz_$n" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$build/fuzz/crash-$n-" \
		-print_final_stats=1 "$work" "$top/tests/fuzz/corpus/$n" 2>&1 |
		grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done' || :
	ls "$build/fuzz/crash-$n-"* >/dev/null 2>&1 && { echo "fuzz_$n: crash"; exit 1; }
done
exit 0
