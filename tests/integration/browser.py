#!/usr/bin/env python3
"""vigil-web's pages in headless Chromium, against a live vigild.

Builds a capture of DNS, HTTP and TLS flows (two of them with a host name
or SNI that contains markup and quotes), one UDP flow between two IPv6
hosts with long addresses, and one UDP flow that sends a packet every
50 ms for SPAN seconds. vigild replays it at the capture's own pace
with long timeouts, so every flow stays active while the browser tests
run, and the interface counters keep growing for the dashboard's chart.
A test plugin (tests/browser/plugins) marks the flows whose server name
contains MARKER, which raises one flow alert each, and declares a page in
web_gui/menu.lua. The bundled example plugin adds a second menu entry.
One script of each is disabled: ui_probe_quiet by its default_value,
example_upload by the configuration's plugins.scripts.
vigil-web serves web/ui from the source tree on a free loopback port.

The driver checks that vigild classified the capture as built, then runs
tests/browser/run.mjs (playwright-core driving /usr/bin/chromium) with
what the capture should show. Then it stops vigild and runs the tests of
that state (VIGIL_PHASE=vigild_stopped): the pages must keep to a few
requests and still show what the alert store keeps. Screenshots and logs
go to OUTPUT_DIR, which is printed.

usage: browser.py VIGILD VIGIL_WEB SOURCE_ROOT OUTPUT_DIR
Exits 77 (skipped) when Chromium, node or tests/browser/node_modules is
missing.
"""
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402
from plugin_traffic import Capture  # noqa: E402
from web_api import Client, free_port, start, stop, wait_for  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
T0 = 1_700_000_000.0
# Seconds of packet time the replay lasts; the browser tests must finish
# within it, because vigild exits (and its flows end) when the file ends.
SPAN = 300
KEEPALIVE_INTERVAL = 0.05
KEEPALIVE_PAYLOAD = 560
ADMIN_PASSWORD = "browser-admin-password-1"
MARKER = "watch"
PLUGIN = "ui_probe"
ALERT_TYPE = "ui_probe_marked_name"
# Traffic strings that would run script if a page parsed them as HTML.
# nDPI 4.2 keeps at most 79 bytes of a host name or SNI.
EVIL_HTTP_HOST = "<script>window.__vigil_xss=1</script>\"watch'.test"
EVIL_SNI = "\"><img src=x onerror=alert(2)><script>alert(3)</script>'watch"
NODE_TIMEOUT = 240
# IPv6 hosts as vigil-web writes them (compressed text): a documentation
# address with zero groups, and one of eight four-digit groups, the
# longest an IPv6 address gets (39 characters).
LONG_ADDRESSES = ["2001:db8:85a3::8a2e:370:7334",
                  "fd12:3456:789a:bcde:f012:3456:789a:bcde"]
# vigild adds a flow's traffic to its hosts' counters every 255 packets
# (and every minute), so 600 packets show in the host counters at once.
LONG_PACKETS = 600
LONG_PAYLOAD = 1200


# ---- the capture ----

def tls_client_hello(sni):
    """A TLS 1.2 ClientHello record with one cipher suite and the SNI."""
    name = sni.encode()
    server_name = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    extensions = struct.pack("!HH", 0, len(server_name)) + server_name
    body = (b"\x03\x03" + bytes(32) + b"\x00" +
            struct.pack("!H", 4) + b"\x13\x01\xc0\x2f" + b"\x01\x00" +
            struct.pack("!H", len(extensions)) + extensions)
    handshake = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(handshake)) + handshake


# A ServerHelloDone record: enough of a reply for nDPI to settle on TLS.
TLS_SERVER_REPLY = b"\x16\x03\x03\x00\x04\x0e\x00\x00\x00"
# nDPI 4.2 keeps dissecting a TLS flow that has shown no certificate, so
# vigild ends detection only after flows.detection_packets.tcp (80)
# packets, and only then copies the SNI. Application data records in both directions get each
# TLS flow past that budget.
TLS_RECORDS_EACH_WAY = 45
TLS_APP_DATA = b"\x17\x03\x03\x00\x20" + bytes(32)
HTTP_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nServer: t\r\n\r\n"


