#!/usr/bin/env python3
"""vigil-web's REST API against a live vigild, end to end.

vigild replays a capture built here in a loop (net_pcap with infinite_rx)
with long timeouts, so every flow of the capture stays active. It serves
its API socket to vigil-web, which runs on 127.0.0.1 with a random port. The test
checks every endpoint: flow and host counts for each filter against the
capture's construction and against the records of a one-shot vigild run on
the same capture, paging, sorting, one flow, one host, counters, metrics,
plugins (each script's enabled state and its source), reload,
alerts; then 400/401/403/404/405/413/414/415/429
answers, CSRF, JSON bodies (content type, members named twice), control
bytes in paths, static files (ETag, gzip, security headers, npm's files
kept private), no Server header, HTTP/2, TLS with ALPN h2, plugin pages
and their errors, --check-config, and vigild going away (503) and coming
back.

usage: web_api.py VIGILD VIGIL_WEB SOURCE_ROOT
"""
import collections
import gzip
import http.client
import io
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

T0 = 1_700_000_000.0
VENDOR_JS = b"// vigil test vendor\n" + b"export default 1;\n" * 100
ADMIN_PASSWORD = "admin-password-1"
VIEWER_PASSWORD = "viewer-password-1"
LOGIN_ATTEMPTS = 3
MAX_REQUEST = 4096
TARGET_MAX = 8192  # maximum request target length (docs/api.md)
PRIVATE_STATIC = ("package.json", "package-lock.json", ".npmrc",
                  "node_modules/uplot/package.json",
                  "node_modules/.package-lock.json")


# ---- the capture ----

def http_request(host):
    return (b"GET /index.html HTTP/1.1\r\nHost: " + host.encode() +
            b"\r\nUser-Agent: vigil-test\r\nAccept: */*\r\n\r\n")


HTTP_RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                 b"Content-Length: 12\r\nServer: vigil-test\r\n\r\n"
                 b"hello world\n")


def tcp_http_flow(frames, t, client, sport, server):
    """A complete HTTP exchange on port 80, handshake included."""
    def seg(src, sp, dst, dp, seq, ack, flags, payload=b""):
        return g.packet(src, dst, 6, g.tcp(src, sp, dst, dp, seq, ack, flags,
                                           payload))
    req = http_request("www.vigil.test")
    c, s = 1000, 5000
    frames += [
        (t, seg(client, sport, server, 80, c, 0, g.TCP_SYN)),
        (t + 0.001, seg(server, 80, client, sport, s, c + 1,
                        g.TCP_SYN | g.TCP_ACK)),
        (t + 0.002, seg(client, sport, server, 80, c + 1, s + 1, g.TCP_ACK)),
        (t + 0.003, seg(client, sport, server, 80, c + 1, s + 1,
                        g.TCP_PSH | g.TCP_ACK, req)),
        (t + 0.004, seg(server, 80, client, sport, s + 1, c + 1 + len(req),
                        g.TCP_PSH | g.TCP_ACK, HTTP_RESPONSE)),
    ]


def build_capture(path):
    """Write the capture; return the list of flows it holds, each a dict
    with the key fields the API filters on."""
    frames = []
    flows = []
    t = 0.0
    # UDP, untagged: ports 5000 (the example plugin marks these), 5001, 6000.
    for i in range(30):
        client = f"10.1.0.{i + 1}"
        port = (5000, 5001, 6000)[i % 3]
        payload = b"u" * (20 + 40 * i)  # distinct sizes: bytes rank by i
        frames.append((T0 + t, g.packet(client, "10.9.0.1", 17,
                       g.udp(client, 40000 + i, "10.9.0.1", port, payload))))
        frames.append((T0 + t + 0.0005, g.packet("10.9.0.1", client, 17,
                       g.udp("10.9.0.1", port, client, 40000 + i, b"ok"))))
        flows.append({"l4": 17, "client": client, "server": "10.9.0.1",
                      "port": port, "vlan": 0})
        t += 0.002

    # UDP on VLAN 100.
    for i in range(8):
        client = f"10.2.0.{i + 1}"
        frames.append((T0 + t, g.packet(client, "10.9.0.2", 17,
                       g.udp(client, 41000 + i, "10.9.0.2", 7000, b"v" * 30),
                       vlan=100)))
        flows.append({"l4": 17, "client": client, "server": "10.9.0.2",
                      "port": 7000, "vlan": 100})
        t += 0.002

    # HTTP over TCP.
    for i in range(6):
        client = f"10.1.1.{i + 1}"
        tcp_http_flow(frames, T0 + t, client, 50000 + i, "10.9.0.80")
        flows.append({"l4": 6, "client": client, "server": "10.9.0.80",
                      "port": 80, "vlan": 0})
        t += 0.01

    # ICMP echo.
    for i in range(4):
        client = f"10.1.2.{i + 1}"
        frames.append((T0 + t, g.packet(client, "10.9.0.3", 1,
                                         g.icmp_echo(8, 7 + i, 1))))
        frames.append((T0 + t + 0.0005, g.packet("10.9.0.3", client, 1,
                                                 g.icmp_echo(0, 7 + i, 1))))
        flows.append({"l4": 1, "client": client, "server": "10.9.0.3",
                      "port": None, "vlan": 0})
        t += 0.002

    # UDP over IPv6.
    for i in range(3):
        client = f"fd00::{i + 1:x}"
        frames.append((T0 + t, g.packet(client, "fd00::99", 17,
                       g.udp(client, 42000 + i, "fd00::99", 8000, b"six"))))
        flows.append({"l4": 17, "client": client, "server": "fd00::99",
                      "port": 8000, "vlan": 0})
        t += 0.002

    frames.sort(key=lambda f: f[0])
    g.write_pcap(path, frames)
    return flows


def hosts_of(flows):
    """(address, vlan) of every endpoint, as vigild merges hosts."""
    hosts = set()
    for f in flows:
        hosts.add((f["client"], f["vlan"]))
        hosts.add((f["server"], f["vlan"]))
    return hosts


# ---- processes ----

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp, pcap, port, plugins, static, extra_web=""):
    path = os.path.join(tmp, f"vigil-{port}.yaml")
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
networks:
  local: [10.1.0.0/16]
plugins:
  directories: [{plugins}]
  scripts:
    example_watch:
      enabled: true
    example_upload:
      enabled: false
alerts:
  database: {tmp}/alerts.db
  endpoints:
    - kind: file
      name: copy
      path: {tmp}/alerts-copy.jsonl
web:
  listen: ["127.0.0.1:{port}"]
  vigild_socket: {tmp}/api.sock
  data_dir: {tmp}/web-data
  static_dir: {static}
  admin_password: "{ADMIN_PASSWORD}"
  max_request_bytes: {MAX_REQUEST}
  login_attempts: {LOGIN_ATTEMPTS}
{extra_web}
log:
  level: info
  status_interval: 0
