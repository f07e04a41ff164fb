#!/usr/bin/env python3
"""vigild's configuration checks, run through the real program.

A broken file must stop vigild before EAL starts, with exit status 1 and
a message naming the file, line and key. What this machine lacks (a CPU,
an interface, a file, a user) is a warning for --check-config, which then
calls the file valid, and an error for --check-config --strict and for a
start. A start creates the missing folders above the files it writes.
--check-config also checks plugins.scripts against the plugins, through
vigil-sandbox, and that the programs a start runs are beside vigild.
The examples under deploy/examples are checked by config_examples.py.

usage: config.py VIGILD SOURCE_ROOT
"""
import os
import random
import re
import shutil
import struct
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
    ("capture:\n  ports:\n    - pcap: {pcap}\nflows:\n  active_timeout: -1\n",
     "{file}:5:19: flows.active_timeout: -1 is out of range 0..315360000"),
    ("capture:\n  ports:\n    - pcap: {pcap}\n      interface: eth0\n",
     "{file}:4:18: capture.ports[0].interface: a port takes exactly one of "
     "pci, vdev, pcap or interface"),
    ("capture:\n  ports:\n    - pcap: {pcap}\n  tunnels: [gre\n",
     "{file}:5:1: capture.tunnels: invalid YAML: did not find expected ',' "
     "or ']' while "
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
    # /proc and /sys belong to the kernel on every machine, so a path there
    # is an error, also for root, who may write to the folder.
    ("capture:\n  ports:\n    - pcap: {pcap}\nflows:\n"
     "  output: /proc/vigil/flows.jsonl\n",
     "{file}:5:11: flows.output: '/proc/vigil/flows.jsonl' is under /proc, "
     "which is not for ordinary files; choose a path on a disk or tmpfs"),
    ("capture:\n  ports:\n    - pcap: {pcap}\ntimeseries:\n"
     "  directory: /sys/vigil-rrd\n",
     "{file}:5:14: timeseries.directory: '/sys/vigil-rrd' is under /sys, "
     "which is not for ordinary files; choose a path on a disk or tmpfs"),
]


# Files that this machine cannot run, and the one warning each gives.
MACHINE = [
    ("capture:\n  ports:\n    - pcap: {tmp}/absent.pcap\n",
     "{file}:3:13: capture.ports[0].pcap: cannot read '{tmp}/absent.pcap': "
     "No such file or directory"),
    ("capture:\n  ports:\n    - interface: vigil-none0\n",
     "{file}:3:18: capture.ports[0].interface: interface 'vigil-none0' not "
     "found on this machine"),
    ("capture:\n  ports:\n    - pcap: {pcap}\nlcores:\n  engine: [{cpus}]\n",
     "{file}:5:12: lcores.engine[0]: CPU {cpus} does not exist (this "
     "machine has CPUs 0..{last})"),
    ("capture:\n  ports:\n    - pcap: {pcap}\nndpi:\n"
     "  protocols: {tmp}/absent.txt\n",
     "{file}:5:14: ndpi.protocols: cannot read '{tmp}/absent.txt': No such "
     "file or directory"),
    ("capture:\n  ports:\n    - pcap: {pcap}\nplugins:\n"
     "  user: vigil-no-such-user\n",
     "{file}:5:9: plugins.user: user 'vigil-no-such-user' not found on this "
     "machine"),
    # vigil-sandbox exits at start for a user with uid 0, at every restart.
    ("capture:\n  ports:\n    - pcap: {pcap}\nplugins:\n  user: root\n",
     "{file}:5:9: plugins.user: user 'root' has uid 0, and vigil-sandbox does "
     "not run plugins as root; choose an unprivileged user such as nobody"),
    ("capture:\n  ports:\n    - pcap: {pcap}\nflows:\n"
     "  output: {pcap}/records/flows.jsonl\n",
     "{file}:5:11: flows.output: cannot create '{pcap}/records': '{pcap}' "
     "is not a directory"),
    # Capture files that EAL's probe of net_pcap would reject.
    ("capture:\n  ports:\n    - pcap: {tmp}/short.pcap\n",
     "{file}:3:13: capture.ports[0].pcap: '{tmp}/short.pcap' is too short "
     "for a pcap header: 10 bytes, less than the 24-byte pcap file header"),
    ("capture:\n  ports:\n    - vdev: net_pcap0,rx_pcap={pcap},"
     "rx_pcap={tmp}/text.pcap\n",
     "{file}:3:13: capture.ports[0].vdev: '{tmp}/text.pcap' is not a pcap "
     "or pcapng file (it starts with 47 45 54 20)"),
    ("capture:\n  ports:\n    - vdev: net_pcap0,rx_pcap={tmp}/short.pcap\n",
     "{file}:3:13: capture.ports[0].vdev: '{tmp}/short.pcap' is too short "
     "for a pcap header: 10 bytes, less than the 24-byte pcap file header"),
    ("capture:\n  ports:\n    - pcap: {tmp}/no-interface.pcapng\n",
     "{file}:3:13: capture.ports[0].pcap: libpcap cannot read "
     "'{tmp}/no-interface.pcapng': the capture file has no Interface "
     "Description Blocks"),
]


