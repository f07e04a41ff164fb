#!/usr/bin/env python3
"""vigild with plugin sandboxes, end to end.

1. The example plugin (plugins/examples/example) on a capture built here:
   exactly the UDP flows to its watched port (5000) get the status
   example_watched_flow with score 50, and each raises one flow alert.
2. Hostile plugins, each alone beside a well-behaved marker plugin: the
   flow records, statuses and score aside, are the same as without
   plugins; what each case must leave in the counters is asserted; the
   marker plugin still marks its flows unless its sandbox was killed.
3. SIGKILL of the sandbox during a paced replay: a new sandbox is running
   within a second, and capture loses nothing.

usage: plugins.py VIGILD SOURCE_ROOT
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

T0 = 1_700_000_000.0
WATCHED_PORT = 5000
MARKED_PORT = 6000


def build_capture(path, flows=40):
    """Write <flows> UDP exchanges to each of ports 5000, 5001 and 6000,
    plus DNS; return the expected number of flows per server port."""
    frames = []
    t = 0.0
    counts = {}
    for i in range(flows):
        for port in (WATCHED_PORT, WATCHED_PORT + 1, MARKED_PORT):
            client = f"10.1.{i // 200}.{i % 200 + 1}"
            server = "10.9.0.1"
            payload = b"vigil plugin test %d" % i
            frames.append((T0 + t, g.packet(client, server, 17,
                           g.udp(client, 40000 + i, server, port, payload))))
            frames.append((T0 + t + 0.001, g.packet(server, client, 17,
                           g.udp(server, port, client, 40000 + i,
                                 payload.upper()))))
            counts[port] = counts.get(port, 0) + 1
            t += 0.01
        query = g.packet("10.1.0.1", "10.9.0.53", 17,
                         g.udp("10.1.0.1", 30000 + i, "10.9.0.53", 53,
                               g.dns_query(i, "www.example.org")))
        frames.append((T0 + t, query))
        t += 0.01
    frames.sort(key=lambda f: f[0])
    g.write_pcap(path, frames)
    return counts


def write_plugin(root, name, flow_script, statuses=(), alerts=()):
    """Create plugins/<root>/tests/<name> with one flow script."""
    base = os.path.join(root, "tests", name)
    os.makedirs(os.path.join(base, "user_scripts", "flow"))
    with open(os.path.join(base, "manifest.lua"), "w") as f:
        f.write('return { title = "%s", description = "test plugin", '
                'author = "vigil tests", version = "1.0", '
                'dependencies = {} }\n' % name)
    if statuses:
        os.makedirs(os.path.join(base, "status_definitions"))
        for key in statuses:
            with open(os.path.join(base, "status_definitions",
                                   key + ".lua"), "w") as f:
                f.write('return { key = "%s", title = "%s", '
                        'description = "test status", score = 10 }\n'
                        % (key, key))
    if alerts:
        os.makedirs(os.path.join(base, "alert_definitions"))
        for key in alerts:
            with open(os.path.join(base, "alert_definitions",
                                   key + ".lua"), "w") as f:
                f.write('return { key = "%s", title = "%s", '
                        'description = "test alert", severity = "notice" }\n'
                        % (key, key))
    with open(os.path.join(base, "user_scripts", "flow", name + ".lua"),
              "w") as f:
        f.write(flow_script)


MARKER = """
return {
  key = "marker",
  hooks = {
    protocolDetected = function(flow)
      if flow.server_port == %d then flow:setStatus("marker_seen", 10) end
    end,
  },
}
""" % MARKED_PORT


def hostile(body, hook="protocolDetected"):
    return """