""")
    return path


def start(cmd, log):
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---- HTTP ----

class Client:
    """One cookie jar over HTTP/1.1 to vigil-web."""

    def __init__(self, port, context=None):
        self.port = port
        self.context = context
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, headers=None):
        if self.context is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                              timeout=30)
        else:
            conn = http.client.HTTPSConnection("127.0.0.1", self.port,
                                               timeout=30,
                                               context=self.context)
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, dict(resp.getheaders()), data
        finally:
            conn.close()

    def json(self, method, path, body=None, headers=None):
        status, headers, data = self.request(method, path, body, headers)
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = {"unparsed": data[:200]}
        return status, doc, headers

    def get(self, path):
        return self.json("GET", path)

    def post(self, path, body=None, csrf=True):
        headers = {"X-CSRF-Token": self.csrf} if csrf and self.csrf else {}
        return self.json("POST", path, body, headers)

    def login(self, user, password):
        status, doc, headers = self.json("POST", "/api/v1/login",
                                         {"user": user, "password": password})
        cookie = headers.get("set-cookie") or headers.get("Set-Cookie")
        if status == 200 and cookie:
            self.cookie = cookie.split(";")[0]
            self.csrf = doc["csrf_token"]
        return status, doc, cookie


def wait_for(what, fn, timeout=30.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = fn()
        except OSError as err:  # not listening yet
            last = err
            time.sleep(0.2)
            continue
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last})")


def all_flows(client, query):
    """Every flow of <query>, read page by page."""
    ids = []
    total = None
    offset = 0
    while True:
        status, doc, _ = client.get(
            f"/api/v1/flows?{query}&sort=first_seen&order=asc"
            f"&limit=7&offset={offset}")
        assert status == 200, (status, doc)
        total = doc["total"]
        ids += [f["id"] for f in doc["flows"]]
        offset += 7
        if offset >= total:
            return ids, total


# ---- the checks ----

def check_flows(c, checks, flows, records):
    status, doc, headers = c.get("/api/v1/flows?limit=1000")
    checks.check(status == 200, f"flows: status {status}")
    checks.check(doc["total"] == len(flows),
                 f"flows: total {doc['total']}, built {len(flows)}")
    checks.check(doc["total"] == len(records),
                 f"flows: total {doc['total']}, records {len(records)}")
    checks.check(headers.get("cache-control") == "no-store",
                 f"flows: cache-control {headers.get('cache-control')}")
    checks.check("script-src 'self'" in headers.get(
        "content-security-policy", ""), "flows: no CSP header")
    byid = {f["id"]: f for f in doc["flows"]}
    checks.check(len(byid) == len(flows), "flows: ids are not distinct")

    cases = {
        "l4=udp": [f for f in flows if f["l4"] == 17],
        "l4=tcp": [f for f in flows if f["l4"] == 6],
        "l4=icmp": [f for f in flows if f["l4"] == 1],
        "l4=17": [f for f in flows if f["l4"] == 17],
        "vlan=100": [f for f in flows if f["vlan"] == 100],
        "vlan=0": [f for f in flows if f["vlan"] == 0],
        "port=5000": [f for f in flows if f["port"] == 5000],
        "port=80": [f for f in flows if f["port"] == 80],
        "host=10.9.0.1": [f for f in flows if "10.9.0.1" in
                          (f["client"], f["server"])],
        "host=10.1.0.7": [f for f in flows if "10.1.0.7" in
                          (f["client"], f["server"])],
        "host=fd00::99": [f for f in flows if f["server"] == "fd00::99"],
        # The IPv4-mapped form names the same IPv4 host.
        "host=::ffff:10.9.0.1": [f for f in flows if "10.9.0.1" in
                                 (f["client"], f["server"])],
        "l4=udp&port=6000": [f for f in flows if f["l4"] == 17 and
                             f["port"] == 6000],
        "vlan=100&port=5000": [],
    }
    for query, expected in cases.items():
        status, doc, _ = c.get(f"/api/v1/flows?{query}&limit=1000")
        checks.check(status == 200 and doc["total"] == len(expected) and
                     len(doc["flows"]) == len(expected),
                     f"flows?{query}: {status} total "
                     f"{doc.get('total')}, expected {len(expected)}")

    # l7 and category are nDPI's verdicts: compare with the records.
    http = [r for r in records if "HTTP" in r["l7"].split(".")]
    status, doc, _ = c.get("/api/v1/flows?l7=http&limit=1000")
    checks.check(status == 200 and doc["total"] == len(http) and
                 len(http) == 6,
                 f"flows?l7=http: total {doc.get('total')}, records "
                 f"{len(http)}, built 6")
    for f in doc.get("flows", []):
        checks.check(f["server_port"] == 80 and f["l4"] == "TCP" and
                     f["client_ip"].startswith("10.1.1."),
                     f"flows?l7=http: unexpected flow {f}")
    web = [r for r in records if r["category"] == "Web"]
    status, doc, _ = c.get("/api/v1/flows?category=Web&limit=1000")
    checks.check(status == 200 and doc["total"] == len(web),
                 f"flows?category=Web: total {doc.get('total')}, "
                 f"records {len(web)}")

    # The example plugin marks UDP flows to port 5000; statuses arrive
    # from the sandbox shortly after detection.
    marked = [f for f in flows if f["l4"] == 17 and f["port"] == 5000]

    def marked_count():
        s, d, _ = c.get("/api/v1/flows?status=example_watched_flow"
                        "&limit=1000")
        return s == 200 and d["total"] == len(marked) and d
    try:
        doc = wait_for("statuses", marked_count)
        checks.check(all(f["statuses"] == ["example_watched_flow"] and
                         f["score"] == 50 and f["server_port"] == 5000
                         for f in doc["flows"]),
                     "flows?status: a flow without its status")
    except AssertionError as err:
        checks.check(False, f"flows?status: {err}")

    # A host's score is the sum of its active flows' scores, either role.
    s, d, _ = c.get("/api/v1/flows?limit=1000")
    want = collections.Counter()
    for f in d.get("flows", []):
        want[(f["client_ip"], f["vlan"])] += f["score"]
        want[(f["server_ip"], f["vlan"])] += f["score"]
    s, d, _ = c.get("/api/v1/hosts?limit=1000&sort=score")
    got = {(h["ip"], h["vlan"]): h["score"] for h in d.get("hosts", [])}
    checks.check(s == 200 and sum(want.values()) > 0 and
                 all(got.get(k, 0) == v for k, v in want.items()) and
                 all(want.get(k, 0) == v for k, v in got.items()),
                 f"host scores: {got} against flows {dict(want)}")
    scores = [h["score"] for h in d.get("hosts", [])]
    checks.check(scores == sorted(scores, reverse=True),
                 f"hosts?sort=score: not sorted: {scores}")

    # Sorting: values in order, and the biggest UDP flow first.
    for key, field in (("bytes", None), ("packets", None),
                       ("first_seen", "first_seen"),
                       ("c2s_bytes", "c2s_bytes")):
        for order in ("desc", "asc"):
            s, d, _ = c.get(f"/api/v1/flows?sort={key}&order={order}"
                            "&limit=1000")
            if field is None:
                field_of = (lambda f, k=key: f["c2s_" + k] + f["s2c_" + k])
            else:
                field_of = (lambda f, k=field: f[k])
            values = [field_of(f) for f in d["flows"]]
            want = sorted(values, reverse=(order == "desc"))
            checks.check(s == 200 and values == want,
                         f"flows?sort={key}&order={order}: not sorted")
    s, d, _ = c.get("/api/v1/flows?l4=udp&vlan=0&port=6000&sort=c2s_bytes"
                    "&limit=1")
    biggest = max((i for i in range(30) if i % 3 == 2))
    checks.check(s == 200 and d["flows"][0]["client_ip"] ==
                 f"10.1.0.{biggest + 1}",
                 f"flows sort=c2s_bytes: top is {d['flows'][0]['client_ip']}")

    # Paging: pages of 7 cover every flow once.
    ids, total = all_flows(c, "l4=udp")
    udp = [f for f in flows if f["l4"] == 17]
    checks.check(total == len(udp) and len(ids) == len(udp) and
                 len(set(ids)) == len(udp),
                 f"paging: {len(ids)} ids ({len(set(ids))} distinct), "
                 f"total {total}, built {len(udp)}")
    s, d, _ = c.get("/api/v1/flows?offset=9990&limit=10")
    checks.check(s == 200 and d["flows"] == [] and d["total"] == len(flows),
                 f"flows past the end: {s} {d}")

    # One flow by id.
    some = doc_flow = None
    s, d, _ = c.get("/api/v1/flows?host=10.1.1.3&limit=1")
    if s == 200 and d["flows"]:
        some = d["flows"][0]
        s, doc_flow, _ = c.get(f"/api/v1/flows/{some['id']}")
        checks.check(s == 200 and doc_flow["flow"]["id"] == some["id"] and
                     doc_flow["flow"]["client_ip"] == "10.1.1.3" and
                     doc_flow["flow"]["server_port"] == 80 and
                     doc_flow["flow"]["l4"] == "TCP",
                     f"flow by id: {s} {doc_flow}")
        stale = int(some["id"]) ^ 0x7  # same slot, another generation
        s, d, _ = c.get(f"/api/v1/flows/{stale}")
        checks.check(s == 404 and d["error"] == "not_found",
                     f"flow with a stale id: {s} {d}")
    else:
        checks.check(False, "flows?host=10.1.1.3 found nothing")
    s, d, _ = c.get("/api/v1/flows/12x")
    checks.check(s == 400 and d["parameter"] == "id", f"bad flow id: {s} {d}")
    # One more than the largest 64-bit number.
    s, d, _ = c.get("/api/v1/flows/18446744073709551616")
    checks.check(s == 400 and d.get("message") ==
                 "a flow id is at most 18446744073709551615, got "
                 "'18446744073709551616'", f"flow id out of range: {s} {d}")


def check_hosts(c, checks, flows):
    hosts = hosts_of(flows)
    local = [h for h in hosts if ipaddress.ip_address(h[0]) in
             ipaddress.ip_network("10.1.0.0/16")]
    s, d, _ = c.get("/api/v1/hosts?limit=1000")
    checks.check(s == 200 and d["host_tracking"] and
                 d["total"] == len(hosts) and len(d["hosts"]) == len(hosts),
                 f"hosts: {s} total {d.get('total')}, built {len(hosts)}")
    got = {(h["ip"], h["vlan"]) for h in d.get("hosts", [])}
    checks.check(got == hosts, f"hosts: differ: {got ^ hosts}")
    for query, expected in (("local=true", len(local)),
                            ("local=false", len(hosts) - len(local)),
                            ("vlan=100", len([h for h in hosts
                                              if h[1] == 100])),
                            ("ip=10.9.0.1", 1), ("ip=192.0.2.1", 0)):
        s, d, _ = c.get(f"/api/v1/hosts?{query}&limit=1000")
        checks.check(s == 200 and d["total"] == expected,
                     f"hosts?{query}: total {d.get('total')}, "
                     f"expected {expected}")
    s, d, _ = c.get("/api/v1/hosts?sort=flows&limit=1")
    checks.check(s == 200 and d["hosts"][0]["ip"] == "10.9.0.1" and
                 d["hosts"][0]["active_flows_as_server"] == 30,
                 f"hosts?sort=flows: top {d.get('hosts')}")

    s, d, _ = c.get("/api/v1/hosts/10.9.0.1?flows_limit=5")
    checks.check(s == 200 and d["host"]["ip"] == "10.9.0.1" and
                 d["flows_total"] == 30 and len(d["flows"]) == 5,
                 f"host 10.9.0.1: {s} {str(d)[:300]}")
    checks.check(s == 200 and isinstance(d.get("alerts"), list),
                 f"host 10.9.0.1: alerts {d.get('alerts_error')}")
    checks.check(s == 200 and d.get("series") is None and
                 "series_error" in d, "host: series without timeseries")
    s, d, _ = c.get("/api/v1/hosts/10.2.0.3")
    checks.check(s == 200 and d["host"]["vlan"] == 100 and
                 d["flows_total"] == 1 and
                 d["flows"][0]["client_ip"] == "10.2.0.3",
                 f"host on VLAN 100: {s} {str(d)[:300]}")
    s, d, _ = c.get("/api/v1/hosts/192.0.2.77")
    checks.check(s == 404 and d["error"] == "not_found",
                 f"unknown host: {s} {d}")
    checks.check(d.get("message") == "vigild has no host 192.0.2.77",
                 f"unknown host: message {d.get('message')!r}")
    # A host seen only on VLAN 100 is not found on VLAN 7.
    for ip in ("192.0.2.77", "10.2.0.3"):
        s, d, _ = c.get(f"/api/v1/hosts/{ip}?vlan=7")
        want = f"vigild has no host {ip} on VLAN 7"
        checks.check(s == 404 and d.get("message") == want,
                     f"host {ip} on VLAN 7: {s} {d}, expected {want!r}")
    s, d, _ = c.get("/api/v1/hosts/not-an-ip")
    checks.check(s == 400 and d["parameter"] == "ip", f"bad host: {s} {d}")


def check_counters(c, checks, flows):
    s, d, _ = c.get("/api/v1/interfaces")
    checks.check(s == 200 and len(d["interfaces"]) == 1 and
                 d["interfaces"][0]["ipackets"] > 0,
                 f"interfaces: {s} {str(d)[:300]}")
    # The configured name, as timeseries files use it, and the device.
    checks.check(d["interfaces"][0]["name"] == "replay" and
                 d["interfaces"][0]["device"] == "net_pcap0",
                 f"interfaces: name and device {d['interfaces'][0]}")
    counters = d["counters"]
    checks.check(counters["active_flows"] == len(flows),
                 f"interfaces: active_flows {counters['active_flows']}")
    checks.check(counters["flows_created"] == len(flows),
                 f"interfaces: flows_created {counters['flows_created']}")
    checks.check(d["engines"][0]["active_flows"] == len(flows),
                 f"interfaces: engine 0 {d['engines']}")
    checks.check("ip_truncated" in counters["parse_errors"],
                 "interfaces: parse_errors incomplete")
    checks.check(counters["plugins"]["sandbox_starts"] >= 1,
                 "interfaces: no plugin counters")

    status, headers, body = c.request("GET", "/metrics")
    text = body.decode()
    checks.check(status == 200 and "vigil_up 1\n" in text and
                 headers.get("content-type", "").startswith("text/plain"),
                 f"metrics: {status} {text[:200]}")
    checks.check(f"vigil_active_flows {len(flows)}\n" in text,
                 "metrics: active_flows")
    for name in counters:
        # Groups with their own metric names, checked where they fill up.
        if name in ("parse_errors", "plugins", "active_flows", "alerts",
                    "alert_endpoints", "timeseries"):
            continue
        checks.check(f"\nvigil_{name}_total " in text,
                     f"metrics: vigil_{name}_total missing")
    for name in counters["plugins"]:
        checks.check(f"\nvigil_plugin_{name}_total " in text,
                     f"metrics: vigil_plugin_{name}_total missing")
    for name in counters["parse_errors"]:
        checks.check(f'vigil_parse_errors_total{{error="{name}"}} ' in text,
                     f"metrics: parse error {name} missing")
    checks.check('vigil_port_ipackets_total{port="replay"} ' in text,
                 "metrics: port counters missing")


# Flow scripts added to the example plugin's copy: one disabled by its
# default_value, one whose setup() turns it down, and one whose hooks always
# fail, so the sandbox disables it at run time after 10 failures in a row.
EXTRA_SCRIPTS = {
    "example_quiet.lua": """return {
  key = "example_quiet",
  default_value = { enabled = false },
  hooks = { protocolDetected = function(flow, conf) end },
}
""",
    "example_refusing.lua": """return {
  key = "example_refusing",
  hooks = { protocolDetected = function(flow, conf) end },
  setup = function(conf) return false end,
}
""",
    "example_failing.lua": """local function fail(flow, conf)
  error("example_failing fails on every flow")
end

return {
  key = "example_failing",
  hooks = { protocolDetected = fail, periodicUpdate = fail },
}
""",
}

# Each script's state in GET /api/v1/plugins, as write_config's
# plugins.scripts and EXTRA_SCRIPTS set it: (enabled, enabled_source).
SCRIPT_STATES = {
    "example_watch": (True, "config"),
    "example_upload": (False, "config"),
    "example_traffic": (True, "default"),
    "example_quiet": (False, "default"),
    "example_refusing": (False, "setup"),
    "example_failing": (False, "failures"),
}


def add_extra_scripts(plugins):
    folder = os.path.join(plugins, "examples", "example", "user_scripts",
                          "flow")
    for name, text in EXTRA_SCRIPTS.items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)


# Two plugins beside the example: one with an alert definition and no
# script, which loads, and one with a syntax error, which is skipped.
LISTING_PLUGINS = {
    "example_defs": {
        "manifest.lua": 'return { title = "Definitions only" }\n',
        "alert_definitions/defs_alert.lua":
            'return { key = "defs_alert", title = "D", severity = "info" }\n',
    },
    "example_broken": {
        "manifest.lua": 'return { title = "Syntax error" }\n',
        "user_scripts/flow/example_broken.lua":
            'return { key = "example_broken", hooks = {\n'
            '  protocolDetected = function(flow) if then end } }\n',
    },
}


def add_listing_plugins(plugins):
    for name, files in LISTING_PLUGINS.items():
        for path, text in files.items():
            full = os.path.join(plugins, "examples", name, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)


def check_loaded_log(log_path, checks):
    """The sandbox's and vigild's log lines count the plugins that loaded
    (example and example_defs), not the one skipped."""
    with open(log_path, errors="replace") as f:
        log = f.read()
    checks.check(re.search(r"loaded plugins=2 scripts=\d+ errors=1 skipped=1",
                           log),
                 "log: sandbox counts 2 plugins loaded, 1 skipped")
    checks.check(re.search(r"sandbox=0 pid=\d+ loaded plugins=2\n", log),
                 "log: vigild counts 2 plugins loaded")


def plugin_named(d, name):
    """The entry of /api/v1/plugins for plugin <name>, or None."""
    for plugin in d.get("plugins", []):
        if plugin.get("name") == name:
            return plugin
    return None


def check_script_states(c, checks):
    """Each script's enabled state and where it came from."""
    def failing_disabled():
        s, d, _ = c.get("/api/v1/plugins")
        if s != 200 or plugin_named(d, "example") is None:
            return None
        for script in plugin_named(d, "example")["scripts"]:
            if script["key"] == "example_failing" and not script["enabled"]:
                return script
        return None

    # The sandbox reports example_failing again once its 10th failure
    # disables it, which takes 10 hook calls after the flows are active.
    try:
        wait_for("example_failing to be disabled", failing_disabled, 30)
    except AssertionError as err:
        checks.check(False, f"plugins: {err}")
    s, d, _ = c.get("/api/v1/plugins")
    if not checks.check(s == 200 and plugin_named(d, "example") is not None,
                        f"plugins: {s} {d}"):
        return
    scripts = {x["key"]: x for x in plugin_named(d, "example")["scripts"]}
    checks.check(set(scripts) == set(SCRIPT_STATES),
                 f"plugins: scripts {sorted(scripts)}")
    for key, (enabled, source) in SCRIPT_STATES.items():
        got = scripts.get(key, {})
        checks.check(got.get("enabled") is enabled,
                     f"plugins: {key} enabled {got.get('enabled')!r}, "
                     f"expected {enabled}")
        checks.check(got.get("enabled_source") == source,
                     f"plugins: {key} enabled_source "
                     f"{got.get('enabled_source')!r}, expected {source!r}")


