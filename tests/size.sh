#!/bin/sh
# size.sh - where the static binary's bytes go: links docker-fw's objects
# again with a link map (the same flags as the Makefile's, not stripped)
# and sums the code and constant data (.text, .rodata, .data sections the
# link kept) by origin: musl's libc, BearSSL, libiptc, and each of
# docker-fw's own objects. Run after `make docker-fw`; prints a table in
# KiB. Nothing here asserts a size.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
map=$(mktemp)
out=$(mktemp)
trap 'rm -f "$map" "$out"' EXIT
cd "$top"
# shellcheck disable=SC2046
musl-gcc -static -Wl,--gc-sections -Wl,--wrap=getsockopt,--wrap=setsockopt \
	-Wl,-Map="$map" -o "$out" \
	$(ls "$build"/musl/core/*.o "$build"/musl/applets/*.o) \
	"$build/deps/musl/lib/libip4tc.a" "$build/deps/musl/lib/libip6tc.a" \
	"$build/deps/musl/lib/libbearssl.a"
printf 'stripped binary: %s bytes; KiB by origin:\n' "$(stat -c %s "$top/docker-fw")"
awk '
/^Linker script and memory map/ { on = 1; next }
!on { next }
# a section on one line, or its name alone and the rest on the next
/^ \.(text|rodata|data)[^ ]* +0x/ { add($3, $4); next }
/^ \.(text|rodata|data)[^ ]*$/ { pend = 1; next }
pend && /^ +0x/ { add($2, $3) }
{ pend = 0 }
function hex(s,   i, n) {	# mawk has no strtonum
	n = 0
	for (i = 3; i <= length(s); i++)
		n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return n
}
function add(sz, f,   k) {
	sz = hex(sz)
	if (f ~ /libbearssl/) k = "BearSSL (TLS)"
	else if (f ~ /libip[46]tc/) k = "libiptc (ip4tc + ip6tc)"
	else if (f ~ /libc\.a|crt|libgcc/) k = "musl libc"
	else { sub(/.*\/musl\//, "", f); k = f }
	sum[k] += sz; tot += sz
}
END {
	for (k in sum) printf "%8.1f  %s\n", sum[k] / 1024, k
	printf "%8.1f  %s\n", tot / 1024, "(all code and constant data)"
}' "$map" | sort -rn
