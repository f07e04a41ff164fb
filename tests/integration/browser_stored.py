#!/usr/bin/env python3
"""vigil-web's pages in headless Chromium after a capture's replay ended.

vigild reads the six-minute capture of the timeseries test (port eth0,
timeseries on) to its end and exits. vigil-web then serves the rrd files
vigild wrote, with no vigild running, from the same configuration file,
and tests/browser/run.mjs runs the tests of that state
(VIGIL_PHASE=replay_ended) in browser contexts that have never seen
vigild respond, so they know no port name and no packet time.

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
PORT_NAME = "eth0"
MINUTES = range(6)
SILENT = (3,)


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
    # Unix socket paths must stay under 108 bytes: keep them in /tmp.
    tmp = tempfile.mkdtemp(prefix="vigil-browser-stored-")
    os.chmod(tmp, 0o755)
    proc = None
    status = 1
    try:
        pcap = os.path.join(tmp, "six.pcap")
        g.write_pcap(pcap, ts.build_minutes(MINUTES, silent=SILENT))
        rrd = os.path.join(tmp, "rrd")
        config = ts.write_config(tmp, "stored", pcap, rrd)
        port = free_port()
        write_web_section(config, tmp, port,
                          os.path.join(source_root, "web", "ui"))

        rc, err = ts.run(vigild_path, config)
        with open(os.path.join(output, "vigild.log"), "w") as f:
            f.write(err)
        if rc != 0:
            print(f"FAIL: vigild exit {rc}; see vigild.log")
            return 1
        traffic = os.path.join(rrd, "interface", PORT_NAME, "traffic.rrd")
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
            "port_name": PORT_NAME,
            # The capture's packets lie in these minutes after t0.
            "minutes": [m for m in MINUTES if m not in SILENT],
        }
        expect_path = os.path.join(output, "expect.json")
        with open(expect_path, "w") as f:
            json.dump(expect, f, indent=1)
        status = browser.run_browser_tests(source_root, output, expect_path,
                                           "replay_ended")
    finally:
        if proc is not None:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    verdict = "passed" if status == 0 else "failed"
    print(f"browser tests after the replay {verdict} in "
          f"{time.monotonic() - started:.1f} s; output in {output}")
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
