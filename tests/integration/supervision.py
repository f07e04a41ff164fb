#!/usr/bin/env python3
"""vigild's sandbox supervisor, end to end.

Each case runs the real vigild with real vigil-sandbox processes on a
capture built here, with test plugins written to a temporary folder.

Cases, one per meson test:
  deadline_names  a hook that runs past deadline_ms: the kill is logged
                  with the plugin, the script key and the script's file.
  batch_budget    hooks that each stay within hook_budget_ms but add up
                  past deadline_ms: the sandbox skips the rest of the
                  batch and is not killed, counts the hooks it skipped in
                  plugins.hooks_skipped and logs them.

usage: supervision.py VIGILD SOURCE_ROOT CASE
"""
import json
import os
import re
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
SERVER = "10.9.0.53"


def dns_exchange(i, client, t):
    """A DNS query and its answer: nDPI detects the flow at once, so its
    protocolDetected hook runs while the replay goes on."""
    query = g.dns_query(i, "www.example.org")
    answer = g.dns_query(i, "www.example.org", True, "192.0.2.1")
    port = 30000 + i
    return [(t, g.packet(client, SERVER, 17,
                         g.udp(client, port, SERVER, 53, query))),
            (t + 0.001, g.packet(SERVER, client, 17,
                                 g.udp(SERVER, 53, client, port, answer)))]


def write_plugin(root, name, script):
    """Create <root>/tests/<name> with one flow script <script>."""
    base = os.path.join(root, "tests", name)
    os.makedirs(os.path.join(base, "user_scripts", "flow"))
    os.makedirs(os.path.join(base, "status_definitions"))
    with open(os.path.join(base, "manifest.lua"), "w") as f:
        f.write('return { title = "%s", description = "test plugin", '
                'author = "vigil tests", version = "1.0", '
                'dependencies = {} }\n' % name)
    with open(os.path.join(base, "status_definitions",
                           name + "_seen.lua"), "w") as f:
        f.write('return { key = "%s_seen", title = "seen", '
                'description = "test status", score = 10 }\n' % name)
    path = os.path.join(base, "user_scripts", "flow", name + "_script.lua")
    with open(path, "w") as f:
        f.write(script)
    return path


# A flow script that marks every flow it sees: key, status prefix.
WATCH = """
return {
  key = "%s",
  hooks = { protocolDetected = function(flow)
    flow:setStatus("%s_seen", 10)
  end },
}
"""


def write_config(tmp, name, pcap, plugins, pace=True, plugin_extra="",
                 extra=""):
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n"
                f"      pace: {'true' if pace else 'false'}\n"
                f"flows:\n  output: {os.path.join(tmp, name + '.jsonl')}\n"
                f"  idle_timeout: 600\n"
                f"plugins:\n  directories: [{plugins}]\n"
                f"{plugin_extra}"
                f"{extra}")
    return path


