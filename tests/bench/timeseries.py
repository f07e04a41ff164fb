#!/usr/bin/env python3
"""Timeseries benchmark: 100 000 host series a minute beside a full-speed replay.

vigild's timeseries must not slow capture: the control thread hands each
point to the writer thread and never waits on disk. This bench builds a
capture in which HOSTS local hosts each send PACKETS small UDP packets a
minute, for MINUTES minutes of packet time, and has vigild read it at full
speed (net_pcap, no pacing) twice or more, alternating:

- without timeseries (the baseline);
- with timeseries on, local hosts only, a cap above HOSTS, a fresh rrd
  directory each time and a writer queue large enough for every point of
  the run (HOSTS + about 20 points a minute).

Packets per second are engine packets divided by the time between vigild's
"started" log line and the end of the capture: the "timeseries: series"
line with timeseries (logged when the last minute is delivered, before the
writer drains), the "capture: summary" line without. The median of each
kind is compared: the floor is the timeseries run within 5% of the
baseline. The writer's queue must never be full (dropped=0). The report
also prints the queue's high-water mark, how long the writer took to write
the run's points after capture ended, and its rate against the 1 667
updates a second that 100 000 series a minute need in real time.

The archives are cut to one hour of one-minute rows, so that 100 000
files fit on a small disk (about 8 KB each); the default archives make
files of 1.3 MB each.

Standard library only; no root and no hugepages (vigild runs with
memory.hugepages false). Exit status: 0 floor met, 3 floor missed,
1 a run failed, 2 a command-line error.

usage: timeseries.py --vigild PATH [--hosts N] [--minutes N] [--packets N]
                     [--runs N] [--work DIR] [--keep]
"""
import argparse
import datetime
import ipaddress
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import pcapgen as g  # noqa: E402

T0 = 1_700_000_000 - 1_700_000_000 % 60
FLOOR = 0.95
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z ")


def build_capture(path, hosts, minutes, packets):
    """Write the replay; return the number of frames."""
    base = ipaddress.IPv4Address("10.0.0.1")
    frames = []
    for h in range(hosts):
        src = str(base + h)
        dst = f"203.0.113.{h % 50 + 1}"
        frames.append(g.packet(src, dst, 17,
                               g.udp(src, 20000 + h % 40000, dst, 9999,
                                     b"v" * 18)))
    gap = 55.0 / (hosts * packets)
    count = 0
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for m in range(minutes):
            t = T0 + m * 60 + 1.0
            for _ in range(packets):
                chunk = []
                for frame in frames:
                    sec = int(t)
                    usec = int((t - sec) * 1e6)
                    chunk.append(struct.pack("<IIII", sec, usec, len(frame),
                                             len(frame)))
                    chunk.append(frame)
                    t += gap
                f.write(b"".join(chunk))
                count += len(frames)
    return count


def write_config(work, name, capture, rrd, queue):
    lines = [
        "capture:",
        "  ports:",
        f"    - pcap: {capture}",
        "      name: bench0",
        "flows:",
        "  idle_timeout: 600",
        "  table_size: 262144",
        "networks:",
        "  local: [10.0.0.0/8]",
        "log:",
        "  status_interval: 0",
    ]
    if rrd:
        lines += [
            "timeseries:",
            f"  directory: {rrd}",
            "  host_series_max: 10000000",
            f"  queue_size: {queue}",
            "  archives:",
            "    - { resolution: 60, keep: 3600 }",
        ]
    path = os.path.join(work, name + ".yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def log_time(line):
    match = LOG_TIME.match(line)
    if not match:
        return None
    stamp = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S.%f")
    return (stamp - datetime.datetime(1970, 1, 1)).total_seconds()


def first_line(lines, needle):
    for line in lines:
        if needle in line:
            return line
    return None


def fields(line):
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)(?=\s|$)", line)}


