"""Helpers for the vigil-sandbox integration tests.

The tests run the real vigil-sandbox through vigil-sandbox-drive, which
plays vigild's part: it creates the shared region, spawns the sandbox,
turns command lines into EventBatch messages and prints every ResultBatch
item as a JSON line (see the top of sandbox/sandbox_drive.c). Each test
program takes the driver, the sandbox and the source root on its command
line, as sandbox/meson.build passes them.
"""
import json
import os
import re
import subprocess
import sys
import time


class Checks:
    """Counts named checks and prints one line per failure."""

    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, ok, description):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {description}", flush=True)
        return ok

    def equal(self, got, want, description):
        return self.check(got == want,
                          f"{description}: got {got!r}, expected {want!r}")

    def finish(self):
        print(f"{self.passed} checks passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def programs():
    """Return (driver, sandbox, source root) from the command line."""
    if len(sys.argv) != 4:
        sys.exit(f"usage: {sys.argv[0]} VIGIL_SANDBOX_DRIVE VIGIL_SANDBOX SOURCE_ROOT")
    return sys.argv[1], sys.argv[2], sys.argv[3]


def data_dir(source_root, *parts):
    return os.path.join(source_root, "tests", "integration", "sandbox", *parts)


def flow(flow_id, port=443, hook="protocolDetected", l4="TCP", **fields):
    """Return a driver "flow" command line."""
    words = [f"hook={hook}", f"id={flow_id}", f"l4={l4}",
             "client_ip=10.0.0.1", f"client_port={40000 + flow_id % 20000}",
             "server_ip=10.0.0.2", f"server_port={port}"]
    words += [f"{k}={v}" for k, v in fields.items()]
    return "flow " + " ".join(words)


class Run:
    """The output of one driver run: JSON lines by type, and stderr."""

    def __init__(self, stdout, stderr, returncode):
        self.lines = []
        self.bad_lines = []
        for line in stdout.splitlines():
            try:
                self.lines.append(json.loads(line))
            except json.JSONDecodeError:
                self.bad_lines.append(line)
        self.stderr = stderr
        self.returncode = returncode

    def of(self, kind, **match):
        return [x for x in self.lines if x["type"] == kind and
                all(x.get(k) == v for k, v in match.items())]

    def statuses(self, status):
        return [x for x in self.of("status") if x["status"] == status]

    def errors(self, plugin):
        return [x for x in self.of("error") if x["plugin"] == plugin]

    def exit(self):
        ends = self.of("exit")
        return ends[-1] if ends else None

    def script_index(self, key):
        """Return the status-block number the sandbox logged for <key>."""
        m = re.search(rf"script=(\d+) key={re.escape(key)} ", self.stderr)
        return int(m.group(1)) if m else None


def drive(driver, sandbox, plugins, commands, args=(), timeout=120,
          drive_args=()):
    """Run the sandbox on <plugins> (a list of folders) with <commands>."""
    cmd = [driver, *drive_args, "--", sandbox, "--plugins", ",".join(plugins),
           *args]
    proc = subprocess.run(cmd, input="\n".join(commands) + "\n",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace", timeout=timeout)
    return Run(proc.stdout, proc.stderr, proc.returncode)


class Session:
    """An interactive driver: send a command, read the lines it prints."""

    def __init__(self, driver, sandbox, plugins, args=()):
        cmd = [driver, "--", sandbox, "--plugins", ",".join(plugins), *args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     errors="replace", bufsize=1)
        self.seen = []
        self.ready = self.read_until("ready", timeout=30)

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def read_until(self, kind, timeout=30):
        """Return the next line of type <kind>; keep the others in seen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                return None
            item = json.loads(line)
            self.seen.append(item)
            if item["type"] == kind:
                return item
        return None

    def close(self):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        rest, err = self.proc.communicate(timeout=30)
        for line in rest.splitlines():
            self.seen.append(json.loads(line))
        return err