def check_reload_broken_config(c, checks, config):
    """A reload while the configuration file does not load is refused, and
    the sandboxes keep the settings they loaded."""
    with open(config) as f:
        text = f.read()
    try:
        with open(config, "w") as f:
            f.write("capture: [\n")
        s, d, _ = c.post("/api/v1/plugins/reload")
        checks.check(s == 409 and d.get("error") == "invalid_config",
                     f"reload with a broken file: {s} {d}")
        want = f"reload refused: {config}:2:1: capture: invalid YAML"
        checks.check(str(d.get("message", "")).startswith(want),
                     f"reload with a broken file: message {d}")
    finally:
        with open(config, "w") as f:
            f.write(text)


def check_plugins_and_alerts(c, viewer, checks, flows, copy_path):
    s, d, _ = c.get("/api/v1/plugins")
    names = sorted(p["name"] for p in d.get("plugins", []))
    want_names = sorted(["example", *LISTING_PLUGINS])
    checks.check(s == 200 and d["enabled"] and names == want_names,
                 f"plugins: {s} {names}, expected {want_names}")
    if s == 200 and names == want_names:
        example = plugin_named(d, "example")
        kinds = {(x["key"], x["kind"]) for x in example["scripts"]}
        checks.check(("example_watch", "flow") in kinds,
                     f"plugins: scripts {kinds}")
        # loaded_in lists the sandboxes that loaded the plugin, scripts
        # or not; a plugin skipped for a load error is in none.
        for name, want in (("example", [0]), ("example_defs", [0]),
                           ("example_broken", [])):
            got = plugin_named(d, name)["loaded_in"]
            checks.check(got == want,
                         f"plugins: {name} loaded_in {got}, expected {want}")
        checks.check(d["sandboxes"][0]["running"] and
                     d["sandboxes"][0]["pid"] > 0,
                     f"plugins: sandbox {d['sandboxes'][0]}")
    starts = d["sandboxes"][0]["sandbox_starts"] if s == 200 else 0

    s, d, _ = viewer.post("/api/v1/plugins/reload")
    checks.check(s == 403 and d["error"] == "forbidden",
                 f"reload as readonly: {s} {d}")
    s, d, _ = c.post("/api/v1/plugins/reload", csrf=False)
    checks.check(s == 403 and d["error"] == "csrf",
                 f"reload without CSRF: {s} {d}")
    s, d, _ = c.json("POST", "/api/v1/plugins/reload", None,
                     {"X-CSRF-Token": "0" * 64})
    checks.check(s == 403 and d["error"] == "csrf",
                 f"reload with a wrong CSRF token: {s} {d}")
    s, d, _ = c.json("POST", "/api/v1/plugins/reload", "{bad",
                     {"X-CSRF-Token": c.csrf,
                      "Content-Type": "application/json"})
    checks.check(s == 400 and d["error"] == "invalid_json",
                 f"reload with a broken JSON body: {s} {d}")
    checks.check(d.get("message", "").startswith(
                     "the body is not valid JSON: "),
                 f"reload with a broken JSON body: message {d}")
    for body, message in (
            ("[1]", "the body must be a JSON object, not an array"),
            ("[]", "the body must be a JSON object, not an array"),
            ('"x"', "the body must be a JSON object, not a string"),
            ("7", "the body must be a JSON object, not a number"),
            ("null", "the body must be a JSON object, not null")):
        s, d, _ = c.json("POST", "/api/v1/plugins/reload", body,
                         {"X-CSRF-Token": c.csrf,
                          "Content-Type": "application/json"})
        checks.check(s == 400 and d["error"] == "invalid_json",
                     f"reload with body {body}: {s} {d}")
        checks.check(d.get("message") == message,
                     f"reload with body {body}: message "
                     f"{d.get('message')!r}, expected {message!r}")
    s, d, _ = c.json("POST", "/api/v1/plugins/reload", '{"why":"\\u0000"}',
                     {"X-CSRF-Token": c.csrf,
                      "Content-Type": "application/json"})
    checks.check(s == 400 and d["error"] == "invalid_json" and
                 d.get("parameter") == "why" and
                 d.get("message") == "member 'why' contains a NUL byte "
                                     "(\\u0000)",
                 f"reload with a NUL in the body: {s} {d}")
    # Members of any name and type are allowed, because the body requires none.
    s, d, _ = c.json("POST", "/api/v1/plugins/reload", '{"-":5}',
                     {"X-CSRF-Token": c.csrf,
                      "Content-Type": "application/json"})
    checks.check(s == 200 and d == {"ok": True},
                 f"reload with a number member: {s} {d}")
    s, d, _ = c.post("/api/v1/plugins/reload")
    checks.check(s == 200 and d == {"ok": True}, f"reload: {s} {d}")

    def restarted():
        s, d, _ = c.get("/api/v1/plugins")
        return s == 200 and d["sandboxes"][0]["sandbox_starts"] > starts
    try:
        wait_for("a sandbox restart", restarted)
        checks.check(True, "reload restarts the sandbox")
    except AssertionError as err:
        checks.check(False, f"reload: {err}")
    s, d, _ = c.get("/api/v1/plugins/reload")
    checks.check(s == 405, f"GET on reload: {s}")

    # The example plugin raises one flow alert per marked flow.
    marked = len([f for f in flows if f["l4"] == 17 and f["port"] == 5000])

    def flow_alerts():
        s, d, _ = c.get("/api/v1/alerts?state=flow&limit=1000")
        return s == 200 and d["total"] >= marked and d
    try:
        d = wait_for("flow alerts", flow_alerts)
        types = {a.get("type") for a in d["alerts"]}
        checks.check(types == {"example_watched_destination"},
                     f"alerts: types {types}")
        checks.check(d["total"] == marked,
                     f"alerts: {d['total']} flow alerts, marked {marked}")
        # Flow ids are decimal strings here as in the flows API.
        s, f, _ = c.get("/api/v1/flows?status=example_watched_flow"
                        "&limit=1000")
        checks.check({a.get("flow_id") for a in d["alerts"]} ==
                     {x["id"] for x in f.get("flows", [])},
                     "alerts: flow_id differs from the flows' ids")
    except AssertionError as err:
        checks.check(False, f"alerts: {err}")

    # The store's and the file endpoint's counters, in the API and in
    # /metrics, against the lines the endpoint wrote.
    def delivered():
        try:
            with open(copy_path) as f:
                lines = sum(1 for _ in f)
        except FileNotFoundError:
            return False
        s, d, _ = c.get("/api/v1/interfaces")
        eps = {e["counter"]: e["value"]
               for e in d["counters"].get("alert_endpoints", [])
               if e["endpoint"] == "copy"}
        return (lines >= marked and eps.get("delivered") == lines and
                eps.get("queued") == 0 and (lines, d["counters"]))
    try:
        lines, counters = wait_for("endpoint deliveries", delivered)
        checks.check(counters["alerts"]["flow_stored"] +
                     counters["alerts"]["flow_merged"] >= marked and
                     counters["alerts"]["dropped"] == 0 and
                     counters["alerts"]["db_errors"] == 0,
                     f"interfaces: alert counters {counters['alerts']}")
        _, _, body = c.request("GET", "/metrics")
        text = body.decode()
        checks.check(f'\nvigil_alert_endpoint_delivered_total{{endpoint="copy"}} {lines}\n' in text,
                     "metrics: endpoint deliveries")
        checks.check("\nvigil_alerts_flow_stored_total " in text and
                     "\nvigil_alerts_queue_length " in text,
                     "metrics: alert store counters")
    except AssertionError as err:
        checks.check(False, f"alert counters: {err}")
    s, d, _ = c.get("/api/v1/alerts?state=gone")
    checks.check(s == 400 and d["parameter"] == "state",
                 f"alerts?state=gone: {s} {d}")
    s, d, _ = c.get("/api/v1/alerts?entity=planet")
    checks.check(s == 400 and d["parameter"] == "entity",
                 f"alerts?entity=planet: {s} {d}")
    s, d, _ = c.get("/api/v1/timeseries?schema=host:traffic&element=x")
    checks.check(s == 503 and d["error"] == "timeseries_unavailable",
                 f"timeseries without a store: {s} {d}")
    s, d, _ = c.get("/api/v1/timeseries?element=x")
    checks.check(s == 400 and d["parameter"] == "schema",
                 f"timeseries without schema: {s} {d}")


def check_bad_requests(c, checks):
    cases = [
        ("/api/v1/flows?limit=0", "limit"),
        ("/api/v1/flows?limit=1001", "limit"),
        ("/api/v1/flows?limit=abc", "limit"),
        ("/api/v1/flows?offset=-1", "offset"),
        ("/api/v1/flows?offset=9999&limit=2", "offset"),
        ("/api/v1/flows?sort=size", "sort"),
        ("/api/v1/flows?order=up", "order"),
        ("/api/v1/flows?l4=sctpx", "l4"),
        ("/api/v1/flows?l4=256", "l4"),
        ("/api/v1/flows?vlan=4096", "vlan"),
        ("/api/v1/flows?port=65536", "port"),
        ("/api/v1/flows?host=10.1.0", "host"),
        ("/api/v1/flows?l7=NoSuchProtocol", "l7"),
        ("/api/v1/flows?category=NoSuchCategory", "category"),
        ("/api/v1/flows?status=no_such_status", "status"),
        ("/api/v1/flows?colour=red", "colour"),
        ("/api/v1/flows?limit=1&limit=2", "limit"),
        ("/api/v1/flows?host=%zz", "host"),
        ("/api/v1/hosts?local=maybe", "local"),
        ("/api/v1/hosts?sort=name", "sort"),
        ("/api/v1/hosts?ip=300.1.1.1", "ip"),
        ("/api/v1/interfaces?x=1", "x"),
        ("/api/v1/alerts?since=10&until=5", "since"),
        ("/api/v1/timeseries?schema=interface:traffic&element=eth0"
         "&resolution=0", "resolution"),
    ]
    for path, param in cases:
        s, d, _ = c.get(path)
        checks.check(s == 400 and d.get("error") == "invalid_parameter" and
                     d.get("parameter") == param,
                     f"{path}: {s} {d}")
    # An unknown name is quoted back.
    for path, message in (
            ("/api/v1/flows?l7=NoSuchProtocol",
             "unknown nDPI protocol name 'NoSuchProtocol'"),
            ("/api/v1/flows?category=NoSuchCategory",
             "unknown nDPI category name 'NoSuchCategory'"),
            ("/api/v1/flows?status=no_such_status",
             "no plugin has defined status 'no_such_status'")):
        s, d, _ = c.get(path)
        checks.check(d.get("message") == message,
                     f"{path}: message {d.get('message')!r}, expected "
                     f"{message!r}")
    # Percent-encoding: well-formed %00 is a NUL byte, not bad encoding.
    for path, param, message in (
            ("/api/v1/flows?limit=1%00", "limit",
             "limit contains a NUL byte (%00)"),
            ("/api/v1/hosts?ip=%0010.0.0.1", "ip",
             "ip contains a NUL byte (%00)"),
            ("/api/v1/flows?limit=1%0", "limit",
             "limit has malformed percent-encoding: '%' must be followed "
             "by two hex digits"),
            ("/api/v1/flows?host=%zz", "host",
             "host has malformed percent-encoding: '%' must be followed "
             "by two hex digits"),
            ("/api/v1/flows?lim%00it=1", None,
             "a query parameter name contains a NUL byte (%00)")):
        s, d, _ = c.get(path)
        checks.check(s == 400 and d.get("error") == "invalid_parameter",
                     f"{path}: {s} {d}")
        checks.check(d.get("parameter") == param,
                     f"{path}: parameter {d.get('parameter')!r}")
        checks.check(d.get("message") == message,
                     f"{path}: message {d.get('message')!r}, expected "
                     f"{message!r}")
    s, d, _ = c.get("/api/v1/nothing")
    checks.check(s == 404 and d["error"] == "not_found", f"404: {s} {d}")
    s, d, _ = c.get("/api/v2/flows")
    checks.check(s == 404 and d["error"] == "not_found", f"/api/v2: {s} {d}")
    s, d, _ = c.post("/api/v1/flows")
    checks.check(s == 405 and d["error"] == "method_not_allowed",
                 f"POST /flows: {s} {d}")


