#!/usr/bin/env python3
"""Sums meson test logs into one closing line: "N passed, N failed".

usage: summary.py TESTLOG.json...

Skipped tests are counted apart, on the line before, with their reasons.
"""
import json
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def main():
    passed = failed = 0
    skipped = []
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            for line in f:
                test = json.loads(line)
                result = test["result"]
                if result in PASSED:
                    passed += 1
                elif result in SKIPPED:
                    reason = (test.get("stdout") or "").strip().splitlines()
                    skipped.append(f"{test['name']} ({reason[-1] if reason else 'skipped'})")
                else:
                    failed += 1
                    print(f"failed: {test['name']} ({result})")
    for name in skipped:
        print(f"skipped: {name}")
    print(f"{passed} passed, {failed} failed")


if __name__ == "__main__":
    main()
