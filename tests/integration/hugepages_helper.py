#!/usr/bin/env python3
"""deploy/vigil-hugepages against fake /sys and /proc trees.

Every case runs the helper with VIGIL_SYSFS and VIGIL_PROCFS pointing at
a tree this test writes, and VIGIL_MOUNT at a stand-in for mount(8) that
records its arguments, so the machine's hugepages and mounts are never
touched. The one case that runs against the real /sys runs as the user
nobody (when the test runs as root), which cannot write there.

usage: hugepages_helper.py SOURCE_ROOT
"""
import importlib.machinery
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigtest  # noqa: E402

GIB = 1048576  # kB


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def read(path):
    with open(path) as f:
        return f.read()


class Tree:
    """A fake machine: two NUMA nodes, 2 MiB pages, optionally 1 GiB."""

    def __init__(self, root, available_kb=8 * GIB, node_free_kb=(4 * GIB,
                 4 * GIB), sizes=(2048,), mounts=""):
        self.sys = os.path.join(root, "sys")
        self.proc = os.path.join(root, "proc")
        self.mount_log = os.path.join(root, "mount.log")
        for kb in sizes:
            folder = self.global_folder(kb)
            write(os.path.join(folder, "nr_hugepages"), "0\n")
            write(os.path.join(folder, "free_hugepages"), "0\n")
            for node in range(len(node_free_kb)):
                folder = self.node_folder(node, kb)
                write(os.path.join(folder, "nr_hugepages"), "0\n")
                write(os.path.join(folder, "free_hugepages"), "0\n")
        for node, free in enumerate(node_free_kb):
            write(os.path.join(self.sys, "devices", "system", "node",
                               f"node{node}", "meminfo"),
                  f"Node {node} MemTotal:       {free * 2} kB\n"
                  f"Node {node} MemFree:        {free} kB\n")
        write(os.path.join(self.proc, "meminfo"),
              f"MemTotal:       {available_kb * 2} kB\n"
              f"MemFree:        {available_kb} kB\n"
              f"MemAvailable:   {available_kb} kB\n"
              f"Hugepagesize:       2048 kB\n")
        write(os.path.join(self.proc, "mounts"),
              "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n" +
              mounts)
        # mount(8)'s stand-in: records its arguments, fails on request.
        self.mount = os.path.join(root, "fake-mount")
        write(self.mount, "#!/bin/sh\n"
              f"echo \"$@\" >> '{self.mount_log}'\n"
              "if [ -n \"$FAKE_MOUNT_FAIL\" ]; then\n"
              "  echo 'mount: permission denied' >&2; exit 32\n"
              "fi\n")
        os.chmod(self.mount, 0o755)

    def global_folder(self, kb):
        return os.path.join(self.sys, "kernel", "mm", "hugepages",
                            f"hugepages-{kb}kB")

    def node_folder(self, node, kb):
        return os.path.join(self.sys, "devices", "system", "node",
                            f"node{node}", "hugepages", f"hugepages-{kb}kB")

    def set_count(self, folder, total, free=None):
        write(os.path.join(folder, "nr_hugepages"), f"{total}\n")
        write(os.path.join(folder, "free_hugepages"),
              f"{total if free is None else free}\n")

    def count(self, folder):
        return read(os.path.join(folder, "nr_hugepages")).strip()

    def env(self, **extra):
        env = dict(os.environ, VIGIL_SYSFS=self.sys, VIGIL_PROCFS=self.proc,
                   VIGIL_MOUNT=self.mount)
        env.update(extra)
        return env


