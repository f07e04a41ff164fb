#!/usr/bin/env python3
"""vigild with its alert database and rrd folder on a full disk.

Each case mounts a small tmpfs, so the test needs root; it is skipped
otherwise. The capture and plugin are those of alerts.py: every flow
raises a flow alert, a flow to port 5001 engages a host alert for its
client, and a flow to port 5002 engages and releases one.

Cases, one per meson test:
  alerts_recover  the disk is filled once the database is open and freed
                  after a write failed: the database ends with the same
                  rows as a run on a free disk, nothing is lost, exit 0.
  alerts_lost     the disk stays full: stored and lost counters add up to
                  what was queued, the rows match the stored counters,
                  and vigild exits 4 with a last line naming the loss.
  timeseries      the rrd folder is full from the start: the errors name
                  the cause, a summary line counts the files, exit 4.

usage: disk_full.py VIGILD SOURCE_ROOT CASE
"""
import errno
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import alerts as a  # noqa: E402
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

EXIT_OUTPUT_LOST = 4
HOSTS = 12


def capture(path):
    """Write the capture; return the alerts the plugin raises for it."""
    frames = a.exchange("10.6.1.1", 40000, 6000, a.T0)
    for k in range(HOSTS):
        client = f"10.6.0.{k + 1}"
        port = 5002 if k % 3 == 0 else 5001
        t = a.T0 + 2 + k * 0.5
        frames += a.exchange(client, 41000 + k, port, t)
        frames += a.exchange(client, 42000 + k, 6000, t + 0.1)
    frames += a.exchange("10.6.1.1", 40001, 6000, a.T0 + 10)
    g.write_pcap(path, frames)
    released = len([k for k in range(HOSTS) if k % 3 == 0])
    return {"flow": 2 * HOSTS + 2, "engaged": HOSTS - released,
            "released": released}


def mount_tmpfs(path, size):
    os.makedirs(path)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}",
                           "tmpfs", path], stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        vigtest.skip(f"mount -t tmpfs failed: {proc.stderr.strip()}")


