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


def run_network(which: str, variants: list[tuple], n_eval: int, time_limit: float,
                hose: bool = True, determinism: bool = True) -> dict:  # fmt: skip
    """``variants``: (n_scenarios, serve_share, holdout_share, search_steps) of the chance
    plans."""
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
        for n, share, holdout, steps in variants:
            dc = sc.demand.model_copy(
                update={"mode": "scenarios", "n_scenarios": n, "serve_share": share,
                        "holdout_share": holdout, "search_steps": steps}
            )  # fmt: skip
            s2 = sc.model_copy(update={"demand": dc})
            t = time.perf_counter()
            sp = plan_scenarios(inputs, fc, s2, log=print)
            secs = time.perf_counter() - t
            ds = sp.plan.summary["demand_scenarios"]
            name = f"N={n}, share {share:g}" + (f", holdout {holdout:g}" if holdout else "")
            name += f", {steps} steps" if steps != 3 else ""
            judge(name, sp.plan, secs, {"in_sample": ds["in_sample_served_share"],
                                        "holdout": ds.get("holdout_served_share")})  # fmt: skip
        if hose:
            dc = sc.demand.model_copy(update={"mode": "hose", "n_scenarios": 50})
            t = time.perf_counter()
            hp = plan_scenarios(inputs, fc, sc.model_copy(update={"demand": dc}))
            judge("hose (site P90, pairs <= P90)", hp.plan, time.perf_counter() - t, {})
        det_again = None
        if determinism:  # the same seed twice, the same plan
            n, share, holdout, steps = variants[0]
            dc = sc.demand.model_copy(
                update={"mode": "scenarios", "n_scenarios": n, "serve_share": share,
                        "holdout_share": holdout, "search_steps": steps}
            )  # fmt: skip
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


def exact_vs_heuristic(pairs: int, n: int, share: float, time_limit: float) -> dict:
    """The chance plan by the heuristic and by the exact MIP on the same scenarios and the
    same candidate paths (no pricing), on a Topology Zoo network cut to ``pairs`` pairs."""
    from planner.forecast import forecast
    from planner.io.inputs import read_inputs_and_scenario
    from planner.io.topologyzoo import ZooOptions, import_topologyzoo
    from planner.scenarios.plan import plan_scenarios

    with tempfile.TemporaryDirectory() as tmp:
        opts = ZooOptions(pairs=pairs, target_utilization=2.5)
        import_topologyzoo(ZOO, Path(tmp) / "zoo", opts)
        inputs, sc = read_inputs_and_scenario(Path(tmp) / "zoo",
                                              Path(tmp) / "zoo/scenarios/base.yaml")  # fmt: skip
        solver = sc.solver.model_copy(
            update={"time_limit_s": time_limit, "served_gap": None, "path_pricing": False}
        )
        sc = sc.model_copy(update={"solver": solver})
        fc = forecast(inputs, sc)
        out = {"pairs": pairs, "n": n, "share": share, "years": sc.horizon_years}
        for method in ("heuristic", "exact"):
            upd = {"mode": "scenarios", "n_scenarios": n, "serve_share": share}
            dc = sc.demand.model_copy(update={**upd, "chance_method": method})
            t = time.perf_counter()
            p = plan_scenarios(inputs, fc, sc.model_copy(update={"demand": dc})).plan
            ds = p.summary["demand_scenarios"]
            out[method] = {
                "capex_musd": p.summary["capex_usd_total"] / 1e6,
                "seconds": time.perf_counter() - t,
                "status": p.summary["solver_status"],
                "gap": p.summary["mip_gap"],
                "in_sample": ds["in_sample_served_share"],
                "bound_musd": (ds.get("exact_best_bound_usd") or float("nan")) / 1e6,
            }
            print(method, out[method], flush=True)
        return out


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


def markdown(
    results: list[dict], args: argparse.Namespace, total_s: float, exact: dict | None = None
) -> str:
    lines = [
        "# Joint demand scenarios vs per-pair P90 sizing",
        "",
        f"Generated by `python tests/bench/bench_scenarios.py {' '.join(sys.argv[1:])}` in "
        f"{total_s / 60:.1f} min on a shared machine (2 cores, 24 GiB, other helpers' solves "
        "running at the same time: wall times are indicative, ratios within one run matter).",
        "",
        f"Every plan: min-cost (no budget limit), solver time limit {args.time_limit:g} s per "
        "MIP. Scenario plans: N in-sample joint scenarios (seed 42), `objective: chance` "
        "(heuristic; with a holdout the last share of the N scenarios only chooses the "
        "sizing level). "
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
            "served | held-out served | time s | time / P90 plan | status | gap |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
        ]
        for r in rows:
            ins = f"{r['in_sample']:.0%}" if "in_sample" in r else "-"
            hold = f"{r['holdout']:.0%}" if r.get("holdout") is not None else "-"
            lines.append(
                f"| {r['plan']} | {r['capex_musd']:,.1f} | {r['p_serve_all']:.1%} | "
                f"{r['unserved_mean']:,.0f} | {r['unserved_p95']:,.0f} | {ins} | {hold} | "
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
    if exact:
        lines += [
            f"## Exact chance MIP vs the heuristic (zoo:Geant2012, {exact['pairs']} pairs, "
            f"{exact['years']} years, {exact['n']} scenarios, serve_share {exact['share']:g})",
            "",
            "Same scenarios, same candidate paths (path pricing off for both).",
            "",
            "| method | CapEx $M | in-sample served | time s | status | gap | bound $M |",
            "|---|---:|---:|---:|---|---:|---:|",
        ]
        for m in ("heuristic", "exact"):
            r = exact[m]
            lines.append(
                f"| {m} | {r['capex_musd']:,.3f} | {r['in_sample']:.0%} | {r['seconds']:.0f} | "
                f"{r['status']} | {r['gap']:.2%} | {r['bound_musd']:,.3f} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def _variants(spec: str) -> list[tuple]:
    """``N:share[:holdout[:search_steps]],...`` -> [(N, share, holdout, steps)]."""
    out = []
    for part in spec.split(","):
        f = part.split(":")
        hold = float(f[2]) if len(f) > 2 else 0.0
        out.append((int(f[0]), float(f[1]), hold, int(f[3]) if len(f) > 3 else 3))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="Topology Zoo only, 200 fresh")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--n-eval", type=int, default=1000)
    ap.add_argument("--networks", default="zoo:Geant2012,shipped")
    ap.add_argument("--variants", default="50:0.75,50:0.9,50:1",
                    help="chance plans, N:serve_share[:holdout_share],...")  # fmt: skip
    ap.add_argument("--no-hose", action="store_true")
    ap.add_argument("--exact", default="", help="PAIRS:N:SHARE: exact vs heuristic case")
    ap.add_argument("--exact-time-limit", type=float, default=300.0)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if args.quick:
        args.n_eval = min(args.n_eval, 200)
    t = time.perf_counter()
    nets = ["zoo:Geant2012"] if args.quick else args.networks.split(",")
    variants = _variants(args.variants)
    exact = None
    if args.exact:
        pairs, n, share = args.exact.split(":")
        exact = exact_vs_heuristic(int(pairs), int(n), float(share), args.exact_time_limit)
    results = [
        run_network(
            w,
            variants,
            args.n_eval,
            args.time_limit,
            hose=not args.no_hose,
            determinism=w != "shipped",
        )  # fmt: skip
        for w in nets
        if w
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(results, args, time.perf_counter() - t, exact))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
