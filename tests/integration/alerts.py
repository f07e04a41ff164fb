#!/usr/bin/env python3
"""vigild's alert store, noise control and endpoints, end to end.

The test plugin in tests/integration/alerts/tests/alert_test raises one
flow alert (test_flow_alert) for every flow, engages test_host_alert for
the client of a flow to port 5001, and engages and releases it for the
client of a flow to port 5002. UDP flows are given up by nDPI after two
packets (flows.detection_packets.udp: 2), so each request and response
reaches the plugin while the replay runs.

Cases, one per meson test:
  kill       kill -9 of vigild during a paced replay, then a restart on the
             same database: integrity, every committed alert kept, engaged
             alerts engaged again and releasable; then a start with
             engaged_grace: 1 releases the rest as unconfirmed.
  storm      every flow alerts: retention limits hold, endpoint queues stay
             bounded with their drops counted, and capture counts the same
             packets and flows as without plugins.
  endpoints  webhook, syslog (UDP, TCP, Unix socket) and SMTP receivers on
             127.0.0.1: every alert once and in order, severity and type
             filters, and no loss when the receiver starts late.
  fifo       a file endpoint on a FIFO: a reader that opens it late gets
             every alert, and with no reader vigild still stops, counting
             the alerts as dropped.
  noise      dedup window merging and exclusions (config, control socket,
             kept in the database), asserted on rows, and errors in the
             alerts section of the config file.
  details    details that are a JSON array (the plugin in
             tests/integration/alerts_details) reach the database, a file
             endpoint and alerts_output as the same wrapping object,
             {"value": [...]}, with a warning naming the plugin and alert.

usage: alerts.py VIGILD SOURCE_ROOT CASE
"""
import http.server
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

T0 = 1_700_000_000.0
SERVER = "10.9.0.1"
HERE = os.path.dirname(os.path.abspath(__file__))
PLUGINS = os.path.join(HERE, "alerts")
DETAILS_PLUGINS = os.path.join(HERE, "alerts_details")


def exchange(client, sport, port, t, payload=b"alert test"):
    """One UDP request and its response: a flow the plugin receives at once."""
    return [(t, g.packet(client, SERVER, 17,
                         g.udp(client, sport, SERVER, port, payload))),
            (t + 0.001, g.packet(SERVER, client, 17,
                                 g.udp(SERVER, port, client, sport,
                                       payload.upper())))]


def write_config(tmp, name, pcap, pace=False, alerts="", extra="",
                 plugins=PLUGINS):
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n"
                f"      pace: {'true' if pace else 'false'}\n"
                f"flows:\n  output: {os.path.join(tmp, name + '.jsonl')}\n"
                f"  idle_timeout: 600\n"
                f"  detection_packets: {{udp: 2}}\n"
                f"plugins:\n  directories: [{plugins}]\n"
                f"  alerts_output: {os.path.join(tmp, name + '.alerts.jsonl')}\n"
                f"{extra}"
                f"alerts:\n{alerts}")
    return path


def run(vigild, config, stats, timeout=180):
    proc = subprocess.run([vigild, "-c", config, "--stats", stats],
                          stderr=subprocess.PIPE, text=True, timeout=timeout,
                          errors="replace")
    return proc.returncode, proc.stderr


def rows(db, sql, args=()):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def final_counters(stderr):
    """Return the store counters vigild logs when it stops."""
    m = re.search(r"alert store stopped counters=(\{.*\})", stderr)
    return json.loads(m.group(1)) if m else None


def endpoint_counters(stderr, name):
    m = re.search(r"endpoint=%s kind=\w+ delivered=(\d+) failed=(\d+) "
                  r"retried=(\d+) dropped=(\d+)" % re.escape(name), stderr)
    if not m:
        return None
    return dict(zip(("delivered", "failed", "retried", "dropped"),
                    map(int, m.groups())))


# ---- kill -9 and restart ----------------------------------------------


def kill_case(vigild, tmp, checks):
    db = os.path.join(tmp, "kill.db")
    frames = []
    # 40 hosts engage a host alert, one every 0.5 s, each with a flow to
    # port 6000 as well: a 20-second paced replay.
    for i in range(40):
        client = f"10.20.0.{i + 1}"
        frames += exchange(client, 41000, 5001, T0 + i * 0.5)
        frames += exchange(client, 42000, 6000, T0 + i * 0.5 + 0.1)
    frames.sort(key=lambda f: f[0])
    pcap = os.path.join(tmp, "kill.pcap")
    g.write_pcap(pcap, frames)
    alerts = f"  database: {db}\n  dedup_window: 0\n"
    config = write_config(tmp, "kill", pcap, pace=True, alerts=alerts)
    proc = subprocess.Popen([vigild, "-c", config], stderr=subprocess.DEVNULL)
    engaged = past = []
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.2)
        if not os.path.exists(db):
            continue
        try:
            engaged = rows(db, "SELECT entity_value, alert_type, first_us,"
                           " count FROM engaged_alerts")
            past = rows(db, "SELECT id, entity_value, alert_type, first_us,"
                        " count FROM past_alerts")
        except sqlite3.OperationalError:
            continue
        if len(engaged) >= 12:
            break
    proc.kill()
    proc.wait()
    print(f"kill: before the kill engaged={len(engaged)} past={len(past)}")
    if not checks.check(len(engaged) >= 12 and len(past) >= 12,
                        f"kill: too few alerts before the kill: "
                        f"{len(engaged)} engaged, {len(past)} past"):
        return

    # The restart releases the first five engaged hosts (trigger, then
    # release, from flows to port 5002) and leaves the others engaged.
    released_hosts = sorted(v for v, _, _, _ in engaged)[:5]
    frames = []
    for n, value in enumerate(released_hosts):
        frames += exchange(value.split("@")[0], 43000, 5002, T0 + 100 + n)
    pcap2 = os.path.join(tmp, "restart.pcap")
    g.write_pcap(pcap2, frames)
    config2 = write_config(tmp, "restart", pcap2, alerts=alerts)
    status, stderr = run(vigild, config2, os.path.join(tmp, "restart.stats"))
    checks.check(status == 0, f"kill: restart exit {status}: {stderr[-600:]}")
    m = re.search(r"reloaded engaged=(\d+)", stderr)
    checks.check(m is not None and int(m.group(1)) >= len(engaged),
                 f"kill: reloaded line {m and m.group(0)}, expected at "
                 f"least {len(engaged)}")

    check = rows(db, "PRAGMA integrity_check")
    checks.check(check == [("ok",)], f"kill: integrity_check {check}")
    after_past = {r[0]: r for r in rows(
        db, "SELECT id, entity_value, alert_type, first_us, count FROM"
        " past_alerts")}
    for row in past:
        kept = after_past.get(row[0])
        checks.check(kept is not None and kept[1:4] == row[1:4] and
                     kept[4] >= row[4],
                     f"kill: past alert {row} became {kept}")
    after_engaged = {(v, t): (f, c) for v, t, f, c in rows(
        db, "SELECT entity_value, alert_type, first_us, count FROM"
        " engaged_alerts")}
    released = {(v, t): (f, c, reason) for v, t, f, c, reason in rows(
        db, "SELECT entity_value, alert_type, first_us, count,"
        " release_reason FROM past_alerts WHERE entity = 2")}
    for value, kind, first, count in engaged:
        key = (value, kind)
        if value in released_hosts:
            got = released.get(key)
            # The trigger after the restart merged into the reloaded row
            # (count + 1), and the release moved that row to the past.
            checks.check(got == (first, count + 1, "release"),
                         f"kill: {key} released as {got}, expected "
                         f"{(first, count + 1, 'release')}")
            checks.check(key not in after_engaged,
                         f"kill: {key} still engaged after its release")
        else:
            checks.check(after_engaged.get(key, (None,))[0] == first,
                         f"kill: {key} not engaged again after the "
                         f"restart: {after_engaged.get(key)}")
    print(f"kill: after the restart engaged={len(after_engaged)} "
          f"past={len(after_past)} released={len(released)}")
    grace_case(vigild, tmp, db, after_engaged, checks)


