#!/usr/bin/env python3
"""Damaged capture files: vigild keeps what comes before the damage.

Each capture contains BEFORE good frames, one UDP flow each, then damage, then
in some cases more good frames on other ports. libpcap stops at the first
record it cannot read, and vigild must end the file there, as nDPI's reader
does: the frames before the damage become flows, nothing after it does,
the run exits 0, and the log names the file and the last good frame.
Every expected value comes from the frames this test wrote. Two more
captures follow: one with record times past 2038, which must keep their
value, and one cut short while vigild reads it. Last, three captures read
together, two of them with records whose caplen is larger than their wire
length: vigild must read those as it reads any frame, count them under
caplen_over_len and warn once per file that has them.

usage: damaged_capture.py VIGILD SOURCE_ROOT
"""
import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

BEFORE = 40
AFTER = 60
T0 = 1_700_000_000


def frame(port):
    """One UDP frame from client port <port>: a flow of its own."""
    return g.packet("10.1.0.1", "10.1.0.2", 17,
                    g.udp("10.1.0.1", port, "10.1.0.2", 9000, b"d" * 40))


def record(index, data, caplen=None):
    """A pcap record header and data; <caplen> overrides the length field."""
    length = len(data) if caplen is None else caplen
    return struct.pack("<IIII", T0 + index, 0, length, length) + data


def header():
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)


def good_records(first_port, count, first_index=0):
    return b"".join(record(first_index + i, frame(first_port + i))
                    for i in range(count))


def cases():
    """Return (name, file bytes, whether frames follow the damage)."""
    before = good_records(20000, BEFORE)
    after = good_records(30000, AFTER, BEFORE + 1)
    garbage = random.Random(7).randbytes(4000)
    cut = record(BEFORE, frame(20000 + BEFORE))[:16 + 30]
    return [
        # A length past any snaplen, then valid records: libpcap skips the
        # bad header and would go on from the next record.
        ("huge_then_frames", header() + before
         + struct.pack("<IIII", T0 + BEFORE, 0, 0xFFFFFFF0, 0xFFFFFFF0)
         + after, True),
        # The same length, then bytes that are no records at all.
        ("huge_then_garbage", header() + before
         + struct.pack("<IIII", T0 + BEFORE, 0, 0xFFFFFFF0, 0xFFFFFFF0)
         + garbage, False),
        # The file ends in the middle of a record's data.
        ("cut_mid_record", header() + before + cut, False),
    ]


def check_case(checks, vigild, tmp, name, data, frames_follow):
    path = os.path.join(tmp, f"{name}.pcap")
    with open(path, "wb") as f:
        f.write(data)
    flows = os.path.join(tmp, f"{name}.jsonl")
    stats_path = os.path.join(tmp, f"{name}.json")
    status, stderr = vigtest.run_vigild(vigild, path, flows,
                                        ["--stats", stats_path])
    checks.check(status == 0, f"{name}: exit status {status}: {stderr[-2000:]}")
    if status != 0:
        return

    with open(stats_path) as f:
        stats = json.load(f)
    records = vigtest.read_records(flows)
    ports = sorted(r["client_port"] for r in records)
    checks.check(ports == list(range(20000, 20000 + BEFORE)),
                 f"{name}: flows from client ports {ports[:3]}..{ports[-3:]} "
                 f"({len(ports)}), expected 20000..{20000 + BEFORE - 1}")
    checks.check(stats["rx_packets"] == BEFORE,
                 f"{name}: rx_packets={stats['rx_packets']}, expected {BEFORE}")
    checks.check(stats["engine_packets"] == BEFORE,
                 f"{name}: engine_packets={stats['engine_packets']}, "
                 f"expected {BEFORE}")
    checks.check(stats["rx_bytes"] == BEFORE * len(frame(0)),
                 f"{name}: rx_bytes={stats['rx_bytes']}")

    parse_errors = sum(stats["parse_errors"].values())
    checks.check(parse_errors == 0,
                 f"{name}: parse_errors={stats['parse_errors']}, expected none")
    if frames_follow:
        # The driver hands over at least the first good frame after the
        # damage before vigild ends the file.
        checks.check(stats.get("after_damage", 0) >= 1,
                     f"{name}: after_damage={stats.get('after_damage')}, "
                     "expected at least 1")
    message = (f"file={path} frames_read={BEFORE} libpcap stopped reading "
               "the file, so the rest of it is skipped")
    checks.check(message in stderr,
                 f"{name}: no log line containing {message!r}: {stderr[-2000:]}")