def run(helper, tree, *args, **extra):
    return subprocess.run([sys.executable, helper, *args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60, env=tree.env(**extra))


def check_show(helper, tmp, checks):
    tree = Tree(os.path.join(tmp, "show"), sizes=(2048, GIB),
                mounts="nodev /dev/hugepages hugetlbfs rw,relatime,"
                       "pagesize=2M 0 0\n"
                       "nodev /mnt/huge\\0401g hugetlbfs rw,pagesize=1024M "
                       "0 0\n")
    tree.set_count(tree.global_folder(2048), 1024, 1000)
    tree.set_count(tree.node_folder(0, 2048), 512, 500)
    tree.set_count(tree.node_folder(1, 2048), 512, 500)
    proc = run(helper, tree, "show")
    checks.check(proc.returncode == 0,
                 f"show: exit {proc.returncode}: {proc.stderr}")
    want = ["page size  node  total  free  mounted on",
            "2 MiB      all   1024   1000  /dev/hugepages",
            "2 MiB      0     512    500",
            "2 MiB      1     512    500",
            "1 GiB      all   0      0     /mnt/huge 1g",
            "1 GiB      0     0      0",
            "1 GiB      1     0      0",
            "memory available: 8192 MiB"]
    checks.check(proc.stdout.splitlines() == want,
                 f"show: output {proc.stdout.splitlines()!r}, expected "
                 f"{want!r}")


def check_reserve(helper, tmp, checks):
    tree = Tree(os.path.join(tmp, "reserve"))
    proc = run(helper, tree, "reserve", "1024")
    checks.check(proc.returncode == 0,
                 f"reserve 1024: exit {proc.returncode}: {proc.stderr}")
    checks.check(tree.count(tree.global_folder(2048)) == "1024",
                 f"reserve 1024: nr_hugepages "
                 f"{tree.count(tree.global_folder(2048))!r}")
    checks.check(proc.stdout == "machine: 1024 2 MiB pages reserved\n",
                 f"reserve 1024: output {proc.stdout!r}")
    checks.check(tree.count(tree.node_folder(0, 2048)) == "0",
                 "reserve 1024: a node's count changed")

    proc = run(helper, tree, "reserve", "256", "--node", "0,1",
               "--size", "2M")
    checks.check(proc.returncode == 0,
                 f"reserve --node 0,1: exit {proc.returncode}: "
                 f"{proc.stderr}")
    for node in (0, 1):
        checks.check(tree.count(tree.node_folder(node, 2048)) == "256",
                     f"reserve --node 0,1: node {node} has "
                     f"{tree.count(tree.node_folder(node, 2048))!r}")
    checks.check(proc.stdout == "node 0: 256 2 MiB pages reserved\n"
                                "node 1: 256 2 MiB pages reserved\n",
                 f"reserve --node 0,1: output {proc.stdout!r}")

    # Releasing needs no free memory.
    tree = Tree(os.path.join(tmp, "release"), available_kb=0)
    tree.set_count(tree.global_folder(2048), 64)
    proc = run(helper, tree, "reserve", "0")
    checks.check(proc.returncode == 0 and
                 tree.count(tree.global_folder(2048)) == "0",
                 f"reserve 0: exit {proc.returncode}, nr_hugepages "
                 f"{tree.count(tree.global_folder(2048))!r}: {proc.stderr}")


def check_reserve_rejected(helper, tmp, checks):
    """Rejected requests exit 1, print the reason and write nothing."""
    # 4096 more 2 MiB pages need 8192 MiB; 6144 MiB are available.
    tree = Tree(os.path.join(tmp, "short"), available_kb=6 * GIB)
    proc = run(helper, tree, "reserve", "4096")
    want = ("vigil-hugepages: not enough free memory: 4096 more 2 MiB pages "
            "need 8192 MiB, 6144 MiB is free; reserve fewer pages, free "
            "memory, or reserve them at boot (hugepages= on the kernel "
            "command line)\n")
    checks.check(proc.returncode == 1,
                 f"short memory: exit {proc.returncode}")
    checks.check(proc.stderr == want, f"short memory: {proc.stderr!r}")
    checks.check(tree.count(tree.global_folder(2048)) == "0",
                 "short memory: nr_hugepages was written")

    # Node 1 lacks memory: node 0, checked first, is not written either.
    tree = Tree(os.path.join(tmp, "node-short"),
                node_free_kb=(4 * GIB, GIB // 2))
    proc = run(helper, tree, "reserve", "512", "--node", "0,1")
    checks.check(proc.returncode == 1,
                 f"node short: exit {proc.returncode}")
    checks.check("not enough free memory on node 1: 512 more 2 MiB pages "
                 "need 1024 MiB, 512 MiB is free" in proc.stderr,
                 f"node short: {proc.stderr!r}")
    checks.check(tree.count(tree.node_folder(0, 2048)) == "0",
                 "node short: node 0 was written before node 1 was checked")

    cases = [
        ("unknown node", ["reserve", "8", "--node", "2"], 1,
         "vigil-hugepages: NUMA node 2 not found (nodes with hugepages: "
         "0, 1)\n"),
        ("size not offered", ["reserve", "8", "--size", "1G"], 1,
         "vigil-hugepages: this machine has no 1 GiB hugepages (page sizes "
         "offered: 2 MiB)\n"),
        ("invalid size", ["reserve", "8", "--size", "3X"], 2,
         "--size: expected 2M or 1G, got '3X'"),
        ("invalid node", ["reserve", "8", "--node", "zero"], 2,
         "--node: expected node numbers such as 0,1, got 'zero'"),
        ("negative count", ["reserve", "--", "-4"], 2,
         "COUNT must be 0 or more, got -4"),
        ("count not a number", ["reserve", "many"], 2,
         "invalid int value: 'many'"),
        ("no command", [], 2, "the following arguments are required"),
    ]
    for name, args, status, message in cases:
        tree = Tree(os.path.join(tmp, name.replace(" ", "-")))
        proc = run(helper, tree, *args)
        checks.check(proc.returncode == status,
                     f"{name}: exit {proc.returncode}, expected {status}: "
                     f"{proc.stderr!r}")
        checks.check(message in proc.stderr,
                     f"{name}: {proc.stderr!r} lacks {message!r}")
        checks.check(tree.count(tree.global_folder(2048)) == "0" and
                     tree.count(tree.node_folder(0, 2048)) == "0",
                     f"{name}: a count was written")

    tree = Tree(os.path.join(tmp, "no-meminfo"))
    os.unlink(os.path.join(tree.proc, "meminfo"))
    proc = run(helper, tree, "reserve", "8")
    checks.check(proc.returncode == 1 and
                 proc.stderr.startswith("vigil-hugepages: cannot read "
                                        f"{tree.proc}/meminfo: "),
                 f"no meminfo: exit {proc.returncode}: {proc.stderr!r}")


def load_helper(helper):
    loader = importlib.machinery.SourceFileLoader("vigil_hugepages", helper)
    spec = importlib.util.spec_from_loader("vigil_hugepages", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def check_partial(helper, tmp, checks):
    """The kernel grants fewer pages than written: the helper reports it.

    A fake tree cannot cap a write, so this case runs the helper's
    main() in this process with a write_count() that stores at most 300.
    """
    tree = Tree(os.path.join(tmp, "partial"))
    module = load_helper(helper)
    original = module.write_count

    def kernel_caps_at_300(path, count):
        original(path, min(count, 300))

    module.write_count = kernel_caps_at_300
    saved = dict(os.environ)
    os.environ.update(tree.env())
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            status = module.main(["reserve", "512"])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    checks.check(status == 1, f"partial: status {status}")
    checks.check(out.getvalue() == "machine: 300 2 MiB pages reserved\n",
                 f"partial: output {out.getvalue()!r}")
    checks.check(err.getvalue().startswith(
        "vigil-hugepages: not all 2 MiB pages were reserved (machine: 300 of "
        "512): the kernel found no more free contiguous memory."),
        f"partial: {err.getvalue()!r}")


def check_mount(helper, tmp, checks):
    tree = Tree(os.path.join(tmp, "mounted"),
                mounts="nodev /dev/hugepages hugetlbfs rw,relatime,"
                       "pagesize=2M 0 0\n")
    proc = run(helper, tree, "mount")
    checks.check(proc.returncode == 0 and proc.stdout ==
                 "/dev/hugepages: hugetlbfs with 2 MiB pages is mounted "
                 "already\n",
                 f"mounted: exit {proc.returncode}: {proc.stdout!r} "
                 f"{proc.stderr!r}")
    checks.check(not os.path.exists(tree.mount_log),
                 "mounted: mount ran although hugetlbfs is mounted")

    tree = Tree(os.path.join(tmp, "other-size"), sizes=(2048, GIB),
                mounts="nodev /dev/hugepages hugetlbfs rw 0 0\n")
    proc = run(helper, tree, "mount", "--size", "1G", "--dir",
               "/dev/hugepages")
    checks.check(proc.returncode == 1 and proc.stderr ==
                 "vigil-hugepages: /dev/hugepages: hugetlbfs with 2 MiB "
                 "pages is mounted there; give another --dir for 1 GiB "
                 "pages\n",
                 f"other size: exit {proc.returncode}: {proc.stderr!r}")

    tree = Tree(os.path.join(tmp, "new-mount"), sizes=(2048, GIB))
    target = os.path.join(tmp, "new-mount", "huge-1g")
    proc = run(helper, tree, "mount", "--size", "1G", "--dir", target)
    checks.check(proc.returncode == 0,
                 f"new mount: exit {proc.returncode}: {proc.stderr}")
    checks.check(os.path.isdir(target), "new mount: mount point not made")
    log = read(tree.mount_log) if os.path.exists(tree.mount_log) else ""
    checks.check(log == f"-t hugetlbfs -o pagesize=1G nodev {target}\n",
                 f"new mount: mount arguments {log!r}")

    proc = run(helper, tree, "mount", "--dir", target, FAKE_MOUNT_FAIL="1")
    checks.check(proc.returncode == 1 and proc.stderr ==
                 f"vigil-hugepages: mount of hugetlbfs on {target} failed "
                 "(exit 32): mount: permission denied\n",
                 f"mount fails: exit {proc.returncode}: {proc.stderr!r}")

    blocker = os.path.join(tmp, "new-mount", "a-file")
    write(blocker, "")
    proc = run(helper, tree, "mount", "--dir", blocker)
    checks.check(proc.returncode == 1 and proc.stderr ==
                 f"vigil-hugepages: {blocker} exists and is not a "
                 "directory\n",
                 f"mount on a file: exit {proc.returncode}: {proc.stderr!r}")


def check_not_root(helper, checks):
    """Without root the helper leaves the real /sys alone and prints why.

    As root, the helper runs as nobody, who cannot write /sys either, so
    the real reservation stays as it is whatever the helper does.
    """
    proc = vigtest.run_unprivileged(helper, ["reserve", "1"])
    if proc is None:
        return
    checks.check(proc.returncode == 1 and proc.stderr ==
                 "vigil-hugepages: reserving hugepages needs root; run it "
                 "with sudo or as root\n",
                 f"not root: exit {proc.returncode}: {proc.stderr!r}")


def main():
    helper = os.path.join(sys.argv[1], "deploy", "vigil-hugepages")
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-hugepages-") as tmp:
        check_show(helper, tmp, checks)
        check_reserve(helper, tmp, checks)
        check_reserve_rejected(helper, tmp, checks)
        check_partial(helper, tmp, checks)
        check_mount(helper, tmp, checks)
    check_not_root(helper, checks)
    checks.finish()


if __name__ == "__main__":
    main()
