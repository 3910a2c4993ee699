"""Benchmark of ``planner sweep``: runs per minute on the default network, 1 vs 2 Dask workers.

Why a script and not a test: timings depend on the machine (and on who else uses it). Writes
reports/bench/sweep.md.

What is measured, for each worker count, on a fresh sweep folder (so nothing is reused):
wall time of ``run_sweep`` with a LocalCluster of N single-threaded worker processes (cluster
start-up included), runs per minute, how many runs were proven optimal vs stopped at the time
limit, mean solve seconds, and peak memory (this process, and the largest worker). Then a
re-run of the 2-worker sweep, which must reuse every run, and the comparison report's time.

The default network rarely proves optimality within the scenario's 120 s limit, so the solve
time of most runs *is* the time limit; runs per minute therefore mostly measures how well the
runs overlap. ``--time-limit`` sets it (default 60 s; 20 s with ``--quick``).

Usage: ``.venv/bin/python tests/bench/bench_sweep.py [--quick] [--time-limit S]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from planner.commands.sweep import LogObserver, dask_cluster, parse_budgets  # noqa: E402
from planner.io import read_scenario  # noqa: E402
from planner.sweep import run_sweep  # noqa: E402
from planner.sweep.frontier import (  # noqa: E402
    frontier_table,
    frontier_violations,
    render_comparison,
)

OUT = ROOT / "reports" / "bench" / "sweep.md"


def _rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def sweep_once(inputs: Path, scenario: Path, budgets: list[float], out: Path, workers: int,
               time_limit: float) -> dict:  # fmt: skip
    t = time.perf_counter()
    res = run_sweep(
        inputs,
        [scenario],
        budgets,
        out,
        cluster=partial(dask_cluster, workers, None, True, False),
        time_limit_s=time_limit,
        comparison=False,
        observer=LogObserver(lambda s: print("   ", s, flush=True)),
        chain=False,  # this table measures the Dask path (runs per minute by workers)
    )
    wall = time.perf_counter() - t
    r = res.runs
    return {
        "workers": workers,
        "runs": res.n_total,
        "ran": res.n_ran,
        "reused": res.n_reused,
        "failed": res.n_failed,
        "optimal": int((r["status"] == "ok").sum()),
        "time_limit": int((r["status"] == "time_limit").sum()),
        "wall_s": wall,
        "runs_per_min": res.n_ran / wall * 60 if res.n_ran else float("nan"),
        "mean_solve_s": float(r["solve_seconds"].mean()),
        "mean_run_s": float(r["run_seconds"].mean()),
        "dominated": len(frontier_violations(r)),
        "frontier_monotone": bool(frontier_table(r)["served_fraction"].is_monotonic_increasing),
        "served": r["served_fraction"].tolist(),
    }


CHAIN_HEAD = "## Budget chain (issue 14)"


def _per_run(out: Path, runs) -> list[dict]:
    """Per budget: status, served, served gap (from the run's summary.json), run seconds."""
    from planner.io.atomic import read_json

    rows = []
    for r in runs.sort_values("budget_usd").itertuples():
        sm = read_json(out / "runs" / r.run_id / "summary.json") if r.status != "failed" else {}
        rows.append(
            {"budget": r.budget_usd, "status": sm.get("solver_status", r.status),
             "served": r.served_fraction, "served_gap": sm.get("served_gap"),
             "seconds": r.run_seconds, "start": sm.get("heuristic_used"),
             "ap_gap": sm.get("all_paths_gap"), "scope": sm.get("bound_scope")}
        )  # fmt: skip
    return rows


def chain_vs_independent(inputs: Path, scenario: Path, budgets: list[float], limit: float,
                         chain_limit: float, tmp: Path) -> dict:  # fmt: skip
    """10 independent runs (2 Dask workers, the old path) against one budget chain."""
    out = {}
    for name, chain, lim in (("independent", False, limit), ("chain", True, chain_limit)):
        print(f"== {name}: {len(budgets)} budgets, time limit {lim:g} s per run", flush=True)
        t = time.perf_counter()
        res = run_sweep(
            inputs, [scenario], budgets, tmp / name, time_limit_s=lim, comparison=False,
            cluster=partial(dask_cluster, 2, None, True, False), chain=chain,
            observer=LogObserver(lambda s: print("   ", s, flush=True)),
        )  # fmt: skip
        out[name] = {
            "wall_s": time.perf_counter() - t,
            "dominated": len(frontier_violations(res.runs)),
            "runs": _per_run(tmp / name, res.runs),
            "limit": lim,
        }
    return out


def chain_section(r: dict, load: tuple[float, float]) -> str:
    """The issue-14 section of sweep.md: per budget, the two ways side by side."""
    ind, ch = r["independent"], r["chain"]
    lines = [
        f"{CHAIN_HEAD}, {time.strftime('%Y-%m-%d %H:%M')} UTC", "",
        f"One run each, {time.strftime('%Y-%m-%d %H:%M')} UTC, on the shared 2-core machine "
        f"(load average {load[0]:.1f} at start, {load[1]:.1f} at end: other jobs were "
        "running). Independent: the Dask path, 2 single-threaded workers, "
        f"{ind['limit']:g} s per run. Chain: one model, one live MIP session (2 solver "
        "threads), budgets in ascending order, each from the cheapest of its own heuristic "
        "start, the smaller budget's plan and that plan plus the LP fill (column 'chain "
        "start'); own starts, marginal LPs and all-paths bounds in a helper process on the "
        "second core; "
        f"{ch['limit']:g} s per budget at most; both stop at the scenario's 1 % served gap.",
        "",
        f"Wall: independent {ind['wall_s']:.1f} s, chain {ch['wall_s']:.1f} s "
        f"({ind['wall_s'] / ch['wall_s']:.2f}x). Own plan worse than a smaller budget's: "
        f"independent {ind['dominated']}, chain {ch['dominated']}.", "",
        "Columns 'all-paths gap': the objective's gap to the bound valid for every admissible "
        "path (`all_paths_gap`), and the scope of "
        "the reported `best_bound`.", "",
        "| budget $M | indep. status | indep. served | indep. served gap | indep. all-paths "
        "gap (scope) | indep. s | chain status | chain served | chain served gap | chain "
        "all-paths gap (scope) | chain s | chain start |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip

    def g(v):
        return "" if v is None else f"{v:.2%}"

    for a, b in zip(ind["runs"], ch["runs"], strict=True):
        lines.append(
            f"| {a['budget'] / 1e6:,.0f} | {a['status']} | {a['served']:.2%} | "
            f"{g(a['served_gap'])} | {g(a['ap_gap'])} ({a['scope']}) | {a['seconds']:.1f} | "
            f"{b['status']} | {b['served']:.2%} | {g(b['served_gap'])} | "
            f"{g(b['ap_gap'])} ({b['scope']}) | {b['seconds']:.1f} | {b['start']} |"
        )
    lines += ["", "Generated by `python tests/bench/bench_sweep.py --chain`.", ""]
    return "\n".join(lines)


def main_chain(args, budgets: list[float], limit: float) -> int:
    load0 = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="bench_chain_"))
    try:
        r = chain_vs_independent(
            args.inputs, args.scenario, budgets, limit, args.chain_time_limit, tmp
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sec = chain_section(r, (load0, os.getloadavg()[0]))
    old = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
    keep = old.rstrip() + "\n\n" if old else ""  # earlier dated sections stay
    OUT.write_text(keep + sec, encoding="utf-8")
    print(sec)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="4 budgets, 20 s time limit")
    ap.add_argument("--inputs", type=Path, default=ROOT / "inputs")
    ap.add_argument("--scenario", type=Path, default=ROOT / "inputs" / "scenarios" / "base.yaml")
    ap.add_argument("--time-limit", type=float, default=None, help="solver limit per run (s)")
    ap.add_argument("--chain", action="store_true", help="issue 14: chain vs independent")
    ap.add_argument("--chain-time-limit", type=float, default=20.0, help="per budget (s)")
    args = ap.parse_args()
    sc = read_scenario(args.scenario)
    top = 2 * sc.budget_usd_total
    n = 4 if args.quick else 10
    budgets = parse_budgets(f"0:{top:.0f}:{n}")
    limit = args.time_limit or (20.0 if args.quick else 60.0)
    if args.chain:
        return main_chain(args, budgets, limit)
    load0 = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    rows = []
    try:
        for w in (1, 2):
            print(f"== {n} budgets, {w} worker(s), time limit {limit:g} s", flush=True)
            rows.append(sweep_once(args.inputs, args.scenario, budgets, tmp / f"w{w}", w, limit))
        print("== re-run of the 2-worker sweep (everything reused)", flush=True)
        rerun = sweep_once(args.inputs, args.scenario, budgets, tmp / "w2", 2, limit)
        t = time.perf_counter()
        files = render_comparison(tmp / "w2")
        t_cmp = time.perf_counter() - t
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load1 = os.getloadavg()
    import dask
    import highspy  # noqa: F401
    import pandas as pd

    lines = [
        "# Sweep benchmark",
        "",
        f"Machine: 2 cores, 24 GiB RAM, shared with other users (load average "
        f"{load0[0]:.1f} at start, {load1[0]:.1f} at end), {platform.machine()}, Python "
        f"{platform.python_version()}, dask {dask.__version__}, pandas {pd.__version__}.",
        f"Run: `python tests/bench/bench_sweep.py{' --quick' if args.quick else ''}` on "
        f"{time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        f"Sweep: scenario `{args.scenario.relative_to(ROOT)}` on `{args.inputs.relative_to(ROOT)}`"
        f", {n} budgets 0 .. ${top / 1e6:,.0f}M, solver time limit {limit:g} s per run, "
        "LocalCluster of single-threaded worker processes; solver threads per run = "
        "cores // workers (2 with 1 worker, 1 with 2). Wall time includes cluster start-up, "
        "the forecast (once) and writing every run folder.",
        "",
        "| workers | runs | proven optimal | time limit | failed | wall s | runs / min | "
        "mean solve s | mean run s | own plan worse than a smaller budget's | "
        "frontier monotone |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['workers']} | {r['ran']} | {r['optimal']} | {r['time_limit']} | "
            f"{r['failed']} | {r['wall_s']:.1f} | {r['runs_per_min']:.2f} | "
            f"{r['mean_solve_s']:.1f} | {r['mean_run_s']:.1f} | {r['dominated']} | "
            f"{r['frontier_monotone']} |"
        )
    speedup = rows[1]["runs_per_min"] / rows[0]["runs_per_min"]
    lines += [
        "",
        f"Speed-up 1 -> 2 workers: {speedup:.2f}x in runs per minute.",
        f"Re-run of the same sweep: {rerun['reused']} of {rerun['runs']} runs reused, "
        f"{rerun['ran']} solved, {rerun['wall_s']:.1f} s (validation and hashing; no cluster "
        "is started).",
        f"Comparison report (PDF + 3 PNG + 3 CSV, {len(files)} files): {t_cmp:.1f} s.",
        f"Peak RSS: this process (driver) {_rss_mib(resource.RUSAGE_SELF):,.0f} MiB, largest "
        f"worker process {_rss_mib(resource.RUSAGE_CHILDREN):,.0f} MiB.",
        "",
        "Served fraction by budget (2 workers): "
        + ", ".join(
            f"${b / 1e6:,.0f}M {s:.1%}" for b, s in zip(budgets, rows[1]["served"], strict=True)
        )
        + ".",  # fmt: skip
        "Runs stopped at the time limit return their best plan so far (status `time_limit`); "
        "such a plan can serve less than a smaller budget's plan. That smaller plan is feasible "
        "at the larger budget, so the frontier (frontier.csv, comparison.pdf) uses it and flags "
        "the run: the frontier is monotone by construction, the runs' own plans need not be.",
    ]
    text = "\n".join(lines) + "\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
