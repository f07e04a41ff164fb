"""Traffic and helpers for the tests of the bundled plugins.

Builds the exchanges the plugins look for (TCP sessions, probes, DNS,
DHCP, NTP, SMTP) on top of pcapgen, runs vigild with the bundled plugins
and a configuration, and reads back flow records and alerts. Every alert
assertion reads alerts through read_alerts(), the one function that
reads the alert store.
"""
import json
import os
import struct
import subprocess

import pcapgen as g

SYN, RST, PSH, ACK, FIN = g.TCP_SYN, g.TCP_RST, g.TCP_PSH, g.TCP_ACK, \
    g.TCP_FIN


class Capture:
    """Frames of a capture under construction, written sorted by time."""

    def __init__(self):
        self.frames = []

    def add(self, t, src, dst, proto, l4):
        self.frames.append((t, g.packet(src, dst, proto, l4)))

    def udp(self, t, src, sport, dst, dport, payload):
        self.add(t, src, dst, 17, g.udp(src, sport, dst, dport, payload))

    def tcp(self, t, src, sport, dst, dport, seq, ack, flags, payload=b"",
            window=64240):
        self.add(t, src, dst, 6,
                 g.tcp(src, sport, dst, dport, seq, ack, flags, payload,
                       window))

    def session(self, t, cli, cport, srv, sport, c2s=(), s2c=(), close=True):
        """A TCP session: handshake, then each c2s payload followed by the
        s2c payload at the same index (if any), then FIN both ways."""
        cseq, sseq = 1000, 5000
        self.tcp(t, cli, cport, srv, sport, cseq, 0, SYN)
        self.tcp(t + 0.001, srv, sport, cli, cport, sseq, cseq + 1, SYN | ACK)
        cseq += 1
        sseq += 1
        self.tcp(t + 0.002, cli, cport, srv, sport, cseq, sseq, ACK)
        t += 0.003
        for i in range(max(len(c2s), len(s2c))):
            if i < len(c2s):
                self.tcp(t, cli, cport, srv, sport, cseq, sseq, PSH | ACK,
                         c2s[i])
                cseq += len(c2s[i])
                t += 0.001
            if i < len(s2c):
                self.tcp(t, srv, sport, cli, cport, sseq, cseq, PSH | ACK,
                         s2c[i])
                sseq += len(s2c[i])
                t += 0.001
        if close:
            self.tcp(t, cli, cport, srv, sport, cseq, sseq, FIN | ACK)
            self.tcp(t + 0.001, srv, sport, cli, cport, sseq, cseq + 1,
                     FIN | ACK)
            self.tcp(t + 0.002, cli, cport, srv, sport, cseq + 1, sseq + 1,
                     ACK)

    def banner_session(self, t, cli, cport, srv, sport, banner, c2s):
        """A TCP session where the server speaks first (SMTP, FTP)."""
        cseq, sseq = 1000, 5000
        self.tcp(t, cli, cport, srv, sport, cseq, 0, SYN)
        self.tcp(t + 0.001, srv, sport, cli, cport, sseq, cseq + 1, SYN | ACK)
        self.tcp(t + 0.002, cli, cport, srv, sport, cseq + 1, sseq + 1, ACK)
        self.tcp(t + 0.003, srv, sport, cli, cport, sseq + 1, cseq + 1,
                 PSH | ACK, banner)
        sseq += 1 + len(banner)
        cseq += 1
        t += 0.004
        for payload in c2s:
            self.tcp(t, cli, cport, srv, sport, cseq, sseq, PSH | ACK,
                     payload)
            cseq += len(payload)
            self.tcp(t + 0.001, srv, sport, cli, cport, sseq, cseq, ACK)
            t += 0.002

    def probe(self, t, cli, cport, srv, sport, answer):
        """A SYN that gets RST|ACK back (answer='rst'), SYN-ACK then a
        client RST (answer='half'), or nothing (answer=None)."""
        self.tcp(t, cli, cport, srv, sport, 1000, 0, SYN)
        if answer == "rst":
            self.tcp(t + 0.001, srv, sport, cli, cport, 0, 1001, RST | ACK)
        elif answer == "half":
            self.tcp(t + 0.001, srv, sport, cli, cport, 5000, 1001,
                     SYN | ACK)
            self.tcp(t + 0.002, cli, cport, srv, sport, 1001, 0, RST)

    def dns(self, t, cli, cport, srv, name, ident, answer="192.0.2.10",
            reply=True):
        self.udp(t, cli, cport, srv, 53, g.dns_query(ident, name))
        if reply:
            self.udp(t + 0.002, srv, 53, cli, cport,
                     g.dns_query(ident, name, response=True,
                                 answer_ip=answer))

    def ipv4_frames(self):
        """(time, source, destination, frame length) of each IPv4 frame."""
        import ipaddress
        out = []
        for t, frame in self.frames:
            if frame[12:14] == b"\x08\x00":
                out.append((t, str(ipaddress.IPv4Address(frame[26:30])),
                            str(ipaddress.IPv4Address(frame[30:34])),
                            len(frame)))
        return out

    def write(self, path):
        self.frames.sort(key=lambda f: f[0])
        g.write_pcap(path, self.frames)
        return len(self.frames)


