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

# Succeeds when $1/node_modules matches $1/package-lock.json. npm
# records what it installed in node_modules/.package-lock.json, whose
# "packages" are those of package-lock.json without the root entry "".
# Comparing contents, not modification times, matters because a git
# clone gives every file the time of the checkout, in no set order, so
# the committed node_modules can look older than the lock file.
npm_modules_current() {
	[ -f "$1/node_modules/.package-lock.json" ] || return 1
	python3 - "$1" <<'PY'
import json
import sys

folder = sys.argv[1]
try:
    with open(f"{folder}/package-lock.json") as f:
        expected = json.load(f)["packages"]
    with open(f"{folder}/node_modules/.package-lock.json") as f:
        installed = json.load(f)["packages"]
except (OSError, ValueError, KeyError):
    sys.exit(1)
expected.pop("", None)
sys.exit(0 if expected == installed else 1)
PY
}

# The dashboard's charting library (web/ui) and the browser tests' driver
# (tests/browser), pinned by their package-lock.json files. Their
# node_modules folders are committed, so npm runs only when a lock file
# lists other packages than the ones installed. Debian's nodejs package
# leaves npm to a package of its own.
install_npm_modules() {
	for dir in "$VIGIL_ROOT/web/ui" "$VIGIL_ROOT/tests/browser"; do
		if npm_modules_current "$dir"; then
			continue
		fi
		if ! command -v npm >/dev/null 2>&1; then
			if [ "$(id -u)" -ne 0 ]; then
				echo "vigil: npm is missing; run as root to install it" >&2
				exit 1
			fi
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm
		fi
		echo "vigil: npm ci in $dir" >&2
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
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
