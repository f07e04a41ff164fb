#!/usr/bin/env python3
"""Timeseries on a live port: 100 000 host series a minute of wall time.

tests/bench/timeseries.py reads a file at full speed, so its minutes of
packet time pass every half second: the host series are cut, merged and
written about 120 times as often as on a link. This benchmark measures
the cost at the pace of a link. vigild captures from a port that replays
a capture from memory without end (net_pcap, infinite_rx=1). Its packets
carry no capture time, so vigild stamps them with the wall clock, and a
minute is a minute. The capture contains one UDP packet from each of HOSTS
local hosts, so every host stays active and gets its series each minute.

RUNS times, in turn, vigild runs for SECONDS without timeseries (the
baseline) and with them (local hosts, a series cap above HOSTS). The rate
is the packets the engine took (rx packets less ring-full drops) between
the status lines at WARMUP seconds and at the end, from vigild's own log
times. The window holds at least two minute cuts when SECONDS - WARMUP
is 120 or more. The rx and engine lcores share one CPU, the one devices
have interrupted least (pick_cpus() says why), and the control thread
and the rrd writer process (vigil-ts-writer, which inherits the control
thread's CPU) run on the other.

The figures: packets per second of each kind (median of the runs), their
ratio (floor: within 5%), the host series written, the points written,
the writer queue's high-water mark and the points dropped because it was
full (floor: none), the share of a CPU the rrd writer process used, the
CPUs' worth of time other processes used (the writer process counts as
vigild's), the share of the lcores' CPU spent
in user mode, and the TLB shootdown interrupts that CPU took a second.
The rest of that CPU went to the kernel. A shootdown is how the kernel
makes the CPUs running a process drop a mapping that one of its threads
removed. librrd maps and unmaps each file it updates, so an rrd writer
inside vigild interrupted the lcores thousands of times a second.

Standard library only; no hugepages (about 1.8 GB of 4 KiB pages for the
mbufs). Exit status: 0 floors met, 3 a floor missed, 1 a run failed, 2 a
command-line error.

With --housekeeping the kernel's unbound work queues run on the control
CPU only, for the benchmark's duration; without it, the writeback of the
rrd files' dirty pages runs partly on the lcores' CPU (2.7% of it in one
profiled run). On a 2-CPU virtual machine the option raised the lcores'
user time to that of the baseline but lowered their rate. Why the rate
fell was not measured; the other CPU did more of the work, and the two
share the L3 cache and memory.

usage: timeseries_live.py --vigild PATH [--hosts N] [--seconds S]
                          [--warmup S] [--runs N] [--work DIR] [--keep]
                          [--lcore-cpu N] [--housekeeping]
"""
import argparse
import ipaddress
import os
import shutil
import signal
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
from timeseries import fields, log_time  # noqa: E402
from web_api import pool_sizes  # noqa: E402

FLOOR = 0.95
LCORE_CPU = 1  # lcores.rx and lcores.engine; see pick_cpus()
CONTROL_CPU = 0


def build_capture(path, hosts):
    """One small UDP packet from each host to one of 50 remote servers."""
    base = ipaddress.IPv4Address("10.0.0.1")
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for h in range(hosts):
            src = str(base + h)
            dst = f"203.0.113.{h % 50 + 1}"
            frame = g.packet(src, dst, 17, g.udp(src, 20000 + h % 40000,
                                                 dst, 9999, b"v" * 18))
            f.write(struct.pack("<IIII", 1_700_000_000, h, len(frame),
                                len(frame)))
            f.write(frame)


