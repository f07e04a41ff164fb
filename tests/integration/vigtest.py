"""Shared helpers for vigil's integration tests.

The tests run the real vigild on real captures. They take the paths of the
built programs and of the source tree on the command line, as meson passes
them, and exit 77 (meson's "skipped") when something they need, such as the
reference corpus beside the source tree, is absent.
"""
import concurrent.futures
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def corpus_dir(source_root):
    """Return the nDPI 4.2 reference corpus folder, or skip the test."""
    path = os.path.join(source_root, "..", "shared", "corpus", "ndpi-4.2")
    if not os.path.isdir(os.path.join(path, "pcap")):
        skip(f"reference corpus not found at {os.path.normpath(path)}")
    return os.path.normpath(path)


def corpus_args(corpus):
    """Return vigild options that load the corpus's nDPI files, as ndpiReader's
    tests do, with the timeouts that match ndpiReader's file mode."""
    config = os.path.join(corpus, "config")
    args = []
    for option, name in (("--protos", "protos.txt"),
                         ("--categories", "categories.txt"),
                         ("--risky-domains", "risky_domains.txt"),
                         ("--ja3", "ja3_fingerprints.csv"),
                         ("--sha1", "sha1_fingerprints.csv")):
        path = os.path.join(config, name)
        if os.path.exists(path):
            args += [option, path]
    # ndpiReader 4.2 never ends a flow early when it reads a file.
    return args + ["--idle-timeout", "315360000", "--active-timeout", "0"]


def run_vigild(vigild, capture, flows, extra=(), timeout=300):
    """Run vigild on one capture; return (exit status, stderr text)."""
    cmd = [vigild, "--pcap", capture, "--flows", flows, *extra]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, text=True, errors="replace")
    return proc.returncode, proc.stderr


def run_many(jobs, workers=2):
    """Run (name, callable) pairs on a thread pool; return {name: result}."""
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(fn): name for name, fn in jobs}
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()
    return results


def read_records(path):
    """Return the flow records of a JSON Lines file, failing on a bad line."""
    records = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise AssertionError(f"{path}:{number}: invalid JSON: {err}")
    return records



def run_unprivileged(script, args):
    """Run the Python script <script> with <args> as a user without root.

    As root, the script is copied to the temporary folder and run as
    nobody; otherwise it runs as the current user. Returns the finished
    process, or None (with the reason printed) when there is no user
    nobody or no /usr/bin/python3 to run it with.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VIGIL_")}
    python = "/usr/bin/python3"
    user = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("nobody").pw_uid
        except KeyError:
            print("not root: no user nobody to run as; case skipped")
            return None
        if not os.access(python, os.X_OK):
            print(f"not root: {python} missing; case skipped")
            return None
        copy = os.path.join(tempfile.gettempdir(),
                            f"{os.path.basename(script)}-test-{os.getpid()}")
        shutil.copy(script, copy)
        os.chmod(copy, 0o755)
        script = copy
    else:
        python = sys.executable
    try:
        return subprocess.run([python, script, *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=60, env=env, user=user)
    finally:
        if user is not None:
            os.unlink(script)

class Checks:
    """Counts named checks and prints one line per failure."""

    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}")
        return ok

    def finish(self):
        print(f"{self.passed} checks passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)
