#!/usr/bin/env python3
"""API latency with a million active flows, and what the load costs capture.

vigild replays a capture of --flows UDP flows (one packet each) from memory
in a loop (net_pcap, infinite_rx=1) with long idle timeouts, so every flow
stays active and every flow is touched again on each pass; vigil-web serves
the API on 127.0.0.1. The script

1. waits until every flow is active in vigild, then until nDPI has
   stopped taking packets (ndpi_packets steady for two seconds): until
   then each pass over the flows also pays for detection, and the packet
   rate is still climbing;
2. measures capture packets per second for --seconds with no API load,
3. runs a load generator in a second process (wrk when installed, else a
   Python client) asking GET /api/v1/flows?sort=bytes&limit=100 (the top
   100 of all flows) over --connections connections for --seconds, and
   measures packets per second again meanwhile. vigild serves repeats of
   one query from its last scan for web.query_cache_ms, so this is the
   dashboard case,
4. measures packets per second without load once more, so that a drift
   of the unloaded rate shows,
5. runs the load again with a port filter that changes on every request
   (&port=1, &port=2, ...), so that no request can reuse another's scan
   and every one waits for vigild's scan budget, then measures the
   unloaded rate a third time,
6. prints, for both kinds of load, the latency percentiles, the packet
   rates and, for each window, the CPUs' worth of time that other
   processes used.

The rx and engine lcores share CPU 1; vigild's control thread (and the
thread pool that runs its queries), vigil-web and the load generator are
pinned to CPU 0, so the load competes with capture only through memory
and the shared caches.

Without --hugepages EAL runs on 4 KiB pages (no root needed). With it the
script mounts hugetlbfs and reserves 2 MiB pages as the capture
benchmark does (root), undoing that at exit.

usage: web_api.py --vigild PATH --vigil-web PATH [--flows N] [--seconds S]
                  [--connections C] [--hugepages] [--keep] [--json FILE]
exit status: 0 p99 under 50 ms, 3 p99 at or over 50 ms, 1 a program
failed, 2 a command-line error
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capture import (FOREIGN_LOAD_WARNING, BenchError, Hugepages,  # noqa: E402
                     LoadMeter)

P99_FLOOR_MS = 50.0
SORT_PATH = "/api/v1/flows?sort=bytes&limit=100"
# wrk script: a new port filter on every request, so each one needs a scan.
DISTINCT_LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "%s&port=" .. (counter %% 65536))
end
""" % SORT_PATH
T0 = 1_700_000_000


