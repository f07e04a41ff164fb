#!/usr/bin/env python3
"""vigild's sandbox supervisor, end to end.

Each case runs the real vigild with real vigil-sandbox processes on a
capture built here, with test plugins written to a temporary folder.

Cases, one per meson test:
  idle_stop       SIGSTOP of a sandbox while no event flows: vigild logs
                  that the sandbox left a heartbeat unhandled, kills it
                  and starts a new one.
  reload          SIGHUP and the control socket's reload stop the sandbox
                  with SIGTERM: teardown() runs and the exit is logged
                  with status 0, not a signal. A teardown() that does not
                  end is killed after the stop timeout, and the log line
                  of the kill names the teardown.
  deadline_names  a hook that runs past deadline_ms: the kill is logged
                  with the plugin, the script key and the script's file.
  batch_budget    hooks that each stay within hook_budget_ms but add up
                  past deadline_ms: the sandbox skips the rest of the
                  batch and is not killed, counts the hooks it skipped in
                  plugins.hooks_skipped and logs them.
  load_hang       a script whose loading never ends (one long C call the
                  per-file load budget cannot interrupt): vigild kills the
                  sandbox plugins.load_timeout_ms after its start, logs
                  it and restarts it with a back-off that doubles.
  load_stopped    SIGSTOP of a sandbox while it loads its plugins: vigild
                  kills it after plugins.load_timeout_ms, and the new
                  sandbox loads and is left alone.

usage: supervision.py VIGILD SOURCE_ROOT CASE
"""
import json
import os
import re
import signal
import socket
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


def write_idle_capture(path, flows=3, idle_s=120):
    """<flows> DNS exchanges, then one packet <idle_s> seconds later, so a
    paced replay runs with no event flowing until it is stopped."""
    frames = []
    for i in range(flows):
        frames += dns_exchange(i, f"10.1.0.{i + 1}", T0 + i * 0.01)
    frames += dns_exchange(flows, "10.1.1.1", T0 + idle_s)
    g.write_pcap(path, frames)


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


# A flow script that marks every flow it receives: key, status prefix.
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


def started_pids(log):
    return [int(p) for p in re.findall(r"sandbox=0 started pid=(\d+)", log)]


