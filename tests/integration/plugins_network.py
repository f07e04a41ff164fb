#!/usr/bin/env python3
"""The bundled network plugins on a capture built here, in one vigild run.

Thresholds: hosts over and under the bytes, packets, flows, throughput
and DNS thresholds, a host that falls silent and one that keeps talking,
the interface and the local network over their per-minute thresholds.
TCP issues: sessions with retransmissions, out-of-order segments and
zero windows over and under the limits, and a handshake left unfinished
beside a finished one. Unidirectional UDP: flows without a reply over and
under the packet threshold, to a broadcast address, and with a reply.
Request/reply ratio: a host whose DNS queries go unanswered and one
whose queries are answered. Expected values are computed from the
frames written, not read back from vigild.

usage: plugins_network.py VIGILD SOURCE_ROOT
"""
import ipaddress
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plugin_traffic as pt  # noqa: E402
import vigtest  # noqa: E402

T0 = 1_700_000_040.0          # a minute boundary
LOCAL = "10.2.0.0/16"
BYTES_THRESHOLD = 50000
PACKETS_THRESHOLD = 80
FLOWS_THRESHOLD = 20
THROUGHPUT_THRESHOLD = 10000  # bit/s
DNS_THRESHOLD = 5000
IDLE_THRESHOLD = 90           # seconds
RESOLVER = "10.2.0.53"


def udp_burst(c, t, src, dst, count, size, sport=5000, dport=6000):
    for i in range(count):
        c.udp(t + i * 0.01, src, sport, dst, dport, b"x" * size)


def tcp_data(c, t, cli, cport, srv, sport, segments, resend=(), swap=(),
             zero_windows=0):
    """A finished session with <segments> 100-byte client segments; the
    indexes in <resend> are sent twice, each pair in <swap> is sent in the
    other order, and the server acknowledges the first <zero_windows>
    segments with a zero window."""
    cseq, sseq = 1000, 5000
    c.tcp(t, cli, cport, srv, sport, cseq, 0, pt.SYN)
    c.tcp(t + 0.001, srv, sport, cli, cport, sseq, cseq + 1, pt.SYN | pt.ACK)
    cseq += 1
    sseq += 1
    c.tcp(t + 0.002, cli, cport, srv, sport, cseq, sseq, pt.ACK)
    t += 0.003
    order = list(range(segments))
    for a in swap:
        i = order.index(a)
        order[i], order[i + 1] = order[i + 1], order[i]
    for n, i in enumerate(order):
        seq = cseq + i * 100
        c.tcp(t, cli, cport, srv, sport, seq, sseq, pt.PSH | pt.ACK,
              bytes([65 + i % 26]) * 100)
        t += 0.001
        if i in resend:
            c.tcp(t, cli, cport, srv, sport, seq, sseq, pt.PSH | pt.ACK,
                  bytes([65 + i % 26]) * 100)
            t += 0.001
        window = 0 if n < zero_windows else 64240
        c.tcp(t, srv, sport, cli, cport, sseq, seq + 100, pt.ACK,
              window=window)
        t += 0.001
    end = cseq + segments * 100
    c.tcp(t, cli, cport, srv, sport, end, sseq, pt.FIN | pt.ACK)
    c.tcp(t + 0.001, srv, sport, cli, cport, sseq, end + 1, pt.FIN | pt.ACK)
    c.tcp(t + 0.002, cli, cport, srv, sport, end + 1, sseq + 1, pt.ACK)