class Vigild:
    """A running vigild whose log lines a thread collects."""

    def __init__(self, vigild, config, extra=()):
        self.proc = subprocess.Popen([vigild, "-c", config, *extra],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True,
                                     errors="replace")
        self.lines = []
        self.closed = False
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait_for(self, pattern, timeout, start=0):
        """Return (line index, match) of the first line from <start> on
        that matches <pattern>, or (None, None) after <timeout> seconds."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        at = start
        with self.cond:
            while True:
                while at < len(self.lines):
                    m = regex.search(self.lines[at])
                    if m:
                        return at, m
                    at += 1
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return None, None
                self.cond.wait(left)

    def count(self, pattern, start=0, end=None):
        with self.cond:
            return sum(1 for line in self.lines[start:end]
                       if re.search(pattern, line))

    def text(self):
        with self.cond:
            return "".join(self.lines)

    def stop(self, timeout=60):
        """SIGINT, then wait; return the exit status (None: killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.reader.join(timeout=10)
            return None
        self.reader.join(timeout=10)
        return self.proc.returncode


# ---- deadline_names -----------------------------------------------------------

# One C call that backtracks for ages: no Lua instruction runs, so the
# hook budget cannot stop it and only vigild's deadline can.
STUCK_HOOK = """
return {
  key = "stuck_hook",
  hooks = { protocolDetected = function(flow)
    string.find(string.rep('a', 40), string.rep('a*', 40) .. 'b')
  end },
}
"""


def deadline_names_case(vigild, tmp, checks):
    frames = []
    for i in range(2):
        frames += dns_exchange(i, f"10.2.0.{i + 1}", T0 + i * 2.0)
    pcap = os.path.join(tmp, "deadline.pcap")
    g.write_pcap(pcap, frames)
    plugins = os.path.join(tmp, "plugins-deadline")
    write_plugin(plugins, "other", WATCH % ("other_watch", "other"))
    path = write_plugin(plugins, "stuck", STUCK_HOOK)
    config = write_config(tmp, "deadline", pcap, plugins,
                          plugin_extra="  deadline_ms: 300\n")
    d = Vigild(vigild, config)
    try:
        at, m = d.wait_for(r"batch ran past deadline_ms", 60)
    finally:
        status = d.stop()
    checks.check(status == 0, f"deadline_names: vigild exit {status}")
    if not checks.check(m is not None, "deadline_names: no deadline kill"):
        print(d.text()[-2000:])
        return
    line = d.lines[at].strip()
    print(f"deadline_names: {line}")
    checks.check("plugin=stuck " in line,
                 f"deadline_names: the line does not name the plugin: {line}")
    checks.check("script=stuck_hook " in line,
                 f"deadline_names: the line does not name the script key: "
                 f"{line}")
    checks.check(f"file={path} " in line,
                 f"deadline_names: the line does not name the file {path}: "
                 f"{line}")


# ---- batch_budget -------------------------------------------------------------

FLOWS = 40

# Each call spins for 60 ms of CPU time, within the 400 ms hook budget;
# 40 flows in one batch would take 2.4 s against a 1 s deadline.
SLOW = """
return {
  key = "slow_watch",
  hooks = { protocolDetected = function(flow)
    local t = os.clock()
    while os.clock() - t < 0.06 do end
    flow:setStatus("slow_seen", 10)
  end },
}
"""


def batch_budget_case(vigild, tmp, checks):
    frames = []
    for i in range(FLOWS):
        frames += dns_exchange(i, f"10.3.0.{i + 1}", T0 + i * 0.001)
    pcap = os.path.join(tmp, "budget.pcap")
    g.write_pcap(pcap, frames)
    plugins = os.path.join(tmp, "plugins-budget")
    write_plugin(plugins, "slow", SLOW)
    stats = os.path.join(tmp, "budget.stats.json")
    config = write_config(tmp, "budget", pcap, plugins, pace=False,
                          plugin_extra="  deadline_ms: 1000\n"
                                       "  hook_budget_ms: 400\n")
    proc = subprocess.run([vigild, "-c", config, "--stats", stats],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, errors="replace", timeout=240)

    log = proc.stderr
    checks.check(proc.returncode == 0,
                 f"batch_budget: vigild exit {proc.returncode}: {log[-800:]}")
    with open(stats) as f:
        p = json.load(f)["plugins"]
    records = vigtest.read_records(os.path.join(tmp, "budget.jsonl"))
    marked = sum(1 for r in records if "slow_seen" in r["statuses"])
    print(f"batch_budget: {len(records)} flows, {marked} marked, "
          f"plugins {p}")

    checks.check(p["deadline_kills"] == 0,
                 f"batch_budget: sandbox killed {p['deadline_kills']} times")
    checks.check(p["sandbox_starts"] == 1,
                 f"batch_budget: sandbox started {p['sandbox_starts']} times")
    checks.check(p.get("hooks_skipped", 0) > 0,
                 f"batch_budget: no hook skipped: {p}")
    checks.check(len(records) == FLOWS,
                 f"batch_budget: {len(records)} flow records")
    # Every flow's hook either ran (and marked it) or was skipped.
    checks.check(marked + p.get("hooks_skipped", 0) == FLOWS,
                 f"batch_budget: {marked} marked + {p.get('hooks_skipped')} "
                 f"skipped, expected {FLOWS}")
    checks.check(p["plugin_errors"] == 0,
                 f"batch_budget: plugin errors {p['plugin_errors']}")

    m = re.search(r"sandbox-0: .*hooks_skipped=(\d+)", log)
    checks.check(m is not None, "batch_budget: no log line about the "
                 "skipped hooks")
    if m is not None:
        print(f"batch_budget: {m.group(0)}")


CASES = {
    "deadline_names": deadline_names_case,
    "batch_budget": batch_budget_case,
}


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in CASES:
        print(__doc__)
        return 2
    vigild, source_root, case = sys.argv[1:4]
    sandbox = os.path.join(os.path.dirname(os.path.dirname(vigild)),
                           "sandbox", "vigil-sandbox")
    if not os.path.exists(sandbox):
        vigtest.skip(f"vigil-sandbox not built at {sandbox}")
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-supervision-") as tmp:
        os.chmod(tmp, 0o755)
        CASES[case](vigild, tmp, checks)
    checks.finish()


if __name__ == "__main__":
    sys.exit(main())
