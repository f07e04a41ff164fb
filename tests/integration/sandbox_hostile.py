"""Hostile plugins against vigil-sandbox, each beside a well-behaved one.

Every case runs one hostile plugin (tests/integration/sandbox/cases/) in
the same sandbox as good_marker, which sets the good_seen status on every
flow with the server port (mod 1000) as its score. Each case checks what
the sandbox reported about the hostile plugin, that no "escaped" status
(set by a hostile plugin only if the forbidden action worked) came back,
and that good_marker kept producing its statuses.

The endless loop runs twice. With the JIT off (the default) the hook
budget stops it every time and the script is disabled after 10 overruns.
With --jit for that plugin the compiled loop never meets the budget: the
status block then shows the batch stuck on that script, the process stays
alive, and only killing it (vigild's supervisor's job) ends it.
"""
import os
import re

from sandbox_common import Checks, data_dir, drive, flow, programs

DRIVER, SANDBOX, ROOT = programs()
GOOD = data_dir(ROOT, "good")
BUDGET_MS = 50
c = Checks()


def run_case(case, commands, args=(), timeout=120):
    return drive(DRIVER, SANDBOX, [GOOD, data_dir(ROOT, "cases", case)],
                 commands, args=["--hook-budget-ms", str(BUDGET_MS), *args],
                 timeout=timeout)


def one_flow_per_batch(ports):
    cmds = []
    for i, port in enumerate(ports, 1):
        cmds += [flow(i, port), "send"]
    return cmds + ["sync timeout_ms=60000"]


def common_checks(name, run, ports, exit_code=0):
    """good_seen for every flow, nothing escaped, a clean finish."""
    plugin = f"hostile_{name}"
    for i, port in enumerate(ports, 1):
        got = [s for s in run.statuses("good_seen") if s["flow_id"] == i]
        c.check(len(got) == 1 and got[0]["score"] == port % 1000,
                f"{name}: good_seen for flow {i} (got {got})")
    c.equal(run.statuses(f"{plugin}_escaped"), [], f"{name}: escaped statuses")
    c.equal(run.bad_lines, [], f"{name}: lines that are not JSON")
    c.check(run.of("synced"), f"{name}: sandbox handled every batch")
    if exit_code is not None:
        c.equal(run.exit(), {"type": "exit", "code": exit_code, "signal": 0},
                f"{name}: exit")
    seqs = [b["seq"] for b in run.of("batch")]
    c.equal(seqs, list(range(1, len(seqs) + 1)), f"{name}: result seqs")


def messages(run, plugin):
    return [e["message"] for e in run.errors(plugin)]


# --- endless loop, JIT off: the budget stops it --------------------------
ports = [443] * 12
run = run_case("loop", one_flow_per_batch(ports))
common_checks("loop", run, ports)
msgs = messages(run, "hostile_loop")
overruns = [m for m in msgs if re.fullmatch(
    r"\S*/hostile_loop\.lua:1[01]: hook budget exceeded: ran longer than "
    rf"{BUDGET_MS} ms", m)]
c.equal(len(overruns), 10, "loop: overruns reported with file and line")
c.equal(len([m for m in msgs if m.startswith(
    "script disabled after 10 consecutive failures")]), 1,
    "loop: script disabled once")
c.equal(len(msgs), 11, "loop: nothing reported after it was disabled")

# --- endless loop, JIT on: stuck until killed ----------------------------
run = run_case("loop", [flow(1, 80), "send", "sync",
                        flow(2, 443), "send", "sleep ms=1500", "status",
                        "sleep ms=1000", "status", "kill"],
               args=["--jit", "hostile_loop"])
shm = run.of("shm")
index = run.script_index("hostile_loop")
c.check(index is not None, "loop jit: script number logged")
c.check(len(shm) == 2, f"loop jit: two status reads (got {shm})")
if len(shm) == 2:
    c.check(shm[0]["batch_start_ns"] != 0 and shm[0]["age_ms"] >= 1000,
            f"loop jit: batch running for over a second ({shm[0]})")
    c.equal(shm[1]["batch_start_ns"], shm[0]["batch_start_ns"],
            "loop jit: same batch still running a second later")
    c.check(shm[1]["age_ms"] >= 2000, f"loop jit: age grows ({shm[1]})")
    c.equal(shm[1]["script"], index, "loop jit: status names the script")
    c.equal(shm[1]["batches"], 1, "loop jit: second batch never finished")
    c.equal(shm[1]["ready"], 1, "loop jit: ready")
c.equal(run.exit(), {"type": "exit", "code": -1, "signal": 9},
        "loop jit: alive until killed")
c.equal([s["flow_id"] for s in run.statuses("good_seen")], [1],
        "loop jit: results of the finished batch only")
c.equal(messages(run, "hostile_loop"), [], "loop jit: no budget error")

# --- a loop that catches the budget error --------------------------------
ports = [443, 443]
run = run_case("pcall_loop", one_flow_per_batch(ports))
common_checks("pcall_loop", run, ports)
c.equal(len([m for m in messages(run, "hostile_pcall_loop")
             if "hook budget exceeded" in m]), 2,
        "pcall_loop: the error escapes pcall each time")