def dhcp_offer(xid, server, offered):
    """A BOOTP reply carrying DHCP option 53 = 2 (offer)."""
    import ipaddress
    body = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 2, 1, 6, 0, xid, 0, 0,
                       bytes(4), ipaddress.IPv4Address(offered).packed,
                       ipaddress.IPv4Address(server).packed, bytes(4),
                       bytes.fromhex("020000000099") + bytes(10),
                       bytes(64), bytes(128))
    options = bytes.fromhex("63825363") + bytes([53, 1, 2, 54, 4]) + \
        ipaddress.IPv4Address(server).packed + bytes([255])
    return body + options + bytes(300 - len(body) - len(options))


def ntp_packet(mode):
    """A 48-byte NTPv4 packet of <mode> (3 client, 4 server)."""
    return bytes([(4 << 3) | mode, 2 if mode == 4 else 0, 6, 0xEC]) + \
        bytes(44)


def run_vigild(vigild, source_root, pcap, tmp, name, scripts_yaml,
               local="10.0.0.0/8", extra_yaml=""):
    """Run vigild with the bundled plugins on <pcap>. Returns (exit status,
    stderr, flow records, path of the alert database)."""
    flows = os.path.join(tmp, name + ".jsonl")
    alerts = os.path.join(tmp, name + "-alerts.db")
    config = os.path.join(tmp, name + ".yaml")
    with open(config, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n"
                f"flows:\n  output: {flows}\n  idle_timeout: 15\n"
                f"networks:\n  local: [{local}]\n"
                f"plugins:\n  directories: "
                f"[{os.path.join(source_root, 'plugins')}]\n"
                f"  scripts:\n{scripts_yaml}{extra_yaml}"
                f"alerts:\n  database: {alerts}\n  dedup_window: 0\n")
    proc = subprocess.run([vigild, "-c", config], stderr=subprocess.PIPE,
                          text=True, errors="replace", timeout=240)
    records = []
    if os.path.exists(flows):
        with open(flows) as f:
            records = [json.loads(line) for line in f]
    return proc.returncode, proc.stderr, records, alerts


ENTITIES = {1: "flow", 2: "host", 3: "interface", 4: "network", 5: "system"}
SEVERITIES = {1: "info", 2: "notice", 3: "warning", 4: "error", 5: "critical"}


def read_alerts(source):
    """Return the alerts plugins raised, read from the alert store (the
    SQLite file at <source>), as dicts with action, entity, value, type,
    severity, score, plugin, script, time and details (a dict): one
    "trigger" per stored alert, engaged or past, and one "release" more
    for each past alert a plugin released, in time order. Runs use
    dedup_window 0, so each raise is its own row."""
    import sqlite3
    alerts = []
    if not os.path.exists(source):
        return alerts
    db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        rows = [("engaged",) + r for r in db.execute(
            "SELECT entity, entity_value, alert_type, severity, score, "
            "plugin, script, details, first_us, last_us, '' "
            "FROM engaged_alerts")]
        rows += [("past",) + r for r in db.execute(
            "SELECT entity, entity_value, alert_type, severity, score, "
            "plugin, script, details, first_us, released_us, release_reason "
            "FROM past_alerts")]
    finally:
        db.close()
    for (table, entity, value, atype, severity, score, plugin, script,
         details, first_us, end_us, reason) in rows:
        base = {"entity": ENTITIES.get(entity, str(entity)), "value": value,
                "type": atype, "severity": SEVERITIES.get(severity, ""),
                "score": score, "plugin": plugin, "script": script,
                "details": json.loads(details) if details else {}}
        alerts.append(dict(base, action="trigger", time=first_us / 1e6))
        if table == "past" and reason == "release":
            alerts.append(dict(base, action="release", time=end_us / 1e6))
    alerts.sort(key=lambda a: (a["time"], a["action"] != "trigger"))
    return alerts


def flow_of(records, client, server, server_port=None):
    """The records between <client> and <server>, either orientation."""
    out = []
    for r in records:
        ends = {r["client_ip"], r["server_ip"]}
        if ends == {client, server} and (server_port is None or
                                         server_port in (r["server_port"],
                                                         r["client_port"])):
            out.append(r)
    return out
