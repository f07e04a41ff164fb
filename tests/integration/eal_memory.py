#!/usr/bin/env python3
"""memory.size_mb against the EAL memory vigild allocates.

Without hugepages, EAL has exactly memory.size_mb of memory. vigild adds
up what it allocates there (the mbuf pools, the rings, the engine lcores'
buffers and a margin for EAL) and rejects a smaller size before EAL
starts, in --check-config and at start, naming the size needed. For each
configuration below, the test reads that size from the message and
checks that one MiB less is rejected, and that vigild started with
exactly that size reads a capture and writes its record. With hugepages,
memory.size_mb is what EAL reserves at start: it must hold the same sum,
and the machine must have that much in free hugepages. The free pages are
read from /sys and /proc trees the test writes (VIGIL_SYSFS and
VIGIL_PROCFS), so no hugepage is reserved, and from the machine's own
only with a size no machine has. Without hugepages, the memory vigild
takes is compared with MemTotal and MemAvailable of a /proc/meminfo the
test writes, and with memory.max of the cgroup named in a /proc/self/cgroup
it writes. With hugepages, the flow tables are compared with the memory
the hugepages leave.

A packet pool that DPDK still cannot create must be reported with its
cause. pool_fail.c, preloaded, makes vigild's
rte_pktmbuf_pool_create_by_ops() call fail with ENOMEM (an out-of-memory
error, and no fallback to another mempool driver) and with EINVAL (the
stack driver is missing, so vigild falls back to the default driver).

usage: eal_memory.py VIGILD SOURCE_ROOT POOL_FAIL_LIBRARY
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

FIGURE = r"(\d+\.\d) MiB"
PARTS = (rf"packet pool of (\d+) mbufs {FIGURE}, frame copy pool {FIGURE}, "
         rf"rx-to-engine rings {FIGURE}, engine lcores' record buffers and "
         rf"rings {FIGURE}, margin for EAL 4\.0 MiB")

# Name, then the lines of the capture, lcores and memory sections after
# memory.size_mb. Two ports need two rx lcores.
CONFIGS = [
    ("default", "", "", ""),
    ("engines", "  ring_size: 65536\n", "lcores:\n  rx: [1]\n"
     "  engine: [1, 1, 1]\n", "  mbufs: 32767\n"),
    ("two_ports", "", "lcores:\n  rx: [1, 1]\n  engine: [1, 1]\n",
     "  mbufs: 65535\n"),
]


def run(vigild, *args, env=None):
    return subprocess.run([vigild, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120,
                          env=env)


def write(tmp, name, size, capture, lcores, memory, pcap, ports=1):
    """Writes a configuration with memory.size_mb at line 2, column 12."""
    path = os.path.join(tmp, f"{name}-{size}.yaml")
    flows = os.path.join(tmp, f"{name}-{size}.jsonl")
    port_lines = "".join(f"    - pcap: {pcap}\n      name: p{i}\n"
                         for i in range(ports))
    with open(path, "w") as f:
        f.write(f"memory:\n  size_mb: {size}\n{memory}"
                f"capture:\n{capture}  ports:\n{port_lines}{lcores}"
                f"flows:\n  output: {flows}\n")
    return path, flows


def size_message(path, size):
    """Returns the pattern of the message that rejects <size> MiB."""
    return re.compile(
        rf"vigild: {re.escape(path)}:2:12: memory\.size_mb: {size} MiB of "
        rf"EAL memory cannot hold the (\d+) MiB that vigild allocates from "
        rf"it \({PARTS}\); set memory\.size_mb to \1 or more, or lower "
        rf"memory\.mbufs\n")


def check_config(vigild, tmp, pcap, config, checks):
    """The smallest size accepted starts; one MiB less is rejected."""
    name, capture, lcores, memory = config
    ports = 2 if name == "two_ports" else 1
    path, _ = write(tmp, name, 64, capture, lcores, memory, pcap, ports)
    proc = run(vigild, "--check-config", path)
    match = size_message(path, 64).fullmatch(proc.stderr)
    if not checks.check(proc.returncode == 1 and match is not None,
                        f"{name}: exit {proc.returncode}, message "
                        f"{proc.stderr!r}"):
        return None
    need = int(match.group(1))
    parts = [float(match.group(i)) for i in range(3, 7)] + [4.0]
    checks.check(need - 1 < sum(parts) <= need + 0.3,
                 f"{name}: parts {parts} do not add up to {need} MiB")
    checks.check(int(match.group(2)) ==
                 int(re.search(r"mbufs: (\d+)", memory).group(1)
                     if memory else 16383),
                 f"{name}: mbufs {match.group(2)}")

    path, _ = write(tmp, name, need - 1, capture, lcores, memory, pcap, ports)
    proc = run(vigild, "-c", path)
    checks.check(proc.returncode == 1 and
                 size_message(path, need - 1).fullmatch(proc.stderr),
                 f"{name} at {need - 1} MiB: exit {proc.returncode}: "
                 f"{proc.stderr[-600:]!r}")
    # The message names EAL memory; DPDK's own log lines are tagged dpdk.
    checks.check(" dpdk: " not in proc.stderr,
                 f"{name} at {need - 1} MiB: EAL started")

    path, flows = write(tmp, name, need, capture, lcores, memory, pcap,
                        ports)
    proc = run(vigild, "--check-config", path)
    checks.check(proc.returncode == 0 and proc.stdout == f"{path}: valid\n",
                 f"{name} at {need} MiB --check-config: {proc.stderr!r}")
    proc = run(vigild, "-c", path)
    records = vigtest.read_records(flows) if os.path.exists(flows) else []
    checks.check(proc.returncode == 0,
                 f"{name} at {need} MiB: exit {proc.returncode}: "
                 f"{proc.stderr[-800:]}")
    # Each port reads the same one-frame capture. The flow key has no port,
    # so the frames make one flow of one packet per port.
    checks.check(len(records) == 1 and
                 records[0]["c2s_packets"] == ports,
                 f"{name} at {need} MiB: records {records!r}")
    print(f"{name}: smallest memory.size_mb accepted {need}, started and "
          "read the capture")
    return float(match.group(3))


def check_mbufs_message(vigild, tmp, pcap, checks):
    """Without memory.size_mb, too many mbufs are named instead."""
    path = os.path.join(tmp, "mbufs.yaml")
    with open(path, "w") as f:
        f.write(f"memory:\n  mbufs: 200000\ncapture:\n  ports:\n"
                f"    - pcap: {pcap}\n")
    pattern = re.compile(
        rf"vigild: {re.escape(path)}:2:10: memory\.mbufs: vigild allocates "
        rf"(\d+) MiB of EAL memory \({PARTS}\), more than the 512 MiB of "
        rf"the default memory\.size_mb; set memory\.size_mb to \1 or more, "
        rf"or lower memory\.mbufs\n")
    for mode in ("--check-config", "-c"):
        proc = run(vigild, mode, path)
        checks.check(proc.returncode == 1 and
                     pattern.fullmatch(proc.stderr) is not None,
                     f"mbufs {mode}: exit {proc.returncode}: "
                     f"{proc.stderr[-600:]!r}")


def fake_hugepages(tmp, name, sizes=None, meminfo=None):
    """The environment of vigild with /sys and /proc trees holding the
    hugepage files of sysfs (<sizes>: page size in kB to free pages) or,
    without <sizes>, only /proc/meminfo's lines. The /proc tree's path is
    returned too."""
    root = os.path.join(tmp, name)
    os.makedirs(os.path.join(root, "proc"))
    os.makedirs(os.path.join(root, "sys"))
    with open(os.path.join(root, "proc", "meminfo"), "w") as f:
        f.write(meminfo or "MemTotal:       24000000 kB\n")
    for page_kb, free in (sizes or {}).items():
        folder = os.path.join(root, "sys", "kernel", "mm", "hugepages",
                              f"hugepages-{page_kb}kB")
        os.makedirs(folder)
        with open(os.path.join(folder, "free_hugepages"), "w") as f:
            f.write(f"{free}\n")
    env = dict(os.environ, VIGIL_SYSFS=os.path.join(root, "sys"),
               VIGIL_PROCFS=os.path.join(root, "proc"))
    return env, os.path.join(root, "proc")


def check_hugepages(vigild, tmp, pcap, checks):
    """With hugepages, memory.size_mb must hold what vigild allocates and
    fit in the free hugepages."""
    def write_huge(size):
        path = os.path.join(tmp, f"hugepages-{size}.yaml")
        with open(path, "w") as f:
            f.write(f"memory:\n  size_mb: {size}\n  hugepages: true\n"
                    f"capture:\n  ports:\n    - pcap: {pcap}\n")
        return path

    env, _ = fake_hugepages(tmp, "plenty", {2048: 100000})
    path = write_huge(64)
    for mode in ("--check-config", "-c"):
        proc = run(vigild, mode, path, env=env)
        match = size_message(path, 64).fullmatch(proc.stderr)
        checks.check(proc.returncode == 1 and match is not None,
                     f"hugepages 64 MiB {mode}: exit {proc.returncode}: "
                     f"{proc.stderr[-600:]!r}")
    if match is None:
        return
    need = int(match.group(1))
    path = write_huge(need)
    proc = run(vigild, "--check-config", path, env=env)
    checks.check(proc.returncode == 0 and proc.stdout == f"{path}: valid\n"
                 and proc.stderr == "",
                 f"hugepages {need} MiB: exit {proc.returncode}: "
                 f"{proc.stderr!r}")

    # One page fewer than the size needs, split over two page sizes.
    pages = need // 2 - 1 if need % 2 == 0 else need // 2
    env, _ = fake_hugepages(tmp, "few", {1048576: 0, 2048: pages})
    text = (f"{path}:2:12: memory.size_mb: EAL reserves {need} MiB of "
            f"hugepages at start, but this machine has {pages * 2} MiB free "
            f"({pages} pages of 2 MiB, 0 pages of 1024 MiB); reserve more "
            f"hugepages (vigil-hugepages reserve) or lower memory.size_mb")
    proc = run(vigild, "--check-config", path, env=env)
    checks.check(proc.returncode == 0 and
                 proc.stderr == f"vigild: warning: {text}\n" and
                 proc.stdout == f"{path}: valid, but not on this machine "
                                f"(1 warning)\n",
                 f"few hugepages --check-config: exit {proc.returncode}: "
                 f"{proc.stderr!r} {proc.stdout!r}")
    proc = run(vigild, "-c", path, env=env)
    checks.check(proc.returncode == 1 and proc.stderr == f"vigild: {text}\n",
                 f"few hugepages -c: exit {proc.returncode}: "
                 f"{proc.stderr[-600:]!r}")

    # Without the sysfs folder, /proc/meminfo's default size is read.
    env, _ = fake_hugepages(tmp, "meminfo", meminfo=(
        "HugePages_Total:      10\nHugePages_Free:        10\n"
        "Hugepagesize:       2048 kB\n"))
    proc = run(vigild, "-c", path, env=env)
    checks.check(proc.returncode == 1 and
                 proc.stderr == f"vigild: {path}:2:12: memory.size_mb: EAL "
                 f"reserves {need} MiB of hugepages at start, but this "
                 f"machine has 20 MiB free (10 pages of 2 MiB); reserve more "
                 f"hugepages (vigil-hugepages reserve) or lower "
                 f"memory.size_mb\n",
                 f"meminfo -c: exit {proc.returncode}: {proc.stderr!r}")
    env, procfs = fake_hugepages(tmp, "none")
    proc = run(vigild, "-c", path, env=env)
    checks.check(proc.returncode == 1 and
                 proc.stderr == f"vigild: {path}:2:12: memory.size_mb: "
                 f"cannot count the free hugepages that EAL would reserve "
                 f"{need} MiB of: {procfs}/meminfo has no HugePages_Free "
                 f"and Hugepagesize lines, so this kernel has no "
                 f"hugepages\n",
                 f"no hugepages -c: exit {proc.returncode}: {proc.stderr!r}")

    # This machine's own pages: 1 TiB is more than any test machine has,
    # and the start stops before EAL reserves a page.
    path = write_huge(1 << 20)
    proc = run(vigild, "-c", path)
    want = re.compile(
        rf"vigild: {re.escape(path)}:2:12: memory\.size_mb: EAL reserves "
        rf"1048576 MiB of hugepages at start, but this machine has \d+ MiB "
        rf"free \(.*\); reserve more hugepages \(vigil-hugepages "
        rf"reserve\) or lower memory\.size_mb\n")
    checks.check(proc.returncode == 1 and
                 want.fullmatch(proc.stderr) is not None,
                 f"1 TiB -c: exit {proc.returncode}: {proc.stderr[-600:]!r}")


def check_system_memory(vigild, tmp, pcap, checks):
    """Without hugepages, memory.size_mb and the engine's tables are
    compared with a fake /proc/meminfo: more than MemTotal is a warning in
    --check-config, an error with --strict and at start (before EAL), and
    more than MemAvailable is a warning."""
    total_kb, available_kb = 8000000, 4000000
    root = os.path.join(tmp, "meminfo-root")
    os.makedirs(os.path.join(root, "proc"))
    procfs = os.path.join(root, "proc")
    with open(os.path.join(procfs, "meminfo"), "w") as f:
        f.write(f"MemTotal:       {total_kb} kB\n"
                f"MemFree:        {available_kb - 1000} kB\n"
                f"MemAvailable:   {available_kb} kB\n")
    env = dict(os.environ, VIGIL_PROCFS=procfs)
    for size, limit, tail in ((16384, total_kb // 1024, "this machine has "
                               f"(MemTotal in {procfs}/meminfo); lower "
                               "memory.size_mb and memory.mbufs"),
                              (5000, available_kb // 1024,
                               f"available now (MemAvailable in {procfs}/"
                               "meminfo), so the start may fail or the "
                               "kernel may kill vigild; lower "
                               "memory.size_mb and memory.mbufs, or free "
                               "memory")):
        path, _ = write(tmp, "meminfo", size, "", "", "", pcap)
        pattern = re.compile(
            rf"vigild: warning: {re.escape(path)}:2:12: memory\.size_mb: "
            rf"vigild needs (\d+) MiB of memory \(EAL memory "
            rf"\(memory\.size_mb\) {size} MiB, tables of 1 engine lcore "
            rf"\(flows, nDPI states, hosts\) (\d+) MiB\), more than the "
            rf"{limit} MiB {re.escape(tail)}\n")
        proc = run(vigild, "--check-config", path, env=env)
        match = pattern.search(proc.stderr)
        checks.check(proc.returncode == 0 and match is not None,
                     f"size_mb {size} --check-config: exit "
                     f"{proc.returncode}: {proc.stderr!r}, expected "
                     f"{pattern.pattern!r}")
        if match is not None:
            checks.check(int(match.group(1)) == size + int(match.group(2)),
                         f"size_mb {size}: need {match.group(1)} MiB is not "
                         f"{size} + {match.group(2)} MiB")
        checks.check("valid, but not on this machine (1 warning)"
                     in proc.stdout,
                     f"size_mb {size} --check-config: {proc.stdout!r}")
        proc = run(vigild, "--check-config", path, "--strict", env=env)
        checks.check(proc.returncode == 1,
                     f"size_mb {size} --strict: exit {proc.returncode}")

    # At start, more than MemTotal stops vigild before EAL starts.
    path, _ = write(tmp, "meminfo", 16384, "", "", "", pcap)
    proc = run(vigild, "-c", path, env=env)
    want = (f"vigild: {path}:2:12: memory.size_mb: vigild needs ")
    checks.check(proc.returncode == 1 and want in proc.stderr,
                 f"size_mb 16384 -c: exit {proc.returncode}: "
                 f"{proc.stderr[-1500:]!r}, expected {want!r}")
    checks.check(" dpdk: " not in proc.stderr and
                 "EAL: " not in proc.stderr,
                 f"size_mb 16384 -c: EAL started: {proc.stderr[-1500:]!r}")


def expect_limit_message(vigild, path, env, tail, checks, name):
    """--check-config warns with vigild: warning: <tail>, --strict fails,
    and a start stops with the same message before EAL starts. <tail> is
    the message's pattern after the file name, and its two groups are the
    need and the tables' part. Returns the match of the warning."""
    pattern = re.compile(rf"vigild: warning: {re.escape(path)}:{tail}\n")
    proc = run(vigild, "--check-config", path, env=env)
    match = pattern.fullmatch(proc.stderr)
    checks.check(proc.returncode == 0 and match is not None and
                 "valid, but not on this machine (1 warning)"
                 in proc.stdout,
                 f"{name} --check-config: exit {proc.returncode}: "
                 f"{proc.stderr!r} {proc.stdout!r}, expected "
                 f"{pattern.pattern!r}")
    proc = run(vigild, "--check-config", path, "--strict", env=env)
    checks.check(proc.returncode == 1,
                 f"{name} --strict: exit {proc.returncode}")
    start = re.compile(rf"vigild: {re.escape(path)}:{tail}\n")
    proc = run(vigild, "-c", path, env=env)
    checks.check(proc.returncode == 1 and
                 start.fullmatch(proc.stderr) is not None,
                 f"{name} -c: exit {proc.returncode}: "
                 f"{proc.stderr[-1500:]!r}, expected {start.pattern!r}")
    return match


