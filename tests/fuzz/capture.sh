#!/bin/sh
# capture.sh - records real responses of the sandbox daemons (raw: status
# line, headers, chunked framing as sent) as fuzz seeds: the HTTP ones in
# tests/fuzz/corpus/http/real-*, their JSON bodies in corpus/json/real-*.
# Run by hand (root) when the seeds should be refreshed.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib/testing.sh"
. "$TOP/tests/lib/sandbox.sh"
set -e
for engine in 20.10 28.5; do
	sb_start "$engine" legacy
	sb_docker network create --subnet 10.78.0.0/24 capnet >/dev/null
	sb_run web -p 8080:80
	sb_run net2 --network capnet
	sb_run other --link web:w
	sock=${DOCKER_HOST#unix://}
	v=$(sb_docker version -f '{{.Server.APIVersion}}')
	for p in _ping "v$v/containers/json?all=1" "v$v/containers/web/json" \
		 "v$v/networks" "v$v/containers/nosuch/json"; do
		n=$(echo "$p" | sed 's/^v[0-9.]*\///; s/[^a-z]/-/g; s/-*$//')
		curl -si --raw --unix-socket "$sock" "http://docker/$p" \
			>"$TOP/tests/fuzz/corpus/http/real-$engine-$n"
		curl -s --unix-socket "$sock" "http://docker/$p" \
			>"$TOP/tests/fuzz/corpus/json/real-$engine-$n"
	done
	sb_stop
done
testing_cleanup