def build_capture(path):
    """Write the capture; return what it contains: flows (each with l7 and
    server_name as built), the marked server names and the keepalive
    flow's bit rate."""
    cap = Capture()
    flows = []
    t = T0
    for i in range(5):
        client = f"10.1.0.{10 + i}"
        cap.dns(t, client, 41000 + i, "10.9.0.53", f"host-{i}.lan.test",
                100 + i)
        flows.append({"l7": "DNS", "server_name": f"host-{i}.lan.test"})
        t += 0.01
    http_hosts = [f"www-{i}.web.test" for i in range(3)] + [EVIL_HTTP_HOST]
    for i, host in enumerate(http_hosts):
        request = (f"GET / HTTP/1.1\r\nHost: {host}\r\n"
                   "User-Agent: vigil-browser-test\r\n\r\n").encode()
        cap.session(t, f"10.1.1.{10 + i}", 42000 + i, "10.9.0.80", 80,
                    c2s=[request], s2c=[HTTP_REPLY], close=False)
        flows.append({"l7": "HTTP", "server_name": host})
        t += 0.01
    snis = [f"api-{i}.tls.test" for i in range(3)] + \
        [f"login.{MARKER}.test", EVIL_SNI]
    for i, sni in enumerate(snis):
        data = [TLS_APP_DATA] * TLS_RECORDS_EACH_WAY
        cap.session(t, f"10.1.2.{10 + i}", 43000 + i, "10.9.0.44", 443,
                    c2s=[tls_client_hello(sni)] + data,
                    s2c=[TLS_SERVER_REPLY] + data, close=False)
        flows.append({"l7": "TLS", "server_name": sni})
        t += 0.2

    # One UDP flow between two IPv6 hosts whose addresses are long as
    # text, large enough to put both among the dashboard's top hosts.
    for n in range(LONG_PACKETS):
        l4 = g.udp(LONG_ADDRESSES[0], 40600, LONG_ADDRESSES[1], 9998,
                   b"v" * LONG_PAYLOAD)
        cap.frames.append((t + n * 0.001,
                           g.packet(LONG_ADDRESSES[0], LONG_ADDRESSES[1],
                                    17, l4)))
    flows.append({"l7": None, "server_name": ""})

    # The keepalive flow: one packet every KEEPALIVE_INTERVAL until SPAN.
    payload = b"k" * KEEPALIVE_PAYLOAD
    frame_len = 0
    for n in range(int(SPAN / KEEPALIVE_INTERVAL)):
        l4 = g.udp("10.1.3.1", 40500, "10.9.0.99", 9999, payload)
        frame = g.packet("10.1.3.1", "10.9.0.99", 17, l4)
        frame_len = len(frame)
        cap.frames.append((T0 + n * KEEPALIVE_INTERVAL, frame))
    flows.append({"l7": None, "server_name": ""})
    cap.write(path)
    marked = sorted(f["server_name"] for f in flows
                    if f["l7"] in ("HTTP", "TLS") and
                    MARKER in f["server_name"])
    return {"flows": flows, "marked": marked,
            "keepalive_bps": frame_len * 8 / KEEPALIVE_INTERVAL}


# ---- processes ----

def write_config(tmp, pcap, port, plugins, static):
    path = os.path.join(tmp, "vigil.yaml")
    with open(path, "w") as f:
        f.write(f"""
capture:
  # Small bursts keep the port's byte counter close to the paced replay.
  burst: 4
  ports:
    - pcap: {pcap}
      pace: true
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
    example_upload:
      enabled: false
alerts:
  database: {tmp}/alerts.db
web:
  listen: ["127.0.0.1:{port}"]
  vigild_socket: {tmp}/api.sock
  data_dir: {tmp}/web-data
  static_dir: {static}
  admin_password: "{ADMIN_PASSWORD}"
log:
  level: info
  status_interval: 0
""")
    return path


