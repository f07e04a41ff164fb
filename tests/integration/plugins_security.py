#!/usr/bin/env python3
"""The bundled security plugins on a capture built here, in one vigild run.

Each check has traffic that must raise its alert or status and traffic
close to it that must not. The cases are a port scan over the threshold
and one under it, a SYN flood over and under, and a flow flood over and
under. Addresses and domains in the block lists sit beside unlisted ones,
and DNS, DHCP, NTP and SMTP servers outside the allowed lists beside
allowed ones. There is a remote-to-remote flow and a local one, Bitcoin
on its port and a look-alike, and HTTP to a numeric host (an nDPI risk)
beside HTTP to a name. Thresholds are lowered through
plugins.scripts, so the YAML overrides are exercised too. Every flow's
nDPI risk statuses must match its `risks`.

usage: plugins_security.py VIGILD SOURCE_ROOT
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plugin_traffic as pt  # noqa: E402
import vigtest  # noqa: E402

# A minute boundary, so every burst falls in the first minute of packet
# time and the minute hooks fire during the filler traffic after it.
T0 = 1_700_000_040.0
SCAN_THRESHOLD = 25
SYN_FLOOD_THRESHOLD = 50
FLOW_FLOOD_THRESHOLD = 100
ALLOWED_DNS = "10.0.0.53"

# nDPI 4.2 risk names (ndpi_risk2str) and the statuses the plugin sets.
RISK_STATUS = {
    "HTTP Numeric IP Address": "ndpi_http_numeric_ip_host",
    "Known Protocol on Non Standard Port":
        "ndpi_known_proto_on_non_std_port",
    "Unsafe Protocol": "ndpi_unsafe_protocol",
    "HTTP Suspicious User-Agent": "ndpi_http_suspicious_user_agent",
    "Suspicious DGA Domain name": "ndpi_suspicious_dga_domain",
    "Malformed Packet": "ndpi_malformed_packet",
    "Clear-Text Credentials": "ndpi_clear_text_credentials",
    "Missing SNI TLS Extension": "ndpi_tls_missing_sni",
    "Suspicious Entropy": "ndpi_suspicious_entropy",
}


def build(path):
    c = pt.Capture()
    t = T0 + 1
    # SYN scan: 40 ports probed (RST replies) against 20.
    for port in range(1, 41):
        c.probe(t + port * 0.01, "10.1.1.1", 40000 + port, "10.1.1.2", port,
                "rst")
    for port in range(1, 21):
        c.probe(t + port * 0.01, "10.1.2.1", 40000 + port, "10.1.2.2", port,
                "half")

    # SYN flood: 60 unanswered SYNs to one port against 40.
    for i in range(60):
        c.probe(t + 1 + i * 0.01, "10.1.3.1", 20000 + i, "10.1.3.2", 80,
                None)
    for i in range(40):
        c.probe(t + 1 + i * 0.01, "10.1.4.1", 20000 + i, "10.1.4.2", 80,
                None)

    # Flow flood: 120 UDP flows against 90.
    for i in range(120):
        c.udp(t + 2 + i * 0.01, "10.1.5.1", 30000 + i, "10.1.5.2", 7000,
              b"ping")
        c.udp(t + 2.005 + i * 0.01, "10.1.5.2", 7000, "10.1.5.1", 30000 + i,
              b"pong")
    for i in range(90):
        c.udp(t + 2 + i * 0.01, "10.1.6.1", 30000 + i, "10.1.6.2", 7000,
              b"ping")
        c.udp(t + 2.005 + i * 0.01, "10.1.6.2", 7000, "10.1.6.1", 30000 + i,
              b"pong")

    # Block lists: listed server, listed client (from a listed /28), and
    # their unlisted neighbours; a listed domain and a look-alike.
    http = [b"GET / HTTP/1.1\r\nHost: www.example.com\r\n"
            b"User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
            b"Accept: */*\r\n\r\n"]
    reply = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]
    c.session(t + 4, "10.1.7.1", 41000, "198.51.100.66", 80, http, reply)
    c.session(t + 4.1, "10.1.7.3", 41001, "198.51.100.67", 80, http, reply)
    c.session(t + 4.2, "203.0.113.5", 41002, "10.1.7.2", 80, http, reply)
    c.session(t + 4.3, "203.0.113.16", 41003, "10.1.7.2", 80, http, reply)
    c.dns(t + 5, "10.1.8.1", 33000, ALLOWED_DNS, "www.evil.example", 1)
    c.dns(t + 5.1, "10.1.8.1", 33001, ALLOWED_DNS, "www.notevil.example", 2)

    # Unexpected servers.
    c.dns(t + 6, "10.1.9.1", 33002, "198.51.100.53", "www.example.com", 3)
    c.dns(t + 6.1, "10.1.9.1", 33003, ALLOWED_DNS, "www.example.com", 4)
    c.udp(t + 7, "10.1.11.66", 67, "255.255.255.255", 68,
          pt.dhcp_offer(0x1234, "10.1.11.66", "10.1.11.100"))
    c.udp(t + 7.1, "10.0.0.1", 67, "255.255.255.255", 68,
          pt.dhcp_offer(0x1235, "10.0.0.1", "10.1.11.101"))
    c.udp(t + 8, "10.1.12.1", 40123, "198.51.100.123", 123, pt.ntp_packet(3))
    c.udp(t + 8.01, "198.51.100.123", 123, "10.1.12.1", 40123,
          pt.ntp_packet(4))
    c.udp(t + 8.1, "10.1.12.1", 40124, "10.0.0.123", 123, pt.ntp_packet(3))
    c.udp(t + 8.11, "10.0.0.123", 123, "10.1.12.1", 40124, pt.ntp_packet(4))
    banner = b"220 mail.example.net ESMTP ready\r\n"
    ehlo = [b"EHLO client.example.org\r\n", b"MAIL FROM:<a@example.org>\r\n"]
    c.banner_session(t + 9, "10.1.13.1", 42000, "198.51.100.25", 25, banner,
                     ehlo)
    c.banner_session(t + 9.1, "10.1.13.1", 42001, "10.0.0.25", 25, banner,
                     ehlo)

    # Remote to remote, and remote to local.
    c.udp(t + 10, "198.51.100.7", 45000, "203.0.113.99", 5555, b"hello")
    c.udp(t + 10.01, "203.0.113.99", 5555, "198.51.100.7", 45000, b"hi")
    c.udp(t + 10.1, "10.1.10.1", 45001, "203.0.113.99", 5555, b"hello")
    c.udp(t + 10.11, "203.0.113.99", 5555, "10.1.10.1", 45001, b"hi")

    # Bitcoin's version message on its port, and the same bytes elsewhere
    # with another payload.
    version = bytes.fromhex("f9beb4d9") + b"version\0\0\0\0\0" + \
        bytes.fromhex("64000000") + bytes(4) + bytes(100)
    c.session(t + 11, "10.1.14.1", 43000, "198.51.100.33", 8333, [version],
              [version])
    c.session(t + 11.1, "10.1.14.1", 43001, "198.51.100.33", 8334,
              [b"\x17\x03\x03hello there"], [b"\x17\x03\x03general"])

    # HTTP to a numeric host (nDPI: HTTP Numeric IP Address) and to a name.
    numeric = [b"GET /index.html HTTP/1.1\r\nHost: 198.51.100.80\r\n"
               b"User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
               b"Accept: */*\r\n\r\n"]
    c.session(t + 12, "10.1.15.1", 44000, "198.51.100.80", 80, numeric,
              reply)

    # Filler, so the minute hooks fire three times after the bursts.
    for i in range(40):
        c.udp(T0 + i * 5, "10.1.99.1", 50000, "10.1.99.2", 9,
              b"keepalive")
    return c.write(path)


def write_lists(tmp):
    ips = os.path.join(tmp, "bad-ips.txt")
    with open(ips, "w") as f:
        f.write("# addresses\n198.51.100.66\n\n203.0.113.0/28   # a net\n"
                "not-an-address\n")
    names = os.path.join(tmp, "bad-domains.txt")
    with open(names, "w") as f:
        f.write("0.0.0.0 evil.example\n# comment\n")
    for path in (ips, names):
        os.chmod(path, 0o644)
    return ips, names


def scripts_yaml(ips, names):
    return (f"    syn_scan: {{threshold: {SCAN_THRESHOLD}}}\n"
            f"    syn_flood: {{threshold: {SYN_FLOOD_THRESHOLD}}}\n"
            f"    syn_flood_counters: {{threshold: {SYN_FLOOD_THRESHOLD}}}\n"
            f"    flow_flood_attacker: {{threshold: {FLOW_FLOOD_THRESHOLD}}}\n"
            f"    flow_flood_victim: {{threshold: {FLOW_FLOOD_THRESHOLD}}}\n"
            f"    blacklisted_hosts: {{lists: \"{ips}\"}}\n"
            f"    blacklisted_domains: {{lists: \"{names}\"}}\n"
            f"    unexpected_dns_server: {{allowed: \"{ALLOWED_DNS}\"}}\n"
            f"    unexpected_dhcp_server: {{allowed: \"10.0.0.1\"}}\n"
            f"    unexpected_ntp_server: {{allowed: \"10.0.0.0/24\"}}\n"
            f"    unexpected_smtp_server: {{allowed: \"10.0.0.25\"}}\n"
            f"    remote_to_remote: {{enabled: true}}\n")


def host_alerts(alerts, alert_type):
    return {a["value"]: a for a in alerts
            if a["type"] == alert_type and a["action"] == "trigger"}


def check_host_alert(checks, alerts, alert_type, value, severity, field,
                     expected, absent):
    """One trigger of <alert_type> for host <value> with details[field]
    == expected, and none for any host in <absent>."""
    found = host_alerts(alerts, alert_type)
    a = found.get(value)
    if checks.check(a is not None, f"{alert_type}: no alert for {value}: "
                    f"{sorted(found)}"):
        checks.check(a["entity"] == "host", f"{alert_type}: entity {a}")
        checks.check(a["severity"] == severity,
                     f"{alert_type}: severity {a['severity']}")
        checks.check(a["details"].get(field) == expected,
                     f"{alert_type}: {field} {a['details']} "
                     f"expected {expected}")
    for other in absent:
        checks.check(other not in found,
                     f"{alert_type}: alert for {other} under the threshold")
    triggers = [x for x in alerts if x["type"] == alert_type and
                x["value"] == value and x["action"] == "trigger"]
    checks.check(len(triggers) == 1,
                 f"{alert_type}: {len(triggers)} triggers for {value}")


def statuses_of(records, client, server, port=None):
    flows = pt.flow_of(records, client, server, port)
    return [set(r["statuses"]) for r in flows]


def check_flow_status(checks, records, alerts, status, alert_type, severity,
                      positive, negatives):
    cli, srv, port = positive
    flows = pt.flow_of(records, cli, srv, port)
    if checks.check(len(flows) == 1, f"{status}: {len(flows)} flows "
                    f"{cli} -> {srv}:{port}"):
        checks.check(status in flows[0]["statuses"],
                     f"{status}: missing on {flows[0]}")
        key_end = f":{flows[0]['server_port']}@0"
        flow_alerts = [a for a in alerts if a["type"] == alert_type and
                       a["entity"] == "flow" and
                       a["value"].endswith(key_end) and
                       flows[0]["client_ip"] in a["value"]]
        if checks.check(len(flow_alerts) == 1,
                        f"{alert_type}: {len(flow_alerts)} flow alerts"):
            checks.check(flow_alerts[0]["severity"] == severity,
                         f"{alert_type}: severity {flow_alerts[0]}")
            checks.check(flow_alerts[0]["details"].get("status") == status,
                         f"{alert_type}: details {flow_alerts[0]}")
    for cli, srv, port in negatives:
        for s in statuses_of(records, cli, srv, port):
            checks.check(status not in s,
                         f"{status}: set on {cli} -> {srv}:{port}")


def check_risks(checks, records):
    """Each flow's ndpi_ statuses are its risks, mapped."""
    for r in records:
        got = {s for s in r["statuses"] if s.startswith("ndpi_")}
        want = {RISK_STATUS.get(name, "?" + name) for name in r["risks"]}
        checks.check(got == want, f"ndpi_flow_risks: {r['client_ip']} -> "
                     f"{r['server_ip']}:{r['server_port']} risks "
                     f"{r['risks']} statuses {sorted(got)}")