def build(c):
    t = T0 + 1
    # Bytes, packets, throughput: 100 frames of 1042 bytes against 30.
    udp_burst(c, t, "10.2.1.1", "10.2.1.2", 100, 1000)
    udp_burst(c, t, "10.2.2.1", "10.2.2.2", 30, 1000)

    # Flows: 30 one-query exchanges against 10.
    for i in range(30):
        c.udp(t + 2 + i * 0.01, "10.2.3.1", 20000 + i, "10.2.3.2", 7000,
              b"ping")
        c.udp(t + 2.005 + i * 0.01, "10.2.3.2", 7000, "10.2.3.1", 20000 + i,
              b"pong")
    for i in range(10):
        c.udp(t + 2 + i * 0.01, "10.2.4.1", 20000 + i, "10.2.4.2", 7000,
              b"ping")

    # DNS traffic: 40 answered queries against 5.
    for i in range(40):
        c.dns(t + 3 + i * 0.01, "10.2.5.1", 30000 + i, RESOLVER,
              f"host{i}.example.com", i)
    for i in range(5):
        c.dns(t + 3 + i * 0.01, "10.2.6.1", 30000 + i, RESOLVER,
              f"host{i}.example.com", i)

    # Idle: one host talks once, another every 20 s.
    c.udp(T0 + 1, "10.2.7.1", 5353, "10.2.7.2", 9999, b"once")
    for i in range(10):
        c.udp(T0 + 1 + i * 20, "10.2.8.1", 5354, "10.2.8.2", 9999, b"often")

    # TCP issues.
    tcp_data(c, t + 5, "10.2.20.1", 41000, "10.2.20.2", 80, 20,
             resend=(2, 4, 6, 8, 10, 12, 14, 16))
    tcp_data(c, t + 5.2, "10.2.20.1", 41001, "10.2.20.2", 80, 20,
             resend=(2,))
    tcp_data(c, t + 5.4, "10.2.20.1", 41002, "10.2.20.2", 80, 20,
             swap=(1, 4, 7, 10, 13, 16))
    tcp_data(c, t + 5.6, "10.2.20.1", 41003, "10.2.20.2", 80, 20,
             swap=(1,))
    tcp_data(c, t + 5.8, "10.2.20.1", 41004, "10.2.20.2", 80, 20,
             zero_windows=3)
    tcp_data(c, t + 6.0, "10.2.20.1", 41005, "10.2.20.2", 80, 20,
             zero_windows=2)
    c.tcp(t + 6.2, "10.2.20.1", 41006, "10.2.20.2", 80, 1000, 0, pt.SYN)
    c.tcp(t + 6.201, "10.2.20.2", 80, "10.2.20.1", 41006, 5000, 1001,
          pt.SYN | pt.ACK)
    c.session(t + 6.3, "10.2.20.1", 41007, "10.2.20.2", 80,
              [b"GET / HTTP/1.0\r\n\r\n"], [b"HTTP/1.0 200 OK\r\n\r\n"])
    # A SYN never answered is incomplete; one refused with a reset is a
    # closed port, not a connection issue.
    c.probe(t + 6.4, "10.2.20.1", 41008, "10.2.20.2", 81, None)
    c.probe(t + 6.5, "10.2.20.1", 41009, "10.2.20.2", 82, "rst")

    # Unidirectional UDP.
    udp_burst(c, t + 7, "10.2.30.1", "10.2.30.2", 8, 50, 5100, 6100)
    udp_burst(c, t + 7, "10.2.30.1", "10.2.30.3", 4, 50, 5101, 6101)
    udp_burst(c, t + 7, "10.2.30.1", "10.2.30.255", 8, 50, 5102, 6102)
    udp_burst(c, t + 7, "10.2.30.1", "10.2.30.4", 8, 50, 5103, 6103)
    c.udp(t + 7.5, "10.2.30.4", 6103, "10.2.30.1", 5103, b"answer")

    # Request/reply ratio: 25 queries without a reply against 25 with one.
    for i in range(25):
        c.dns(t + 8 + i * 0.01, "10.2.40.1", 31000 + i, RESOLVER,
              f"q{i}.example.net", 100 + i, reply=False)
        c.dns(t + 8 + i * 0.01, "10.2.41.1", 31000 + i, RESOLVER,
              f"q{i}.example.net", 100 + i)

    # Filler to a remote host, so the minute hooks fire after the bursts.
    for i in range(40):
        c.udp(T0 + i * 5, "10.2.99.1", 5001, "198.51.100.1", 9, b"k")


def host_sums(frames, host):
    """Bytes and packets <host> sent and received in the first minute."""
    total_bytes = packets = 0
    for t, src, dst, length in frames:
        if t < T0 + 60 and host in (src, dst):
            total_bytes += length
            packets += 1
    return total_bytes, packets


def minute_sums(frames):
    """Interface packets and bytes, and the local network's bytes (in,
    out and inside), in the first minute."""
    net = ipaddress.ip_network(LOCAL)
    packets = total = network = 0
    for t, src, dst, length in frames:
        if t >= T0 + 60:
            continue
        packets += 1
        total += length
        if ipaddress.ip_address(src) in net or \
                ipaddress.ip_address(dst) in net:
            network += length
    return packets, total, network


