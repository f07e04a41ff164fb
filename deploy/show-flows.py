#!/usr/bin/env python3
"""Prints vigild's flow records as they are written, one line per flow.

usage: show-flows.py FLOWS.jsonl [PID]

With VIGIL_DEMO_LOGIN set, prints it every minute between the flows.

Follows the JSON Lines file like `tail -f` and stops once process PID has
exited and the file has been read to its end.
"""
import json
import os
import signal
import sys
import time


def endpoint(ip, port):
    if not port:
        return ip
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def size(n):
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1000
    return f"{n:.1f}TB"


def show(record):
    client = endpoint(record["client_ip"], record.get("client_port"))
    server = endpoint(record["server_ip"], record.get("server_port"))
    name = record.get("server_name") or ""
    risks = ",".join(record.get("risks") or [])
    print(f"{record['l4']:<5} {client:>28} -> {server:<28} "
          f"{record['l7']:<22} {record['c2s_packets']:>5}/"
          f"{size(record['c2s_bytes']):>7} <- "
          f"{record['s2c_packets']:>5}/{size(record['s2c_bytes']):>7} "
          f"{name[:40]}{'  risk: ' + risks if risks else ''}", flush=True)


def alive(pid):
    """Return True while PID runs; an exited child that its parent has not
    reaped yet (state Z) counts as gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


# Seconds between two reminders of the dashboard's login, which the flow
# lines would otherwise push off the screen.
REMIND_EVERY = 60


def main():
    path = sys.argv[1]
    pid = int(sys.argv[2]) if len(sys.argv) > 2 else None
    login = os.environ.get("VIGIL_DEMO_LOGIN")
    next_reminder = time.monotonic() + REMIND_EVERY
    # Ctrl-C goes to vigild through the shell; keep reading until it exits.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with open(path, encoding="utf-8", errors="replace") as f:
        pending = ""
        while True:
            if login and time.monotonic() >= next_reminder:
                print(f"-- {login} --", flush=True)
                next_reminder = time.monotonic() + REMIND_EVERY
            chunk = f.readline()
            if chunk:
                pending += chunk
                if pending.endswith("\n"):
                    try:
                        show(json.loads(pending))
                    except (json.JSONDecodeError, KeyError) as err:
                        print(f"show-flows: bad record: {err}",
                              file=sys.stderr)
                    pending = ""
                continue
            if pid is not None and not alive(pid):
                break
            time.sleep(0.2)


if __name__ == "__main__":
    main()
