#!/usr/bin/env python3
"""vigild writing its flow records and --stats to FIFOs.

1. A flow output FIFO whose reader opens it 2 s after vigild starts: the
   reader gets every record, as many as flows_created and as a run to a
   regular file writes.
2. A flow output FIFO that no process reads, and SIGINT after 3 s: vigild
   exits within 5 s with status 3 and names the FIFO.
3. The same with a --stats FIFO and a regular flow output file.
4. The same as 2 with a plugin whose loading never ends: the sandbox,
   which starts before vigild waits for the reader, has exited when
   vigild exits.

usage: fifo_output.py VIGILD SOURCE_ROOT
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

T0 = 1_700_000_000.0
FLOWS = 200
EXIT_NO_READER = 3


def write_capture(path):
    """Write FLOWS UDP flows of two packets each."""
    frames = []
    for i in range(FLOWS):
        sport = 20000 + i
        query = g.packet("10.3.0.1", "10.3.0.2", 17,
                         g.udp("10.3.0.1", sport, "10.3.0.2", 9000, b"q" * 40))
        reply = g.packet("10.3.0.2", "10.3.0.1", 17,
                         g.udp("10.3.0.2", 9000, "10.3.0.1", sport, b"r" * 40))
        frames.append((T0 + i * 0.01, query))
        frames.append((T0 + i * 0.01 + 0.001, reply))
    g.write_pcap(path, frames)


class LateReader(threading.Thread):
    """Opens a FIFO for reading after <delay> seconds and reads it to EOF."""

    def __init__(self, path, delay):
        super().__init__(daemon=True)
        self.path = path
        self.delay = delay
        self.data = b""

    def run(self):
        time.sleep(self.delay)
        with open(self.path, "rb") as f:
            self.data = f.read()

    def release(self):
        """Unblock a reader whose open() still waits for a writer."""
        if not self.is_alive():
            return
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
        self.join(timeout=5)


def run_until(proc, seconds):
    """Wait up to <seconds> for <proc>; return (status or None, stderr)."""
    try:
        _, stderr = proc.communicate(timeout=seconds)
        return proc.returncode, stderr
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
        return None, stderr


def check_late_reader(checks, vigild, tmp, pcap):
    regular = os.path.join(tmp, "regular.jsonl")
    status, stderr = vigtest.run_vigild(vigild, pcap, regular)
    checks.check(status == 0,
                 f"regular file: exit status {status}: {stderr[-2000:]}")
    expected = len(vigtest.read_records(regular))
    checks.check(expected == FLOWS,
                 f"regular file: {expected} records, expected {FLOWS}")

    fifo = os.path.join(tmp, "late.fifo")
    os.mkfifo(fifo)
    stats_path = os.path.join(tmp, "late.json")
    reader = LateReader(fifo, 2.0)
    reader.start()
    proc = subprocess.Popen([vigild, "--pcap", pcap, "--flows", fifo,
                             "--stats", stats_path],
                            stderr=subprocess.PIPE, text=True,
                            errors="replace")
    status, stderr = run_until(proc, 60)
    reader.release()
    reader.join(timeout=10)
    checks.check(status == 0,
                 f"late reader: exit status {status}: {stderr[-2000:]}")
    message = f"waiting for a reader on FIFO {fifo}"
    checks.check(message in stderr,
                 f"late reader: no log line containing {message!r}: "
                 f"{stderr[-2000:]}")
    lines = reader.data.decode("utf-8", "replace").splitlines()
    checks.check(len(lines) == expected,
                 f"late reader: read {len(lines)} records, expected "
                 f"{expected} as in the regular file")
    for number, line in enumerate(lines, 1):
        try:
            json.loads(line)
        except json.JSONDecodeError as err:
            checks.check(False, f"late reader: line {number}: invalid "
                         f"JSON: {err}")
            break
    if status != 0:
        return
    with open(stats_path) as f:
        created = json.load(f)["flows_created"]
    checks.check(len(lines) == created,
                 f"late reader: read {len(lines)} records, flows_created="
                 f"{created}")


def processes_naming(text):
    """Return the pids of processes whose command line contains <text>."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode("utf-8",
                                                                "replace")
        except OSError:
            continue
        if text in cmdline:
            pids.append(int(entry))
    return pids


