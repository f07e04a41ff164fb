#!/usr/bin/env python3
"""vigild's scan cache and scan budget, through vigil-web, end to end.

vigild replays the capture of web_api.py in a loop, so the byte counters
of its flows grow all the time. It runs with web.query_cache_ms 1000 and a
scan budget of 8 MiB a second against a flow table of 65536 slots (15.5
MiB), so each flow scan takes 1.94 s of budget. The test reads vigild's
api_* counters from /api/v1/interfaces, which scans nothing, and checks:

- a repeated query within the window, and a later page within the first
  one's rows, return the first scan's rows (byte counters included)
  without a new scan, with age_ms telling how old they are;
- after the window the same query scans again and returns grown counters;
- identical queries sent together share one scan;
- five distinct queries sent together: four are answered, the last ones
  only after the budget let their scans start (about 1 s, 2.9 s and
  4.8 s), and the fifth, whose scan could not start within 5 s, gets 503
  busy.

usage: web_scans.py VIGILD VIGIL_WEB SOURCE_ROOT
"""
import concurrent.futures
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigtest  # noqa: E402
import web_api as w  # noqa: E402

WINDOW_S = 1.0
BUDGET_MB = 8
EXTRA_WEB = f"""  query_cache_ms: {int(WINDOW_S * 1000)}
  query_scan_mb_per_second: {BUDGET_MB}"""
# Longer than the budget's reservations can reach past the last scan
# (one second of burst and one scan of 1.94 s), so the budget is full.
BUDGET_REFILL_S = 4.0


def scan_counters(c):
    status, doc, _ = c.get("/api/v1/interfaces")
    if status != 200:
        raise AssertionError(f"interfaces: {status} {doc}")
    return {k: v for k, v in doc["counters"].items()
            if k.startswith("api_")}


def delta(before, after):
    return {k: after[k] - before[k] for k in before}


def rows(doc):
    return [(f["id"], f["c2s_bytes"], f["s2c_bytes"]) for f in doc["flows"]]


def check_cache(c, checks):
    time.sleep(BUDGET_REFILL_S)
    path = "/api/v1/flows?sort=bytes&limit=10"
    c0 = scan_counters(c)
    s1, d1, _ = c.get(path)
    c1 = scan_counters(c)
    checks.check(s1 == 200 and len(d1["flows"]) == 10,
                 f"first query: {s1} {d1}")
    checks.check(delta(c0, c1)["api_scans"] == 1,
                 f"first query scans once: {delta(c0, c1)}")
    checks.check(0 <= d1["age_ms"] < 1000, f"fresh age_ms: {d1['age_ms']}")

    time.sleep(0.3)
    s2, d2, _ = c.get(path)
    c2 = scan_counters(c)
    checks.check(s2 == 200 and rows(d2) == rows(d1),
                 "a repeat within the window returns the same rows, "
                 f"counters included: {rows(d1)[:2]} then {rows(d2)[:2]}")
    checks.check(delta(c1, c2)["api_scans"] == 0,
                 f"a repeat within the window does not scan: {delta(c1, c2)}")
    checks.check(delta(c1, c2)["api_answers_reused"] == 1,
                 f"a repeat counts as reused: {delta(c1, c2)}")
    checks.check(300 <= d2["age_ms"] < 1000,
                 f"a reused answer tells its age: {d2['age_ms']} ms")

    s3, d3, _ = c.get("/api/v1/flows?sort=bytes&offset=5&limit=5")
    c3 = scan_counters(c)
    checks.check(s3 == 200 and rows(d3) == rows(d1)[5:10],
                 f"a later page within the rows: {rows(d3)}")
    checks.check(d3["offset"] == 5 and d3["total"] == d1["total"],
                 f"later page offset and total: {d3['offset']} {d3['total']}")
    checks.check(delta(c2, c3)["api_scans"] == 0,
                 f"a later page within the rows does not scan: "
                 f"{delta(c2, c3)}")

    time.sleep(WINDOW_S + 0.2)
    s4, d4, _ = c.get(path)
    c4 = scan_counters(c)
    checks.check(delta(c3, c4)["api_scans"] == 1,
                 f"after the window the query scans again: {delta(c3, c4)}")
    before = {r[0]: r[1] + r[2] for r in rows(d1)}
    grown = [r for r in rows(d4) if r[0] in before and
             r[1] + r[2] > before[r[0]]]
    checks.check(s4 == 200 and len(grown) > 0,
                 f"after the window the counters have grown: {rows(d4)[:2]}")
    checks.check(d4["age_ms"] < d2["age_ms"],
                 f"a new scan is younger: {d4['age_ms']} ms")


