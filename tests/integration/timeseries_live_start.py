#!/usr/bin/env python3
"""The first minute of a live run in the timeseries, end to end.

On a live port the engine notes the clock time at which its first minute
opened, and the rrd writer puts an unknown update at that whole second, so
rrdtool averages the minute's bytes over the watched seconds only. This
test starts vigild on the host end of a veth pair between seconds 20 and
25 of a wall-clock minute. It sends a known set of UDP datagrams across
from a network namespace in that minute and a few in the next one, stops
vigild with SIGINT, and reads the interface's traffic.rrd with
`rrdtool fetch`. The first minute must read the bytes sent in it over the
seconds from the engine's start to the minute's end, and not over 60 s.

The engine's start time is not logged as such: the engine lcore takes it
from vigild's packet clock in its first loop, right after launch. The test
bounds it by two times read from vigild's log. From below by the
`timeseries: writer started` line, logged before the lcores are launched.
From above by the first status line that counts a flow, because the engine
opened its minute before it counted the first packet. It then accepts the
rates of exactly the whole seconds between the two bounds.

Nothing but the test's datagrams crosses the veth pair: IPv6 is off on
both ends and the neighbour entries are static, so no router
solicitation, duplicate address detection or ARP frame is sent. A socket
on the host end receives the datagrams, so the host sends no ICMP back.
The bytes vigild counts are whole Ethernet frames as the kernel hands
them to AF_PACKET: 14 bytes of Ethernet header, 20 of IPv4 and 8 of UDP
before the payload, and no frame check sequence.

Needs root, iproute2 and rrdtool; skipped otherwise. The addresses are a
/30 from 10.78.0.0/16 picked by the process id, and the interface and
namespace names carry the process id, so parallel runs do not collide.

usage: timeseries_live_start.py VIGILD SOURCE_ROOT
"""
import calendar
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigtest  # noqa: E402
from timeseries import counters, fetch  # noqa: E402

