#!/usr/bin/env python3
"""Timeseries end to end: vigild writes rrd files, `rrdtool fetch` reads them.

1. Per-minute totals: a capture built here spans six minutes (one of them
   silent) with a known mix of UDP and DNS flows between local hosts and
   remote servers. Every flow lives inside one minute, so the flow records
   vigild writes show exactly which minute each byte belongs to. The
   interface, host, network and DNS application series, read back with the
   rrdtool command, must equal the per-minute sums computed here from those
   records; the silent minute must read 0.
2. A plugin schema: a test plugin appends, from its interface `min` hook,
   a gauge and a counter whose values are functions of the hook's packet
   time. The gauge reads back as appended and the counter as its rate.
   Appending to an undeclared schema is a plugin error, counted, and makes
   no file.
3. Flows that span minutes: a long UDP flow carries over 255 packets
   each way in some minutes, so its hosts are updated before the minute
   ends, and a few in others. A TCP flow lives across a minute boundary.
   Their hosts' per-minute bytes and packets must equal the sums computed
   here from the packets written, minute by packet time.
4. Restart: two captures of consecutive minutes, replayed by two vigild
   runs on one rrd directory, read back as one series with neither a gap,
   a zero nor a spike at the seam. A third run replays older minutes: every
   point is skipped and counted, and the files keep their values.
5. rrdcached: when rrdcached is installed, case 1 again with updates sent
   through a private rrdcached on a Unix socket; `vigild --ts-fetch
   --rrdcached` flushes and reads the same totals.

rrdtool time alignment: vigild writes the deltas of minute M at the end of
that minute, M * 60 + 60, one row boundary of the one-minute archive, and
starts each file one minute before its first point. So each row holds
exactly one minute and no value is split between two rows (a point written
off a boundary would be). rrdtool stores an ABSOLUTE value as a rate (per
second), so the test multiplies by 60; the only tolerance needed is the
floating-point rounding of that division, hence round().

usage: timeseries.py VIGILD SOURCE_ROOT
"""
import collections
import ipaddress
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

T0 = 1_700_000_000 - 1_700_000_000 % 60   # a minute boundary
LOCAL_NET = "10.1.0.0/16"
LOCALS = [f"10.1.0.{i}" for i in range(1, 9)]
REMOTES = ["203.0.113.7", "203.0.113.9", "198.51.100.20"]
RESOLVER = "198.51.100.53"


def build_minutes(minutes, silent=()):
    """Frames for the given minute indexes; each flow stays in one minute.

    The sizes and flow counts vary with the minute so that a series read
    one row off cannot match by accident.
    """
    frames = []
    for m in minutes:
        if m in silent:
            continue
        base = T0 + m * 60
        for k in range(3 + m % 4):
            client = LOCALS[(m * 3 + k) % len(LOCALS)]
            server = REMOTES[(m + k) % len(REMOTES)]
            sport, dport = 30000 + m * 100 + k, 7000 + k
            t = base + 2 + k * 7
            for j in range(1 + (m + k) % 3):
                up = b"u" * (60 + 13 * m + 7 * k + j)
                down = b"d" * (200 + 31 * m + 11 * k + 5 * j)
                frames.append((t + j * 0.5, g.packet(
                    client, server, 17,
                    g.udp(client, sport, server, dport, up))))
                frames.append((t + j * 0.5 + 0.1, g.packet(
                    server, client, 17,
                    g.udp(server, dport, client, sport, down))))
        # A DNS exchange, for the application series.
        client = LOCALS[m % len(LOCALS)]
        name = f"host{m}.example.org"
        frames.append((base + 40, g.packet(client, RESOLVER, 17, g.udp(
            client, 40000 + m, RESOLVER, 53, g.dns_query(m + 1, name)))))
        frames.append((base + 40.02, g.packet(RESOLVER, client, 17, g.udp(
            RESOLVER, 53, client, 40000 + m,
            g.dns_query(m + 1, name, True, "192.0.2.1")))))
        # A flow between two local hosts: inside the network, not in or out.
        a, b = LOCALS[0], LOCALS[1 + m % 3]
        frames.append((base + 50, g.packet(a, b, 17, g.udp(
            a, 50000 + m, b, 9000, b"i" * (90 + m)))))
    frames.sort(key=lambda f: f[0])
    return frames