def get_timed(port, cookie, path):
    c = w.Client(port)
    c.cookie = cookie
    t = time.monotonic()
    status, doc, _ = c.get(path)
    return status, doc, time.monotonic() - t


def check_shared_scan(c, port, checks):
    path = "/api/v1/flows?sort=packets&limit=20"
    c0 = scan_counters(c)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: get_timed(port, c.cookie, path),
                                range(3)))
    c1 = scan_counters(c)
    checks.check(all(a[0] == 200 for a in answers),
                 f"identical queries together: {[a[0] for a in answers]}")
    checks.check(rows(answers[0][1]) == rows(answers[1][1]) ==
                 rows(answers[2][1]),
                 "identical queries together return the same rows")
    checks.check(delta(c0, c1)["api_scans"] == 1,
                 f"identical queries together scan once: {delta(c0, c1)}")
    checks.check(delta(c0, c1)["api_answers_reused"] == 2,
                 f"two of three reuse the scan: {delta(c0, c1)}")


def check_budget(c, port, flows, checks):
    time.sleep(BUDGET_REFILL_S)
    ports = (5000, 5001, 6000, 7000, 80)
    expected = {p: sum(1 for f in flows if f["port"] == p) for p in ports}
    c0 = scan_counters(c)
    with concurrent.futures.ThreadPoolExecutor(len(ports)) as pool:
        answers = list(pool.map(lambda p: (p, get_timed(
            port, c.cookie, f"/api/v1/flows?port={p}&limit=100")), ports))
    c1 = scan_counters(c)
    d = delta(c0, c1)
    done = [(p, a) for p, a in answers if a[0] == 200]
    busy = [(p, a) for p, a in answers if a[0] == 503]
    checks.check(len(done) == 4 and len(busy) == 1,
                 f"five distinct scans at once: four answered, one busy: "
                 f"{[(p, a[0], round(a[2], 2)) for p, a in answers]}")
    for p, a in done:
        checks.check(a[1]["total"] == expected[p],
                     f"port={p} after waiting: total {a[1]['total']}, "
                     f"expected {expected[p]}")
    for p, a in busy:
        checks.check(a[1]["error"] == "busy",
                     f"port={p} beyond the wait: {a[1]}")
    waits = sorted(a[2] for _, a in done)
    checks.check(len(waits) == 4 and waits[0] < 0.9,
                 f"the first distinct scan runs at once: {waits}")
    checks.check(len(waits) == 4 and waits[3] >= 4.0,
                 f"the fourth waits for the budget (about 4.8 s): {waits}")
    checks.check(d["api_scans"] == 4 and d["api_scans_delayed"] == 3,
                 f"four scans, three delayed: {d}")
    checks.check(d["api_scans_rejected"] == 1, f"one rejected: {d}")
    checks.check(d["api_scan_wait_ms"] >= 8000,
                 f"their waits add up to about 8.6 s: {d}")


def check_metrics(c, checks):
    status, _, body = c.request("GET", "/metrics")
    text = body.decode()
    for name in ("api_scans", "api_scans_delayed", "api_scan_wait_ms",
                 "api_answers_reused", "api_scans_rejected"):
        checks.check(status == 200 and f"\nvigil_{name}_total " in text,
                     f"/metrics has vigil_{name}_total")


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    vigild_path, web_path, source_root = sys.argv[1:4]
    checks = vigtest.Checks()
    tmp = tempfile.mkdtemp(prefix="vigil-web-scans-")
    procs = []
    try:
        pcap = os.path.join(tmp, "web.pcap")
        flows = w.build_capture(pcap)
        plugins = os.path.join(tmp, "plugins")
        shutil.copytree(os.path.join(source_root, "plugins", "examples"),
                        os.path.join(plugins, "examples"))
        static = os.path.join(tmp, "static")
        os.makedirs(static)
        port = w.free_port()
        config = w.write_config(tmp, pcap, port, plugins, static, EXTRA_WEB)
        vigild_log = open(os.path.join(tmp, "vigild.log"), "w")
        procs.append(w.start([vigild_path, "-c", config], vigild_log))
        web_log = open(os.path.join(tmp, "web.log"), "w")
        procs.append(w.start([web_path, "-c", config], web_log))

        c = w.Client(port)
        w.wait_for("vigil-web to listen",
                   lambda: c.login("admin", w.ADMIN_PASSWORD)[0] == 200)
        w.wait_for("every flow to be active", lambda: (
            lambda r: r[0] == 200 and r[1]["total"] == len(flows))(
                c.get("/api/v1/flows?limit=1")), 60)

        check_cache(c, checks)
        check_shared_scan(c, port, checks)
        check_budget(c, port, flows, checks)
        check_metrics(c, checks)
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
