#!/usr/bin/env python3
"""Live capture on a kernel interface, and flushing on SIGINT and SIGTERM.

Builds a veth pair with one end in a network namespace, runs vigild on the
other end through net_af_packet, sends pings and one TCP exchange across,
and stops vigild with SIGINT: it must print status lines while running,
exit 0, and write the flows it saw with the packet counts the test sent.
Then it replays a capture at its own pace and stops it with SIGTERM part
way: the flows seen so far must be written, the later ones not.

Needs root and iproute2; skipped otherwise. All traffic stays on the veth
pair, in addresses from 10.77.0.0/30.

usage: live.py VIGILD SOURCE_ROOT
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

NS = f"vgtest{os.getpid()}"
HOST_IF = f"vgh{os.getpid() % 100000}"
NS_IF = f"vgn{os.getpid() % 100000}"
HOST_IP, NS_IP = "10.77.0.1", "10.77.0.2"
PINGS = 5


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def setup_link():
    sh("ip", "netns", "add", NS)
    sh("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF)
    sh("ip", "link", "set", NS_IF, "netns", NS)
    sh("ip", "addr", "add", f"{HOST_IP}/30", "dev", HOST_IF)
    sh("ip", "link", "set", HOST_IF, "up")
    sh("ip", "netns", "exec", NS, "ip", "addr", "add", f"{NS_IP}/30", "dev",
       NS_IF)
    sh("ip", "netns", "exec", NS, "ip", "link", "set", NS_IF, "up")
    sh("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up")


def teardown_link():
    sh("ip", "link", "del", HOST_IF, check=False)
    sh("ip", "netns", "del", NS, check=False)


def wait_for(proc_err, text, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if text in proc_err():
            return True
        time.sleep(0.1)
    return False


class Reader(threading.Thread):
    """Collects a process's stderr while it runs."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.chunks = []

    def run(self):
        for line in self.stream:
            self.chunks.append(line)

    def text(self):
        return "".join(self.chunks)


def tcp_exchange():
    """Run one TCP exchange from the namespace; return the server port."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST_IP, 0))
    server.listen(1)
    port = server.getsockname()[1]

    def serve():
        conn, _ = server.accept()
        conn.sendall(conn.recv(100).upper())
        conn.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = ("import socket;s=socket.create_connection(('%s',%d));"
              "s.sendall(b'hello vigil');s.recv(100);s.close()"
              % (HOST_IP, port))
    sh("ip", "netns", "exec", NS, sys.executable, "-c", client)
    thread.join(5)
    server.close()
    return port


def live_case(vigild, tmp, checks):
    flows = os.path.join(tmp, "live.jsonl")
    config = os.path.join(tmp, "live.yaml")
    with open(config, "w") as f:
        f.write(f"capture:\n  ports:\n    - interface: {HOST_IF}\n"
                f"flows:\n  output: {flows}\n"
                f"log:\n  status_interval: 1\n")
    proc = subprocess.Popen([vigild, "-c", config], stderr=subprocess.PIPE,
                            text=True)
    reader = Reader(proc.stderr)
    reader.start()
    port = None
    try:
        started = wait_for(reader.text, "engine: started", 30)
        checks.check(started, f"vigild did not start: {reader.text()}")
        if not started:
            return
        sh("ip", "netns", "exec", NS, "ping", "-c", str(PINGS), "-i", "0.2",
           "-W", "1", HOST_IP)
        port = tcp_exchange()
        checks.check(wait_for(reader.text, "status pps=", 5),
                     "no status line on a live port")
        proc.send_signal(signal.SIGINT)
        status = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(5)
    checks.check(status == 0, f"vigild exited {status} after SIGINT")
    checks.check("summary" in reader.text(), "no counter summary at exit")
    records = vigtest.read_records(flows)
    icmp = [r for r in records if r["l4"] == "ICMP" and
            r["client_ip"] == NS_IP and r["server_ip"] == HOST_IP]
    if checks.check(len(icmp) == 1, f"ICMP flow: {icmp}"):
        checks.check(icmp[0]["c2s_packets"] == PINGS and
                     icmp[0]["s2c_packets"] == PINGS,
                     f"ICMP counters: {icmp[0]}")
    tcp = [r for r in records if r["l4"] == "TCP" and
           r.get("server_port") == port]
    if checks.check(len(tcp) == 1, f"TCP flow to port {port}: {tcp}; "
                    f"all records: {records}; vigild: {reader.text()}"):
        t = tcp[0]
        checks.check(t["client_ip"] == NS_IP and not t["swapped"],
                     f"TCP client: {t}")
        checks.check("SYN" in t["tcp_flags"] and "FIN" in t["tcp_flags"],
                     f"TCP flags: {t['tcp_flags']}")
        # A veth handshake takes microseconds, and without port timestamps
        # a frame's time is its burst's, so the RTT may read 0; it must
        # still be a plausible figure.
        checks.check(0 <= t["rtt_us"] < 1_000_000, f"TCP rtt: {t['rtt_us']}")
        # 11 bytes of data each way, in at least SYN, ACK, data, FIN.
        checks.check(t["c2s_packets"] >= 4 and t["s2c_packets"] >= 3,
                     f"TCP packets: {t}")


def sigterm_case(vigild, tmp, checks):
    """A paced replay stopped part way still writes the flows it saw."""
    frames = []
    for i in range(3):
        frames.append((1000.0 + i * 0.2,
                       g.packet("10.0.0.1", "10.0.0.2", 1,
                                g.icmp_echo(8, 1, i))))
    frames.append((1060.0, g.packet("10.0.0.3", "10.0.0.4", 1,
                                    g.icmp_echo(8, 2, 1))))
    pcap = os.path.join(tmp, "paced.pcap")
    g.write_pcap(pcap, frames)
    flows = os.path.join(tmp, "paced.jsonl")
    config = os.path.join(tmp, "paced.yaml")
    with open(config, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n      pace: true\n"
                f"flows:\n  output: {flows}\n")
    proc = subprocess.Popen([vigild, "-c", config], stderr=subprocess.PIPE,
                            text=True)
    reader = Reader(proc.stderr)
    reader.start()
    wait_for(reader.text, "engine: started", 30)
    time.sleep(2)
    proc.send_signal(signal.SIGTERM)
    try:
        status = proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = "timeout"
    reader.join(5)
    checks.check(status == 0, f"paced run exited {status}: {reader.text()}")
    records = vigtest.read_records(flows)
    checks.check(len(records) == 1, f"paced run wrote {len(records)} "
                 f"records, expected the 1 flow before the stop")
    if records:
        checks.check(records[0]["c2s_packets"] == 3,
                     f"paced flow counters: {records[0]}")


def main():
    vigild = sys.argv[1]
    if os.geteuid() != 0:
        vigtest.skip("needs root for veth pairs and network namespaces")
    if shutil.which("ip") is None:
        vigtest.skip("iproute2 (ip) not installed")
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-live-") as tmp:
        try:
            setup_link()
            live_case(vigild, tmp, checks)
        finally:
            teardown_link()
        sigterm_case(vigild, tmp, checks)
    checks.finish()


if __name__ == "__main__":
    main()
