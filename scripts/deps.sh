#!/bin/sh
# deps.sh WHAT [BUILD] - fetch and build what docker-fw links or tests with.
#
#   musl     libip4tc, libip6tc and libbearssl as static musl libraries,
#            from Debian 12's iptables and bearssl source packages
#   host     the same three for the host libc (unit tests, fuzzers)
#   engine   Docker 28.5 from Debian's unstable suite, unpacked, not installed
#
# Sources come from Debian only, through a private apt configuration under
# BUILD/deps/apt (the host's apt configuration is not changed). Each result
# is cached and rebuilt only when missing: remove BUILD/deps to redo it.
set -eu

what=$1
build=${2:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build/deps"
deps=$(cd "$build/deps" && pwd)
suite=bookworm

# Docker 28.5 as packaged in Debian unstable. If unstable has moved on, the
# newest docker.io there is used and its version is reported by the tests.
engine_version=28.5.2+dfsg4-5

apt_private() {	# apt_private NAME TYPES SUITE -> sets APTO
	d=$deps/apt/$1
	mkdir -p "$d/lists/partial"
	cat >"$d/list.sources" <<-EOT
	Types: $2
	URIs: http://deb.debian.org/debian
	Suites: $3
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOT
	APTO="-o Dir::Etc::sourcelist=$d/list.sources
	      -o Dir::Etc::sourceparts=/nonexistent
	      -o Dir::State::Lists=$d/lists
	      -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
	      -o APT::Sandbox::User=root -qq"
	[ -e "$d/lists/.updated" ] && return 0
	# shellcheck disable=SC2086
	apt-get $APTO update
	touch "$d/lists/.updated"
}

fetch_sources() {
	[ -d "$deps/src/iptables" ] && [ -d "$deps/src/bearssl" ] && return 0
	"$top/scripts/install-pkgs.sh" build
	apt_private src deb-src $suite
	rm -rf "$deps/src.tmp" && mkdir -p "$deps/src.tmp"
	# shellcheck disable=SC2086
	(cd "$deps/src.tmp" && apt-get $APTO source iptables bearssl)
	mv "$deps/src.tmp"/iptables-[0-9]*/ "$deps/src.tmp/iptables"
	mv "$deps/src.tmp"/bearssl-[0-9]*/ "$deps/src.tmp/bearssl"
	mkdir -p "$deps/src"
	mv "$deps/src.tmp/iptables" "$deps/src.tmp/bearssl" "$deps/src/"
	rm -rf "$deps/src.tmp"
}

# Headers shared by both builds: libiptc's own (with the netfilter headers
# iptables ships), BearSSL's, and kernel UAPI headers reached after the
# libc's own through -idirafter kinclude.
headers() {
	[ -e "$deps/include/.done" ] && return 0
	rm -rf "$deps/include" "$deps/kinclude"
	mkdir -p "$deps/include" "$deps/kinclude"
	cp -R "$deps/src/iptables/include/libiptc" \
	      "$deps/src/iptables/include/linux" "$deps/include/"
	cp "$deps/src/bearssl/inc/"*.h "$deps/include/"
	sed 's/@libxtables_vmajor@/12/' \
		"$deps/src/iptables/include/xtables-version.h.in" \
		>"$deps/include/xtables-version.h"
	cp "$deps/src/iptables/include/xtables.h" "$deps/include/"
	ln -s /usr/include/linux "$deps/kinclude/linux"
	ln -s "/usr/include/$(gcc -dumpmachine)/asm" "$deps/kinclude/asm"
	ln -s /usr/include/asm-generic "$deps/kinclude/asm-generic"
	touch "$deps/include/.done"
}

build_libs() {	# build_libs NAME CC
	out=$deps/$1
	[ -e "$out/.done" ] && return 0
	fetch_sources
	headers
	rm -rf "$out" && mkdir -p "$out/obj" "$out/lib"
	# no unwind tables in the static binary (see the Makefile's CFLAGS);
	# the host build keeps them for the sanitizers' stack traces
	nounwind=
	[ "$1" = musl ] &&
		nounwind="-fno-asynchronous-unwind-tables -fno-unwind-tables"
	cflags="-std=gnu11 -Os -ffunction-sections -fdata-sections $nounwind"
	cflags="$cflags -D_GNU_SOURCE"
	for l in libip4tc libip6tc; do
		# shellcheck disable=SC2086
		$2 $cflags -I"$deps/include" -idirafter "$deps/kinclude" \
			-c "$deps/src/iptables/libiptc/$l.c" -o "$out/obj/$l.o"
		ar rcs "$out/lib/$l.a" "$out/obj/$l.o"
	done
	rm -rf "$out/bearssl" && cp -R "$deps/src/bearssl" "$out/bearssl"
	cat >"$out/bearssl/conf/dfw.mk" <<-EOT
	include conf/Unix.mk
	CC = $2
	CFLAGS = -W -Wall -Os -ffunction-sections -fdata-sections $nounwind
	DLL = no
	TOOLS = no
	TESTS = no
	EOT
	make -C "$out/bearssl" -s -j2 CONF=dfw lib
	cp "$out/bearssl/build/libbearssl.a" "$out/lib/"
	rm -rf "$out/bearssl"
	touch "$out/.done"
}

fetch_engine() {
	out=$deps/engine
	[ -x "$out/usr/sbin/dockerd" ] && return 0
	"$top/scripts/install-pkgs.sh" test
	apt_private sid deb unstable
	rm -rf "$deps/engine.tmp" && mkdir -p "$deps/engine.tmp"
	# shellcheck disable=SC2086
	(cd "$deps/engine.tmp" &&
	 { apt-get $APTO download "docker.io=$engine_version" 2>/dev/null ||
	   apt-get $APTO download docker.io; } &&
	 dpkg -x docker.io_*.deb root)
	rm -rf "$out" && mv "$deps/engine.tmp/root" "$out"
	rm -rf "$deps/engine.tmp"
}

case $what in
musl)	build_libs musl musl-gcc ;;
host)	build_libs host gcc ;;
engine)	fetch_engine ;;
*)	echo "usage: deps.sh musl|host|engine [BUILD]" >&2; exit 2 ;;
esac