return {
  key = "hostile",
  hooks = { %s = function(flow)
%s
  end },
}
""" % (hook, body)


HOSTILE = {
    # name: (flow script, expectation on the plugins counters)
    # The interpreter's instruction-count hook ends this one in the sandbox.
    "endless_loop": (hostile("while true do end"), "errors"),
    # One C call that backtracks for ages: no Lua instruction runs, so only
    # vigild's deadline can stop it, by killing the sandbox.
    "endless_c_call": (hostile("string.find(string.rep('a', 40), "
                               "string.rep('a*', 40) .. 'b')"), "killed"),
    "memory_bomb": (hostile("local t = {} for i = 1, 1e9 do "
                            "t[i] = string.rep('x', 1024) .. i end"),
                    "errors"),
    "os_execute": (hostile("os.execute('touch /tmp/vigil-pwned')"),
                   "errors"),
    "io_open": (hostile("local f = io.open('/etc/passwd') "
                        "flow:setStatus('leak', 1)"), "errors"),
    "require_ffi": (hostile("local ffi = require('ffi')"), "errors"),
    "bytecode": (hostile("local f = load(string.dump(function() "
                         "return 1 end)) f()"), "errors"),
    "errors_everywhere": ("""
local function boom() error("boom") end
return { key = "hostile", hooks = { protocolDetected = boom,
  statusChanged = boom, periodicUpdate = boom, flowEnd = boom } }