def grace_case(vigild, tmp, db, engaged, checks):
    """A start with engaged_grace: 1 and a 4-second replay that raises no
    host alert releases every reloaded engaged alert as unconfirmed."""
    frames = []
    for i in range(5):
        frames += exchange("10.21.0.1", 44000 + i, 6000, T0 + 200 + i)
    pcap = os.path.join(tmp, "grace.pcap")
    g.write_pcap(pcap, frames)
    alerts = f"  database: {db}\n  engaged_grace: 1\n"
    config = write_config(tmp, "grace", pcap, pace=True, alerts=alerts)
    status, stderr = run(vigild, config, os.path.join(tmp, "grace.stats"))
    checks.check(status == 0, f"grace: exit {status}: {stderr[-600:]}")
    left = rows(db, "SELECT count(*) FROM engaged_alerts")[0][0]
    checks.check(left == 0, f"grace: {left} alerts still engaged")
    unconfirmed = {(v, t): f for v, t, f in rows(
        db, "SELECT entity_value, alert_type, first_us FROM past_alerts"
        " WHERE release_reason = 'unconfirmed'")}
    checks.check(unconfirmed == {k: v[0] for k, v in engaged.items()},
                 f"grace: released as unconfirmed {sorted(unconfirmed)}, "
                 f"expected {sorted(engaged)}")
    store = final_counters(stderr)
    checks.check(store is not None and
                 store["unconfirmed_released"] == len(engaged),
                 f"grace: counters {store}")


def sandbox_restart_case(vigild, tmp, checks):
    """A reload restarts the sandbox, whose new process has forgotten the
    host alerts the old one engaged. Client B's alert is raised again
    within engaged_grace and stays engaged; client A's is not, and is
    released as unconfirmed while vigild runs."""
    a, b = "10.45.0.1", "10.45.0.2"
    frames = (exchange(a, 45001, 5001, T0) + exchange(b, 45002, 5001, T0)
              + exchange(b, 45003, 5001, T0 + 2.5)
              + exchange("10.45.0.3", 45004, 6000, T0 + 10))
    pcap = os.path.join(tmp, "restart.pcap")
    g.write_pcap(pcap, frames)
    db = os.path.join(tmp, "restart.db")
    alerts = f"  database: {db}\n  engaged_grace: 4\n"
    config = write_config(tmp, "restart", pcap, pace=True, alerts=alerts)
    proc = subprocess.Popen([vigild, "-c", config, "--stats",
                             os.path.join(tmp, "restart.stats")],
                            stderr=subprocess.PIPE, text=True,
                            errors="replace")
    lines = []
    both = threading.Event()

    def read():
        for line in proc.stderr:
            lines.append(line)
            if sum("alert trigger type=test_host_alert" in x
                   for x in lines) >= 2:
                both.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        engaged = both.wait(8)
        checks.check(engaged, "sandbox_restart: the two host alerts were "
                     "not triggered within 8 s")
        if engaged:
            proc.send_signal(signal.SIGHUP)
        status = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    stderr = "".join(lines)
    checks.check(status == 0, f"sandbox_restart: exit {status}: "
                 f"{stderr[-600:]}")
    checks.check("sandbox=0 restarted: engaged=2 alerts it raised" in stderr,
                 f"sandbox_restart: no line marking the 2 engaged alerts: "
                 f"{stderr[-1500:]}")
    still = {v: n for v, n in rows(
        db, "SELECT entity_value, count FROM engaged_alerts")}
    checks.check(still == {f"{b}@0": 2},
                 f"sandbox_restart: engaged at exit {still}, expected "
                 f"{b}@0 raised twice")
    released = rows(db, "SELECT entity_value FROM past_alerts"
                    " WHERE release_reason = 'unconfirmed'")
    checks.check(released == [(f"{a}@0",)],
                 f"sandbox_restart: released as unconfirmed {released}, "
                 f"expected {a}@0")
    store = final_counters(stderr)
    checks.check(store is not None and store["unconfirmed_released"] == 1,
                 f"sandbox_restart: counters {store}")
    print(f"sandbox_restart: engaged {still}, released {released}")


# ---- storm --------------------------------------------------------------


