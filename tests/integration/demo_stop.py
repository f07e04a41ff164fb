#!/usr/bin/env python3
"""Stops deploy/demo.sh with SIGINT, as Ctrl-C does, and checks that it ends
vigild (after it writes its open flows), vigil-web and the flow printer,
prints "vigil: stopped" and exits 0.

usage: demo_stop.py BUILD_DIR SOURCE_ROOT

Three cases: SIGINT to the demo's whole process group (Ctrl-C on a
terminal), and SIGINT to the script's PID alone. The third sends SIGINT to
the group of a demo started with SIGINT ignored, as a background job of
another script is, so its shell cannot trap the signal. The demo replays
the sample capture it keeps in BUILD_DIR/demo, writing it first when it
is missing (about 320 MB), and runs ninja in BUILD_DIR, which has nothing
to do once the tree is built. Each case also checks that login.txt and
vigil.yaml, which hold the admin password, have mode 0600.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import vigtest

# Seconds the demo may take to print its dashboard banner: this includes
# writing the sample capture on the first run.
START_SECONDS = 240
# Seconds the demo may take to stop after SIGINT.
STOP_SECONDS = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def children(pid):
    """Return the PIDs whose parent is PID."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(name))
    return found


def running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_for_text(path, text, proc, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with open(path, errors="replace") as f:
            if text in f.read():
                return True
        if proc.poll() is not None:
            return False
        time.sleep(0.2)
    return False


def run_case(build, root, tmp, case, checks):
    output = os.path.join(tmp, f"{case}.out")
    env = dict(os.environ, BUILD_DIR=build, VIGIL_DEMO_PORT=str(free_port()))
    with open(output, "w") as out:
        proc = subprocess.Popen(["sh", os.path.join(root, "deploy/demo.sh")],
                                stdout=out, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True,
                                preexec_fn=ignore_sigint if case == "ignored"
                                else None)
    started = wait_for_text(output, "dashboard:", proc, START_SECONDS)
    # vigild, vigil-web and the flow printer are the script's children.
    programs = children(proc.pid)
    try:
        checks.check(started, f"{case}: no dashboard banner in "
                     f"{START_SECONDS} s: {open(output).read()[-2000:]!r}")
        if not started:
            return
        # Both files hold the admin password.
        for name in ("login.txt", "vigil.yaml"):
            mode = os.stat(os.path.join(build, "demo", name)).st_mode & 0o777
            checks.check(mode == 0o600, f"{case}: demo/{name} has mode "
                         f"{mode:04o}, expected 0600")
        checks.check(len(programs) == 3,
                     f"{case}: expected 3 children, found {programs}")
        if case in ("group", "ignored"):
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGINT)
        try:
            status = proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            status = None
        with open(output, errors="replace") as f:
            text = f.read()
        lines = text.strip().splitlines()
        checks.check(status == 0, f"{case}: exit status {status}, expected "
                     f"0 within {STOP_SECONDS} s: {text[-1500:]!r}")
        checks.check(lines[-1:] == ["vigil: stopped"],
                     f"{case}: last line {lines[-1:]!r}, expected "
                     "'vigil: stopped'")
        left = [pid for pid in programs if running(pid)]
        checks.check(left == [], f"{case}: still running: {left}")
        with open(os.path.join(build, "demo", "vigild.log")) as f:
            log = f.read()
        checks.check("signal=2 received, flushing flows" in log,
                     f"{case}: vigild did not flush on SIGINT")
        checks.check("exiting without flushing" not in log,
                     f"{case}: vigild got a second signal")
    finally:
        stop_leftovers([proc.pid] + programs)
        proc.wait()


def stop_leftovers(pids):
    """Stop with SIGTERM, then SIGKILL, what a failed case left running,
    so that the next case starts on a free control and API socket."""
    for pid in pids:
        if running(pid):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline and any(map(running, pids)):
        time.sleep(0.2)
    for pid in pids:
        if running(pid):
            os.kill(pid, signal.SIGKILL)


def main():
    build = os.path.abspath(sys.argv[1])
    root = os.path.abspath(sys.argv[2])
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-demo-") as tmp:
        # A login.txt of an earlier run, readable by all, must not keep
        # its mode when the demo writes it again.
        login = os.path.join(build, "demo", "login.txt")
        os.makedirs(os.path.dirname(login), exist_ok=True)
        with open(login, "w") as f:
            f.write("from an earlier run\n")
        os.chmod(login, 0o644)
        for case in ("group", "script", "ignored"):
            run_case(build, root, tmp, case, checks)
    checks.finish()


if __name__ == "__main__":
    main()
