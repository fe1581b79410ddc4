#!/bin/sh
# install-pkgs.sh PROFILE... - install the Debian packages a make target needs.
#
# Profiles: build (the static binary), test (make check), demo (make demo).
# Installs only what is missing. Needs root and apt-get; elsewhere it prints
# what to install and fails. Installing docker.io never starts a dockerd in
# the host's network namespace: services are held back with policy-rc.d and,
# on a systemd host, a docker.io we installed is left disabled.
set -eu

pkgs_build="make gcc musl-tools dpkg-dev file"
pkgs_test="$pkgs_build clang libclang-rt-14-dev iproute2 util-linux
	iptables docker.io containerd runc busybox-static netcat-openbsd openssl curl
	shellcheck clang-format"
pkgs_demo="$pkgs_test"

want=""
for p in "$@"; do
	eval "want=\"\$want \$pkgs_$p\""
done

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "install-pkgs: missing packages:$missing" >&2
	echo "install-pkgs: run as root on Debian 12, or install the" \
	     "equivalents (see README.md)" >&2
	exit 1
fi

echo "install-pkgs: installing$missing" >&2
had_docker=no
dpkg-query -W -f='${Status}\n' docker.io 2>/dev/null |
	grep -q 'installed$' && had_docker=yes
guard=no
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	guard=yes
fi
trap '[ $guard = yes ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
if [ $had_docker = no ] && [ -d /run/systemd/system ]; then
	systemctl disable --now docker.service docker.socket \
		containerd.service >/dev/null 2>&1 || :
fi