def write_config(work, name, capture, rrd, extra="", plugins=None):
    path = os.path.join(work, name + ".yaml")
    text = f"""capture:
  ports:
    - pcap: {capture}
      name: eth0
flows:
  output: {os.path.join(work, name + ".jsonl")}
  idle_timeout: 30
networks:
  local: [{LOCAL_NET}]
timeseries:
  directory: {rrd}
{extra}"""
    if plugins:
        text += f"plugins:\n  directories: [{plugins}]\n"
    with open(path, "w") as f:
        f.write(text)
    return path


def run(vigild, config, timeout=300):
    proc = subprocess.run([vigild, "-c", config], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout,
                          errors="replace")
    return proc.returncode, proc.stderr


def counters(stderr, line_tag):
    """Return the key=value integers of the last log line with <line_tag>."""
    found = {}
    for line in stderr.splitlines():
        if line_tag in line:
            found = {k: int(v) for k, v in
                     re.findall(r"(\w+)=(\d+)(?=\s|$)", line)}
    return found


def expected(records):
    """Per-minute sums from flow records: {series: {minute: value}}."""
    net = ipaddress.ip_network(LOCAL_NET)
    exp = collections.defaultdict(lambda: collections.defaultdict(int))
    for r in records:
        m = int(r["first_seen"] // 60)
        assert int(r["last_seen"] // 60) == m, f"flow spans minutes: {r}"
        up, down = r["c2s_bytes"], r["s2c_bytes"]
        c_local = ipaddress.ip_address(r["client_ip"]) in net
        s_local = ipaddress.ip_address(r["server_ip"]) in net
        exp["bytes"][m] += up + down
        exp["packets"][m] += r["c2s_packets"] + r["s2c_packets"]
        if c_local and not s_local:
            exp["bytes_out"][m] += up
            exp["bytes_in"][m] += down
            exp["net_out"][m] += up
            exp["net_in"][m] += down
        elif s_local and not c_local:
            exp["bytes_in"][m] += up
            exp["bytes_out"][m] += down
            exp["net_in"][m] += up
            exp["net_out"][m] += down
        elif c_local and s_local:
            exp["net_inside"][m] += up + down
        if r["l7"] == "DNS":
            exp["dns"][m] += up + down
        # The application of "Master.App" is App; of "Master", Master.
        app = r["l7"].split(".")[-1]
        for ip, sent, rcvd in ((r["client_ip"], up, down),
                               (r["server_ip"], down, up)):
            if ipaddress.ip_address(ip) in net:
                exp[f"sent:{ip}"][m] += sent
                exp[f"rcvd:{ip}"][m] += rcvd
                exp[f"app:{ip}:{app}"][m] += up + down
    return exp


def fetch(path, start, end):
    """Rows of `rrdtool fetch` as {time: {ds: value or None}}."""
    out = subprocess.run(["rrdtool", "fetch", path, "AVERAGE", "-r", "60",
                          "-s", str(start), "-e", str(end)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, check=True).stdout.splitlines()
    names = out[0].split()
    rows = {}
    for line in out[2:]:
        t, values = line.split(":", 1)
        rows[int(t)] = {n: (None if "nan" in v.lower() else float(v))
                        for n, v in zip(names, values.split())}
    return rows


def per_minute(rows, ds, minutes):
    """The value of <ds> per minute index. The row at the minute's end
    contains the rate over that minute, and times 60 the minute's total."""
    got = {}
    for m in minutes:
        v = rows.get(T0 + m * 60 + 60, {}).get(ds)
        got[m] = None if v is None else round(v * 60)
    return got


def check_series(checks, label, rows, ds, want, minutes):
    got = per_minute(rows, ds, minutes)
    for m in minutes:
        checks.check(got[m] == want.get(m, 0),
                     f"{label} {ds} minute {m}: rrd {got[m]}, records "
                     f"{want.get(m, 0)}")


def minute_index(m):
    return (m - T0 // 60)


def case_totals(vigild, work, checks, rrd_extra="", rrd_name="rrd",
                fetch_daemon=None):
    minutes = range(6)
    cap = os.path.join(work, "six.pcap")
    g.write_pcap(cap, build_minutes(minutes, silent=(3,)))
    rrd = os.path.join(work, rrd_name)
    config = write_config(work, "totals-" + rrd_name, cap, rrd, rrd_extra)
    rc, err = run(vigild, config)
    if not checks.check(rc == 0, f"vigild exit {rc}: {err[-2000:]}"):
        return
    records = vigtest.read_records(config[:-5] + ".jsonl")
    exp = expected(records)
    exp = {k: {minute_index(m): v for m, v in d.items()}
           for k, d in exp.items()}
    if fetch_daemon:
        # Through rrdcached the files may lag; --ts-fetch flushes first.
        out = subprocess.run([vigild, "--ts-fetch", rrd, "interface:traffic",
                              "eth0", "--rrdcached", fetch_daemon,
                              "--cf", "AVERAGE", "--start", str(T0 - 60),
                              "--end", str(T0 + 7 * 60)],
                             stdout=subprocess.PIPE, text=True, check=True)
        doc = json.loads(out.stdout)
        series = doc["series"][0]
        idx = series["metrics"].index("bytes")
        got = {minute_index(p[0] // 60 - 1): p[idx + 1]
               for p in series["points"]}
        for m in minutes:
            v = got.get(m)
            checks.check(v is not None and round(v * 60) ==
                         exp["bytes"].get(m, 0),
                         f"rrdcached --ts-fetch bytes minute {m}: {v}")
        return
    start, end = T0 - 60, T0 + 7 * 60
    rows = fetch(os.path.join(rrd, "interface", "eth0", "traffic.rrd"),
                 start, end)
    for ds in ("bytes", "packets", "bytes_in", "bytes_out"):
        check_series(checks, "interface", rows, ds, exp[ds], minutes)
    checks.check(per_minute(rows, "bytes", [3])[3] == 0,
                 "the silent minute reads 0, not unknown")
    rows = fetch(os.path.join(rrd, "network", "10.1.0.0_16", "traffic.rrd"),
                 start, end)
    for ds, key in (("bytes_in", "net_in"), ("bytes_out", "net_out"),
                    ("bytes_inside", "net_inside")):
        check_series(checks, "network", rows, ds, exp[key], minutes)
    rows = fetch(os.path.join(rrd, "interface", "eth0", "app", "DNS.rrd"),
                 start, end)
    check_series(checks, "app DNS", rows, "bytes", exp["dns"],
                 [m for m in minutes if m >= 0])
    hosts = sorted({r["client_ip"] for r in records} & set(LOCALS))
    checks.check(len(hosts) >= 6, f"local hosts with traffic: {hosts}")
    for ip in hosts:
        path = os.path.join(rrd, "host", f"{ip}@0", "traffic.rrd")
        if not checks.check(os.path.exists(path), f"{path} exists"):
            continue
        rows = fetch(path, start, end)
        first = min(m for m in minutes
                    if exp[f"sent:{ip}"].get(m) or exp[f"rcvd:{ip}"].get(m))
        active = [m for m in minutes if m >= first]
        check_series(checks, ip, rows, "bytes_sent", exp[f"sent:{ip}"],
                     active)
        check_series(checks, ip, rows, "bytes_rcvd", exp[f"rcvd:{ip}"],
                     active)
        # Bytes per application: fewer applications per host and minute
        # than the engine keeps apart, so none lands in _other. A file gets
        # points in the minutes its application had bytes, and zeros
        # between them; after its last point it reads unknown.
        apps = sorted(k.split(":", 2)[2] for k in exp
                      if k.startswith(f"app:{ip}:"))
        checks.check(len(apps) > 0, f"{ip}: applications in the records")
        for app in apps:
            path = os.path.join(rrd, "host", f"{ip}@0", "app", f"{app}.rrd")
            if not checks.check(os.path.exists(path), f"{path} exists"):
                continue
            want = {m: v for m, v in exp[f"app:{ip}:{app}"].items() if v}
            rows = fetch(path, start, end)
            if app == "Unknown":
                # An undetected flow's bytes count when detection gives up,
                # at the flow's end, so only the total is the records'.
                got = sum(v for v in per_minute(rows, "bytes",
                                                minutes).values() if v)
                checks.check(got == sum(want.values()),
                             f"{ip} app Unknown total: rrd {got}, records "
                             f"{sum(want.values())}")
                continue
            check_series(checks, f"{ip} app {app}", rows, "bytes", want,
                         range(min(want), max(want) + 1))
        checks.check(not os.path.exists(os.path.join(
            rrd, "host", f"{ip}@0", "app", "_other.rrd")),
            f"{ip}: no _other series")
    remote = os.path.join(rrd, "host", f"{REMOTES[0]}@0")
    checks.check(not os.path.exists(remote),
                 "no series for a remote host (local_hosts_only)")
    # The command-line reader returns what rrdtool returns.
    out = subprocess.run([vigild, "--ts-fetch", rrd, "host:traffic",
                          f"{hosts[0]}@0", "--cf", "AVERAGE", "--start",
                          str(start), "--end", str(end)],
                         stdout=subprocess.PIPE, text=True, check=True)
    doc = json.loads(out.stdout)
    series = doc["series"][0]
    idx = series["metrics"].index("bytes_sent")
    rows = fetch(os.path.join(rrd, "host", f"{hosts[0]}@0", "traffic.rrd"),
                 start, end)
    # rrdtool prints ten significant digits; --ts-fetch prints all 17.
    for p in series["points"]:
        want = rows.get(p[0], {}).get("bytes_sent")
        same = (p[idx + 1] is None and want is None) or (
            p[idx + 1] is not None and want is not None and
            abs(p[idx + 1] - want) <= 1e-9 * max(1.0, abs(want)))
        checks.check(same,
                     f"--ts-fetch {p[0]}: {p[idx + 1]} != rrdtool {want}")


PLUGIN_SCHEMA = """return {
  {
    name = "tstest:iface",
    tags = { "ifname" },
    metrics = {
      { name = "level", type = "gauge" },
      { name = "total", type = "counter" },
    },
  },
}
"""

# level = minute % 97 + 0.25; total grows by 600 a minute (10 per second).
PLUGIN_SCRIPT = """return {
  key = "tstest_points",
  hooks = {
    min = function(iface, conf)
      local minute = math.floor(vigil.time() / 60)
      ts.append("tstest:iface", { ifname = iface.name },
                { level = minute %% 97 + 0.25, total = minute * 600 })
    end,
  },
}
"""

BAD_SCRIPT = """return {
  key = "tstest_bad",
  hooks = {
    min = function(iface, conf)
      ts.append("tstest:undeclared", { ifname = iface.name }, { x = 1 })
    end,
  },
}
"""


LONG_LOCAL = LOCALS[6]
LONG_REMOTE = "192.0.2.77"


def build_long_flows():
    """Frames of flows that cross minute boundaries, with, per minute index,
    the bytes and packets each local host sent and received."""
    frames = []
    # UDP, 4 minutes: 400, 3, 300 and 20 packets each way (idle gaps stay
    # under the 30 s timeout).
    per_minute = (400, 3, 300, 20)
    for m, count in enumerate(per_minute):
        base = T0 + m * 60
        for j in range(count):
            t = base + 1 + j * (55.0 / count)
            up = b"U" * (40 + (j * 7 + m) % 900)
            down = b"D" * (100 + (j * 13 + m) % 1200)
            frames.append((t, g.packet(LONG_LOCAL, LONG_REMOTE, 17, g.udp(
                LONG_LOCAL, 41000, LONG_REMOTE, 4500, up))))
            frames.append((t + 0.001, g.packet(LONG_REMOTE, LONG_LOCAL, 17,
                                               g.udp(LONG_REMOTE, 4500,
                                                     LONG_LOCAL, 41000,
                                                     down))))
    # TCP from the other local host, across the first minute boundary.
    a, b = LOCALS[7], LONG_REMOTE
    for j in range(40):
        t = T0 + 50 + j * 0.5
        frames.append((t, g.packet(a, b, 6, g.tcp(
            a, 42000, b, 8443, 1000 + j * 100, 1, 0x18, b"x" * 100))))
        frames.append((t + 0.01, g.packet(b, a, 6, g.tcp(
            b, 8443, a, 42000, 1, 1100 + j * 100, 0x10, b""))))
    frames.sort(key=lambda f: f[0])
    want = collections.defaultdict(lambda: collections.defaultdict(int))
    for ts, frame in frames:
        m = int(ts // 60) - T0 // 60
        src = ".".join(str(x) for x in frame[26:30])
        dst = ".".join(str(x) for x in frame[30:34])
        if src in LOCALS:
            want[f"bytes_sent:{src}"][m] += len(frame)
            want[f"packets_sent:{src}"][m] += 1
        if dst in LOCALS:
            want[f"bytes_rcvd:{dst}"][m] += len(frame)
            want[f"packets_rcvd:{dst}"][m] += 1
    return frames, want


def case_long_flows(vigild, work, checks):
    frames, want = build_long_flows()
    cap = os.path.join(work, "long.pcap")
    g.write_pcap(cap, frames)
    rrd = os.path.join(work, "rrd-long")
    config = write_config(work, "long", cap, rrd)
    rc, err = run(vigild, config)
    if not checks.check(rc == 0, f"vigild exit {rc}: {err[-2000:]}"):
        return
    records = vigtest.read_records(config[:-5] + ".jsonl")
    checks.check(any(r["last_seen"] - r["first_seen"] > 180
                     for r in records),
                 f"one of {len(records)} records spans four minutes")
    # The TCP flow's host goes quiet after minute 1; its series reads
    # unknown once no point follows, as in case 1.
    for ip, minutes in ((LONG_LOCAL, range(4)), (LOCALS[7], range(3))):
        rows = fetch(os.path.join(rrd, "host", f"{ip}@0", "traffic.rrd"),
                     T0 - 60, T0 + 5 * 60)
        for ds in ("bytes_sent", "bytes_rcvd", "packets_sent",
                   "packets_rcvd"):
            check_series(checks, ip, rows, ds, want[f"{ds}:{ip}"], minutes)


def write_ts_plugin(root):
    base = os.path.join(root, "tests", "tstest")
    os.makedirs(os.path.join(base, "ts_schemas"))
    os.makedirs(os.path.join(base, "user_scripts", "interface"))
    with open(os.path.join(base, "manifest.lua"), "w") as f:
        f.write('return { title = "tstest", description = "timeseries test",'
                ' author = "vigil tests", version = "1.0",'
                ' dependencies = {} }\n')
    with open(os.path.join(base, "ts_schemas", "min.lua"), "w") as f:
        f.write(PLUGIN_SCHEMA)
    scripts = os.path.join(base, "user_scripts", "interface")
    with open(os.path.join(scripts, "tstest_points.lua"), "w") as f:
        f.write(PLUGIN_SCRIPT % ())
    with open(os.path.join(scripts, "tstest_bad.lua"), "w") as f:
        f.write(BAD_SCRIPT)


def case_plugin(vigild, work, checks):
    minutes = range(5)
    cap = os.path.join(work, "plugin.pcap")
    g.write_pcap(cap, build_minutes(minutes))
    plugins = os.path.join(work, "plugins")
    write_ts_plugin(plugins)
    rrd = os.path.join(work, "rrd-plugin")
    stats = os.path.join(work, "plugin-stats.json")
    config = write_config(work, "plugin", cap, rrd, plugins=plugins)
    proc = subprocess.run([vigild, "-c", config, "--stats", stats],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=300, errors="replace")
    if not checks.check(proc.returncode == 0,
                        f"vigild with plugin: exit {proc.returncode}: "
                        f"{proc.stderr[-2000:]}"):
        return
    path = os.path.join(rrd, "plugin", "tstest", "tstest:iface", "eth0.rrd")
    if not checks.check(os.path.exists(path), f"{path} exists"):
        print(proc.stderr[-3000:])
        return
    rows = fetch(path, T0 - 60, T0 + 7 * 60)
    written = 0
    for t, row in sorted(rows.items()):
        if row["level"] is None:
            continue
        written += 1
        minute = t // 60
        checks.check(row["level"] == minute % 97 + 0.25,
                     f"gauge at {t}: {row['level']}, appended "
                     f"{minute % 97 + 0.25}")
        # A counter reads as its rate; the first point after a file is
        # created has no previous value and reads unknown.
        if row["total"] is not None:
            checks.check(abs(row["total"] - 10.0) < 1e-9,
                         f"counter rate at {t}: {row['total']}, expected 10")
    checks.check(written >= 4, f"plugin points written: {written}, "
                 "expected one per minute of the capture")
    checks.check(not os.path.exists(os.path.join(
        rrd, "plugin", "tstest", "tstest:undeclared")),
        "no file for an undeclared schema")
    with open(stats) as f:
        doc = json.load(f)
    errors = doc.get("plugins", {}).get("plugin_errors", 0)
    checks.check(errors >= written,
                 f"undeclared schema counted as plugin errors: {errors}")


def case_restart(vigild, work, checks):
    rrd = os.path.join(work, "rrd-restart")
    first = os.path.join(work, "first.pcap")
    second = os.path.join(work, "second.pcap")
    g.write_pcap(first, build_minutes(range(0, 3)))
    g.write_pcap(second, build_minutes(range(3, 6)))
    records = []
    for name, cap in (("first", first), ("second", second)):
        config = write_config(work, name, cap, rrd)
        rc, err = run(vigild, config)
        if not checks.check(rc == 0, f"vigild {name}: exit {rc}: "
                            f"{err[-2000:]}"):
            return
        records += vigtest.read_records(config[:-5] + ".jsonl")
    exp = expected(records)
    exp = {k: {minute_index(m): v for m, v in d.items()}
           for k, d in exp.items()}
    path = os.path.join(rrd, "interface", "eth0", "traffic.rrd")
    before = fetch(path, T0 - 60, T0 + 7 * 60)
    for ds in ("bytes", "packets", "bytes_in", "bytes_out"):
        check_series(checks, "across restart", before, ds, exp[ds],
                     range(6))
    # Replaying older minutes changes nothing and is counted.
    config = write_config(work, "again", first, rrd)
    rc, err = run(vigild, config)
    checks.check(rc == 0, f"vigild replaying old minutes: exit {rc}")
    writer = counters(err, "writer stopped")
    checks.check(writer.get("points", 0) > 0 and
                 writer.get("skipped_old") == writer.get("points"),
                 f"every old point skipped and counted: {writer}")
    checks.check(writer.get("updates") == 0,
                 f"no update from old points: {writer}")
    checks.check(fetch(path, T0 - 60, T0 + 7 * 60) == before,
                 "files unchanged by the old replay")


def case_rrdcached(vigild, work, checks):
    daemon = shutil.which("rrdcached") or "/usr/bin/rrdcached"
    if not os.access(daemon, os.X_OK):
        print("rrdcached not installed: case 4 skipped")
        return
    rrd = os.path.join(work, "rrd-cached")
    os.makedirs(rrd)
    sock = os.path.join(work, "rrdcached.sock")
    proc = subprocess.Popen([daemon, "-g", "-l", "unix:" + sock,
                             "-b", rrd, "-B", "-w", "3600",
                             "-p", os.path.join(work, "rrdcached.pid")],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        case_totals(vigild, work, checks,
                    f"  rrdcached: unix:{sock}\n", "rrd-cached",
                    fetch_daemon="unix:" + sock)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def case_stopped(vigild, work, checks):
    """vigild stopped inside a minute: that minute's rate is over the part
    watched, not spread over the whole minute.

    A paced replay sends one packet a second from 60 to 95 s, then waits
    for a packet at 400 s. SIGINT during the wait stops vigild with the
    engine's clock at 95 s, so 35 s of minute 1 were watched. rrdtool
    averages a partly known minute over its known seconds, so the minute
    must read the packets' bytes over 35 s.
    """
    rrd = os.path.join(work, "rrd-stopped")
    cap = os.path.join(work, "stopped.pcap")
    client, server = LOCALS[2], REMOTES[0]
    frames, sizes = [], []
    for k in range(36):
        payload = b"s" * (100 + 3 * k)
        frame = g.packet(client, server, 17,
                         g.udp(client, 41000, server, 7100, payload))
        frames.append((T0 + 60 + k, frame))
        sizes.append(len(frame))
    frames.append((T0 + 400, g.packet(client, server, 17, g.udp(
        client, 41001, server, 7101, b"late"))))
    g.write_pcap(cap, frames)
    config = os.path.join(work, "stopped.yaml")
    with open(config, "w") as f:
        f.write(f"""capture:
  ports:
    - pcap: {cap}
      name: eth0
      pace: true
flows:
  output: {os.path.join(work, "stopped.jsonl")}
networks:
  local: [{LOCAL_NET}]
timeseries:
  directory: {rrd}
""")
    proc = subprocess.Popen([vigild, "-c", config],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            errors="replace")
    time.sleep(43)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    if not checks.check(proc.returncode == 0,
                        f"stopped run: exit {proc.returncode}: {err[-2000:]}"):
        return
    path = os.path.join(rrd, "interface", "eth0", "traffic.rrd")
    rows = fetch(path, T0, T0 + 5 * 60)
    got = rows.get(T0 + 120, {}).get("bytes")
    want = sum(sizes) / 35
    checks.check(got is not None and abs(got - want) < 1e-6 * want,
                 f"stopped minute: rrd rate {got}, bytes over the 35 s "
                 f"watched {want}")
    checks.check(rows.get(T0 + 180, {}).get("bytes") is None,
                 f"minute after the stop: {rows.get(T0 + 180)}, expected "
                 "unknown")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    vigild = sys.argv[1]
    if shutil.which("rrdtool") is None:
        vigtest.skip("rrdtool (the command) is not installed")
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-ts-") as work:
        os.chmod(work, 0o755)
        print("case 1: per-minute totals")
        case_totals(vigild, work, checks)
        print("case 2: plugin schema")
        case_plugin(vigild, work, checks)
        print("case 3: flows across minutes")
        case_long_flows(vigild, work, checks)
        print("case 4: restart")
        case_restart(vigild, work, checks)
        print("case 5: rrdcached")
        case_rrdcached(vigild, work, checks)
        print("case 6: stopped inside a minute")
        case_stopped(vigild, work, checks)
    checks.finish()


if __name__ == "__main__":
    main()
