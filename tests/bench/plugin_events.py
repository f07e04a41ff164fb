#!/usr/bin/env python3
"""Plugin events benchmark: flow events per second through one sandbox.

vigil must handle at least 200 000 flow events a second through one
sandbox running five flow scripts. This benchmark measures that rate
through the real transport: vigil-sandbox-drive floods a vigil-sandbox
with EventBatch messages on the shared-memory rings and times it until the
sandbox has taken them all. In the same run it measures the same five
scripts called in-process. vigil-sandbox-inproc-bench loads them with the
same loader and Lua environment and calls the dispatcher directly. It uses
no second process, no rings, no protobuf encoding of events and no
isolation. The ratio of the two rates shows what the transport costs.

Two cases are run, with the JIT off (vigil-sandbox's default) and on: TLS
flows that every script reads and none matches (the common case), then
flows on which two scripts set a status each. Both programs build their
events from the same template the same way: one flow, copied with the flow
id and client port varying. The driver runs on another CPU than the
sandbox, so the transport rate is the sandbox's as long as two CPUs are
free.

Exit status: 0 when the common case with the JIT off meets the floor
through the transport, 3 when it does not, 1 when a run failed or its
counts are wrong, 2 for a command-line error.
"""
import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

from capture import FOREIGN_LOAD_WARNING, LoadMeter  # noqa: E402
from sandbox_common import Checks, Run, data_dir, drive  # noqa: E402

FLOOR = 200_000
RESULT_BYTES = 64 << 20

COMMON = ("hook=protocolDetected l4=TCP client_ip=10.0.0.1 "
          "server_ip=93.184.216.34 server_port=443 l7=TLS.Google "
          "c2s_packets=10 s2c_packets=12 c2s_bytes=1500 s2c_bytes=20000 "
          "retransmissions=0")
# (name, extra template fields, statuses set per event)
CASES = (
    ("no match", "server_name=www.example.com", 0),
    ("two statuses each",
     "server_name=a.watched.example risks=TLS%20Self-signed%20Certificate", 2),
)
JIT_MODES = (("off", []), ("on", ["--jit", "all"]))
LOADED = re.compile(r"loaded plugins=\d+ scripts=(\d+)")


def count_flow_scripts(plugin_dir):
    """Return the number of flow script files under <plugin_dir>."""
    return len(list(Path(plugin_dir).glob("*/*/user_scripts/flow/*.lua")))


def load_average():
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def run_transport(args, plugin_dir, template, jit_args, checks, label):
    """Flood one vigil-sandbox through the driver and return its rate line."""
    meter = LoadMeter()
    run = drive(str(args.driver), str(args.sandbox), [plugin_dir],
                [f"flood n={args.events} batch={args.batch} {template}"],
                args=jit_args,
                drive_args=["--result-bytes", str(RESULT_BYTES)],
                timeout=600)
    others = meter.foreign_cpus()
    rate = run.of("rate")
    if not checks.check(rate and rate[0]["synced"],
                        f"{label}, transport: flood did not finish "
                        f"(stderr: {run.stderr[-500:]!r})"):
        return None
    loaded = LOADED.search(run.stderr)
    checks.equal(int(loaded.group(1)) if loaded else None,
                 args.flow_scripts, f"{label}, transport: scripts loaded")
    checks.equal(len(run.of("error")), 0,
                 f"{label}, transport: error lines, load errors included")
    return dict(rate[0], others=others)


def run_inproc(args, plugin_dir, template, jit_args, checks, label):
    """Run the same hooks in-process and return the rate line."""
    command = [str(args.inproc), "--plugins", plugin_dir, *jit_args,
               "--result-bytes", str(RESULT_BYTES),
               f"n={args.events}", f"batch={args.batch}", *template.split()]
    meter = LoadMeter()
    proc = subprocess.run(command, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True,
                          errors="replace", timeout=600)
    others = meter.foreign_cpus()
    run = Run(proc.stdout, proc.stderr, proc.returncode)
    rate = run.of("rate")
    if not checks.check(proc.returncode == 0 and rate,
                        f"{label}, in-process: exit {proc.returncode} "
                        f"(stderr: {proc.stderr[-500:]!r})"):
        return None
    r = rate[0]
    checks.equal(r["flow_scripts"], args.flow_scripts,
                 f"{label}, in-process: flow scripts loaded")
    checks.equal(r["load_errors"], 0, f"{label}, in-process: load errors")
    checks.equal(r["result_batches_dropped"], 0,
                 f"{label}, in-process: result batches dropped")
    return dict(r, others=others)


def check_counts(checks, label, run, events, statuses_per_event):
    checks.equal(run["events"], events, f"{label}: events")
    checks.equal(run["errors"], 0, f"{label}: plugin errors")
    checks.equal(run["statuses"], statuses_per_event * events,
                 f"{label}: statuses")


def faster(best, run):
    """Return whichever of two rate lines (either may be None) is faster."""
    if best is None or (run is not None and
                        run["events_per_sec"] > best["events_per_sec"]):
        return run
    return best