def run(vigild, *args):
    return subprocess.run([vigild, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)


def check_rejected(vigild, args, message, label, checks):
    """Run vigild with <args> and check that it exits 1 with exactly
    "vigild: <message>" on stderr. Return the finished process."""
    proc = run(vigild, *args)
    want = f"vigild: {message}\n"
    checks.check(proc.returncode == 1,
                 f"{label}: exit {proc.returncode}, expected 1")
    checks.check(proc.stderr == want,
                 f"{label}: {proc.stderr[-800:]!r}, expected {want!r}")
    return proc


def check_machine(vigild, tmp, pcap, checks):
    """Warnings from --check-config, errors from --strict and a start."""
    cpus = os.cpu_count() or 1
    for number, (text, message) in enumerate(MACHINE):
        path = os.path.join(tmp, f"machine{number}.yaml")
        fields = {"tmp": tmp, "pcap": pcap, "cpus": cpus, "last": cpus - 1,
                  "file": path}
        with open(path, "w") as f:
            f.write(text.format(**fields))
        problem = message.format(**fields)

        proc = run(vigild, "--check-config", path)
        checks.check(proc.returncode == 0,
                     f"machine{number}: exit {proc.returncode}")
        checks.check(proc.stderr == f"vigild: warning: {problem}\n",
                     f"machine{number}: {proc.stderr!r}, expected a warning "
                     f"{problem!r}")
        checks.check(proc.stdout == f"{path}: valid, but not on this machine "
                                    "(1 warning)\n",
                     f"machine{number}: stdout {proc.stdout!r}")

        proc = run(vigild, "--check-config", path, "--strict")
        want = (f"vigild: warning: {problem}\nvigild: {path}: not valid on "
                f"this machine (1 warning, --strict)\n")
        checks.check(proc.returncode == 1 and proc.stdout == "" and
                     proc.stderr == want,
                     f"machine{number} --strict: exit {proc.returncode}: "
                     f"{proc.stderr!r}")

        proc = run(vigild, "-c", path)
        checks.check(proc.returncode == 1 and
                     proc.stderr.strip() == f"vigild: {problem}",
                     f"machine{number} -c: exit {proc.returncode}: "
                     f"{proc.stderr!r}")
        checks.check("EAL" not in proc.stderr,
                     f"machine{number} -c: EAL started")

    proc = run(vigild, "-c", path, "--strict")
    checks.check(proc.returncode == 1 and proc.stderr ==
                 "vigild: --strict requires --check-config FILE\n",
                 f"--strict without --check-config: {proc.stderr!r}")

    proc = run(vigild, "--check-config", path, "--pcap", path)
    checks.check(proc.returncode == 1 and proc.stderr ==
                 "vigild: --check-config FILE checks a configuration file "
                 "and reads no capture; drop --pcap, or name the capture in "
                 "the file's capture.ports\n",
                 f"--check-config with --pcap: {proc.stderr!r}")


def check_option_as_value(vigild, tmp, pcap, checks):
    """An option where an option's value belongs is rejected with both
    named, because getopt_long() would take it as the value."""
    path = write_config(tmp, "option-as-value.yaml",
                        f"capture:\n  ports:\n    - pcap: {pcap}\n")
    flows = os.path.join(tmp, "option-as-value.jsonl")
    cases = [
        (["--check-config", "--strict", path],
         "--check-config: expected a file name, got the option '--strict'; "
         "give the file name right after --check-config"),
        (["-c", "--strict", path],
         "-c: expected a file name, got the option '--strict'; give the "
         "file name right after -c"),
        (["--config", "-V"],
         "--config: expected a file name, got the option '-V'; give the "
         "file name right after --config"),
        (["--pcap", pcap, "--flows", "--stats", flows],
         "--flows: expected a file name, got the option '--stats'; give "
         "the file name right after --flows"),
        (["--pcap", "--flows", flows],
         "--pcap: expected a capture file, got the option '--flows'; give "
         "the capture file right after --pcap"),
        (["--pcap", pcap, "--flows", flows, "--engine-cpus", "--rx-cpus",
          "0"],
         "--engine-cpus: expected a CPU list, got the option '--rx-cpus'; "
         "give the CPU list right after --engine-cpus"),
        # A value that only starts with "-" goes to the option's own check.
        (["--pcap", pcap, "--flows", flows, "--active-timeout", "-1"],
         "--active-timeout: must be 0..315360000 seconds, got '-1'"),
    ]
    for args, message in cases:
        proc = check_rejected(vigild, args, message, " ".join(args), checks)
        checks.check(proc.stdout == "",
                     f"{' '.join(args)}: stdout {proc.stdout[-800:]!r}")


def check_folders_created(vigild, tmp, pcap, checks):
    """A start creates the folders above flows.output and the sockets."""
    state = os.path.join(tmp, "state", "vigil")
    run_dir = os.path.join(tmp, "run", "vigil")
    flows = os.path.join(state, "flows.jsonl")
    path = os.path.join(tmp, "folders.yaml")
    with open(path, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n"
                f"flows:\n  output: {flows}\n"
                f"control:\n  socket: {run_dir}/control.sock\n")
    proc = run(vigild, "--check-config", path)
    checks.check(proc.returncode == 0 and
                 proc.stderr == f"vigild: note: {path}:5:11: flows.output: "
                                f"directory '{state}' does not exist; vigild "
                                f"creates it at start\n"
                                f"vigild: note: {path}:7:11: control.socket: "
                                f"directory '{run_dir}' does not exist; "
                                f"vigild creates it at start\n",
                 f"folders --check-config: {proc.stderr!r}")
    checks.check(not os.path.exists(os.path.join(tmp, "state")),
                 "--check-config created a folder")

    proc = run(vigild, "-c", path)
    checks.check(proc.returncode == 0,
                 f"folders -c: exit {proc.returncode}: {proc.stderr}")
    for folder in (state, run_dir):
        checks.check(os.path.isdir(folder), f"{folder} not created")
        checks.check(f"info engine: created directory={folder} for " in
                     proc.stderr, f"{folder}: creation not logged")
    records = vigtest.read_records(flows) if os.path.exists(flows) else []
    checks.check(len(records) == 1, f"folders -c: {len(records)} records")


def write_bad_captures(tmp):
    """Writes the capture files that MACHINE's cases name."""
    with open(os.path.join(tmp, "short.pcap"), "wb") as f:
        f.write(bytes.fromhex("d4c3b2a102000400") + b"\0\0")
    with open(os.path.join(tmp, "text.pcap"), "wb") as f:
        f.write(b"GET / HTTP/1.1\r\n")
    with open(os.path.join(tmp, "no-interface.pcapng"), "wb") as f:
        f.write(g.pcapng_section_header())


def check_capture_files(vigild, tmp, checks):
    """--pcap refuses a damaged file before EAL, and reads pcapng."""
    flows = os.path.join(tmp, "cli-capture.jsonl")
    short = os.path.join(tmp, "short.pcap")
    proc = run(vigild, "--pcap", short, "--flows", flows)
    want = (f"vigild: --pcap: '{short}' is too short for a pcap header: 10 "
            "bytes, less than the 24-byte pcap file header\n")
    checks.check(proc.returncode == 1 and proc.stderr == want,
                 f"--pcap short file: exit {proc.returncode}: "
                 f"{proc.stderr!r}, expected {want!r}")

    frames = [(1.0 + i, g.packet("10.0.0.1", "10.0.0.2", 1,
                                 g.icmp_echo(8, 1, i))) for i in range(3)]
    pcapng = os.path.join(tmp, "three.pcapng")
    g.write_pcapng(pcapng, frames)
    proc = run(vigild, "--pcap", pcapng, "--flows", flows)
    records = vigtest.read_records(flows) if os.path.exists(flows) else []
    checks.check(proc.returncode == 0,
                 f"--pcap pcapng: exit {proc.returncode}: {proc.stderr[-800:]}")
    checks.check(len(records) == 1 and
                 records[0].get("c2s_packets") == 3 and
                 records[0].get("first_seen") == 1.0 and
                 records[0].get("last_seen") == 3.0,
                 f"--pcap pcapng: records {records!r}")

    path = write_config(tmp, "pcapng.yaml",
                        f"capture:\n  ports:\n    - vdev: net_pcap0,"
                        f"rx_pcap={pcapng}\nflows:\n  output: {flows}\n")
    os.unlink(flows)  # vigild appends to a flow file
    proc = run(vigild, "-c", path)
    records = vigtest.read_records(flows) if os.path.exists(flows) else []
    checks.check(proc.returncode == 0 and len(records) == 1,
                 f"vdev pcapng: exit {proc.returncode}: {records!r}")


def check_pcap_without_flows(vigild, tmp, pcap, checks):
    """--pcap without --flows is rejected before EAL starts, because no
    record would be written anywhere."""
    stats = os.path.join(tmp, "no-flows-stats.json")
    check_rejected(vigild, ["--pcap", pcap, "--stats", stats],
                   "--pcap requires --flows FILE; add --flows OUT.jsonl, or "
                   "--flows /dev/null to discard the flow records",
                   "--pcap without --flows", checks)
    checks.check(not os.path.exists(stats),
                 "--pcap without --flows: the capture was read")


def check_vdev_drivers(vigild, tmp, pcap, checks):
    """A vdev that EAL would not parse is a machine warning for
    --check-config and an error for --strict and a start, before EAL, with
    the key named. The drivers are those of the DPDK installed, so the
    version and folder in the message are matched loosely."""
    cases = [
        ("net_bogus0",
         re.escape("capture.ports[0].vdev: 'net_bogus0' matches no driver "
                   "of DPDK ") + r"\S+ in /\S+" +
         re.escape("; a vdev name starts with the name of a driver, such "
                   "as net_pcap in net_pcap0")),
        # EAL 22.11 crashes in rte_devargs_add() on a device without a bus.
        ("class=eth/driver=net_null",
         re.escape("capture.ports[0].vdev: 'class=eth/driver=net_null' "
                   "names no bus, and EAL adds a device only on a bus")),
    ]
    for number, (vdev, problem) in enumerate(cases):
        path = os.path.join(tmp, f"vdev{number}.yaml")
        with open(path, "w") as f:
            f.write(f"capture:\n  ports:\n    - vdev: \"{vdev}\"\n")
        problem = re.escape(f"{path}:3:13: ") + problem

        proc = run(vigild, "--check-config", path)
        checks.check(proc.returncode == 0 and
                     re.fullmatch(f"vigild: warning: {problem}\n",
                                  proc.stderr) is not None and
                     proc.stdout == f"{path}: valid, but not on this "
                                    "machine (1 warning)\n",
                     f"vdev {vdev}: exit {proc.returncode}: "
                     f"{proc.stderr!r} {proc.stdout!r}")

        proc = run(vigild, "--check-config", path, "--strict")
        checks.check(proc.returncode == 1 and proc.stdout == "" and
                     re.fullmatch(f"vigild: warning: {problem}\n"
                                  + re.escape(f"vigild: {path}: not valid "
                                              "on this machine (1 warning, "
                                              "--strict)\n"),
                                  proc.stderr) is not None,
                     f"vdev {vdev} --strict: exit {proc.returncode}: "
                     f"{proc.stderr!r}")

        proc = run(vigild, "-c", path)
        checks.check(proc.returncode == 1 and
                     re.fullmatch(f"vigild: {problem}\n",
                                  proc.stderr) is not None,
                     f"vdev {vdev} -c: exit {proc.returncode}: "
                     f"{proc.stderr!r}")

    # A driver's alias (eth_pcap for net_pcap) is a driver name too.
    path = os.path.join(tmp, "vdev-alias.yaml")
    with open(path, "w") as f:
        f.write("capture:\n  ports:\n"
                f"    - vdev: eth_pcap0,rx_pcap={pcap}\n")
    proc = run(vigild, "--check-config", path)
    checks.check(proc.returncode == 0 and proc.stderr == "" and
                 proc.stdout == f"{path}: valid\n",
                 f"vdev alias: exit {proc.returncode}: {proc.stderr!r} "
                 f"{proc.stdout!r}")


def check_several_pcaps(vigild, tmp, checks):
    """Each --pcap is a port: every file is read, and a damaged one is
    named whichever place it has."""
    first = os.path.join(tmp, "several-a.pcap")
    second = os.path.join(tmp, "several-b.pcap")
    g.write_pcap(first, [(1.0 + i, g.packet("10.0.1.1", "10.0.1.2", 1,
                                            g.icmp_echo(8, 7, i)))
                         for i in range(2)])
    g.write_pcap(second, [(5.0 + i, g.packet("10.0.2.1", "10.0.2.2", 1,
                                             g.icmp_echo(8, 9, i)))
                          for i in range(3)])
    flows = os.path.join(tmp, "several.jsonl")
    proc = run(vigild, "--pcap", first, "--pcap", second, "--flows", flows)
    records = vigtest.read_records(flows) if os.path.exists(flows) else []
    checks.check(proc.returncode == 0,
                 f"two --pcap: exit {proc.returncode}: {proc.stderr[-800:]}")
    found = sorted((r.get("client_ip"), r.get("c2s_packets"),
                    r.get("first_seen")) for r in records)
    checks.check(found == [("10.0.1.1", 2, 1.0), ("10.0.2.1", 3, 5.0)],
                 f"two --pcap: records {found!r}")

    short = os.path.join(tmp, "short.pcap")
    proc = run(vigild, "--pcap", first, "--pcap", short, "--flows", flows)
    want = (f"vigild: --pcap: '{short}' is too short for a pcap header: 10 "
            "bytes, less than the 24-byte pcap file header\n")
    checks.check(proc.returncode == 1 and proc.stderr == want,
                 f"--pcap second file short: exit {proc.returncode}: "
                 f"{proc.stderr!r}, expected {want!r}")

    proc = run(vigild, *(["--pcap", first] * 17), "--flows", flows)
    want = ("vigild: --pcap: at most 16 capture files, as many as the ports "
            "of a configuration; got more\n")
    checks.check(proc.returncode == 1 and proc.stderr == want,
                 f"17 --pcap: exit {proc.returncode}: {proc.stderr!r}")


def check_bad_bytes(vigild, tmp, pcap, checks):
    """A NUL byte or a byte that is not UTF-8 is reported where it is."""
    head = f"capture:\n  ports:\n    - pcap: {pcap}\n  burst: 3".encode()
    cases = [
        ("nul", b"\0", "control characters are not allowed (a NUL byte)"),
        ("utf8", b"\xff", "invalid leading UTF-8 octet (0xff)"),
    ]
    for name, byte, problem in cases:
        path = os.path.join(tmp, f"bytes-{name}.yaml")
        with open(path, "wb") as f:
            f.write(head + byte + b"2\n")
        want = f"vigild: {path}:4:11: invalid YAML: {problem}\n"
        for mode in ("--check-config", "-c"):
            proc = run(vigild, mode, path)
            checks.check(proc.returncode == 1 and proc.stderr == want,
                         f"{mode} {name}: exit {proc.returncode}: "
                         f"{proc.stderr!r}, expected {want!r}")


def check_capture_as_config(vigild, tmp, checks):
    """A capture file given as the configuration gets the error at its
    first byte that is not UTF-8, whatever lies past it: here 2 MiB of
    random bytes, whose brackets nest deeper than the 64 levels allowed."""
    path = os.path.join(tmp, "capture-as-config.pcap")
    # The pcap file header, little-endian: the magic is d4 c3 b2 a1.
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    with open(path, "wb") as f:
        f.write(header + random.Random(1).randbytes(2 << 20))
    want = (f"vigild: {path}:1:2: invalid YAML: invalid trailing UTF-8 "
            f"octet (0xc3)\n")
    for mode in ("--check-config", "-c"):
        proc = run(vigild, mode, path)
        checks.check(proc.returncode == 1 and proc.stderr == want,
                     f"{mode} capture as config: exit {proc.returncode}: "
                     f"{proc.stderr!r}, expected {want!r}")


def check_output_options(vigild, tmp, pcap, checks):
    """Output paths on the command line follow the rules of the file's
    output keys: none in /proc, /sys or on a kernel file system, no
    device other than /dev/null for records, no directory."""
    flows = os.path.join(tmp, "options.jsonl")
    cases = [
        (["--flows", "/proc/vigil/flows.jsonl"],
         "--flows: '/proc/vigil/flows.jsonl' is under /proc, which is not for "
         "ordinary files; choose a path on a disk or tmpfs"),
        (["--alerts", "/sys/vigil-alerts.jsonl"],
         "--alerts: '/sys/vigil-alerts.jsonl' is under /sys, which is not for "
         "ordinary files; choose a path on a disk or tmpfs"),
        (["--stats", "/dev/zero"],
         "--stats: '/dev/zero' is a character device; give a regular file, a "
         "FIFO or /dev/null"),
        (["--flows", tmp],
         f"--flows: '{tmp}' is a directory; give a file name"),
        (["--flows", "/dev/vigil-test-missing-disk"],
         "--flows: '/dev/vigil-test-missing-disk' is under /dev, which holds "
         "device files; choose a path on a disk or tmpfs"),
        (["--stats", "/dev/vigil-test-dir/stats.json"],
         "--stats: '/dev/vigil-test-dir/stats.json' is under /dev, which "
         "holds device files; choose a path on a disk or tmpfs"),
    ]
    if os.path.isdir("/dev/pts"):
        cases.append((["--control-socket", "/dev/pts/vigil.sock"],
                      "--control-socket: '/dev/pts/vigil.sock' is on a devpts "
                      "file system ('/dev/pts'), which is not for ordinary "
                      "files; choose a path on a disk or tmpfs"))
    for options, message in cases:
        args = ["--pcap", pcap, "--flows", flows] + options
        proc = run(vigild, *args)
        want = f"vigild: {message}\n"
        checks.check(proc.returncode == 1 and proc.stderr == want,
                     f"{' '.join(options)}: exit {proc.returncode}: "
                     f"{proc.stderr[-800:]!r}, expected {want!r}")

    # A file in /dev/shm, an ordinary tmpfs, is accepted.
    shm_flows = f"/dev/shm/vigil-test-{os.getpid()}.jsonl"
    proc = run(vigild, "--pcap", pcap, "--flows", shm_flows)
    checks.check(proc.returncode == 0 and os.path.getsize(shm_flows) > 0,
                 f"--flows {shm_flows}: exit {proc.returncode}: "
                 f"{proc.stderr[-800:]!r}")
    if os.path.exists(shm_flows):
        os.unlink(shm_flows)

    proc = run(vigild, "--pcap", pcap, "--flows", "/dev/null", "--stats",
               "/dev/null")
    checks.check(proc.returncode == 0,
                 f"--flows /dev/null: exit {proc.returncode}: "
                 f"{proc.stderr[-800:]!r}")


def check_empty_output_options(vigild, tmp, pcap, checks):
    """An empty output path is rejected before EAL starts, because vigild
    would otherwise run and write nothing there."""
    flows = os.path.join(tmp, "empty-options.jsonl")
    cases = [
        ("--flows", "--flows: must not be empty; give a file name"),
        ("--alerts", "--alerts: must not be empty; give a file name"),
        ("--stats", "--stats: must not be empty; give a file name"),
        ("--control-socket",
         "--control-socket: must not be empty; give a socket path"),
    ]
    for option, message in cases:
        args = ["--pcap", pcap]
        if option != "--flows":
            args += ["--flows", flows]
        check_rejected(vigild, args + [option, ""], message,
                       f"{option} ''", checks)
    checks.check(not os.path.exists(flows), "empty output: records written")

    # An empty input names the option too, not an empty file name.
    for args, message in (
            (["-c", ""], "-c: must not be empty; give a file name"),
            (["--check-config", ""],
             "--check-config: must not be empty; give a file name"),
            (["--pcap", "", "--flows", flows],
             "--pcap: must not be empty; give a capture file")):
        check_rejected(vigild, args, message, f"{args[0]} ''", checks)


def check_cpu_options(vigild, tmp, pcap, checks):
    """Check --engine-cpus and --rx-cpus. A list of more than 64 CPUs (one
    per lcore) is reported as too long, a malformed one with an example."""
    flows = os.path.join(tmp, "cpus.jsonl")
    last = (os.cpu_count() or 1) - 1
    zeros = ",".join(["0"] * 64)
    cases = [
        ("--engine-cpus", zeros + ",0",
         "--engine-cpus: too many entries: 65 CPUs listed, at most 64 (one "
         "per lcore)"),
        ("--rx-cpus", zeros + ",0",
         "--rx-cpus: too many entries: 65 CPUs listed, at most 64 (one per "
         "lcore)"),
        # 64 entries pass the list's own check; the lcore total then fails.
        ("--engine-cpus", zeros, "lcores: 66 lcores in all, at most 64"),
        # A malformed entry is reported as such, even past the 64th.
        ("--engine-cpus", zeros + ",x",
         f"--engine-cpus: expected a list such as 1,1 of CPUs 0..{last}, got "
         f"'{zeros},x'"),
        ("--rx-cpus", "",
         f"--rx-cpus: expected a list such as 1 of CPUs 0..{last}, got ''"),
        # strtol() alone would take a leading space or sign.
        ("--rx-cpus", " 0",
         f"--rx-cpus: expected a list such as 1 of CPUs 0..{last}, got ' 0'"),
        ("--engine-cpus", "0,+0",
         f"--engine-cpus: expected a list such as 1,1 of CPUs 0..{last}, got "
         "'0,+0'"),
    ]
    for option, value, message in cases:
        proc = run(vigild, "--pcap", pcap, "--flows", flows, option, value)
        want = f"vigild: {message}\n"
        entries = value.count(",") + 1 if value else 0
        checks.check(proc.returncode == 1 and proc.stderr == want,
                     f"{option} with {entries} entries: exit "
                     f"{proc.returncode}: {proc.stderr[-800:]!r}, expected "
                     f"{want!r}")


def check_flows_on_capture(vigild, tmp, pcap, checks):
    """--flows naming a --pcap file, directly or through a hard link, a
    symbolic link or a path with "..", is rejected before EAL starts, and
    the capture file keeps its bytes."""
    with open(pcap, "rb") as f:
        before = f.read()
    hard = os.path.join(tmp, "one-hard.pcap")
    link = os.path.join(tmp, "one-link.pcap")
    os.link(pcap, hard)
    os.symlink(pcap, link)
    dotted = os.path.join(tmp, "..", os.path.basename(tmp),
                          os.path.basename(pcap))
    for out in (pcap, hard, link, dotted):
        proc = run(vigild, "--pcap", pcap, "--flows", out)
        want = (f"vigild: --flows: '{out}' is the capture file of --pcap; "
                "vigild would write over it, so give another file")
        checks.check(proc.returncode == 1,
                     f"--flows {out}: exit {proc.returncode}, expected 1")
        checks.check(proc.stderr.strip() == want,
                     f"--flows {out}: {proc.stderr[-800:]!r}, "
                     f"expected {want!r}")
        with open(pcap, "rb") as f:
            checks.check(f.read() == before,
                         f"--flows {out}: the capture file changed")
    os.unlink(hard)
    os.unlink(link)


def write_config(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def check_plugin_scripts(vigild, root, tmp, pcap, checks):
    """plugins.scripts against the plugins, as vigil-sandbox loads them."""
    plugins = os.path.join(root, "plugins")
    head = (f"capture:\n  ports:\n    - pcap: {pcap}\n"
            f"plugins:\n  directories: [{plugins}]\n  scripts:\n")

    path = write_config(tmp, "scripts_bad.yaml", head +
                        "    host_bytes_threshold:\n      threshold: abc\n"
                        "    example_wach:\n      enabled: true\n")
    proc = run(vigild, "--check-config", path)
    want = (f"vigild: {path}:8:18: plugins.scripts.host_bytes_threshold."
            f"threshold: expected a number, got 'abc'\n"
            f"vigild: {path}:9:5: plugins.scripts.example_wach: unknown "
            f"script (no loaded plugin defines it)\n")
    checks.check(proc.returncode == 1,
                 f"scripts_bad: exit {proc.returncode}")
    checks.check(proc.stderr == want,
                 f"scripts_bad: {proc.stderr!r}, expected {want!r}")
    checks.check(proc.stdout == "", f"scripts_bad: stdout {proc.stdout!r}")

    path = write_config(tmp, "scripts_good.yaml", head +
                        "    host_bytes_threshold:\n      threshold: 5e8\n"
                        "      operator: ge\n"
                        "    example_watch:\n      enabled: false\n")
    proc = run(vigild, "--check-config", path)
    checks.check(proc.returncode == 0 and proc.stderr == "" and
                 proc.stdout == f"{path}: valid\n",
                 f"scripts_good: exit {proc.returncode}: {proc.stderr!r} "
                 f"{proc.stdout!r}")

    # A plugin that does not load is a warning, as at start, and a key that
    # may be its script is one too.
    broken = os.path.join(tmp, "broken-plugins")
    script = os.path.join(broken, "g", "broken", "user_scripts", "flow",
                          "b.lua")
    os.makedirs(os.path.dirname(script))
    with open(os.path.join(broken, "g", "broken", "manifest.lua"), "w") as f:
        f.write('return { title = "Broken" }\n')
    with open(script, "w") as f:
        f.write("return {\n  key = \n")
    path = write_config(tmp, "scripts_skipped.yaml",
                        f"capture:\n  ports:\n    - pcap: {pcap}\n"
                        f"plugins:\n  directories: [{plugins}, {broken}]\n"
                        "  scripts:\n    broken_key:\n      enabled: false\n")
    proc = run(vigild, "--check-config", path)
    lines = proc.stderr.splitlines()
    checks.check(proc.returncode == 0 and
                 proc.stdout == f"{path}: valid, but not on this machine "
                                "(2 warnings)\n",
                 f"scripts_skipped: exit {proc.returncode}: {proc.stdout!r}")
    checks.check(len(lines) == 2 and
                 lines[0].startswith(f"vigild: warning: {script}:"),
                 f"scripts_skipped: plugin error {proc.stderr!r}")
    checks.check(lines[-1:] == [f"vigild: warning: {path}:7:5: plugins."
                                "scripts.broken_key: no loaded plugin has "
                                "this script; it may belong to a skipped or "
                                "disabled plugin"],
                 f"scripts_skipped: unknown key {proc.stderr!r}")
    proc = run(vigild, "--check-config", path, "--strict")
    checks.check(proc.returncode == 1,
                 f"scripts_skipped --strict: exit {proc.returncode}")

    # Without the plugin folder nothing can be checked, and a note reports it.
    missing = os.path.join(tmp, "no-plugins")
    path = write_config(tmp, "scripts_unchecked.yaml",
                        f"capture:\n  ports:\n    - pcap: {pcap}\n"
                        f"plugins:\n  directories: [{missing}]\n"
                        "  scripts:\n    nothing_here:\n      enabled: 1\n")
    proc = run(vigild, "--check-config", path)
    want = (f"vigild: warning: {path}:5:17: plugins.directories[0]: cannot "
            f"read '{missing}': No such file or directory\n"
            f"vigild: note: {path}:7:5: plugins.scripts: not checked against "
            "the plugins, because no plugin directory can be read\n")
    checks.check(proc.returncode == 0 and proc.stderr == want,
                 f"scripts_unchecked: exit {proc.returncode}: "
                 f"{proc.stderr!r}, expected {want!r}")

    # With one folder readable and one missing, the scripts are checked
    # against the readable one: a bad value stays an error, and an unknown
    # key is a warning because its plugin may be in the missing folder.
    path = write_config(tmp, "scripts_partial.yaml",
                        f"capture:\n  ports:\n    - pcap: {pcap}\n"
                        f"plugins:\n  directories: [{plugins}, {missing}]\n"
                        "  scripts:\n"
                        "    host_bytes_threshold:\n      threshold: abc\n"
                        "    nothing_here:\n      enabled: true\n")
    proc = run(vigild, "--check-config", path)
    column = len(f"  directories: [{plugins}, ") + 1
    lines = proc.stderr.splitlines()
    checks.check(proc.returncode == 1,
                 f"scripts_partial: exit {proc.returncode}")
    checks.check(f"vigild: warning: {path}:5:{column}: plugins.directories[1]: "
                 f"cannot read '{missing}': No such file or directory"
                 in lines, f"scripts_partial: missing folder {lines!r}")
    checks.check(f"vigild: {path}:8:18: plugins.scripts.host_bytes_threshold."
                 "threshold: expected a number, got 'abc'" in lines,
                 f"scripts_partial: bad value {lines!r}")
    checks.check(f"vigild: warning: {path}:9:5: plugins.scripts.nothing_here: "
                 "no loaded plugin has this script; it may belong to a "
                 "plugin in a directory that cannot be read" in lines,
                 f"scripts_partial: unknown key {lines!r}")
    checks.check(not any("not checked" in line for line in lines),
                 f"scripts_partial: scripts not checked {lines!r}")
    checks.check(len(lines) == 3, f"scripts_partial: lines {lines!r}")


def check_programs(vigild, tmp, pcap, checks):
    """vigil-ts-writer and vigil-sandbox must be beside vigild."""
    alone = os.path.join(tmp, "bin", "vigild")
    os.makedirs(os.path.dirname(alone))
    shutil.copy2(vigild, alone)
    path = write_config(tmp, "programs.yaml",
                        f"capture:\n  ports:\n    - pcap: {pcap}\n"
                        f"timeseries:\n  directory: {tmp}\n")
    problem = (f"{path}:5:3: timeseries: writer program "
               f"{os.path.dirname(alone)}/vigil-ts-writer: No such file or "
               "directory; install vigil-ts-writer in the folder of vigild")

    proc = run(vigild, "--check-config", path)
    checks.check(proc.returncode == 0 and proc.stderr == "" and
                 proc.stdout == f"{path}: valid\n",
                 f"programs beside vigild: exit {proc.returncode}: "
                 f"{proc.stderr!r}")

    proc = run(alone, "--check-config", path)
    checks.check(proc.returncode == 0 and
                 proc.stderr == f"vigild: warning: {problem}\n" and
                 proc.stdout == f"{path}: valid, but not on this machine "
                                "(1 warning)\n",
                 f"no writer: exit {proc.returncode}: {proc.stderr!r}, "
                 f"expected the warning {problem!r}")
    proc = run(alone, "--check-config", path, "--strict")
    checks.check(proc.returncode == 1,
                 f"no writer --strict: exit {proc.returncode}")
    proc = run(alone, "-c", path)
    checks.check(proc.returncode == 1 and
                 proc.stderr == f"vigild: {problem}\n",
                 f"no writer -c: exit {proc.returncode}: {proc.stderr!r}")

    path = write_config(tmp, "programs_sandbox.yaml",
                        f"capture:\n  ports:\n    - pcap: {pcap}\n"
                        f"plugins:\n  directories: [{tmp}]\n")
    proc = run(alone, "--check-config", path)
    want = (f"vigild: warning: {path}: plugins.sandbox_path: vigil-sandbox "
            f"not found beside {os.path.dirname(alone)}; set "
            "plugins.sandbox_path\n")
    checks.check(proc.returncode == 0 and proc.stderr == want,
                 f"no sandbox: exit {proc.returncode}: {proc.stderr!r}, "
                 f"expected {want!r}")


def check_ndpi_lists(vigild, tmp, pcap, checks):
    """nDPI list files whose lines nDPI cannot use, in a file and on the
    command line."""
    protos = write_config(tmp, "bad-protos.txt",
                          "tcp:8081@VigilTest\nthis is not a rule\n"
                          "garbage too\n")
    sha1 = write_config(tmp, "bad-sha1.csv", "# comment\ngarbage,,,\nxx\n")
    cases = [
        ("protocols", protos,
         f"ndpi.protocols: {protos}:2: nDPI cannot use this line: Unknown "
         "rule 'this is not a rule' (2 such reports in all)"),
        ("sha1", sha1,
         f"ndpi.sha1: {sha1}: nDPI took none of its 2 entries; check the "
         "file's format in nDPI's example lists"),
    ]
    for key, path, message in cases:
        config = write_config(tmp, f"ndpi-{key}.yaml",
                              f"capture:\n  ports:\n    - pcap: {pcap}\n"
                              f"ndpi:\n  {key}: {path}\n")
        proc = run(vigild, "--check-config", config)
        checks.check(proc.returncode == 1 and
                     proc.stderr.strip() == f"vigild: {message}",
                     f"ndpi.{key} --check-config: exit {proc.returncode}: "
                     f"{proc.stderr!r}, expected {message!r}")
        proc = run(vigild, "-c", config)
        checks.check(proc.returncode == 1 and message in proc.stderr,
                     f"ndpi.{key} -c: exit {proc.returncode}: "
                     f"{proc.stderr[-1500:]!r}, expected {message!r}")

    flows = os.path.join(tmp, "cli-flows.jsonl")
    for option, path, message in (
            ("--ja3", tmp, f"vigild: --ja3: '{tmp}' is not a regular file"),
            ("--sha1", os.path.join(tmp, "absent.csv"),
             f"vigild: --sha1: cannot read '{tmp}/absent.csv': No such file "
             "or directory")):
        proc = run(vigild, "--pcap", pcap, "--flows", flows, option, path)
        checks.check(proc.returncode != 0 and
                     proc.stderr.strip() == message,
                     f"{option} {path}: exit {proc.returncode}: "
                     f"{proc.stderr!r}, expected {message!r}")


def check_plugins_option(vigild, tmp, pcap, checks):
    """--plugins directories are checked before EAL, as plugins.directories
    is, and a bad one stops the start."""
    flows = os.path.join(tmp, "plugins-option-flows.jsonl")
    missing = os.path.join(tmp, "no-such-plugins")
    for path, message in (
            (missing, f"vigild: --plugins: cannot read '{missing}': No such "
             "file or directory"),
            (pcap, f"vigild: --plugins: '{pcap}' is not a directory")):
        proc = run(vigild, "--pcap", pcap, "--flows", flows,
                   "--plugins", path)
        checks.check(proc.returncode == 1,
                     f"--plugins {path}: exit {proc.returncode}, expected 1")
        checks.check(proc.stderr.strip() == message,
                     f"--plugins {path}: {proc.stderr[-1500:]!r}, "
                     f"expected {message!r}")
        checks.check("EAL" not in proc.stderr,
                     f"--plugins {path}: EAL started")


def check_alerts_without_plugins(vigild, tmp, pcap, checks):
    """--alerts without plugins is rejected before EAL starts, because no
    alert would ever reach the file. That holds for --pcap and for a
    file with no plugins section or with plugins turned off."""
    flows = os.path.join(tmp, "alerts-no-plugins.jsonl")
    alerts = os.path.join(tmp, "alerts-no-plugins.alerts.jsonl")
    capture = f"capture:\n  ports:\n    - pcap: {pcap}\n"
    no_section = write_config(tmp, "alerts-no-section.yaml", capture)
    plugins_off = write_config(tmp, "alerts-plugins-off.yaml",
                               capture + "plugins:\n  directories: []\n")
    message = ("--alerts requires plugins, but none are configured; "
               "add --plugins DIR")
    for name, args in (("--pcap", ["--pcap", pcap, "--flows", flows]),
                       ("no plugins section", ["-c", no_section]),
                       ("directories: []", ["-c", plugins_off])):
        check_rejected(vigild, args + ["--alerts", alerts], message,
                       f"--alerts, {name}", checks)
    checks.check(not os.path.exists(flows),
                 "--alerts without plugins: the capture was read")


def check_plugins_replace_bundled(vigild, root, tmp, pcap, checks):
    """--plugins replaces the bundled plugins folder a plugins: section
    defaults to, so a missing bundled folder must not stop the start. A
    copy of vigild outside the build tree looks for the bundled plugins in
    the install prefix, where this machine has none."""
    alone = os.path.join(tmp, "bin-no-bundled", "vigild")
    os.makedirs(os.path.dirname(alone))
    shutil.copy2(vigild, alone)
    sandbox = os.path.realpath(os.path.join(os.path.dirname(vigild), "..",
                                            "sandbox", "vigil-sandbox"))
    flows = os.path.join(tmp, "replace-bundled-flows.jsonl")
    path = write_config(tmp, "replace_bundled.yaml",
                        f"capture:\n  ports:\n    - pcap: {pcap}\n"
                        f"flows:\n  output: {flows}\n"
                        f"plugins:\n  sandbox_path: {sandbox}\n")

    proc = run(alone, "-c", path)
    bundled = re.search(r"plugins\.directories: cannot read '([^']*)' "
                        r"\(the default\)", proc.stderr)
    if not checks.check(proc.returncode == 1 and bundled,
                        f"bundled folder missing: exit {proc.returncode}: "
                        f"{proc.stderr[-1500:]!r}"):
        return
    checks.check(not os.path.exists(bundled.group(1)),
                 f"bundled folder {bundled.group(1)} exists on this machine")

    plugins = os.path.join(root, "tests", "integration", "sandbox", "good")
    proc = run(alone, "-c", path, "--plugins", plugins)
    checks.check(proc.returncode == 0,
                 f"--plugins over a missing bundled folder: exit "
                 f"{proc.returncode}: {proc.stderr[-1500:]!r}")
    checks.check("(the default)" not in proc.stderr,
                 f"--plugins: bundled folder checked: {proc.stderr[-1500:]!r}")
    checks.check(f"plugins={plugins}" in proc.stderr,
                 f"--plugins: sandbox not started on {plugins}: "
                 f"{proc.stderr[-1500:]!r}")
    checks.check(os.path.exists(flows), "--plugins: no flow records written")


def main():
    vigild = sys.argv[1]
    root = sys.argv[2]
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-config-") as tmp:
        pcap = os.path.join(tmp, "one.pcap")
        g.write_pcap(pcap, [(1.0, g.packet("10.0.0.1", "10.0.0.2", 1,
                                           g.icmp_echo(8, 1, 1)))])

        write_bad_captures(tmp)
        check_machine(vigild, tmp, pcap, checks)
        check_capture_files(vigild, tmp, checks)
        check_vdev_drivers(vigild, tmp, pcap, checks)
        check_several_pcaps(vigild, tmp, checks)
        check_pcap_without_flows(vigild, tmp, pcap, checks)
        check_output_options(vigild, tmp, pcap, checks)
        check_empty_output_options(vigild, tmp, pcap, checks)
        check_cpu_options(vigild, tmp, pcap, checks)
        check_flows_on_capture(vigild, tmp, pcap, checks)
        check_bad_bytes(vigild, tmp, pcap, checks)
        check_option_as_value(vigild, tmp, pcap, checks)
        check_capture_as_config(vigild, tmp, checks)
        check_folders_created(vigild, tmp, pcap, checks)
        check_plugin_scripts(vigild, root, tmp, pcap, checks)
        check_programs(vigild, tmp, pcap, checks)
        check_ndpi_lists(vigild, tmp, pcap, checks)
        check_plugins_option(vigild, tmp, pcap, checks)
        check_alerts_without_plugins(vigild, tmp, pcap, checks)
        check_plugins_replace_bundled(vigild, root, tmp, pcap, checks)

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
