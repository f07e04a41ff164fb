#!/bin/sh
# Runs the whole appliance on sample traffic it generates: vigild replays
# half an hour of a simulated LAN at the capture's own pace, with the
# bundled plugins, the alert store and timeseries on; vigil-web serves the
# dashboard on http://127.0.0.1:8080/; each flow is printed as vigild
# writes it. With an interface name as argument (`deploy/demo.sh eth0`),
# captures that interface live instead, through net_af_packet, until
# Ctrl-C.
#
# Installs the Debian packages and npm modules it needs and builds vigil
# first. VIGIL_DEMO_PORT changes the dashboard's port.
set -eu

VIGIL_ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
VIGIL_SETUP_SOURCED=1
. "$VIGIL_ROOT/deploy/setup.sh"
install_packages
install_npm_modules
build_vigil

DEMO_DIR=$BUILD_DIR/demo
mkdir -p "$DEMO_DIR"
FLOWS=$DEMO_DIR/flows.jsonl
CONFIG=$DEMO_DIR/vigil.yaml
WEB_PORT=${VIGIL_DEMO_PORT:-8080}
case "$WEB_PORT" in
*[!0-9]* | "")
	echo "vigil: VIGIL_DEMO_PORT '$WEB_PORT' is not a port number" >&2
	exit 2
	;;
esac
if [ ${#WEB_PORT} -gt 5 ] || [ "$WEB_PORT" -lt 1 ] || [ "$WEB_PORT" -gt 65535 ]; then
	echo "vigil: VIGIL_DEMO_PORT $WEB_PORT is out of range: give 1 to 65535" >&2
	exit 2
fi

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
	# 30 minutes of 20 hosts: about 320 MB.
	SAMPLE=$DEMO_DIR/sample-1800s.pcap
	if [ ! -f "$SAMPLE" ]; then
		"$BUILD_DIR/deploy/vigil-sample" "$SAMPLE" --duration 1800 \
			--hosts 20
	fi
	PORT="    - pcap: $SAMPLE
      pace: true"
	# The sample's times repeat from run to run: charts and alerts of an
	# earlier replay would make this one's points look old (skipped).
	rm -rf "$DEMO_DIR/rrd" "$DEMO_DIR/alerts.db" "$DEMO_DIR/alerts.db-wal" \
		"$DEMO_DIR/alerts.db-shm"
	echo "vigil: replaying $SAMPLE at its own pace; Ctrl-C stops early" >&2
fi

# A fresh admin password each run: vigil-web stores the configured one
# at start-up, so the one printed below is the one that works.
PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')

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
plugins:
  directories: [$VIGIL_ROOT/plugins]
alerts:
  database: $DEMO_DIR/alerts.db
timeseries:
  directory: $DEMO_DIR/rrd
control:
  socket: $DEMO_DIR/control.sock
web:
  listen: ["127.0.0.1:$WEB_PORT"]
  vigild_socket: $DEMO_DIR/api.sock
  static_dir: $VIGIL_ROOT/web/ui
  data_dir: $DEMO_DIR/web
  admin_password: "$PASSWORD"
YAML
chmod 600 "$CONFIG"

: > "$FLOWS"
"$BUILD_DIR/web/vigil-web" -c "$CONFIG" > "$DEMO_DIR/web.log" 2>&1 &
WEB=$!
"$BUILD_DIR/engine/vigild" -c "$CONFIG" 2> "$DEMO_DIR/vigild.log" &
VIGILD=$!
# Ctrl-C reaches the whole process group, vigil-web included: the demo
# then stops vigild, which writes its open flows, and ends with status 0.
STOPPED=0
trap 'STOPPED=1; kill -INT $VIGILD 2>/dev/null || true' INT TERM
# vigild's start-up log goes to its file; the banner follows once its API
# socket is up, so the login is the last thing on the screen before flows.
tries=0
while [ ! -S "$DEMO_DIR/api.sock" ] && kill -0 $VIGILD 2>/dev/null &&
	[ $tries -lt 300 ]; do
	sleep 0.1
	tries=$((tries + 1))
done
# The dashboard is announced only once vigil-web logs that it listens. A
# start-up error of either program stops the demo and prints that error.
while ! grep -q "listening on" "$DEMO_DIR/web.log" &&
	kill -0 $WEB 2>/dev/null && [ $tries -lt 400 ]; do
	sleep 0.1
	tries=$((tries + 1))
done
if ! kill -0 $VIGILD 2>/dev/null; then
	kill $WEB 2>/dev/null || true
	status=0
	wait $VIGILD || status=$?
	tail -n 20 "$DEMO_DIR/vigild.log" >&2
	echo "vigil: vigild failed to start (exit status $status); see $DEMO_DIR/vigild.log" >&2
	exit 1
fi
if ! grep -q "listening on" "$DEMO_DIR/web.log"; then
	kill -INT $VIGILD 2>/dev/null || true
	wait $VIGILD 2>/dev/null || true
	kill $WEB 2>/dev/null || true
	tail -n 20 "$DEMO_DIR/web.log" >&2
	echo "vigil: the dashboard (vigil-web) did not start; see $DEMO_DIR/web.log" >&2
	exit 1
fi
LOGIN="dashboard http://127.0.0.1:$WEB_PORT/  user admin  password $PASSWORD"
printf '%s\n' "$LOGIN" > "$DEMO_DIR/login.txt"
cat >&2 <<TEXT

  dashboard:  http://127.0.0.1:$WEB_PORT/
  log in as:  admin
  password:   $PASSWORD        (also in $DEMO_DIR/login.txt)

  Logs: $DEMO_DIR/vigild.log and $DEMO_DIR/web.log. From another
  machine, forward the port first:
  ssh -L $WEB_PORT:127.0.0.1:$WEB_PORT root@THIS-MACHINE

TEXT
VIGIL_DEMO_LOGIN="$LOGIN" \
	python3 "$VIGIL_ROOT/deploy/show-flows.py" "$FLOWS" "$VIGILD" || true
status=0
wait $VIGILD || status=$?
if [ $status -ne 0 ]; then
	kill $WEB 2>/dev/null || true
	tail -n 20 "$DEMO_DIR/vigild.log" >&2
	echo "vigil: vigild failed (exit status $status); see $DEMO_DIR/vigild.log" >&2
	exit $status
fi
echo "vigil: flow records are in $FLOWS" >&2
if [ $STOPPED -eq 1 ]; then
	kill $WEB 2>/dev/null || true
	wait $WEB 2>/dev/null || true
	echo "vigil: stopped" >&2
	exit 0
fi
if ! kill -0 $WEB 2>/dev/null; then
	echo "vigil: vigil-web stopped; see $DEMO_DIR/web.log" >&2
	exit 1
fi
# Alerts and charts stay readable after the replay; live pages say that
# vigild is not running.
echo "vigil: replay finished; alerts and charts stay on" \
	"http://127.0.0.1:$WEB_PORT/ until Ctrl-C ($LOGIN)" >&2
trap 'kill $WEB 2>/dev/null || true' INT TERM
wait $WEB || true
