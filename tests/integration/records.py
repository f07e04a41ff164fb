#!/usr/bin/env python3
"""Flow records end to end, on a capture the test builds packet by packet.

Every expected value (endpoints, direction, counters, times, RTT, counters
of malformed packets) is computed here from the frames the test wrote, not
read back from vigild. Runs vigild both with --pcap and with a YAML file.

usage: records.py VIGILD SOURCE_ROOT
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

T0 = 1_700_000_000.0


class Capture:
    """Frames in time order, with per-flow expectations built alongside."""

    def __init__(self):
        self.frames = []

    def add(self, ts, frame):
        self.frames.append((T0 + ts, frame))
        return len(frame)


def build(cap):
    exp = {}

    # A: DNS query and response; the query's sender is the client.
    q = g.packet("10.0.0.1", "10.0.0.53", 17,
                 g.udp("10.0.0.1", 40000, "10.0.0.53", 53,
                       g.dns_query(0x1234, "www.example.org")))
    r = g.packet("10.0.0.53", "10.0.0.1", 17,
                 g.udp("10.0.0.53", 53, "10.0.0.1", 40000,
                       g.dns_query(0x1234, "www.example.org", True,
                                   "93.184.216.34")))
    exp["A"] = dict(l4="UDP", client_ip="10.0.0.1", client_port=40000,
                    server_ip="10.0.0.53", server_port=53, l7="DNS",
                    server_name="www.example.org", c2s_packets=1,
                    c2s_bytes=cap.add(0.0, q), s2c_packets=1,
                    s2c_bytes=cap.add(0.010, r), swapped=False,
                    first_seen=T0, last_seen=T0 + 0.010)

    # B: a DNS response whose query was not captured: the receiver is the
    # client, so the flow is swapped and has no client-to-server packet.
    r = g.packet("10.0.0.53", "10.0.0.2", 17,
                 g.udp("10.0.0.53", 53, "10.0.0.2", 40002,
                       g.dns_query(0x99, "mail.example.org", True,
                                   "93.184.216.35")))
    exp["B"] = dict(l4="UDP", client_ip="10.0.0.2", client_port=40002,
                    server_ip="10.0.0.53", server_port=53, c2s_packets=0,
                    c2s_bytes=0, s2c_packets=1, s2c_bytes=cap.add(0.5, r),
                    swapped=True)

    # C: a TCP handshake, an HTTP request sent twice, a response, FIN.
    c, s = ("10.0.0.1", 50000), ("10.0.0.80", 80)
    get = (b"GET / HTTP/1.1\r\nHost: www.vigil.test\r\n"
           b"User-Agent: vigil-test\r\nAccept: */*\r\n\r\n")
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"

    def seg(src, dst, seq, ack, flags, payload=b""):
        return g.packet(src[0], dst[0], 6,
                        g.tcp(src[0], src[1], dst[0], dst[1], seq, ack,
                              flags, payload))
    c2s = [cap.add(1.000, seg(c, s, 100, 0, g.TCP_SYN))]
    s2c = [cap.add(1.020, seg(s, c, 500, 101, g.TCP_SYN | g.TCP_ACK))]
    c2s.append(cap.add(1.030, seg(c, s, 101, 501, g.TCP_ACK)))
    c2s.append(cap.add(1.031, seg(c, s, 101, 501, g.TCP_PSH | g.TCP_ACK,
                                  get)))
    c2s.append(cap.add(1.300, seg(c, s, 101, 501, g.TCP_PSH | g.TCP_ACK,
                                  get)))
    s2c.append(cap.add(1.320, seg(s, c, 501, 101 + len(get),
                                  g.TCP_PSH | g.TCP_ACK, ok)))
    c2s.append(cap.add(1.330, seg(c, s, 101 + len(get), 501 + len(ok),
                                  g.TCP_FIN | g.TCP_ACK)))
    s2c.append(cap.add(1.340, seg(s, c, 501 + len(ok), 102 + len(get),
                                  g.TCP_FIN | g.TCP_ACK)))
    exp["C"] = dict(l4="TCP", client_ip="10.0.0.1", client_port=50000,
                    server_ip="10.0.0.80", server_port=80, l7="HTTP",
                    server_name="www.vigil.test", c2s_packets=len(c2s),
                    c2s_bytes=sum(c2s), s2c_packets=len(s2c),
                    s2c_bytes=sum(s2c), swapped=False, retransmissions=1,
                    rtt_us=30000, first_seen=T0 + 1.0, last_seen=T0 + 1.34)

    # D: the first packet is a SYN-ACK: its receiver is the client.
    c, s = ("10.0.0.3", 50001), ("10.0.0.81", 443)
    s2c = cap.add(2.0, seg(s, c, 900, 11, g.TCP_SYN | g.TCP_ACK))
    c2s = cap.add(2.01, seg(c, s, 11, 901, g.TCP_ACK))
    exp["D"] = dict(l4="TCP", client_ip="10.0.0.3", client_port=50001,
                    server_ip="10.0.0.81", server_port=443, c2s_packets=1,
                    c2s_bytes=c2s, s2c_packets=1, s2c_bytes=s2c,
                    swapped=True)

    # E: an echo reply first; F: an echo request and its reply.
    reply = g.packet("10.0.0.9", "10.0.0.1", 1, g.icmp_echo(0, 7, 1))
    exp["E"] = dict(l4="ICMP", client_ip="10.0.0.1", server_ip="10.0.0.9",
                    c2s_packets=0, s2c_packets=1,
                    s2c_bytes=cap.add(3.0, reply), swapped=True)
    req = g.packet("10.0.0.1", "10.0.0.10", 1, g.icmp_echo(8, 8, 1))
    rep = g.packet("10.0.0.10", "10.0.0.1", 1, g.icmp_echo(0, 8, 1))
    exp["F"] = dict(l4="ICMP", client_ip="10.0.0.1", server_ip="10.0.0.10",
                    c2s_packets=1, c2s_bytes=cap.add(3.1, req),
                    s2c_packets=1, s2c_bytes=cap.add(3.2, rep),
                    swapped=False, l7="ICMP")

    # G: NTP seen from the server's side only: port 123 facing an
    # ephemeral port, no handshake, so the receiver is the client.
    ntp = bytes([0x24, 2, 6, 0xEC]) + bytes(44)
    pkt = g.packet("10.0.0.123", "10.0.0.4", 17,
                   g.udp("10.0.0.123", 123, "10.0.0.4", 40123, ntp))
    exp["G"] = dict(l4="UDP", client_ip="10.0.0.4", client_port=40123,
                    server_ip="10.0.0.123", server_port=123, s2c_packets=1,
                    s2c_bytes=cap.add(4.0, pkt), swapped=True)

    # H: IPv6 inside VLAN 42.
    p6 = g.ethernet(g.ipv6("fd00::1", "fd00::2", 17,
                           g.udp("fd00::1", 40000, "fd00::2", 5000,
                                 b"hello over v6")), g.ETH_IPV6, vlan=42)
    exp["H"] = dict(l4="UDP", client_ip="fd00::1", client_port=40000,
                    server_ip="fd00::2", server_port=5000, vlan=42,
                    c2s_packets=1, c2s_bytes=cap.add(5.0, p6),
                    swapped=False)

    # J: a jumbo frame and one of 65535 bytes, the largest an IPv4 packet
    # allows in Ethernet, as a host capture with GRO contains them. Both are
    # longer than one mbuf and reach the engine through the frame copy.
    def big(size, ts):
        payload = b"j" * (size - 14 - 20 - 8)
        return cap.add(ts, g.packet("10.0.0.9", "10.0.0.10", 17,
                                    g.udp("10.0.0.9", 40009, "10.0.0.10",
                                          9999, payload)))
    exp["J"] = dict(l4="UDP", client_ip="10.0.0.9", client_port=40009,
                    server_ip="10.0.0.10", server_port=9999, c2s_packets=2,
                    c2s_bytes=big(9000, 5.5) + big(65535, 5.6),
                    swapped=False)

    # Malformed and non-IP frames: counted by kind, never a flow.
    good = g.ipv4("10.0.0.1", "10.0.0.2", 17,
                  g.udp("10.0.0.1", 1, "10.0.0.2", 2, b"x" * 20))
    cap.add(6.0, g.ethernet(good[:12]))                  # IP header cut
    cap.add(6.1, g.ethernet(good[:30]))                  # total length > frame
    cap.add(6.2, g.ethernet(bytes([0x75]) + good[1:]))   # version 7
    cap.add(6.3, g.ethernet(bytes(28), 0x0806))          # ARP
    cap.add(6.4, g.MAC_A[:10])                           # Ethernet cut
    errors = dict(ip_truncated=1, ip_length=1, ip_bad_version=1, not_ip=1,
                  link_truncated=1)
    return exp, errors


def find(records, e):
    for r in records:
        if (r["client_ip"], r["server_ip"]) == (e["client_ip"],
                                                e["server_ip"]) and \
           r.get("client_port") == e.get("client_port", r.get("client_port")):
            return r
    return None


def check_run(checks, label, records, stats, exp, errors, frames):
    checks.check(len(records) == len(exp),
                 f"{label}: {len(records)} records, expected {len(exp)}")
    for name, e in sorted(exp.items()):
        r = find(records, e)
        if not checks.check(r is not None, f"{label}: flow {name} missing"):
            continue
        for field, want in e.items():
            got = r.get(field)
            if isinstance(want, float):
                ok = got is not None and abs(got - want) < 1e-6
            else:
                ok = got == want
            checks.check(ok, f"{label}: flow {name} {field}={got!r}, "
                         f"expected {want!r}")
    parse = stats["parse_errors"]
    for kind, want in errors.items():
        checks.check(parse.get(kind) == want,
                     f"{label}: parse_errors.{kind}={parse.get(kind)}, "
                     f"expected {want}")
    checks.check(stats["rx_packets"] == len(frames),
                 f"{label}: rx_packets={stats['rx_packets']}, "
                 f"expected {len(frames)}")
    checks.check(stats["rx_bytes"] == sum(len(f) for _, f in frames),
                 f"{label}: rx_bytes={stats['rx_bytes']}")
    checks.check(stats["flows_created"] == len(exp),
                 f"{label}: flows_created={stats['flows_created']}")


def main():
    vigild = sys.argv[1]
    cap = Capture()
    exp, errors = build(cap)
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-records-") as tmp:
        pcap = os.path.join(tmp, "built.pcap")
        g.write_pcap(pcap, cap.frames)

        flows = os.path.join(tmp, "a.jsonl")
        stats = os.path.join(tmp, "a.json")
        status, stderr = vigtest.run_vigild(vigild, pcap, flows,
                                            ["--stats", stats])
        checks.check(status == 0, f"--pcap run exited {status}: {stderr}")
        with open(stats) as f:
            check_run(checks, "--pcap", vigtest.read_records(flows),
                      json.load(f), exp, errors, cap.frames)

        # The same capture through a configuration file.
        config = os.path.join(tmp, "vigil.yaml")
        flows_b = os.path.join(tmp, "b.jsonl")
        with open(config, "w") as f:
            f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n"
                    f"flows:\n  output: {flows_b}\n"
                    f"  idle_timeout: 600\n")
        stats_b = os.path.join(tmp, "b.json")
        proc = subprocess.run([vigild, "-c", config, "--stats", stats_b],
                              stderr=subprocess.PIPE, text=True,
                              timeout=120)
        checks.check(proc.returncode == 0,
                     f"-c run exited {proc.returncode}: {proc.stderr}")
        with open(stats_b) as f:
            check_run(checks, "-c", vigtest.read_records(flows_b),
                      json.load(f), exp, errors, cap.frames)
    checks.finish()


if __name__ == "__main__":
    main()
