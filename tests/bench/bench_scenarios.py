"""Benchmark: planning for joint demand scenarios vs per-pair P90 sizing (issue 17).

For each network: forecast once; the per-pair P90 plan (min-cost: the ordinary MIP with no
budget limit, so every Gbps is served if it can be); chance-constrained scenario plans on 50
in-sample scenarios at several ``serve_share`` values; every plan judged on the same 1,000
fresh scenarios (``planner.scenarios.risk``, a seed never used for planning). Reported: CapEx,
out-of-sample P(serve all demand, every year), expected unserved, wall time; the CapEx of the
scenario plans at the P90 plan's probability (cheapest scenario plan at least as safe, and the
linear interpolation between the two plans around it); the hose plan (every matrix within
the sites' P90 totals, each pair at most its P90); determinism (same seed, same plan).

Networks: the shipped one at ``growth: low`` (at base growth its P90 demand cannot all be
carried even with unlimited money: min-cost is infeasible) and a Topology Zoo network from
tests/data. Usage: ``python tests/bench/bench_scenarios.py [--quick] [--time-limit S]``;
writes ``reports/bench/scenarios.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "reports" / "bench" / "scenarios.md"
ZOO = ROOT / "tests" / "data" / "topologyzoo" / "Geant2012.graphml"


def load_network(which: str, tmp: Path, time_limit: float):
    from planner.config import MAX_USD
    from planner.io.inputs import read_inputs_and_scenario
    from planner.io.topologyzoo import ZooOptions, import_topologyzoo

    if which == "shipped":
        inputs, sc = read_inputs_and_scenario(ROOT / "inputs", ROOT / "inputs/scenarios/base.yaml")
        sc = sc.model_copy(update={"growth": "low"})
    else:
        import_topologyzoo(ZOO, tmp / "zoo", ZooOptions(pairs=150, target_utilization=2.5))
        inputs, sc = read_inputs_and_scenario(tmp / "zoo", tmp / "zoo/scenarios/base.yaml")
    solver = sc.solver.model_copy(update={"time_limit_s": time_limit, "served_gap": None})
    sc = sc.model_copy(
        update={"budget_usd_total": MAX_USD, "budget_usd_per_year": None, "solver": solver}
    )
    return inputs, sc


def run_network(which: str, shares: list[float], n_eval: int, time_limit: float) -> dict:
    from planner.forecast import demand_for, forecast
    from planner.optimize import plan
    from planner.scenarios.plan import plan_scenarios
    from planner.scenarios.risk import evaluate_plan

    with tempfile.TemporaryDirectory() as tmp:
        inputs, sc = load_network(which, Path(tmp), time_limit)
        fc = forecast(inputs, sc)
        t = time.perf_counter()
        det = plan(inputs, demand_for(fc, sc), sc, marginals=False)
        det_s = time.perf_counter() - t
        rows = []

        def judge(name: str, p, secs: float, extra: dict) -> None:
            r = evaluate_plan(
                inputs, fc, sc, p.capacity, n=n_eval, routing=p.routing,
                capex_usd=p.summary["capex_usd_total"],
            )  # fmt: skip
            rows.append({
                "plan": name, "capex_musd": p.summary["capex_usd_total"] / 1e6,
                "p_serve_all": r.summary["p_serve_all"],
                "unserved_mean": r.summary["unserved_gbps_years_mean"],
                "unserved_p95": r.summary["unserved_gbps_years_p95"],
                "seconds": secs, "status": p.summary["solver_status"],
                "gap": p.summary["mip_gap"], **extra,
            })  # fmt: skip
            print(rows[-1], flush=True)

        judge("per-pair P90", det, det_s, {})
        for share in shares:
            dc = sc.demand.model_copy(
                update={"mode": "scenarios", "n_scenarios": 50, "serve_share": share}
            )
            s2 = sc.model_copy(update={"demand": dc})
            t = time.perf_counter()
            sp = plan_scenarios(inputs, fc, s2)
            secs = time.perf_counter() - t
            ds = sp.plan.summary["demand_scenarios"]
            judge(f"scenarios, share {share:g}", sp.plan, secs,
                  {"in_sample": ds["in_sample_served_share"]})  # fmt: skip
        dc = sc.demand.model_copy(update={"mode": "hose", "n_scenarios": 50})
        t = time.perf_counter()
        hp = plan_scenarios(inputs, fc, sc.model_copy(update={"demand": dc}))
        judge("hose (site P90, pairs <= P90)", hp.plan, time.perf_counter() - t, {})
        det_again = None
        if which != "shipped":  # determinism: the same seed twice, the same plan
            dc = sc.demand.model_copy(
                update={"mode": "scenarios", "n_scenarios": 50, "serve_share": shares[0]}
            )
            s2 = sc.model_copy(update={"demand": dc})
            a = plan_scenarios(inputs, fc, s2)
            b = plan_scenarios(inputs, fc, s2)
            det_again = bool(
                a.plan.upgrades.equals(b.plan.upgrades) and a.scenarios.equals(b.scenarios)
            )
        return {
            "network": which,
            "rows": rows,
            "det_seconds": det_s,
            "deterministic": det_again,
            "pairs": int(fc[["site_a", "site_b"]].drop_duplicates().shape[0]),
        }


def at_equal_probability(rows: list[dict]) -> tuple[str, str]:
    """(cheapest scenario plan at least as safe as P90, interpolated CapEx at P90's chance)."""
    base = rows[0]
    sc = sorted([r for r in rows[1:] if "share" in r["plan"]], key=lambda r: r["p_serve_all"])
    safe = [r for r in sc if r["p_serve_all"] >= base["p_serve_all"]]
    cheapest = min(safe, key=lambda r: r["capex_musd"]) if safe else None
    c_s = (
        f"{cheapest['plan']}: ${cheapest['capex_musd']:,.1f}M "
        f"({cheapest['capex_musd'] / base['capex_musd'] - 1:+.1%})"
        if cheapest
        else "none as safe"
    )
    p = np.array([r["p_serve_all"] for r in sc])
    c = np.array([r["capex_musd"] for r in sc])
    if len(p) >= 2 and p.min() <= base["p_serve_all"] <= p.max():
        x = float(np.interp(base["p_serve_all"], p, c))
        i_s = f"${x:,.1f}M ({x / base['capex_musd'] - 1:+.1%})"
    else:
        i_s = "outside the range of the scenario plans"
    return c_s, i_s


def markdown(results: list[dict], args: argparse.Namespace, total_s: float) -> str:
    lines = [
        "# Joint demand scenarios vs per-pair P90 sizing",
        "",
        f"Generated by `python tests/bench/bench_scenarios.py {' '.join(sys.argv[1:])}` in "
        f"{total_s / 60:.1f} min on a shared machine (2 cores, 24 GiB, other helpers' solves "
        "running at the same time: wall times are indicative, ratios within one run matter).",
        "",
        f"Every plan: min-cost (no budget limit), solver time limit {args.time_limit:g} s per "
        "MIP. Scenario plans: 50 in-sample joint scenarios (seed 42), `objective: chance`. "
        f"Judged on the same {args.n_eval:,} fresh scenarios (seed 42 + 1000003). "
        "P(serve all) = share of fresh scenarios in which every pair is fully served in every "
        "year (routing: least unserved over the candidate paths, max utilisation 0.7).",
        "",
    ]
    for res in results:
        rows = res["rows"]
        lines += [f"## {res['network']} ({res['pairs']} pairs)", ""]
        lines += [
            "| plan | CapEx $M | P(serve all) | E[unserved] Gbps-yr | P95 unserved | in-sample "
            "served | time s | time / P90 plan | status | gap |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
        ]
        for r in rows:
            ins = f"{r['in_sample']:.0%}" if "in_sample" in r else "-"
            lines.append(
                f"| {r['plan']} | {r['capex_musd']:,.1f} | {r['p_serve_all']:.1%} | "
                f"{r['unserved_mean']:,.0f} | {r['unserved_p95']:,.0f} | {ins} | "
                f"{r['seconds']:.0f} | {r['seconds'] / res['det_seconds']:.2f} | {r['status']} "
                f"| {r['gap']:.2%} |"
            )
        cheapest, interp = at_equal_probability(rows)
        lines += [
            "",
            f"- At the P90 plan's P(serve all) ({rows[0]['p_serve_all']:.1%}): cheapest "
            f"scenario plan at least as safe: {cheapest}; CapEx interpolated between the "
            f"scenario plans at that probability: {interp}.",
        ]
        if res["deterministic"] is not None:
            lines.append(
                f"- Same seed twice: same scenarios and same upgrades: {res['deterministic']}."
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="Topology Zoo only, 200 fresh")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--n-eval", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if args.quick:
        args.n_eval = min(args.n_eval, 200)
    t = time.perf_counter()
    nets = ["zoo:Geant2012"] + ([] if args.quick else ["shipped"])
    shares = [0.75, 0.9, 1.0]
    results = [run_network(w, shares, args.n_eval, args.time_limit) for w in nets]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(results, args, time.perf_counter() - t))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