def kill_leftover(pid):
    """SIGKILL a sandbox this test started and stopped, if still there, so
    a failed case does not leave a stopped process behind."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_ready(d, checks, what, start=0):
    """Wait for sandbox 0 to start and list its scripts (it sets its ready
    flag right after); return (line index, pid) or (None, None)."""
    at, m = d.wait_for(r"sandbox=0 started pid=(\d+)", 60, start)
    if not checks.check(m is not None, f"{what}: no sandbox started"):
        return None, None
    pid = int(m.group(1))
    # The sandbox may list its scripts before vigild logs that it started
    # it, so the list is looked for from <start>: callers pass the first
    # sandbox's start.
    at2, m2 = d.wait_for(r"sandbox-0: script=1 key=", 60, start)
    if not checks.check(m2 is not None, f"{what}: sandbox {pid} never "
                        f"listed its scripts"):
        return None, None
    # The ready flag and the first result batch follow the script list.
    time.sleep(1.0)
    return max(at, at2), pid


# ---- idle_stop ------------------------------------------------------------

def idle_stop_case(vigild, tmp, checks):
    pcap = os.path.join(tmp, "idle.pcap")
    write_idle_capture(pcap)
    plugins = os.path.join(tmp, "plugins")
    write_plugin(plugins, "idle", WATCH % ("idle_watch", "idle"))
    # A heartbeat must be handled within deadline_ms + 1 s: 1.5 s here.
    config = write_config(tmp, "idle", pcap, plugins,
                          plugin_extra="  deadline_ms: 500\n")
    d = Vigild(vigild, config)
    stopped_pid = None
    try:
        at, pid = wait_ready(d, checks, "idle_stop")
        if pid is None:
            return
        # Let the first events go through, so the sandbox is idle.
        time.sleep(1.0)
        os.kill(pid, signal.SIGSTOP)
        stopped_pid = pid
        stopped_at = time.monotonic()
        at2, m = d.wait_for(r"sandbox=0 pid=%d .*heartbeat" % pid, 15, at)
        took = time.monotonic() - stopped_at
        checks.check(m is not None, f"idle_stop: no heartbeat line for the "
                     f"stopped sandbox pid={pid} within 15 s")
        if m is not None:
            line = d.lines[at2]
            print(f"idle_stop: detected after {took:.1f} s: {line.strip()}")
            checks.check(took < 6.0, f"idle_stop: detection took {took:.1f}"
                         f" s, expected under 6 s")
            checks.check("state=T" in line, f"idle_stop: the line does not "
                         f"say the process is stopped: {line.strip()}")
        at3, m3 = d.wait_for(r"sandbox=0 started pid=(\d+)", 10, at)
        checks.check(m3 is not None and int(m3.group(1)) != pid,
                     "idle_stop: no new sandbox started after the stop")
        if m3 is not None:
            # From the kill line, not the start line: under load the new
            # sandbox can log its scripts before vigild logs its start.
            _, ready = d.wait_for(r"sandbox-0: script=1 key=", 30, at2)
            checks.check(ready is not None,
                         "idle_stop: the new sandbox never loaded")
        # The new sandbox is idle too: it must not be killed.
        time.sleep(4.0)
        checks.check(d.count(r"heartbeat") == 1,
                     f"idle_stop: heartbeat lines "
                     f"{d.count(r'heartbeat')}, expected 1")
    finally:
        status = d.stop()
        if stopped_pid is not None:
            kill_leftover(stopped_pid)
    checks.check(status == 0, f"idle_stop: vigild exit {status}: "
                 f"{d.text()[-800:]}")


# ---- reload -----------------------------------------------------------------

GRACEFUL = """
return {
  key = "graceful_watch",
  hooks = { protocolDetected = function(flow)
    flow:setStatus("graceful_seen", 10)
  end },
  teardown = function(conf) print("graceful teardown ran") end,
}
"""

STUCK_TEARDOWN = """
return {
  key = "stuck_watch",
  hooks = { protocolDetected = function(flow) end },
  teardown = function(conf)
    print("stuck teardown started")
    while true do end
  end,
}
"""


def control(sock_path, command):
    conn = socket.socket(socket.AF_UNIX)
    try:
        conn.settimeout(10)
        conn.connect(sock_path)
        conn.sendall(command.encode() + b"\n")
        return conn.makefile("r").readline().strip()
    finally:
        conn.close()


def reload_once(d, checks, what, trigger, start):
    """Trigger a reload of a ready sandbox; check teardown ran, the exit
    was ordinary and a new sandbox came up. Return the next line index."""
    old = started_pids(d.text())[-1]
    trigger()
    at, m = d.wait_for(r"sandbox=0 .*pid=%d.*(exited|stopped)" % old, 15,
                       start)
    if not checks.check(m is not None, f"{what}: no exit line for "
                        f"pid={old}"):
        return start
    line = d.lines[at]
    print(f"{what}: {line.strip()}")
    checks.check("signal=9" not in line and "status=0" in line,
                 f"{what}: exit not ordinary: {line.strip()}")
    checks.check(d.count(r"graceful teardown ran", start, at + 1) == 1,
                 f"{what}: teardown() did not run before the exit")
    at2, m2 = d.wait_for(r"sandbox=0 started pid=(\d+)", 10, at)
    checks.check(m2 is not None and int(m2.group(1)) != old,
                 f"{what}: no new sandbox after the reload")
    if m2 is None:
        return at
    # From the exit line: the new sandbox can log its scripts before
    # vigild logs its start.
    at3, m3 = d.wait_for(r"sandbox-0: script=1 key=", 30, at)
    checks.check(m3 is not None, f"{what}: the new sandbox never loaded")
    time.sleep(1.0)
    return at3 if at3 is not None else at2


def reload_case(vigild, tmp, checks):
    pcap = os.path.join(tmp, "reload.pcap")
    write_idle_capture(pcap)
    plugins = os.path.join(tmp, "plugins-graceful")
    write_plugin(plugins, "graceful", GRACEFUL)
    sock_path = os.path.join(tmp, "vigild.sock")
    config = write_config(tmp, "reload", pcap, plugins,
                          extra=f"control:\n  socket: {sock_path}\n")

    def control_reload():
        checks.check(control(sock_path, "reload") == "ok",
                     "reload: control socket did not reply ok")

    d = Vigild(vigild, config)
    try:
        at, pid = wait_ready(d, checks, "reload")
        if pid is None:
            return
        at = reload_once(d, checks, "reload SIGHUP",
                         lambda: d.proc.send_signal(signal.SIGHUP), at)
        at = reload_once(d, checks, "reload control", control_reload, at)
        # A file that no longer loads: the sandboxes keep their settings.
        with open(config, "w") as f:
            f.write("capture: [\n")
        d.proc.send_signal(signal.SIGHUP)
        pattern = (r"error sandbox: reload refused: %s:2:1: capture: "
                   r"invalid YAML" % re.escape(config))
        at2, m = d.wait_for(pattern, 10, at)
        checks.check(m is not None, f"reload broken file: SIGHUP not "
                     f"refused: {d.text()[-800:]}")
        reply = control(sock_path, "reload")
        checks.check(reply.startswith(f"error: reload refused: {config}:2:1: "
                                      "capture: invalid YAML"),
                     f"reload broken file: control socket replied {reply!r}")
        time.sleep(2.0)
        checks.check(d.count(r"sandbox=0 started pid", at) == 0,
                     "reload broken file: a sandbox was restarted")
    finally:
        status = d.stop()

    log = d.text()
    checks.check(status == 0, f"reload: vigild exit {status}: {log[-800:]}")
    checks.check("signal=9" not in log,
                 "reload: a sandbox was killed with SIGKILL")
    # The stop at the end runs teardown too: once per reload, once at exit.
    checks.check(log.count("graceful teardown ran") == 3,
                 f"reload: teardown ran {log.count('graceful teardown ran')}"
                 f" times, expected 3")
    stuck_teardown_case(vigild, tmp, checks)


def stuck_teardown_case(vigild, tmp, checks):
    """A teardown() that never ends: hook_budget_ms is larger than the
    stop timeout, so only vigild's SIGKILL ends it."""
    pcap = os.path.join(tmp, "stuck.pcap")
    write_idle_capture(pcap)
    plugins = os.path.join(tmp, "plugins-stuck")
    write_plugin(plugins, "stuck", STUCK_TEARDOWN)
    # The stop timeout is 2 * deadline_ms + 1 s: 2 s here.
    config = write_config(tmp, "stuck", pcap, plugins,
                          plugin_extra="  deadline_ms: 500\n"
                                       "  hook_budget_ms: 60000\n")
    d = Vigild(vigild, config)
    try:
        at, pid = wait_ready(d, checks, "stuck teardown")
        if pid is None:
            return
        sent = time.monotonic()
        d.proc.send_signal(signal.SIGHUP)

        at2, m = d.wait_for(r"sandbox=0 pid=%d teardown did not finish" % pid,
                            15, at)
        took = time.monotonic() - sent
        checks.check(m is not None, "stuck teardown: no line saying "
                     "teardown did not finish in time")
        if m is not None:
            print(f"stuck teardown: {d.lines[at2].strip()} after "
                  f"{took:.1f} s")
            checks.check(1.5 <= took < 6.0, f"stuck teardown: killed after "
                         f"{took:.1f} s, expected about 2 s")
        checks.check(d.count(r"stuck teardown started", at) == 1,
                     "stuck teardown: teardown() never started")

        _, m3 = d.wait_for(r"sandbox=0 started pid=(\d+)", 10, at)
        checks.check(m3 is not None and int(m3.group(1)) != pid,
                     "stuck teardown: no new sandbox after the kill")
        if m3 is not None:
            d.wait_for(r"sandbox-0: script=1 key=", 30)
            time.sleep(1.0)
    finally:
        started = time.monotonic()
        status = d.stop()
        took = time.monotonic() - started

    checks.check(status == 0, f"stuck teardown: vigild exit {status}: "
                 f"{d.text()[-800:]}")
    # The stop at the end meets the same teardown and the same timeout.
    checks.check(took < 15, f"stuck teardown: vigild took {took:.1f} s "
                 f"to stop")


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


