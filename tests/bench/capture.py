#!/usr/bin/env python3
"""Capture benchmark: vigild against dpdk-testpmd and ndpiReader, one replay.

vigil holds two throughput floors against reference programs, measured on
the same machine in the same run, with one rx and one engine lcore. vigild
must process at least half the packets per second that dpdk-testpmd
forwards in io mode from the same replay. It must also process at least
three times what nDPI's own reader (ndpiReader) processes from the same
capture, with the same classification. A third floor is memory: at most
256 bytes a flow in the flow table.

One run does, in order and never two DPDK programs at once:

1. mounts hugetlbfs and reserves 2 MiB hugepages if needed (undone at exit);
2. builds the replay capture (see build_replay) and writes it as pcap;
3. replays it from memory through vigild (net_pcap with infinite_rx=1) and
   takes packets per second from the packet counter of its status lines,
   and measures the round trip of a cache line between vigild's two CPUs
   before and after (see ROUND_TRIP_FAR_NS);
4. replays it the same way through dpdk-testpmd in io forward mode on one
   forwarding core, and takes packets per second from its port statistics;
5. runs ndpiReader, pinned to one CPU, on the capture concatenated enough
   times to keep it busy for several seconds;
6. compares the protocol counts of vigild and ndpiReader, measures the flow
   table with the vigil-bench-flow-size probe, and prints every figure with
   the floors it is held to.

Standard library only. It needs root (hugepages). Exit status: 0 when
every floor is met, 3 when the measurements worked but a floor is missed,
1 when a program failed (crash, hang, inconsistent counters) or is
missing, 2 for a command-line error.
"""
import argparse
import datetime
import heapq
import json
import math
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# Floors, from the "numbers to hold" of vigil's architecture.
FLOOR_VS_TESTPMD = 0.5
FLOOR_VS_NDPI = 3.0
FLOOR_FLOW_BYTES = 256

# CPUs' worth of time other processes may use during a measurement before
# the report calls its figures unreliable.
FOREIGN_LOAD_WARNING = 0.1

# A cache line's round trip between vigild's two CPUs, above which the
# report prints that the CPUs share no cache. vigild hands every packet's
# summary from one CPU to the other, so its rate fell by 25 to 40% when the
# round trip grew from about 130 ns to about 470 ns, as it does on a virtual
# machine whose host moves its CPUs apart (docs/benchmarks.md). testpmd and
# ndpiReader keep each packet on one CPU and did not slow down.
ROUND_TRIP_FAR_NS = 300

# net_pcap's infinite_rx keeps every frame of the file in one mbuf and fails
# on frames that would need a chain. vigild and testpmd both create their
# pools with RTE_MBUF_DEFAULT_BUF_SIZE, whose data room is 2048 bytes.
MAX_FRAME = 2048

# Replay timestamps: every source capture is spread evenly over SPAN_US.
# That is shorter than vigild's idle timeouts (30 s and up by default) and
# ndpiReader's (MAX_IDLE_TIME, 30 s in nDPI's example/reader_util.h), so no
# flow expires in either program while the capture is read or replayed.
SPAN_US = 20_000_000
EPOCH_US = 1_600_000_000 * 1_000_000

# Captures of the nDPI test corpus that exercise parser robustness (fuzzer
# output, deliberately broken packets) rather than carry traffic.
ROBUSTNESS_CAPTURE = re.compile(
    r"fuzz|garbage|malformed|crash|segv|invalid|overflow|badpackets")

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", False),
    b"\xa1\xb2\xc3\xd4": (">", False),
    b"\x4d\x3c\xb2\xa1": ("<", True),
    b"\xa1\xb2\x3c\x4d": (">", True),
}
LINKTYPE_ETHERNET = 1

STATUS_LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z \w+ engine: status "
    r".*\bpackets=(?P<packets>\d+)")
TESTPMD_RX_PACKETS = re.compile(r"RX-packets:\s+(\d+)")
TESTPMD_RX_PPS = re.compile(r"Rx-pps:\s+(\d+)")
NDPI_TOTAL = re.compile(r"IP packets:\s+\d+\s+of (\d+) packets total")
NDPI_TIME = re.compile(r"Packet Processing Time:\s+(\d+) msec")
NDPI_THROUGHPUT = re.compile(r"nDPI throughput:\s+(.+)")
NDPI_FLOWS = re.compile(r"Unique flows:\s+(\d+)")
NDPI_PROTOCOL = re.compile(
    r"^\t(?P<name>\S+)\s+packets:\s+(?P<packets>\d+)\s+bytes:\s+\d+\s+"
    r"flows:\s+(?P<flows>\d+)")
PROBE_FIELD = re.compile(r"(\w+)=([\d.]+)")


class BenchError(Exception):
    """A step that cannot go on: a missing tool, a crash, a hang, bad counters."""


def log(message):
    print(f"capture-bench: {message}", file=sys.stderr, flush=True)


# ---- pcap files ----

def read_pcap(path):
    """Read a classic pcap file into (linktype, [(ts_us, orig_len, data)])."""
    data = Path(path).read_bytes()
    if len(data) < 24:
        raise BenchError(f"{path}: shorter than a pcap file header")
    layout = PCAP_MAGICS.get(data[:4])
    # NOTE: pcapng is not parsed, so the corpus mix leaves out its pcapng
    # captures (44 of the 184 in nDPI 4.2, among them tor and several QUIC ones).
    if layout is None:
        raise BenchError(f"{path}: not a classic pcap file "
                         "(pcapng is not read here; convert it with editcap -F pcap)")
    endian, nanoseconds = layout
    # The top bits of the link type field carry FCS information.
    linktype = struct.unpack_from(endian + "I", data, 20)[0] & 0x0FFFFFFF
    record = struct.Struct(endian + "IIII")
    frames = []
    offset = 24
    while offset + record.size <= len(data):
        seconds, fraction, caplen, origlen = record.unpack_from(data, offset)
        offset += record.size
        if offset + caplen > len(data):
            break  # a truncated last record, as libpcap also stops there
        micros = fraction // 1000 if nanoseconds else fraction
        frames.append((seconds * 1_000_000 + micros, origlen,
                       data[offset:offset + caplen]))
        offset += caplen
    return linktype, frames


def pcap_header(linktype):
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype)


def pcap_body(frames):
    parts = []
    for ts_us, origlen, data in frames:
        parts.append(struct.pack("<IIII", ts_us // 1_000_000,
                                 ts_us % 1_000_000, len(data), origlen))
        parts.append(data)
    return b"".join(parts)