def check_utf8_echo(port, c, checks):
    """Request text that a message quotes back must be valid UTF-8 once
    percent-decoded. Invalid text gets 400 naming the parameter and the
    offset of its first invalid byte, so that no byte is shown as a
    Latin-1 character. Valid text is quoted, and a quote cut to its limit
    ends on a character boundary."""
    def value_message(name, value, at):
        return (f"{name} is not valid UTF-8: byte {at} of the decoded value "
                f"is 0x{value[at]:02x}")

    for path, param, value, at in (
            ("/api/v1/flows?l7=%C3%28", "l7", b"\xc3(", 0),
            ("/api/v1/flows?l7=HTTP%FF", "l7", b"HTTP\xff", 4),
            ("/api/v1/flows?category=%E2%82", "category", b"\xe2\x82", 0),
            ("/api/v1/flows?status=ok%ED%A0%80", "status",
             b"ok\xed\xa0\x80", 2),
            ("/api/v1/hosts?sort=ab%C0%AF", "sort", b"ab\xc0\xaf", 2),
            ("/api/v1/alerts?severity=%FF",
             "severity", b"\xff", 0)):
        s, d, _ = c.get(path)
        want = value_message(param, value, at)
        checks.check(s == 400 and d.get("error") == "invalid_parameter",
                     f"{path}: {s} {d}")
        checks.check(d.get("parameter") == param,
                     f"{path}: parameter {d.get('parameter')!r}")
        checks.check(d.get("message") == want,
                     f"{path}: message {d.get('message')!r}, expected "
                     f"{want!r}")
    s, d, _ = c.get("/api/v1/flows?l%FF7=HTTP")
    want = ("a query parameter name is not valid UTF-8: byte 1 of the "
            "decoded name is 0xff")
    checks.check(s == 400 and d.get("parameter") is None and
                 d.get("message") == want,
                 f"invalid UTF-8 in a name: {s} {d}, expected {want!r}")

    # The path is decoded by h2o; its bytes are checked the same way.
    prefix = "/api/v1/hosts/10.0.0."
    s, d, _ = c.get(prefix + "%FF")
    want = (f"the path is not valid UTF-8 once percent-decoded: byte "
            f"{len(prefix)} is 0xff")
    checks.check(s == 400 and d.get("error") == "invalid_path" and
                 d.get("message") == want,
                 f"invalid UTF-8 in the path: {s} {d}, expected {want!r}")

    # Valid UTF-8 is quoted as it is, by vigild (l7) and by vigil-web.
    for path, want in (
            ("/api/v1/flows?l7=caf%C3%A9",
             "unknown nDPI protocol name 'caf\u00e9'"),
            ("/api/v1/flows?order=%E2%82%AC",
             "order must be asc or desc, got '\u20ac'")):
        s, d, _ = c.get(path)
        checks.check(s == 400 and d.get("message") == want,
                     f"{path}: {s} {d}, expected {want!r}")

    # Quotes are cut to 64 bytes. With 63 ASCII bytes before a 2-byte
    # character, the character is left out whole rather than halved.
    long = "a" * 63
    for path, want in (
            (f"/api/v1/flows?l7={long}%C3%A9",
             f"unknown nDPI protocol name '{long}'"),
            (f"/api/v1/flows?order={long}%C3%A9",
             f"order must be asc or desc, got '{long}'"),
            (f"/api/v1/alerts?severity={long}%F0%9F%98%80",
             f"unknown severity '{long}'")):
        s, d, _ = c.get(path)
        checks.check(s == 400 and d.get("message") == want,
                     f"{path[:40]}...: {s} {d}, expected {want!r}")

    # A charset that is not valid UTF-8 is named by its first bad byte.
    anon = Client(port)
    status, _, body = anon.request(
        "POST", "/api/v1/login", json.dumps({"user": "a", "password": "b"}),
        {"Content-Type": "application/json; charset=x\xe9"})
    doc = json.loads(body) if body else {}
    want = ("charset is not valid UTF-8: byte 1 of its value is 0xe9; send "
            "the body in UTF-8 (charset=utf-8)")
    checks.check(status == 415 and doc.get("message") == want,
                 f"login with a Latin-1 charset: {status} {doc}, expected "
                 f"{want!r}")


def check_auth(port, c, checks):
    anon = Client(port)
    for path in ("/api/v1/flows", "/api/v1/flows/1", "/api/v1/hosts",
                 "/api/v1/hosts/10.9.0.1", "/api/v1/interfaces",
                 "/api/v1/plugins", "/api/v1/alerts", "/api/v1/timeseries",
                 "/api/v1/session", "/metrics"):
        s, d, _ = anon.get(path)
        checks.check(s == 401 and d is not None and
                     d.get("error") == "unauthenticated",
                     f"{path} without a session: {s} {d}")
    s, d, _ = anon.post("/api/v1/plugins/reload")
    checks.check(s == 401, f"reload without a session: {s} {d}")
    forged = Client(port)
    forged.cookie = "vigil_session=" + "a" * 64
    s, d, _ = forged.get("/api/v1/flows")
    checks.check(s == 401, f"forged session: {s}")

    s, d, _ = c.get("/api/v1/session")
    checks.check(s == 200 and d["user"] == "admin" and d["role"] == "admin"
                 and d["csrf_token"] == c.csrf, f"session: {s} {d}")

    # Malformed and oversized bodies.
    for body, what in (("{\"user\": \"admin\", ", "truncated"),
                       ("[1, 2]", "not an object"),
                       ("{\"user\": \"admin\"} x", "trailing text"),
                       ("{\"user\": \"\\ud800\", \"password\": \"x\"}",
                        "lone surrogate"),
                       ("\xff\xfe", "not UTF-8")):
        s, d, _ = anon.json("POST", "/api/v1/login", body.encode("latin-1"),
                            {"Content-Type": "application/json"})
        checks.check(s == 400 and d["error"] == "invalid_json",
                     f"login with {what} JSON: {s} {d}")
    s, d, _ = anon.json("POST", "/api/v1/login", {"user": "admin"})
    checks.check(s == 400 and d["error"] == "invalid_json" and
                 d["parameter"] == "password", f"login without password: "
                 f"{s} {d}")
    # \u0000 is valid JSON, but no C string carries it: the message names
    # the member instead of calling the body invalid JSON.
    for body, member, message in (
            ('{"user":"admin","password":"a\\u0000b"}', "password",
             "member 'password' contains a NUL byte (\\u0000)"),
            ('{"user":"\\u0000","password":"x"}', "user",
             "member 'user' contains a NUL byte (\\u0000)"),
            ('{"user":"admin","password":"x","x":{"y":["\\u0000"]}}', "y",
             "member 'y' contains a NUL byte (\\u0000)"),
            ('{"user":"admin","password":"x","a\\u0000":1}', None,
             "a member name contains a NUL byte (\\u0000)")):
        s, d, _ = anon.json("POST", "/api/v1/login", body,
                            {"Content-Type": "application/json"})
        checks.check(s == 400 and d.get("error") == "invalid_json",
                     f"login {body}: {s} {d}")
        checks.check(d.get("parameter") == member,
                     f"login {body}: parameter {d.get('parameter')!r}")
        checks.check(d.get("message") == message,
                     f"login {body}: message {d.get('message')!r}, "
                     f"expected {message!r}")
    # Valid JSON that is not an object is named as such.
    for body, message in (
            ("[1]", "the body must be a JSON object, not an array"),
            (" [] ", "the body must be a JSON object, not an array"),
            ("true", "the body must be a JSON object, not a boolean")):
        s, d, _ = anon.json("POST", "/api/v1/login", body,
                            {"Content-Type": "application/json"})
        checks.check(s == 400 and d.get("error") == "invalid_json",
                     f"login {body}: {s} {d}")
        checks.check(d.get("message") == message,
                     f"login {body}: message {d.get('message')!r}, "
                     f"expected {message!r}")
    # Broken text that does not start with '{' is still invalid JSON.
    for body in ("[1,", "xyz", "[1] 2", ""):
        s, d, _ = anon.json("POST", "/api/v1/login", body,
                            {"Content-Type": "application/json"})
        checks.check(s == 400 and d.get("message", "").startswith(
                         "the body is not valid JSON: "),
                     f"login {body!r}: {s} {d}")
    # A body that is broken as well is still called invalid JSON.
    s, d, _ = anon.json("POST", "/api/v1/login",
                        '{"user":"\\u0000","password":',
                        {"Content-Type": "application/json"})
    checks.check(s == 400 and d.get("message", "").startswith(
                     "the body is not valid JSON: "),
                 f"login with a NUL and a truncated body: {s} {d}")
    s, _, _ = anon.request("POST", "/api/v1/login",
                           b"{\"user\":\"" + b"a" * (MAX_REQUEST * 2) +
                           b"\"}", {"Content-Type": "application/json"})
    checks.check(s == 413, f"oversized login body: {s}")
    s, d, _ = anon.get("/api/v1/login")
    checks.check(s == 405, f"GET login: {s} {d}")


def login_failures(web_log):
    """The lines of failed logins in vigil-web's log so far."""
    web_log.flush()
    with open(web_log.name) as f:
        return [x.rstrip("\n") for x in f if " login failed " in x]


def check_rate_limit(port, checks, web_log):
    c = Client(port)
    logged = len(login_failures(web_log))
    for i in range(LOGIN_ATTEMPTS):
        s, d, _ = c.login("admin", "wrong-password")
        checks.check(s == 401 and d["error"] == "invalid_credentials",
                     f"wrong password {i + 1}: {s} {d}")
    lines = login_failures(web_log)[logged:]
    checks.check(len(lines) == LOGIN_ATTEMPTS,
                 f"{len(lines)} failed logins logged, expected "
                 f"{LOGIN_ATTEMPTS}: {lines}")
    for line in lines:
        checks.check(line.endswith(" warn web: login failed "
                                   "peer=127.0.0.1 user=admin"),
                     f"failed login logged without the client's address: "
                     f"{line!r}")
    s, d, _ = c.login("nobody-such", "wrong-password")
    checks.check(s == 429 and d["error"] == "rate_limited",
                 f"login after {LOGIN_ATTEMPTS} failures: {s} {d}")
    status, headers, _ = c.request("POST", "/api/v1/login", json.dumps(
        {"user": "admin", "password": ADMIN_PASSWORD}),
        {"Content-Type": "application/json"})
    retry = headers.get("retry-after", "")
    checks.check(status == 429 and retry.isdigit() and 0 < int(retry) <= 60,
                 f"right password while limited: {status} retry-after "
                 f"'{retry}'")


def check_logout(port, checks):
    c = Client(port)
    s, _, cookie = c.login("admin", ADMIN_PASSWORD)
    checks.check(s == 200 and "HttpOnly" in cookie and
                 "SameSite=Strict" in cookie, f"cookie flags: {cookie}")
    s, d, _ = c.post("/api/v1/logout", csrf=False)
    checks.check(s == 403 and d["error"] == "csrf", f"logout without CSRF: {s}")
    s, d, _ = c.post("/api/v1/logout")
    checks.check(s == 200, f"logout: {s} {d}")
    s, d, _ = c.get("/api/v1/session")
    checks.check(s == 401, f"session after logout: {s} {d}")