def main():
    vigild, source_root = sys.argv[1], sys.argv[2]
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-security-") as tmp:
        os.chmod(tmp, 0o755)
        pcap = os.path.join(tmp, "security.pcap")
        build(pcap)
        ips, names = write_lists(tmp)
        status, stderr, records, alerts_path = pt.run_vigild(
            vigild, source_root, pcap, tmp, "security",
            scripts_yaml(ips, names))
        checks.check(status == 0, f"vigild exited {status}: {stderr[-800:]}")
        checks.check("plugin=blacklist" in stderr and
                     "networks=2 skipped=1" in stderr,
                     "blacklisted_hosts: list load not logged as 2 networks "
                     "and 1 skipped line")
        errors = [line for line in stderr.splitlines()
                  if " hook=" in line and "error" in line]
        checks.check(not errors, f"plugin errors: {errors[:5]}")
        alerts = pt.read_alerts(alerts_path)

        # The threshold is crossed at its count plus one (operator gt).
        check_host_alert(checks, alerts, "syn_scan_attacker", "10.1.1.1@0",
                         "error", "ports_probed", SCAN_THRESHOLD + 1,
                         ["10.1.2.1@0", "10.1.3.1@0"])
        check_host_alert(checks, alerts, "syn_scan_victim", "10.1.1.2@0",
                         "warning", "ports_probed", SCAN_THRESHOLD + 1,
                         ["10.1.2.2@0", "10.1.3.2@0"])
        # vigild's per-host SYN counters see all 60 SYNs in the minute. A
        # vigild without them leaves the count to the flow events, which
        # cross the threshold at its count plus one.
        for alert_type, host, others in (
                ("syn_flood_attacker", "10.1.3.1@0",
                 ["10.1.4.1@0", "10.1.1.1@0"]),
                ("syn_flood_victim", "10.1.3.2@0",
                 ["10.1.4.2@0", "10.1.1.2@0"])):
            a = host_alerts(alerts, alert_type).get(host)
            if a is not None and "unanswered_syns" in a["details"]:
                field, expected = "unanswered_syns", 60
            else:
                field, expected = "syn_flows", SYN_FLOOD_THRESHOLD + 1
            check_host_alert(checks, alerts, alert_type, host, "error",
                             field, expected, others)
        check_host_alert(checks, alerts, "flow_flood_attacker", "10.1.5.1@0",
                         "error", "flows", 120, ["10.1.6.1@0", "10.1.3.1@0"])
        check_host_alert(checks, alerts, "flow_flood_victim", "10.1.5.2@0",
                         "error", "flows", 120, ["10.1.6.2@0", "10.1.3.2@0"])

        check_flow_status(checks, records, alerts, "blacklisted_server",
                          "blacklisted_server_contact", "error",
                          ("10.1.7.1", "198.51.100.66", 80),
                          [("10.1.7.3", "198.51.100.67", 80)])
        check_flow_status(checks, records, alerts, "blacklisted_client",
                          "blacklisted_client_contact", "error",
                          ("203.0.113.5", "10.1.7.2", 80),
                          [("203.0.113.16", "10.1.7.2", 80)])
        check_flow_status(checks, records, alerts, "blacklisted_domain",
                          "blacklisted_domain_contact", "error",
                          ("10.1.8.1", ALLOWED_DNS, 33000),
                          [("10.1.8.1", ALLOWED_DNS, 33001)])
        check_flow_status(checks, records, alerts, "unexpected_dns_server",
                          "unexpected_dns_server_contact", "warning",
                          ("10.1.9.1", "198.51.100.53", 53),
                          [("10.1.9.1", ALLOWED_DNS, 53)])
        check_flow_status(checks, records, alerts, "unexpected_dhcp_server",
                          "unexpected_dhcp_server_contact", "warning",
                          ("10.1.11.66", "255.255.255.255", 67),
                          [("10.0.0.1", "255.255.255.255", 67)])
        check_flow_status(checks, records, alerts, "unexpected_ntp_server",
                          "unexpected_ntp_server_contact", "warning",
                          ("10.1.12.1", "198.51.100.123", 123),
                          [("10.1.12.1", "10.0.0.123", 123)])
        check_flow_status(checks, records, alerts, "unexpected_smtp_server",
                          "unexpected_smtp_server_contact", "warning",
                          ("10.1.13.1", "198.51.100.25", 25),
                          [("10.1.13.1", "10.0.0.25", 25)])
        check_flow_status(checks, records, alerts, "remote_to_remote_flow",
                          "remote_to_remote", "notice",
                          ("198.51.100.7", "203.0.113.99", 5555),
                          [("10.1.10.1", "203.0.113.99", 5555)])
        check_flow_status(checks, records, alerts, "web_mining_flow",
                          "web_mining", "error",
                          ("10.1.14.1", "198.51.100.33", 8333),
                          [("10.1.14.1", "198.51.100.33", 8334)])
        check_flow_status(checks, records, alerts,
                          "ndpi_http_numeric_ip_host", "ndpi_risk_low",
                          "notice", ("10.1.15.1", "198.51.100.80", 80),
                          [("10.1.7.1", "198.51.100.66", 80)])
        numeric = pt.flow_of(records, "10.1.15.1", "198.51.100.80", 80)
        if numeric:
            # nDPI 4.2 scores this risk 10 (ndpi_risk2score).
            checks.check(numeric[0]["score"] == 10,
                         f"ndpi_flow_risks: score {numeric[0]['score']}")
        check_risks(checks, records)
    checks.finish()


if __name__ == "__main__":
    main()