PID = os.getpid()
NS = f"vgts{PID}"
HOST_IF = f"vgtsh{PID % 100000}"
NS_IF = f"vgtsn{PID % 100000}"
HOST_MAC, NS_MAC = "02:00:00:00:7e:01", "02:00:00:00:7e:02"
SUBNET = ipaddress.ip_network("10.78.0.0/16")
BASE = SUBNET.network_address + 4 * (PID % (SUBNET.num_addresses // 4))
HOST_IP, NS_IP = str(BASE + 1), str(BASE + 2)
PORT_NAME = "live"

# Ethernet, IPv4 (no options) and UDP headers in front of each payload.
FRAME_OVERHEAD = 14 + 20 + 8
# Payload sizes sent in the first minute and in the next one. Varied so
# that a count of frames times one size cannot match by accident.
FIRST_MINUTE = [200 + (i * 37) % 900 for i in range(40)]
NEXT_MINUTE = [64, 65, 66]

# vigild is started between these seconds of a wall-clock minute. Its
# start then lands well before second 30: rrdtool reads a minute as unknown
# when more than half of it is unknown.
START_WINDOW = (20, 25)
# The first minute's traffic must be sent before this second of the minute,
# so that no datagram is stamped in the next minute.
FIRST_MINUTE_DEADLINE = 50
# Seconds into the next minute at which its datagrams are sent. vigild's
# packet clock lags the wall clock a little (see CLOCK_ERROR), so this
# keeps them clear of the boundary.
NEXT_MINUTE_AT = 3

# vigild's packet clock is gettimeofday() read once at start-up plus TSC
# ticks over DPDK's TSC frequency. When the CPU does not report that
# frequency, DPDK measures it over 0.1 s and rounds it to the nearest
# multiple of 10 MHz (get_tsc_freq() in lib/eal/linux/eal_timer.c). That
# is an error of at most 0.5% for a TSC of 1 GHz or more. For example,
# rte_get_tsc_hz() returned 2600000000 for a TSC that Linux calibrated at
# 2596.13 MHz. So the clock can be off the wall clock by 0.5% of the time
# since start-up, and the test allows 1%.
CLOCK_ERROR = 0.01
# rrdtool stores the exact quotient of the bytes over the watched seconds,
# and `rrdtool fetch` prints 10 significant digits. So a relative 1e-6
# covers that printing only. The whole second the start fell in is not
# covered by this tolerance, because each second between the bounds is
# tried on its own.
RATE_TOLERANCE = 1e-6

SENDER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for line in sys.stdin:
    sizes = [int(n) for n in line.split()]
    for n in sizes:
        s.sendto(b"v" * n, (sys.argv[2], int(sys.argv[3])))
        time.sleep(0.005)
    print(len(sizes), flush=True)
"""


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def setup_link():
    sh("ip", "netns", "add", NS)
    sh("ip", "link", "add", HOST_IF, "address", HOST_MAC, "type", "veth",
       "peer", "name", NS_IF, "address", NS_MAC)
    sh("ip", "link", "set", NS_IF, "netns", NS)
    # IPv6 off before the links come up, so no IPv6 frame is ever sent.
    sh("sysctl", "-qw", f"net.ipv6.conf.{HOST_IF}.disable_ipv6=1")
    sh("ip", "netns", "exec", NS, "sysctl", "-qw",
       f"net.ipv6.conf.{NS_IF}.disable_ipv6=1")
    sh("ip", "addr", "add", f"{HOST_IP}/30", "dev", HOST_IF)
    sh("ip", "netns", "exec", NS, "ip", "addr", "add", f"{NS_IP}/30", "dev",
       NS_IF)
    sh("ip", "neigh", "replace", NS_IP, "lladdr", NS_MAC, "dev", HOST_IF,
       "nud", "permanent")
    sh("ip", "netns", "exec", NS, "ip", "neigh", "replace", HOST_IP, "lladdr",
       HOST_MAC, "dev", NS_IF, "nud", "permanent")
    sh("ip", "link", "set", HOST_IF, "up")
    sh("ip", "netns", "exec", NS, "ip", "link", "set", NS_IF, "up")


def teardown_link():
    sh("ip", "link", "del", HOST_IF, check=False)
    sh("ip", "netns", "del", NS, check=False)


class Reader(threading.Thread):
    """Collects a process's stderr lines while it runs."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.lines = []

    def run(self):
        for line in self.stream:
            self.lines.append(line)

    def text(self):
        return "".join(self.lines)

    def first(self, pattern):
        """Return the first line that matches <pattern>, or None."""
        for line in list(self.lines):
            if re.search(pattern, line):
                return line
        return None

    def wait_for(self, pattern, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            line = self.first(pattern)
            if line is not None:
                return line
            time.sleep(0.02)
        return None


class Receiver(threading.Thread):
    """Receives and counts the datagrams on the host end."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST_IP, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self.running = True

    def run(self):
        while self.running:
            try:
                self.sock.recv(2048)
                self.count += 1
            except socket.timeout:
                pass

    def stop(self):
        self.running = False
        self.join(5)
        self.sock.close()


class Sender:
    """A process in the namespace that sends datagrams on request."""

    def __init__(self, port):
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", NS, sys.executable, "-c", SENDER, NS_IP,
             HOST_IP, str(port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def send(self, sizes):
        """Send one datagram per payload size; return when all are sent."""
        self.proc.stdin.write(" ".join(map(str, sizes)) + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(10)


def log_time(line):
    """Return the time of a vigild log line ("2026-01-02T03:04:05.678Z
    ..."), in seconds since the epoch, rounded down to the millisecond."""
    stamp = line.split(" ", 1)[0]
    whole = calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))
    return whole + int(stamp[20:23]) / 1000


def wait_for_start_window():
    """Sleep until the wall clock is inside START_WINDOW of a minute."""
    lo, hi = START_WINDOW
    second = time.time() % 60
    if lo <= second < hi:
        return
    time.sleep((lo - second) % 60)


def frame_bytes(sizes):
    return sum(FRAME_OVERHEAD + n for n in sizes)


def write_config(work, rrd):
    path = os.path.join(work, "live-start.yaml")
    with open(path, "w") as f:
        f.write(f"""capture:
  ports:
    - interface: {HOST_IF}
      name: {PORT_NAME}
flows:
  output: {os.path.join(work, "live-start.jsonl")}
timeseries:
  directory: {rrd}
log:
  status_interval: 1
""")
    return path


def run_live(vigild, work, checks):
    """Run vigild across its first minute and the start of the next.

    Returns the measured times and vigild's log, or None when the run
    failed.
    """
    rrd = os.path.join(work, "rrd")
    config = write_config(work, rrd)
    receiver = Receiver()
    receiver.start()
    sender = Sender(receiver.port)
    wait_for_start_window()
    spawned = time.time()
    proc = subprocess.Popen([vigild, "-c", config],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            errors="replace")
    reader = Reader(proc.stderr)
    reader.start()
    run = None
    try:
        started = reader.wait_for(r"engine: started", 30)
        if not checks.check(started is not None,
                            f"vigild did not start: {reader.text()}"):
            return None
        sender.send(FIRST_MINUTE)
        sent_by = time.time()
        status = reader.wait_for(r"engine: status .* flows=[1-9]", 10)
        if not checks.check(status is not None,
                            "no status line counted the first flow: "
                            f"{reader.text()}"):
            return None
        writer = reader.first(r"timeseries: writer started")
        if not checks.check(writer is not None,
                            "no 'timeseries: writer started' line: "
                            f"{reader.text()}"):
            return None
        run = {
            "spawned": spawned,
            "writer_started": log_time(writer),
            "engine_started": log_time(started),
            # The log's time is rounded down to the millisecond.
            "first_flow_counted": log_time(status) + 0.001,
            "first_minute_sent_by": sent_by,
        }
        minute_end = (int(run["writer_started"]) // 60 + 1) * 60
        run["minute_end"] = minute_end
        time.sleep(max(0.0, minute_end + NEXT_MINUTE_AT - time.time()))
        sender.send(NEXT_MINUTE)
        time.sleep(1)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(5)
        sender.close()
        receiver.stop()
    if not checks.check(proc.returncode == 0,
                        f"vigild exited {proc.returncode} after SIGINT: "
                        f"{reader.text()[-3000:]}"):
        return None
    run["received"] = receiver.count
    run["log"] = reader.text()
    run["rrd"] = rrd
    return run


def check_run(run, checks):
    """Check the first minute's rrd row against the bytes sent over the
    seconds watched."""
    minute_end = run["minute_end"]
    first_bytes = frame_bytes(FIRST_MINUTE)
    all_sizes = FIRST_MINUTE + NEXT_MINUTE

    # The test's own set-up: every datagram crossed, and nothing else did.
    checks.check(run["received"] == len(all_sizes),
                 f"host end received {run['received']} datagrams, sent "
                 f"{len(all_sizes)}")
    engine = counters(run["log"], "engine: summary")
    checks.check(engine.get("packets") == len(all_sizes) and
                 engine.get("bytes") == frame_bytes(all_sizes),
                 f"vigild counted packets={engine.get('packets')} "
                 f"bytes={engine.get('bytes')}, the test sent "
                 f"{len(all_sizes)} frames of {frame_bytes(all_sizes)} "
                 "bytes: other frames crossed the veth pair")
    checks.check(run["first_minute_sent_by"] % 60 < FIRST_MINUTE_DEADLINE and
                 run["first_minute_sent_by"] < minute_end,
                 f"first minute's traffic ended at "
                 f"{run['first_minute_sent_by']:.3f}, after second "
                 f"{FIRST_MINUTE_DEADLINE} of the minute ending at "
                 f"{minute_end}")

    # The engine's start, bounded by two log times and the clock error.
    slack = CLOCK_ERROR * (run["first_flow_counted"] - run["spawned"])
    earliest = run["writer_started"] - slack
    latest = run["first_flow_counted"] + slack
    seconds = range(int(earliest), int(latest) + 1)
    print(f"start bounds {earliest:.3f}..{latest:.3f} (engine: started "
          f"logged at {run['engine_started']:.3f}), minute end "
          f"{minute_end}, watched seconds "
          f"{[minute_end - s for s in seconds]}")
    if not checks.check(minute_end - 60 < earliest and
                        latest < minute_end - 30,
                        f"engine start between {earliest:.3f} and "
                        f"{latest:.3f}, not in the first half of the "
                        f"minute ending at {minute_end}: vigild started "
                        "too late for this test"):
        return
    rates = {s: first_bytes / (minute_end - s) for s in seconds}
    packet_rates = {s: len(FIRST_MINUTE) / (minute_end - s) for s in seconds}

    # Without the live-start handling, rrdtool would spread the bytes
    # over the whole minute. With the start in the first half of the
    # minute that is at least a third lower, far outside the tolerance, so
    # the check below cannot pass by accident.
    whole_minute = first_bytes / 60
    checks.check(all(abs(whole_minute - r) > 0.1 * r for r in rates.values()),
                 f"whole-minute rate {whole_minute} is too close to the "
                 f"expected rates {rates} to tell them apart")

    path = os.path.join(run["rrd"], "interface", PORT_NAME, "traffic.rrd")
    if not checks.check(os.path.exists(path), f"{path} not written"):
        return
    rows = fetch(path, minute_end - 180, minute_end + 60)
    row = rows.get(minute_end, {})
    got = row.get("bytes")
    matched = [s for s, r in rates.items()
               if got is not None and abs(got - r) <= RATE_TOLERANCE * r]
    checks.check(len(matched) == 1,
                 f"first minute: rrd bytes rate {got}, expected "
                 f"{first_bytes} bytes over the seconds watched, one of "
                 f"{rates} (whole minute: {whole_minute})")
    if matched:
        print(f"rrd bytes rate {got} = {first_bytes} bytes / "
              f"{minute_end - matched[0]} s (start at second "
              f"{matched[0] % 60} of the minute)")
        want = packet_rates[matched[0]]
        got_packets = row.get("packets")
        checks.check(got_packets is not None and
                     abs(got_packets - want) <= RATE_TOLERANCE * want,
                     f"first minute: rrd packets rate {got_packets}, "
                     f"expected {len(FIRST_MINUTE)} packets over "
                     f"{minute_end - matched[0]} s: {want}")
    before = rows.get(minute_end - 60, {}).get("bytes", "no row")
    checks.check(before is None,
                 f"minute before the start: {before}, expected unknown")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    vigild = sys.argv[1]
    if os.geteuid() != 0:
        vigtest.skip("needs root for veth pairs and network namespaces")
    if shutil.which("ip") is None:
        vigtest.skip("iproute2 (ip) not installed")
    if shutil.which("rrdtool") is None:
        vigtest.skip("rrdtool (the command) is not installed")
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-live-start-") as work:
        os.chmod(work, 0o755)
        try:
            setup_link()
            run = run_live(vigild, work, checks)
        finally:
            teardown_link()
        if run is not None:
            check_run(run, checks)
    checks.finish()


if __name__ == "__main__":
    main()