# ---- loading ----------------------------------------------------------------

# One pattern match that backtracks far longer than any test runs, inside
# a single C call that the instruction-count budget cannot interrupt.
HANG_AT_LOAD = """
string.find(string.rep("a", 40), string.rep("a*", 40) .. "b")
return { key = "hang_watch", hooks = { protocolDetected = function(flow)
end } }
"""

# Loading takes 0.3 s of CPU time, well under the 1 s of wall-clock time
# each file may take, so the sandbox is still loading when the test stops
# it right after its start.
SLOW_LOAD = """
local start = os.clock()
while os.clock() - start < 0.3 do end
return { key = "slow_watch", hooks = { protocolDetected = function(flow)
  flow:setStatus("slow_seen", 10)
end } }
"""

LOAD_LIMIT = "  deadline_ms: 500\n  load_timeout_ms: 2000\n"
LOAD_KILL = r"sandbox=0 pid=%d has not finished loading its plugins (\d+) ms"


def load_hang_case(vigild, tmp, checks):
    pcap = os.path.join(tmp, "hang.pcap")
    write_idle_capture(pcap)
    plugins = os.path.join(tmp, "plugins")
    write_plugin(plugins, "hang", HANG_AT_LOAD)
    write_plugin(plugins, "good", WATCH % ("good_watch", "good"))
    config = write_config(tmp, "hang", pcap, plugins,
                          plugin_extra=LOAD_LIMIT)
    d = Vigild(vigild, config)
    try:
        at = 0
        for run in range(3):
            at, m = d.wait_for(r"sandbox=0 started pid=(\d+)", 15, at)
            if not checks.check(m is not None, f"load_hang: start {run + 1} "
                                f"not logged"):
                return
            pid = int(m.group(1))
            at, m = d.wait_for(LOAD_KILL % pid, 10, at)
            if not checks.check(m is not None, f"load_hang: sandbox "
                                f"pid={pid} not killed while loading "
                                f"within 10 s"):
                return
            line = d.lines[at]
            print(f"load_hang: {line.strip()}")
            waited = int(m.group(1))
            checks.check(2000 <= waited < 3000, f"load_hang: killed after "
                         f"{waited} ms, expected 2000 ms (load_timeout_ms) "
                         f"plus at most a second of control ticks")
            checks.check("state=R" in line, f"load_hang: the line does "
                         f"not say the process runs: {line.strip()}")
            checks.check("loading plugin=hang:" in line, f"load_hang: the "
                         f"line does not name the plugin: {line.strip()}")
            checks.check(f"load_kills={run + 1})" in line,
                         f"load_hang: kill {run + 1} counted as: "
                         f"{line.strip()}")
            delay = 100 << run
            at, m = d.wait_for(r"sandbox=0 pid=%d exited .*restarting in "
                               r"(\d+) ms" % pid, 10, at)
            checks.check(m is not None and int(m.group(1)) == delay,
                         f"load_hang: restart {run + 1} after "
                         f"{m and m.group(1)} ms, expected {delay} ms")
            if m is None:
                return
        # Three runs in a row ended in the hanging plugin: the fourth
        # starts without it and loads the other one.
        checks.check(d.count(r"sandbox=0 plugin=hang disabled: the sandbox "
                             r"ended 3 times in a row") == 1,
                     f"load_hang: no line disabling plugin hang: "
                     f"{d.text()[-1500:]}")
        at, m = d.wait_for(r"plugin=hang disabled by --disable", 15, at)
        checks.check(m is not None, "load_hang: the fourth sandbox did not "
                     "start with --disable hang")
        _, ready = d.wait_for(r"sandbox-0: script=1 key=good_watch", 15, at)
        checks.check(ready is not None, f"load_hang: the fourth sandbox "
                     f"never loaded: {d.text()[-1500:]}")
        time.sleep(3.0)
        checks.check(d.count(r"has not finished loading") == 3,
                     f"load_hang: {d.count(r'has not finished loading')} "
                     f"load kills, expected 3")
    finally:
        status = d.stop()
    checks.check(status == 0, f"load_hang: vigild exit {status}: "
                 f"{d.text()[-800:]}")


