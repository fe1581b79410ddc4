# sandbox.sh - a real Docker host in a network namespace, for e2e tests.
#
# Sourced by tests/e2e/*.test (after testing.sh). Everything runs inside a
# network namespace made here: dockerd, its containers, every iptables
# command and every docker-fw run. The host's own firewall is never touched.
# Everything started is stopped by PID (sb_stop, also from testing.sh's
# EXIT trap),
# mounts under the sandbox folder are undone and the namespace is deleted.
#
#   sb_start ENGINE MODE [DOCKERD-ARGS...]   ENGINE 20.10|28.5, MODE legacy|nft
#   sb_stop
#   sb_docker ARGS...        the docker CLI against the sandbox daemon
#   sb_ipt ARGS...           iptables of MODE, inside the namespace
#   sb_ipt_save [ARGS...]    iptables-save of MODE, inside the namespace
#   sb_dfw ARGS...           docker-fw inside the namespace (over TLS
#                            with SB_DFW_CERTS, see sb_tls_args)
#   sb_run NAME [DOCKER-RUN-ARGS...] [-- CMD...]   a busybox container
#   sb_ip NAME [NETWORK]     the container's address
#   sb_send FROM ADDR PORT   1 line from container FROM to ADDR:PORT,
#                            received by sb_listen; 0 if it arrived
#   sb_listen NAME PORT      nc -l in container NAME, one connection
#   sb_configs FUNC          FUNC ENGINE MODE for each configuration
#   sb_outside               an "outside" namespace (SB_NS-out) on a veth:
#                            the Docker host is SB_HOST_IP (10.99.0.1),
#                            clients are 10.99.0.2 and 10.99.0.3
#   sb_out_send SRC PORT LISTENER   1 line from outside address SRC to
#                            SB_HOST_IP:PORT; 0 if LISTENER received it
#   sb_publish_reach SRC HPORT NAME CPORT   "open" or "blocked" for
#                            SRC -> the host's HPORT published to NAME:CPORT
#   sb_outside6              sb_outside (when not done) plus IPv6 on the
#                            same veth: the Docker host is SB_HOST_IP6
#                            (fd99::1), clients fd99::2 and fd99::3, with
#                            a route to Docker's IPv6 subnets (fd00::/8)
#                            through the host
#   sb_ip6 NAME NETWORK      the container's GlobalIPv6Address there
#   sb_ipt6 / sb_ipt6_save   ip6tables / ip6tables-save of MODE, inside
#   sb_publish_reach6 SRC HPORT NAME CPORT [DST]   as sb_publish_reach
#                            over IPv6, to DST (default SB_HOST_IP6)
#   sb_reach6 FROM TO PORT NETWORK   as sb_reach, to TO's IPv6 address
#
# Variables: SB_ENGINE, SB_MODE, SB_NS, SB_DIR, SB_VERSION (the daemon's
# version string), DOCKER_HOST, XTABLES_LOCKFILE. DFW is the binary under
# test, BUILD the build folder.

: "${BUILD:=$TOP/build}"
: "${DFW:=$TOP/docker-fw}"
: "${SB_CONFIGS:=20.10/legacy 20.10/nft 28.5/legacy 28.5/nft}"
SB_IMAGE=dfw-busybox
SB_DIR=
SB_NS=

sb_engine_dir() {
	case $1 in
	20.10)	echo /usr ;;
	28.5)	echo "$BUILD/deps/engine/usr" ;;
	*)	return 1 ;;
	esac
}

# sb_prereq ENGINE: 0 when this machine can run the sandbox, else prints
# why on stdout and returns 1.
sb_prereq() {
	[ "$(id -u)" = 0 ] || { echo "not root"; return 1; }
	for t in ip nsenter docker dockerd containerd runc busybox \
		 iptables-legacy iptables-nft; do
		command -v "$t" >/dev/null 2>&1 ||
			{ echo "$t not installed (make test-deps)"; return 1; }
	done
	d=$(sb_engine_dir "${1:-20.10}") && [ -x "$d/sbin/dockerd" ] ||
		{ echo "dockerd ${1:-} not found (scripts/deps.sh engine)";
		  return 1; }
	return 0
}