def storm_case(vigild, tmp, checks):
    flows = 3000
    frames = []
    for i in range(flows):
        client = f"10.30.{i // 250}.{i % 250 + 1}"
        frames += exchange(client, 40000 + i % 20000, 6000, T0 + i * 0.001)
    pcap = os.path.join(tmp, "storm.pcap")
    g.write_pcap(pcap, frames)
    base_stats = os.path.join(tmp, "storm-none.stats")
    base_flows = os.path.join(tmp, "storm-none.jsonl")
    status, stderr = vigtest.run_vigild(vigild, pcap, base_flows,
                                        ["--stats", base_stats])
    checks.check(status == 0, f"storm: run without plugins exit {status}")
    with open(base_stats) as f:
        base = json.load(f)

    db = os.path.join(tmp, "storm.db")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_port = closed.getsockname()[1]
    closed.close()
    alerts = (f"  database: {db}\n  max_rows: 500\n  dedup_window: 0\n"
              f"  endpoints:\n"
              f"    - kind: webhook\n      name: dead\n"
              f"      url: http://127.0.0.1:{dead_port}/alerts\n"
              f"      queue_size: 50\n      backoff_max_ms: 200\n"
              f"    - kind: file\n      name: file\n"
              f"      path: {os.path.join(tmp, 'storm-endpoint.jsonl')}\n"
              f"      queue_size: 100000\n")
    config = write_config(tmp, "storm", pcap, alerts=alerts)
    stats_path = os.path.join(tmp, "storm.stats")
    status, stderr = run(vigild, config, stats_path)
    checks.check(status == 0, f"storm: exit {status}: {stderr[-600:]}")
    with open(stats_path) as f:
        stats = json.load(f)
    for key in ("rx_packets", "engine_packets", "ring_full"):
        checks.check(stats.get(key) == base.get(key),
                     f"storm: {key} {stats.get(key)} with plugins, "
                     f"{base.get(key)} without")
    records = vigtest.read_records(os.path.join(tmp, "storm.jsonl"))
    base_records = vigtest.read_records(base_flows)
    checks.check(len(records) == len(base_records) == flows,
                 f"storm: {len(records)} flows with plugins, "
                 f"{len(base_records)} without, {flows} sent")

    store = final_counters(stderr)
    if not checks.check(store is not None, "storm: no store counters"):
        return
    triggered = stats["plugins"]["alerts_triggered"]
    checks.check(triggered == flows,
                 f"storm: {triggered} alerts triggered, expected {flows}")
    checks.check(store["queued"] + store["dropped"] == triggered,
                 f"storm: queued {store['queued']} + dropped "
                 f"{store['dropped']} != triggered {triggered}")
    past = rows(db, "SELECT count(*) FROM past_alerts")[0][0]
    checks.check(past <= 500, f"storm: {past} past alerts, max_rows 500")
    checks.check(past + store["retention_deleted"] == store["flow_stored"],
                 f"storm: rows {past} + deleted "
                 f"{store['retention_deleted']} != stored "
                 f"{store['flow_stored']}")
    dead = endpoint_counters(stderr, "dead")
    sink = endpoint_counters(stderr, "file")
    if checks.check(dead is not None and sink is not None,
                    "storm: endpoint counters not logged"):
        checks.check(dead["delivered"] == 0,
                     f"storm: dead webhook delivered {dead}")
        checks.check(dead["dropped"] == store["flow_stored"],
                     f"storm: dead webhook dropped {dead['dropped']}, "
                     f"expected every alert: {store['flow_stored']}")
        checks.check(dead["failed"] >= 1 and dead["retried"] >= 1,
                     f"storm: dead webhook never retried: {dead}")
        checks.check(sink["delivered"] == store["flow_stored"] and
                     sink["dropped"] == 0,
                     f"storm: file endpoint {sink}, stored "
                     f"{store['flow_stored']}")
    with open(os.path.join(tmp, "storm-endpoint.jsonl")) as f:
        lines = [json.loads(line) for line in f]
    checks.check(len(lines) == store["flow_stored"],
                 f"storm: file endpoint has {len(lines)} lines")
    print(f"storm: store {store}, webhook {dead}, file {sink}, rows {past}")


# ---- endpoints ----------------------------------------------------------


class Receiver:
    """Collects webhook bodies, UDP syslog datagrams and TCP syslog
    frames (RFC 6587 octet counting) on 127.0.0.1."""

    def __init__(self):
        self.posts = []
        self.udp = []
        self.tcp = []
        self.lock = threading.Lock()
        self.http = None
        self.stopping = False

    def start_http(self, port=0):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.posts.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                    Handler)
        t = threading.Thread(target=self.http.serve_forever, daemon=True)
        t.start()
        return self.http.server_address[1]

    def start_udp(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.2)
        self.udp_sock = sock

        def loop():
            while not self.stopping:
                try:
                    data = sock.recv(65536)
                except socket.timeout:
                    continue
                with self.lock:
                    self.udp.append(data.decode())
        threading.Thread(target=loop, daemon=True).start()
        return sock.getsockname()[1]

    def start_tcp(self, port=0):
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(4)
        server.settimeout(0.2)

        def serve(conn):
            buf = b""
            conn.settimeout(0.2)
            while not self.stopping:
                try:
                    data = conn.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                buf += data
                while b" " in buf:
                    size, rest = buf.split(b" ", 1)
                    if len(rest) < int(size):
                        break
                    with self.lock:
                        self.tcp.append(rest[:int(size)].decode())
                    buf = rest[int(size):]

        def accept():
            while not self.stopping:
                try:
                    conn, _ = server.accept()
                except socket.timeout:
                    continue
                threading.Thread(target=serve, args=(conn,),
                                 daemon=True).start()
        threading.Thread(target=accept, daemon=True).start()
        return server.getsockname()[1]

    def stop(self):
        self.stopping = True
        if self.http:
            self.http.shutdown()