def check_static(port, checks):
    c = Client(port)
    status, headers, body = c.request("GET", "/")
    etag = headers.get("etag")
    checks.check(status == 200 and b"vigil test page" in body,
                 f"static /: {status}")
    checks.check(etag is not None, "static: no ETag")
    checks.check(headers.get("cache-control") == "no-cache",
                 f"static: cache-control {headers.get('cache-control')}")
    checks.check("script-src 'self'" in headers.get(
        "content-security-policy", ""), "static: no CSP header")
    checks.check(headers.get("x-content-type-options") == "nosniff",
                 "static: no nosniff")
    status, headers, _ = c.request("GET", "/", headers={"If-None-Match":
                                                        etag or "x"})
    checks.check(status == 304, f"static with If-None-Match: {status}")
    status, headers, body = c.request("GET", "/app.js",
                                      headers={"Accept-Encoding": "gzip"})
    checks.check(status == 200 and headers.get("content-encoding") == "gzip"
                 and gzip.decompress(body).startswith(b"// vigil test"),
                 f"static gzip: {status} {headers.get('content-encoding')}")
    status, _, _ = c.request("GET", "/missing.js")
    checks.check(status == 404, f"static missing file: {status}")

    # The charting library comes from node_modules below the static root,
    # with the same headers and gzip as the other files.
    status, headers, body = c.request("GET", "/vendor/uplot/uPlot.esm.js",
                                      headers={"Accept-Encoding": "gzip"})
    checks.check(status == 200 and headers.get("content-encoding") == "gzip"
                 and gzip.decompress(body) == VENDOR_JS,
                 f"vendor uPlot: {status} {headers.get('content-encoding')}")
    checks.check(headers.get("cache-control") == "no-cache" and
                 headers.get("etag") is not None and
                 "script-src 'self'" in headers.get(
                     "content-security-policy", ""),
                 f"vendor uPlot headers: {headers}")
    ctype = headers.get("content-type", "")
    checks.check(ctype.startswith("application/javascript"),
                 f"vendor uPlot type: {ctype}")
    status, _, _ = c.request("GET", "/vendor/uplot/missing.js")
    checks.check(status == 404, f"vendor missing file: {status}")


def check_static_private(port, checks):
    """npm's files below the static root are never served; uPlot's dist
    folder stays reachable through /vendor/uplot/ alone."""
    c = Client(port)
    for name in PRIVATE_STATIC + ("node_modules/uplot/dist/uPlot.esm.js",):
        status, _, body = c.request("GET", "/" + name)
        checks.check(status == 404, f"static /{name}: {status} {body[:60]}")
    status, _, body = c.request("GET", "/vendor/uplot/uPlot.esm.js")
    checks.check(status == 200 and body == VENDOR_JS,
                 f"vendor uPlot next to private files: {status}")


class _ReceivedStream(io.BytesIO):
    """A stream that stays open when http.client closes a response."""

    def close(self):
        pass


class _Received:
    """Bytes already read from a socket, for http.client to parse one
    response after the other."""

    def __init__(self, data):
        self.stream = _ReceivedStream(data)

    def makefile(self, mode):
        return self.stream


def raw_exchange(port, data, timeout=10):
    """Send <data> unchanged on a new connection and read until the
    server closes it. Return the first response as (status, headers with
    lower-case names, body), the number of responses, and whether the
    server closed the connection (False: it was still open after
    <timeout> seconds)."""
    received = b""
    closed = True
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=timeout) as sock:
        sock.sendall(data)
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except socket.timeout:
            closed = False

    source = _Received(received)
    responses = []
    while source.stream.tell() < len(received):
        resp = http.client.HTTPResponse(source)
        resp.begin()
        body = resp.read()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        responses.append((resp.status, headers, body))
    if not responses:
        return None, {}, b"", 0, closed
    status, headers, body = responses[0]
    return status, headers, body, len(responses), closed


def json_body(body):
    try:
        return json.loads(body)
    except ValueError:
        return {"unparsed": body[:200]}


def check_request_framing(port, checks):
    """A body length given twice (two Content-Length headers, or one
    beside Transfer-Encoding) gets 400 and a closed connection: h2o reads
    the body by the first, and the bytes after it must not be taken for
    a second request."""
    smuggled = (b"GET /api/v1/session HTTP/1.1\r\nHost: x\r\n"
                b"Connection: close\r\n\r\n")
    twice = "the Content-Length header is given 2 times; send it once"
    both = ("Content-Length and Transfer-Encoding are both given; "
            "send one of them")
    login = json.dumps({"user": "admin",
                        "password": ADMIN_PASSWORD}).encode()

    cases = [
        ("two lengths on a static file",
         b"GET /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
         b"Content-Length: " + str(len(smuggled)).encode() + b"\r\n\r\n" +
         smuggled, twice),
        ("two equal lengths on the login",
         b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\n"
         b"Content-Type: application/json\r\n" +
         b"Content-Length: %d\r\ncontent-length: %d\r\n\r\n" %
         (len(login), len(login)) + login, twice),
        ("a length beside chunked",
         b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\n"
         b"Content-Type: application/json\r\nContent-Length: 5\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n" +
         b"%x\r\n" % len(login) + login + b"\r\n0\r\n\r\n" + smuggled,
         both),
    ]
    for name, data, message in cases:
        status, headers, body, responses, closed = raw_exchange(port, data)
        doc = json_body(body)
        checks.check(status == 400, f"{name}: status {status} {body[:120]}")
        checks.check(doc.get("error") == "invalid_header" and
                     doc.get("parameter") == "Content-Length",
                     f"{name}: {doc}")
        checks.check(doc.get("message") == message,
                     f"{name}: message {doc.get('message')!r}, expected "
                     f"{message!r}")
        checks.check(headers.get("content-type", "").startswith(
                         "application/json"), f"{name}: {headers}")
        checks.check(responses == 1 and closed,
                     f"{name}: {responses} responses, connection "
                     f"{'closed' if closed else 'left open'}")
    # One Content-Length keeps the connection for the next request.
    status, _, _, responses, _ = raw_exchange(
        port, b"GET /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0"
        b"\r\n\r\n" + smuggled)
    checks.check(status == 200 and responses == 2,
                 f"one Content-Length: {status}, {responses} responses")
    # A list in one header is h2o's to reject, with its own text.
    status, _, body, _, _ = raw_exchange(
        port, b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nContent-Length: 2, 2\r\n"
        b"Connection: close\r\n\r\n{}")
    checks.check(status == 400 and body == b"broken content-length header",
                 f"Content-Length: 2, 2: {status} {body[:80]}")


def check_csrf_twice(port, checks):
    """A state-changing request must carry X-CSRF-Token once: two
    headers are rejected even when one of them, or both, are right."""
    c = Client(port)
    s, _, _ = c.login("admin", ADMIN_PASSWORD)
    checks.check(s == 200, f"login for the CSRF checks: {s}")
    message = "the X-CSRF-Token header is given 2 times; send it once"
    for name, tokens in (("valid, then forged", (c.csrf, "f" * 64)),
                         ("forged, then valid", ("f" * 64, c.csrf)),
                         ("valid twice", (c.csrf, c.csrf))):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.putrequest("POST", "/api/v1/logout")
            conn.putheader("Cookie", c.cookie)
            for token in tokens:
                conn.putheader("X-CSRF-Token", token)
            conn.putheader("Content-Length", "0")
            conn.endheaders()
            resp = conn.getresponse()
            status, doc = resp.status, json_body(resp.read())
        finally:
            conn.close()
        checks.check(status == 403 and doc.get("error") == "csrf" and
                     doc.get("parameter") == "X-CSRF-Token",
                     f"CSRF header {name}: {status} {doc}")
        checks.check(doc.get("message") == message,
                     f"CSRF header {name}: message {doc.get('message')!r}")

    curl = shutil.which("curl")
    if curl is None:
        print("NOTE: curl not found, two CSRF headers over HTTP/2 not "
              "checked")
    else:
        out = subprocess.run(
            [curl, "-s", "-w", "\n%{http_version} %{http_code}",
             "--http2-prior-knowledge", "-X", "POST", "-b", c.cookie,
             "-H", f"X-CSRF-Token: {c.csrf}", "-H", "X-CSRF-Token: forged",
             f"http://127.0.0.1:{port}/api/v1/logout"],
            stdout=subprocess.PIPE, text=True, timeout=30)
        body, _, last = out.stdout.rpartition("\n")
        doc = json_body(body)
        checks.check(last == "2 403" and doc.get("message") == message,
                     f"two CSRF headers over HTTP/2: {last} {doc}")
    s, d, _ = c.get("/api/v1/session")
    checks.check(s == 200, f"session after the rejected logouts: {s} {d}")
    s, d, _ = c.post("/api/v1/logout")
    checks.check(s == 200, f"logout with one CSRF header: {s} {d}")


