#!/usr/bin/env python3
"""Timeseries benchmark: 100 000 host series a minute beside a full-speed replay.

vigild's timeseries must not slow capture: the control thread hands each
point to the writer thread and never waits on disk. This bench builds a
capture in which HOSTS local hosts each send PACKETS small UDP packets a
minute, for MINUTES minutes of packet time, and has vigild read it at full
speed (net_pcap, no pacing) RUNS times in each of three ways, in turn:

- without timeseries (the baseline);
- with timeseries on but no host series (host_series_max 0): the engine
  lcores still keep their host tables and cut them every minute, which is
  what timeseries cost capture, but the writer gets only the 20 or so
  other series a minute. This run separates the engine's share of the
  cost from the writer's; the floor does not use it;
- with timeseries on, local hosts only, a cap above HOSTS, a fresh rrd
  directory each time and a writer queue large enough for every point of
  the run. Each host writes two series a minute, its traffic and its
  bytes per application (one application here); interfaces, the network
  and vigild itself add about 20.

Packets per second come from vigild's "capture: input read" line: engine
packets over the time from the lcores' launch until the last engine lcore
has flushed its flows. That time is measured the same way in every kind
of run. It leaves out start-up and the control thread's work after the
input ended, such as turning the last minute into points. The median of
each kind is compared: the floor is the timeseries run within 5% of the
baseline. The writer's queue must never be full (dropped=0). The report
also prints the queue's high-water mark, how long the writer took to
write the run's points after capture ended, and its rate against the rate
that the run's points a minute need in real time (3 333 updates a second
once 100 000 hosts have both series). Each run also prints the CPUs'
worth of time other processes used from its start until the input was
read.

The archives are cut to one hour of one-minute rows, so that 200 000
files fit on a small disk (2 to 10 KB each); the default archives make
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
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
import pcapgen as g  # noqa: E402
from capture import FOREIGN_LOAD_WARNING, LoadMeter  # noqa: E402

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


def write_config(work, name, capture, rrd, queue, host_series=10_000_000):
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
            f"  host_series_max: {host_series}",
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


def seconds_field(line):
    match = re.search(r"\bseconds=([\d.]+)", line)
    return float(match.group(1)) if match else None


def run(vigild, config, timeseries, frames):
    """Runs vigild once; returns its figures. <others> is the CPUs' worth
    of time other processes used from start-up until the input was read."""
    began = time.monotonic()
    proc = subprocess.Popen([vigild, "-c", config],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            errors="replace")
    meter = LoadMeter(proc.pid)
    watchdog = threading.Timer(3600, proc.kill)
    watchdog.start()
    lines = []
    others = None
    for line in proc.stderr:
        lines.append(line.rstrip("\n"))
        if others is None and "capture: input read" in line:
            others = meter.foreign_cpus()
    proc.wait()
    watchdog.cancel()
    wall = time.monotonic() - began
    if proc.returncode != 0:
        raise RuntimeError(f"vigild exited {proc.returncode}:\n" +
                           "\n".join(lines[-30:]))
    start = first_line(lines, "engine: started")
    read = first_line(lines, "capture: input read")
    summary = first_line(lines, "engine: summary")
    if start is None or read is None or summary is None:
        raise RuntimeError("missing log lines:\n" + "\n".join(lines[-30:]))
    packets = fields(summary)["packets"]
    seconds = seconds_field(read)
    if packets != frames or fields(read).get("packets") != packets:
        raise RuntimeError(f"vigild counted {packets} packets of {frames}:\n"
                           + "\n".join(lines[-30:]))
    if not seconds:
        raise RuntimeError(f"no time in: {read}")
    result = dict(packets=packets, seconds=seconds, pps=packets / seconds,
                  wall=wall, others=others)
    if timeseries:
        writer = first_line(lines, "writer stopped")
        series = first_line(lines, "timeseries: series")
        if writer is None or series is None:
            raise RuntimeError("missing timeseries log lines:\n" +
                               "\n".join(lines[-30:]))
        result["writer"] = fields(writer)
        result["series"] = fields(series)
        # The input ended <seconds> after the lcores were launched, which
        # is just before "engine: started" is logged.
        ended = log_time(start) + seconds
        result["drain"] = log_time(writer) - ended
        result["writer_seconds"] = log_time(writer) - log_time(start)
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
    # Every point of the run fits: two series per host (traffic and one
    # application) and about 20 other series a minute.
    queue = (2 * args.hosts + 64) * (args.minutes + 1)
    base_config = write_config(work, "baseline", capture, None, queue)
    baseline, hosts_only, with_ts = [], [], []
    try:
        for i in range(args.runs):
            baseline.append(run(args.vigild, base_config, False, frames))
            print(f"baseline run {i + 1}: {baseline[-1]['pps']:,.0f} "
                  f"packets/s over {baseline[-1]['seconds']:.2f} s; others "
                  f"{baseline[-1]['others']:.2f} CPUs", flush=True)
            rrd = os.path.join(work, f"rrd-hosts{i}")
            shutil.rmtree(rrd, ignore_errors=True)
            config = write_config(work, f"hosts{i}", capture, rrd, queue, 0)
            hosts_only.append(run(args.vigild, config, True, frames))
            r = hosts_only[-1]
            print(f"no host series run {i + 1}: {r['pps']:,.0f} packets/s "
                  f"over {r['seconds']:.2f} s; others {r['others']:.2f} CPUs",
                  flush=True)
            shutil.rmtree(rrd, ignore_errors=True)
            rrd = os.path.join(work, f"rrd{i}")
            shutil.rmtree(rrd, ignore_errors=True)
            config = write_config(work, f"ts{i}", capture, rrd, queue)
            with_ts.append(run(args.vigild, config, True, frames))
            r = with_ts[-1]
            print(f"timeseries run {i + 1}: {r['pps']:,.0f} packets/s over "
                  f"{r['seconds']:.2f} s; writer drained in "
                  f"{r['drain']:.1f} s; others {r['others']:.2f} CPUs",
                  flush=True)
            if not args.keep:
                shutil.rmtree(rrd, ignore_errors=True)
    except RuntimeError as err:
        print(f"ERROR: {err}")
        return 1
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)

    base_pps = statistics.median(r["pps"] for r in baseline)
    ts_pps = statistics.median(r["pps"] for r in with_ts)
    hosts_pps = statistics.median(r["pps"] for r in hosts_only)
    ratio = ts_pps / base_pps
    dropped = max(r["writer"].get("dropped", 0) for r in with_ts)
    high = max(r["writer"].get("queue_high_water", 0) for r in with_ts)
    updates = [r["writer"].get("updates", 0) for r in with_ts]
    drains = [r["drain"] for r in with_ts]
    hosts = min(r["series"].get("host_series", 0) for r in with_ts)
    # The writer starts on the first minute and may idle between minutes,
    # so points over the whole run are a lower bound on its rate.
    rate = statistics.median(u / r["writer_seconds"]
                             for u, r in zip(updates, with_ts))
    busiest = max(r["others"] for r in baseline + hosts_only + with_ts)
    base_list = ", ".join(f"{r['pps']:,.0f}" for r in baseline)
    hosts_list = ", ".join(f"{r['pps']:,.0f}" for r in hosts_only)
    ts_list = ", ".join(f"{r['pps']:,.0f}" for r in with_ts)
    print()
    print(f"  baseline packets/s        {base_pps:14,.0f}  (median of "
          f"{len(baseline)}: {base_list})")
    print(f"  no host series packets/s  {hosts_pps:14,.0f}  (median of "
          f"{len(hosts_only)}: {hosts_list})")
    print(f"  timeseries packets/s      {ts_pps:14,.0f}  (median of "
          f"{len(with_ts)}: {ts_list})")
    print(f"  ratio                     {ratio:14.3f}  floor >= {FLOOR}")
    print(f"  ratio, no host series     {hosts_pps / base_pps:14.3f}")
    print(f"  host series               {hosts:14,}")
    print(f"  points written per run    {statistics.median(updates):14,.0f}")
    print(f"  writer queue size         {queue:14,}")
    print(f"  queue high-water mark     {high:14,}")
    print(f"  points dropped, queue full {dropped:13,}")
    print(f"  writer drain after capture {statistics.median(drains):12.1f} s")
    print(f"  writer rate, at least     {rate:14,.0f} updates/s "
          f"(real time needs "
          f"{statistics.median(updates) / args.minutes / 60:,.0f})")
    print(f"  others, most in one run   {busiest:14.2f} CPUs")
    if busiest > FOREIGN_LOAD_WARNING:
        print(f"  WARNING: other processes used up to {busiest:.2f} CPUs "
              "during a run; the rates are lower than on an idle machine "
              "and the ratio is not reliable")
    met = ratio >= FLOOR and dropped == 0 and hosts >= args.hosts
    print(f"  result                    {'met' if met else 'MISSED'}")
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main())