def measure(args, checks):
    """Run every case both ways and return one row per (case, JIT mode).

    With --repeat N each row keeps the fastest of N runs of each path,
    which are interleaved so that both see the same background load.
    Every run is checked, not only the fastest.
    """
    plugin_dir = data_dir(str(args.source_root), "bench")
    args.flow_scripts = count_flow_scripts(plugin_dir)
    rows = []
    for jit, jit_args in JIT_MODES:
        for name, extra, statuses in CASES:
            label = f"{name}, JIT {jit}"
            template = f"{COMMON} {extra}"
            transport = inproc = None
            for _ in range(args.repeat):
                runs = (("transport", run_transport(args, plugin_dir,
                                                    template, jit_args,
                                                    checks, label)),
                        ("in-process", run_inproc(args, plugin_dir, template,
                                                  jit_args, checks, label)))
                for path_name, run in runs:
                    if run is not None:
                        check_counts(checks, f"{label}, {path_name}", run,
                                     args.events, statuses)
                transport = faster(transport, runs[0][1])
                inproc = faster(inproc, runs[1][1])
            rows.append({"case": name, "jit": jit, "transport": transport,
                         "inproc": inproc})
    return rows


def rate_of(run):
    return run["events_per_sec"] if run else None


def print_report(args, rows, load_before, load_after):
    best = f", fastest of {args.repeat} runs" if args.repeat > 1 else ""
    print(f"plugin events per second: one sandbox, {args.flow_scripts} flow "
          f"scripts, {args.events:,} events in batches of {args.batch}{best}")
    print(f"  {'case':<18} {'JIT':<4} {'transport':>10} {'in-process':>11} "
          f"{'ratio':>6} {'ns/event':>9}  others")
    busiest = 0.0
    for row in rows:
        t, i = rate_of(row["transport"]), rate_of(row["inproc"])
        cells = [f"{t:>10,.0f}" if t else f"{'failed':>10}",
                 f"{i:>11,.0f}" if i else f"{'failed':>11}"]
        if t and i:
            cells += [f"{t / i:>6.2f}", f"{1e9 / t - 1e9 / i:>9.0f}"]
        else:
            cells += [f"{'-':>6}", f"{'-':>9}"]
        others = [run["others"] for run in (row["transport"], row["inproc"])
                  if run]
        busiest = max([busiest, *others])
        print(f"  {row['case']:<18} {row['jit']:<4} {' '.join(cells)}  "
              + " / ".join(f"{o:.2f}" for o in others))
    print("  ratio: transport / in-process; ns/event: what the transport "
          "adds to each event (1e9/transport - 1e9/in-process)")
    print("  others: CPUs' worth of time other processes used during the "
          "transport / in-process run")
    print(f"  load average (1, 5, 15 min): {load_before} before, "
          f"{load_after} after")
    if busiest > FOREIGN_LOAD_WARNING:
        print(f"  WARNING: other processes used up to {busiest:.2f} CPUs "
              "during the runs; the rates are lower than on an idle machine "
              "and the ratios are not reliable")


def check_floor(rows):
    """Print the floor line and return True when the floor is met."""
    row = next(r for r in rows if r["case"] == "no match" and r["jit"] == "off")
    rate = rate_of(row["transport"])
    met = rate is not None and rate >= FLOOR
    rate_text = f"{rate:,.0f}" if rate is not None else "failed"
    print(f"  floor: no match, JIT off, through the transport: {rate_text} "
          f"events/s, floor {FLOOR:,}: {'met' if met else 'MISSED'}")
    return met


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Measure flow events per second through one "
                    "vigil-sandbox and through the same plugin hooks called "
                    "in-process, and check the 200 000 events/s floor.")
    parser.add_argument("--driver", type=Path, required=True,
                        help="vigil-sandbox-drive")
    parser.add_argument("--sandbox", type=Path, required=True,
                        help="vigil-sandbox")
    parser.add_argument("--inproc", type=Path, required=True,
                        help="vigil-sandbox-inproc-bench")
    parser.add_argument("--source-root", type=Path,
                        default=HERE.parent.parent,
                        help="vigil's source tree, for the benchmark plugins "
                             "(default: %(default)s)")
    parser.add_argument("--events", type=int, default=500_000,
                        help="flow events per run (default: %(default)s)")
    parser.add_argument("--batch", type=int, default=256,
                        help="flow events per batch (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each path per case, of which the "
                             "fastest is reported (default: %(default)s)")
    parser.add_argument("--json", type=Path,
                        help="also write the figures to this JSON file")

    args = parser.parse_args(argv)
    for program in (args.driver, args.sandbox, args.inproc):
        if not os.access(program, os.X_OK):
            parser.error(f"{program}: not found or not executable")
    if args.events < 1 or args.repeat < 1 or not 1 <= args.batch <= 1 << 20:
        parser.error("--events and --repeat must be at least 1, and --batch "
                     "1..1048576")
    return args


def main(argv):
    args = parse_args(argv)
    checks = Checks()
    load_before = load_average()
    rows = measure(args, checks)
    load_after = load_average()

    print_report(args, rows, load_before, load_after)
    met = check_floor(rows)
    if args.json:
        args.json.write_text(json.dumps(
            {"events": args.events, "batch": args.batch,
             "repeat": args.repeat, "floor": FLOOR,
             "floor_met": met, "load_before": load_before,
             "load_after": load_after, "rows": rows}, indent=2) + "\n",
            encoding="utf-8")
    print(f"{checks.passed} checks passed, {checks.failed} failed")
    if checks.failed:
        return 1
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