def load_stopped_case(vigild, tmp, checks):
    pcap = os.path.join(tmp, "slow.pcap")
    write_idle_capture(pcap)
    plugins = os.path.join(tmp, "plugins")
    write_plugin(plugins, "slow", SLOW_LOAD)
    config = write_config(tmp, "slow", pcap, plugins,
                          plugin_extra=LOAD_LIMIT)
    d = Vigild(vigild, config)
    stopped_pid = None
    try:
        at, m = d.wait_for(r"sandbox=0 started pid=(\d+)", 15)
        if not checks.check(m is not None, "load_stopped: no sandbox "
                            "started"):
            return
        pid = int(m.group(1))
        os.kill(pid, signal.SIGSTOP)
        stopped_pid = pid
        checks.check(d.count(r"sandbox-0: script=1 key=") == 0,
                     "load_stopped: the sandbox had loaded before SIGSTOP; "
                     "the case needs a slower load")
        at, m = d.wait_for(LOAD_KILL % pid, 10, at)
        if not checks.check(m is not None, f"load_stopped: stopped sandbox "
                            f"pid={pid} not killed within 10 s"):
            return
        line = d.lines[at]
        print(f"load_stopped: {line.strip()}")
        checks.check("state=T" in line, f"load_stopped: the line does not "
                     f"say the process is stopped: {line.strip()}")
        at2, m = d.wait_for(r"sandbox=0 started pid=(\d+)", 10, at)
        checks.check(m is not None and int(m.group(1)) != pid,
                     "load_stopped: no new sandbox started after the kill")
        _, ready = d.wait_for(r"sandbox-0: script=1 key=slow_watch", 15, at)
        checks.check(ready is not None,
                     f"load_stopped: the new sandbox never loaded: "
                     f"{d.text()[-1500:]}")
        # Loaded and idle: neither the load limit nor the heartbeat kills
        # the new sandbox.
        time.sleep(4.0)
        checks.check(d.count(r"has not finished loading") == 1,
                     f"load_stopped: {d.count(r'has not finished loading')} "
                     f"load kills, expected 1")
        checks.check(d.count(r"heartbeat") == 0,
                     f"load_stopped: heartbeat kills: {d.text()[-800:]}")
    finally:
        status = d.stop()
        if stopped_pid is not None:
            kill_leftover(stopped_pid)
    checks.check(status == 0, f"load_stopped: vigild exit {status}: "
                 f"{d.text()[-800:]}")


CASES = {
    "idle_stop": idle_stop_case,
    "reload": reload_case,
    "deadline_names": deadline_names_case,
    "batch_budget": batch_budget_case,
    "load_hang": load_hang_case,
    "load_stopped": load_stopped_case,
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