def spread(frames, index):
    """Yield the frames of one capture with times spread evenly over SPAN_US."""
    count = len(frames)
    for i, (_, origlen, data) in enumerate(frames):
        yield EPOCH_US + SPAN_US * i // count, index, i, origlen, data


def corpus_captures(corpus):
    """List the corpus captures a replay can use, and why others are left out."""
    chosen, skipped = [], []
    for path in sorted(Path(corpus).iterdir()):
        if ROBUSTNESS_CAPTURE.search(path.name):
            skipped.append((path.name, "robustness test"))
            continue
        try:
            linktype, frames = read_pcap(path)
        except BenchError:
            skipped.append((path.name, "not classic pcap"))
            continue
        if linktype != LINKTYPE_ETHERNET:
            skipped.append((path.name, f"link type {linktype}"))
        elif not frames:
            skipped.append((path.name, "no frames"))
        elif max(len(f[2]) for f in frames) > MAX_FRAME:
            skipped.append((path.name, f"frames over {MAX_FRAME} bytes"))
        else:
            chosen.append((path, frames))
    return chosen, skipped


def build_replay(args, work):
    """Write the replay capture; return (path, linktype, frame count, description).

    The default source is the nDPI 4.2 test corpus: every capture in it that
    carries traffic, has Ethernet framing and no frame over MAX_FRAME,
    interleaved into one file. Each capture is spread over the same SPAN_US
    in its own packet order, so the flows of all applications are live at
    once, as on a monitored link, and a flow's packets stay in order. One
    corpus file alone would be a single application with a few flows that
    sit in the CPU cache. Without the corpus, vigil-sample generates the
    capture. --capture replaces both with one given file.
    """
    sources = []
    if args.capture:
        linktype, frames = read_pcap(args.capture)
        sources = [(Path(args.capture), frames)]
        what = f"{args.capture}"
    elif args.corpus and Path(args.corpus).is_dir():
        sources, skipped = corpus_captures(args.corpus)
        linktype = LINKTYPE_ETHERNET
        what = (f"{len(sources)} captures of {args.corpus} interleaved "
                f"({len(skipped)} left out: robustness tests, pcapng, "
                f"other link types, frames over {MAX_FRAME} bytes)")
    else:
        sample = args.sample or find_in_build(args, "deploy/vigil-sample")
        if sample is None or not os.access(sample, os.X_OK):
            raise BenchError(
                f"no capture: corpus {args.corpus} is missing and vigil-sample "
                "was not found (build it, or give --sample or --capture)")
        generated = work / "sample.pcap"
        run_checked([str(sample), str(generated)], "vigil-sample")
        linktype, frames = read_pcap(generated)
        sources = [(generated, frames)]
        what = f"generated by {sample}"
    if not sources:
        raise BenchError("no usable capture found")
    for path, frames in sources:
        longest = max((len(f[2]) for f in frames), default=0)
        if not frames or longest > MAX_FRAME:
            raise BenchError(f"{path}: {len(frames)} frames, longest {longest} "
                             f"bytes; net_pcap infinite_rx needs frames of at "
                             f"most {MAX_FRAME} bytes")
    merged = heapq.merge(*(spread(frames, i)
                           for i, (_, frames) in enumerate(sources)))
    frames = [(ts, origlen, data) for ts, _, _, origlen, data in merged]
    replay = work / "replay.pcap"
    with open(replay, "wb") as out:
        out.write(pcap_header(linktype))
        out.write(pcap_body(frames))
    return replay, linktype, len(frames), what


def concatenate(replay, copies, out_path):
    """Write <copies> copies of replay's frames behind one pcap header."""
    data = Path(replay).read_bytes()
    header, body = data[:24], data[24:]
    with open(out_path, "wb") as out:
        out.write(header)
        for _ in range(copies):
            out.write(body)
        # Leave no writeback to run while ndpiReader is timed.
        out.flush()
        os.fsync(out.fileno())


# ---- the environment ----

def find_in_build(args, relative):
    if args.build_dir is None:
        return None
    path = Path(args.build_dir) / relative
    return path if path.exists() else None


def run_checked(command, name):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"{name} failed with exit status {result.returncode}: "
                         f"{' '.join(command)}\n{result.stdout}{result.stderr}")
    return result.stdout


def meminfo(key):
    with open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name == key:
                return int(value.split()[0])
    raise BenchError(f"/proc/meminfo has no {key}")


class Hugepages:
    """Mount hugetlbfs and reserve 2 MiB pages; restore() undoes only what setup() did."""

    NR_PATH = Path("/proc/sys/vm/nr_hugepages")

    def __init__(self, pages, mount_point):
        self.pages = pages
        self.mount_point = Path(mount_point)
        self.mounted_here = False
        self.saved_nr = None
        self.summary = ""

    def setup(self):
        size_kb = meminfo("Hugepagesize")
        if size_kb != 2048:
            raise BenchError(f"the default hugepage size is {size_kb} kB; this "
                             "script reserves 2 MiB pages through "
                             f"{self.NR_PATH}")
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
        hugetlbfs = [m.split()[1] for m in mounts if m.split()[2] == "hugetlbfs"]
        notes = []
        if not hugetlbfs:
            self.mount_point.mkdir(parents=True, exist_ok=True)
            run_checked(["mount", "-t", "hugetlbfs", "nodev",
                         str(self.mount_point)], "mount")
            self.mounted_here = True
            notes.append(f"mounted hugetlbfs on {self.mount_point}")
        else:
            notes.append(f"hugetlbfs already on {hugetlbfs[0]}")
        current = int(self.NR_PATH.read_text(encoding="ascii"))
        if current < self.pages:
            self.saved_nr = current
            self.NR_PATH.write_text(f"{self.pages}\n", encoding="ascii")
            notes.append(f"nr_hugepages {current} -> {self.pages}")
        free = meminfo("HugePages_Free")
        if free < self.pages:
            raise BenchError(f"only {free} free 2 MiB hugepages of the "
                             f"{self.pages} needed (memory too fragmented, "
                             "or another DPDK program holds them)")
        notes.append(f"{free} free 2 MiB pages")
        self.summary = ", ".join(notes)

    def restore(self):
        if self.saved_nr is not None:
            self.NR_PATH.write_text(f"{self.saved_nr}\n", encoding="ascii")
            self.saved_nr = None
        if self.mounted_here:
            subprocess.run(["umount", str(self.mount_point)], check=False)
            self.mounted_here = False


