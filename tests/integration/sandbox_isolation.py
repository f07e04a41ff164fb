"""What a running vigil-sandbox can still reach, read from /proc.

Once the sandbox reports it is ready it must hold only the shared memory,
the two eventfds and stderr; run with no_new_privs and a seccomp filter;
have no core dumps, no child processes and a bounded address space; run
as --user when started as root; and die with its parent. The test reads
all of that from /proc/<pid> of a sandbox started by the driver, so it
checks the process, not the code that set it up.
"""
import os
import pwd
import signal
import subprocess
import time

from sandbox_common import Checks, Session, drive, flow, programs

DRIVER, SANDBOX, ROOT = programs()
PLUGINS = os.path.join(ROOT, "plugins")
c = Checks()


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.split()
    return fields


def proc_limits(pid):
    limits = {}
    with open(f"/proc/{pid}/limits") as f:
        for line in f.readlines()[1:]:
            name = line[:26].strip()
            limits[name] = line[26:].split()[:2]
    return limits


def mapped_bytes(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


as_root = os.geteuid() == 0
session = Session(DRIVER, SANDBOX, [PLUGINS], args=["--memory-mb", "96"])
ready = session.ready
c.check(ready is not None, "sandbox became ready")
pid = ready["pid"]
session.send("status")
c.check(session.read_until("shm") is not None, "status block readable")

status = proc_status(pid)
c.equal(status["Seccomp"], ["2"], "seccomp filter mode")
c.equal(status["NoNewPrivs"], ["1"], "no_new_privs")
if as_root:
    nobody = pwd.getpwnam("nobody")
    c.equal(status["Uid"], [str(nobody.pw_uid)] * 4, "uid switched to nobody")
    c.equal(status["Gid"], [str(nobody.pw_gid)] * 4, "gid switched")
    c.equal(status["Groups"], [], "supplementary groups dropped")
    c.equal(status["CapEff"], ["0000000000000000"], "no capabilities")
    # /proc/<pid>/fd of another user's process needs root.
    fds = sorted(int(x) for x in os.listdir(f"/proc/{pid}/fd"))
    c.equal(fds, sorted({2, ready["shm_fd"], ready["wake_fd"],
                         ready["notify_fd"]}),
            "only shm, wake, notify and stderr open")
    limits = proc_limits(pid)
    c.equal(limits["Max processes"], ["0", "0"], "RLIMIT_NPROC")
    c.equal(limits["Max core file size"], ["0", "0"], "RLIMIT_CORE")
    # stderr is a pipe here, so the file size limit applies.
    c.equal(limits["Max file size"], ["0", "0"], "RLIMIT_FSIZE")
    c.equal(limits["Max open files"],
            [str(max(ready["notify_fd"], ready["shm_fd"],
                     ready["wake_fd"]) + 1)] * 2, "RLIMIT_NOFILE")
    space = int(limits["Max address space"][0])
    used = mapped_bytes(pid)
    c.check(used < space <= used + 96 * 2**20,
            f"RLIMIT_AS is what was mapped plus --memory-mb "
            f"(limit {space}, mapped now {used})")
else:
    print("SKIP: not root: user switch and descriptor checks")

# The sandbox still works after all that.
session.send(flow(1, 5000, l4="UDP", server_ip="10.9.9.9"))
session.send("send")
session.send("sync")
session.read_until("synced")
c.check(any(x["type"] == "status" and x["flow_id"] == 1 for x in session.seen),
        "status produced after isolation")

# Killing the driver (vigild's stand-in) kills the sandbox.
session.proc.send_signal(signal.SIGKILL)
session.proc.wait()
deadline = time.monotonic() + 5
alive = True
while alive and time.monotonic() < deadline:
    try:
        with open(f"/proc/{pid}/stat") as f:
            alive = f.read().split()[2] != "Z"
    except FileNotFoundError:
        alive = False
    time.sleep(0.05)
c.check(not alive, "sandbox died with its parent")

# An unknown --user is refused before anything else happens.
if as_root:
    run = drive(DRIVER, SANDBOX, [PLUGINS], [], args=["--user", "no-such-user"])
    c.equal(run.exit(), {"type": "exit", "code": 3, "signal": 0},
            "unknown user: exit 3")
    c.check("user=no-such-user cannot be used: no such user" in run.stderr,
            "unknown user: message")
    run = drive(DRIVER, SANDBOX, [PLUGINS], [], args=["--user", "root"])
    c.equal(run.exit(), {"type": "exit", "code": 3, "signal": 0},
            "root as --user refused")

# Usage errors exit 2 before touching anything.
for args, want in ((["--plugins", PLUGINS], "--shm-fd, --wake-fd and "
                    "--notify-fd are required"),
                   (["--check"], "--plugins is required"),
                   (["--check", "--plugins", PLUGINS, "--memory-mb", "8"],
                    "invalid value '8' for --memory-mb"),
                   (["--check", "--plugins", PLUGINS, "extra"],
                    "unexpected argument 'extra'")):
    proc = subprocess.run([SANDBOX, *args], capture_output=True, text=True)
    c.equal(proc.returncode, 2, f"usage error {args[-1]}: exit 2")
    c.check(want in proc.stderr, f"usage error message: {proc.stderr!r}")

c.finish()
