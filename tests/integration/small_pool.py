#!/usr/bin/env python3
"""A capture file read with a packet pool far smaller than its ring loses nothing.

With 1023 mbufs and a 4096-slot ring, the rx lcore could hand out every
mbuf before the engine frees any, and net_pcap drops a frame it has read
when no mbuf is left for it. The test writes 24 000 frames in 3 000 TCP
flows with payloads, so nDPI keeps the engine slower than rx, and reads
them with that pool. Every frame must reach the port counters (ipackets
equal to the frames written, rx_nombuf 0), and the flow records must be
the same as with the default pool.

usage: small_pool.py VIGILD SOURCE_ROOT
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

T0 = 1_700_000_000.0
FLOWS = 3000
PACKETS_PER_FLOW = 8


def build(path):
    """Writes the capture and returns the number of frames in it."""
    frames = []
    for i in range(FLOWS):
        client = f"10.2.{i // 250}.{i % 250 + 1}"
        server = f"198.51.100.{i % 200 + 1}"
        sport = 20000 + i
        t = T0 + i * 0.001
        for k in range(PACKETS_PER_FLOW):
            if k % 2 == 0:
                l4 = g.tcp(client, sport, server, 80, 1000 + k, 5000 + k,
                           0x18, b"GET /item%d HTTP/1.1\r\nHost: x\r\n\r\n" % k)
                frames.append((t + k * 0.0001, g.packet(client, server, 6,
                                                        l4)))
            else:
                l4 = g.tcp(server, 80, client, sport, 5000 + k, 1000 + k,
                           0x18, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                           b"\r\nok")
                frames.append((t + k * 0.0001, g.packet(server, client, 6,
                                                        l4)))
    frames.sort(key=lambda f: f[0])
    g.write_pcap(path, frames)
    return len(frames)


def run(vigild, tmp, name, pcap, memory):
    flows = os.path.join(tmp, name + ".jsonl")
    stats = os.path.join(tmp, name + "-stats.json")
    config = os.path.join(tmp, name + ".yaml")
    with open(config, "w") as f:
        f.write(f"""capture:
  ring_size: 4096
  ports:
    - pcap: {pcap}
memory:
  hugepages: false
{memory}flows:
  output: {flows}
""")
    proc = subprocess.run([vigild, "-c", config, "--stats", stats],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, timeout=300)
    with open(stats) as f:
        counters = json.load(f)
    return proc, counters, vigtest.read_records(flows)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    vigild = sys.argv[1]
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-small-pool-") as tmp:
        pcap = os.path.join(tmp, "many.pcap")
        frames = build(pcap)
        small, small_stats, small_records = run(
            vigild, tmp, "small", pcap, "  mbufs: 1023\n")
        ref, _, ref_records = run(vigild, tmp, "default", pcap, "")
        checks.check(small.returncode == 0,
                     f"small pool: exit {small.returncode}: "
                     f"{small.stderr[-800:]}")
        checks.check(ref.returncode == 0,
                     f"default pool: exit {ref.returncode}: "
                     f"{ref.stderr[-800:]}")
        port = small_stats["ports"][0]
        checks.check(port["ipackets"] == frames,
                     f"small pool: ipackets {port['ipackets']}, "
                     f"frames written {frames}")
        checks.check(port["rx_nombuf"] == 0,
                     f"small pool: rx_nombuf {port['rx_nombuf']}")
        checks.check(len(ref_records) == FLOWS,
                     f"default pool: {len(ref_records)} records, "
                     f"{FLOWS} flows written")

        def key(r):
            return json.dumps(r, sort_keys=True)

        checks.check(sorted(map(key, small_records)) ==
                     sorted(map(key, ref_records)),
                     "small pool: flow records differ from the default "
                     "pool's")
    checks.finish()


if __name__ == "__main__":
    sys.exit(main())
