#!/usr/bin/env python3
"""vigild against nDPI 4.2's own results on the reference captures.

Runs vigild on every capture of the corpus (the malformed ones included),
asserts that each run exits 0 and writes valid JSON Lines, then compares the
records with ndpiReader's results through the corpus's flowdiff tool and
asserts the floors: at least 99% of reference flows matched by key, and of
those at least 99% with the same L7 protocol, counters and direction.

usage: corpus.py VIGILD SOURCE_ROOT
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigtest  # noqa: E402

FLOOR = 99.0


def main():
    vigild, source_root = sys.argv[1], sys.argv[2]
    corpus = vigtest.corpus_dir(source_root)
    flowdiff = os.path.join(corpus, "..", "..", "tools", "flowdiff")
    if not os.path.exists(flowdiff):
        vigtest.skip(f"flowdiff not found at {flowdiff}")
    pcaps = sorted(os.listdir(os.path.join(corpus, "pcap")))
    checks = vigtest.Checks()
    extra = vigtest.corpus_args(corpus)

    with tempfile.TemporaryDirectory(prefix="vigil-corpus-") as out:
        def job(name):
            capture = os.path.join(corpus, "pcap", name)
            flows = os.path.join(out, name + ".jsonl")
            return lambda: vigtest.run_vigild(vigild, capture, flows, extra)

        results = vigtest.run_many([(n, job(n)) for n in pcaps])
        for name in pcaps:
            status, stderr = results[name]
            checks.check(status == 0,
                         f"{name}: vigild exited {status}: {stderr[-500:]}")
            path = os.path.join(out, name + ".jsonl")
            try:
                vigtest.read_records(path)
                checks.check(True, name)
            except (OSError, AssertionError) as err:
                checks.check(False, f"{name}: {err}")

        diff = subprocess.run([sys.executable, flowdiff, "--dirs", "--quiet",
                               os.path.join(corpus, "result"), out],
                              stdout=subprocess.PIPE, text=True)
        summary = diff.stdout.strip().splitlines()[-1]
        print(summary)
        figures = dict(re.findall(r"(matched|l7|counters|direction) [^(]*?\(?([\d.]+)%", summary))
        for name in ("matched", "l7", "counters", "direction"):
            value = float(figures.get(name, "0"))
            checks.check(value >= FLOOR,
                         f"{name} {value:.2f}% is below the {FLOOR}% floor")
    checks.finish()


if __name__ == "__main__":
    main()