class LoadMeter:
    """CPU time that processes other than ours used since the meter started.

    The benchmark assumes idle CPUs. Anything else running (a build, a
    fuzzer, another benchmark) takes time slices from the program measured,
    so each figure is printed with the CPUs' worth of time others used
    meanwhile: /proc/stat's busy time less the measured programs' own and
    this script's. The measured programs (<pids>) must run until the last
    sample.
    """

    TICKS = os.sysconf("SC_CLK_TCK")

    def __init__(self, *pids):
        self.pids = pids
        self.start = self._sample()

    def _sample(self):
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
        user, nice, system, _, _, irq, softirq, steal = fields
        busy = (user + nice + system + irq + softirq + steal) / self.TICKS
        times = os.times()
        ours = times.user + times.system + times.children_user + times.children_system
        for pid in self.pids:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
                # utime and stime are fields 14 and 15; the name field may hold spaces.
                after_name = stat.rsplit(")", 1)[1].split()
                ours += (int(after_name[11]) + int(after_name[12])) / self.TICKS
            except (OSError, IndexError, ValueError):
                pass
        return time.monotonic(), busy, ours

    def foreign_cpus(self):
        """Return the CPUs' worth of time used by other processes so far."""
        (t0, busy0, ours0), (t1, busy1, ours1) = self.start, self._sample()
        if t1 <= t0:
            return 0.0
        return max(0.0, (busy1 - busy0) - (ours1 - ours0)) / (t1 - t0)


class Child:
    """A program under test: its own session, output lines timed as they arrive."""

    def __init__(self, command, name):
        self.command = command
        self.name = name
        self.lines = []
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     errors="replace", start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def running(self):
        return self.proc.poll() is None

    def stop(self, timeout):
        """Send SIGINT and wait; kill after <timeout> s. Return True if it stopped."""
        if not self.running():
            return True
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return False
        finally:
            self.reader.join(5)
        return True

    def kill(self):
        if self.running():
            self.proc.kill()
            self.proc.wait()

    def failure(self, problem, tail=40):
        text = "\n".join(line for _, line in self.lines[-tail:])
        return BenchError(f"{self.name}: {problem}\ncommand: "
                          f"{' '.join(self.command)}\nlast output:\n{text}")


CHILDREN = []


def start(command, name):
    child = Child(command, name)
    CHILDREN.append(child)
    return child


# ---- vigild ----

def vigild_config(args, work, vdev, mbufs, memory_mb, ndpi_files):
    lines = [
        "# Written by tests/bench/capture.py for one benchmark run.",
        "capture:",
        "  ports:",
        f"    - vdev: {json.dumps(vdev)}",
        "lcores:",
        f"  control: {args.main_cpu}",
        f"  rx: [{args.main_cpu}]",
        f"  engine: [{args.worker_cpu}]",
        "memory:",
        "  hugepages: true",
        f"  mbufs: {mbufs}",
        f"  size_mb: {memory_mb}",
        "log:",
        "  status_interval: 1",
    ]
    if ndpi_files:
        lines.append("ndpi:")
        for key, path in ndpi_files.items():
            lines.append(f"  {key}: {json.dumps(str(path))}")
    path = work / "vigild.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def status_samples(child):
    """Return (log time in s, packets) for each status line so far."""
    samples = []
    for _, line in list(child.lines):
        match = STATUS_LINE.match(line)
        if match:
            stamp = datetime.datetime.strptime(match.group("time"),
                                               "%Y-%m-%dT%H:%M:%S.%f")
            seconds = (stamp - datetime.datetime(1970, 1, 1)).total_seconds()
            samples.append((seconds, int(match.group("packets"))))
    return samples


def steady_window(samples, warmup, seconds):
    """Pick the samples from warm-up end to <seconds> later; None if too few."""
    if not samples:
        return None
    begin = samples[0][0] + warmup
    window = [s for s in samples if s[0] >= begin - 0.05]
    if len(window) < 2 or window[-1][0] - window[0][0] < seconds - 0.5:
        return None
    end = window[0][0] + seconds
    return [s for s in window if s[0] <= end + 0.5]


def rate(window):
    (t0, p0), (t1, p1) = window[0], window[-1]
    per_second = [(b[1] - a[1]) / (b[0] - a[0])
                  for a, b in zip(window, window[1:]) if b[0] > a[0]]
    return (p1 - p0) / (t1 - t0), t1 - t0, min(per_second), max(per_second)


def run_vigild(args, work, vdev, mbufs, memory_mb, ndpi_files):
    config = vigild_config(args, work, vdev, mbufs, memory_mb, ndpi_files)
    stats_path = work / "vigild-stats.json"
    flows_path = work / "vigild-flows.jsonl"
    # vigild appends to a flow file, and each run's records are checked
    # against that run's counters.
    flows_path.unlink(missing_ok=True)
    command = [str(args.vigild), "-c", str(config), "--stats", str(stats_path),
               "--flows", str(flows_path)]
    log(f"vigild: {' '.join(command)}")
    child = start(command, "vigild")
    deadline = time.monotonic() + args.startup_timeout
    while not status_samples(child):
        if not child.running():
            raise child.failure(f"exited with status {child.proc.returncode} "
                                "before its first status line")
        if time.monotonic() > deadline:
            child.kill()
            raise child.failure(f"no status line within {args.startup_timeout} s")
        time.sleep(0.2)

    meter = LoadMeter(child.proc.pid)
    deadline = time.monotonic() + args.warmup + args.seconds + 10
    window = None
    while window is None:
        if not child.running():
            raise child.failure(f"exited with status {child.proc.returncode} "
                                "while replaying")
        if time.monotonic() > deadline:
            child.kill()
            raise child.failure("status lines stopped coming")
        time.sleep(0.5)
        window = steady_window(status_samples(child), args.warmup, args.seconds)

    foreign = meter.foreign_cpus()
    if not child.stop(args.stop_timeout):
        raise child.failure(f"still running {args.stop_timeout} s after SIGINT; killed")
    if child.proc.returncode != 0:
        raise child.failure(f"exited with status {child.proc.returncode} after SIGINT")
    pps, span, low, high = rate(window)
    if pps <= 0:
        raise child.failure("the packet counter did not move in the measured window")
    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    records = [json.loads(line) for line in
               flows_path.read_text(encoding="utf-8").splitlines() if line]
    problems = check_vigild_counters(stats, records, window[-1][1])
    return dict(pps=pps, span=span, low=low, high=high, stats=stats,
                records=records, problems=problems, command=command,
                foreign=foreign)


