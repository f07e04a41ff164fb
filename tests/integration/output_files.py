#!/usr/bin/env python3
"""vigild's record files across restarts, rotations and a full disk.

append      flows.output and plugins.alerts_output that hold 1000 lines
            before a run still hold them, in front of the run's records.
copytruncate  a paced run whose flow file is copied and truncated while it
            runs: the file holds only valid JSON lines, no NUL byte.
rename      a paced run whose flow and alert files are renamed twice, then
            reopened by SIGUSR1 and by the control socket's reopen: the
            three flow files together hold the flow keys of a run without
            rotation, each once, and the alert files all its alerts.
sigusr2     SIGUSR2 does not stop a paced run, which writes every record.
diskfull    a flow file on a 200 kB tmpfs with 24 kB free is filled with
            whole records; the rest are counted as dropped (needs root).

usage: output_files.py VIGILD SOURCE_ROOT CASE
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

T0 = 1_700_000_000.0
FLOWS = 300
SPACING = 0.025          # seconds between flows: a 7.5 s paced replay
WATCHED_PORT = 5000      # the example plugin raises an alert for these


def write_capture(path, flows=FLOWS, spacing=SPACING):
    """One UDP packet per flow; every fifth flow goes to WATCHED_PORT."""
    frames = []
    for i in range(flows):
        port = WATCHED_PORT if i % 5 == 0 else 9000
        frames.append((T0 + i * spacing, g.packet(
            "10.3.0.1", "10.3.0.2", 17,
            g.udp("10.3.0.1", 20000 + i, "10.3.0.2", port, b"q" * 40))))
    g.write_pcap(path, frames)


def write_config(tmp, pcap, flows, alerts=None, sock=None, pace=True):
    plugins = os.path.join(tmp, "plugins")
    if alerts and not os.path.isdir(plugins):
        shutil.copytree(os.path.join(SOURCE_ROOT, "plugins", "examples"),
                        os.path.join(plugins, "examples"))
    path = os.path.join(tmp, "vigil.yaml")
    text = (f"capture:\n  ports:\n    - pcap: {pcap}\n"
            f"      pace: {'true' if pace else 'false'}\n"
            "flows:\n  idle_timeout: {tcp: 1, udp: 1, icmp: 1, other: 1}\n"
            f"  output: {flows}\n")
    if alerts:
        text += (f"plugins:\n  directories: [{plugins}]\n"
                 f"  alerts_output: {alerts}\n")
    if sock:
        text += f"control:\n  socket: {sock}\n"
    with open(path, "w") as f:
        f.write(text)
    return path


def start(config):
    return subprocess.Popen([VIGILD, "-c", config],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def lines_of(path):
    if not os.path.exists(path):
        return []
    return vigtest.read_records(path)


def flow_key(r):
    return (r["client_ip"], r["client_port"], r["server_ip"],
            r["server_port"], r["l4"])


def control(sock, command):
    conn = socket.socket(socket.AF_UNIX)
    conn.settimeout(5)
    conn.connect(sock)
    conn.sendall(command.encode() + b"\n")
    reply = conn.recv(4096).decode()
    conn.close()
    return reply.strip()


def case_append(tmp, checks):
    pcap = os.path.join(tmp, "a.pcap")
    write_capture(pcap)
    flows = os.path.join(tmp, "flows.jsonl")
    alerts = os.path.join(tmp, "alerts.jsonl")
    old = "".join(f'{{"old":{i}}}\n' for i in range(1000))
    for path in (flows, alerts):
        with open(path, "w") as f:
            f.write(old)
    config = write_config(tmp, pcap, flows, alerts, pace=False)
    proc = start(config)
    _, stderr = proc.communicate(timeout=120)
    checks.check(proc.returncode == 0,
                 f"exit {proc.returncode}: {stderr[-600:]}")
    for path, name, expected in ((flows, "flows", FLOWS),
                                 (alerts, "alerts", FLOWS // 5)):
        with open(path) as f:
            text = f.read()
        if not checks.check(text.startswith(old),
                            f"{name}: the 1000 lines before the run are gone"):
            continue
        new = [json.loads(line) for line in text[len(old):].splitlines()]
        checks.check(len(new) == expected,
                     f"{name}: {len(new)} records appended, {expected} expected")


def case_copytruncate(tmp, checks):
    pcap = os.path.join(tmp, "a.pcap")
    write_capture(pcap)
    flows = os.path.join(tmp, "flows.jsonl")
    proc = start(write_config(tmp, pcap, flows))
    time.sleep(4.0)
    # What logrotate's copytruncate does.
    shutil.copyfile(flows, flows + ".1")
    os.truncate(flows, 0)
    _, stderr = proc.communicate(timeout=60)
    checks.check(proc.returncode == 0,
                 f"exit {proc.returncode}: {stderr[-600:]}")
    with open(flows, "rb") as f:
        data = f.read()
    nuls = data.count(b"\0")
    checks.check(nuls == 0, f"{nuls} NUL bytes in the truncated file")
    after = lines_of(flows)
    before = lines_of(flows + ".1")
    checks.check(len(before) > 0 and len(after) > 0,
                 f"records before/after the truncation: {len(before)}/{len(after)}")
    checks.check(len(before) + len(after) <= FLOWS,
                 f"{len(before)} + {len(after)} records for {FLOWS} flows")


def case_rename(tmp, checks):
    pcap = os.path.join(tmp, "a.pcap")
    write_capture(pcap)
    reference = os.path.join(tmp, "reference.jsonl")
    ref_alerts = os.path.join(tmp, "reference-alerts.jsonl")
    proc = start(write_config(tmp, pcap, reference, ref_alerts, pace=False))
    proc.communicate(timeout=120)
    want = sorted(flow_key(r) for r in lines_of(reference))
    want_alerts = sorted(a["value"] for a in lines_of(ref_alerts))
    checks.check(len(want) == FLOWS, f"reference run: {len(want)} records")

    flows = os.path.join(tmp, "flows.jsonl")
    alerts = os.path.join(tmp, "alerts.jsonl")
    sock = os.path.join(tmp, "control.sock")
    proc = start(write_config(tmp, pcap, flows, alerts, sock))
    time.sleep(3.5)
    os.rename(flows, flows + ".1")
    os.rename(alerts, alerts + ".1")
    proc.send_signal(signal.SIGUSR1)
    time.sleep(2.0)
    os.rename(flows, flows + ".2")
    os.rename(alerts, alerts + ".2")
    reply = control(sock, "reopen")
    checks.check(reply == "ok reopened=2", f"reopen replied {reply!r}")
    _, stderr = proc.communicate(timeout=60)
    checks.check(proc.returncode == 0,
                 f"exit {proc.returncode}: {stderr[-600:]}")
    parts = [lines_of(flows + ".1"), lines_of(flows + ".2"), lines_of(flows)]
    checks.check(all(len(p) > 0 for p in parts),
                 f"records per file: {[len(p) for p in parts]}")
    got = sorted(flow_key(r) for p in parts for r in p)
    checks.check(got == want,
                 f"{len(got)} flow keys in the rotated files, {len(want)} "
                 "in the run without rotation, or they differ")
    got_alerts = sorted(a["value"] for suffix in (".1", ".2", "")
                        for a in lines_of(alerts + suffix))
    checks.check(got_alerts == want_alerts,
                 f"{len(got_alerts)} alerts in the rotated files, "
                 f"{len(want_alerts)} without rotation, or they differ")
    reopened = stderr.count("reopened flows.output file=")
    checks.check(reopened == 2, f"'reopened flows.output' logged {reopened} times")


def case_sigusr2(tmp, checks):
    pcap = os.path.join(tmp, "a.pcap")
    write_capture(pcap)
    flows = os.path.join(tmp, "flows.jsonl")
    sock = os.path.join(tmp, "control.sock")
    proc = start(write_config(tmp, pcap, flows, sock=sock))
    time.sleep(2.0)
    proc.send_signal(signal.SIGUSR2)
    time.sleep(1.0)
    checks.check(proc.poll() is None, "vigild stopped after SIGUSR2")
    _, stderr = proc.communicate(timeout=60)
    checks.check(proc.returncode == 0,
                 f"exit {proc.returncode}: {stderr[-600:]}")
    checks.check(len(lines_of(flows)) == FLOWS,
                 f"{len(lines_of(flows))} records, {FLOWS} expected")
    checks.check(not os.path.exists(sock), "control socket left behind")


def find_counter(obj, name):
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == name:
                return value
            found = find_counter(value, name)
            if found is not None:
                return found
    return None


def case_diskfull(tmp, checks):
    if os.geteuid() != 0:
        vigtest.skip("diskfull: mounting a tmpfs needs root")
    pcap = os.path.join(tmp, "a.pcap")
    write_capture(pcap)
    reference = os.path.join(tmp, "reference.jsonl")
    vigtest.run_vigild(VIGILD, pcap, reference)
    with open(reference, "rb") as f:
        longest = max(len(line) for line in f)
    disk = os.path.join(tmp, "disk")
    os.mkdir(disk)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs",
                    disk], check=True)
    try:
        st = os.statvfs(disk)
        free = 24 * 1024
        with open(os.path.join(disk, "filler"), "wb") as f:
            f.write(b"\0" * (st.f_bavail * st.f_frsize - free))
        flows = os.path.join(disk, "flows.jsonl")
        stats = os.path.join(tmp, "stats.json")
        status, stderr = vigtest.run_vigild(VIGILD, pcap, flows,
                                            ["--stats", stats])
        size = os.path.getsize(flows)
        records = lines_of(flows)
    finally:
        subprocess.run(["umount", disk], check=True)
    with open(stats) as f:
        dropped = find_counter(json.load(f), "records_dropped")
    checks.check(status == 1, f"exit {status}, 1 expected after a failed write")
    checks.check(free - longest < size <= free,
                 f"{size} bytes written with {free} free, longest record "
                 f"{longest}")
    checks.check(len(records) + (dropped or 0) == FLOWS,
                 f"{len(records)} written + {dropped} dropped != {FLOWS}")
    checks.check("reason=No space left on device" in stderr,
                 f"no reason for the dropped records: {stderr[-600:]}")


def main():
    global VIGILD, SOURCE_ROOT
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    VIGILD, SOURCE_ROOT, case = sys.argv[1:4]
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-outputs-") as tmp:
        os.chmod(tmp, 0o755)
        globals()["case_" + case](tmp, checks)
    checks.finish()


if __name__ == "__main__":
    sys.exit(main())