# --- memory bomb ---------------------------------------------------------
def marked_line(path, marker):
    """FILE:LINE of the line ending in "-- fails: <marker>" in <path>."""
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if line.rstrip().endswith(f"-- fails: {marker}"):
                return f"{path}:{number}"
    raise AssertionError(f"{path}: no line marked {marker!r}")


HEAP_LIMIT = (r": not enough memory: a block of \d+ bytes would pass the "
              r"plugin's heap limit of 128 MiB")
bomb = os.path.join(data_dir(ROOT, "cases", "membomb"), "hostile",
                    "hostile_membomb", "user_scripts", "flow",
                    "hostile_membomb.lua")
ports = [3, 4, 1] + [2] * 7 + [443]
run = run_case("membomb", one_flow_per_batch(ports),
               args=["--hook-budget-ms", "10000", "--memory-mb", "256"])
common_checks("membomb", run, ports)
msgs = messages(run, "hostile_membomb")
where = [marked_line(bomb, m) for m in
         ["coroutine"] * 2 + ["huge string"] + ["kept strings"] * 7]
c.equal(len(msgs), 11, "membomb: 10 failures and the disabling")
for i, (m, w) in enumerate(zip(msgs[:10], where)):
    c.check(re.fullmatch(re.escape(w) + HEAP_LIMIT, m),
            f"membomb: failure {i + 1} at {w} (got {m!r})")
c.check(len(msgs) == 11 and re.fullmatch(
    "script disabled after 10 consecutive failures; the last: " +
    re.escape(where[-1]) + HEAP_LIMIT, msgs[10]),
    f"membomb: disabled after 10 (got {msgs[10:]})")
c.check("plugin=hostile_membomb closed: no script left to run" in run.stderr,
        "membomb: plugin closed, its memory returned")
c.check(re.search(r"plugin=hostile_membomb script=hostile_membomb "
                  r"hook=protocolDetected: " + re.escape(where[2]) +
                  HEAP_LIMIT, run.stderr),
        "membomb: log line names plugin, script, hook, file and line")

# --- memory bomb while the plugin loads -----------------------------------
bomb = os.path.join(data_dir(ROOT, "cases", "membomb_load"), "hostile",
                    "hostile_membomb_load", "user_scripts", "flow",
                    "hostile_membomb_load.lua")
ports = [443]
run = run_case("membomb_load", one_flow_per_batch(ports),
               args=["--memory-mb", "256"])
common_checks("membomb_load", run, ports)
load_errors = [(e["plugin"], e["message"]) for e in run.of("error")
               if e["hook"] == "load"]
c.equal(len(load_errors), 1, f"membomb_load: one load error ({load_errors})")
if load_errors:
    c.equal(load_errors[0][0], "hostile_membomb_load",
            "membomb_load: the error names the plugin")
    c.check(re.fullmatch(re.escape(marked_line(bomb, "at load")) +
                         HEAP_LIMIT, load_errors[0][1]),
            f"membomb_load: error at the marked line ({load_errors[0][1]})")

# --- os.execute, io.open, require("ffi") ---------------------------------
for name, want in (
        ("osexec", r"hostile_osexec\.lua:9: attempt to call field 'execute' "
                   r"\(a nil value\)"),
        ("ioopen", r"hostile_ioopen\.lua:9: attempt to index global 'io' "
                   r"\(a nil value\)"),
        ("ffi", r"hostile_ffi\.lua:9: require: module 'ffi' not found")):
    if name == "osexec" and os.path.exists("/tmp/vigil-sandbox-hostile-osexec"):
        os.unlink("/tmp/vigil-sandbox-hostile-osexec")
    ports = [443, 80]
    run = run_case(name, one_flow_per_batch(ports))
    common_checks(name, run, ports)
    msgs = messages(run, f"hostile_{name}")
    c.check(len(msgs) == 2 and all(re.search(want, m) for m in msgs),
            f"{name}: refused with the expected error (got {msgs})")
c.check(not os.path.exists("/tmp/vigil-sandbox-hostile-osexec"),
        "osexec: no program ran")

# --- bytecode ------------------------------------------------------------
ports = [443]
run = run_case("bytecode", one_flow_per_batch(ports))
common_checks("bytecode", run, ports)
msgs = messages(run, "hostile_bytecode")
c.equal(len(msgs), 1, "bytecode: one error")
if msgs:
    c.check("refused: attempt to load chunk with wrong mode" in msgs[0],
            f"bytecode: string.dump output refused ({msgs[0]})")
    c.check('load: only mode "t" (text) is allowed' in msgs[0],
            "bytecode: binary mode refused")
    c.check("load: the chunk must be a string of Lua source" in msgs[0],
            "bytecode: reader function refused")

# --- errors from every hook ----------------------------------------------
cmds = []
for i, hook in enumerate(("protocolDetected", "statusChanged",
                          "periodicUpdate", "flowEnd"), 1):
    cmds += [flow(1, 443, hook=hook), "send"]
