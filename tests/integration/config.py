#!/usr/bin/env python3
"""vigild's configuration checks, run through the real program.

The example files under deploy/examples must pass --check-config (with
their machine-specific paths pointed at files this test creates), and a
broken file must stop vigild before EAL starts, with exit status 1 and a
message naming the file, line and key.

usage: config.py VIGILD SOURCE_ROOT
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

BROKEN = [
    ("capture:\n  ports:\n    - pcap: {pcap}\n  brust: 32\n",
     "{file}:4:3: capture.brust: unknown key (expected one of: ports, "
     "tunnels, burst, ring_size)"),
    ("capture:\n  ports:\n    - pcap: {pcap}\nflows:\n  table_size: lots\n",
     "{file}:5:15: flows.table_size: expected an integer, got 'lots'"),
    ("capture:\n  ports:\n    - pcap: {pcap}\nflows:\n"
     "  idle_timeout:\n    udp: 0\n",
     "{file}:6:10: flows.idle_timeout.udp: 0 is out of range 1..315360000"),
    ("capture:\n  ports:\n    - pcap: {pcap}\n      interface: eth0\n",
     "{file}:4:18: capture.ports[0].interface: a port takes exactly one of "
     "pci, vdev, pcap or interface"),
    ("capture:\n  ports:\n    - pcap: {pcap}\n  tunnels: [gre\n",
     "{file}:5:1: invalid YAML: did not find expected ',' or ']' while "
     "parsing a flow sequence"),
    ("capture:\n  ports:\n    - pci: 0000:01:00.0\n",
     "{file}:3:12: capture.ports[0].pci: a PCI port needs memory.hugepages: "
     "true"),
    ("capture:\n  burst: 512\n  ports:\n    - pcap: {pcap}\n"
     "memory:\n  mbufs: 1023\n",
     "{file}:6:10: memory.mbufs: 1023 mbufs cannot hold two bursts of 512 "
     "per rx lcore"),
    ("capture:\n  ports:\n    - pcap: {pcap}\nlcores:\n  rx: [1, 1]\n",
     "{file}:5:7: lcores.rx: 2 rx lcores but the ports have 1 rx queue in "
     "all; each rx lcore needs a queue"),
    ("log:\n  level: info\n",
     "{file}: capture.ports: at least one port is needed"),
]


def run(vigild, *args):
    return subprocess.run([vigild, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)


def main():
    vigild, source_root = sys.argv[1], sys.argv[2]
    checks = vigtest.Checks()
    examples = os.path.join(source_root, "deploy", "examples")
    with tempfile.TemporaryDirectory(prefix="vigil-config-") as tmp:
        pcap = os.path.join(tmp, "one.pcap")
        g.write_pcap(pcap, [(1.0, g.packet("10.0.0.1", "10.0.0.2", 1,
                                           g.icmp_echo(8, 1, 1)))])

        for name in sorted(os.listdir(examples)):
            with open(os.path.join(examples, name)) as f:
                text = f.read()
            text = text.replace("/var/lib/vigil/capture.pcap", pcap)
            text = text.replace("/var/lib/vigil", tmp)
            text = text.replace("interface: eth0", "interface: lo")
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            proc = run(vigild, "--check-config", path)
            cpus = os.cpu_count() or 1
            if "probe-40g" in name and cpus < 14:
                # The example pins lcores to CPUs 2..13.
                want = (f"vigild: {path}:19:8: lcores.rx[0]: CPU 2 does not "
                        f"exist (this machine has CPUs 0..{cpus - 1})")
                checks.check(proc.returncode == 1 and
                             proc.stderr.strip() == want,
                             f"{name}: {proc.returncode} {proc.stderr!r}")
                continue
            checks.check(proc.returncode == 0 and
                         proc.stdout.strip() == f"{path}: valid",
                         f"{name}: exit {proc.returncode}: {proc.stderr}")

        for number, (text, message) in enumerate(BROKEN):
            path = os.path.join(tmp, f"broken{number}.yaml")
            with open(path, "w") as f:
                f.write(text.format(pcap=pcap))
            want = "vigild: " + message.format(file=path)
            for mode in ("--check-config", "-c"):
                proc = run(vigild, mode, path)
                checks.check(proc.returncode == 1,
                             f"{mode} broken{number}: exit {proc.returncode}")
                checks.check(proc.stderr.strip() == want,
                             f"{mode} broken{number}: {proc.stderr!r}, "
                             f"expected {want!r}")
                # Nothing from DPDK: the file was rejected before EAL.
                checks.check("EAL" not in proc.stderr and
                             "dpdk" not in proc.stderr,
                             f"{mode} broken{number}: EAL started")

        proc = run(vigild, "--check-config", os.path.join(tmp, "absent.yaml"))
        checks.check(proc.returncode == 1 and
                     proc.stderr.strip().endswith(
                         "absent.yaml: cannot open: No such file or "
                         "directory"), f"missing file: {proc.stderr!r}")
        proc = run(vigild, "--version")
        checks.check(proc.returncode == 0 and
                     proc.stdout.startswith("vigild "), "--version")
        proc = run(vigild, "--help")
        checks.check(proc.returncode == 0 and "--pcap" in proc.stdout,
                     "--help")
        proc = run(vigild, "--bogus")
        checks.check(proc.returncode == 1, "unknown option exits 1")
    checks.finish()


if __name__ == "__main__":
    main()