sb_log() { printf '# %s\n' "$*" >&2; }

sb_start() {
	SB_ENGINE=$1 SB_MODE=$2
	shift 2
	ed=$(sb_engine_dir "$SB_ENGINE") || { sb_log "bad engine $SB_ENGINE"; return 1; }
	SB_DIR=$(mktemp -d /tmp/dfwsb.XXXXXX)
	SB_NS=dfwsb-${SB_DIR##*.}
	ip netns add "$SB_NS" || return 1
	ip -n "$SB_NS" link set lo up
	mkdir -p "$SB_DIR/bin"
	case $SB_MODE in
	legacy|nft)
		for t in iptables iptables-save iptables-restore \
			 ip6tables ip6tables-save ip6tables-restore; do
			ln -s "/usr/sbin/${t%%[-]*}-$SB_MODE${t#"${t%%[-]*}"}" \
				"$SB_DIR/bin/$t"
		done ;;
	*)	sb_log "bad iptables mode $SB_MODE"; return 1 ;;
	esac
	export XTABLES_LOCKFILE="$SB_DIR/xtables.lock"
	export DOCKER_HOST="unix://$SB_DIR/docker.sock"
	SB_PATH="$SB_DIR/bin:$ed/sbin:$ed/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	PATH=$SB_PATH nsenter --net="/var/run/netns/$SB_NS" \
		"$ed/sbin/dockerd" --data-root "$SB_DIR/data" \
		--exec-root "$SB_DIR/exec" -H "$DOCKER_HOST" \
		--pidfile "$SB_DIR/dockerd.pid" --storage-driver vfs \
		"$@" >"$SB_DIR/dockerd.log" 2>&1 &
	echo $! >"$SB_DIR/dockerd.pid.0"
	i=0
	until sb_docker version >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 150 ] || ! kill -0 "$(cat "$SB_DIR/dockerd.pid.0")" 2>/dev/null; then
			sb_log "dockerd $SB_ENGINE did not start:"
			tail -n 20 "$SB_DIR/dockerd.log" >&2
			return 1
		fi
		sleep 0.2
	done
	SB_VERSION=$(sb_docker version -f '{{.Server.Version}}')
	sb_log "sandbox $SB_NS: dockerd $SB_VERSION, iptables $SB_MODE"
	sb_image
}

sb_docker() { docker -H "$DOCKER_HOST" "$@"; }
sb_nsenter() { nsenter --net="/var/run/netns/$SB_NS" "$@"; }
sb_ipt() { sb_nsenter "/usr/sbin/iptables-$SB_MODE" -w "$@"; }
sb_ipt_save() { sb_nsenter "/usr/sbin/iptables-$SB_MODE-save" "$@"; }
sb_dfw() {
	if [ -n "${SB_DFW_CERTS:-}" ]; then
		DOCKER_HOST=$SB_TLS_URL DOCKER_TLS_VERIFY=1 \
		DOCKER_CERT_PATH=$SB_DFW_CERTS PATH=$SB_PATH \
			sb_nsenter "$DFW" "$@"
	else
		PATH=$SB_PATH sb_nsenter "$DFW" "$@"
	fi
}

# TLS. sb_tls_args PKI prints dockerd's arguments for listening, besides
# its unix socket, on SB_TLS_URL (tcp://127.0.0.1:2376) and on
# tcp://127.0.0.2:2376 with --tlsverify: server certificate
# PKI/srv-rsa.pem, client certificates of the CAs in PKI/cas.pem (the
# files tests/lib/tls-certs.sh's tls_pki makes; PKI without spaces), e.g.
# sb_start 20.10 legacy $(sb_tls_args "$PKI"). With SB_DFW_CERTS=DIR,
# sb_dfw reaches dockerd there as a user of the docker CLI's variables
# would: DOCKER_HOST=SB_TLS_URL, DOCKER_TLS_VERIFY=1, DOCKER_CERT_PATH=DIR.
# sb_docker keeps the unix socket.
SB_TLS_URL=tcp://127.0.0.1:2376
sb_tls_args() {
	echo "--tlsverify --tlscacert=$1/cas.pem --tlscert=$1/srv-rsa.pem" \
	     "--tlskey=$1/srv-rsa-key.pem -H $SB_TLS_URL -H tcp://127.0.0.2:2376"
}

