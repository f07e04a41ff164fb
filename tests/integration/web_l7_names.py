#!/usr/bin/env python3
"""The API's l7_master and l7_app against ndpiReader's names on a real
capture.

vigild replays 1kxun.pcap from the nDPI 4.2 reference corpus in a loop
behind vigil-web. ndpiReader prints a flow's protocol as Master.App
("HTTP.QQ", "DNS.Google") or as one name ("HTTP"), and a one-part name
is both master and app. Each API flow found in ndpiReader's results must
have l7 equal to ndpiReader's name and l7_master and l7_app equal to its
two parts. The l7 filter must match exactly the flows whose master or app
is the name given: flows?l7=Unknown matches only flows nDPI left
unnamed. Skips when the corpus is absent.

usage: web_l7_names.py VIGILD VIGIL_WEB SOURCE_ROOT
"""
import collections
import ipaddress
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigtest  # noqa: E402
import web_api as w  # noqa: E402

CAPTURE = "1kxun.pcap"
RESULT_LINE = re.compile(
    r"^\t\d+\t(TCP|UDP|ICMP|ICMPV6) (\S+) <?-> (\S+) "
    r"\[proto: [\d.]+/([^\]]+)\]")


def endpoint(text):
    """Return ('1.2.3.4', 80) for '1.2.3.4:80', ('fe80::1', 80) for
    '[fe80::1]:80'."""
    address, port = text.rsplit(":", 1)
    return str(ipaddress.ip_address(address.strip("[]"))), int(port)


def reference_names(path):
    """Return ndpiReader's protocol name per (l4, endpoints) from a
    result file."""
    names = {}
    with open(path) as f:
        for line in f:
            m = RESULT_LINE.match(line)
            if m:
                key = (m.group(1), frozenset((endpoint(m.group(2)),
                                              endpoint(m.group(3)))))
                names[key] = m.group(4)
    return names


def api_key(flow):
    return (flow["l4"].upper(),
            frozenset(((str(ipaddress.ip_address(flow["client_ip"])),
                        flow["client_port"]),
                       (str(ipaddress.ip_address(flow["server_ip"])),
                        flow["server_port"]))))


def write_config(tmp, pcap, port, corpus):
    config = os.path.join(corpus, "config")
    path = os.path.join(tmp, "vigil.yaml")
    with open(path, "w") as f:
        f.write(f"""
capture:
  ports:
    - vdev: net_pcap0,rx_pcap={pcap},infinite_rx=1
      name: replay
lcores:
  control: 0
  rx: [1]
  engine: [1]
memory:
  hugepages: false
  size_mb: 256
flows:
  table_size: 65536
  idle_timeout: 315360000
  active_timeout: 0
ndpi:
  protocols: {config}/protos.txt
  categories: {config}/categories.txt
  risky_domains: {config}/risky_domains.txt
  ja3: {config}/ja3_fingerprints.csv
  sha1: {config}/sha1_fingerprints.csv
web:
  listen: ["127.0.0.1:{port}"]
  vigild_socket: {tmp}/api.sock
  data_dir: {tmp}/web-data
  static_dir: {tmp}
  admin_password: "{w.ADMIN_PASSWORD}"
log:
  level: info
  status_interval: 0
""")
    return path


def every_flow(c):
    """Return every active flow, or [] while vigild is not reachable."""
    status, doc, _ = c.get("/api/v1/flows?limit=1000")
    if status == 503:
        return []
    assert status == 200, (status, doc)
    assert doc["total"] <= 1000, doc["total"]
    return doc["flows"]


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    vigild_path, web_path, source_root = sys.argv[1:4]
    corpus = vigtest.corpus_dir(source_root)
    pcap = os.path.join(corpus, "pcap", CAPTURE)
    result = os.path.join(corpus, "result", CAPTURE + ".out")
    if not os.path.exists(pcap) or not os.path.exists(result):
        vigtest.skip(f"{CAPTURE} or its result is not in {corpus}")
    names = reference_names(result)
    checks = vigtest.Checks()
    tmp = tempfile.mkdtemp(prefix="vigil-web-l7-")
    procs = []
    try:
        port = w.free_port()
        config = write_config(tmp, pcap, port, corpus)
        vigild_log = open(os.path.join(tmp, "vigild.log"), "w")
        procs.append(w.start([vigild_path, "-c", config], vigild_log))
        web_log = open(os.path.join(tmp, "web.log"), "w")
        procs.append(w.start([web_path, "-c", config], web_log))
        c = w.Client(port)
        w.wait_for("vigil-web to listen",
                   lambda: c.login("admin", w.ADMIN_PASSWORD)[0] == 200)
        # The capture's flows are all active after its first pass; wait
        # until every reference flow has been seen and detection is done.
        w.wait_for("the capture's flows", lambda: len(
            {api_key(f) for f in every_flow(c)} & set(names)) == len(names),
                   60)
        w.wait_for("detection to settle", lambda: all(
            f["l7"] == names.get(api_key(f), f["l7"])
            for f in every_flow(c)), 30)
        flows = every_flow(c)

        seen = collections.Counter()
        for f in flows:
            name = names.get(api_key(f))
            if name is None:
                continue
            parts = name.split(".", 1)
            where = (f"{f['l4']} {f['client_ip']}:{f['client_port']} -> "
                     f"{f['server_ip']}:{f['server_port']} ({name})")
            checks.check(f["l7"] == name, f"{where}: l7 {f['l7']!r}")
            checks.check(f["l7_master"] == parts[0],
                         f"{where}: l7_master {f['l7_master']!r}, "
                         f"expected {parts[0]!r}")
            checks.check(f["l7_app"] == parts[-1],
                         f"{where}: l7_app {f['l7_app']!r}, "
                         f"expected {parts[-1]!r}")
            seen[name] += 1
        # The capture has plain HTTP flows and Master.App names; without
        # them the checks above would prove little.
        for name in ("HTTP", "HTTP.QQ", "DNS.Google", "TLS", "Unknown"):
            checks.check(seen[name] > 0, f"no {name} flow was compared")

        # Filters match the name's parts, counted from the flows' own l7.
        for name in ("HTTP", "Unknown", "TLS", "DNS", "Google", "QQ"):
            want = sum(1 for f in flows
                       if name.lower() in
                       [p.lower() for p in f["l7"].split(".", 1)])
            status, doc, _ = c.get(f"/api/v1/flows?l7={name}&limit=1")
            checks.check(status == 200 and doc.get("total") == want,
                         f"flows?l7={name}: {status} total "
                         f"{doc.get('total')}, expected {want}")
    finally:
        for p in procs:
            w.stop(p)
        if checks.failed:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    checks.finish()


if __name__ == "__main__":
    sys.exit(main())
