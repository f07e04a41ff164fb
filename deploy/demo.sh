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
# The banner waits for vigild's API socket, so one left by a run that was
# killed must not count. vigild listens there only after it handles SIGINT.
rm -f "$DEMO_DIR/api.sock"

# Both programs run in sessions of their own, so a Ctrl-C on the terminal
# reaches only this script and the flow printer. The trap below then sends
# vigild exactly one SIGINT, because vigild takes a second signal as a
# request to exit at once without writing its open flows. setsid(1) keeps
# the PID, because a background job of a non-interactive shell is no
# process group leader.
#
# A shell that starts with SIGINT ignored, as a background job of another
# script does, cannot trap it. Both programs then stay in this process
# group and take a SIGINT sent to the group themselves, and the script
# learns of the stop from vigild's log.
SESSION=setsid
ignored=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)
if [ -n "$ignored" ] && [ $((0x${ignored#????????} & 2)) -ne 0 ]; then
	SESSION=
fi
STOPPED=0
VIGILD_DONE=0
VIGILD=
WEB=

# Stops vigild first, so that it writes its open flows, and vigil-web once
# vigild has ended. Each further signal is passed on again, so a second
# Ctrl-C makes vigild exit without flushing.
on_signal() {
	STOPPED=1
	if [ $VIGILD_DONE -eq 0 ] && [ -n "$VIGILD" ]; then
		kill -INT "$VIGILD" 2>/dev/null || true
	elif [ -n "$WEB" ]; then
		kill -TERM "$WEB" 2>/dev/null || true
	fi
}
trap on_signal INT TERM

# Waits for child $1 and stores its exit status in STATUS. A signal with a
# trap makes `wait` return early with a status above 128 while the child
# still runs, so it waits again until the child has ended.
wait_child() {
	while :; do
		STATUS=0
		wait "$1" || STATUS=$?
		if [ $STATUS -le 128 ] || ! kill -0 "$1" 2>/dev/null; then
			return 0
		fi
	done
}

# Exits with vigild's status $STATUS unless it is 0, after stopping
# vigil-web and printing the end of vigild's log.
check_vigild_status() {
	VIGILD_DONE=1
	[ $STATUS -eq 0 ] && return 0
	kill $WEB 2>/dev/null || true
	tail -n 20 "$DEMO_DIR/vigild.log" >&2
	echo "vigil: vigild failed (exit status $STATUS); see $DEMO_DIR/vigild.log" >&2
	exit $STATUS
}

# Stops vigil-web after vigild has ended and exits: with 0 after a
# signal, with 1 when vigil-web has failed.
stop_web_and_exit() {
	VIGILD_DONE=1
	kill -TERM "$WEB" 2>/dev/null || true
	wait_child "$WEB"
	if [ $STATUS -ne 0 ]; then
		tail -n 20 "$DEMO_DIR/web.log" >&2
		echo "vigil: vigil-web failed (exit status $STATUS); see $DEMO_DIR/web.log" >&2
		exit 1
	fi
	echo "vigil: stopped" >&2
	exit 0
}

$SESSION "$BUILD_DIR/web/vigil-web" -c "$CONFIG" > "$DEMO_DIR/web.log" 2>&1 &
WEB=$!
$SESSION "$BUILD_DIR/engine/vigild" -c "$CONFIG" 2> "$DEMO_DIR/vigild.log" &
VIGILD=$!
# vigild's start-up log goes to its file; the banner follows once its API
# socket is up, so the login is the last thing on the screen before flows.
tries=0
while [ $STOPPED -eq 0 ] && [ ! -S "$DEMO_DIR/api.sock" ] &&
	kill -0 $VIGILD 2>/dev/null && [ $tries -lt 300 ]; do
	sleep 0.1
	tries=$((tries + 1))
done
# The dashboard is announced only once vigil-web logs that it listens. A
# start-up error of either program stops the demo and prints that error.
while [ $STOPPED -eq 0 ] && ! grep -q "listening on" "$DEMO_DIR/web.log" &&
	kill -0 $WEB 2>/dev/null && [ $tries -lt 400 ]; do
	sleep 0.1
	tries=$((tries + 1))
done
if [ $STOPPED -eq 1 ]; then
	wait_child $VIGILD
	check_vigild_status
	stop_web_and_exit
fi
if ! kill -0 $VIGILD 2>/dev/null; then
	wait_child $VIGILD
	if [ $STATUS -eq 0 ] &&
		grep -q "signal=[0-9]* received" "$DEMO_DIR/vigild.log"; then
		stop_web_and_exit
	fi
	kill $WEB 2>/dev/null || true
	tail -n 20 "$DEMO_DIR/vigild.log" >&2
	echo "vigil: vigild failed to start (exit status $STATUS); see $DEMO_DIR/vigild.log" >&2
	exit 1
fi
if ! grep -q "listening on" "$DEMO_DIR/web.log"; then
	VIGILD_DONE=1
	kill -INT $VIGILD 2>/dev/null || true
	wait_child $VIGILD
	kill $WEB 2>/dev/null || true
	tail -n 20 "$DEMO_DIR/web.log" >&2
	echo "vigil: the dashboard (vigil-web) did not start; see $DEMO_DIR/web.log" >&2
	exit 1
fi
LOGIN="dashboard http://127.0.0.1:$WEB_PORT/  user admin  password $PASSWORD"
# The file contains the password: created 0600, as the config is. An older
# run's file is removed first, because a redirection keeps its mode.
rm -f "$DEMO_DIR/login.txt"
(umask 077 && printf '%s\n' "$LOGIN" > "$DEMO_DIR/login.txt")
cat >&2 <<TEXT

  dashboard:  http://127.0.0.1:$WEB_PORT/
  log in as:  admin
  password:   $PASSWORD        (also in $DEMO_DIR/login.txt)

  Logs: $DEMO_DIR/vigild.log and $DEMO_DIR/web.log. From another
  machine, forward the port first:
  ssh -L $WEB_PORT:127.0.0.1:$WEB_PORT root@THIS-MACHINE

TEXT
# The flow printer runs in the background because the shell runs a trap
# only once its foreground command has ended, and the printer ends only
# after vigild. It ignores SIGINT and stops once vigild has ended and the
# flows file is read to its end.
VIGIL_DEMO_LOGIN="$LOGIN" \
	python3 "$VIGIL_ROOT/deploy/show-flows.py" "$FLOWS" "$VIGILD" &
PRINTER=$!
wait_child $PRINTER
wait_child $VIGILD
check_vigild_status
echo "vigil: flow records are in $FLOWS" >&2
if grep -q "signal=[0-9]* received, flushing flows" "$DEMO_DIR/vigild.log"; then
	STOPPED=1
fi
if [ $STOPPED -eq 1 ]; then
	stop_web_and_exit
fi
if ! kill -0 $WEB 2>/dev/null; then
	wait_child $WEB
	echo "vigil: vigil-web stopped (exit status $STATUS); see $DEMO_DIR/web.log" >&2
	exit 1
fi
# Alerts and charts stay readable after the replay; live pages say that
# vigild is not running. The trap now stops vigil-web.
echo "vigil: replay finished; alerts and charts stay on" \
	"http://127.0.0.1:$WEB_PORT/ until Ctrl-C ($LOGIN)" >&2
wait_child $WEB
if [ $STOPPED -eq 0 ] || [ $STATUS -ne 0 ]; then
	tail -n 20 "$DEMO_DIR/web.log" >&2
	echo "vigil: vigil-web stopped (exit status $STATUS); see $DEMO_DIR/web.log" >&2
	exit 1
fi
echo "vigil: stopped" >&2
