#!/usr/bin/env python3
"""vigil-web's timeseries endpoints against rrd files vigild wrote.

vigild reads the six-minute capture of the timeseries test (every flow
inside one minute, one silent minute) with timeseries on and exits. Then
vigil-web serves the rrd directory, with no vigild running, and:

1. GET /api/v1/timeseries/series lists exactly the application and
   category files under the interface's and each local host's folders
   (file names decoded), lists the interface elements with a traffic or
   flows file and the time `rrdtool last` reads from it, and rejects a
   bad schema, a missing element, or an element given for an interface
   listing;
2. GET /api/v1/timeseries returns, for the interface and for a host, the
   values `rrdtool fetch` reads from the same files, row for row;
3. the values match the per-minute sums of the flow records (the
   timeseries test explains the rrd alignment: each row holds one minute,
   stored as a rate, so times 60 is the minute's total);
4. an answer holds at most 10 000 points: a resolution that gives more is
   a 400, a default archive that gives more is replaced by a coarser one,
   and a range too long for every archive is a 400.

usage: web_timeseries.py VIGILD VIGIL_WEB SOURCE_ROOT
"""
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import timeseries as ts  # noqa: E402
import vigtest  # noqa: E402
import web_api as wa  # noqa: E402

PASSWORD = "series-password-1"


def files_of(folder):
    """The names of the .rrd files in <folder>, %XX escapes decoded."""
    if not os.path.isdir(folder):
        return set()
    return {urllib.parse.unquote(f[:-4]) for f in os.listdir(folder)
            if f.endswith(".rrd")}


