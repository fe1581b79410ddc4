#!/bin/sh
# demo.sh - `make demo`: a real Docker host in a sandbox namespace, with
# two containers, and what docker-fw sees of it. Everything is stopped
# and removed at the end; DEMO_ENGINE (20.10|28.5) and DEMO_MODE
# (legacy|nft) choose the host.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/lib/testing.sh"
. "$TOP/tests/lib/sandbox.sh"
set -e
engine=${DEMO_ENGINE:-20.10} mode=${DEMO_MODE:-legacy}
why=$(sb_prereq "$engine") || { echo "demo: $why" >&2; exit 1; }
say() { printf '\n== %s\n' "$*"; }

sb_start "$engine" "$mode"
say "Docker $SB_VERSION in namespace $SB_NS (iptables $mode)"
sb_run web -- sh -c 'sleep 100000'
sb_run client
sb_docker ps --format 'table {{.Names}}\t{{.Status}}\t{{.Image}}'
say "Addresses"
for c in web client; do echo "$c $(sb_ip "$c")"; done
say "Docker's filter FORWARD chain"
sb_ipt -S FORWARD
say "Traffic client -> web:8080"
echo "$(sb_reach client web 8080)"
say "docker-fw $("$DFW" --version | cut -d' ' -f2)"
"$DFW" --help | sed -n '/^Actions:/,$p;/no actions/p'
testing_cleanup
sb_stop
