#!/bin/sh
# Installs every build and test dependency of ferry from Debian packages (run as root).
# Idempotent: does nothing when everything is already installed.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev valgrind libcmocka-dev libxxhash-dev \
libjson-c-dev libzstd-dev gnuplot-nox python3 iproute2 procps libsodium-dev libssl-dev libinih-dev \
libmnl-dev iputils-ping sqlite3"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run this script as root)" >&2
	exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