def check_not_found(port, c, checks):
    """Every 404 has the JSON error body, also for the paths h2o routes
    to the static files (a missing file, a path that only starts like
    /api or /metrics) and for an absolute-form request target."""
    cases = [
        ("/api/v1/nothing", "no such endpoint"),
        ("/api/v2/flows", "no such endpoint"),
        ("//api/v1/flows", "no such file"),
        ("/apix", "no such file"),
        ("/metricsx", "no such file"),
        ("/metrics/x", "no such endpoint"),
        ("/missing.js", "no such file"),
        ("/missing/", "no such file"),
        ("/vendor/uplot/missing.js", "no such file"),
        ("/package.json", "no such file"),
    ]
    for path, message in cases:
        status, headers, body = c.request("GET", path)
        doc = json_body(body)
        checks.check(status == 404, f"GET {path}: status {status}")
        checks.check(headers.get("content-type", "").startswith(
                         "application/json"),
                     f"GET {path}: content-type "
                     f"{headers.get('content-type')}")
        checks.check(doc == {"error": "not_found", "message": message},
                     f"GET {path}: body {body[:120]}")

    # An absolute-form target reaches the path it names, on vigil-web's
    # own host whatever host it names.
    cookie = c.cookie.encode()
    for target, want_status, want in (
            (f"http://127.0.0.1:{port}/api/v1/session", 200,
             {"user": "admin"}),
            ("http://elsewhere.invalid/api/v1/nothing", 404,
             {"error": "not_found", "message": "no such endpoint"}),
            ("http://elsewhere.invalid/missing.js", 404,
             {"error": "not_found", "message": "no such file"})):
        status, headers, body, _, _ = raw_exchange(
            port, b"GET " + target.encode() + b" HTTP/1.1\r\nHost: x\r\n"
            b"Cookie: " + cookie + b"\r\nConnection: close\r\n\r\n")
        doc = json_body(body)
        checks.check(status == want_status and
                     all(doc.get(k) == v for k, v in want.items()),
                     f"GET {target}: {status} {body[:120]}")
    status, _, body, _, _ = raw_exchange(
        port, b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    doc = json_body(body)
    checks.check(status == 400 and doc.get("error") == "invalid_path",
                 f"OPTIONS *: {status} {body[:120]}")


def check_control_bytes(c, checks):
    """A control byte that percent-decoding puts in the path is rejected
    before any handler reads the path: a name cut short at %00 would
    otherwise find another host, page or file."""
    for path in ("/api/v1/hosts/10.9.0.1%00x",
                 "/api/v1/plugins/example/pages/example%00",
                 "/api/v1/flows%0a",
                 "/index.html%00.js",
                 "/app.js%7f",
                 "/vendor/uplot/uPlot.esm.js%00.txt"):
        status, headers, body = c.request("GET", path)
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        checks.check(status == 400 and doc.get("error") == "invalid_path",
                     f"{path}: {status} {body[:80]}")
        checks.check("script-src 'self'" in headers.get(
            "content-security-policy", ""), f"{path}: no CSP header")


def check_json_bodies(port, c, checks):
    """Bodies must be declared JSON (a cross-site form cannot send that
    type), and an object naming a member twice is rejected, at any
    depth."""
    login = json.dumps({"user": "admin", "password": ADMIN_PASSWORD})
    for ctype in ("text/plain", "application/x-www-form-urlencoded",
                  "multipart/form-data; boundary=x", None,
                  "application/json; charset=iso-8859-1",
                  "application/jsonp"):
        anon = Client(port)
        headers = {"Content-Type": ctype} if ctype else {}
        status, got, body = anon.request("POST", "/api/v1/login", login,
                                         headers)
        doc = json.loads(body) if body else {}
        checks.check(status == 415 and
                     doc.get("error") == "unsupported_media_type" and
                     doc.get("parameter") == "Content-Type",
                     f"login as {ctype}: {status} {body[:80]}")
        checks.check("set-cookie" not in {k.lower() for k in got},
                     f"login as {ctype}: a session cookie was set")
    # A JSON body in another charset gets a message naming that charset.
    for ctype, charset in (("application/json; charset=latin1", "latin1"),
                           ('application/json;charset="ISO-8859-1"',
                            "ISO-8859-1")):
        anon = Client(port)
        status, _, body = anon.request("POST", "/api/v1/login", login,
                                       {"Content-Type": ctype})
        doc = json.loads(body) if body else {}
        want = (f"charset {charset} is not supported; send the body in "
                "UTF-8 (charset=utf-8)")
        checks.check(status == 415 and doc.get("message") == want,
                     f"login as {ctype}: {status} {doc}, expected {want!r}")
    anon = Client(port)
    status, _, body = anon.request("POST", "/api/v1/login", login,
                                   {"Content-Type":
                                    "application/json; charset="})
    doc = json.loads(body) if body else {}
    want = "charset is empty; send the body in UTF-8 (charset=utf-8)"
    checks.check(status == 415 and doc.get("message") == want,
                 f"login with an empty charset: {status} {doc}, "
                 f"expected {want!r}")
    for ctype in ("application/json; charset=utf-8", "Application/JSON",
                  'application/json;charset="UTF-8"'):
        anon = Client(port)
        status, got, body = anon.request("POST", "/api/v1/login", login,
                                         {"Content-Type": ctype})
        checks.check(status == 200, f"login as {ctype}: {status} {body[:80]}")

    # A body on another endpoint is held to the same rule.
    status, _, body = c.request("POST", "/api/v1/plugins/reload", "{}",
                                {"X-CSRF-Token": c.csrf,
                                 "Content-Type": "text/plain"})
    checks.check(status == 415, f"reload with a text/plain body: {status} "
                 f"{body[:80]}")

    anon = Client(port)
    password = json.dumps(ADMIN_PASSWORD)
    for body, member in (
            ('{"user":"nobody","user":"admin","password":%s}' % password,
             "user"),
            ('{"user":"admin","password":%s,"\\u0070assword":"x"}'
             % password, "password"),
            ('{"user":"admin","password":%s,"x":{"a":1,"a":2}}' % password,
             "a"),
            ('{"user":"admin","password":%s,"x":[{"b":1,"c":[],"b":1}]}'
             % password, "b")):
        s, d, _ = anon.json("POST", "/api/v1/login", body,
                            {"Content-Type": "application/json"})
        checks.check(s == 400 and d.get("error") == "invalid_json" and
                     d.get("parameter") == member,
                     f"login naming '{member}' twice: {s} {d}")
    # The same name in two objects is no duplicate.
    s, d, _ = anon.json("POST", "/api/v1/login",
                        '{"user":"admin","password":%s,"x":{"user":1},'
                        '"y":{"user":2}}' % password,
                        {"Content-Type": "application/json"})
    checks.check(s == 200, f"login with nested 'user' members: {s} {d}")


def check_methods(c, checks):
    """A method that an endpoint does not take is 405 with Allow, even
    without a CSRF token; a missing endpoint stays 404."""
    for method, path, allow in (("DELETE", "/api/v1/flows", "GET"),
                                ("PUT", "/api/v1/session", "GET"),
                                ("POST", "/api/v1/hosts/10.9.0.1", "GET"),
                                ("PATCH", "/api/v1/plugins/pages", "GET"),
                                ("DELETE", "/api/v1/logout", "POST")):
        s, d, headers = c.json(method, path)
        checks.check(s == 405 and d.get("error") == "method_not_allowed",
                     f"{method} {path} without CSRF: {s} {d}")
        checks.check(headers.get("allow") == allow,
                     f"{method} {path}: Allow {headers.get('allow')}")
    s, d, _ = c.json("DELETE", "/api/v1/nothing")
    checks.check(s == 404 and d.get("error") == "not_found",
                 f"DELETE /api/v1/nothing: {s} {d}")
    s, d, _ = c.get("/api/v1/session")
    checks.check(s == 200, "session still open after the 405s")


def check_no_server_header(port, c, checks):
    """No response names the server software, h2o's own 413 included."""
    for path in ("/", "/api/v1/session", "/api/v1/nothing", "/missing.js"):
        _, headers, _ = c.request("GET", path)
        names = {k.lower() for k in headers}
        checks.check("server" not in names, f"GET {path}: {headers}")
    status, headers, _ = c.request("POST", "/api/v1/login",
                                   b"x" * (MAX_REQUEST + 1),
                                   {"Content-Type": "application/json"})
    names = {k.lower() for k in headers}
    checks.check(status == 413 and "server" not in names,
                 f"h2o's 413: {status} {headers}")
    curl = shutil.which("curl")
    if curl is None:
        print("NOTE: curl not found, HTTP/2 headers not checked")
        return
    out = subprocess.run([curl, "-s", "-o", "/dev/null", "-D", "-",
                          "--http2-prior-knowledge",
                          f"http://127.0.0.1:{port}/"],
                         stdout=subprocess.PIPE, text=True, timeout=30)
    lines = out.stdout.lower().splitlines()
    checks.check(lines and lines[0].startswith("http/2 200") and
                 not any(x.startswith("server:") for x in lines),
                 f"HTTP/2 headers: {lines}")


def check_long_target(port, c, checks, tmp, web_log):
    """A request target over TARGET_MAX bytes gets 414 at once, over
    HTTP/1.1 and HTTP/2, and is logged."""
    prefix = "/api/v1/flows?x="
    for total, want in ((TARGET_MAX, 400), (TARGET_MAX + 1, 414),
                        (TARGET_MAX * 3, 414)):
        path = prefix + "a" * (total - len(prefix))
        start = time.time()
        s, d, _ = c.get(path)
        took = time.time() - start
        checks.check(s == want and took < 3,
                     f"target of {total} bytes: {s} in {took:.1f} s {d}")
        if want == 414:
            checks.check(d.get("error") == "uri_too_long",
                         f"target of {total} bytes: {d}")
    web_log.flush()
    with open(web_log.name) as f:
        logged = [x for x in f if "rejected with 414" in x]
    checks.check(any("peer=127.0.0.1" in x and
                     f"request target of {TARGET_MAX + 1} bytes" in x
                     for x in logged), f"414 not logged: {logged}")

    curl = shutil.which("curl")
    if curl is None:
        print("NOTE: curl not found, HTTP/2 targets not checked")
        return
    # curl's own cookie jar, as a user would use it: curl 7.88 drops the
    # cookie from a request this long, so the status must not depend on it.
    jar = os.path.join(tmp, "cookies.txt")
    with open(jar, "w") as f:
        name, value = c.cookie.split("=", 1)
        f.write(f"127.0.0.1\tFALSE\t/\tFALSE\t0\t{name}\t{value}\n")
    long_path = prefix + "a" * (TARGET_MAX + 100 - len(prefix))
    for path, want in (("/api/v1/flows?limit=1", "200"), (long_path, "414")):
        out = subprocess.run([curl, "-s", "-o", "/dev/null", "-w",
                              "%{http_version} %{http_code}", "-m", "10",
                              "--http2-prior-knowledge", "-b", jar,
                              f"http://127.0.0.1:{port}{path}"],
                             stdout=subprocess.PIPE, text=True, timeout=30)
        checks.check(out.stdout == f"2 {want}",
                     f"HTTP/2 target of {len(path)} bytes: {out.stdout}")


def check_check_config(web_path, tmp, pcap, plugins, static, checks):
    """--check-config in both forms, and the start-up failures it must
    report: missing data_dir parents (created, not an error), TLS files
    that do not load and a static_dir that does not exist (warnings about
    this machine, errors with --strict), and listen entries that are
    empty or bind one port twice (errors in the file)."""
    port = free_port()
    config = write_config(tmp, pcap, port, plugins, static)
    for args in (["--check-config", config], ["-c", config,
                                                "--check-config"]):
        out = subprocess.run([web_path] + args, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=60)
        checks.check(out.returncode == 0 and
                     out.stdout == f"{config}: valid\n",
                     f"vigil-web {' '.join(args)}: {out.returncode} "
                     f"{out.stdout} {out.stderr}")

    with open(config) as f:
        text = f.read()

    def variant(name, old, new):
        path = os.path.join(tmp, f"check-{name}.yaml")
        assert old in text, old
        with open(path, "w") as f:
            f.write(text.replace(old, new))
        return path

    def position(path, key):
        """Line and column of <key>'s value, as a YAML loader counts."""
        with open(path) as f:
            for number, line in enumerate(f, 1):
                if line.startswith(f"  {key}:"):
                    column = line.index(":") + 1
                    while line[column] == " ":
                        column += 1
                    return number, column + 1
        raise AssertionError(f"{key} not in {path}")

    def run(path, start=False, strict=False):
        """--check-config, or a start that must fail within 10 s."""
        args = ["-c", path] if start else ["-c", path, "--check-config"]
        if strict:
            args.append("--strict")
        proc = subprocess.Popen([web_path] + args, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            stop(proc)
            out, err = proc.communicate()
            return subprocess.CompletedProcess(args, None, out, err)
        return subprocess.CompletedProcess(args, proc.returncode, out, err)

    # data_dir: missing parents are created, with the folder's own mode.
    data = os.path.join(tmp, "state", "deeper", "web")
    path = variant("data-dir", f"data_dir: {tmp}/web-data",
                   f"data_dir: {data}")
    out = run(path)
    checks.check(out.returncode == 0, f"data_dir with missing parents: "
                 f"{out.stdout} {out.stderr}")
    out = subprocess.run([web_path, "-c", path, "--set-password", "other"],
                         input="other-password-1\n", text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=60)
    checks.check(out.returncode == 0 and os.path.isdir(data) and
                 (os.stat(data).st_mode & 0o777) == 0o700,
                 f"data_dir created with its parents: {out.stdout}")

    bad_pem = os.path.join(tmp, "not-a-certificate.pem")
    with open(bad_pem, "w") as f:
        f.write("not a certificate\n")
    missing = os.path.join(tmp, "missing.pem")
    # A file without the execute bit, where a folder is expected.
    static_file = os.path.join(static, "index.html")
    os.chmod(static_file, 0o644)
    tls = f"  static_dir: {static}\n"
    data_line = f"data_dir: {tmp}/web-data"
    # Each case: name, text replaced, replacement, the key whose value the
    # message points at (None: listen's second entry), the message, and
    # whether it is a warning about this machine or an error in the file.
    cases = [
        ("cert-missing", tls, tls + f"  tls_certificate: {missing}\n"
         f"  tls_key: {missing}\n", "tls_certificate",
         f"web.tls_certificate: cannot read '{missing}': "
         "No such file or directory", "machine"),
        ("cert-garbage", tls, tls + f"  tls_certificate: {bad_pem}\n"
         f"  tls_key: {bad_pem}\n", "tls_certificate",
         f"web.tls_certificate: '{bad_pem}' cannot be loaded: "
         "PEM routines: no start line", "machine"),
        ("static-missing", f"static_dir: {static}",
         f"static_dir: {tmp}/no-such-ui", "static_dir",
         f"web.static_dir: cannot read '{tmp}/no-such-ui': "
         "No such file or directory", "machine"),
        ("static-file", f"static_dir: {static}",
         f"static_dir: {static_file}", "static_dir",
         f"web.static_dir: '{static_file}' is a regular file, "
         "not a directory", "machine"),
        ("listen-twice", f'listen: ["127.0.0.1:{port}"]',
         f'listen: ["127.0.0.1:{port}", "127.0.0.1:{port}"]', None,
         f"web.listen[1]: '127.0.0.1:{port}' is listed twice "
         "(also listen[0])", "error"),
        ("listen-empty", f'listen: ["127.0.0.1:{port}"]', "listen: []",
         "listen", "web.listen: the list is empty, so vigil-web would "
         "listen nowhere; give at least one ADDRESS:PORT such as "
         "127.0.0.1:8443", "error"),
        ("data-dir-proc", data_line, "data_dir: /proc/vigil", "data_dir",
         "web.data_dir: '/proc/vigil' is under /proc, which is not for "
         "ordinary files; choose a path on a disk or tmpfs", "error"),
        ("data-dir-device", data_line, "data_dir: /dev/null", "data_dir",
         "web.data_dir: '/dev/null' is a character device; give a "
         "directory", "error"),
        ("password-nul", f'admin_password: "{ADMIN_PASSWORD}"',
         'admin_password: "a\\0bcdefghijkl"', "admin_password",
         "web.admin_password: contains a NUL byte; remove it", "error"),
    ]
    # Both TLS files are missing there: a warning each.
    warning_counts = {"cert-missing": 2}
    for name, old, new, key, message, kind in cases:
        machine = kind == "machine"
        warnings = warning_counts.get(name, 1)
        plural = "s" if warnings > 1 else ""
        path = variant(name, old, new)
        if key is not None:
            line, column = position(path, key)
        else:
            # The second entry of the list is the one named twice.
            line = position(path, "listen")[0]
            with open(path) as f:
                row = f.read().splitlines()[line - 1]
            column = row.index('"', row.index(", ")) + 1
        want = f"vigil-web: {path}:{line}:{column}: {message}"
        warning = want.replace("vigil-web: ", "vigil-web: warning: ", 1)
        out = run(path)
        if machine:
            checks.check(out.returncode == 0 and
                         out.stdout == f"{path}: valid, but not on this "
                                       f"machine ({warnings} warning"
                                       f"{plural})\n" and
                         out.stderr.startswith(warning) and
                         out.stderr.count("\n") == warnings,
                         f"--check-config {name}: {out.returncode} "
                         f"{out.stdout!r} {out.stderr.strip()!r}, expected "
                         f"{warning!r}")
            out = run(path, strict=True)
            checks.check(out.returncode == 1 and out.stdout == "" and
                         out.stderr.startswith(warning) and
                         out.stderr.endswith(
                             f"vigil-web: {path}: not valid on this machine "
                             f"({warnings} warning{plural}, --strict)\n"),
                         f"--check-config --strict {name}: {out.returncode} "
                         f"{out.stderr.strip()!r}")
        else:
            checks.check(out.returncode == 1 and out.stdout == "" and
                         out.stderr.startswith(want),
                         f"--check-config {name}: {out.returncode} "
                         f"{out.stderr.strip()!r}, expected {want!r}")
        # Starting fails with the same message, before listening.
        out = run(path, start=True)
        checks.check(out.returncode == 1 and want in out.stderr and
                     "(null)" not in out.stderr,
                     f"start with {name}: {out.returncode} "
                     f"{out.stderr.strip()!r}")
    # --set-password writes web.data_dir too, and checks it first.
    path = variant("set-password-proc", data_line, "data_dir: /proc/vigil")
    line, column = position(path, "data_dir")
    out = subprocess.run([web_path, "-c", path, "--set-password", "other"],
                         input="other-password-1\n", text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=60)
    want = (f"vigil-web: {path}:{line}:{column}: web.data_dir: "
            "'/proc/vigil' is under /proc, which is not for ordinary files; "
            "choose a path on a disk or tmpfs\n")
    checks.check(out.returncode == 1 and out.stdout == "" and
                 out.stderr == want,
                 f"--set-password with data_dir in /proc: {out.returncode} "
                 f"{out.stdout!r} {out.stderr!r}, expected {want!r}")


PAGE_PLUGIN_MANIFEST = ('return { title = "Test", description = "Test", '
                        'author = "vigil", version = "1.0", '
                        'dependencies = {} }\n')


def write_page_plugins(root):
    """A plugin group with a menu that does not compile and one with
    pages that work, fail and loop."""
    broken = os.path.join(root, "test", "broken_menu")
    pager = os.path.join(root, "test", "pager")
    for plugin in (broken, pager):
        os.makedirs(os.path.join(plugin, "web_gui"))
        with open(os.path.join(plugin, "manifest.lua"), "w") as f:
            f.write(PAGE_PLUGIN_MANIFEST)
    files = {
        (broken, "menu.lua"): 'return { label = "Broken" page = "p.lua" }\n',
        (broken, "p.lua"): 'return { title = "p", blocks = {} }\n',
        (pager, "menu.lua"):
            'return { label = "Pager", page = "ok.lua", sort_order = 5 }\n',
        (pager, "ok.lua"):
            'return { title = "ok", blocks = { { type = "text", '
            'text = "fine" } } }\n',
        (pager, "err.lua"):
            'return { title = "err", render = function(data) '
            'error("page broke") end }\n',
        (pager, "loop.lua"):
            'return { title = "loop", render = function(data) '
            'while true do end end }\n',
        # A bare list of blocks, without the page table around it.
        (pager, "bare.lua"):
            'return { title = "bare", render = function(data) '
            'return { { type = "text", text = "lost" } } end }\n',
        # Twenty strings of 60000 bytes, each within the 64 KiB limit of
        # a string, make a page over the 1 MiB limit of a page.
        (pager, "big.lua"):
            'return { title = "big", render = function(data) '
            'local text = string.rep("x", 60000) local blocks = {} '
            'for i = 1, 20 do blocks[i] = { type = "text", text = text } end '
            'return { title = "big", blocks = blocks } end }\n',
    }
    for (plugin, name), body in files.items():
        with open(os.path.join(plugin, "web_gui", name), "w") as f:
            f.write(body)


def page_error_rows(source_root):
    """The rows of the error table of GET /api/v1/plugins/{plugin}/pages/
    {page} in docs/api.md, as (status, error code, when)."""
    with open(os.path.join(source_root, "docs", "api.md")) as f:
        text = f.read()
    section = text[text.index("### GET /api/v1/plugins/{plugin}/pages/"):]
    section = section[:section.index("\n## ")]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].isdigit():
            rows.append((int(cells[0]), cells[1].strip("`"), cells[2]))
    return rows


def check_documented(rows, status, doc, case_name, checks):
    """Check that the one row of <rows> that quotes the message of <doc>
    gives the status and error code that the server sent with it."""
    quoting = [r for r in rows if f"`{doc.get('message')}`" in r[2]]
    checks.check([(r[0], r[1]) for r in quoting] ==
                 [(status, doc.get("error"))],
                 f"{case_name}: docs/api.md rows quoting "
                 f"{doc.get('message')!r}: {quoting}, expected one with "
                 f"{status} {doc.get('error')}")


def check_plugin_pages(web_path, tmp, pcap, source_root, static, checks):
    """The menu lists every plugin page and every broken menu; pages
    render, and a failing or looping page gets the error docs/api.md
    gives it."""
    root = os.path.join(tmp, "page-plugins")
    shutil.copytree(os.path.join(source_root, "plugins", "examples"),
                    os.path.join(root, "examples"))
    write_page_plugins(root)
    port = free_port()
    config = write_config(tmp, pcap, port, root, static)
    with open(os.path.join(tmp, "web-pages.log"), "w") as log:
        web = start([web_path, "-c", config], log)
        try:
            c = Client(port)
            wait_for("vigil-web with page plugins to listen",
                     lambda: c.login("admin", ADMIN_PASSWORD)[0] == 200)
            s, d, _ = c.get("/api/v1/plugins/pages")
            pages = [(p["plugin"], p["page"]) for p in d.get("pages", [])]
            checks.check(s == 200 and pages == [("pager", "ok"),
                                                ("example", "example")],
                         f"plugin pages: {s} {pages}")
            errors = d.get("errors") or []
            checks.check(len(errors) == 1 and
                         errors[0].get("plugin") == "broken_menu" and
                         errors[0].get("message", "").startswith(
                             "web_gui/menu.lua:1:"),
                         f"plugin page errors: {errors}")

            s, d, _ = c.get("/api/v1/plugins/pager/pages/ok")
            checks.check(s == 200 and d.get("title") == "ok" and
                         d.get("blocks") == [{"type": "text",
                                              "text": "fine"}],
                         f"page ok: {s} {d}")
            s, d, _ = c.get("/api/v1/plugins/example/pages/example")
            checks.check(s == 200 and isinstance(d.get("title"), str) and
                         d.get("plugin") == "example" and
                         isinstance(d.get("blocks"), list),
                         f"example page: {s} {str(d)[:200]}")
            s, d, _ = c.get("/api/v1/plugins/pager/pages/err")
            checks.check(s == 502 and d.get("error") == "plugin_page_error"
                         and "page broke" in d.get("message", ""),
                         f"page raising an error: {s} {d}")
            s, d, _ = c.get("/api/v1/plugins/pager/pages/bare")
            checks.check(s == 502 and d.get("error") == "plugin_page_error"
                         and "render returned a list" in d.get("message", ""),
                         f"page returning a bare list: {s} {d}")
            start_time = time.time()
            s, d, _ = c.get("/api/v1/plugins/pager/pages/loop")
            took = time.time() - start_time
            # The sandbox stops it after the 1 s page budget, before
            # vigil-web's 5 s deadline. The sandbox and this client time it
            # with different clocks from different starts, so 0.1 s less
            # is allowed.
            checks.check(s == 504 and
                         d.get("error") == "plugin_page_timeout" and
                         "web_gui/loop.lua:1:" in d.get("message", "") and
                         0.9 <= took < 4.5,
                         f"looping page: {s} {d} in {took:.1f} s")
            s, d, _ = c.get("/api/v1/plugins/pager/pages/missing")
            checks.check(s == 404 and d.get("error") == "not_found",
                         f"missing page: {s} {d}")
            # A page over 1 MiB is the page's own error, as a page over
            # the other limits is; docs/api.md must give the same code.
            s, d, _ = c.get("/api/v1/plugins/pager/pages/big")
            checks.check(s == 502 and d == {
                "error": "plugin_page_error",
                "message": "the page is larger than 1048576 bytes"},
                f"page over 1 MiB: {s} {d}")
            check_documented(page_error_rows(source_root), s, d,
                             "page over 1 MiB", checks)
        finally:
            stop(web)

    # A sandbox that writes more than 1 MiB is killed. The process
    # failed, not the page, because the sandbox rejects a larger page
    # before it writes anything.
    flood = os.path.join(tmp, "flood-sandbox.sh")
    with open(flood, "w") as f:
        f.write("#!/bin/sh\nhead -c 2000000 /dev/zero | tr '\\0' x\n")
    os.chmod(flood, 0o755)
    port = free_port()
    config = write_config(tmp, pcap, port, root, static)
    with open(config) as f:
        text = f.read()
    with open(config, "w") as f:
        f.write(text.replace("plugins:\n",
                             f"plugins:\n  sandbox_path: {flood}\n", 1))
    with open(os.path.join(tmp, "web-flood.log"), "w") as log:
        web = start([web_path, "-c", config], log)
        try:
            c = Client(port)
            wait_for("vigil-web with a flooding sandbox to listen",
                     lambda: c.login("admin", ADMIN_PASSWORD)[0] == 200)
            s, d, _ = c.get("/api/v1/plugins/pager/pages/ok")
            checks.check(s == 502 and d == {
                "error": "plugin_page_failed",
                "message": "the page sandbox wrote more than 1048576 bytes "
                           "to its standard output"},
                f"sandbox writing over 1 MiB: {s} {d}")
            check_documented(page_error_rows(source_root), s, d,
                             "sandbox writing over 1 MiB", checks)
        finally:
            stop(web)


def check_http2(port, checks):
    curl = shutil.which("curl")
    if curl is None:
        print("NOTE: curl not found, HTTP/2 cleartext not checked")
        return
    out = subprocess.run([curl, "-s", "-o", "/dev/null", "-w",
                          "%{http_version} %{http_code}",
                          "--http2-prior-knowledge",
                          f"http://127.0.0.1:{port}/api/v1/flows"],
                         stdout=subprocess.PIPE, text=True, timeout=30)
    checks.check(out.stdout == "2 401", f"HTTP/2 cleartext: {out.stdout}")


# ---- HTTP/2 by hand ----

def h2_frame(frame_type, flags, stream, payload=b""):
    return (len(payload).to_bytes(3, "big") + bytes([frame_type, flags]) +
            stream.to_bytes(4, "big") + payload)


def hpack_literal(name, value):
    """A header as HPACK's literal without indexing, new name, no
    Huffman coding (RFC 7541 section 6.2.2)."""
    out = b"\x00"
    for text in (name.encode(), value.encode()):
        assert len(text) < 127
        out += bytes([len(text)]) + text
    return out


def h2_exchange(port, headers, body):
    """Send one request on stream 1 of a cleartext HTTP/2 connection and
    read until the stream or the connection ends. Returns the events
    seen: ("status", first byte of the response header block), ("body",
    bytes), ("rst_stream", code), ("goaway", code) or ("eof",)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    block = b"".join(hpack_literal(n, v) for n, v in headers)
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0) +
                 h2_frame(1, 0x4, 1, block) + h2_frame(0, 0x1, 1, body))
    events = []
    data = b""
    pending = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                events.append(("eof",))
                break
            pending += chunk
            ended = False
            while len(pending) >= 9:
                length = int.from_bytes(pending[:3], "big")
                if len(pending) < 9 + length:
                    break
                frame_type, flags = pending[3], pending[4]
                stream = int.from_bytes(pending[5:9], "big") & 0x7fffffff
                payload = pending[9:9 + length]
                pending = pending[9 + length:]
                if frame_type == 4 and not flags & 0x1:
                    sock.sendall(h2_frame(4, 0x1, 0))
                elif frame_type == 1 and stream == 1:
                    events.append(("status", payload[0]))
                    ended = ended or bool(flags & 0x1)
                elif frame_type == 0 and stream == 1:
                    data += payload
                    ended = ended or bool(flags & 0x1)
                elif frame_type == 3 and stream == 1:
                    events.append(("rst_stream",
                                   int.from_bytes(payload, "big")))
                    ended = True
                elif frame_type == 7:
                    events.append(("goaway",
                                   int.from_bytes(payload[4:8], "big")))
                    ended = True
            if ended:
                break
    finally:
        sock.close()
    if data:
        events.append(("body", data))
    return events


def check_http2_lengths(port, checks):
    """Over HTTP/2 a body is framed by its DATA frames. h2o 2.2 checks
    Content-Length against them and resets the stream with PROTOCOL_ERROR
    (1) before vigil-web sees the request; a list value or
    Transfer-Encoding ends the connection with GOAWAY PROTOCOL_ERROR.
    HPACK index 8 (byte 0x88) is :status 200, the login succeeding."""
    body = json.dumps({"user": "admin",
                       "password": ADMIN_PASSWORD}).encode()
    size = str(len(body))
    base = [(":method", "POST"), (":scheme", "http"),
            (":path", "/api/v1/login"), (":authority", f"127.0.0.1:{port}"),
            ("content-type", "application/json")]
    protocol_error = 1
    for name, extra, want in (
            ("matching length", [("content-length", size)],
             ("status", 0x88)),
            ("no length", [], ("status", 0x88)),
            ("length over the DATA frames",
             [("content-length", str(len(body) + 10))],
             ("rst_stream", protocol_error)),
            ("length under the DATA frames", [("content-length", "5")],
             ("rst_stream", protocol_error)),
            ("two lengths, the last wrong",
             [("content-length", size), ("content-length", "5")],
             ("rst_stream", protocol_error)),
            ("a list of lengths",
             [("content-length", f"{size}, {size}")],
             ("goaway", protocol_error)),
            ("Transfer-Encoding",
             [("content-length", size), ("transfer-encoding", "chunked")],
             ("goaway", protocol_error))):
        events = h2_exchange(port, base + extra, body)
        checks.check(events[:1] == [want],
                     f"HTTP/2 {name}: {events[:2]}, expected {want}")


def check_tls(vigil_web, tmp, pcap, plugins, static, checks):
    openssl = shutil.which("openssl")
    if openssl is None:
        print("NOTE: openssl not found, TLS not checked")
        return
    cert = os.path.join(tmp, "cert.pem")
    key = os.path.join(tmp, "key.pem")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
    port = free_port()
    config = write_config(tmp, pcap, port, plugins, static,
                          f'  tls_certificate: {cert}\n  tls_key: {key}\n')
    with open(os.path.join(tmp, "web-tls.log"), "w") as log:
        web = start([vigil_web, "-c", config], log)
        try:
            ctx = ssl.create_default_context(cafile=cert)
            ctx.set_alpn_protocols(["h2", "http/1.1"])

            def alpn():
                try:
                    with socket.create_connection(("127.0.0.1", port),
                                                  timeout=5) as raw:
                        with ctx.wrap_socket(raw,
                                             server_hostname="127.0.0.1") as s:
                            return s.selected_alpn_protocol()
                except OSError:
                    return None
            checks.check(wait_for("TLS", alpn, 20) == "h2",
                         "TLS: ALPN did not pick h2")
            plain = ssl.create_default_context(cafile=cert)
            c = Client(port, plain)
            s, _, cookie = c.login("admin", ADMIN_PASSWORD)
            checks.check(s == 200 and "Secure" in (cookie or ""),
                         f"TLS login: {s} cookie {cookie}")
            s, d, _ = c.get("/api/v1/flows?limit=1")
            checks.check(s == 200 and d["total"] > 0, f"TLS flows: {s}")
            # The body length rule reads the decrypted request.
            tls_ctx = ssl.create_default_context(cafile=cert)
            tls_ctx.set_alpn_protocols(["http/1.1"])
            with socket.create_connection(("127.0.0.1", port),
                                          timeout=10) as raw:
                with tls_ctx.wrap_socket(
                        raw, server_hostname="127.0.0.1") as sock:
                    sock.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\n"
                                 b"Content-Length: 0\r\nContent-Length: 9"
                                 b"\r\nConnection: close\r\n\r\n")
                    received = b""
                    while True:
                        chunk = sock.recv(65536)
                        if not chunk:
                            break
                        received += chunk
            checks.check(received.startswith(b"HTTP/1.1 400 ") and
                         b'"error":"invalid_header"' in received,
                         f"TLS request with two Content-Length headers: "
                         f"{received[:200]}")
        finally:
            stop(web)


def check_host_series(vigil_web, tmp, pcap, plugins, static, checks):
    """A host's series list names its traffic file and one host:app series
    per file in its app folder, file names unescaped. vigil-web only looks
    for the files, so empty ones stand in for rrd files here."""
    rrd = os.path.join(tmp, "rrd")
    host = os.path.join(rrd, "host", "10.1.0.1@0")
    os.makedirs(os.path.join(host, "app"))
    for name in ("traffic.rrd", "app/TLS.rrd", "app/_other.rrd",
                 "app/a%25b.rrd", "app/notes.txt"):
        open(os.path.join(host, name), "w").close()
    port = free_port()
    config = write_config(tmp, pcap, port, plugins, static,
                          f"timeseries:\n  directory: {rrd}\n")
    with open(os.path.join(tmp, "web-series.log"), "w") as log:
        web = start([vigil_web, "-c", config], log)
        try:
            c = Client(port)
            wait_for("vigil-web with timeseries to listen",
                     lambda: c.login("admin", ADMIN_PASSWORD)[0] == 200)
            s, d, _ = c.get("/api/v1/hosts/10.1.0.1")
            got = sorted((x["schema"], x["element"])
                         for x in (d.get("series") or []))
            want = sorted([("host:traffic", "10.1.0.1@0"),
                           ("host:app", "10.1.0.1@0/TLS"),
                           ("host:app", "10.1.0.1@0/_other"),
                           ("host:app", "10.1.0.1@0/a%b")])
            checks.check(s == 200 and got == want,
                         f"host series: {s} {got}")
        finally:
            stop(web)


def check_vigild_restart(vigild_cmd, vigild, c, checks, flows, tmp):
    stop(vigild)
    s, d, _ = c.get("/api/v1/flows")
    checks.check(s == 503 and d["error"] == "vigild_unavailable",
                 f"flows with vigild down: {s} {d}")
    s, d, _ = c.get("/api/v1/interfaces")
    checks.check(s == 503, f"interfaces with vigild down: {s}")
    status, _, body = c.request("GET", "/metrics")
    checks.check(status == 200 and b"vigil_up 0\n" in body,
                 f"metrics with vigild down: {status} {body[:80]}")
    s, d, _ = c.get("/api/v1/session")
    checks.check(s == 200, "session needs no vigild")

    with open(os.path.join(tmp, "vigild-2.log"), "w") as log:
        vigild = start(vigild_cmd, log)

    def back():
        s, d, _ = c.get("/api/v1/flows?limit=1")
        return s == 200 and d["total"] == len(flows)
    try:
        wait_for("vigild to come back", back, 60)
        checks.check(True, "API recovers when vigild returns")
    except AssertionError as err:
        checks.check(False, str(err))
    return vigild


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    vigild_path, web_path, source_root = sys.argv[1:4]
    checks = vigtest.Checks()
    tmp = tempfile.mkdtemp(prefix="vigil-web-api-")
    procs = []
    try:
        pcap = os.path.join(tmp, "web.pcap")
        flows = build_capture(pcap)
        records_path = os.path.join(tmp, "records.jsonl")
        status, stderr = vigtest.run_vigild(
            vigild_path, pcap, records_path,
            ["--idle-timeout", "315360000", "--active-timeout", "0"])
        if status != 0:
            print(f"FAIL: one-shot vigild exit {status}: {stderr[-400:]}")
            return 1
        records = vigtest.read_records(records_path)

        plugins = os.path.join(tmp, "plugins")
        shutil.copytree(os.path.join(source_root, "plugins", "examples"),
                        os.path.join(plugins, "examples"))
        add_extra_scripts(plugins)
        add_listing_plugins(plugins)
        static = os.path.join(tmp, "static")
        os.makedirs(static)
        with open(os.path.join(static, "index.html"), "w") as f:
            f.write("<!doctype html><title>vigil test page</title>\n")
        with open(os.path.join(static, "app.js"), "w") as f:
            f.write("// vigil test\n" + "console.log('x');\n" * 200)
        vendor = os.path.join(static, "node_modules", "uplot", "dist")
        os.makedirs(vendor)
        with open(os.path.join(vendor, "uPlot.esm.js"), "wb") as f:
            f.write(VENDOR_JS)
        # What `npm ci` leaves beside the pages, which must stay private.
        for name in PRIVATE_STATIC:
            with open(os.path.join(static, name), "w") as f:
                f.write("{}\n")

        port = free_port()
        config = write_config(tmp, pcap, port, plugins, static)
        viewer_set = subprocess.run(
            [web_path, "-c", config, "--set-password", "viewer", "--role",
             "readonly"], input=VIEWER_PASSWORD + "\n", text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        checks.check(viewer_set.returncode == 0,
                     f"--set-password: {viewer_set.stdout}")

        vigild_cmd = [vigild_path, "-c", config]
        vigild_log = open(os.path.join(tmp, "vigild.log"), "w")
        vigild = start(vigild_cmd, vigild_log)
        procs.append(vigild)
        web_log = open(os.path.join(tmp, "web.log"), "w")
        web = start([web_path, "-c", config], web_log)
        procs.append(web)

        c = Client(port)
        wait_for("vigil-web to listen",
                 lambda: c.login("admin", ADMIN_PASSWORD)[0] == 200)
        viewer = Client(port)
        s, d, _ = viewer.login("viewer", VIEWER_PASSWORD)
        checks.check(s == 200 and d["role"] == "readonly",
                     f"viewer login: {s} {d}")
        wait_for("every flow to be active", lambda: (
            lambda r: r[0] == 200 and r[1]["total"] == len(flows))(
                c.get("/api/v1/flows?limit=1")), 60)

        check_flows(c, checks, flows, records)
        check_hosts(c, checks, flows)
        check_counters(c, checks, flows)
        check_script_states(c, checks)
        check_plugins_and_alerts(c, viewer, checks, flows,
                                 os.path.join(tmp, "alerts-copy.jsonl"))
        check_reload_broken_config(c, checks, config)
        check_loaded_log(os.path.join(tmp, "vigild.log"), checks)
        check_bad_requests(c, checks)
        check_utf8_echo(port, c, checks)
        check_methods(c, checks)
        check_control_bytes(c, checks)
        check_long_target(port, c, checks, tmp, web_log)
        check_json_bodies(port, c, checks)
        check_auth(port, c, checks)
        check_logout(port, checks)
        check_static(port, checks)
        check_static_private(port, checks)
        check_not_found(port, c, checks)
        check_request_framing(port, checks)
        check_csrf_twice(port, checks)
        check_no_server_header(port, c, checks)
        check_http2(port, checks)
        check_http2_lengths(port, checks)
        check_host_series(web_path, tmp, pcap, plugins, static, checks)
        check_plugin_pages(web_path, tmp, pcap, source_root, static, checks)
        check_check_config(web_path, tmp, pcap, plugins, static, checks)
        procs[0] = check_vigild_restart(vigild_cmd, vigild, c, checks,
                                        flows, tmp)
        check_tls(web_path, tmp, pcap, plugins, static, checks)
        check_rate_limit(port, checks, web_log)
    finally:
        for p in procs:
            stop(p)
        if checks.failed:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    checks.finish()


if __name__ == "__main__":
    sys.exit(main())
