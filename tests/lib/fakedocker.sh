# fakedocker.sh - a lying Docker daemon in front of the sandbox's real one.
#
# Sourced after sandbox.sh, used after sb_start. build/test/fakedockerd
# (tests/tools/fakedockerd.c: `make tools`) listens on a unix socket in
# the sandbox folder and relays every request to the sandbox's dockerd,
# except where a rule of its rules file changes the answer. Real
# containers and networks stay behind it; only what the client is told
# changes. The rules file is read again at every request: fd_rules may
# change it between two runs of docker-fw without a restart.
#
#   fd_start [RULES...]   starts it (in the sandbox's network namespace);
#                         each argument is one line of the rules file
#   fd_rules [RULES...]   replaces the rules (none: relay everything)
#   fd_dfw ARGS...        docker-fw in the namespace, through the fake
#                         (as sb_dfw, with DOCKER_HOST=$FD_HOST)
#   fd_on / fd_off        export DOCKER_HOST=$FD_HOST (so sb_dfw and
#                         sb_docker go through it too) / the real daemon
#                         again
#   fd_log                the requests it saw since fd_start or fd_clear,
#                         one a line: "METHOD PATH proxy" or
#                         "METHOD PATH rule N" (N: line of the rules file)
#   fd_clear              empties that log
#   fd_stop               stops it, by PID (its connection processes
#                         too), and does fd_off; sb_stop stops it anyway
#
# Variables: FD_SOCK (its socket), FD_HOST (unix://FD_SOCK), FD_PID,
# FD_RULES (the rules file), FD_LOG, FD_REAL_HOST (the real daemon).
#
# A rule is "METHOD PATH [times N] ACTION [ARG]..." (full syntax in
# fakedockerd.c): PATH is a glob of the path and query without the
# /v1.NN prefix; the actions are proxy, answer CODE BODY, send BYTES,
# repeat N|forever BYTES, pace MS, hang, close, and, on proxy's or
# answer's response, replace OLD NEW, header NAME VALUE, drop-header
# NAME, status CODE. Words: '...' literal; "..." and bare words take
# \n \r \t \0 \\ \" \xHH. Examples:
#
#   fd_start "GET /containers/*/json replace '\"Name\":\"/web\"' \
#             '\"Name\":\"/x\\n-I INPUT 1 -j ACCEPT\\n#\"'"
#   fd_rules 'GET /networks answer 500 "{\"message\":\"boom\"}"'
#   fd_rules 'GET /_ping header Api-Version 1.99999999999999999999'
#   fd_rules 'GET /containers/*/json send "HTTP/1.1 200 OK\r\n\r\n{"'
#   fd_rules 'GET /networks repeat forever "HTTP/1.1 100 Continue\r\n\r\n"'
#   fd_rules 'GET /containers/*/json times 1 hang'
#
# (In the first example the shell's double quotes leave \" and \\n to
# the rules file, where '...' keeps them: the JSON text gets the two
# characters \n, which JSON decodes to a newline.)

FD_SOCK= FD_HOST= FD_PID= FD_RULES= FD_LOG= FD_REAL_HOST=

fd_rules() {
	: >"$FD_RULES.tmp" || return 1
	for l in "$@"; do
		printf '%s\n' "$l" >>"$FD_RULES.tmp" || return 1
	done
	mv "$FD_RULES.tmp" "$FD_RULES"
}

fd_start() {
	[ -n "$SB_DIR" ] || { sb_log "fd_start: no sandbox"; return 1; }
	[ -z "$FD_PID" ] || fd_stop
	FD_SOCK=$SB_DIR/fake.sock
	FD_HOST=unix://$FD_SOCK
	FD_RULES=$SB_DIR/fake.rules
	FD_LOG=$SB_DIR/fake.log
	FD_REAL_HOST=$DOCKER_HOST
	rm -f "$FD_SOCK" "$FD_LOG"
	fd_rules "$@" || return 1
	# nsenter execs it: $! is its PID
	nsenter --net="/var/run/netns/$SB_NS" "$BUILD/test/fakedockerd" \
		-l "$FD_SOCK" \
		-u "${FD_REAL_HOST#unix://}" -r "$FD_RULES" -o "$FD_LOG" \
		2>>"$SB_DIR/fake.err" &
	FD_PID=$!
	i=0
	until [ -S "$FD_SOCK" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$FD_PID" 2>/dev/null; then
			sb_log "fakedockerd did not start:"
			cat "$SB_DIR/fake.err" >&2
			FD_PID=
			return 1
		fi
		sleep 0.05
	done
}

fd_dfw() { DOCKER_HOST=$FD_HOST sb_dfw "$@"; }
fd_on() { export DOCKER_HOST="$FD_HOST"; }
fd_off() { [ -z "$FD_REAL_HOST" ] || export DOCKER_HOST="$FD_REAL_HOST"; }
fd_log() { cat "$FD_LOG" 2>/dev/null; }
fd_clear() { : >"$FD_LOG"; }

fd_stop() {
	fd_off
	[ -n "$FD_PID" ] || return 0
	# SIGTERM: it passes it on to its process group (its connections)
	kill -TERM "$FD_PID" 2>/dev/null
	i=0
	while kill -0 "$FD_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	kill -KILL "$FD_PID" 2>/dev/null
	wait "$FD_PID" 2>/dev/null
	FD_PID=
	rm -f "$FD_SOCK"
}