def check_tables_beside_hugepages(vigild, tmp, pcap, checks):
    """With hugepages, the tables outside EAL memory must fit in the
    memory the hugepages leave: MemTotal less Hugetlb."""
    total_kb, available_kb, hugetlb_kb = 24000000, 6000000, 16777216
    env, procfs = fake_hugepages(tmp, "beside", {2048: 100000}, meminfo=(
        f"MemTotal:       {total_kb} kB\n"
        f"MemAvailable:   {available_kb} kB\n"
        f"HugePages_Total:    8192\nHugePages_Free:     8192\n"
        f"Hugepagesize:       2048 kB\nHugetlb:        {hugetlb_kb} kB\n"))
    normal_mb = (total_kb - hugetlb_kb) // 1024
    for table, valid in ((262144, True), (67108864, False)):
        path = os.path.join(tmp, f"beside-{table}.yaml")
        with open(path, "w") as f:
            f.write(f"memory:\n  size_mb: 512\n  hugepages: true\n"
                    f"capture:\n  ports:\n    - pcap: {pcap}\n"
                    f"flows:\n  table_size: {table}\n")
        if valid:
            proc = run(vigild, "--check-config", path, env=env)
            checks.check(proc.returncode == 0 and proc.stderr == "" and
                         proc.stdout == f"{path}: valid\n",
                         f"hugepages, table_size {table}: exit "
                         f"{proc.returncode}: {proc.stderr!r}")
            continue
        tail = (rf"8:15: flows\.table_size: vigild needs (\d+) MiB of "
                rf"memory outside hugepages \(tables of 1 engine lcore "
                rf"\(flows, nDPI states, hosts\) (\d+) MiB; EAL memory is "
                rf"in hugepages\), more than the {normal_mb} MiB this "
                rf"machine has outside its hugepages \(MemTotal "
                rf"{total_kb // 1024} MiB less {hugetlb_kb // 1024} MiB of "
                rf"hugepages in {re.escape(procfs)}/meminfo\); lower "
                rf"flows\.table_size or use fewer engine lcores, or reserve "
                rf"fewer hugepages")
        match = expect_limit_message(vigild, path, env, tail, checks,
                                     f"hugepages, table_size {table}")
        if match is not None:
            checks.check(match.group(1) == match.group(2) and
                         int(match.group(1)) > normal_mb,
                         f"hugepages: need {match.group(1)} MiB, tables "
                         f"{match.group(2)} MiB, limit {normal_mb} MiB")