def check_late_times(checks, vigild, tmp):
    """Record times past 2038, which libpcap reads as negative, keep the
    value of the file's unsigned seconds field."""
    fields = [T0, 0x80000000, 0xFFFFFFFF]
    path = os.path.join(tmp, "late_times.pcap")
    with open(path, "wb") as f:
        f.write(header())
        for i, sec in enumerate(fields):
            data = frame(40000 + i)
            f.write(struct.pack("<IIII", sec, 250000, len(data), len(data))
                    + data)
    flows = os.path.join(tmp, "late_times.jsonl")
    status, stderr = vigtest.run_vigild(vigild, path, flows, [])
    checks.check(status == 0,
                 f"late_times: exit status {status}: {stderr[-2000:]}")
    if status != 0:
        return
    seen = {r["client_port"]: r["first_seen"]
            for r in vigtest.read_records(flows)}
    for i, sec in enumerate(fields):
        checks.check(seen.get(40000 + i) == sec + 0.25,
                     f"late_times: first_seen of field {sec:#x} is "
                     f"{seen.get(40000 + i)}, expected {sec + 0.25}")


def check_cut_while_read(checks, vigild, tmp):
    """A capture file cut short while vigild replays it at its own pace
    ends the run with exit 0, the flows read so far and a warning."""
    count = 2000
    path = os.path.join(tmp, "cut_while_read.pcap")
    with open(path, "wb") as f:
        f.write(header())
        for i in range(count):
            data = g.packet("10.1.0.1", "10.1.0.2", 17,
                            g.udp("10.1.0.1", 10000 + i, "10.1.0.2", 9000,
                                  b"c" * 1300))
            usec = i * 2000
            f.write(struct.pack("<IIII", T0 + usec // 1000000,
                                usec % 1000000, len(data), len(data)) + data)

    flows = os.path.join(tmp, "cut_while_read.jsonl")
    config = os.path.join(tmp, "cut_while_read.yaml")
    with open(config, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {path}\n      pace: true\n"
                "memory:\n  hugepages: false\n  size_mb: 256\n"
                f"flows:\n  output: {flows}\n")
    proc = subprocess.Popen([vigild, "-c", config], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            errors="replace")
    # The replay takes 4 s from the start line; 1 s in, most of the file
    # is still unread.
    head = []
    for line in proc.stderr:
        head.append(line)
        if " engine: started " in line:
            break
    time.sleep(1.0)
    os.truncate(path, 200_000)
    _, rest = proc.communicate(timeout=60)
    stderr = "".join(head) + rest

    checks.check(proc.returncode == 0,
                 f"cut_while_read: exit status {proc.returncode}: "
                 f"{stderr[-2000:]}")
    match = re.search(r"frames_read=(\d+) frames_at_start=(\d+) the capture "
                      r"file ended before all its frames were read", stderr)
    checks.check(match is not None,
                 f"cut_while_read: no warning of the early end: {stderr[-2000:]}")
    if match is None:
        return
    read = int(match.group(1))
    checks.check(int(match.group(2)) == count,
                 f"cut_while_read: frames_at_start={match.group(2)}, "
                 f"expected {count}")
    checks.check(0 < read < count,
                 f"cut_while_read: frames_read={read}, expected 1..{count - 1}")
    records = vigtest.read_records(flows)
    checks.check(len(records) == read,
                 f"cut_while_read: {len(records)} flows, expected one per "
                 f"frame read ({read})")