def check_vigild_counters(stats, records, last_status_packets):
    """List the ways vigild's exit counters disagree with each other."""
    problems = []
    dropped = (sum(stats["parse_errors"].values()) + stats["ring_full"]
               + stats["oversize"] + stats["copy_nombuf"])
    if stats["rx_packets"] < last_status_packets:
        problems.append(f"rx_packets={stats['rx_packets']} at exit is below "
                        f"packets={last_status_packets} of a status line")
    if stats["engine_packets"] != stats["rx_packets"] - dropped:
        problems.append(f"engine_packets={stats['engine_packets']} but "
                        f"rx_packets={stats['rx_packets']} minus "
                        f"{dropped} dropped on rx")
    for key in ("flows_table_full", "ndpi_pool_empty", "records_dropped"):
        if stats[key]:
            problems.append(f"{key}={stats[key]}")
    if stats["flows_expired"] != len(records):
        problems.append(f"flows_expired={stats['flows_expired']} but "
                        f"{len(records)} flow records written")
    counted = sum(r["c2s_packets"] + r["s2c_packets"] for r in records)
    if counted != stats["engine_packets"]:
        problems.append(f"flow records count {counted} packets, "
                        f"engine_packets={stats['engine_packets']}")
    return problems


# ---- dpdk-testpmd ----

def testpmd_blocks(child):
    """Return one (Rx-pps, RX-packets) pair per port statistics display."""
    blocks = []
    packets = None
    for _, line in list(child.lines):
        match = TESTPMD_RX_PACKETS.search(line)
        if match:
            packets = int(match.group(1))
        match = TESTPMD_RX_PPS.search(line)
        if match and packets is not None:
            blocks.append((int(match.group(1)), packets))
    return blocks


def run_testpmd(args, work, vdev, mbufs, memory_mb):
    """Forward the replay in io mode on one core; net_pcap drops what is sent.

    The vdev string is vigild's: with no tx_pcap or tx_iface, net_pcap gives
    the port a transmit queue that frees every mbuf, which is the transmit
    side DPDK's documentation recommends with infinite_rx. One port, so io
    forwarding sends port 0 back to port 0.
    """
    stdbuf = shutil.which("stdbuf")
    if stdbuf is None:
        raise BenchError("stdbuf (coreutils) is needed to read testpmd's statistics as they come")
    command = [stdbuf, "-oL", str(args.testpmd),
               "-l", f"{args.main_cpu},{args.worker_cpu}",
               "--main-lcore", str(args.main_cpu),
               f"--file-prefix=vigil-bench-testpmd-{os.getpid()}",
               "--in-memory", "-m", str(memory_mb), "--no-pci",
               "--vdev", vdev, "--",
               "--forward-mode=io", "--nb-cores=1", "--rxq=1", "--txq=1",
               "--rxd=1024", "--txd=1024", "--burst=32",
               f"--total-num-mbufs={mbufs}", "--no-flush-rx",
               "--stats-period=1"]
    log(f"testpmd: {' '.join(command)}")
    child = start(command, "dpdk-testpmd")
    # The first display comes when forwarding starts; skip the warm-up ones.
    needed = 1 + args.warmup + args.seconds
    deadline = time.monotonic() + args.startup_timeout + needed + 10
    meter = None
    while len(testpmd_blocks(child)) < needed:
        if meter is None and testpmd_blocks(child):
            meter = LoadMeter(child.proc.pid)
        if not child.running():
            raise child.failure(f"exited with status {child.proc.returncode} "
                                "while forwarding")
        if time.monotonic() > deadline:
            child.kill()
            raise child.failure("port statistics stopped coming")
        time.sleep(0.5)
    foreign = meter.foreign_cpus() if meter is not None else 0.0
    if not child.stop(args.stop_timeout):
        raise child.failure(f"still running {args.stop_timeout} s after SIGINT; killed")
    window = testpmd_blocks(child)[1 + args.warmup:needed]
    rates = [pps for pps, _ in window]
    return dict(pps=sum(rates) / len(rates), low=min(rates), high=max(rates),
                displays=len(rates), command=command, foreign=foreign)


# ---- ndpiReader ----

def ndpi_reader_flags(ndpi_files):
    flags = []
    options = {"protocols": "-p", "categories": "-c", "risky_domains": "-r",
               "ja3": "-j", "sha1": "-S"}
    for key, path in ndpi_files.items():
        flags += [options[key], str(path)]
    return flags


def run_ndpi_reader_once(args, capture, ndpi_files):
    command = ["taskset", "-c", str(args.worker_cpu), str(args.ndpi_reader),
               *ndpi_reader_flags(ndpi_files), "-i", str(capture)]
    result = subprocess.run(command, capture_output=True, text=True,
                            errors="replace")
    text = result.stdout + result.stderr
    total = NDPI_TOTAL.search(text)
    elapsed = NDPI_TIME.search(text)
    if result.returncode != 0 or total is None or elapsed is None:
        raise BenchError(f"ndpiReader failed (exit status {result.returncode}): "
                         f"{' '.join(command)}\n{text[-3000:]}")
    protocols = {}
    in_table = False
    for line in text.splitlines():
        if line.startswith("Detected protocols"):
            in_table = True
            continue
        if in_table:
            match = NDPI_PROTOCOL.match(line)
            if match:
                protocols[match.group("name")] = (int(match.group("flows")),
                                                  int(match.group("packets")))
            elif line.strip():
                in_table = False
    throughput = NDPI_THROUGHPUT.search(text)
    flows = NDPI_FLOWS.search(text)
    return dict(command=command, packets=int(total.group(1)),
                msec=int(elapsed.group(1)), protocols=protocols,
                flows=int(flows.group(1)) if flows else None,
                own_figure=throughput.group(1).strip() if throughput else "")


def repeated_capture_path(work, size):
    """Pick where the repeated capture goes: /dev/shm when it has room.

    On tmpfs ndpiReader reads from memory, as the DPDK programs do, and no
    disk writeback competes with it for CPU while it is timed.
    """
    shm = Path("/dev/shm")
    if (shm.is_dir() and os.access(shm, os.W_OK)
            and shutil.disk_usage(shm).free > size + (512 << 20)):
        directory = shm
    else:
        directory = work
    handle, name = tempfile.mkstemp(prefix="vigil-bench-", suffix=".pcap",
                                    dir=directory)
    os.close(handle)
    return Path(name)