def fill(folder):
    """Fill the file system of <folder>; return the filler's path."""
    path = os.path.join(folder, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for chunk in (65536, 4096, 1):
            while True:
                try:
                    os.write(fd, b"\0" * chunk)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    return path


def table(db):
    """Return the stored alerts without row ids, sorted."""
    engaged = a.rows(db, "SELECT entity, entity_value, alert_type, count"
                     " FROM engaged_alerts")
    past = a.rows(db, "SELECT entity, entity_value, alert_type, count,"
                  " release_reason, client_ip, client_port, server_port"
                  " FROM past_alerts")
    return sorted(engaged), sorted(past)


class Vigild:
    """A vigild process whose stderr lines are collected as they come."""

    def __init__(self, vigild, config):
        self.proc = subprocess.Popen([vigild, "-c", config],
                                     stderr=subprocess.PIPE, text=True,
                                     errors="replace")
        self.lines = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        for line in self.proc.stderr:
            with self.lock:
                self.lines.append(line)

    def wait_for(self, text, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if any(text in line for line in self.lines):
                    return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return False

    def finish(self, timeout=120):
        status = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return status, "".join(self.lines)


def reference(vigild, tmp, pcap, checks, expected):
    """Run on a free disk; return the stored rows."""
    db = os.path.join(tmp, "free.db")
    config = a.write_config(tmp, "free", pcap,
                            alerts=f"  database: {db}\n  dedup_window: 0\n")
    status, stderr = a.run(vigild, config, os.path.join(tmp, "free.stats"))
    checks.check(status == 0, f"free disk: exit {status}: {stderr[-600:]}")
    engaged, past = table(db)
    flows = [r for r in past if r[0] == 1]
    checks.check(len(flows) == expected["flow"],
                 f"free disk: {len(flows)} flow alerts, expected "
                 f"{expected['flow']}")
    checks.check(len(engaged) == expected["engaged"],
                 f"free disk: {len(engaged)} engaged, expected "
                 f"{expected['engaged']}")
    checks.check(len(past) - len(flows) == expected["released"],
                 f"free disk: {len(past) - len(flows)} released, expected "
                 f"{expected['released']}")
    return engaged, past


def start_full(vigild, tmp, mnt, name, pcap):
    """Start a paced run with its database on <mnt> and fill <mnt>."""
    db = os.path.join(mnt, name + ".db")
    config = a.write_config(tmp, name, pcap, pace=True,
                            alerts=f"  database: {db}\n  dedup_window: 0\n")
    proc = Vigild(vigild, config)
    if not proc.wait_for("alert store started", 30):
        proc.proc.kill()
        _, stderr = proc.finish()
        raise RuntimeError(f"{name}: vigild did not start: {stderr[-800:]}")
    return db, proc, fill(mnt)


def store_sums(store):
    stored = (store["engaged"] + store["engaged_merged"] + store["released"]
              + store["release_unknown"] + store["flow_stored"]
              + store["flow_merged"])
    return stored, store.get("lost", 0)


def alerts_recover(vigild, tmp, checks):
    pcap = os.path.join(tmp, "full.pcap")
    expected = capture(pcap)
    want = reference(vigild, tmp, pcap, checks, expected)
    mnt = os.path.join(tmp, "mnt")
    mount_tmpfs(mnt, "512k")
    try:
        db, proc, filler = start_full(vigild, tmp, mnt, "recover", pcap)
        failed = proc.wait_for("writing alerts to database=", 30)
        checks.check(failed, "full disk: no write failed, the disk never "
                     "filled")
        os.unlink(filler)
        status, stderr = proc.finish()
        checks.check(status == 0, f"recover: exit {status}: {stderr[-800:]}")
        checks.check("cannot rollback" not in stderr,
                     "recover: ROLLBACK of a transaction SQLite had ended")
        checks.check("works again" in stderr,
                     "recover: no line saying the writes work again")
        got = table(db)
        checks.check(got == want, f"recover: rows differ from the free "
                     f"disk run:\n  got  {got}\n  want {want}")
        store = a.final_counters(stderr)
        if checks.check(store is not None, "recover: no store counters"):
            stored, lost = store_sums(store)
            checks.check(lost == 0, f"recover: lost {lost}")
            checks.check(stored == store["queued"],
                         f"recover: stored {stored} != queued "
                         f"{store['queued']}: {store}")
            checks.check(store["flow_stored"] == expected["flow"],
                         f"recover: flow_stored {store['flow_stored']}")
            checks.check(store["engaged"] == expected["engaged"] +
                         expected["released"],
                         f"recover: engaged counter {store['engaged']}")
            print(f"recover: store {store}")
    finally:
        subprocess.run(["umount", mnt])


def alerts_lost(vigild, tmp, checks):
    pcap = os.path.join(tmp, "full.pcap")
    capture(pcap)
    mnt = os.path.join(tmp, "mnt")
    mount_tmpfs(mnt, "512k")
    try:
        db, proc, _ = start_full(vigild, tmp, mnt, "lost", pcap)
        status, stderr = proc.finish()
        checks.check(status == EXIT_OUTPUT_LOST,
                     f"lost: exit {status}, expected {EXIT_OUTPUT_LOST}")
        checks.check("cannot rollback" not in stderr,
                     "lost: ROLLBACK of a transaction SQLite had ended")
        last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        checks.check(re.search(r"lost alerts=[1-9]\d* timeseries_points=0 "
                               r"to write errors .*exit status 4$", last),
                     f"lost: last line {last!r}")
        store = a.final_counters(stderr)
        if not checks.check(store is not None, "lost: no store counters"):
            return
        stored, lost = store_sums(store)
        checks.check(lost > 0, f"lost: nothing counted lost: {store}")
        checks.check(stored + lost == store["queued"],
                     f"lost: stored {stored} + lost {lost} != queued "
                     f"{store['queued']}: {store}")
        engaged, past = table(db)
        flows = len([r for r in past if r[0] == 1])
        checks.check(flows == store["flow_stored"],
                     f"lost: {flows} flow rows, flow_stored "
                     f"{store['flow_stored']}")
        checks.check(len(engaged) + len(past) - flows == store["engaged"],
                     f"lost: {len(engaged)} engaged and {len(past) - flows}"
                     f" released rows, engaged counter {store['engaged']}")
        print(f"lost: store {store}, rows {len(engaged)} engaged, "
              f"{len(past)} past")
    finally:
        subprocess.run(["umount", mnt])


def timeseries(vigild, tmp, checks):
    pcap = os.path.join(tmp, "full.pcap")
    capture(pcap)
    mnt = os.path.join(tmp, "mnt")
    mount_tmpfs(mnt, "200k")
    try:
        rrd = os.path.join(mnt, "rrd")
        os.makedirs(rrd)
        fill(mnt)
        config = os.path.join(tmp, "ts.yaml")
        with open(config, "w") as f:
            f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n"
                    f"flows:\n  output: {os.path.join(tmp, 'ts.jsonl')}\n"
                    f"timeseries:\n  directory: {rrd}\n")
        status, stderr = a.run(vigild, config, os.path.join(tmp, "ts.stats"))
        checks.check(status == EXIT_OUTPUT_LOST,
                     f"timeseries: exit {status}: {stderr[-800:]}")
        reasons = re.findall(r"rrd_create_r2\(\) failed: (.*) \(errors=\d+\)",
                             stderr)
        checks.check(reasons, "timeseries: no rrd_create_r2() error logged")
        checks.check(all("No space left on device" in r for r in reasons),
                     f"timeseries: causes do not name ENOSPC: {reasons[:3]}")
        m = re.search(r"timeseries incomplete in directory=\S+ files not "
                      r"usable=(\d+) points not written=(\d+) .*first "
                      r"error: (.+)", stderr)
        if checks.check(m, "timeseries: no summary line at exit"):
            created = re.search(r"files_failed=(\d+)", stderr)
            checks.check(created and created.group(1) == m.group(1),
                         f"timeseries: summary says {m.group(1)} files, "
                         f"counters {created and created.group(0)}")
            checks.check(int(m.group(2)) > 0,
                         f"timeseries: {m.group(2)} points not written")
            print(f"timeseries: {m.group(0)}")
        last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        checks.check(re.search(r"lost alerts=0 timeseries_points=[1-9]\d* "
                               r"to write errors .*exit status 4$", last),
                     f"timeseries: last line {last!r}")
    finally:
        subprocess.run(["umount", mnt])


def main():
    vigild, case = sys.argv[1], sys.argv[3]
    sandbox = os.path.join(os.path.dirname(os.path.dirname(vigild)),
                           "sandbox", "vigil-sandbox")
    if not os.path.exists(sandbox):
        vigtest.skip(f"vigil-sandbox not built at {sandbox}")
    if os.geteuid() != 0:
        vigtest.skip("mounting a tmpfs needs root")
    checks = vigtest.Checks()
    cases = {"alerts_recover": alerts_recover, "alerts_lost": alerts_lost,
             "timeseries": timeseries}
    with tempfile.TemporaryDirectory(prefix="vigil-disk-full-") as tmp:
        os.chmod(tmp, 0o755)
        cases[case](vigild, tmp, checks)
    checks.finish()


if __name__ == "__main__":
    main()
