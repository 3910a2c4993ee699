"""Run every benchmark script in this folder; each writes reports/bench/<area>.md.

Why scripts and not timed tests: speed depends on the machine; the suite checks correctness,
``make bench`` records numbers (2 cores, 24 GiB here) for people to compare.
Usage: ``python tests/bench/run_all.py [--quick] [--only forecast,optimize]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, minutes not tens")
    ap.add_argument("--only", default="", help="comma-separated areas, e.g. forecast,optimize")
    args = ap.parse_args()
    only = {a.strip() for a in args.only.split(",") if a.strip()}
    scripts = sorted(HERE.glob("bench_*.py"))
    failed = []
    for s in scripts:
        area = s.stem.removeprefix("bench_")
        if only and area not in only:
            continue
        t = time.perf_counter()
        print(f"== {area}", flush=True)
        cmd = [sys.executable, str(s)] + (["--quick"] if args.quick else [])
        rc = subprocess.call(cmd, cwd=HERE.parents[1])
        print(f"== {area}: exit {rc} in {time.perf_counter() - t:.0f} s", flush=True)
        if rc:
            failed.append(area)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
