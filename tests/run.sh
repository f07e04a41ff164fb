#!/bin/sh
# Installs what vigil needs, builds it, and runs every test suite: the
# cmocka unit tests (also under AddressSanitizer and UBSan), the fuzz
# harnesses' replay of their seed inputs, and the integration tests that
# run vigild on real captures and a veth pair. Benchmarks are separate:
# see tests/bench/README.md.
#
# The last line is "N passed, N failed", counting meson tests; skipped
# tests (the corpus tests when ../shared is absent) are listed above it.
set -eu

VIGIL_ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
VIGIL_SETUP_SOURCED=1
. "$VIGIL_ROOT/deploy/setup.sh"
install_packages
install_npm_modules
build_vigil

ASAN_DIR=$VIGIL_ROOT/build-asan
if [ ! -f "$ASAN_DIR/build.ninja" ]; then
	meson setup "$ASAN_DIR" "$VIGIL_ROOT" -Dsanitize=true -Dbuildtype=debug
fi
ninja -C "$ASAN_DIR"

status=0
meson test -C "$BUILD_DIR" --suite unit --suite fuzz --suite integration \
	--print-errorlogs || status=$?
meson test -C "$ASAN_DIR" --suite unit --suite fuzz --print-errorlogs ||
	status=$?

python3 "$VIGIL_ROOT/tests/summary.py" \
	"$BUILD_DIR/meson-logs/testlog.json" "$ASAN_DIR/meson-logs/testlog.json"
exit $status
