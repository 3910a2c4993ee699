"""Benchmark of report rendering: time per stage and peak memory, small case and default network.

Why a script and not a test: timings depend on the machine. Writes reports/bench/report.md.

Cases (each rendered in a fresh subprocess, so peak RSS is the render's own):

1. the synthetic test plan (6 sites, 9 corridors incl. one candidate route, 3 years);
2. the default network (``inputs/``, 36 sites, 67 corridors + 7 candidate routes, 5 years): the
   plan directory of ``make run`` (``reports/base``) if it is complete, else ``--plan DIR``, else
   one is made here with the forecast and the optimiser under a short solver time limit
   (60 s; ``--quick``: 20 s) since render time does not depend on how good the plan is.

Usage: ``.venv/bin/python tests/bench/bench_report.py [--quick] [--plan DIR]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "reports" / "bench" / "report.md"


def measure(plan_dir: Path, out_dir: Path) -> dict:
    """Render ``plan_dir`` stage by stage (what ``planner.report.render`` does), timing each."""
    from planner.report import style
    from planner.report.load import load_report_data
    from planner.report.render import FIGURES, build_figures, build_pdf_pages, write_pdf

    c0 = time.process_time()
    t0 = time.perf_counter()
    data = load_report_data(plan_dir)
    t1 = time.perf_counter()
    with style.theme():
        figs = build_figures(data)
        t2 = time.perf_counter()
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in FIGURES:
            figs[name].savefig(out_dir / f"{name}.png", format="png", dpi=style.DPI)
        t3 = time.perf_counter()
        pages = build_pdf_pages(data, figs)
        write_pdf(pages, out_dir / "report.pdf", title="bench", footer="bench")
        t4 = time.perf_counter()
    return {
        "load_s": t1 - t0,
        "figures_s": t2 - t1,
        "png_s": t3 - t2,
        "pdf_s": t4 - t3,
        "total_s": t4 - t0,
        "cpu_s": time.process_time() - c0,
        "pdf_pages": len(pages),
        "pdf_kb": (out_dir / "report.pdf").stat().st_size / 1024,
        "png_kb": sum((out_dir / f"{n}.png").stat().st_size for n in FIGURES) / 1024,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "sites": len(data.inputs.sites),
        "corridors": len(data.corridors),
        "years": len(data.scenario.years),
        "upgrades": len(data.plan.upgrades),
    }


def run_one(plan_dir: Path) -> dict:
    """Measure in a fresh interpreter (imports included in RSS, not in the timings)."""
    with tempfile.TemporaryDirectory() as tmp:
        res = subprocess.run(
            [sys.executable, __file__, "--one", str(plan_dir), tmp],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
    if res.returncode:
        raise SystemExit(f"render of {plan_dir} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def default_plan(quick: bool, given: Path | None, work: Path) -> tuple[Path, str]:
    """A plan directory for the default network and where it came from."""
    if given is not None:
        return given, "given with --plan"
    base = ROOT / "reports" / "base"
    if (base / "summary.json").is_file() and (base / "inputs").is_dir():
        return base, "reports/base (make run)"
    from planner.pipeline import run

    scen = yaml.safe_load((ROOT / "inputs" / "scenarios" / "base.yaml").read_text())
    limit = 20.0 if quick else 60.0
    scen.setdefault("solver", {})["time_limit_s"] = limit
    sp = work / "base.yaml"
    sp.write_text(yaml.safe_dump(scen))
    out = work / "default"
    run(ROOT / "inputs", sp, out, stages=("forecast", "optimize"), log=lambda _m: None)
    return out, f"made here: forecast + optimise, solver limit {limit:g} s"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="shorter solver limit for the default")
    ap.add_argument("--plan", type=Path, default=None, help="default-network plan directory")
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(Path(args.one[0]), Path(args.one[1]))))
        return 0

    from tests.fixtures_report.synthetic import make_plan_dir

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        small = make_plan_dir(work / "small")
        rows.append(("synthetic test plan", "tests/fixtures_report", run_one(small)))
        plan, origin = default_plan(args.quick, args.plan, work)
        rows.append(("default network", origin, run_one(plan)))

    lines = [
        "# Report rendering benchmark",
        "",
        f"Machine: {platform.machine()}, 2 cores, 24 GiB, shared with other jobs; Python "
        f"{platform.python_version()}; matplotlib Agg.  Each case renders in a fresh process "
        "(peak RSS includes the imports).  Times are wall clock (s); `CPU s` is the process CPU "
        "time of the whole render, the better number on a busy machine.  `png` = the six PNGs "
        "at 1650 x 1275 px, `pdf` = building the title and table pages and writing every page.",
        "",
        "| case | plan | sites | corridors | years | upgrades | load s | figures s | png s "
        "| pdf s | total s | CPU s | PDF pages | PDF KiB | PNGs KiB | peak RSS MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, origin, r in rows:
        lines.append(
            f"| {name} | {origin} | {r['sites']} | {r['corridors']} | {r['years']} | "
            f"{r['upgrades']} | {r['load_s']:.2f} | {r['figures_s']:.2f} | {r['png_s']:.2f} | "
            f"{r['pdf_s']:.2f} | {r['total_s']:.2f} | {r['cpu_s']:.2f} | {r['pdf_pages']} | "
            f"{r['pdf_kb']:.0f} | "
            f"{r['png_kb']:.0f} | {r['peak_rss_mb']:.0f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