def check_cgroup_limit(vigild, tmp, pcap, checks):
    """memory.max of vigild's cgroup, or of a parent, limits the memory
    when it is below MemTotal. "max" sets no limit."""
    root = os.path.join(tmp, "cgroup-root")
    procfs = os.path.join(root, "proc")
    sysfs = os.path.join(root, "sys")
    service = os.path.join(sysfs, "fs", "cgroup", "system.slice",
                           "vigild.service")
    os.makedirs(os.path.join(procfs, "self"))
    os.makedirs(service)
    with open(os.path.join(procfs, "meminfo"), "w") as f:
        f.write("MemTotal:       8000000 kB\nMemAvailable:   4000000 kB\n")
    with open(os.path.join(procfs, "self", "cgroup"), "w") as f:
        f.write("0::/system.slice/vigild.service\n")

    env = dict(os.environ, VIGIL_PROCFS=procfs, VIGIL_SYSFS=sysfs)
    path, _ = write(tmp, "cgroup", 2048, "", "", "", pcap)
    for leaf, parent in (("1073741824", "max"), ("max", "536870912"),
                         ("max", "max")):
        with open(os.path.join(service, "memory.max"), "w") as f:
            f.write(f"{leaf}\n")
        with open(os.path.join(os.path.dirname(service), "memory.max"),
                  "w") as f:
            f.write(f"{parent}\n")

        name = f"memory.max {leaf} under {parent}"
        if leaf == "max" and parent == "max":
            proc = run(vigild, "--check-config", path, env=env)
            checks.check(proc.returncode == 0 and proc.stderr == "" and
                         proc.stdout == f"{path}: valid\n",
                         f"{name}: exit {proc.returncode}: "
                         f"{proc.stderr!r}")
            continue

        folder = service if leaf != "max" else os.path.dirname(service)
        limit_mb = int(leaf if leaf != "max" else parent) >> 20
        tail = (rf"2:12: memory\.size_mb: vigild needs (\d+) MiB of memory "
                rf"\(EAL memory \(memory\.size_mb\) 2048 MiB, tables of 1 "
                rf"engine lcore \(flows, nDPI states, hosts\) (\d+) MiB\), "
                rf"more than the {limit_mb} MiB its cgroup may use "
                rf"\(memory\.max in {re.escape(folder)}\); lower "
                rf"memory\.size_mb and memory\.mbufs, or raise that "
                rf"memory\.max \(MemoryMax= of a systemd unit\)")
        match = expect_limit_message(vigild, path, env, tail, checks, name)
        if match is not None:
            checks.check(int(match.group(1)) == 2048 + int(match.group(2)),
                         f"{name}: need {match.group(1)} MiB is not 2048 + "
                         f"{match.group(2)} MiB")

    # A cgroup path as deep as a Kubernetes pod's and more makes a message
    # of over 1024 bytes, which a start must print whole.
    deep = "".join(f"/level-{i}-{'0123456789abcdef' * 5}"
                   for i in range(12))
    folder = os.path.join(sysfs, "fs", "cgroup") + deep
    os.makedirs(folder)
    with open(os.path.join(folder, "memory.max"), "w") as f:
        f.write("1073741824\n")
    with open(os.path.join(procfs, "self", "cgroup"), "w") as f:
        f.write(f"0::{deep}\n")
    tail = (rf"2:12: memory\.size_mb: vigild needs (\d+) MiB of memory "
            rf"\(EAL memory \(memory\.size_mb\) 2048 MiB, tables of 1 "
            rf"engine lcore \(flows, nDPI states, hosts\) (\d+) MiB\), "
            rf"more than the 1024 MiB its cgroup may use "
            rf"\(memory\.max in {re.escape(folder)}\); lower "
            rf"memory\.size_mb and memory\.mbufs, or raise that "
            rf"memory\.max \(MemoryMax= of a systemd unit\)")
    checks.check(len(folder) > 1024, f"deep cgroup: {len(folder)} bytes")
    expect_limit_message(vigild, path, env, tail, checks, "deep cgroup")


