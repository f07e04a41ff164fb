#!/usr/bin/env python3
"""Records of a paced replay with plugins are written while it runs.

Reading a capture file with plugins, vigild marks the flows due to end,
waits for the sandbox's answers and writes them at a later expiry scan.
This replays, at the capture's own pace, six seconds of UDP: one packet to
port 5000 at 0 s (which the example plugin marks with
example_watched_flow) and one to port 6000 at 0.1 s, then a packet every
100 ms of a third flow, which keeps packet time moving. With a one-second
UDP idle timeout, the first two flows end at about 1.1 s. Their records
must be in the flow file by 4 s after vigild started, while it still
replays, and the port 5000 one must carry the status.

usage: records_paced.py VIGILD SOURCE_ROOT
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

T0 = 1_700_000_000.0
CLIENT, SERVER = "10.1.0.5", "203.0.113.9"


def build(path):
    frames = [
        (T0, g.packet(CLIENT, SERVER, 17,
                      g.udp(CLIENT, 40000, SERVER, 5000, b"watched"))),
        (T0 + 0.1, g.packet(CLIENT, SERVER, 17,
                            g.udp(CLIENT, 40001, SERVER, 6000, b"plain"))),
    ]
    for i in range(60):
        frames.append((T0 + 0.2 + i * 0.1, g.packet(
            CLIENT, SERVER, 17,
            g.udp(CLIENT, 40002, SERVER, 7000, b"k" * 40))))
    g.write_pcap(path, frames)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    vigild, source_root = sys.argv[1:3]
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-paced-") as tmp:
        os.chmod(tmp, 0o755)
        pcap = os.path.join(tmp, "paced.pcap")
        build(pcap)
        plugins = os.path.join(tmp, "plugins")
        shutil.copytree(os.path.join(source_root, "plugins", "examples"),
                        os.path.join(plugins, "examples"))
        flows = os.path.join(tmp, "flows.jsonl")
        config = os.path.join(tmp, "vigil.yaml")
        with open(config, "w") as f:
            f.write(f"""capture:
  ports:
    - pcap: {pcap}
      pace: true
flows:
  idle_timeout: {{tcp: 1, udp: 1, icmp: 1, other: 1}}
  output: {flows}
plugins:
  directories: [{plugins}]
""")
        proc = subprocess.Popen([vigild, "-c", config],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(4.0)
        running = proc.poll() is None
        try:
            with open(flows) as f:
                early = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            early = []
        _, stderr = proc.communicate(timeout=60)
        checks.check(running, f"vigild ended before 4 s: {stderr[-800:]}")
        checks.check(proc.returncode == 0,
                     f"vigild exit {proc.returncode}: {stderr[-800:]}")
        ports = {r["server_port"]: r for r in early}
        checks.check(5000 in ports and 6000 in ports and 7000 not in ports,
                     f"records written by 4 s: {sorted(ports)}")
        if 5000 in ports:
            checks.check(ports[5000]["statuses"] == ["example_watched_flow"],
                         f"port 5000 statuses: {ports[5000]['statuses']}")
        if 6000 in ports:
            checks.check(ports[6000]["statuses"] == [],
                         f"port 6000 statuses: {ports[6000]['statuses']}")
        final = vigtest.read_records(flows)
        checks.check(sorted(r["server_port"] for r in final) ==
                     [5000, 6000, 7000],
                     f"records at the end: {[r['server_port'] for r in final]}")
    checks.finish()


if __name__ == "__main__":
    sys.exit(main())