def ip_checksum(header):
    total = sum(struct.unpack("!10H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def build_capture(path, flows):
    """One UDP packet per flow: distinct (source address, port) pairs,
    payloads of 10..509 bytes so flows differ in size."""
    eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    dst = bytes([10, 200, 0, 1])
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(flows):
            src = bytes([10, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF])
            payload = b"x" * (10 + i % 500)
            udp = struct.pack("!HHHH", 1024 + (i % 60000), 5000 + i % 100,
                              8 + len(payload), 0) + payload
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1,
                             0x4000, 64, 17, 0, src, dst)
            ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
            frame = eth + ip + udp
            ts = T0 + i // 100000
            f.write(struct.pack("<IIII", ts, (i % 100000) * 10, len(frame),
                                len(frame)))
            f.write(frame)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pool_sizes(flows, hugepages):
    """Returns (mbufs, EAL memory in MiB) for a replay of <flows> frames.

    infinite_rx copies every frame into an mbuf at start, so the pool
    contains the whole replay besides the rx descriptors, rings and lcore
    caches.
    """
    mbufs = 1
    while mbufs < flows + 16384:
        mbufs <<= 1
    mbufs -= 1
    if hugepages:
        # An mbuf of the default size takes about 2.5 KiB with its header
        # and vigil's private area; a quarter more, and 512 MiB for EAL.
        return mbufs, mbufs * 2560 * 5 // 4 // (1 << 20) + 512
    # Measured without hugepages (DPDK 22.11): a pool of 2^20 - 1 mbufs
    # fails with size_mb 4023 and is created with 7000, so this gives 6 KB
    # an mbuf and 1 GiB more for EAL's other allocations.
    return mbufs, mbufs * 6144 // (1 << 20) + 1024


def write_config(tmp, pcap, flows, port, hugepages):
    mbufs, size_mb = pool_sizes(flows, hugepages)
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
  hugepages: {"true" if hugepages else "false"}
  mbufs: {mbufs}
  size_mb: {size_mb}
flows:
  table_size: {flows + flows // 8}
  idle_timeout: 315360000
  active_timeout: 0
web:
  listen: ["127.0.0.1:{port}"]
  vigild_socket: {tmp}/api.sock
  data_dir: {tmp}/web-data
  admin_password: "bench-password-1"
log:
  level: info
  status_interval: 0
""")
    return path


class Api:
    def __init__(self, port):
        self.port = port
        self.cookie = None

    def call(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            if resp.status == 200 and method == "POST":
                self.cookie = resp.getheader("Set-Cookie").split(";")[0]
            return resp.status, json.loads(data)
        finally:
            conn.close()

    def counters(self):
        status, doc = self.call("GET", "/api/v1/interfaces")
        if status != 200:
            raise RuntimeError(f"interfaces: {status} {doc}")
        return doc["counters"]


def rate(api, seconds, pids):
    """Returns (packets per second vigild reads over <seconds>, the CPUs'
    worth of time processes other than <pids> and this script used)."""
    meter = LoadMeter(*pids)
    a = api.counters()["rx_packets"]
    t = time.monotonic()
    time.sleep(seconds)
    b = api.counters()["rx_packets"]
    return (b - a) / (time.monotonic() - t), meter.foreign_cpus()


def wait_detection_done(api, timeout):
    """Waits until ndpi_packets stays the same for two seconds; returns the
    seconds waited."""
    began = time.monotonic()
    last = None
    steady = 0
    while steady < 2:
        if time.monotonic() - began > timeout:
            raise RuntimeError(f"nDPI still takes packets after {timeout} s")
        now = api.counters()["ndpi_packets"]
        steady = steady + 1 if now == last else 0
        last = now
        time.sleep(1)
    return time.monotonic() - began


def check_top(doc, flows):
    """Raises unless <doc> contains 100 flows in decreasing byte order."""
    rows = doc.get("flows", [])
    if len(rows) != 100:
        raise RuntimeError(f"top-100 query returned {len(rows)} flows")
    sizes = [r["c2s_bytes"] + r["s2c_bytes"] for r in rows]
    if sizes != sorted(sizes, reverse=True):
        raise RuntimeError("top-100 query: flows are not sorted by bytes")
    if doc.get("total", flows) < flows:
        raise RuntimeError(f"top-100 query counted {doc['total']} flows, "
                           f"expected {flows}")


def run_wrk(wrk, port, cookie, seconds, connections, path, script=None):
    cmd = ["taskset", "-c", "0", wrk, "-t1", f"-c{connections}",
           f"-d{seconds}s", "--latency", "--timeout", "10s", "-H",
           f"Cookie: {cookie}"]
    if script is not None:
        cmd += ["-s", script]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def parse_wrk(text):
    """Returns {p50, p90, p99 in ms, requests, errors} from wrk's report."""
    def ms(value, unit):
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    out = {}
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if m:
            out[f"p{pct}_ms"] = ms(m.group(1), m.group(2))
    m = re.search(r"^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", text, re.M)
    if m:
        out["max_ms"] = ms(m.group(1), m.group(2))
    m = re.search(r"(\d+) requests in", text)
    out["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["errors"] = int(m.group(1)) if m else 0
    return out


def python_load(port, cookie, seconds, connections, path, out_path,
                distinct):
    """Load generator of last resort, run as its own process. With
    <distinct>, each request gets its own port filter."""
    latencies = []
    errors = [0]
    counter = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            target = path
            if distinct:
                with lock:
                    counter[0] += 1
                    target = f"{path}&port={counter[0] % 65536}"
            t = time.monotonic()
            conn.request("GET", target, headers={"Cookie": cookie})
            resp = conn.getresponse()
            resp.read()
            with lock:
                latencies.append((time.monotonic() - t) * 1000)
                errors[0] += resp.status != 200
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))]
    with open(out_path, "w") as f:
        json.dump({"p50_ms": pct(0.5), "p90_ms": pct(0.9),
                   "p99_ms": pct(0.99), "max_ms": latencies[-1],
                   "requests": len(latencies), "errors": errors[0]}, f)