for period in ("min", "5mins", "hour", "day"):
    cmds += ["host ip=10.0.0.9 local=1", "interface name=eth0",
             "network cidr=10.0.0.0/8", "system uptime_s=60",
             f"send control=1 period={period}"]
run = run_case("errors", cmds + ["sync"])
errs = run.errors("hostile_errors")
got = {(e["script"], e["hook"]): e["message"] for e in errs}
for hook in ("protocolDetected", "statusChanged", "periodicUpdate", "flowEnd"):
    c.check(re.search(rf"hostile_errors\.lua:3: failing in {hook}$",
                      got.get(("hostile_errors", hook), "")),
            f"errors: flow {hook} reported")
for kind in ("host", "interface", "network", "system"):
    script = f"hostile_errors_{kind}"
    for hook, want in (("min", f"failing in {kind} min"),
                       ("5mins", f"failing in {kind} 5mins"),
                       ("day", f"failing in {kind} day")):
        c.check(got.get((script, hook), "").endswith(want),
                f"errors: {kind} {hook} reported (got {got.get((script, hook))})")
    c.equal(got.get((script, "hour")), "error object is not a string",
            f"errors: {kind} hour with a table as error")
c.equal(got.get(("hostile_errors", "teardown"), "")[-19:],
        "failing in teardown", "errors: teardown reported at exit")
c.equal(len(errs), 4 + 16 + 1, "errors: one error per hook call")
c.equal(len(run.statuses("good_seen")), 1, "errors: good plugin ran")
c.equal(run.exit(), {"type": "exit", "code": 0, "signal": 0}, "errors: exit")

# --- print() text that would forge a log line ----------------------------
# The logger escapes control characters, so each print() is one line.
ports = [1, 2]
run = run_case("printforge", one_flow_per_batch(ports))
common_checks("printforge", run, ports)
want = ("plugin=hostile_printforge: a\\nZ info sandbox: forged\\x1b[31m"
        "\\tsecond\\x00end")
printed = [line for line in run.stderr.splitlines()
           if "plugin=hostile_printforge:" in line]
c.equal([line[line.index("plugin="):] for line in printed], [want] * 2,
        "printforge: one escaped line per print()")
c.check("\x1b" not in run.stderr, "printforge: no raw ESC in the log")
c.check(not any(line.startswith("Z ") for line in run.stderr.splitlines()),
        "printforge: no forged line in the log")

# --- deep recursion ------------------------------------------------------
# A large heap share, so the C nesting limit, not memory, stops 3 to 6.
ports = [1, 2, 3, 4, 5, 6, 7]
run = run_case("recursion", one_flow_per_batch(ports),
               args=["--memory-mb", "4096"])
common_checks("recursion", run, ports)
msgs = messages(run, "hostile_recursion")
c.equal(len(msgs), 7, "recursion: one error per way")
c.equal(msgs[:2], ["stack overflow"] * 2, "recursion: Lua and metamethod")
for way, m in zip(("wrap", "resume", "gsub", "gsub table"), msgs[2:6]):
    c.check(m.endswith("C stack limit: coroutines and gsub callbacks nested "
                       "deeper than 100"), f"recursion: {way} stopped ({m})")
c.check(re.search(r"hostile_recursion\.lua:\d+: hook budget exceeded",
                  msgs[6] if len(msgs) > 6 else ""),
        "recursion: endless tostring tail call stopped by the budget")

# --- a million alerts ----------------------------------------------------
ports = [1, 2, 2]
run = run_case("alertflood", one_flow_per_batch(ports),
               args=["--hook-budget-ms", "10000"])
common_checks("alertflood", run, ports)
alerts = [a for a in run.of("alert") if a["plugin"] == "hostile_alertflood"]
values = [a["value"] for a in alerts]
c.equal(values[:1024], [f"10.{i}@0" for i in range(1, 1025)],
        "alertflood: the first 1024 alerts of the call, in order")
c.equal(values[1024:], ["10.0.0.1@0"],
        "alertflood: a million triggers of one engaged alert send one")
msgs = messages(run, "hostile_alertflood")
c.check(len(msgs) == 1 and "result limit exceeded: a hook call may emit at "
        "most 1024" in msgs[0], f"alertflood: limit reported ({msgs})")

# --- malformed batches on the rings ---------------------------------------
# Bytes that do not decode, an empty message, a batch of another schema
# version: each is reported and counted, and the next batch runs.
run = drive(DRIVER, SANDBOX, [GOOD],
            ["raw engine=0 hex=ffffffffffff0a", "raw engine=0 hex=",
             flow(1, 443), "send version=2", flow(2, 443), "send",
             "sync", "status"])
c.equal([(e["hook"], e["message"]) for e in run.of("error")],
        [("batch", "invalid event batch: 7 bytes do not decode"),
         ("batch", "event batch version 0, expected 1"),
         ("batch", "event batch version 2, expected 1")],
        "malformed: each batch reported")
c.equal([s["flow_id"] for s in run.statuses("good_seen")], [2],
        "malformed: the next good batch runs")
c.equal([x["batches"] for x in run.of("shm")], [4],
        "malformed: every message counted as a batch")

c.finish()
