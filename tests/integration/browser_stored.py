#!/usr/bin/env python3
"""vigil-web's pages in headless Chromium after a capture's replay ended.

vigild reads the six-minute capture of the timeseries test (port eth0,
timeseries on) to its end and exits. vigil-web then serves the rrd files
vigild wrote, with no vigild running, from the same configuration file,
and tests/browser/run.mjs runs the tests of that state
(VIGIL_PHASE=replay_ended) in browser contexts that have never seen
vigild respond, so they know no port name and no packet time. The same
runs again with two capture files on two ports (eth0 and eth1, with
packets in different minutes): vigild writes a traffic series per port
and none for all ports together, and the dashboard must draw both.

usage: browser_stored.py VIGILD VIGIL_WEB SOURCE_ROOT OUTPUT_DIR
Exits 77 (skipped) when Chromium, node, tests/browser/node_modules or
the rrdtool command is missing.
"""
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402
import pcapgen as g  # noqa: E402
import timeseries as ts  # noqa: E402
import vigtest  # noqa: E402
from web_api import Client, free_port, start, stop, wait_for  # noqa: E402

ADMIN_PASSWORD = "stored-admin-password-1"
MINUTES = range(6)
# The minutes without packets, per port. Each case lists its ports.
SILENT = {"eth0": (3,), "eth1": (1, 3, 4)}
CASES = [("one-port", ["eth0"]), ("two-ports", ["eth0", "eth1"])]


def write_config(tmp, captures, rrd):
    """Write vigild's configuration for the capture files <captures>
    (port name to path), with the timeseries of the timeseries test, and
    return its path."""
    path = os.path.join(tmp, "vigil.yaml")
    ports = "".join(f"    - pcap: {capture}\n      name: {name}\n"
                    for name, capture in captures.items())
    with open(path, "w") as f:
        f.write(f"""capture:
  ports:
{ports}flows:
  output: {os.path.join(tmp, "flows.jsonl")}
  idle_timeout: 30
networks:
  local: [{ts.LOCAL_NET}]
timeseries:
  directory: {rrd}
""")
    return path


def write_web_section(config, tmp, port, static):
    """Append vigil-web's section to vigild's configuration file, so both
    programs read one file, as they do when installed."""
    with open(config, "a") as f:
        f.write(f"""web:
  listen: ["127.0.0.1:{port}"]
  vigild_socket: {tmp}/api.sock
  data_dir: {tmp}/web-data
  static_dir: {static}
  admin_password: "{ADMIN_PASSWORD}"
""")


def run_case(vigild_path, web_path, source_root, output, ports):
    """Replay one capture file per port in <ports>, run the browser tests
    of the ended replay and return their exit status (1, with the reason
    printed, when the replay or vigil-web fails)."""
    os.makedirs(output)
    # Unix socket paths must stay under 108 bytes: keep them in /tmp.
    tmp = tempfile.mkdtemp(prefix="vigil-browser-stored-")
    os.chmod(tmp, 0o755)
    proc = None
    try:
        captures = {}
        for name in ports:
            captures[name] = os.path.join(tmp, f"{name}.pcap")
            g.write_pcap(captures[name],
                         ts.build_minutes(MINUTES, silent=SILENT[name]))
        rrd = os.path.join(tmp, "rrd")
        config = write_config(tmp, captures, rrd)
        port = free_port()
        write_web_section(config, tmp, port,
                          os.path.join(source_root, "web", "ui"))

        rc, err = ts.run(vigild_path, config)
        with open(os.path.join(output, "vigild.log"), "w") as f:
            f.write(err)
        if rc != 0:
            print(f"FAIL: vigild exit {rc}; see {output}/vigild.log")
            return 1
        for name in ports:
            traffic = os.path.join(rrd, "interface", name, "traffic.rrd")
            if not os.path.isfile(traffic):
                print(f"FAIL: vigild wrote no {traffic}")
                return 1

        web_log = open(os.path.join(output, "web.log"), "w")
        proc = start([web_path, "-c", config], web_log)
        c = Client(port)
        wait_for("vigil-web to listen",
                 lambda: c.login("admin", ADMIN_PASSWORD)[0] == 200)
        s, d, _ = c.get("/api/v1/interfaces")
        if s != 503 or d.get("error") != "vigild_unavailable":
            print(f"FAIL: /api/v1/interfaces without vigild: {s} {d}")
            return 1

        expect = {
            "url": f"http://127.0.0.1:{port}",
            "user": "admin",
            "password": ADMIN_PASSWORD,
            "output": output,
            "chromium": browser.CHROMIUM,
            "t0": ts.T0,
            # One port's capture has packets in these minutes after t0.
            # vigild reads two capture files at once as fast as it can, so
            # which minute a packet counts in then depends on the order
            # the two are read in, and only the series' values are
            # compared.
            "ports": [{"name": name,
                       "minutes": [m for m in MINUTES
                                   if m not in SILENT[name]]
                       if len(ports) == 1 else None}
                      for name in ports],
        }
        expect_path = os.path.join(output, "expect.json")
        with open(expect_path, "w") as f:
            json.dump(expect, f, indent=1)
        return browser.run_browser_tests(source_root, output, expect_path,
                                         "replay_ended")
    finally:
        if proc is not None:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    vigild_path, web_path, source_root, output = sys.argv[1:5]
    reason = browser.missing_tools(source_root)
    if reason:
        vigtest.skip(reason)
    if shutil.which("rrdtool") is None:
        vigtest.skip("rrdtool (the command) is not installed")
    uplot = os.path.join(source_root, "web", "ui", "node_modules", "uplot")
    if not os.path.isdir(uplot):
        print(f"FAIL: {uplot} not found: run 'npm ci' in web/ui so the "
              "dashboard's charts can draw")
        return 1

    shutil.rmtree(output, ignore_errors=True)
    os.makedirs(output)
    print(f"screenshots and logs: {output}", flush=True)
    started = time.monotonic()
    failed = []
    for name, ports in CASES:
        print(f"replay of {len(ports)} capture file(s): {', '.join(ports)}",
              flush=True)
        status = run_case(vigild_path, web_path, source_root,
                          os.path.join(output, name), ports)
        if status != 0:
            failed.append(name)
    verdict = f"failed ({', '.join(failed)})" if failed else "passed"
    print(f"browser tests after the replay {verdict} in "
          f"{time.monotonic() - started:.1f} s; output in {output}")
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