class SmtpReceiver:
    """A minimal SMTP server on 127.0.0.1 that stores each message's
    envelope and body; enough for one client at a time."""

    def __init__(self):
        self.messages = []
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.server.settimeout(0.2)
        self.stopping = False
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopping:
            try:
                conn, _ = self.server.accept()
            except socket.timeout:
                continue
            self.session(conn)

    def session(self, conn):
        reader = conn.makefile("rb")
        conn.sendall(b"220 test ESMTP\r\n")
        envelope = {"from": None, "to": []}
        while True:
            line = reader.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250 test\r\n")
            elif verb == b"MAIL":
                envelope["from"] = line.decode().strip()
                conn.sendall(b"250 ok\r\n")
            elif verb == b"RCPT":
                envelope["to"].append(line.decode().strip())
                conn.sendall(b"250 ok\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go on\r\n")
                body = b""
                while not body.endswith(b"\r\n.\r\n"):
                    chunk = reader.readline()
                    if not chunk:
                        return
                    body += chunk
                self.messages.append((envelope, body.decode()))
                envelope = {"from": None, "to": []}
                conn.sendall(b"250 queued\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                conn.close()
                return
            else:
                conn.sendall(b"250 ok\r\n")

    def stop(self):
        self.stopping = True


def syslog_alert(line):
    """Parse an RFC 5424 line; return (priority, msgid, alert JSON)."""
    m = re.match(r"<(\d+)>1 \S+ \S+ vigild \d+ (\S+) - (.*)$", line, re.S)
    if not m:
        return None
    return int(m.group(1)), m.group(2), json.loads(m.group(3))


def expected_events(db):
    """Return the notifications the store must have sent, in order: flow
    alerts by id, and the engaged host alerts (none are released here)."""
    flows = [r[0] for r in rows(db, "SELECT id FROM past_alerts WHERE"
                                " entity = 1 ORDER BY id")]
    hosts = [r[0] for r in rows(db, "SELECT id FROM engaged_alerts"
                                " ORDER BY id")]
    return flows, hosts


def check_stream(name, alerts, db, checks):
    flows, hosts = expected_events(db)
    got_flows = [a["id"] for a in alerts if a["event"] == "flow"]
    got_hosts = [a["id"] for a in alerts if a["event"] == "trigger"]
    checks.check(got_flows == flows,
                 f"{name}: flow alerts {len(got_flows)} received, "
                 f"{len(flows)} stored, or out of order")
    checks.check(got_hosts == hosts,
                 f"{name}: host alerts {got_hosts} received, {hosts} stored")
    checks.check(len(alerts) == len(flows) + len(hosts),
                 f"{name}: {len(alerts)} alerts received, expected "
                 f"{len(flows) + len(hosts)}")


def endpoints_case(vigild, tmp, checks):
    frames = []
    for i in range(60):
        client = f"10.40.0.{i + 1}"
        frames += exchange(client, 41000, 5001 if i % 10 == 0 else 6000,
                           T0 + i * 0.01)
    pcap = os.path.join(tmp, "endpoints.pcap")
    g.write_pcap(pcap, frames)

    rx = Receiver()
    http_port = rx.start_http()
    udp_port = rx.start_udp()
    tcp_port = rx.start_tcp()
    filtered = Receiver()
    filtered_port = filtered.start_udp()
    smtp = SmtpReceiver()
    unix_path = os.path.join(tmp, "log.sock")
    unix_sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    unix_sock.bind(unix_path)
    unix_sock.settimeout(0.2)
    unix_lines = []
    unix_done = threading.Event()

    def read_unix():
        # A Unix datagram socket queues only a few datagrams, as
        # /dev/log does: the reader must keep up, as journald does.
        while not unix_done.is_set():
            try:
                unix_lines.append(unix_sock.recv(65536).decode())
            except socket.timeout:
                continue
    threading.Thread(target=read_unix, daemon=True).start()

    db = os.path.join(tmp, "endpoints.db")
    alerts = (f"  database: {db}\n  endpoints:\n"
              f"    - kind: webhook\n      name: hook\n"
              f"      url: http://127.0.0.1:{http_port}/alerts\n"
              f"    - kind: syslog\n      name: udp\n"
              f"      address: udp:127.0.0.1:{udp_port}\n"
              f"    - kind: syslog\n      name: tcp\n"
              f"      address: tcp:127.0.0.1:{tcp_port}\n      facility: 1\n"
              f"    - kind: syslog\n      name: errors_only\n"
              f"      address: udp:127.0.0.1:{filtered_port}\n"
              f"      min_severity: error\n"
              f"      types: [test_host_alert]\n"
              f"    - kind: email\n      name: mail\n"
              f"      url: smtp://127.0.0.1:{smtp.port}\n"
              f"      from: vigil@vigil.test\n"
              f"      to: [ops@vigil.test, oncall@vigil.test]\n"
              f"      min_severity: error\n"
              f"    - kind: syslog\n      name: unix\n"
              f"      address: unix:{unix_path}\n")
    config = write_config(tmp, "endpoints", pcap, alerts=alerts)
    status, stderr = run(vigild, config, os.path.join(tmp, "ep.stats"))
    checks.check(status == 0, f"endpoints: exit {status}: {stderr[-600:]}")
    time.sleep(0.5)
    rx.stop()
    filtered.stop()
    smtp.stop()
    unix_done.set()

    _, hosts = expected_events(db)
    check_stream("webhook", rx.posts, db, checks)
    parsed_udp = [syslog_alert(line) for line in rx.udp]
    parsed_tcp = [syslog_alert(line) for line in rx.tcp]
    checks.check(None not in parsed_udp and None not in parsed_tcp,
                 "endpoints: a syslog line is not RFC 5424")
    check_stream("syslog udp", [p[2] for p in parsed_udp if p], db, checks)
    # errors_only passes test_host_alert (severity error) and nothing else.
    only = [syslog_alert(line) for line in filtered.udp]
    checks.check([p[2]["id"] for p in only if p] == hosts,
                 f"endpoints: errors_only sent {len(only)} alerts, "
                 f"expected the {len(hosts)} host alerts")
    check_stream("syslog tcp", [p[2] for p in parsed_tcp if p], db, checks)
    # Priority = facility * 8 + severity: warning is 4, error 3.
    for pri, msgid, alert in (p for p in parsed_tcp if p):
        want = 8 + (3 if alert["type"] == "test_host_alert" else 4)
        checks.check(pri == want, f"syslog tcp: <{pri}> for {alert['type']}")
        checks.check(msgid == alert["event"], f"syslog tcp: msgid {msgid}")
    check_stream("syslog unix", [p[2] for p in map(syslog_alert, unix_lines)
                                 if p], db, checks)
    # The e-mail endpoint passes severity error and up: the host alerts.
    mails = [json.loads(body.split("\r\n\r\n", 1)[1].rsplit("\r\n.\r\n",
                                                            1)[0])
             for _, body in smtp.messages]
    checks.check([m["id"] for m in mails] == hosts,
                 f"email: {len(mails)} messages, expected {len(hosts)}")
    for envelope, body in smtp.messages:
        checks.check(envelope["from"] == "MAIL FROM:<vigil@vigil.test>" and
                     envelope["to"] == ["RCPT TO:<ops@vigil.test>",
                                        "RCPT TO:<oncall@vigil.test>"],
                     f"email: envelope {envelope}")
        checks.check("\r\nSubject: vigil error alert trigger: "
                     "test_host_alert 10.40.0." in body,
                     f"email: subject in {body[:300]!r}")
    for name in ("hook", "udp", "tcp", "mail", "unix"):
        c = endpoint_counters(stderr, name)
        checks.check(c is not None and c["dropped"] == 0 and
                     c["failed"] == 0, f"endpoints: {name} counters {c}")
    print(f"endpoints: webhook {len(rx.posts)}, udp {len(rx.udp)}, "
          f"tcp {len(rx.tcp)} alerts received")
    late_case(vigild, tmp, checks)


def late_case(vigild, tmp, checks):
    """Receivers that start after the first alerts: nothing queued is
    lost."""
    frames = []
    for i in range(30):
        frames += exchange(f"10.41.0.{i + 1}", 41000, 6000, T0 + i * 0.2)
    pcap = os.path.join(tmp, "late.pcap")
    g.write_pcap(pcap, frames)

    ports = []
    for _ in range(2):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        ports.append(s.getsockname()[1])
        s.close()
    db = os.path.join(tmp, "late.db")
    alerts = (f"  database: {db}\n  endpoints:\n"
              f"    - kind: webhook\n      name: hook\n"
              f"      url: http://127.0.0.1:{ports[0]}/alerts\n"
              f"      backoff_max_ms: 400\n      timeout_ms: 1000\n"
              f"    - kind: syslog\n      name: tcp\n"
              f"      address: tcp:127.0.0.1:{ports[1]}\n"
              f"      backoff_max_ms: 400\n")
    config = write_config(tmp, "late", pcap, pace=True, alerts=alerts)

    proc = subprocess.Popen([vigild, "-c", config], stderr=subprocess.PIPE,
                            text=True, errors="replace")
    # The receivers start once alerts are stored and have been refused.
    deadline = time.time() + 30
    while time.time() < deadline:
        time.sleep(0.1)
        try:
            if rows(db, "SELECT count(*) FROM past_alerts")[0][0] >= 5:
                break
        except sqlite3.Error:
            continue
    time.sleep(1)
    rx = Receiver()
    rx.start_http(ports[0])
    rx.start_tcp(ports[1])

    _, stderr = proc.communicate(timeout=120)
    checks.check(proc.returncode == 0, f"late: exit {proc.returncode}")
    time.sleep(0.5)
    rx.stop()
    check_stream("late webhook", rx.posts, db, checks)
    check_stream("late syslog tcp",
                 [p[2] for p in map(syslog_alert, rx.tcp) if p], db, checks)
    for name in ("hook", "tcp"):
        c = endpoint_counters(stderr, name)
        checks.check(c is not None and c["dropped"] == 0 and
                     c["retried"] >= 1,
                     f"late: {name} counters {c} (expected retries and no "
                     f"drops)")
        print(f"late: {name} {c}")


# ---- file endpoint on a FIFO -------------------------------------------


class FifoReader(threading.Thread):
    """Opens a FIFO for reading once <ready>() is true; reads it to EOF."""

    def __init__(self, path, ready):
        super().__init__(daemon=True)
        self.path = path
        self.ready = ready
        self.data = b""

    def run(self):
        while not self.ready():
            time.sleep(0.1)
        with open(self.path, "rb") as f:
            self.data = f.read()


def stored_alerts(db):
    try:
        return rows(db, "SELECT count(*) FROM past_alerts")[0][0]
    except sqlite3.Error:
        return 0


def fifo_case(vigild, tmp, checks):
    """A file endpoint on a FIFO. vigild waits for a reader without
    blocking a thread in open(2) and logs it, and a late reader gets every
    queued alert. With no reader at all, vigild still stops and counts
    the alerts as dropped."""
    frames = []
    for i in range(30):
        frames += exchange(f"10.42.0.{i + 1}", 42000,
                           5001 if i % 10 == 0 else 6000, T0 + i * 0.2)
    pcap = os.path.join(tmp, "fifo.pcap")
    g.write_pcap(pcap, frames)

    # A reader that opens the FIFO once five alerts are stored.
    fifo = os.path.join(tmp, "late.fifo")
    os.mkfifo(fifo)
    db = os.path.join(tmp, "fifo-late.db")
    alerts = (f"  database: {db}\n  endpoints:\n"
              f"    - kind: file\n      name: pipe\n      path: {fifo}\n")
    config = write_config(tmp, "fifo-late", pcap, pace=True, alerts=alerts)
    reader = FifoReader(fifo, lambda: stored_alerts(db) >= 5)
    reader.start()
    status, stderr = run(vigild, config, os.path.join(tmp, "late.stats"),
                         timeout=120)
    reader.join(timeout=10)
    checks.check(status == 0, f"fifo late: exit {status}: {stderr[-600:]}")
    waiting = f"endpoint=pipe kind=file waiting for a reader on FIFO {fifo}"
    checks.check(waiting in stderr,
                 f"fifo late: no log line containing {waiting!r}")
    lines = reader.data.decode("utf-8", "replace").splitlines()
    check_stream("fifo late", [json.loads(line) for line in lines], db,
                 checks)
    c = endpoint_counters(stderr, "pipe")
    checks.check(c is not None and c["dropped"] == 0 and c["failed"] == 0
                 and c["delivered"] == len(lines),
                 f"fifo late: counters {c}, {len(lines)} lines read "
                 f"(expected all delivered, none failed or dropped)")
    print(f"fifo late: {len(lines)} alerts read, counters {c}")

    # No reader ever: the stop gives up after its 3 s drain time.
    fifo = os.path.join(tmp, "none.fifo")
    os.mkfifo(fifo)
    db = os.path.join(tmp, "fifo-none.db")
    alerts = (f"  database: {db}\n  endpoints:\n"
              f"    - kind: file\n      name: pipe\n      path: {fifo}\n"
              f"      queue_size: 8\n")
    config = write_config(tmp, "fifo-none", pcap, alerts=alerts)
    started = time.monotonic()
    try:
        status, stderr = run(vigild, config, os.path.join(tmp, "none.stats"),
                             timeout=60)
    except subprocess.TimeoutExpired:
        checks.check(False, "fifo none: vigild still running after 60 s")
        return
    elapsed = time.monotonic() - started
    checks.check(status == 0, f"fifo none: exit {status}: {stderr[-600:]}")
    flows, hosts = expected_events(db)
    c = endpoint_counters(stderr, "pipe")
    checks.check(c is not None and c["delivered"] == 0 and
                 c["failed"] == 0 and
                 c["dropped"] == len(flows) + len(hosts),
                 f"fifo none: counters {c}, expected "
                 f"{len(flows) + len(hosts)} dropped and nothing failed")
    print(f"fifo none: stopped after {elapsed:.1f} s, counters {c}")


# ---- noise control -----------------------------------------------------


def noise_capture(path, start=T0):
    frames = []
    # Excluded by host, by network, and (host alert only) by host and type.
    frames += exchange("10.7.0.1", 40001, 5001, start)
    frames += exchange("10.8.3.4", 40002, 5001, start + 0.1)
    frames += exchange("10.7.0.2", 40003, 5001, start + 0.2)
    # A host alert engaged and released five times within five seconds.
    for k in range(5):
        frames += exchange("10.7.0.5", 41000 + k, 5002, start + 1 + k)
    # The same flow key twice, 20 s apart: the first flow ends idle.
    frames += exchange("10.7.0.6", 45000, 6000, start + 1)
    frames += exchange("10.7.0.6", 45000, 6000, start + 21)
    # Later packets move packet time on, so the idle flow is expired.
    for k in range(5):
        frames += exchange(f"10.7.1.{k + 2}", 46000, 6000, start + 10 + 2 * k)
    frames.sort(key=lambda f: f[0])
    g.write_pcap(path, frames)


def noise_run(vigild, tmp, name, window, checks):
    pcap = os.path.join(tmp, name + ".pcap")
    noise_capture(pcap)
    db = os.path.join(tmp, name + ".db")
    alerts = (f"  database: {db}\n  dedup_window: {window}\n"
              f"  exclude:\n    hosts: [10.7.0.1]\n"
              f"    networks: [10.8.0.0/16]\n"
              f"    host_types:\n"
              f"      - {{host: 10.7.0.2, type: test_host_alert}}\n")
    config = write_config(tmp, name, pcap, alerts=alerts)
    with open(config) as f:
        text = f.read().replace("idle_timeout: 600", "idle_timeout: 5")
    with open(config, "w") as f:
        f.write(text)
    status, stderr = run(vigild, config, os.path.join(tmp, name + ".stats"))
    checks.check(status == 0, f"{name}: exit {status}: {stderr[-600:]}")
    return db, stderr


BAD_CONFIGS = [
    # (alerts section, expected message after "FILE:")
    ("  endpoints:\n    - kind: webhook\n",
     "10:7: alerts.endpoints[0]: a webhook needs url: http://... or "
     "https://..."),
    ("  exclude:\n    networks: [10.1.2.3/8]\n",
     "10:16: alerts.exclude.networks[0]: '10.1.2.3/8': host bits are set "
     "after the prefix"),
    ("  endpoints:\n    - kind: syslog\n      url: http://127.0.0.1/\n",
     "10:7: alerts.endpoints[0]: url applies to webhook and email "
     "endpoints only"),
    ("  endpoints:\n    - kind: file\n      min_severity: loud\n      "
     "path: /tmp/x\n",
     "11:21: alerts.endpoints[0].min_severity: expected none, info, notice, "
     "warning, error or critical, got loud"),
    # 99999 would wrap to port 34463.
    ("  endpoints:\n    - kind: syslog\n      address: udp:127.0.0.1:99999\n",
     "10:7: alerts.endpoints[0]: address 'udp:127.0.0.1:99999': the port is "
     "not in 1..65535; expected udp:HOST:PORT or tcp:HOST:PORT with a port "
     "of 1..65535"),
    ("  endpoints:\n    - kind: syslog\n      address: udp::514\n",
     "10:7: alerts.endpoints[0]: address 'udp::514': the host is empty; "
     "expected udp:HOST:PORT or tcp:HOST:PORT with a port of 1..65535"),
    ("  endpoints:\n    - kind: syslog\n      address: tcp:127.0.0.1:abc\n",
     "10:7: alerts.endpoints[0]: address 'tcp:127.0.0.1:abc': the port is "
     "not a number; expected udp:HOST:PORT or tcp:HOST:PORT with a port of "
     "1..65535"),
    ("  endpoints:\n    - kind: webhook\n      url: 'http://'\n",
     "10:7: alerts.endpoints[0]: url 'http://': the host is empty"),
    ("  endpoints:\n    - kind: email\n      url: smtp://mail:0\n"
     "      from: a@example.org\n      to: [b@example.org]\n",
     "10:7: alerts.endpoints[0]: url 'smtp://mail:0': the port is not in "
     "1..65535"),
]


def config_errors(vigild, tmp, checks):
    """The alerts section is checked like the rest of the file."""
    # An empty capture: the port must name a real one.
    capture = os.path.join(tmp, "empty.pcap")
    g.write_pcap(capture, [])
    for n, (section, expected) in enumerate(BAD_CONFIGS):
        path = os.path.join(tmp, f"bad{n}.yaml")
        with open(path, "w") as f:
            f.write(f"capture:\n  ports:\n    - pcap: {capture}\n"
                    f"flows:\n  idle_timeout: 600\n"
                    f"plugins:\n  directories: [{PLUGINS}]\n"
                    f"alerts:\n{section}")
        proc = subprocess.run([vigild, "--check-config", path],
                              stderr=subprocess.PIPE, text=True, timeout=30)
        checks.check(proc.returncode != 0 and
                     f"{path}:{expected}" in proc.stderr,
                     f"config {n}: expected '{expected}', got "
                     f"{proc.stderr.strip()!r}")


def noise_case(vigild, tmp, checks):
    config_errors(vigild, tmp, checks)
    for window, merged in ((3600, True), (0, False)):
        name = f"noise{window}"
        db, stderr = noise_run(vigild, tmp, name, window, checks)
        everything = rows(db, "SELECT entity_value FROM past_alerts UNION"
                          " ALL SELECT entity_value FROM engaged_alerts")
        for excluded in ("10.7.0.1", "10.8.3.4"):
            hits = [v for (v,) in everything if excluded + ":" in v or
                    v.startswith(excluded + "@")]
            checks.check(not hits, f"{name}: alerts for excluded "
                         f"{excluded}: {hits}")
        host2 = rows(db, "SELECT count(*) FROM engaged_alerts WHERE"
                     " entity_value = '10.7.0.2@0'")[0][0]
        flow2 = rows(db, "SELECT count(*) FROM past_alerts WHERE"
                     " client_ip = '10.7.0.2' AND entity = 1")[0][0]
        checks.check(host2 == 0, f"{name}: host-type exclusion let "
                     f"{host2} host alerts through")
        checks.check(flow2 == 1, f"{name}: {flow2} flow alerts for "
                     f"10.7.0.2, expected 1 (the type is not excluded)")
        flapping = rows(db, "SELECT count, release_reason FROM past_alerts"
                        " WHERE entity = 2 AND entity_value = '10.7.0.5@0'")
        repeated = rows(db, "SELECT count FROM past_alerts WHERE"
                        " entity = 1 AND client_ip = '10.7.0.6'")
        if merged:
            checks.check(flapping == [(5, "release")],
                         f"{name}: flapping host rows {flapping}, "
                         f"expected one row with count 5")
            checks.check(repeated == [(2,)],
                         f"{name}: repeated flow rows {repeated}, "
                         f"expected one row with count 2")
        else:
            checks.check(flapping == [(1, "release")] * 5,
                         f"{name}: flapping host rows {flapping}, "
                         f"expected five rows")
            checks.check(repeated == [(1,), (1,)],
                         f"{name}: repeated flow rows {repeated}")
        store = final_counters(stderr)
        # 10.7.0.1 and 10.8.3.4 lose a flow and a host alert each,
        # 10.7.0.2 its host alert.
        checks.check(store is not None and store["excluded"] == 5,
                     f"{name}: excluded counter {store}")
        print(f"{name}: flapping {flapping}, repeated {repeated}")
    control_case(vigild, tmp, checks)


def command(reader, conn, line):
    conn.sendall(line.encode() + b"\n")
    return reader.readline().strip()


def control_case(vigild, tmp, checks):
    """Exclusions through the control socket apply at once and are kept
    in the database for the next start."""
    frames = exchange("10.7.1.1", 40000, 6000, T0)
    for k in range(4):
        frames += exchange("10.7.0.9", 40100 + k, 5001, T0 + 4 + k * 0.1)
        frames += exchange("10.7.0.10", 40200 + k, 5001, T0 + 4 + k * 0.1)
    # The replay runs for ten seconds, so the commands below find vigild.
    frames += exchange("10.7.1.1", 40001, 6000, T0 + 10)
    pcap = os.path.join(tmp, "control.pcap")
    g.write_pcap(pcap, frames)
    db = os.path.join(tmp, "control.db")
    sock = os.path.join(tmp, "vigild.sock")
    alerts = f"  database: {db}\n"
    extra = f"control:\n  socket: {sock}\n"
    config = write_config(tmp, "control", pcap, pace=True, alerts=alerts,
                          extra=extra)

    proc = subprocess.Popen([vigild, "-c", config], stderr=subprocess.PIPE,
                            text=True, errors="replace")
    deadline = time.time() + 20
    while not os.path.exists(sock) and time.time() < deadline:
        time.sleep(0.05)
    conn = socket.socket(socket.AF_UNIX)
    conn.connect(sock)
    reader = conn.makefile("r")

    checks.check(command(reader, conn, "exclude host 10.7.0.9") == "ok",
                 "control: exclude host")
    checks.check(command(reader, conn, "exclude host 10.7.0.10") == "ok",
                 "control: exclude second host")
    checks.check(command(reader, conn, "unexclude host 10.7.0.10") == "ok",
                 "control: unexclude")
    checks.check(command(reader, conn, "unexclude host 10.7.0.10") ==
                 "error: no such exclusion", "control: unexclude twice")
    checks.check(command(reader, conn, "exclude network 10.7.0.0/8") ==
                 "error: host bits are set after the prefix (in 'network "
                 "10.7.0.0/8')", "control: bad network accepted")
    checks.check(command(reader, conn, "exclude host 999.1.1.1") ==
                 "error: invalid address (in 'host 999.1.1.1')",
                 "control: bad address not named")
    for verb in ("exclude", "unexclude"):
        checks.check(command(reader, conn, verb) ==
                     "error: expected host ADDRESS, network ADDRESS/PREFIX "
                     "or host-type ADDRESS TYPE",
                     f"control: {verb} without arguments")
    listed = json.loads(command(reader, conn, "exclusions"))
    checks.check(listed == [{"kind": "host", "value": "10.7.0.9",
                             "type": ""}], f"control: exclusions {listed}")
    time.sleep(6)
    engaged = json.loads(command(reader, conn, "alerts engaged"))
    values = sorted(a["entity_value"] for a in engaged["alerts"])
    checks.check(engaged["total"] == 1 and values == ["10.7.0.10@0"],
                 f"control: engaged {engaged}")
    stats = json.loads(command(reader, conn, "stats"))
    # Four flow alerts and one host alert (the sandbox sends a trigger of
    # an alert it has engaged only once) for 10.7.0.9.
    checks.check(stats.get("alerts", {}).get("excluded") == 5,
                 f"control: excluded counter {stats.get('alerts')}")
    conn.close()

    _, stderr = proc.communicate(timeout=60)
    checks.check(proc.returncode == 0, f"control: exit {proc.returncode}")
    hits = rows(db, "SELECT count(*) FROM past_alerts WHERE client_ip ="
                " '10.7.0.9'")[0][0]
    checks.check(hits == 0, f"control: {hits} flow alerts for the "
                 f"excluded host")
    stored = rows(db, "SELECT kind, value, alert_type FROM exclusions")
    checks.check(stored == [("host", "10.7.0.9", "")],
                 f"control: stored exclusions {stored}")

    # The next start applies the stored rule without any command.
    config2 = write_config(tmp, "control2", pcap, alerts=alerts)
    status, stderr = run(vigild, config2, os.path.join(tmp, "c2.stats"))
    store = final_counters(stderr)
    checks.check(status == 0 and store is not None and
                 store["excluded"] == 5,
                 f"control: second start excluded {store}")


# ---- details that are not a JSON object --------------------------------


def details_case(vigild, tmp, checks):
    """The details_test plugin sends, for the client of each flow to port
    5003, the sequence {client, port} (a JSON array) with
    test_array_details and the table {client =, port =} with
    test_object_details. Every output must hold the array wrapped as
    {"value": [...]} and the object as it is."""
    clients = ["10.43.0.1", "10.43.0.2"]
    frames = []
    for i, client in enumerate(clients):
        frames += exchange(client, 43000 + i, 5003, T0 + i * 0.1)
    pcap = os.path.join(tmp, "details.pcap")
    g.write_pcap(pcap, frames)
    expected = {}
    for client in clients:
        value = f"{client}@0"
        expected[("test_array_details", value)] = {"value": [client, 5003]}
        expected[("test_object_details", value)] = {"client": client,
                                                    "port": 5003}

    db = os.path.join(tmp, "details.db")
    endpoint = os.path.join(tmp, "details.endpoint.jsonl")
    alerts = (f"  database: {db}\n  endpoints:\n"
              f"    - kind: file\n      name: file\n      path: {endpoint}\n")
    config = write_config(tmp, "details", pcap, alerts=alerts,
                          plugins=DETAILS_PLUGINS)
    status, stderr = run(vigild, config, os.path.join(tmp, "details.stats"))
    checks.check(status == 0, f"details: exit {status}: {stderr[-600:]}")

    stored = {(t, v): json.loads(d) for t, v, d in rows(
        db, "SELECT alert_type, entity_value, details FROM engaged_alerts")}
    checks.check(stored == expected,
                 f"details: database holds {stored}, expected {expected}")

    outputs = {"alerts_output": os.path.join(tmp, "details.alerts.jsonl"),
               "file endpoint": endpoint}
    for name, path in outputs.items():
        got = {}
        with open(path, "rb") as f:
            for number, line in enumerate(f, 1):
                try:
                    record = json.loads(line.decode("utf-8"))
                except ValueError as e:
                    checks.check(False, f"details: {name} line {number} "
                                 f"is not JSON in UTF-8 ({e}): {line!r}")
                    continue
                value = record.get("value", record.get("entity_value"))
                got[(record["type"], value)] = record["details"]
        checks.check(got == expected,
                     f"details: {name} holds {got}, expected {expected}")

    warning = ("plugin=details_test alert=test_array_details details "
               "are not a JSON object")
    checks.check(warning in stderr,
                 f"details: no log line containing {warning!r}")
    with open(os.path.join(tmp, "details.stats")) as f:
        wrapped = json.load(f)["plugins"]["details_wrapped"]
    checks.check(wrapped == len(clients),
                 f"details: details_wrapped={wrapped}, expected "
                 f"{len(clients)}, one per array alert")
    warnings = stderr.count("details are not a JSON object")
    checks.check(warnings == len(clients),
                 f"details: {warnings} warnings logged, expected "
                 f"{len(clients)}, one per array alert")
    print(f"details: {len(expected)} alerts checked in 3 outputs")


def flow_id_case(vigild, tmp, checks):
    """Two engine lcores: the flows of the second have ids past 2^53. Every
    output must give a flow alert's id as the same decimal string, which
    the database stores as a number."""
    frames = []
    for i in range(40):
        frames += exchange(f"10.44.0.{i + 1}", 44000 + i, 6000, T0 + i * 0.01)
    pcap = os.path.join(tmp, "flow_id.pcap")
    g.write_pcap(pcap, frames)
    db = os.path.join(tmp, "flow_id.db")
    endpoint = os.path.join(tmp, "flow_id.endpoint.jsonl")
    alerts = (f"  database: {db}\n  endpoints:\n"
              f"    - kind: file\n      name: file\n      path: {endpoint}\n")
    config = write_config(tmp, "flow_id", pcap, alerts=alerts,
                          extra="lcores:\n  engine: [1, 1]\n")
    status, stderr = run(vigild, config, os.path.join(tmp, "flow_id.stats"))
    checks.check(status == 0, f"flow_id: exit {status}: {stderr[-600:]}")

    stored = sorted(str(r[0]) for r in rows(
        db, "SELECT flow_id FROM past_alerts WHERE entity = 1"))
    checks.check(len(stored) == 40,
                 f"flow_id: {len(stored)} flow alerts stored, expected 40")
    big = [i for i in stored if int(i) >= 1 << 53]
    checks.check(0 < len(big) < len(stored),
                 f"flow_id: {len(big)} of {len(stored)} ids past 2^53; the "
                 "flows did not spread over both engine lcores")
    outputs = {"alerts_output": os.path.join(tmp, "flow_id.alerts.jsonl"),
               "file endpoint": endpoint}
    for name, path in outputs.items():
        with open(path, encoding="utf-8") as f:
            records = [json.loads(line) for line in f if line.strip()]
        ids = [r["flow_id"] for r in records if "flow_id" in r]
        kinds = sorted({type(i).__name__ for i in ids})
        checks.check(kinds == ["str"],
                     f"flow_id: {name} gives flow_id as {kinds}, expected "
                     "strings")
        checks.check(sorted(map(str, ids)) == stored,
                     f"flow_id: {name} ids {sorted(map(str, ids))[:4]}... "
                     f"differ from the database's {stored[:4]}...")
    print(f"flow_id: {len(stored)} flow alerts, {len(big)} ids past 2^53, "
          "compared in 3 outputs")


def main():
    vigild, source_root, case = sys.argv[1], sys.argv[2], sys.argv[3]
    sandbox = os.path.join(os.path.dirname(os.path.dirname(vigild)),
                           "sandbox", "vigil-sandbox")
    if not os.path.exists(sandbox):
        vigtest.skip(f"vigil-sandbox not built at {sandbox}")
    checks = vigtest.Checks()
    cases = {"kill": kill_case, "storm": storm_case,
             "endpoints": endpoints_case, "noise": noise_case,
             "fifo": fifo_case, "details": details_case,
             "flow_id": flow_id_case,
             "sandbox_restart": sandbox_restart_case}
    with tempfile.TemporaryDirectory(prefix="vigil-alerts-") as tmp:
        os.chmod(tmp, 0o755)
        cases[case](vigild, tmp, checks)
    checks.finish()


if __name__ == "__main__":
    main()