def scripts_yaml(frames):
    packets, total, network = minute_sums(frames)
    return (f"    host_bytes_threshold: {{enabled: true, "
            f"threshold: {BYTES_THRESHOLD}}}\n"
            f"    host_packets_threshold: {{enabled: true, "
            f"threshold: {PACKETS_THRESHOLD}}}\n"
            f"    host_flows_threshold: {{enabled: true, "
            f"threshold: {FLOWS_THRESHOLD}}}\n"
            f"    host_throughput_threshold: {{enabled: true, "
            f"threshold: {THROUGHPUT_THRESHOLD}}}\n"
            f"    host_dns_threshold: {{enabled: true, "
            f"threshold: {DNS_THRESHOLD}}}\n"
            f"    host_idle_threshold: {{enabled: true, "
            f"threshold: {IDLE_THRESHOLD}}}\n"
            f"    interface_packets_threshold: {{enabled: true, "
            f"threshold: {packets - 1}, operator: ge}}\n"
            f"    interface_bytes_threshold: {{enabled: true, "
            f"threshold: {total}, operator: ge}}\n"
            f"    network_bytes_threshold: {{enabled: true, "
            f"threshold: {network}, operator: ge}}\n"
            f"    dns_request_reply_ratio: {{min_requests: 20}}\n")


def triggers(alerts, alert_type):
    return [a for a in alerts if a["type"] == alert_type and
            a["action"] == "trigger"]


def check_alert(checks, alerts, alert_type, value, expected, absent=(),
                severity="warning", field="value"):
    found = [a for a in triggers(alerts, alert_type) if a["value"] == value]
    if checks.check(len(found) == 1, f"{alert_type}: {len(found)} "
                    f"triggers for {value}"):
        a = found[0]
        checks.check(a["severity"] == severity,
                     f"{alert_type}: severity {a['severity']}")
        got = a["details"].get(field)
        ok = (abs(got - expected) < 1e-6) if isinstance(got, (int, float)) \
            else got == expected
        checks.check(ok, f"{alert_type}: {field} {got} expected {expected}")
    others = {a["value"] for a in triggers(alerts, alert_type)}
    for other in absent:
        checks.check(other not in others,
                     f"{alert_type}: raised for {other}")


def check_flow_alert(checks, alerts, records, alert_type, status, port,
                     negatives):
    """A flow alert <alert_type> for the flow from client port <port>,
    with <status> in its details and in the flow's record, and neither for
    the <negatives> ports. These statuses are set by the flowEnd hook:
    reading a capture file, vigild waits for its results before writing
    the record."""
    def flow_key(client_port):
        for r in records:
            if r["client_port"] == client_port:
                return (f"{r['client_ip']}:{r['client_port']}-"
                        f"{r['server_ip']}:{r['server_port']}@{r['vlan']}")
        return None

    found = {a["value"]: a for a in alerts if a["type"] == alert_type and
             a["entity"] == "flow"}
    key = flow_key(port)
    a = found.get(key)
    if checks.check(a is not None, f"{alert_type}: no alert for {key}: "
                    f"{sorted(found)}"):
        checks.check(a["severity"] == "notice",
                     f"{alert_type}: severity {a['severity']}")
        checks.check(a["details"].get("status") == status,
                     f"{alert_type}: details {a['details']}")
    statuses = {r["client_port"]: r["statuses"] for r in records}
    checks.check(status in statuses.get(port, []),
                 f"{alert_type}: record statuses {statuses.get(port)}")
    for other in negatives:
        checks.check(flow_key(other) is not None and
                     flow_key(other) not in found,
                     f"{alert_type}: raised for the flow from port {other}")
        checks.check(status not in statuses.get(other, []),
                     f"{alert_type}: status on the flow from port {other}")


