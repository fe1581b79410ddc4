#!/bin/sh
# demo.sh - `make demo`: docker-fw doing its job on a real Docker host in
# a sandbox namespace: an "outside" client network on a veth, three
# containers (web publishes 8080->80, app talks to db:5432, spy should
# not), real traffic checked with nc before and after each docker-fw
# step, then the containers restarted with new addresses and replayed.
# Everything is stopped and removed at the end. DEMO_ENGINE (20.10|28.5)
# and DEMO_MODE (legacy) choose the host.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/lib/testing.sh"
. "$TOP/tests/lib/sandbox.sh"
set -e
engine=${DEMO_ENGINE:-20.10} mode=${DEMO_MODE:-legacy}
why=$(sb_prereq "$engine") || { echo "demo: $why" >&2; exit 1; }
say() { printf '\n== %s\n' "$*"; }
run() { printf '$ docker-fw %s\n' "$*"; sb_dfw "$@"; }
flows() {
	printf '  app -> db:5432            %s\n' "$(sb_reach app db 5432)"
	printf '  spy -> db:5432            %s\n' "$(sb_reach spy db 5432)"
	printf '  10.99.0.2 -> web (8080)   %s\n' \
		"$(sb_publish_reach 10.99.0.2 8080 web 80)"
	printf '  10.99.0.3 -> web (8080)   %s\n' \
		"$(sb_publish_reach 10.99.0.3 8080 web 80)"
}
addrs() { for c in web app db spy; do printf ' %s=%s' "$c" "$(sb_ip "$c")"; done; echo; }

sb_start "$engine" "$mode"
export DFW_STATE_DIR="$SB_DIR/state"
sb_outside
say "Docker $SB_VERSION in namespace $SB_NS (iptables $mode); docker-fw $("$DFW" --version | cut -d' ' -f2)"
sb_run db
sb_run app
sb_run spy
sb_run web -p 8080:80
echo "containers:$(addrs)"
echo "outside clients 10.99.0.2 and 10.99.0.3 reach the host at $SB_HOST_IP"

say "Before docker-fw: Docker lets everything through"
flows

say "init: whitelisting from now on"
run init
flows

say "Open only what is asked for"
run add-internal db --source app --dport 5432
run allow web 10.99.0.2
flows
run ls

say "Restart in another order: Docker hands out new addresses"
sb_docker stop -t 0 web app db spy >/dev/null
for c in web spy db app; do sb_docker start "$c" >/dev/null; done
echo "containers:$(addrs)"
echo "stale rules: the table still names the old addresses"
flows
set +e
run replay --dry-run
echo "(exit $?: changes pending)"
set -e
run replay
flows
run replay --dry-run && echo "(exit 0: nothing left to change)"

say "docker-fw's chain"
sb_ipt -S DFW-FORWARD

say "drop: the flows close again"
run drop db web
flows
testing_cleanup
sb_stop