""", "errors"),
    "deep_recursion": (hostile("local function r(n) return r(n + 1) + 1 "
                               "end r(1)"), "errors"),
    "alert_flood": (hostile("for i = 1, 1000000 do alerts.trigger("
                            "'flood_alert', {entity = 'host', value = "
                            "'10.0.0.' .. (i %% 250), details = {i = i}}) "
                            "end"), "any"),
}


def strip(records):
    out = []
    for r in records:
        r = dict(r)
        r.pop("statuses", None)
        r.pop("score", None)
        out.append(json.dumps(r, sort_keys=True))
    return sorted(out)


def run(vigild, pcap, tmp, name, plugins=None, extra=()):
    flows = os.path.join(tmp, name + ".jsonl")
    stats = os.path.join(tmp, name + ".stats.json")
    alerts = os.path.join(tmp, name + ".alerts.jsonl")
    args = ["--stats", stats, *extra]
    if plugins:
        args += ["--plugins", plugins, "--alerts", alerts]
    status, stderr = vigtest.run_vigild(vigild, pcap, flows, args,
                                        timeout=240)
    with open(stats) as f:
        counters = json.load(f)
    records = vigtest.read_records(flows)
    alert_lines = []
    if os.path.exists(alerts):
        with open(alerts) as f:
            alert_lines = [json.loads(line) for line in f]
    return status, stderr, records, counters, alert_lines


def example_root(source_root, tmp):
    """A plugin directory holding the example plugin alone, without the
    bundled plugins beside it in the source tree."""
    root = os.path.join(tmp, "plugins-example")
    if not os.path.isdir(root):
        shutil.copytree(os.path.join(source_root, "plugins", "examples"),
                        os.path.join(root, "examples"))
    return root


def example_case(vigild, source_root, pcap, counts, tmp, checks):
    plugins = example_root(source_root, tmp)
    status, stderr, records, counters, alerts = run(
        vigild, pcap, tmp, "example", plugins)
    checks.check(status == 0, f"example: exit {status}: {stderr[-400:]}")
    watched = [r for r in records if r.get("server_port") == WATCHED_PORT]
    others = [r for r in records if r.get("server_port") != WATCHED_PORT]
    checks.check(len(watched) == counts[WATCHED_PORT],
                 f"example: {len(watched)} flows to port {WATCHED_PORT}")
    for r in watched:
        checks.check(r["statuses"] == ["example_watched_flow"] and
                     r["score"] == 50,
                     f"example: watched flow without its status: {r}")
    for r in others:
        checks.check(r["statuses"] == [] and r["score"] == 0,
                     f"example: status on an unwatched flow: {r}")
    flow_alerts = [a for a in alerts if a["action"] == "trigger" and
                   a["type"] == "example_watched_destination"]
    checks.check(len(flow_alerts) == counts[WATCHED_PORT],
                 f"example: {len(flow_alerts)} flow alerts, expected "
                 f"{counts[WATCHED_PORT]}")
    for a in flow_alerts:
        checks.check(a["entity"] == "flow" and a["severity"] == "warning"
                     and a["score"] == 50 and
                     a["value"].endswith(f":{WATCHED_PORT}@0"),
                     f"example: alert fields: {a}")
    checks.check(counters["plugins"]["plugin_errors"] == 0,
                 f"example: plugin errors: {counters['plugins']}")


def hostile_cases(vigild, pcap, counts, tmp, baseline, checks):
    for name, (script, expect) in HOSTILE.items():
        root = os.path.join(tmp, "plugins-" + name)
        write_plugin(root, "marker", MARKER, statuses=["marker_seen"])
        write_plugin(root, "hostile", script, statuses=["leak"],
                     alerts=["flood_alert"])
        started = time.time()
        status, stderr, records, counters, _ = run(
            vigild, pcap, tmp, name, root,
            ["--log-level", "warn"])
        took = time.time() - started
        p = counters["plugins"]
        checks.check(status == 0, f"{name}: exit {status}: {stderr[-400:]}")
        checks.check(strip(records) == baseline,
                     f"{name}: records differ from the run without plugins")
        checks.check(counters["ring_full"] == 0 and
                     counters["rx_packets"] == counters["engine_packets"],
                     f"{name}: capture lost packets: {counters}")
        checks.check(not os.path.exists("/tmp/vigil-pwned"),
                     f"{name}: os.execute ran")
        leaked = [r for r in records if "leak" in r["statuses"]]
        checks.check(not leaked, f"{name}: io.open succeeded")
        marked = [r for r in records if "marker_seen" in r["statuses"]]
        if expect == "killed":
            checks.check(p["deadline_kills"] >= 1,
                         f"{name}: sandbox never killed: {p}")
            checks.check(p["sandbox_starts"] >= 2,
                         f"{name}: sandbox not restarted: {p}")
        elif expect == "errors":
            checks.check(p["plugin_errors"] >= 1,
                         f"{name}: no plugin error counted: {p}")
            checks.check(p["deadline_kills"] == 0,
                         f"{name}: sandbox killed: {p}")
            checks.check(len(marked) == counts[MARKED_PORT],
                         f"{name}: marker set {len(marked)} statuses, "
                         f"expected {counts[MARKED_PORT]}")
        print(f"{name}: {took:.1f} s, marked {len(marked)}, plugins {p}")


def kill_case(vigild, tmp, checks):
    """SIGKILL the sandbox during a paced replay; it must be back within a
    second and capture must lose nothing."""
    frames = []
    for i in range(60):
        client = f"10.2.0.{i + 1}"
        frames.append((T0 + i * 0.1, g.packet(client, "10.9.0.1", 17,
                       g.udp(client, 41000, "10.9.0.1", MARKED_PORT, b"x"))))
    pcap = os.path.join(tmp, "paced.pcap")
    g.write_pcap(pcap, frames)
    root = os.path.join(tmp, "plugins-kill")
    write_plugin(root, "marker", MARKER, statuses=["marker_seen"])
    flows = os.path.join(tmp, "kill.jsonl")
    stats = os.path.join(tmp, "kill.stats.json")
    config = os.path.join(tmp, "kill.yaml")
    with open(config, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n      pace: true\n"
                f"flows:\n  output: {flows}\n  idle_timeout: 600\n"
                f"plugins:\n  directories: [{root}]\n")
    proc = subprocess.Popen([vigild, "-c", config, "--stats", stats],
                            stderr=subprocess.PIPE, text=True)
    lines = []

    def read_until(pattern, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            line = proc.stderr.readline()
            if not line:
                return None
            lines.append(line)
            m = re.search(pattern, line)
            if m:
                return m
        return None

    m = read_until(r"sandbox=0 started pid=(\d+)", 30)
    if not checks.check(m is not None, "kill: no sandbox started"):
        proc.kill()
        return
    time.sleep(2)
    os.kill(int(m.group(1)), signal.SIGKILL)
    killed_at = time.time()
    m2 = read_until(r"sandbox=0 started pid=(\d+)", 10)
    back = time.time() - killed_at
    checks.check(m2 is not None and back < 1.0,
                 f"kill: sandbox back after {back:.2f} s")
    rest, _ = proc.communicate(timeout=60)
    checks.check(proc.returncode == 0, f"kill: exit {proc.returncode}")
    with open(stats) as f:
        counters = json.load(f)
    records = vigtest.read_records(flows)
    checks.check(len(records) == 60, f"kill: {len(records)} records")
    checks.check(counters["rx_packets"] == 60 and
                 counters["engine_packets"] == 60 and
                 counters["ring_full"] == 0, f"kill: capture lost packets")
    p = counters["plugins"]
    checks.check(p["sandbox_starts"] == 2 and p["sandbox_exits"] == 2,
                 f"kill: starts/exits {p}")
    marked = [r for r in records if "marker_seen" in r["statuses"]]
    # Flows whose event was in flight when the sandbox died miss the
    # status; the ones after the restart must have it.
    checks.check(len(marked) >= 30, f"kill: only {len(marked)} marked")
    print(f"kill: back after {back:.2f} s, marked {len(marked)} of 60, "
          f"plugins {p}")


def disable_case(vigild, tmp, checks):
    """A plugin that overruns the deadline three times in a row is left
    out of the restarted sandbox; the other plugin keeps working. DNS
    queries are used because nDPI classifies them as soon as it has seen
    them with their answers, so each one reaches the sandboxes while the replay
    runs."""
    frames = []
    for i in range(40):
        client = f"10.4.0.{i + 1}"
        server = "10.9.0.7" if i < 12 else "10.9.0.53"
        frames.append((T0 + i * 0.25, g.packet(client, server, 17,
                       g.udp(client, 42000, server, 53,
                             g.dns_query(i, "www.example.org")))))
        frames.append((T0 + i * 0.25 + 0.001, g.packet(server, client, 17,
                       g.udp(server, 53, client, 42000,
                             g.dns_query(i, "www.example.org", True,
                                         "192.0.2.1")))))
    pcap = os.path.join(tmp, "disable.pcap")
    g.write_pcap(pcap, frames)
    root = os.path.join(tmp, "plugins-disable")
    write_plugin(root, "marker", """