def main():
    vigild, source_root = sys.argv[1], sys.argv[2]
    checks = vigtest.Checks()
    c = pt.Capture()
    build(c)
    frames = c.ipv4_frames()
    with tempfile.TemporaryDirectory(prefix="vigil-network-") as tmp:
        pcap = os.path.join(tmp, "network.pcap")
        c.write(pcap)
        status, stderr, records, alerts_path = pt.run_vigild(
            vigild, source_root, pcap, tmp, "network", scripts_yaml(frames),
            local=LOCAL)
        checks.check(status == 0, f"vigild exited {status}: {stderr[-800:]}")
        errors = [line for line in stderr.splitlines()
                  if " hook=" in line and "error" in line]
        checks.check(not errors, f"plugin errors: {errors[:5]}")
        alerts = pt.read_alerts(alerts_path)

        big, small = host_sums(frames, "10.2.1.1"), host_sums(frames,
                                                              "10.2.2.1")
        check_alert(checks, alerts, "host_bytes_threshold", "10.2.1.1@0",
                    big[0], ["10.2.2.1@0", "10.2.2.2@0"])
        check_alert(checks, alerts, "host_bytes_threshold", "10.2.1.2@0",
                    big[0])
        check_alert(checks, alerts, "host_packets_threshold", "10.2.1.1@0",
                    big[1], ["10.2.2.1@0"])
        check_alert(checks, alerts, "host_throughput_threshold",
                    "10.2.1.1@0", big[0] * 8 / 60, ["10.2.2.1@0"])
        checks.check(small[0] * 8 / 60 < THROUGHPUT_THRESHOLD,
                     "the quiet host's throughput is under the threshold")
        check_alert(checks, alerts, "host_flows_threshold", "10.2.3.1@0",
                    30, ["10.2.4.1@0", "10.2.4.2@0"])
        check_alert(checks, alerts, "host_flows_threshold", "10.2.3.2@0", 30)
        dns = host_sums([f for f in frames if f[1] == RESOLVER or
                         f[2] == RESOLVER], "10.2.5.1")
        check_alert(checks, alerts, "host_dns_threshold", "10.2.5.1@0",
                    dns[0], ["10.2.6.1@0"])
        # Silent since T0 + 1: the first minute hook more than 90 s later
        # is T0 + 120.
        check_alert(checks, alerts, "host_idle_threshold", "10.2.7.1@0",
                    119.0, ["10.2.8.1@0", "10.2.8.2@0"])
        idle = [a for a in triggers(alerts, "host_idle_threshold")
                if a["value"] == "10.2.7.1@0"]
        if idle:
            checks.check(idle[0]["time"] == T0 + 120,
                         f"host_idle_threshold: raised at {idle[0]['time']}")
        packets, total, network = minute_sums(frames)
        # One capture port, named port0 by vigild.
        check_alert(checks, alerts, "interface_packets_threshold", "port0",
                    packets)
        check_alert(checks, alerts, "interface_bytes_threshold", "port0",
                    total)
        check_alert(checks, alerts, "network_bytes_threshold", LOCAL,
                    network)
        # The later minutes hold only filler, so both are released.
        for alert_type, value in (("interface_packets_threshold", "port0"),
                                  ("network_bytes_threshold", LOCAL),
                                  ("host_bytes_threshold", "10.2.1.1@0")):
            released = [a for a in alerts if a["type"] == alert_type and
                        a["value"] == value and a["action"] == "release"]
            checks.check(len(released) == 1,
                         f"{alert_type}: {len(released)} releases")

        for alert_type, port, negatives in (
                ("tcp_retransmissions_high", 41000, [41001, 41004, 41007]),
                ("tcp_out_of_order_high", 41002, [41003, 41000, 41007]),
                ("tcp_zero_window", 41004, [41005, 41000, 41007]),
                ("tcp_handshake_incomplete", 41006, [41007, 41000, 41009])):
            check_flow_alert(checks, alerts, records, alert_type + "_flow",
                             alert_type, port, negatives)
        check_flow_alert(checks, alerts, records,
                         "tcp_handshake_incomplete_flow",
                         "tcp_handshake_incomplete", 41008, [])
        check_flow_alert(checks, alerts, records, "unidirectional_udp",
                         "unidirectional_udp_flow", 5100,
                         [5101, 5102, 5103])

        check_alert(checks, alerts, "dns_request_reply_ratio", "10.2.40.1@0",
                    20, ["10.2.41.1@0"], field="requests")
        found = [a for a in triggers(alerts, "dns_request_reply_ratio")
                 if a["value"] == "10.2.40.1@0"]
        if found:
            checks.check(found[0]["details"].get("replies") == 0,
                         f"dns_request_reply_ratio: {found[0]['details']}")
    checks.finish()


if __name__ == "__main__":
    main()