def missing_tools(source_root):
    """Why the browser tests cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} not found (apt-get install chromium)"
    if shutil.which("node") is None:
        return "node not found (apt-get install nodejs)"
    modules = os.path.join(source_root, "tests", "browser", "node_modules",
                           "playwright-core")
    if not os.path.isdir(modules):
        return f"{modules} not found (run 'npm ci' in tests/browser)"
    return None


def wait_ready(c, built):
    """Wait until vigild shows every flow as built (L7 protocol and server
    name, which vigild reads when detection ends) and the plugin's alerts;
    raise AssertionError with what it showed last."""
    want = sorted((f["l7"] or "Unknown", f["server_name"])
                  for f in built["flows"])
    deadline = time.monotonic() + 60
    seen = None
    while seen != want:
        if time.monotonic() > deadline:
            raise AssertionError(f"flows differ from the capture: {seen} "
                                 f"!= {want}")
        time.sleep(0.2)
        s, d, _ = c.get("/api/v1/flows?limit=1000")
        if s == 200:
            seen = sorted((f["l7"], f["server_name"]) for f in d["flows"])
    marked = len(built["marked"])
    wait_for(f"{marked} flow alerts", lambda: (
        lambda r: r[0] == 200 and r[1]["total"] == marked)(
            c.get("/api/v1/alerts?state=flow&limit=1")), 60)


def run_browser_tests(source_root, output, expect_path, phase=""):
    script = os.path.join(source_root, "tests", "browser", "run.mjs")
    env = dict(os.environ, VIGIL_EXPECT=expect_path, VIGIL_PHASE=phase)
    proc = subprocess.run(["node", script], env=env, timeout=NODE_TIMEOUT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace")
    sys.stdout.write(proc.stdout)
    log = f"node-{phase}.log" if phase else "node.log"
    with open(os.path.join(output, log), "w") as f:
        f.write(proc.stdout)
    return proc.returncode


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    vigild_path, web_path, source_root, output = sys.argv[1:5]
    reason = missing_tools(source_root)
    if reason:
        vigtest.skip(reason)
    uplot = os.path.join(source_root, "web", "ui", "node_modules", "uplot")
    if not os.path.isdir(uplot):
        print(f"FAIL: {uplot} not found: run 'npm ci' in web/ui so the "
              "dashboard's charts can draw")
        return 1

    shutil.rmtree(output, ignore_errors=True)
    os.makedirs(output)
    print(f"screenshots and logs: {output}", flush=True)
    started = time.monotonic()
    # Unix socket paths must stay under 108 bytes: keep them in /tmp.
    tmp = tempfile.mkdtemp(prefix="vigil-browser-")
    procs = []
    status = 1
    try:
        pcap = os.path.join(tmp, "browser.pcap")
        built = build_capture(pcap)
        # The test plugin, and the bundled example for a second menu entry.
        plugins = os.path.join(tmp, "plugins")
        shutil.copytree(os.path.join(source_root, "tests", "browser",
                                     "plugins"), plugins)
        shutil.copytree(os.path.join(source_root, "plugins", "examples"),
                        os.path.join(plugins, "examples"))
        menus = [os.path.basename(os.path.dirname(os.path.dirname(p)))
                 for p in glob.glob(os.path.join(plugins, "*", "*", "web_gui",
                                                 "menu.lua"))]
        port = free_port()
        config = write_config(tmp, pcap, port, plugins,
                              os.path.join(source_root, "web", "ui"))

        vigild_log = open(os.path.join(output, "vigild.log"), "w")
        procs.append(start([vigild_path, "-c", config], vigild_log))
        web_log = open(os.path.join(output, "web.log"), "w")
        procs.append(start([web_path, "-c", config], web_log))

        c = Client(port)
        wait_for("vigil-web to listen",
                 lambda: c.login("admin", ADMIN_PASSWORD)[0] == 200)
        wait_ready(c, built)
        print(f"vigild and vigil-web ready after "
              f"{time.monotonic() - started:.1f} s", flush=True)

        expect = {
            "url": f"http://127.0.0.1:{port}",
            "user": "admin",
            "password": ADMIN_PASSWORD,
            "output": output,
            "chromium": CHROMIUM,
            "t0": T0,
            "span": SPAN,
            "flows_total": len(built["flows"]),
            "l7": "TLS",
            "l7_names": sorted(f["server_name"] for f in built["flows"]
                               if f["l7"] == "TLS"),
            "marked": built["marked"],
            "alert_type": ALERT_TYPE,
            "plugin": PLUGIN,
            "page": "overview",
            "menu_label": "UI probe",
            "menu_plugins": sorted(menus),
            "evil_http_host": EVIL_HTTP_HOST,
            "evil_sni": EVIL_SNI,
            "keepalive_bps": built["keepalive_bps"],
            "long_addresses": LONG_ADDRESSES,
            # What the plugins page shows in each script's State cell.
            "script_states": {
                "ui_probe_mark": "enabled (script default)",
                "ui_probe_quiet": "disabled (script default)",
                "example_upload": "disabled (plugins.scripts)",
                "example_watch": "enabled (script default)",
            },
        }
        expect_path = os.path.join(output, "expect.json")
        with open(expect_path, "w") as f:
            json.dump(expect, f, indent=1)
        status = run_browser_tests(source_root, output, expect_path)
        if procs[0].poll() is not None:
            print(f"FAIL: vigild exited ({procs[0].returncode}) before the "
                  "tests ended; see vigild.log")
            status = 1
        if status == 0:
            stop(procs[0])
            wait_for("vigil-web to report vigild unavailable", lambda: (
                lambda r: r[0] == 503 and r[1]["error"] ==
                "vigild_unavailable")(c.get("/api/v1/interfaces")))
            status = run_browser_tests(source_root, output, expect_path,
                                       "vigild_stopped")
    except (AssertionError, subprocess.TimeoutExpired) as err:
        print(f"FAIL: {err}")
        status = 1
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"browser tests {'passed' if status == 0 else 'failed'} in "
          f"{time.monotonic() - started:.1f} s; output in {output}")
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
