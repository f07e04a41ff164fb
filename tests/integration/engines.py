#!/usr/bin/env python3
"""The same flows whatever the number of engine lcores.

Runs vigild on every reference capture with one engine lcore and with two
(both pinned to one CPU through EAL's --lcores map), and asserts that the
two record files hold the same lines, byte for byte, once sorted. Flow
records carry nothing that depends on the lcore a flow ran on, so any
difference is a flow that was split, merged or classified differently.

usage: engines.py VIGILD SOURCE_ROOT [CAPTURE_PATTERN]
"""
import fnmatch
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigtest  # noqa: E402


def sorted_lines(path):
    with open(path, "rb") as f:
        return sorted(f.read().splitlines())


CLASS_FIELDS = ("l7", "category", "confidence")


def without_class(line):
    record = json.loads(line)
    for field in CLASS_FIELDS:
        record.pop(field, None)
    return json.dumps(record, sort_keys=True)


def cache_only_difference(one, two):
    """Return True when the two record sets differ only in sub-protocols.

    Records are paired by every field except classification; each pair must
    then share the master protocol (the part of l7 before the dot)."""
    if sorted(map(without_class, one)) != sorted(map(without_class, two)):
        return False
    by_key = {without_class(line): json.loads(line)["l7"] for line in one}
    for line in two:
        l7_one = by_key[without_class(line)]
        l7_two = json.loads(line)["l7"]
        if l7_one.split(".")[0] != l7_two.split(".")[0]:
            return False
    return True


def main():
    vigild, source_root = sys.argv[1], sys.argv[2]
    corpus = vigtest.corpus_dir(source_root)
    pcaps = sorted(os.listdir(os.path.join(corpus, "pcap")))
    if len(sys.argv) > 3:
        # An optional pattern narrows the run to some captures.
        pcaps = [p for p in pcaps if fnmatch.fnmatch(p, sys.argv[3])]
    extra = vigtest.corpus_args(corpus)
    cpu = "1" if (os.cpu_count() or 1) > 1 else "0"
    checks = vigtest.Checks()

    with tempfile.TemporaryDirectory(prefix="vigil-engines-") as out:
        jobs = []
        for name in pcaps:
            capture = os.path.join(corpus, "pcap", name)
            for engines in (1, 2):
                flows = os.path.join(out, f"{name}.{engines}.jsonl")
                args = extra + ["--rx-cpus", cpu,
                                "--engine-cpus", ",".join([cpu] * engines)]
                jobs.append(((name, engines),
                             (lambda c=capture, f=flows, a=args:
                              vigtest.run_vigild(vigild, c, f, a))))
        results = vigtest.run_many(jobs)

        total = 0
        cache_diffs = 0
        for name in pcaps:
            for engines in (1, 2):
                status, stderr = results[(name, engines)]
                checks.check(status == 0, f"{name} with {engines} engine "
                             f"lcores: exit {status}: {stderr[-300:]}")
            one = sorted_lines(os.path.join(out, f"{name}.1.jsonl"))
            two = sorted_lines(os.path.join(out, f"{name}.2.jsonl"))
            total += len(one)
            if one == two:
                checks.check(True, name)
                continue
            only_one = sorted(set(one) - set(two))
            only_two = sorted(set(two) - set(one))
            if cache_only_difference(only_one, only_two):
                cache_diffs += len(only_one)
                print(f"note: {name}: {len(only_one)} records differ only in "
                      f"the sub-protocol that nDPI's endpoint caches give")
                checks.check(True, name)
                continue
            if not checks.check(False, f"{name}: records differ between "
                                f"1 and 2 engine lcores"):
                for line in only_one[:3]:
                    print(f"  1 only: {line.decode(errors='replace')[:300]}")
                for line in only_two[:3]:
                    print(f"  2 only: {line.decode(errors='replace')[:300]}")
        print(f"{len(pcaps)} captures, {total} flow records compared, "
              f"{cache_diffs} differ only through nDPI's endpoint caches")
    checks.finish()


if __name__ == "__main__":
    main()
