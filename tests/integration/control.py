#!/usr/bin/env python3
"""vigild's control socket: port names in `stats`, and lines with a NUL byte.

vigild replays a paced capture whose two frames are a minute apart, so it
stays up while the test talks to it. `stats` must name the port by its
configured name, as the REST API does, with the DPDK device in a field of
its own. The --stats file written at exit must do the same. A command
line with a NUL byte must not run and must get an error reply, and the
connection must stay usable. vigild must also stop cleanly while a client
is connected to its API socket, as vigil-web usually is.

usage: control.py VIGILD SOURCE_ROOT
"""
import json
import os
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
NUL_REPLY = ("error: the command contains a NUL byte at offset 5; commands "
             "are text")


def start(vigild, tmp):
    """Starts vigild on a paced capture; returns (process, socket path,
    --stats path)."""
    pcap = os.path.join(tmp, "slow.pcap")
    g.write_pcap(pcap, [(T0 + 60 * i, g.packet("10.0.0.1", "10.0.0.2", 1,
                                                g.icmp_echo(8, 1, i)))
                        for i in range(2)])
    sock_path = os.path.join(tmp, "control.sock")
    stats = os.path.join(tmp, "stats.json")
    config = os.path.join(tmp, "control.yaml")
    with open(config, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n      name: tap\n"
                f"      pace: true\ncontrol:\n  socket: {sock_path}\n"
                f"flows:\n  output: {tmp}/flows.jsonl\n"
                f"web:\n  vigild_socket: {tmp}/api.sock\n")
    # glibc fills freed memory with this byte, so a read of freed memory
    # at stop crashes rather than finding the old contents.
    env = dict(os.environ, MALLOC_PERTURB_="165")
    proc = subprocess.Popen([vigild, "-c", config, "--stats", stats],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 30
    while not os.path.exists(sock_path) and time.time() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    return proc, sock_path, stats


def ask(conn, reader, line):
    """Sends <line> (bytes, newline included); returns the reply line
    without its newline, or None when none comes within the timeout."""
    try:
        conn.sendall(line)
        return reader.readline().rstrip("\n")
    except OSError:
        # A timed-out reader cannot be read again.
        return None


def check_port(port, where, checks):
    checks.check(port.get("name") == "tap",
                 f"{where}: port name {port.get('name')!r}, expected 'tap'")
    checks.check(port.get("device") == "net_pcap0",
                 f"{where}: port device {port.get('device')!r}, expected "
                 "'net_pcap0'")


def talk(sock_path, checks):
    """Runs the commands of the test on one connection."""
    conn = socket.socket(socket.AF_UNIX)
    conn.settimeout(10)
    conn.connect(sock_path)
    reader = conn.makefile("r")

    stats = ask(conn, reader, b"stats\n")
    if checks.check(stats is not None, "stats: no reply"):
        check_port(json.loads(stats)["ports"][0], "stats", checks)

    reply = ask(conn, reader, b"stats\0reload\n")
    checks.check(reply == NUL_REPLY,
                 f"stats\\0reload: reply {str(reply)[:200]!r}, expected "
                 f"{NUL_REPLY!r}")
    reply = ask(conn, reader, b"\0\n")
    checks.check(reply is not None and
                 reply.startswith("error: the command contains a NUL byte "
                                  "at offset 0;"),
                 f"\\0 alone: reply {reply!r}")

    # The connection still takes commands.
    reply = ask(conn, reader, b"reload\n")
    checks.check(reply == "error: no plugins are configured",
                 f"reload after the NUL lines: reply {reply!r}")
    conn.close()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    vigild = sys.argv[1]
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-control-") as tmp:
        proc, sock_path, stats_path = start(vigild, tmp)
        if not checks.check(os.path.exists(sock_path),
                            "no control socket"):
            proc.kill()
            print(proc.communicate()[1][-2000:])
            checks.finish()
        api = socket.socket(socket.AF_UNIX)
        try:
            talk(sock_path, checks)
            api.connect(os.path.join(tmp, "api.sock"))
        finally:
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        api.close()
        if not checks.check(proc.returncode == 0,
                            f"exit {proc.returncode}: {err[-800:]}"):
            checks.finish()
        with open(stats_path) as f:
            check_port(json.load(f)["ports"][0], "--stats file", checks)
        checks.check("summary port=tap device=net_pcap0 " in err,
                     "summary line does not name port=tap device=net_pcap0")
    checks.finish()


if __name__ == "__main__":
    sys.exit(main())