# The busybox image, built once per build folder from busybox-static.
# Tests run side by side (tests/run.sh): each builds in a folder of its
# own and the finished tar replaces busybox.tar by a rename, so that a
# test never imports a tar another one is writing.
sb_image() {
	tar=$BUILD/test/busybox.tar
	if [ ! -s "$tar" ]; then
		mkdir -p "$BUILD/test"
		root=$(mktemp -d "$BUILD/test/rootfs.XXXXXX") || return 1
		mkdir -p "$root/bin" "$root/etc" \
			"$root/tmp" "$root/proc" "$root/sys" "$root/dev"
		chmod 755 "$root"
		cp "$(command -v busybox)" "$root/bin/busybox"
		for a in $("$root/bin/busybox" --list); do
			[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
		done
		echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
		echo 'root:x:0:' >"$root/etc/group"
		tar -C "$root" -cf "$root.tar" . && mv "$root.tar" "$tar"
		rm -rf "$root" "$root.tar"
	fi
	sb_docker import "$tar" "$SB_IMAGE" >/dev/null
}

sb_run() {	# sb_run NAME [DOCKER-RUN-OPTS...] [-- CMD...]
	n=$1
	shift
	opts=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts="$opts $(sb_quote "$1")"
		shift
	done
	[ "${1:-}" = -- ] && shift
	[ $# -gt 0 ] || set -- sleep 100000
	eval "sb_docker run -d --name \"\$n\" $opts \"\$SB_IMAGE\" \"\$@\"" \
		>/dev/null
}

sb_quote() { printf "'%s'" "$(printf %s "$1" | sed "s/'/'\\\\''/g")"; }

sb_ip() {	# sb_ip NAME [NETWORK]
	if [ -n "${2:-}" ]; then
		sb_docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"
	else
		sb_docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$1" |
			cut -d' ' -f1
	fi
}

# A listener that takes one connection and keeps what it got in
# /tmp/got.PORT; an earlier listener on PORT is stopped first.
sb_listen() {	# sb_listen NAME PORT [udp]
	sb_docker exec "$1" sh -c "kill \$(cat /tmp/nc.$2.pid) ;
		rm -f /tmp/got.$2 /tmp/nc.$2.pid" >/dev/null 2>&1
	# nc's stdin is a fifo it holds open itself: with /dev/null it would
	# half-close the connection at once and a slow client could quit
	# before sending its line
	sb_docker exec -d "$1" sh -c "rm -f /tmp/in.$2; mkfifo /tmp/in.$2;
		exec 3<>/tmp/in.$2; echo \$\$ > /tmp/nc.$2.pid;
		exec nc -l ${3:+-u} -p $2 <&3 3<&- > /tmp/got.$2"
	i=0
	until sb_docker exec "$1" netstat -ln 2>/dev/null | grep -q ":$2 "; do
		i=$((i + 1)); [ $i -gt 50 ] && return 1
		sleep 0.1
	done
}

# sb_send FROM ADDR PORT LISTENER: sends one line from container FROM to
# ADDR:PORT (2 s timeout) and answers 0 when LISTENER received it.
sb_send() {
	msg="dfw-$$-$(date +%s%N)"
	sb_docker exec "$1" sh -c "echo $msg | nc -w 2 $2 $3" >/dev/null 2>&1
	i=0
	while [ $i -lt 10 ]; do
		sb_docker exec "$4" cat "/tmp/got.$3" 2>/dev/null |
			grep -q "$msg" && return 0
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}

# sb_reach FROM TO PORT: "open" or "blocked" for FROM -> TO's address:PORT.
sb_reach() {
	sb_listen "$2" "$3" || { echo "listen failed"; return; }
	if sb_send "$1" "$(sb_ip "$2")" "$3" "$2"; then
		echo open
	else
		echo blocked
	fi
}

SB_HOST_IP=10.99.0.1
sb_outside() {
	ip netns add "$SB_NS-out" || return 1
	ip -n "$SB_NS-out" link set lo up
	ip -n "$SB_NS" link add dfw-out type veth peer name eth0 \
		netns "$SB_NS-out" || return 1
	ip -n "$SB_NS" addr add "$SB_HOST_IP/24" dev dfw-out
	ip -n "$SB_NS" link set dfw-out up
	ip -n "$SB_NS-out" addr add 10.99.0.2/24 dev eth0
	ip -n "$SB_NS-out" addr add 10.99.0.3/24 dev eth0
	ip -n "$SB_NS-out" link set eth0 up
}

sb_out_send() {
	msg="dfw-$$-$(date +%s%N)"
	echo "$msg" | nsenter --net="/var/run/netns/$SB_NS-out" \
		nc -w 2 -s "$1" "$SB_HOST_IP" "$2" >/dev/null 2>&1
	i=0
	while [ $i -lt 10 ]; do
		sb_docker exec "$3" cat "/tmp/got.$4" 2>/dev/null |
			grep -q "$msg" && return 0
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}

sb_publish_reach() {	# SRC HOSTPORT NAME CONTAINERPORT
	sb_listen "$3" "$4" || { echo "listen failed"; return; }
	if sb_out_send "$1" "$2" "$3" "$4"; then
		echo open
	else
		echo blocked
	fi
}

# IPv6 beside sb_outside's IPv4 (nodad: usable at once). The clients
# reach Docker's IPv6 subnets (fd00::/8 in the tests) through the host,
# as a neighbour on the host's network could.
SB_HOST_IP6=fd99::1
sb_outside6() {
	[ -e "/var/run/netns/$SB_NS-out" ] || sb_outside || return 1
	ip -n "$SB_NS" -6 addr add "$SB_HOST_IP6/64" dev dfw-out nodad ||
		return 1
	ip -n "$SB_NS-out" -6 addr add fd99::2/64 dev eth0 nodad
	ip -n "$SB_NS-out" -6 addr add fd99::3/64 dev eth0 nodad
	ip -n "$SB_NS-out" -6 route add fd00::/8 via "$SB_HOST_IP6"
}

sb_ip6() {	# sb_ip6 NAME NETWORK
	sb_docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").GlobalIPv6Address}}" "$1"
}
sb_ipt6() { sb_nsenter "/usr/sbin/ip6tables-$SB_MODE" -w "$@"; }
sb_ipt6_save() { sb_nsenter "/usr/sbin/ip6tables-$SB_MODE-save" "$@"; }

# sb_out_send6 SRC DST PORT LISTENER CPORT: one line from outside
# address SRC to [DST]:PORT; 0 if LISTENER got it on CPORT.
sb_out_send6() {
	msg="dfw-$$-$(date +%s%N)"
	echo "$msg" | nsenter --net="/var/run/netns/$SB_NS-out" \
		nc -6 -w 2 -s "$1" "$2" "$3" >/dev/null 2>&1
	i=0
	while [ $i -lt 10 ]; do
		sb_docker exec "$4" cat "/tmp/got.$5" 2>/dev/null |
			grep -q "$msg" && return 0
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}

sb_publish_reach6() {	# SRC HOSTPORT NAME CONTAINERPORT [DST]
	sb_listen "$3" "$4" || { echo "listen failed"; return; }
	if sb_out_send6 "$1" "${5:-$SB_HOST_IP6}" "$2" "$3" "$4"; then
		echo open
	else
		echo blocked
	fi
}

sb_reach6() {	# FROM TO PORT NETWORK
	a=$(sb_ip6 "$2" "$4")
	[ -n "$a" ] || { echo "no IPv6 address"; return; }
	sb_listen "$2" "$3" || { echo "listen failed"; return; }
	if sb_send "$1" "$a" "$3" "$2"; then
		echo open
	else
		echo blocked
	fi
}

sb_stop() {
	[ -n "$SB_DIR" ] || return 0
	d=$SB_DIR
	if [ -S "$d/docker.sock" ]; then
		ids=$(sb_docker ps -aq 2>/dev/null)
		[ -z "$ids" ] || sb_docker rm -f $ids >/dev/null 2>&1 || :
	fi
	for pf in "$d/dockerd.pid.0" "$d/exec/containerd/containerd.pid"; do
		[ -s "$pf" ] || continue
		pid=$(cat "$pf")
		kill -TERM "$pid" 2>/dev/null || continue
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.2; i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null || :
	done
	# Shims and anything else started for this sandbox name its folder.
	for p in /proc/[0-9]*; do
		grep -qsF "$d/" "$p/cmdline" 2>/dev/null &&
			kill -KILL "${p#/proc/}" 2>/dev/null || :
	done
	awk -v d="$d/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts |
		sort -r | while read -r m; do umount -l "$m" || :; done
	ip netns del "$SB_NS-out" 2>/dev/null || :
	ip netns del "$SB_NS" 2>/dev/null || :
	rm -rf "$d"
	SB_DIR=
}

# sb_configs FUNC: runs FUNC ENGINE MODE in a fresh sandbox for each
# configuration of SB_CONFIGS (default: both engines, both modes).
sb_configs() {
	for c in $SB_CONFIGS; do
		why=$(sb_prereq "${c%/*}") || { testing_skip "$c: $why"; continue; }
		if sb_start "${c%/*}" "${c#*/}"; then
			"$1" "${c%/*}" "${c#*/}"
		else
			testing_fail "$c: sandbox did not start"
		fi
		sb_stop
	done
}

# sb_dockerd_stop / sb_dockerd_start: stop the sandbox's dockerd (by the
# PID in dockerd.pid.0, waiting for it to exit) and start it again with the
# same command line, e.g. to edit a container's files under data/ while no
# daemon holds them. The command line is read from /proc before the stop,
# so sb_start need not keep its arguments. Containers that run when dockerd
# stops are stopped by it (their stop timeout applies: kill them first to
# be quick) and stay stopped when it starts again. sb_dockerd_start SED
# edits that command line (one argument a line) with sed script SED first,
# for good: e.g. other TLS certificates.
sb_dockerd_stop() {
	pid=$(cat "$SB_DIR/dockerd.pid.0") || return 1
	tr '\0' '\n' <"/proc/$pid/cmdline" >"$SB_DIR/dockerd.cmdline" ||
		return 1
	kill -TERM "$pid" || return 1
	i=0
	# a zombie (an exited child of this shell) counts as gone
	while [ -d "/proc/$pid" ] &&
	      [ "$(cut -d')' -f2 "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f2)" != Z ]; do
		i=$((i + 1))
		if [ $i -gt 300 ]; then
			sb_log "dockerd $pid did not stop"
			return 1
		fi
		sleep 0.1
	done
	# its containerd goes with it; wait for that too
	cpid=$(cat "$SB_DIR/exec/containerd/containerd.pid" 2>/dev/null) ||
		return 0
	i=0
	while [ -n "$cpid" ] && [ -d "/proc/$cpid" ] &&
	      grep -qsF "$SB_DIR/" "/proc/$cpid/cmdline" &&
	      [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	return 0
}

sb_dockerd_start() {
	[ -s "$SB_DIR/dockerd.cmdline" ] || {
		sb_log "sb_dockerd_start: no sb_dockerd_stop before"; return 1; }
	if [ -n "${1:-}" ]; then
		sed -i -e "$1" "$SB_DIR/dockerd.cmdline" || return 1
	fi
	set --
	while IFS= read -r a; do
		set -- "$@" "$a"
	done <"$SB_DIR/dockerd.cmdline"
	PATH=$SB_PATH nsenter --net="/var/run/netns/$SB_NS" "$@" \
		>>"$SB_DIR/dockerd.log" 2>&1 &
	echo $! >"$SB_DIR/dockerd.pid.0"
	i=0
	until sb_docker version >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 150 ] || ! kill -0 "$(cat "$SB_DIR/dockerd.pid.0")" 2>/dev/null; then
			sb_log "dockerd $SB_ENGINE did not start again:"
			tail -n 20 "$SB_DIR/dockerd.log" >&2
			return 1
		fi
		sleep 0.2
	done
}
