#!/bin/sh
# Installs vigil's build and run dependencies from Debian 12's packages and
# the npm registry, and builds vigil with meson into BUILD_DIR (default:
# build). Sourced by the
# demo and test scripts; run it alone to build only.
set -eu

VIGIL_ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$VIGIL_ROOT/build}

PACKAGES="meson ninja-build pkg-config gcc libc6-dev
libdpdk-dev dpdk dpdk-dev libndpi-dev libndpi-bin libyaml-dev libcmocka-dev
libuv1-dev libpcap-dev libprotobuf-c-dev protobuf-c-compiler
libluajit-5.1-dev libseccomp-dev python3 iproute2 iputils-ping
libsqlite3-dev sqlite3 librrd-dev rrdtool rrdcached libcurl4-openssl-dev
libsodium-dev libh2o-dev chromium nodejs wrk"

install_packages() {
	missing=""
	for p in $PACKAGES; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed"; then
			missing="$missing $p"
		fi
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "vigil: missing packages:$missing; run as root to install them" >&2
		exit 1
	fi
	echo "vigil: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
}

# The dashboard's charting library (web/ui) and the browser tests' driver
# (tests/browser), pinned by their package-lock.json files. Debian's
# nodejs package leaves npm to a package of its own.
install_npm_modules() {
	if ! command -v npm >/dev/null 2>&1; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "vigil: npm is missing; run as root to install it" >&2
			exit 1
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm
	fi
	for dir in "$VIGIL_ROOT/web/ui" "$VIGIL_ROOT/tests/browser"; do
		if [ ! -d "$dir/node_modules" ] ||
			[ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
			echo "vigil: npm ci in $dir" >&2
			(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
			touch "$dir/node_modules"
		fi
	done
}

build_vigil() {
	if [ ! -f "$BUILD_DIR/build.ninja" ]; then
		meson setup "$BUILD_DIR" "$VIGIL_ROOT" "$@"
	fi
	ninja -C "$BUILD_DIR"
}

if [ "${VIGIL_SETUP_SOURCED:-0}" != 1 ]; then
	install_packages
	install_npm_modules
	build_vigil "$@"
fi