def check_pool_errors(vigild, library, tmp, pcap, pool_mib, checks):
    """A pool DPDK cannot create is reported with rte_errno's cause. The
    packet pool's size in the error must be the check's (<pool_mib>, None
    when the check gave none)."""
    path, flows = write(tmp, "preload", 512, "", "", "", pcap)
    env = dict(os.environ, LD_PRELOAD=library, VG_TEST_POOL_ERRNO="12")
    proc = run(vigild, "-c", path, env=env)
    want = re.compile(
        r"\S+ error capture: size_mb=512 mbufs=16383 "
        r"rte_pktmbuf_pool_create_by_ops\(\) failed: 12 \(Cannot allocate "
        r"memory\): not enough EAL memory is left for the packet pool, "
        rf"which needs {FIGURE}; raise memory\.size_mb or lower "
        r"memory\.mbufs")
    found = [m for m in map(want.fullmatch, proc.stderr.splitlines()) if m]
    checks.check(proc.returncode == 1, f"ENOMEM: exit {proc.returncode}")
    if checks.check(len(found) == 1,
                    f"ENOMEM: no line like {want.pattern!r} in "
                    f"{proc.stderr[-1500:]!r}") and pool_mib is not None:
        checks.check(float(found[0].group(1)) == pool_mib,
                     f"ENOMEM: pool of {found[0].group(1)} MiB, the check "
                     f"counts {pool_mib} MiB")
    checks.check("falling back" not in proc.stderr and
                 "may be missing" not in proc.stderr,
                 f"ENOMEM: blamed on the driver: {proc.stderr[-1500:]!r}")

    env["VG_TEST_POOL_ERRNO"] = "22"
    proc = run(vigild, "-c", path, env=env)
    want = ("warn capture: mempool_ops=stack "
            "rte_pktmbuf_pool_create_by_ops() failed: 22 (Invalid argument), "
            "so the driver is not registered (DPDK's mempool_stack library "
            "may be missing); falling back to the default mempool driver, "
            "which is slower")
    lines = [line.split(" ", 1)[1] for line in proc.stderr.splitlines()
             if " " in line]
    records = vigtest.read_records(flows) if os.path.exists(flows) else []
    checks.check(proc.returncode == 0 and len(records) == 1,
                 f"EINVAL: exit {proc.returncode}, {len(records)} records: "
                 f"{proc.stderr[-1500:]!r}")
    checks.check(want in lines,
                 f"EINVAL: no line {want!r} in {proc.stderr[-1500:]!r}")


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    vigild, library = sys.argv[1], sys.argv[3]
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-eal-memory-") as tmp:
        pcap = os.path.join(tmp, "echo.pcap")
        g.write_pcap(pcap, [(1.0, g.packet("10.0.0.1", "10.0.0.2", 1,
                                           g.icmp_echo(8, 1, 1)))])
        pool_mib = None
        for config in CONFIGS:
            figure = check_config(vigild, tmp, pcap, config, checks)
            if config[0] == "default":
                pool_mib = figure
        check_mbufs_message(vigild, tmp, pcap, checks)
        check_hugepages(vigild, tmp, pcap, checks)
        check_system_memory(vigild, tmp, pcap, checks)
        check_tables_beside_hugepages(vigild, tmp, pcap, checks)
        check_cgroup_limit(vigild, tmp, pcap, checks)
        check_pool_errors(vigild, library, tmp, pcap, pool_mib, checks)
    checks.finish()


if __name__ == "__main__":
    sys.exit(main())