def write_config(work, name, capture, hosts, rrd):
    mbufs, size_mb = pool_sizes(hosts, False)
    lines = [
        "capture:",
        "  ports:",
        f"    - vdev: net_pcap0,rx_pcap={capture},infinite_rx=1",
        "      name: live0",
        "lcores:",
        f"  control: {CONTROL_CPU}",
        f"  rx: [{LCORE_CPU}]",
        f"  engine: [{LCORE_CPU}]",
        "memory:",
        "  hugepages: false",
        f"  mbufs: {mbufs}",
        f"  size_mb: {size_mb}",
        "flows:",
        f"  table_size: {2 * hosts + 4096}",
        "  idle_timeout: 3600",
        "  active_timeout: 0",
        "networks:",
        "  local: [10.0.0.0/8]",
        "log:",
        "  status_interval: 1",
    ]
    if rrd:
        lines += [
            "timeseries:",
            f"  directory: {rrd}",
            f"  host_series_max: {2 * hosts}",
            "  archives:",
            "    - { resolution: 60, keep: 3600 }",
        ]
    path = os.path.join(work, name + ".yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def cpu_times(cpu):
    """Returns (user + nice, all) clock ticks of CPU <cpu> from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                ticks = [int(v) for v in line.split()[1:9]]
                return ticks[0] + ticks[1], sum(ticks)
    raise RuntimeError(f"no cpu{cpu} line in /proc/stat")


def device_interrupts():
    """Returns the interrupts each CPU has taken from devices (the numbered
    lines of /proc/interrupts), by CPU number."""
    with open("/proc/interrupts", encoding="ascii") as f:
        cpus = [int(c[3:]) for c in f.readline().split()]
        totals = dict.fromkeys(cpus, 0)
        for line in f:
            parts = line.split()
            if not parts or not parts[0].rstrip(":").isdigit():
                continue
            for cpu, value in zip(cpus, parts[1:1 + len(cpus)]):
                if value.isdigit():
                    totals[cpu] += int(value)
    return totals


def pick_cpus(lcore_cpu):
    """Chooses the lcores' CPU and the control thread's: the lcores go
    where devices have interrupted least, unless <lcore_cpu> is given.

    Some virtual machines route a device's interrupts to one fixed CPU
    (a kernel-managed interrupt, whose affinity root cannot change). The
    writer's disk writes then interrupt that CPU, and if the lcores ran
    there the benchmark would measure the interrupt placement, not vigil.
    A probe's operator keeps device interrupts off the lcores' CPUs in
    the same way."""
    global LCORE_CPU, CONTROL_CPU
    totals = device_interrupts()
    if len(totals) < 2:
        raise RuntimeError("needs two CPUs")
    if lcore_cpu is None:
        lcore_cpu = min(sorted(totals), key=lambda c: totals[c])
    LCORE_CPU = lcore_cpu
    CONTROL_CPU = next(c for c in sorted(totals) if c != lcore_cpu)
    return totals


WORKQUEUE_MASKS = ("/sys/devices/virtual/workqueue/cpumask",
                   "/sys/devices/virtual/workqueue/writeback/cpumask")


def keep_kernel_work_off(cpu):
    """Restricts the kernel's unbound work queues, disk writeback among
    them, to <cpu>. Returns the masks to restore, by file."""
    saved = {}
    try:
        for path in WORKQUEUE_MASKS:
            with open(path, encoding="ascii") as f:
                mask = f.read().strip()
            with open(path, "w", encoding="ascii") as f:
                f.write(f"{1 << cpu:x}\n")
            saved[path] = mask
    except OSError:
        restore_masks(saved)
        raise
    return saved


def restore_masks(saved):
    for path, mask in saved.items():
        with open(path, "w", encoding="ascii") as f:
            f.write(mask + "\n")


def children(pid):
    """Returns the pids of <pid>'s child processes, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                after_name = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(after_name[1]) == pid:
            found.append(int(entry))
    return found


def cpu_seconds(pids):
    """Returns the CPU time, user and system, that <pids> have used."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                after_name = f.read().rsplit(")", 1)[1].split()
            ticks += int(after_name[11]) + int(after_name[12])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def tlb_shootdowns(cpu):
    """Returns the TLB shootdown interrupts CPU <cpu> has taken, from
    /proc/interrupts, or None when the kernel does not list them."""
    with open("/proc/interrupts", encoding="ascii") as f:
        cpus = f.readline().split()
        for line in f:
            parts = line.split()
            if parts and parts[0] == "TLB:":
                return int(parts[1 + cpus.index(f"CPU{cpu}")])
    return None


def run(vigild, config, seconds, warmup, timeseries):
    """Runs vigild on the live port for <seconds>, then stops it with
    SIGINT; returns its figures."""
    proc = subprocess.Popen([vigild, "-c", config],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            errors="replace")
    lines = []
    reader = threading.Thread(
        target=lambda: lines.extend(line.rstrip("\n")
                                    for line in proc.stderr))
    reader.start()
    time.sleep(warmup)
    # The rrd writer is vigild's child process: its time is vigild's.
    kids = children(proc.pid)
    meter = LoadMeter(proc.pid, *kids)
    kids_cpu0 = cpu_seconds(kids)
    user0, all0 = cpu_times(LCORE_CPU)
    tlb0 = tlb_shootdowns(LCORE_CPU)
    time.sleep(seconds - warmup)
    others = meter.foreign_cpus()
    kids_cpu = (cpu_seconds(kids) - kids_cpu0) / (seconds - warmup)
    user1, all1 = cpu_times(LCORE_CPU)
    tlb1 = tlb_shootdowns(LCORE_CPU)
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=600)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    reader.join()
    if proc.returncode != 0:
        raise RuntimeError(f"vigild exited {proc.returncode}:\n" +
                           "\n".join(lines[-30:]))
    status = [(log_time(line), fields(line)) for line in lines
              if "engine: status " in line]
    started = next((log_time(line) for line in lines
                    if "engine: started" in line), None)
    if started is None or len(status) < 3:
        raise RuntimeError("missing status lines:\n" +
                           "\n".join(lines[-30:]))
    window = [s for s in status if s[0] >= started + warmup]
    if len(window) < 2:
        raise RuntimeError("no status lines after the warm-up")
    (t0, a), (t1, b) = window[0], window[-1]

    def taken(s):
        return s["packets"] - s["ring_full"]

    result = dict(pps=(taken(b) - taken(a)) / (t1 - t0), seconds=t1 - t0,
                  writer_cpu=kids_cpu,
                  others=others, drops=b["ring_full"] - a["ring_full"],
                  lcore_user=(user1 - user0) / max(all1 - all0, 1),
                  tlb=(None if tlb0 is None or tlb1 is None
                       else (tlb1 - tlb0) / (seconds - warmup)))
    if timeseries:
        writer = next((line for line in lines if "writer stopped" in line),
                      None)
        series = next((line for line in lines
                       if "timeseries: series" in line), None)
        if writer is None or series is None:
            raise RuntimeError("missing timeseries log lines:\n" +
                               "\n".join(lines[-30:]))
        result["writer"] = fields(writer)
        result["series"] = fields(series)
    return result


def tlb_text(r):
    if r["tlb"] is None:
        return "TLB shootdowns not listed"
    return f"TLB shootdowns on CPU {LCORE_CPU} {r['tlb']:,.0f}/s"


def main():
    parser = argparse.ArgumentParser(
        description="timeseries cost on a live port, wall-clock minutes")
    parser.add_argument("--vigild", required=True)
    parser.add_argument("--hosts", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=150)
    parser.add_argument("--warmup", type=float, default=20)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--work", help="work directory (default: a new one "
                        "under /var/tmp)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--housekeeping", action="store_true",
                        help="run the kernel's unbound work queues (disk "
                        "writeback among them) on the control CPU only, "
                        "for the benchmark's duration, as a probe's "
                        "operator would; needs root")
    parser.add_argument("--lcore-cpu", type=int, help="the CPU for the rx "
                        "and engine lcores (default: the one devices have "
                        "interrupted least)")
    args = parser.parse_args()
    if args.seconds - args.warmup < 10 or args.runs < 1:
        parser.error("--seconds must exceed --warmup by 10 or more")

    try:
        totals = pick_cpus(args.lcore_cpu)
    except (RuntimeError, StopIteration) as err:
        parser.error(str(err))
    print(f"lcores on CPU {LCORE_CPU}, control thread and rrd writer on "
          f"CPU {CONTROL_CPU}; device interrupts so far: " +
          ", ".join(f"CPU {c} {n:,}" for c, n in sorted(totals.items())),
          flush=True)
    saved = {}
    if args.housekeeping:
        try:
            saved = keep_kernel_work_off(CONTROL_CPU)
        except OSError as err:
            parser.error(f"--housekeeping: {err}")
        print(f"kernel unbound work queues on CPU {CONTROL_CPU} only until "
              "the end (were " + ", ".join(
                  f"{os.path.relpath(p, '/sys/devices/virtual/workqueue')} "
                  f"{m}" for p, m in saved.items()) + ")", flush=True)
    work = args.work or tempfile.mkdtemp(prefix="vigil-ts-live-",
                                         dir="/var/tmp")
    os.makedirs(work, exist_ok=True)
    capture = os.path.join(work, "hosts.pcap")
    build_capture(capture, args.hosts)
    print(f"capture: {args.hosts:,} hosts, one packet each, replayed "
          f"without end; {args.seconds:.0f} s a run, measured after "
          f"{args.warmup:.0f} s", flush=True)
    base_config = write_config(work, "baseline", capture, args.hosts, None)
    baseline, with_ts = [], []
    try:
        for i in range(args.runs):
            r = run(args.vigild, base_config, args.seconds, args.warmup,
                    False)
            baseline.append(r)
            print(f"baseline run {i + 1}: {r['pps']:,.0f} packets/s over "
                  f"{r['seconds']:.0f} s; ring-full drops {r['drops']:,}; "
                  f"CPU {LCORE_CPU} in user mode {r['lcore_user']:.1%}; "
                  f"{tlb_text(r)}; others {r['others']:.2f} CPUs",
                  flush=True)
            rrd = os.path.join(work, f"rrd{i}")
            shutil.rmtree(rrd, ignore_errors=True)
            config = write_config(work, f"ts{i}", capture, args.hosts, rrd)
            r = run(args.vigild, config, args.seconds, args.warmup, True)
            with_ts.append(r)
            print(f"timeseries run {i + 1}: {r['pps']:,.0f} packets/s over "
                  f"{r['seconds']:.0f} s; ring-full drops {r['drops']:,}; "
                  f"host series {r['series'].get('host_series', 0):,}; "
                  f"writer process {r['writer_cpu']:.1%} of a CPU; "
                  f"points {r['writer'].get('updates', 0):,}; CPU "
                  f"{LCORE_CPU} in user mode {r['lcore_user']:.1%}; "
                  f"{tlb_text(r)}; others {r['others']:.2f} CPUs",
                  flush=True)
            if not args.keep:
                shutil.rmtree(rrd, ignore_errors=True)
    except RuntimeError as err:
        print(f"ERROR: {err}")
        return 1
    finally:
        restore_masks(saved)
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)

    base_pps = statistics.median(r["pps"] for r in baseline)
    ts_pps = statistics.median(r["pps"] for r in with_ts)
    ratio = ts_pps / base_pps
    dropped = max(r["writer"].get("dropped", 0) for r in with_ts)
    high = max(r["writer"].get("queue_high_water", 0) for r in with_ts)
    hosts = min(r["series"].get("host_series", 0) for r in with_ts)
    busiest = max(r["others"] for r in baseline + with_ts)
    print()
    print(f"  baseline packets/s        {base_pps:14,.0f}  (median of "
          f"{len(baseline)})")
    print(f"  timeseries packets/s      {ts_pps:14,.0f}  (median of "
          f"{len(with_ts)})")
    print(f"  ratio                     {ratio:14.3f}  floor >= {FLOOR}")
    print(f"  host series               {hosts:14,}")
    print(f"  queue high-water mark     {high:14,}")
    print(f"  points dropped, queue full {dropped:13,}")
    print(f"  others, most in one run   {busiest:14.2f} CPUs")
    for name, runs in (("baseline", baseline), ("timeseries", with_ts)):
        least = min(r["lcore_user"] for r in runs)
        print(f"  CPU {LCORE_CPU} in user mode, {name:10} {least:8.1%}  "
              "(least of the runs; the rest is the kernel's)")
    if busiest > FOREIGN_LOAD_WARNING:
        print(f"  WARNING: other processes used up to {busiest:.2f} CPUs "
              "during a run; the rates are lower than on an idle machine "
              "and the ratio is not reliable")
    met = ratio >= FLOOR and dropped == 0 and hosts >= args.hosts
    print(f"  result                    {'met' if met else 'MISSED'}")
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main())