def prepare_ndpi_reader(args, work, replay, frames, ndpi_files):
    """Write the replay concatenated into one large file for ndpiReader.

    One pass over the replay takes milliseconds, too short to time with the
    millisecond clock ndpiReader reports, so a first pass estimates the
    rate and the file is then repeated to last about --ndpi-seconds, within
    --ndpi-max-mb. Repeated flows are not new flows: ndpiReader holds its
    clock at the latest packet time when times go backwards, so flows stay
    open across copies, as they do in vigild's replay (example/reader_util.c
    in nDPI). The report shows the flow count of both runs, which are equal
    when that holds. Returns (path, copies, flows of the single pass); the
    caller deletes the file.
    """
    first = run_ndpi_reader_once(args, replay, ndpi_files)
    estimate = first["packets"] / max(first["msec"], 1) * 1000
    size = replay.stat().st_size - 24
    most = max(1, args.ndpi_max_mb * 1024 * 1024 // max(size, 1))
    copies = max(2, min(most, math.ceil(args.ndpi_seconds * estimate / frames)))
    big = repeated_capture_path(work, copies * size)
    log(f"ndpiReader: {copies} copies of the replay, {copies * size / 1e6:.0f} MB in {big}")
    try:
        concatenate(replay, copies, big)
    except BaseException:
        big.unlink(missing_ok=True)
        raise
    return big, copies, first["flows"]


def run_ndpi_reader(args, prepared, frames, ndpi_files):
    """Time ndpiReader once on the file prepare_ndpi_reader() wrote."""
    big, copies, single_pass_flows = prepared
    meter = LoadMeter()
    result = run_ndpi_reader_once(args, big, ndpi_files)
    result["foreign"] = meter.foreign_cpus()
    if result["packets"] != copies * frames:
        raise BenchError(f"ndpiReader read {result['packets']} packets of the "
                         f"{copies * frames} in {copies} copies")
    result["copies"] = copies
    result["single_pass_flows"] = single_pass_flows
    result["pps"] = result["packets"] / (max(result["msec"], 1) / 1000)
    return result


# ---- flow table size ----

def newest_source(repo):
    """Return the latest modification time of the C sources vigild is built from."""
    times = [path.stat().st_mtime for part in ("capture", "common", "engine")
             for path in (repo / part).glob("*.[ch]")]
    return max(times, default=0.0)


def build_round_trip(work):
    """Compile cpu_roundtrip.c with cc; return its path, or None (logged)."""
    source = Path(__file__).resolve().parent / "cpu_roundtrip.c"
    compiler = shutil.which("cc")
    if compiler is None:
        log("cc is missing: the CPUs' round trip is not measured")
        return None
    tool = work / "vigil-bench-roundtrip"
    command = [compiler, "-std=c11", "-O2", "-pthread", str(source),
               "-o", str(tool)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        log(f"cannot compile {source.name}, so the CPUs' round trip is not "
            f"measured: {' '.join(command)}\n{result.stderr}")
        return None
    return tool


def measure_round_trip(args, tool):
    """Return the cache line round trip between the two CPUs in ns, or None."""
    if tool is None:
        return None
    result = subprocess.run([str(tool), str(args.main_cpu), str(args.worker_cpu)],
                            capture_output=True, text=True, timeout=60)
    match = re.fullmatch(r"round_trip_ns=(\d+)\n", result.stdout)
    if result.returncode != 0 or match is None:
        log(f"{tool} failed (exit status {result.returncode}): "
            f"{result.stderr.strip()}")
        return None
    return int(match.group(1))


def round_trip_text(vigild):
    """Describe the round trips measured around one vigild run."""
    before, after = vigild["round_trip_ns"]
    if before is None or after is None:
        return "not measured"
    far = " (CPUs share no cache)" if max(before, after) > ROUND_TRIP_FAR_NS else ""
    return f"{before} ns before, {after} ns after{far}"


def build_probe(args, work):
    """Compile vigil-bench-flow-size with cc against the build's static libraries.

    A build configured with -Dtests=false has no tests/bench targets, but
    it has the engine, parser and common libraries the probe links with.
    The probe takes struct sizes from the source tree's headers and the
    table from the libraries, so both must come from the same sources.
    Returns (path, None), or (None, reason) when that cannot be done.
    """
    source = Path(__file__).resolve().parent / "flow_size.c"
    repo = source.parent.parent.parent
    libraries = [Path(args.build_dir) / lib for lib in
                 ("engine/libvg_engine.a", "capture/libvg_parse.a",
                  "common/libvg_common.a")]
    compiler = shutil.which("cc")
    pkg_config = shutil.which("pkg-config")
    if compiler is None or pkg_config is None:
        return None, "cc or pkg-config is missing"
    if not all(library.exists() for library in libraries):
        return None, f"{args.build_dir} has no engine, parser or common library"
    if min(library.stat().st_mtime for library in libraries) < newest_source(repo):
        return None, (f"the libraries in {args.build_dir} are older than the "
                      f"sources in {repo}; run ninja -C {args.build_dir}")
    flags = subprocess.run([pkg_config, "--cflags", "--libs", "libndpi", "yaml-0.1"],
                           capture_output=True, text=True)
    if flags.returncode != 0:
        return None, f"pkg-config failed: {flags.stderr.strip()}"
    probe = work / "vigil-bench-flow-size"
    command = [compiler, "-std=c11", "-D_GNU_SOURCE", "-O2", f"-I{repo}",
               str(source), *map(str, libraries), *flags.stdout.split(),
               "-o", str(probe)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        log(f"cannot compile the flow size probe: {' '.join(command)}\n{result.stderr}")
        return None, "flow_size.c did not compile (the error is logged above)"
    return probe, None


def probe_flow_size(args, work):
    probe = args.probe or find_in_build(args, "tests/bench/vigil-bench-flow-size")
    how = f"measured by {probe}"
    if probe is None:
        probe, problem = build_probe(args, work)
        if probe is None:
            return None, ("not measured: vigil-bench-flow-size is not built "
                          f"(configure with -Dtests=true, or give --probe) "
                          f"and cannot be compiled here: {problem}")
        how = (f"measured by flow_size.c, compiled with cc against the "
               f"libraries in {args.build_dir}")
    output = run_checked([str(probe)], "vigil-bench-flow-size")
    fields = {k: float(v) for k, v in PROBE_FIELD.findall(output)}
    expected = ("slot_bytes", "bucket_bytes_per_flow", "table_bytes_per_flow",
                "capacity", "ndpi_state_bytes", "ndpi_pool_states",
                "ndpi_pool_bytes_per_flow")
    if any(key not in fields for key in expected):
        raise BenchError(f"vigil-bench-flow-size printed an unexpected line: {output}")
    if fields["bucket_bytes_per_flow"] < 0:
        raise BenchError(f"vigil-bench-flow-size reports a table smaller than its "
                         f"slots, so it was linked with libraries built from other "
                         f"headers: {output}")
    return fields, how


# ---- report ----

def protocol_of(l7):
    """Map vigild's "Master.App" name to the single name ndpiReader tables use."""
    return l7.rsplit(".", 1)[-1]


def compare_protocols(records, ndpi_protocols):
    ours = {}
    for record in records:
        name = protocol_of(record["l7"])
        ours[name] = ours.get(name, 0) + 1
    names = sorted(set(ours) | set(ndpi_protocols),
                   key=lambda n: (-ndpi_protocols.get(n, (0, 0))[0], n))
    rows = [(n, ours.get(n, 0), ndpi_protocols.get(n, (0, 0))[0]) for n in names]
    same = sum(min(a, b) for _, a, b in rows)
    total = max(sum(a for _, a, _ in rows), sum(b for _, _, b in rows), 1)
    return rows, same / total


def verdict(met):
    return "met" if met else "MISSED"


def program_lines(args, vigild, testpmd, ndpi):
    lines = [f"  {'program':<11} {'packets/s':>12} {'others':>7}  how"]
    lines.append(
        f"  {'vigild':<11} {vigild['pps']:>12,.0f} {vigild['foreign']:>7.2f}  "
        f"status-line packet counter over {vigild['span']:.1f} s after "
        f"{args.warmup} s of warm-up (per second: {vigild['low']:,.0f} .. "
        f"{vigild['high']:,.0f})")
    lines.append(f"  {'':<11} {'':>12} {'':>7}  cache line round trip between "
                 f"CPUs {args.main_cpu} and {args.worker_cpu}: "
                 f"{round_trip_text(vigild)}")
    lines.append(
        f"  {'testpmd':<11} {testpmd['pps']:>12,.0f} {testpmd['foreign']:>7.2f}  "
        f"io forward, one forwarding core, net_pcap tx drop; mean Rx-pps "
        f"of {testpmd['displays']} displays after {args.warmup} s of "
        f"warm-up ({testpmd['low']:,} .. {testpmd['high']:,})")
    lines.append(
        f"  {'ndpiReader':<11} {ndpi['pps']:>12,.0f} {ndpi['foreign']:>7.2f}  "
        f"{ndpi['packets']:,} packets ({ndpi['copies']} copies) in "
        f"{ndpi['msec']} ms of packet processing; it reports "
        f"\"{ndpi['own_figure']}\"")
    lines.append("  others: CPUs' worth of time that other processes used while "
                 "the program ran")
    busiest = max(vigild["foreign"], testpmd["foreign"], ndpi["foreign"])
    if busiest > FOREIGN_LOAD_WARNING:
        lines.append(f"  WARNING: other processes used up to {busiest:.2f} CPUs "
                     "during the runs; the figures are lower than on an idle "
                     "machine and the ratios below are not reliable")
    return lines


def run_ratios(run):
    """Return vigild's rate over testpmd's and over ndpiReader's in one run."""
    vigild, testpmd, ndpi = run
    return vigild["pps"] / testpmd["pps"], vigild["pps"] / ndpi["pps"]


def check_floors(runs, flow_size):
    """Return (name, measured, floor, met) for each floor that was measured.

    With several runs, each ratio is the median of the runs' own ratios.
    The three programs of one run are measured within two minutes of each
    other, so a slow spell of the machine moves a run's ratio less than a
    ratio of rates taken minutes apart.
    """
    ratios = [run_ratios(run) for run in runs]
    ratio_testpmd = statistics.median(r[0] for r in ratios)
    ratio_ndpi = statistics.median(r[1] for r in ratios)
    floors = [
        ("vigild / testpmd", f"{ratio_testpmd:.1%}",
         f">= {FLOOR_VS_TESTPMD:.0%}", ratio_testpmd >= FLOOR_VS_TESTPMD),
        ("vigild / ndpiReader", f"{ratio_ndpi:.2f}x",
         f">= {FLOOR_VS_NDPI:.0f}x", ratio_ndpi >= FLOOR_VS_NDPI),
    ]
    if flow_size is not None:
        per_flow = flow_size["table_bytes_per_flow"]
        floors.append(("flow table bytes per flow", f"{per_flow:.0f}",
                       f"<= {FLOOR_FLOW_BYTES}", per_flow <= FLOOR_FLOW_BYTES))
    return floors


def floor_lines(floors, runs, flow_size, flow_note):
    vigild = runs[-1][0]
    lines = [f"  {'floor':<28} {'measured':>10} {'floor':>8}  result"]
    for name, measured, floor, met in floors:
        lines.append(f"  {name:<28} {measured:>10} {floor:>8}  {verdict(met)}")
    if len(runs) > 1:
        lines.append(f"  the two ratios are medians over {len(runs)} runs; "
                     "each run's own ratios:")
        for number, run in enumerate(runs, 1):
            ratio_testpmd, ratio_ndpi = run_ratios(run)
            lines.append(f"    run {number}: vigild / testpmd {ratio_testpmd:.1%}, "
                         f"vigild / ndpiReader {ratio_ndpi:.2f}x; round trip "
                         f"{round_trip_text(run[0])}")
    if flow_size is None:
        lines.append(f"  {'flow table bytes per flow':<28} {flow_note}")
    else:
        lines.append(
            f"  flow table: {flow_size['slot_bytes']:.0f} bytes a slot + "
            f"{flow_size['bucket_bytes_per_flow']:.2f} of hash buckets, "
            f"{flow_size['capacity']:.0f} flows per engine lcore "
            f"({flow_note}); outside the table, the engine keeps "
            f"{flow_size['ndpi_pool_states']:.0f} nDPI states of "
            f"{flow_size['ndpi_state_bytes']:.0f} bytes for flows under "
            f"detection, {flow_size['ndpi_pool_bytes_per_flow']:.0f} "
            "bytes per table slot")
    stats = vigild["stats"]
    lines.append(f"  packets given to nDPI: {stats['ndpi_packets']:,} of "
                 f"{stats['engine_packets']:,}, for {stats['flows_created']:,} flows")
    return lines


def classification_lines(vigild, ndpi, rows, agreement):
    lines = [f"  classification: {len(vigild['records'])} vigild flow records, "
             f"{ndpi['flows']} ndpiReader flows ({ndpi['single_pass_flows']} "
             f"when it reads the replay once); per-protocol flow counts "
             f"agree on {agreement:.1%} of flows"]
    lines.append(f"    {'protocol':<24} {'vigild':>8} {'ndpiReader':>11}")
    for name, ours, theirs in rows:
        mark = "" if ours == theirs else "  *"
        lines.append(f"    {name:<24} {ours:>8} {theirs:>11}{mark}")
    return lines


def print_report(args, info, runs, flow_size, flow_note):
    """Print the report; return (all floors met, agreement, floors, protocol rows).

    <runs> is a list of (vigild, testpmd, ndpiReader) results, one per run.
    The classification and vigild's counters come from the last run.
    """
    frames = info["replay_frames"]
    vigild, _, ndpi = runs[-1]
    out = [
        "vigil capture benchmark",
        f"  capture    {frames} frames, "
        f"{info['replay_bytes'] / frames:.0f} bytes a frame on average: "
        f"{info['source']}",
        f"  CPUs       vigild control and rx lcore on CPU {args.main_cpu}, "
        f"engine lcore on CPU {args.worker_cpu}; testpmd main lcore on "
        f"CPU {args.main_cpu}, forwarding lcore on CPU {args.worker_cpu}; "
        f"ndpiReader pinned to CPU {args.worker_cpu}",
        f"  hugepages  {info['hugepages']}",
        "",
    ]
    if info["stale"]:
        out[-1:-1] = [f"  NOTE: {args.vigild} is older than the sources next "
                      "to this script, so it may not be the code you are reading"]
    for number, run in enumerate(runs, 1):
        if len(runs) > 1:
            out.append(f"  run {number} of {len(runs)}")
        out += program_lines(args, *run)
        out.append("")

    floors = check_floors(runs, flow_size)
    out += floor_lines(floors, runs, flow_size, flow_note)
    out.append("")

    rows, agreement = compare_protocols(vigild["records"], ndpi["protocols"])
    out += classification_lines(vigild, ndpi, rows, agreement)
    for number, run in enumerate(runs, 1):
        if run[0]["problems"]:
            out.append("")
            run_label = f" in run {number}" if len(runs) > 1 else ""
            out.append(f"  vigild counters that do not add up{run_label}:")
            out.extend(f"    {problem}" for problem in run[0]["problems"])
    print("\n".join(out), flush=True)
    return all(met for _, _, _, met in floors), agreement, floors, rows


# ---- main ----

def build_parser():
    here = Path(__file__).resolve().parent
    repo = here.parent.parent
    shared = repo.parent / "shared" / "corpus" / "ndpi-4.2"
    parser = argparse.ArgumentParser(
        description="Measure vigild's packet rate against dpdk-testpmd and "
                    "ndpiReader on one replayed capture, and check vigil's floors.")
    parser.add_argument("--vigild", type=Path,
                        help="vigild to measure (default: engine/vigild in --build-dir)")
    parser.add_argument("--build-dir", type=Path,
                        help="meson build directory (default: the current "
                             "directory when it has engine/vigild)")
    parser.add_argument("--probe", type=Path,
                        help="vigil-bench-flow-size (default: in --build-dir)")
    parser.add_argument("--sample", type=Path,
                        help="vigil-sample, used when the corpus is missing "
                             "(default: deploy/vigil-sample in --build-dir)")

    parser.add_argument("--capture", type=Path,
                        help="replay this classic pcap file instead of the corpus mix")
    parser.add_argument("--corpus", type=Path, default=shared / "pcap",
                        help="directory of nDPI test captures, only read "
                             "(default: %(default)s)")
    parser.add_argument("--ndpi-config", type=Path, default=shared / "config",
                        help="directory with nDPI's protos.txt, categories.txt, "
                             "risky_domains.txt, ja3_fingerprints.csv and "
                             "sha1_fingerprints.csv, given to both vigild and "
                             "ndpiReader when present (default: %(default)s)")

    parser.add_argument("--testpmd", type=Path,
                        default=shutil.which("dpdk-testpmd") or "/usr/bin/dpdk-testpmd",
                        help="dpdk-testpmd to compare with (default: %(default)s)")
    parser.add_argument("--ndpi-reader", type=Path,
                        default=shutil.which("ndpiReader") or "/usr/bin/ndpiReader",
                        help="nDPI's ndpiReader to compare with (default: %(default)s)")

    parser.add_argument("--main-cpu", type=int, default=0,
                        help="CPU of vigild's control thread and rx lcore, and "
                             "of testpmd's main lcore (default: %(default)s)")
    parser.add_argument("--worker-cpu", type=int, default=1,
                        help="CPU of vigild's engine lcore, testpmd's forwarding "
                             "lcore and ndpiReader (default: %(default)s)")

    parser.add_argument("--runs", type=int, default=1,
                        help="measure the three programs this many times, one "
                             "after the other, and hold the floors to the "
                             "median of the runs' ratios (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=5,
                        help="seconds of replay before measuring (default: %(default)s)")
    parser.add_argument("--seconds", type=int, default=10,
                        help="seconds measured (default: %(default)s)")
    parser.add_argument("--ndpi-seconds", type=float, default=10,
                        help="target duration of the timed ndpiReader run, "
                             "seconds (default: %(default)s)")
    parser.add_argument("--ndpi-max-mb", type=int, default=4096,
                        help="largest repeated capture written for ndpiReader, "
                             "MiB (default: %(default)s)")

    parser.add_argument("--hugepages", type=int, default=1024,
                        help="2 MiB hugepages to reserve, raised if the replay "
                             "needs more (default: %(default)s)")
    parser.add_argument("--hugepage-mount", default="/dev/hugepages",
                        help="where to mount hugetlbfs if it is not mounted "
                             "(default: %(default)s)")
    parser.add_argument("--startup-timeout", type=int, default=120,
                        help="seconds a DPDK program may take to start (default: %(default)s)")
    parser.add_argument("--stop-timeout", type=int, default=60,
                        help="seconds a program may take to exit after SIGINT "
                             "(default: %(default)s)")

    parser.add_argument("--json", type=Path,
                        help="also write the figures to this JSON file")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work directory (replay, configs, flow records)")
    return parser


def parse_args(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.build_dir is None and Path("engine/vigild").exists():
        args.build_dir = Path.cwd()
    if args.vigild is None:
        args.vigild = find_in_build(args, "engine/vigild")
        if args.vigild is None:
            parser.error("vigild not found: give --vigild, or --build-dir, or "
                         "run from a meson build directory")
    if args.build_dir is None:
        # vigild sits in BUILD/engine/, so the other programs are found next to it.
        args.build_dir = Path(args.vigild).resolve().parent.parent
    if args.warmup < 1 or args.seconds < 2:
        parser.error("--warmup must be at least 1 and --seconds at least 2")
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, not {args.runs}")
    return args


def ndpi_config_files(directory):
    names = {"protocols": "protos.txt", "categories": "categories.txt",
             "risky_domains": "risky_domains.txt",
             "ja3": "ja3_fingerprints.csv", "sha1": "sha1_fingerprints.csv"}
    if directory is None or not Path(directory).is_dir():
        return {}
    return {key: Path(directory) / name for key, name in names.items()
            if (Path(directory) / name).is_file()}


def pool_sizes(frames):
    """Return (mbufs, EAL memory in MiB) for a replay of <frames> frames.

    With infinite_rx, net_pcap copies the whole file into mbufs of the port's
    pool at start, so the pool needs one mbuf per frame on top of the rx
    descriptors, the rings and the per-lcore caches. A pool is best sized
    2^n - 1. An mbuf of the default size takes about 2.5 KiB with its header.
    """
    needed = frames + 16384
    mbufs = (1 << math.ceil(math.log2(needed + 1))) - 1
    memory_mb = max(1024, math.ceil(mbufs * 2.5 / 1024) * 2)
    return mbufs, memory_mb


def vigild_is_stale(args):
    """Return True when vigild is older than the sources it is built from."""
    repo = Path(__file__).resolve().parent.parent.parent
    return Path(args.vigild).stat().st_mtime < newest_source(repo)


def check_tools(args):
    for name, path in (("vigild", args.vigild), ("dpdk-testpmd", args.testpmd),
                       ("ndpiReader", args.ndpi_reader)):
        if not os.access(path, os.X_OK):
            raise BenchError(f"{name} not found or not executable: {path}")
    if shutil.which("taskset") is None:
        raise BenchError("taskset (util-linux) is needed to pin ndpiReader")
    if os.geteuid() != 0:
        raise BenchError("run as root: hugepages must be mounted and reserved")
    cpus = os.cpu_count() or 1
    for cpu in (args.main_cpu, args.worker_cpu):
        if cpu >= cpus:
            raise BenchError(f"CPU {cpu} does not exist (CPUs 0..{cpus - 1})")


def main(argv):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    work = Path(tempfile.mkdtemp(prefix="vigil-bench-"))
    hugepages = None
    try:
        check_tools(args)
        replay, _, frames, source = build_replay(args, work)
        log(f"replay {replay}: {frames} frames from {source}")
        mbufs, memory_mb = pool_sizes(frames)
        hugepages = Hugepages(max(args.hugepages, memory_mb // 2 + 64),
                              args.hugepage_mount)
        hugepages.setup()
        ndpi_files = ndpi_config_files(args.ndpi_config)
        vdev = f"net_pcap0,rx_pcap={replay},infinite_rx=1"

        prepared = prepare_ndpi_reader(args, work, replay, frames, ndpi_files)
        round_trip_tool = build_round_trip(work)
        runs = []
        try:
            for number in range(1, args.runs + 1):
                if args.runs > 1:
                    log(f"run {number} of {args.runs}")
                before = measure_round_trip(args, round_trip_tool)
                vigild = run_vigild(args, work, vdev, mbufs, memory_mb, ndpi_files)
                vigild["round_trip_ns"] = (before,
                                           measure_round_trip(args, round_trip_tool))
                log(f"vigild: {vigild['pps']:,.0f} packets/s; CPU round trip "
                    f"{round_trip_text(vigild)}")
                testpmd = run_testpmd(args, work, vdev, mbufs, memory_mb)
                log(f"testpmd: {testpmd['pps']:,.0f} packets/s")
                ndpi = run_ndpi_reader(args, prepared, frames, ndpi_files)
                log(f"ndpiReader: {ndpi['pps']:,.0f} packets/s")
                runs.append((vigild, testpmd, ndpi))
        finally:
            prepared[0].unlink(missing_ok=True)
        flow_size, flow_note = probe_flow_size(args, work)

        info = dict(replay_frames=frames, replay_bytes=replay.stat().st_size,
                    source=source, hugepages=hugepages.summary,
                    stale=vigild_is_stale(args))
        met, agreement, floors, rows = print_report(args, info, runs, flow_size,
                                                    flow_note)
        if args.json:
            args.json.write_text(json.dumps(dict(
                capture=dict(frames=frames, source=source),
                runs=[dict(
                    vigild=dict(pps=vigild["pps"], command=vigild["command"],
                                stats=vigild["stats"],
                                problems=vigild["problems"],
                                foreign_cpus=vigild["foreign"],
                                round_trip_ns=vigild["round_trip_ns"]),
                    testpmd=dict(pps=testpmd["pps"], command=testpmd["command"],
                                 foreign_cpus=testpmd["foreign"]),
                    ndpi_reader=dict(pps=ndpi["pps"], packets=ndpi["packets"],
                                     msec=ndpi["msec"], command=ndpi["command"],
                                     foreign_cpus=ndpi["foreign"]))
                    for vigild, testpmd, ndpi in runs],
                flow_size=flow_size, classification_agreement=agreement,
                flows_per_protocol=[dict(protocol=n, vigild=a, ndpi_reader=b)
                                    for n, a, b in rows],
                floors=[dict(name=n, measured=m, floor=f, met=ok)
                        for n, m, f, ok in floors]), indent=2) + "\n",
                encoding="utf-8")
        if any(run[0]["problems"] for run in runs):
            return 1
        return 0 if met else 3
    except BenchError as err:
        log(f"error: {err}")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        for child in CHILDREN:
            child.kill()
        if hugepages is not None:
            hugepages.restore()
        if args.keep:
            log(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