def run(vigild, config, timeseries):
    began = time.monotonic()
    proc = subprocess.run([vigild, "-c", config], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True,
                          errors="replace", timeout=3600)
    wall = time.monotonic() - began
    lines = proc.stderr.splitlines()
    if proc.returncode != 0:
        raise RuntimeError(f"vigild exited {proc.returncode}:\n" +
                           "\n".join(lines[-30:]))
    start = first_line(lines, "engine: started")
    end = first_line(lines, "timeseries: series" if timeseries else
                     "capture: summary")
    summary = first_line(lines, "engine: summary")
    if start is None or end is None or summary is None:
        raise RuntimeError("missing log lines:\n" + "\n".join(lines[-30:]))
    packets = fields(summary)["packets"]
    seconds = log_time(end) - log_time(start)
    result = dict(packets=packets, seconds=seconds, pps=packets / seconds,
                  wall=wall)
    if timeseries:
        writer = first_line(lines, "writer stopped")
        series = first_line(lines, "timeseries: series")
        result["writer"] = fields(writer)
        result["series"] = fields(series)
        result["drain"] = log_time(writer) - log_time(end)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vigild", required=True)
    parser.add_argument("--hosts", type=int, default=100_000)
    parser.add_argument("--minutes", type=int, default=5)
    parser.add_argument("--packets", type=int, default=10,
                        help="packets per host per minute")
    parser.add_argument("--runs", type=int, default=2,
                        help="runs of each kind, alternating")
    parser.add_argument("--work", help="work directory (default: a new one "
                        "under /var/tmp)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.hosts < 1 or args.minutes < 2 or args.packets < 1:
        parser.error("need --hosts >= 1, --minutes >= 2, --packets >= 1")

    work = args.work or tempfile.mkdtemp(prefix="vigil-ts-bench-",
                                         dir="/var/tmp")
    os.makedirs(work, exist_ok=True)
    capture = os.path.join(work, "hosts.pcap")
    began = time.monotonic()
    frames = build_capture(capture, args.hosts, args.minutes, args.packets)
    print(f"capture: {frames:,} frames, {args.hosts:,} hosts x "
          f"{args.packets} packets x {args.minutes} minutes "
          f"({time.monotonic() - began:.1f} s to build)", flush=True)
    # Every point of the run fits: hosts and ~20 other series a minute.
    queue = (args.hosts + 64) * (args.minutes + 1)
    base_config = write_config(work, "baseline", capture, None, queue)
    baseline, with_ts = [], []
    try:
        for i in range(args.runs):
            baseline.append(run(args.vigild, base_config, False))
            print(f"baseline run {i + 1}: {baseline[-1]['pps']:,.0f} "
                  f"packets/s over {baseline[-1]['seconds']:.2f} s",
                  flush=True)
            rrd = os.path.join(work, f"rrd{i}")
            shutil.rmtree(rrd, ignore_errors=True)
            config = write_config(work, f"ts{i}", capture, rrd, queue)
            with_ts.append(run(args.vigild, config, True))
            r = with_ts[-1]
            print(f"timeseries run {i + 1}: {r['pps']:,.0f} packets/s over "
                  f"{r['seconds']:.2f} s; writer drained in "
                  f"{r['drain']:.1f} s", flush=True)
            if not args.keep:
                shutil.rmtree(rrd, ignore_errors=True)
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        print(f"ERROR: {err}")
        return 1
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)

    base_pps = statistics.median(r["pps"] for r in baseline)
    ts_pps = statistics.median(r["pps"] for r in with_ts)
    ratio = ts_pps / base_pps
    dropped = max(r["writer"].get("dropped", 0) for r in with_ts)
    high = max(r["writer"].get("queue_high_water", 0) for r in with_ts)
    updates = [r["writer"].get("updates", 0) for r in with_ts]
    drains = [r["drain"] for r in with_ts]
    hosts = min(r["series"].get("host_series", 0) for r in with_ts)
    rate = statistics.median(u / d for u, d in zip(updates, drains) if d > 0)
    base_list = ", ".join(f"{r['pps']:,.0f}" for r in baseline)
    ts_list = ", ".join(f"{r['pps']:,.0f}" for r in with_ts)
    print()
    print(f"  baseline packets/s        {base_pps:14,.0f}  (median of "
          f"{len(baseline)}: {base_list})")
    print(f"  timeseries packets/s      {ts_pps:14,.0f}  (median of "
          f"{len(with_ts)}: {ts_list})")
    print(f"  ratio                     {ratio:14.3f}  floor >= {FLOOR}")
    print(f"  host series               {hosts:14,}")
    print(f"  points written per run    {statistics.median(updates):14,.0f}")
    print(f"  writer queue size         {queue:14,}")
    print(f"  queue high-water mark     {high:14,}")
    print(f"  points dropped, queue full {dropped:13,}")
    print(f"  writer drain after capture {statistics.median(drains):12.1f} s")
    print(f"  writer rate               {rate:14,.0f} updates/s "
          f"(real time needs {args.hosts / 60:,.0f})")
    met = ratio >= FLOOR and dropped == 0 and hosts >= args.hosts
    print(f"  result                    {'met' if met else 'MISSED'}")
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main())