def check_no_reader(checks, vigild, tmp, pcap, name, fifo_option,
                    plugins=None):
    """Start vigild with <fifo_option> on a FIFO no process reads, then
    send SIGINT. With <plugins>, also check that no sandbox outlives
    vigild."""
    fifo = os.path.join(tmp, f"{name}.fifo")
    os.mkfifo(fifo)
    if plugins is None:
        args = [vigild, "--pcap", pcap, fifo_option, fifo]
    else:
        args = [vigild, "-c", plugins_config(tmp, name, pcap), "--plugins",
                plugins, fifo_option, fifo]
    if fifo_option != "--flows":
        args += ["--flows", os.path.join(tmp, f"{name}.jsonl")]
    # The log goes to a file: a sandbox left behind would keep a pipe
    # open, and reading it to its end would never return.
    log_path = os.path.join(tmp, f"{name}.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(args, stderr=log)
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    try:
        status = proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        status = None
    elapsed = time.monotonic() - sent
    with open(log_path, errors="replace") as log:
        stderr = log.read()
    checks.check(status is not None,
                 f"{name}: vigild still running 5 s after SIGINT, killed: "
                 f"{stderr[-2000:]}")
    if status is None:
        return
    checks.check(elapsed < 5, f"{name}: exited {elapsed:.1f} s after SIGINT")
    checks.check(status == EXIT_NO_READER,
                 f"{name}: exit status {status}, expected {EXIT_NO_READER}: "
                 f"{stderr[-2000:]}")
    message = f"stopped before a reader opened FIFO {fifo}"
    checks.check(message in stderr,
                 f"{name}: no log line containing {message!r}: "
                 f"{stderr[-2000:]}")
    if plugins is None:
        return
    checks.check("sandbox=0 started pid=" in stderr,
                 f"{name}: no sandbox started before SIGINT: "
                 f"{stderr[-2000:]}")
    left = processes_naming(plugins)
    checks.check(not left, f"{name}: sandbox processes {left} still "
                 f"running after vigild exited")
    for pid in left:
        os.kill(pid, signal.SIGKILL)


def write_hanging_plugin(tmp):
    """Write a plugin whose script never finishes loading: one pattern
    match that backtracks far longer than the test runs, inside a single C call, which the
    sandbox's per-file load budget cannot interrupt. The folder's path is
    on the sandbox's command line and on no other process's. Sandboxes
    run as another user when vigild is root, so it is readable to all."""
    plugins = os.path.join(tmp, "hanging-plugins")
    base = os.path.join(plugins, "tests", "hang")
    os.makedirs(os.path.join(base, "user_scripts", "flow"))
    with open(os.path.join(base, "manifest.lua"), "w") as f:
        f.write('return { title = "hang", description = "test plugin", '
                'author = "vigil tests", version = "1.0", '
                'dependencies = {} }\n')
    with open(os.path.join(base, "user_scripts", "flow", "hang.lua"),
              "w") as f:
        f.write('string.find(string.rep("a", 40), string.rep("a*", 40) '
                '.. "b")\n'
                'return { key = "hang", hooks = { protocolDetected = '
                'function(flow) end } }\n')
    os.chmod(tmp, 0o755)
    return plugins


def plugins_config(tmp, name, pcap):
    """A config whose deadline_ms of 200 ms makes vigild kill a sandbox
    that ignores SIGTERM 1.4 s later (2 * deadline_ms + 1 s)."""
    path = os.path.join(tmp, f"{name}.yaml")
    with open(path, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n"
                f"plugins:\n  deadline_ms: 200\n")
    return path


def main():
    vigild = sys.argv[1]
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-fifo-") as tmp:
        pcap = os.path.join(tmp, "flows.pcap")
        write_capture(pcap)
        check_late_reader(checks, vigild, tmp, pcap)
        check_no_reader(checks, vigild, tmp, pcap, "flows_no_reader",
                        "--flows")
        check_no_reader(checks, vigild, tmp, pcap, "stats_no_reader",
                        "--stats")
        check_no_reader(checks, vigild, tmp, pcap, "plugins_no_reader",
                        "--flows", write_hanging_plugin(tmp))
    checks.finish()


if __name__ == "__main__":
    main()
