#!/usr/bin/env python3
"""A paced replay stopped early accounts for every frame the port delivered.

The capture spans 60 seconds, one UDP frame every 10 ms, and is replayed at
its own pace; SIGINT comes after about 3 seconds. net_pcap reads ahead of
the pace, so the port has delivered frames that were not due yet. Every
frame the port counts must then be either received by the rx lcore or
counted as not_replayed, and only the received ones reach the engine.
Also checks that a capture of a link type vigil does not parse runs to the
end with a warning naming the link type.

usage: paced_stop.py VIGILD SOURCE_ROOT
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

T0 = 1_700_000_000.0
FRAMES = 6000


def check_paced_stop(checks, vigild, tmp):
    frame = g.packet("10.2.0.1", "10.2.0.2", 17,
                     g.udp("10.2.0.1", 40000, "10.2.0.2", 9000, b"p" * 60))
    pcap = os.path.join(tmp, "paced.pcap")
    g.write_pcap(pcap, [(T0 + i * 0.01, frame) for i in range(FRAMES)])
    config = os.path.join(tmp, "paced.yaml")
    flows = os.path.join(tmp, "paced.jsonl")
    stats_path = os.path.join(tmp, "paced.json")
    with open(config, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n      pace: true\n"
                f"flows:\n  output: {flows}\n")
    proc = subprocess.Popen([vigild, "-c", config, "--stats", stats_path],
                            stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    checks.check(proc.returncode == 0,
                 f"paced stop: exit status {proc.returncode}: {stderr[-2000:]}")
    if proc.returncode != 0:
        return

    with open(stats_path) as f:
        stats = json.load(f)
    delivered = stats["ports"][0]["ipackets"]
    received = stats["rx_packets"]
    not_replayed = stats.get("not_replayed")
    checks.check(0 < received < FRAMES,
                 f"paced stop: rx_packets={received}, expected some of "
                 f"{FRAMES} and not all")
    checks.check(not_replayed is not None and
                 delivered == received + not_replayed,
                 f"paced stop: port ipackets={delivered}, rx_packets="
                 f"{received}, not_replayed={not_replayed}: expected the "
                 "port's count to be the sum")
    checks.check(stats["engine_packets"] == received,
                 f"paced stop: engine_packets={stats['engine_packets']}, "
                 f"expected rx_packets={received}")
    records = vigtest.read_records(flows)
    checks.check(len(records) == 1 and records[0]["c2s_packets"] == received,
                 f"paced stop: records {records}, expected one flow of "
                 f"{received} packets")


def check_unsupported_link(checks, vigild, tmp):
    # LINKTYPE_USER0 (147): private use, no layout vigil could know.
    pcap = os.path.join(tmp, "user0.pcap")
    g.write_pcap(pcap, [(T0 + i, bytes(60)) for i in range(3)], linktype=147)
    flows = os.path.join(tmp, "user0.jsonl")
    stats_path = os.path.join(tmp, "user0.json")
    status, stderr = vigtest.run_vigild(vigild, pcap, flows,
                                        ["--stats", stats_path])
    checks.check(status == 0, f"link type 147: exit status {status}")
    if status != 0:
        return

    with open(stats_path) as f:
        stats = json.load(f)
    unsupported = stats["parse_errors"]["link_unsupported"]
    checks.check(unsupported == 3,
                 f"link type 147: parse_errors.link_unsupported={unsupported}, "
                 "expected 3")
    checks.check(vigtest.read_records(flows) == [],
                 "link type 147: expected no flow records")
    message = f"file={pcap} linktype=147"
    checks.check(message in stderr and "not a link type vigil parses" in stderr,
                 f"link type 147: no warning containing {message!r}: "
                 f"{stderr[-2000:]}")


def main():
    vigild = sys.argv[1]
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-paced-stop-") as tmp:
        check_paced_stop(checks, vigild, tmp)
        check_unsupported_link(checks, vigild, tmp)
    checks.finish()


if __name__ == "__main__":
    main()
