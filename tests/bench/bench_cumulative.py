"""Cumulative purchase columns (``solver.cumulative``, issue 14 target 1) on the shipped network.

Why: the question is whether branching on units bought by year t closes the base scenario's
bound-side gap faster than branching on per-year purchases, and whether ``make run`` (stop at
a 1 % served gap) gets faster or better. Each row is one plan of the base scenario (path
model as ``bench_optimize.run_one`` builds it, no marginal LPs) in its own process:

* ``off``: the model as before;
* ``on``: with z columns, purchases stay integer (the module's default);
* ``on_xcont``: with z columns, purchases continuous (integrality implied by z).

``--seeds``: HiGHS seeds (the scenario's ``seed``) to see performance variability, which on a
time-limited MIP is larger than run-to-run noise. Usage: ``python tests/bench/
bench_cumulative.py [--limit 60] [--seeds 42,7] [--variants off,on] [--served-gap 0.01]``;
prints one JSON line per run and a markdown table (``--out`` to write it).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from child import fmt, run_json

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = ("off", "on", "on_xcont")


def run_one(variant: str, limit: float, seed: int, served_gap: float | None) -> dict:
    """One base-scenario plan in this process; the row fields."""
    from bench_optimize import default_case

    import planner.optimize.cumulative as cumulative
    from planner.optimize import build_model, extract, solve

    inp, dem, sc = default_case()
    cumulative.PURCHASES_INTEGER = variant != "on_xcont"
    cfg = sc.solver.model_copy(
        update={"time_limit_s": limit, "served_gap": served_gap, "cumulative": variant != "off"}
    )
    sc = sc.model_copy(update={"solver": cfg, "seed": seed})
    t = time.perf_counter()
    m = build_model(inp, dem, sc, formulation="path")
    res = solve(m, cfg, sc.seed)
    s = extract(m, res, None).summary
    return {
        "variant": variant,
        "limit_s": limit,
        "seed": seed,
        "stop": served_gap,
        "z_columns": len(m.meta.get(cumulative.META, [])),
        "status": res.solver_status,
        "objective": res.objective,
        "bound": res.best_bound,
        "gap": res.mip_gap,
        "served_gap": s.get("served_gap"),
        "start": res.start_info.get("heuristic_used"),
        "wall_s": time.perf_counter() - t,
    }


def table(rows: list[dict]) -> str:
    head = (
        "| variant | limit s | stop | seed | z cols | status | objective e12 | bound e12 | "
        "MIP gap | served gap | start | wall s |\n|" + "---|" * 12
    )
    lines = [head]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['variant']} | error: {r['error']} |" + " |" * 10)
            continue
        cells = [
            r["variant"],
            fmt(r["limit_s"], ".0f"),
            fmt(r["stop"], ".2f"),
            str(r["seed"]),
            str(r["z_columns"]),
            r["status"],
            fmt(r["objective"] / 1e12, ".4f"),
            fmt(None if r["bound"] is None else r["bound"] / 1e12, ".4f"),
            fmt(100 * r["gap"], ".2f") + " %",
            fmt(None if r["served_gap"] is None else 100 * r["served_gap"], ".2f") + " %",
            str(r["start"]),
            fmt(r["wall_s"], ".1f"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=float, default=60.0, help="time limit per solve (s)")
    ap.add_argument("--seeds", default="42", help="comma-separated HiGHS seeds")
    ap.add_argument("--variants", default="off,on", help=f"comma-separated of {VARIANTS}")
    ap.add_argument("--served-gap", type=float, default=None, help="served-gap stop")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    if a.one:  # child process: one (variant, seed), JSON on the last stdout line
        variant, seed = a.one.rsplit("/", 1)
        print(json.dumps(run_one(variant, a.limit, int(seed), a.served_gap)))
        return 0
    rows = []
    for seed in [int(s) for s in a.seeds.split(",") if s]:
        for v in [v for v in a.variants.split(",") if v]:
            cmd = [__file__, "--one", f"{v}/{seed}", "--limit", str(a.limit)]
            cmd += [] if a.served_gap is None else ["--served-gap", str(a.served_gap)]
            rows.append(run_json(cmd, ROOT, {"variant": v, "seed": seed}))
            print(json.dumps(rows[-1]), flush=True)
    text = f"Machine: {platform.machine()}, shared; {time.strftime('%Y-%m-%d %H:%M UTC')}\n\n"
    text += table(rows)
    if a.out is not None:
        a.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