def stop(proc):
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def load_average():
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def start_programs(args, tmp, config):
    vigild = subprocess.Popen([args.vigild, "-c", config],
                              stdout=open(os.path.join(tmp, "vigild.log"),
                                          "w"), stderr=subprocess.STDOUT)
    web = subprocess.Popen(["taskset", "-c", "0", args.vigil_web, "-c",
                            config],
                           stdout=open(os.path.join(tmp, "web.log"), "w"),
                           stderr=subprocess.STDOUT)
    return vigild, web


def wait_flows(api, vigild, flows, tmp):
    """Logs in and waits until vigild has <flows> active flows."""
    deadline = time.monotonic() + 300
    while True:
        try:
            if api.cookie is None:
                api.call("POST", "/api/v1/login", json.dumps(
                    {"user": "admin", "password": "bench-password-1"}))
            active = api.counters()["active_flows"]
            if active >= flows:
                return
        except (OSError, RuntimeError, TypeError, AttributeError):
            active = 0
        if vigild.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"vigild holds {active} flows of {flows}; "
                               f"log in {tmp}")
        time.sleep(1)


def start_load(args, tmp, port, cookie, out_path, distinct):
    wrk = shutil.which("wrk")
    if wrk:
        script = None
        if distinct:
            script = os.path.join(tmp, "distinct.lua")
            with open(script, "w") as f:
                f.write(DISTINCT_LUA)
        return "wrk", run_wrk(wrk, port, cookie, args.seconds,
                              args.connections, SORT_PATH, script)
    return "python", subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, __file__,
         "--vigild", args.vigild, "--vigil-web", args.vigil_web,
         "--load-worker", str(port), cookie, str(args.seconds),
         str(args.connections), out_path, "1" if distinct else "0"])


def loaded_window(args, tmp, api, port, pids, distinct):
    """Runs one load window; returns (packets per second, others, the load
    generator's name, its figures)."""
    out_path = os.path.join(tmp, "load.json")
    generator, load = start_load(args, tmp, port, api.cookie, out_path,
                                 distinct)
    time.sleep(1)
    pps, others = rate(api, args.seconds - 2, pids + [load.pid])
    text = load.communicate()[0]
    if generator == "wrk":
        figures = parse_wrk(text)
    else:
        with open(out_path) as f:
            figures = json.load(f)
    if "p99_ms" not in figures:
        raise RuntimeError(f"no latency figures in:\n{text}")
    return pps, others, generator, figures


def measure_load(args, tmp, api, port, pids, distinct):
    """Runs a load window and returns its figures with vigild's scan
    counters over it."""
    before = api.counters()
    pps, others, generator, figures = loaded_window(args, tmp, api, port,
                                                    pids, distinct)
    after = api.counters()
    return {"generator": generator, "pps": pps, "others": others,
            "scans": after["api_scans"] - before["api_scans"],
            "scans_delayed": (after["api_scans_delayed"] -
                              before["api_scans_delayed"]),
            "scans_rejected": (after["api_scans_rejected"] -
                               before["api_scans_rejected"]),
            "answers_reused": (after["api_answers_reused"] -
                               before["api_answers_reused"]),
            **figures}


def report_load(args, name, load, idle):
    print(f"{name}: {load['requests']} top-100 queries in {args.seconds} s "
          f"({load['requests'] / args.seconds:.1f}/s), {load['errors']} "
          f"errors; p50 {load['p50_ms']:.1f} ms, p90 {load['p90_ms']:.1f} "
          f"ms, p99 {load['p99_ms']:.1f} ms, max "
          f"{load.get('max_ms', 0):.1f} ms")
    print(f"  capture under this load: {load['pps'] / 1e6:.3f} Mpps, "
          f"{100 * load['pps'] / idle:.1f}% of the mean of the windows "
          f"without load around it (others {load['others']:.2f} CPUs); "
          f"vigild ran {load['scans']} scans, {load['scans_delayed']} of "
          f"them delayed by the budget, {load['scans_rejected']} rejected")


