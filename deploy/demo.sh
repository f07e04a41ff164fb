#!/bin/sh
# Runs vigil on sample traffic it generates, replayed at its own pace, and
# prints each flow as vigild writes it. With an interface name as argument
# (`deploy/demo.sh eth0`), captures that interface live instead, through
# net_af_packet, until Ctrl-C.
#
# Installs the Debian packages it needs and builds vigil first.
set -eu

VIGIL_ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
VIGIL_SETUP_SOURCED=1
. "$VIGIL_ROOT/deploy/setup.sh"
install_packages
build_vigil

DEMO_DIR=$BUILD_DIR/demo
mkdir -p "$DEMO_DIR"
FLOWS=$DEMO_DIR/flows.jsonl
CONFIG=$DEMO_DIR/vigil.yaml

if [ $# -ge 1 ]; then
	case "$1" in
	*[!A-Za-z0-9_.:@-]* | "")
		echo "vigil: '$1' is not a valid interface name" >&2
		exit 2
		;;
	esac
	PORT="    - interface: \"$1\""
	echo "vigil: capturing live on $1; Ctrl-C stops and writes the open flows" >&2
else
	SAMPLE=$DEMO_DIR/sample.pcap
	if [ ! -f "$SAMPLE" ]; then
		"$BUILD_DIR/deploy/vigil-sample" "$SAMPLE"
	fi
	PORT="    - pcap: $SAMPLE
      pace: true"
	echo "vigil: replaying $SAMPLE at its own pace; Ctrl-C stops early" >&2
fi

cat > "$CONFIG" <<YAML
# Written by deploy/demo.sh.
capture:
  ports:
$PORT
      name: demo
flows:
  # Short timeouts so flows show up quickly in a demo.
  idle_timeout: {tcp: 15, udp: 10, icmp: 5, other: 10}
  active_timeout: 60
  output: $FLOWS
networks:
  local: [192.168.0.0/16, 10.0.0.0/8, 172.16.0.0/12, "fd00::/8"]
log:
  status_interval: 5
YAML

: > "$FLOWS"
"$BUILD_DIR/engine/vigild" -c "$CONFIG" &
VIGILD=$!
trap 'kill -INT $VIGILD 2>/dev/null || true' INT TERM
python3 "$VIGIL_ROOT/deploy/show-flows.py" "$FLOWS" "$VIGILD" || true
status=0
wait $VIGILD || status=$?
trap - INT TERM
if [ $status -ne 0 ]; then
	echo "vigil: vigild failed (exit status $status); see the messages above" >&2
	exit $status
fi
echo "vigil: flow records are in $FLOWS" >&2
