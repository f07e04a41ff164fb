#!/usr/bin/env python3
"""The example files under deploy/examples pass both programs' checks.

Each file goes through `vigild --check-config` and `vigil-web
--check-config` twice. As shipped, both programs must call it valid and
print nothing but warnings and notes: what this machine lacks (probe-40g's
14 CPUs, the capture file pcap-offline reads) is a warning, and the
folders a start creates (/var/lib/vigil, /run/vigil) are notes. Then a
copy whose folders and files this test controls must give exactly the
expected warnings and notes; for these the free hugepages are read from
a /sys tree the test writes (1200 pages of 2 MiB), so probe-40g's 8192 MiB
of hugepages is a warning on every machine. probe-40g's CPUs also make `--strict` and a
start fail on a machine with fewer than 14 CPUs.

usage: config_examples.py VIGILD VIGIL_WEB SOURCE_ROOT
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

EXAMPLES = ("live-af-packet.yaml", "pcap-offline.yaml", "probe-40g.yaml")


def run(program, *args):
    return subprocess.run([program, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)


def value_at(text, key, nth=0):
    """Line and column (1-based) of the value of the nth `key:` line."""
    found = 0
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(rf"\s*{re.escape(key)}:\s*", line)
        if match:
            if found == nth:
                return number, match.end() + 1
            found += 1
    raise AssertionError(f"{key} not found")


def cpu_warnings(path, text, cpus):
    """The warnings for every lcore CPU of <text> that this machine lacks."""
    want = []
    for key in ("rx", "engine"):
        line, column = value_at(text, key)
        row = text.splitlines()[line - 1]
        for index, match in enumerate(re.finditer(r"\d+", row[column - 1:])):
            cpu = int(match.group())
            if cpu >= cpus:
                want.append(f"vigild: warning: {path}:{line}:"
                            f"{column + match.start()}: lcores.{key}[{index}]"
                            f": CPU {cpu} does not exist (this machine has "
                            f"CPUs 0..{cpus - 1})")
    return want


def verdict(path, warnings):
    if warnings == 0:
        return f"{path}: valid\n"
    plural = "" if warnings == 1 else "s"
    return f"{path}: valid, but not on this machine ({warnings} warning" \
           f"{plural})\n"


def check_shipped(vigild, web, examples, checks):
    """As shipped: valid for both programs, with warnings and notes only."""
    for name in EXAMPLES:
        path = os.path.join(examples, name)
        for program, tag in ((vigild, "vigild"), (web, "vigil-web")):
            proc = run(program, "--check-config", path)
            checks.check(proc.returncode == 0,
                         f"{tag} {name}: exit {proc.returncode}: "
                         f"{proc.stderr}")
            checks.check(proc.stdout.startswith(f"{path}: valid"),
                         f"{tag} {name}: stdout {proc.stdout!r}")
            for line in proc.stderr.splitlines():
                checks.check(line.startswith(f"{tag}: warning: {path}:") or
                             line.startswith(f"{tag}: note: {path}:"),
                             f"{tag} {name}: not a warning or note: {line!r}")


def check_copies(vigild, web, examples, tmp, checks):
    """Copies with known folders: the exact warnings and notes."""
    pcap = os.path.join(tmp, "one.pcap")
    g.write_pcap(pcap, [(1.0, g.packet("10.0.0.1", "10.0.0.2", 1,
                                       g.icmp_echo(8, 1, 1)))])
    state = os.path.join(tmp, "var-lib-vigil")
    run_dir = os.path.join(tmp, "run-vigil")
    cpus = os.cpu_count() or 1
    for name in EXAMPLES:
        with open(os.path.join(examples, name)) as f:
            text = f.read()
        text = text.replace("/var/lib/vigil/capture.pcap", pcap)
        text = text.replace("/var/lib/vigil", state)
        text = text.replace("/run/vigil", run_dir)
        text = text.replace("interface: eth0", "interface: lo")
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)

        want = cpu_warnings(path, text, cpus)
        warnings = len(want)
        line, column = value_at(text, "output")
        want.append(f"vigild: note: {path}:{line}:{column}: flows.output: "
                    f"directory '{state}' does not exist; vigild creates "
                    f"it at start")
        line, column = value_at(text, "vigild_socket")
        want.append(f"vigild: note: {path}:{line}:{column}: "
                    f"web.vigild_socket: directory '{run_dir}' does not "
                    f"exist; vigild creates it at start")
        if "hugepages: true" in text:
            line, column = value_at(text, "size_mb")
            size = int(re.search(r"size_mb: (\d+)", text).group(1))
            want.append(f"vigild: warning: {path}:{line}:{column}: "
                        f"memory.size_mb: EAL reserves {size} MiB of "
                        f"hugepages at start, but this machine has 2400 MiB "
                        f"free (1200 pages of 2 MiB); reserve more "
                        f"hugepages (vigil-hugepages reserve) or lower "
                        f"memory.size_mb")
            warnings += 1
        proc = run(vigild, "--check-config", path)
        checks.check(proc.returncode == 0,
                     f"vigild {name}: exit {proc.returncode}")
        checks.check(proc.stderr.splitlines() == want,
                     f"vigild {name}: stderr {proc.stderr!r}, expected "
                     f"{want!r}")
        checks.check(proc.stdout == verdict(path, warnings),
                     f"vigild {name}: stdout {proc.stdout!r}")
        # --check-config writes nothing.
        checks.check(not os.path.exists(state) and
                     not os.path.exists(run_dir),
                     f"vigild {name}: --check-config created a folder")

        line, column = value_at(text, "data_dir")
        want = [f"vigil-web: note: {path}:{line}:{column}: web.data_dir: "
                f"directory '{state}/web' does not exist; vigil-web "
                f"creates it at start"]
        proc = run(web, "--check-config", path)
        checks.check(proc.returncode == 0 and
                     proc.stdout == f"{path}: valid\n",
                     f"vigil-web {name}: exit {proc.returncode}: "
                     f"{proc.stdout!r}")
        checks.check(proc.stderr.splitlines() == want,
                     f"vigil-web {name}: stderr {proc.stderr!r}, expected "
                     f"{want!r}")

        if warnings == 0:
            continue
        # What the warnings mean: --strict, and a start, stop on them.
        proc = run(vigild, "--check-config", path, "--strict")
        last = proc.stderr.splitlines()[-1] if proc.stderr else ""
        checks.check(proc.returncode == 1 and proc.stdout == "" and
                     last == f"vigild: {path}: not valid on this machine "
                             f"({warnings} warnings, --strict)",
                     f"vigild --strict {name}: exit {proc.returncode}: "
                     f"{last!r}")
        first = cpu_warnings(path, text, cpus)[0]
        proc = run(vigild, "-c", path)
        checks.check(proc.returncode == 1 and
                     proc.stderr.strip() ==
                     first.replace("vigild: warning: ", "vigild: "),
                     f"vigild -c {name}: exit {proc.returncode}: "
                     f"{proc.stderr!r}")
        checks.check(not os.path.exists(state),
                     f"vigild -c {name}: created a folder before stopping")


def check_rx_queues_match_comment(examples, checks):
    """probe-40g's opening comment states the rx queues each port has."""
    with open(os.path.join(examples, "probe-40g.yaml")) as f:
        text = f.read()
    comment = " ".join(line[2:] for line in text.splitlines()
                       if line.startswith("# "))
    words = {"one": 1, "two": 2, "three": 3, "four": 4, "eight": 8}
    match = re.search(r"(\w+) RSS queues per port", comment)
    checks.check(match is not None and match.group(1) in words,
                 "probe-40g: the comment gives no RSS queue count")
    queues = [int(n) for n in re.findall(r"rx_queues: (\d+)", text)]
    if match is not None and match.group(1) in words:
        checks.check(queues == [words[match.group(1)]] * 2,
                     f"probe-40g: rx_queues {queues}, the comment says "
                     f"{match.group(1)} per port")


def main():
    vigild, web, source_root = sys.argv[1], sys.argv[2], sys.argv[3]
    checks = vigtest.Checks()
    examples = os.path.join(source_root, "deploy", "examples")
    checks.check(sorted(os.listdir(examples)) == list(EXAMPLES),
                 f"examples: {sorted(os.listdir(examples))}")
    check_shipped(vigild, web, examples, checks)
    with tempfile.TemporaryDirectory(prefix="vigil-examples-") as tmp:
        sysfs = os.path.join(tmp, "sys")
        pages = os.path.join(sysfs, "kernel", "mm", "hugepages",
                             "hugepages-2048kB")
        os.makedirs(pages)
        with open(os.path.join(pages, "free_hugepages"), "w") as f:
            f.write("1200\n")
        os.environ["VIGIL_SYSFS"] = sysfs
        check_copies(vigild, web, examples, tmp, checks)
    check_rx_queues_match_comment(examples, checks)
    checks.finish()


if __name__ == "__main__":
    main()