def report(args, result):
    print(f"load: {result['load_generator']}, {args.connections} "
          f"connections (p99 floor: < {P99_FLOOR_MS:.0f} ms for the same "
          f"query)")
    print(f"capture without API load: {result['pps_idle'] / 1e6:.3f}, "
          f"{result['pps_idle_after'] / 1e6:.3f} and "
          f"{result['pps_idle_last'] / 1e6:.3f} Mpps (others "
          f"{result['others_idle']:.2f}, {result['others_idle_after']:.2f} "
          f"and {result['others_idle_last']:.2f} CPUs)")
    report_load(args, "same query", result["same"],
                (result["pps_idle"] + result["pps_idle_after"]) / 2)
    report_load(args, "distinct queries", result["distinct"],
                (result["pps_idle_after"] + result["pps_idle_last"]) / 2)
    busiest = max(result["others_idle"], result["same"]["others"],
                  result["others_idle_after"], result["distinct"]["others"],
                  result["others_idle_last"])
    if busiest > FOREIGN_LOAD_WARNING:
        print(f"WARNING: other processes used up to {busiest:.2f} CPUs "
              "during the measurements; the packet rates are lower and the "
              "latencies higher than on an idle machine")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vigild", required=True)
    ap.add_argument("--vigil-web", required=True)
    ap.add_argument("--flows", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=int, default=15,
                    help="length of each measurement window, seconds")
    ap.add_argument("--connections", type=int, default=2)
    ap.add_argument("--hugepages", action="store_true",
                    help="run EAL on 2 MiB hugepages, mounted and reserved "
                    "here (needs root)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--load-worker", nargs=6, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.load_worker:
        port, cookie, seconds, conns, out, distinct = args.load_worker
        python_load(int(port), cookie, int(seconds), int(conns),
                    SORT_PATH, out, distinct == "1")
        return 0
    if args.flows < 100 or args.seconds < 4 or args.connections < 1:
        ap.error("need --flows >= 100, --seconds >= 4, --connections >= 1")

    tmp = tempfile.mkdtemp(prefix="vigil-bench-web-")
    vigild = web = hugepages = None
    try:
        pcap = os.path.join(tmp, "flows.pcap")
        t = time.monotonic()
        build_capture(pcap, args.flows)
        print(f"capture: {args.flows} flows, {os.path.getsize(pcap) >> 20} "
              f"MiB, built in {time.monotonic() - t:.1f} s", flush=True)
        if args.hugepages:
            _, size_mb = pool_sizes(args.flows, True)
            hugepages = Hugepages(size_mb // 2 + 64, "/dev/hugepages")
            hugepages.setup()
            print(f"hugepages: {hugepages.summary}", flush=True)
        port = free_port()
        config = write_config(tmp, pcap, args.flows, port, args.hugepages)
        vigild, web = start_programs(args, tmp, config)
        api = Api(port)
        wait_flows(api, vigild, args.flows, tmp)
        counters = api.counters()
        print(f"vigild: {counters['active_flows']} active flows, "
              f"table_full={counters['flows_table_full']}, "
              f"ndpi_pool_empty={counters['ndpi_pool_empty']}", flush=True)
        waited = wait_detection_done(api, 600)
        print(f"warm-up: nDPI done after {waited:.0f} more seconds",
              flush=True)
        pids = [vigild.pid, web.pid]

        idle_pps, idle_others = rate(api, args.seconds, pids)
        print(f"capture without API load: {idle_pps / 1e6:.3f} Mpps",
              flush=True)

        status, doc = api.call("GET", SORT_PATH)
        if status != 200:
            raise RuntimeError(f"top-100 query: {status} {doc}")
        check_top(doc, args.flows)
        same = measure_load(args, tmp, api, port, pids, False)
        after_pps, after_others = rate(api, args.seconds, pids)
        distinct = measure_load(args, tmp, api, port, pids, True)
        last_pps, last_others = rate(api, args.seconds, pids)
        counters = api.counters()

        result = {
            "flows": counters["active_flows"],
            "load_generator": same.pop("generator"),
            "connections": args.connections,
            "seconds": args.seconds,
            "hugepages": args.hugepages,
            "pps_idle": idle_pps,
            "pps_idle_after": after_pps,
            "pps_idle_last": last_pps,
            "others_idle": idle_others,
            "others_idle_after": after_others,
            "others_idle_last": last_others,
            "same": same,
            "distinct": distinct,
            "loadavg": load_average(),
        }
        distinct.pop("generator")
        report(args, result)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)
        return 0 if same["p99_ms"] < P99_FLOOR_MS else 3
    except (RuntimeError, OSError, KeyError, BenchError) as err:
        print(f"error: {err}")
        args.keep = True
        return 1
    finally:
        stop(web)
        stop(vigild)
        if hugepages is not None:
            hugepages.restore()
        if args.keep:
            print(f"work directory kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