def write_caplen_over_len(path, first_port, count, bad):
    """Write <count> one-flow frames; those whose index is in <bad> have a
    len field 10 bytes below their caplen. Return the frames' data."""
    frames = []
    with open(path, "wb") as f:
        f.write(header())
        for i in range(count):
            data = frame(first_port + i)
            wire = len(data) - 10 if i in bad else len(data)
            f.write(struct.pack("<IIII", T0 + i, 0, len(data), wire) + data)
            frames.append(data)
    return frames


def check_caplen_over_len(checks, vigild, tmp):
    """Records with caplen > len are read like any frame, counted under
    caplen_over_len over all files and named in one warning per file."""
    files = [("caplen_a.pcap", 50000, 30, [4, 11, 12, 29]),
             ("caplen_b.pcap", 51000, 20, [0, 19]),
             ("caplen_none.pcap", 52000, 10, [])]
    args = []
    frames = []
    for name, first_port, count, bad in files:
        path = os.path.join(tmp, name)
        frames += write_caplen_over_len(path, first_port, count, set(bad))
        args += ["--pcap", path]
    flows = os.path.join(tmp, "caplen.jsonl")
    stats_path = os.path.join(tmp, "caplen.json")
    proc = subprocess.run([vigild, *args, "--flows", flows,
                           "--stats", stats_path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace", timeout=300)
    stderr = proc.stderr
    checks.check(proc.returncode == 0,
                 f"caplen: exit status {proc.returncode}: {stderr[-2000:]}")
    if proc.returncode != 0:
        return

    with open(stats_path) as f:
        stats = json.load(f)
    bad_total = sum(len(bad) for _, _, _, bad in files)
    checks.check(stats.get("caplen_over_len") == bad_total,
                 f"caplen: caplen_over_len={stats.get('caplen_over_len')}, "
                 f"expected {bad_total}")
    summary = f" caplen_over_len={bad_total}"
    checks.check(any("summary rx_packets=" in line and
                     line.endswith(summary)
                     for line in stderr.splitlines()),
                 f"caplen: no summary line ending in {summary!r}: "
                 f"{stderr[-2000:]}")
    # net_pcap hands over caplen bytes (pkt_len = caplen), so every frame
    # is a flow and rx_bytes adds up the caplen fields.
    checks.check(stats["rx_packets"] == len(frames),
                 f"caplen: rx_packets={stats['rx_packets']}, "
                 f"expected {len(frames)}")
    checks.check(stats["rx_bytes"] == sum(len(d) for d in frames),
                 f"caplen: rx_bytes={stats['rx_bytes']}, expected "
                 f"{sum(len(d) for d in frames)}")
    records = vigtest.read_records(flows)
    checks.check(len(records) == len(frames),
                 f"caplen: {len(records)} flows, expected {len(frames)}")

    for name, first_port, count, bad in files:
        path = os.path.join(tmp, name)
        lines = [line for line in stderr.splitlines()
                 if f"file={path} " in line and "caplen_over_len=" in line]
        if not bad:
            checks.check(lines == [],
                         f"caplen: warning for {name}, which has no such "
                         f"record: {lines}")
            continue
        caplen = len(frame(first_port + bad[0]))
        message = (f"file={path} frame={bad[0] + 1} caplen={caplen} "
                   f"len={caplen - 10} caplen_over_len={len(bad)} records "
                   "have a captured length larger than their wire length")
        checks.check(len(lines) == 1 and message in lines[0],
                     f"caplen: expected one warning containing "
                     f"{message!r}, got {lines}")


def main():
    vigild = sys.argv[1]
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-damaged-") as tmp:
        for name, data, frames_follow in cases():
            check_case(checks, vigild, tmp, name, data, frames_follow)
        check_late_times(checks, vigild, tmp)
        check_cut_while_read(checks, vigild, tmp)
        check_caplen_over_len(checks, vigild, tmp)
    checks.finish()


if __name__ == "__main__":
    main()