def last_update(path):
    """The time of the newest update of the rrd file <path>, as
    `rrdtool last` prints it."""
    out = subprocess.run(["rrdtool", "last", path], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return int(out.strip())


def write_web_config(work, rrd, port):
    path = os.path.join(work, "web.yaml")
    with open(path, "w") as f:
        f.write(f"""capture:
  ports:
    - pcap: {os.path.join(work, "six.pcap")}
timeseries:
  directory: {rrd}
web:
  listen: ["127.0.0.1:{port}"]
  vigild_socket: {work}/api.sock
  data_dir: {work}/web-data
  admin_password: "{PASSWORD}"
""")
    return path


def check_lists(c, checks, rrd, hosts):
    for schema, folder, element in (
            ("interface:app", "interface/eth0/app", "eth0"),
            ("interface:category", "interface/eth0/category", "eth0")):
        want = files_of(os.path.join(rrd, folder))
        s, d, _ = c.get("/api/v1/timeseries/series?schema=" + schema +
                        "&element=" + element)
        got = {x["element"] for x in d.get("series", [])} if s == 200 else None
        checks.check(len(want) > 0 and
                     got == {f"{element}/{n}" for n in want},
                     f"{schema} list: {s} {got} against files {want}")
        checks.check(s == 200 and all(x["schema"] == schema and
                                      x["step"] == 60 for x in d["series"]),
                     f"{schema} list: schema or step {d}")
    for ip in hosts:
        element = f"{ip}@0"
        want = files_of(os.path.join(rrd, "host", element, "app"))
        s, d, _ = c.get("/api/v1/timeseries/series?schema=host:app&element=" +
                        urllib.parse.quote(element))
        got = {x["element"] for x in d.get("series", [])} if s == 200 else None
        checks.check(len(want) > 0 and
                     got == {f"{element}/{n}" for n in want},
                     f"host:app list {ip}: {s} {got} against {want}")
    for schema, name in (("interface:traffic", "traffic.rrd"),
                         ("interface:flows", "flows.rrd")):
        s, d, _ = c.get("/api/v1/timeseries/series?schema=" + schema)
        want = [{"schema": schema, "element": "eth0", "step": 60,
                 "last_update": last_update(
                     os.path.join(rrd, "interface", "eth0", name))}]
        checks.check(s == 200 and d.get("series") == want,
                     f"{schema} list: {s} {d}, expected {want}")
    s, d, _ = c.get("/api/v1/timeseries/series?schema=interface:traffic"
                    "&element=eth0")
    checks.check(s == 400 and d.get("parameter") == "element",
                 f"interface:traffic list with an element: {s} {d}")
    s, d, _ = c.get("/api/v1/timeseries/series?schema=host:app&element=10.9.9.9@0")
    checks.check(s == 200 and d["series"] == [],
                 f"host:app list of an unknown host: {s} {d}")
    for query, parameter in (("schema=host:traffic&element=x", "schema"),
                             ("schema=interface:app", "element"),
                             ("schema=interface:app&element=eth0&x=1", "x")):
        s, d, _ = c.get("/api/v1/timeseries/series?" + query)
        checks.check(s == 400 and d.get("parameter") == parameter,
                     f"series?{query}: {s} {d}")


def check_fetch(c, checks, rrd, schema, element, path, ds, want, minutes):
    start, end = ts.T0 - 60, ts.T0 + 7 * 60
    s, d, _ = c.get(f"/api/v1/timeseries?schema={schema}&element="
                    f"{urllib.parse.quote(element)}&from={start}&to={end}"
                    f"&resolution=60&metrics={ds}")
    if not checks.check(s == 200 and d.get("metrics") == [ds],
                        f"fetch {schema} {element}: {s} {str(d)[:300]}"):
        return
    rows = ts.fetch(os.path.join(rrd, path), start, end)
    api = {p[0]: p[1] for p in d["points"]}
    for t, row in rows.items():
        a, r = api.get(t), row.get(ds)
        same = (a is None and r is None) or (
            a is not None and r is not None and
            abs(a - r) <= 1e-9 * max(1.0, abs(r)))
        checks.check(same, f"fetch {element} {ds} at {t}: api {a}, "
                     f"rrdtool {r}")
    for m in minutes:
        v = api.get(ts.T0 + m * 60 + 60)
        checks.check(v is not None and round(v * 60) == want.get(m, 0),
                     f"fetch {element} {ds} minute {m}: {v} against "
                     f"records {want.get(m, 0)}")


POINTS_MAX = 10000


def check_points_cap(c, checks, rrd):
    """The cap on points, on vigild's interface file (the default archives)
    and on a file with two weeks of one-minute points."""
    query = "/api/v1/timeseries?schema=interface:traffic&element="
    s, d, _ = c.get(query + "eth0&from=0&to=4294967295")
    checks.check(s == 400 and d.get("error") == "invalid_parameter" and
                 d.get("parameter") == "from",
                 f"from=0 to=4294967295: {s} {str(d)[:300]}")
    checks.check(d.get("message") ==
                 "from=0 to=4294967295 is 49711 points even at "
                 "resolution=86400, the coarsest this series keeps, more than "
                 "the 10000 a request may return; narrow from and to",
                 f"from=0 to=4294967295: message {d.get('message')!r}")

    # One-minute points for 14 days and hourly points for 30, last
    # updated at ts.T0.
    wide = os.path.join(rrd, "interface", "wide")
    os.makedirs(wide)
    subprocess.run(["rrdtool", "create", os.path.join(wide, "traffic.rrd"),
                    "--start", str(ts.T0), "--step", "60",
                    "DS:bytes:GAUGE:120:0:U", "RRA:AVERAGE:0.5:1:20160",
                    "RRA:AVERAGE:0.5:60:720"], check=True)
    to = ts.T0
    ten_days = to - 10 * 86400

    # By default the one-minute archive covers ten days, with 14 401
    # points: the hourly one is read instead.
    s, d, _ = c.get(query + f"wide&from={ten_days}&to={to}")
    checks.check(s == 200 and d.get("step") == 3600,
                 f"ten days by default: {s} {str(d)[:200]}")
    if s == 200:
        checks.check(len(d["points"]) == to // 3600 + 1 - ten_days // 3600,
                     f"ten days by default: {len(d['points'])} points")

    s, d, _ = c.get(query + f"wide&from={ten_days}&to={to}&resolution=60")
    checks.check(s == 400 and d.get("parameter") == "resolution" and
                 d.get("message") ==
                 f"from={ten_days} to={to} at resolution=60 is 14401 points, "
                 "more than the 10000 a request may return; narrow from and "
                 "to, or raise resolution",
                 f"ten days at resolution=60: {s} {d}")

    # The cap itself: 10 000 one-minute points are served, 10 001 are not.
    start = to - (POINTS_MAX - 1) * 60
    s, d, _ = c.get(query + f"wide&from={start}&to={to}&resolution=60")
    checks.check(s == 200 and d.get("step") == 60 and
                 len(d.get("points", [])) == POINTS_MAX,
                 f"{POINTS_MAX} points: {s} "
                 f"{len(d.get('points', [])) if s == 200 else d}")
    s, d, _ = c.get(query + f"wide&from={start - 60}&to={to}&resolution=60")
    checks.check(s == 400 and d.get("parameter") == "resolution",
                 f"{POINTS_MAX + 1} points: {s} {d}")


def check_not_found(c, checks):
    """A missing series or metric is named in the 404 message."""
    for query, param, message in (
            ("schema=host:traffic&element=10.9.9.9@0", None,
             "no timeseries for schema 'host:traffic' element '10.9.9.9@0'"),
            ("schema=interface:traffic&element=eth0&metrics=bytes,nosuch",
             "metrics",
             "the timeseries for schema 'interface:traffic' element 'eth0' "
             "has no metric 'nosuch'")):
        s, d, _ = c.get(f"/api/v1/timeseries?{query}")
        checks.check(s == 404 and d.get("error") == "not_found",
                     f"timeseries?{query}: {s} {d}")
        checks.check(d.get("parameter") == param,
                     f"timeseries?{query}: parameter {d.get('parameter')!r}")
        checks.check(d.get("message") == message,
                     f"timeseries?{query}: message {d.get('message')!r}, "
                     f"expected {message!r}")


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    vigild, web, _source_root = sys.argv[1:4]
    if shutil.which("rrdtool") is None:
        vigtest.skip("rrdtool (the command) is not installed")
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-web-ts-") as work:
        os.chmod(work, 0o755)
        minutes = range(6)
        cap = os.path.join(work, "six.pcap")
        g.write_pcap(cap, ts.build_minutes(minutes, silent=(3,)))
        rrd = os.path.join(work, "rrd")
        config = ts.write_config(work, "six", cap, rrd)
        rc, err = ts.run(vigild, config)
        if not checks.check(rc == 0, f"vigild exit {rc}: {err[-2000:]}"):
            checks.finish()
        records = vigtest.read_records(config[:-5] + ".jsonl")
        exp = {k: {ts.minute_index(m): v for m, v in d.items()}
               for k, d in ts.expected(records).items()}
        hosts = sorted({r["client_ip"] for r in records} & set(ts.LOCALS))

        port = wa.free_port()
        log = open(os.path.join(work, "web.log"), "w")
        proc = wa.start([web, "-c", write_web_config(work, rrd, port)], log)
        try:
            c = wa.Client(port)
            wa.wait_for("vigil-web to log in",
                        lambda: c.login("admin", PASSWORD)[0] == 200)
            check_lists(c, checks, rrd, hosts)
            check_fetch(c, checks, rrd, "interface:traffic", "eth0",
                        "interface/eth0/traffic.rrd", "bytes", exp["bytes"],
                        minutes)
            ip = hosts[0]
            first = min(m for m in minutes if exp[f"sent:{ip}"].get(m))
            check_fetch(c, checks, rrd, "host:traffic", f"{ip}@0",
                        f"host/{ip}@0/traffic.rrd", "bytes_sent",
                        exp[f"sent:{ip}"], [m for m in minutes if m >= first])
            check_points_cap(c, checks, rrd)
            check_not_found(c, checks)
        finally:
            wa.stop(proc)
            log.close()
    checks.finish()


if __name__ == "__main__":
    sys.exit(main())