return { key = "dns_marker", hooks = { protocolDetected = function(flow)
  if flow.server_ip == "10.9.0.53" then flow:setStatus("dns_seen", 10) end
end } }
""", statuses=["dns_seen"])
    write_plugin(root, "stuck", hostile(
        "if flow.server_ip == '10.9.0.7' then string.find(string.rep('a', "
        "40), string.rep('a*', 40) .. 'b') end"))
    flows = os.path.join(tmp, "disable.jsonl")
    stats = os.path.join(tmp, "disable.stats.json")
    config = os.path.join(tmp, "disable.yaml")
    with open(config, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n      pace: true\n"
                f"flows:\n  output: {flows}\n  idle_timeout: 600\n"
                f"plugins:\n  directories: [{root}]\n  deadline_ms: 300\n")
    proc = subprocess.run([vigild, "-c", config, "--stats", stats],
                          stderr=subprocess.PIPE, text=True, timeout=120)
    checks.check(proc.returncode == 0, f"disable: exit {proc.returncode}")
    with open(stats) as f:
        p = json.load(f)["plugins"]
    checks.check(p["deadline_kills"] == 3 and p["plugins_disabled"] == 1,
                 f"disable: kills and disabled plugins: {p}")
    checks.check("plugin=stuck disabled" in proc.stderr,
                 "disable: no log line naming the disabled plugin")
    records = vigtest.read_records(flows)
    marked = [r for r in records if "dns_seen" in r["statuses"]]
    checks.check(len(marked) == 28, f"disable: {len(marked)} of the 28 "
                 f"later flows marked")
    print(f"disable: plugins {p}, marked {len(marked)}")


def host_case(vigild, source_root, tmp, checks):
    """The example plugin's host script, with its threshold lowered to 3000
    bytes a minute: 10.5.0.1 sends 5000 bytes in each of the first two
    minutes and 10 in the next two, so its alert is raised at the end of
    the first minute, stays engaged through the second and is released at
    the end of the third. 10.5.0.2 never crosses; the remote server is
    never looked at (local only). The capture is read at full speed: the
    values still come from the minute boundaries in packet time."""
    frames = []
    for minute in range(4):
        size = 1000 if minute < 2 else 10
        for k in range(5 if minute < 2 else 1):
            frames.append((T0 + minute * 60 + k, g.packet(
                "10.5.0.1", "10.9.0.1", 17,
                g.udp("10.5.0.1", 40000, "10.9.0.1", 9999, b"x" * size))))
        frames.append((T0 + minute * 60 + 10, g.packet(
            "10.5.0.2", "10.9.0.1", 17,
            g.udp("10.5.0.2", 40001, "10.9.0.1", 9999, b"y" * 10))))
    frames.sort(key=lambda f: f[0])
    pcap = os.path.join(tmp, "hosts.pcap")
    g.write_pcap(pcap, frames)
    # Bytes 10.5.0.1 sent in each packet-time minute (Unix time // 60).
    per_minute = {}
    for t, frame in frames:
        if frame[26:30] == bytes([10, 5, 0, 1]):
            m = int(t // 60)
            per_minute[m] = per_minute.get(m, 0) + len(frame)
    minutes = sorted({int(t // 60) for t, _ in frames})
    over = [m for m in minutes if per_minute.get(m, 0) > 3000]
    first_under = next(m for m in minutes if m > over[0] and
                       per_minute.get(m, 0) <= 3000)
    root = example_root(source_root, tmp)
    alerts = os.path.join(tmp, "hosts-alerts.jsonl")
    stats = os.path.join(tmp, "hosts.stats.json")
    config = os.path.join(tmp, "hosts.yaml")
    with open(config, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n"
                f"flows:\n  idle_timeout: 600\n"
                f"networks:\n  local: [10.5.0.0/16]\n"
                f"plugins:\n  directories: [{root}]\n"
                f"  alerts_output: {alerts}\n"
                f"  scripts:\n    example_upload: {{threshold: 3000}}\n")
    proc = subprocess.run([vigild, "-c", config, "--stats", stats],
                          stderr=subprocess.PIPE, text=True, timeout=120)
    checks.check(proc.returncode == 0, f"hosts: exit {proc.returncode}")
    with open(alerts) as f:
        lines = [json.loads(line) for line in f]
    host_alerts = [(a["action"], a["value"], round(a["time"]))
                   for a in lines if a["entity"] == "host"]
    checks.check(host_alerts == [
        ("trigger", "10.5.0.1@0", (over[0] + 1) * 60),
        ("release", "10.5.0.1@0", (first_under + 1) * 60)],
        f"hosts: alerts {host_alerts}, minutes over {over}, "
        f"first under {first_under}")
    trigger = next((a for a in lines if a["entity"] == "host"), None)
    if trigger:
        details = trigger["details"]
        checks.check(trigger["type"] == "example_host_upload" and
                     trigger["severity"] == "notice" and
                     trigger["score"] == 20, f"hosts: alert fields {trigger}")
        # The object the script passed as details, not a string of it.
        checks.check(isinstance(details, dict),
                     f"hosts: details {details!r} is not an object")
        checks.check(details == {"bytes_sent": per_minute[over[0]],
                                 "threshold": 3000},
                     f"hosts: details {details!r} expected "
                     f"{per_minute[over[0]]} bytes")
    release = next((a for a in lines if a["entity"] == "host" and
                    a["action"] == "release"), None)
    if release:
        checks.check(release["details"] == {},
                     f"hosts: release details {release['details']!r}")
    with open(stats) as f:
        p = json.load(f)["plugins"]
    # The interface script appends a point per minute of packet time,
    # the last (partial) minute included.
    checks.check(p["ts_points"] == len(minutes),
                 f"hosts: ts_points {p['ts_points']}, minutes {minutes}")


NETWORK_SCRIPT = """
return {
  key = "netwatch",
  hooks = {
    min = function(net)
      -- Released first, so every minute writes a trigger line.
      net:releaseAlert("net_seen")
      net:triggerAlert("net_seen", { details = {
        bytes_in = net.bytes_in, bytes_out = net.bytes_out,
        bytes_inside = net.bytes_inside, flows_in = net.flows_in,
        flows_out = net.flows_out } })
    end,
  },
}
"""


def network_case(vigild, tmp, checks):
    """Network hooks: one snapshot per local network each minute, with the
    traffic into, out of and inside it up to that minute's end."""
    frames = []
    for minute in range(3):
        base = T0 + minute * 60
        frames.append((base + 1, g.packet("10.5.0.1", "10.9.0.1", 17, g.udp(
            "10.5.0.1", 40000 + minute, "10.9.0.1", 9999, b"o" * 100))))
        frames.append((base + 2, g.packet("10.9.0.1", "10.5.0.1", 17, g.udp(
            "10.9.0.1", 9999, "10.5.0.1", 40000 + minute, b"i" * 300))))
        frames.append((base + 3, g.packet("10.5.0.1", "10.5.0.2", 17, g.udp(
            "10.5.0.1", 41000 + minute, "10.5.0.2", 7777, b"s" * 50))))
    pcap = os.path.join(tmp, "networks.pcap")
    g.write_pcap(pcap, frames)
    root = os.path.join(tmp, "plugins-networks")
    write_plugin(root, "netwatch", "return { key = 'noop', hooks = {} }\n",
                 alerts=["net_seen"])
    os.rename(os.path.join(root, "tests", "netwatch", "user_scripts", "flow"),
              os.path.join(root, "tests", "netwatch", "user_scripts",
                           "network"))
    with open(os.path.join(root, "tests", "netwatch", "user_scripts",
                           "network", "netwatch.lua"), "w") as f:
        f.write(NETWORK_SCRIPT)
    alerts = os.path.join(tmp, "networks-alerts.jsonl")
    config = os.path.join(tmp, "networks.yaml")
    with open(config, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n"
                f"networks:\n  local: [10.5.0.0/16, 192.168.0.0/24]\n"
                f"plugins:\n  directories: [{root}]\n"
                f"  alerts_output: {alerts}\n")
    proc = subprocess.run([vigild, "-c", config], stderr=subprocess.PIPE,
                          text=True, timeout=120)
    checks.check(proc.returncode == 0,
                 f"networks: exit {proc.returncode}: {proc.stderr[-400:]}")
    with open(alerts) as f:
        seen = [json.loads(line) for line in f]
    seen = [a for a in seen if a["action"] == "trigger"]
    # Expected totals at the end of each minute, from the frames alone.
    expected = []
    minutes = sorted({int(t // 60) for t, _ in frames})
    for m in minutes:
        upto = [(t, fr) for t, fr in frames if int(t // 60) <= m]
        src = lambda fr: fr[26:28] == bytes([10, 5])
        dst = lambda fr: fr[30:32] == bytes([10, 5])
        expected.append(("10.5.0.0/16", (m + 1) * 60, {
            "bytes_out": sum(len(fr) for _, fr in upto
                             if src(fr) and not dst(fr)),
            "bytes_in": sum(len(fr) for _, fr in upto
                            if dst(fr) and not src(fr)),
            "bytes_inside": sum(len(fr) for _, fr in upto
                                if src(fr) and dst(fr)),
            # Each minute opens one flow out (the 10.9.0.1 reply belongs
            # to it) and one inside, which is neither in nor out.
            "flows_out": sum(1 for t, fr in upto if src(fr) and not dst(fr)),
            "flows_in": 0}))
        expected.append(("192.168.0.0/24", (m + 1) * 60, {
            "bytes_out": 0, "bytes_in": 0, "bytes_inside": 0,
            "flows_out": 0, "flows_in": 0}))
    checks.check(all(isinstance(a["details"], dict) for a in seen),
                 f"networks: details that are not objects in {seen}")
    got = [(a["value"], round(a["time"]), a["details"]) for a in seen]
    checks.check(sorted(got, key=lambda x: (x[1], x[0])) ==
                 sorted(expected, key=lambda x: (x[1], x[0])),
                 f"networks: snapshots {got} expected {expected}")


def control_case(vigild, tmp, checks):
    """The control socket: stats, reload, an unknown command, cleanup."""
    import socket
    frames = [(T0 + i * 0.5, g.packet("10.3.0.1", "10.9.0.1", 1,
                                      g.icmp_echo(8, 3, i)))
              for i in range(10)]
    pcap = os.path.join(tmp, "control.pcap")
    g.write_pcap(pcap, frames)
    root = os.path.join(tmp, "plugins-control")
    write_plugin(root, "marker", MARKER, statuses=["marker_seen"])
    sock_path = os.path.join(tmp, "vigild.sock")
    config = os.path.join(tmp, "control.yaml")
    with open(config, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n      pace: true\n"
                f"plugins:\n  directories: [{root}]\n"
                f"control:\n  socket: {sock_path}\n")
    proc = subprocess.Popen([vigild, "-c", config], stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 30
    while not os.path.exists(sock_path) and time.time() < deadline:
        time.sleep(0.1)
    if not checks.check(os.path.exists(sock_path), "control: no socket"):
        proc.kill()
        return
    checks.check(oct(os.stat(sock_path).st_mode & 0o777) == "0o600",
                 "control: socket mode is not 0600")
    conn = socket.socket(socket.AF_UNIX)
    conn.connect(sock_path)
    reader = conn.makefile("r")
    conn.sendall(b"stats\n")
    stats = json.loads(reader.readline())
    checks.check("rx_packets" in stats and "plugins" in stats,
                 f"control: stats reply {stats}")
    conn.sendall(b"reload\n")
    checks.check(reader.readline().strip() == "ok", "control: reload reply")
    conn.sendall(b"bogus\n")
    checks.check(reader.readline().strip() ==
                 "error: unknown command 'bogus' (expected reload, reopen or stats)",
                 "control: unknown command reply")
    time.sleep(1.0)
    conn.sendall(b"stats\n")
    after = json.loads(reader.readline())
    checks.check(after["plugins"]["sandbox_starts"] == 2,
                 f"control: sandbox not restarted by reload: {after}")
    conn.close()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    checks.check(proc.returncode == 0, f"control: exit {proc.returncode}")
    checks.check(not os.path.exists(sock_path),
                 "control: socket file left behind")


def main():
    vigild, source_root = sys.argv[1], sys.argv[2]
    sandbox = os.path.join(os.path.dirname(os.path.dirname(vigild)),
                           "sandbox", "vigil-sandbox")
    if not os.path.exists(sandbox):
        vigtest.skip(f"vigil-sandbox not built at {sandbox}")
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-plugins-") as tmp:
        os.chmod(tmp, 0o755)
        pcap = os.path.join(tmp, "udp.pcap")
        counts = build_capture(pcap)
        status, stderr, records, _, _ = run(vigild, pcap, tmp, "none")
        checks.check(status == 0, f"no plugins: exit {status}: {stderr}")
        baseline = strip(records)
        example_case(vigild, source_root, pcap, counts, tmp, checks)
        hostile_cases(vigild, pcap, counts, tmp, baseline, checks)
        kill_case(vigild, tmp, checks)
        disable_case(vigild, tmp, checks)
        host_case(vigild, source_root, tmp, checks)
        network_case(vigild, tmp, checks)
        control_case(vigild, tmp, checks)
    checks.finish()


if __name__ == "__main__":
    main()
