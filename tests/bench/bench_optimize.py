"""Benchmark the optimiser: build vs solve time, gap, peak memory, HiGHS vs CBC, path enumeration.

Cases: the shipped default network (``inputs/``, base scenario, forecast demand) and real
TopologyZoo graphs (``../shared/data/topologyzoo/*.graphml``) turned into corridors and
all-pairs demand right here (nodes without coordinates dropped, largest component kept,
distance = great circle x 1.3, a gravity demand growing 30 %/yr, installed capacity sized
for year-one demand on shortest paths, a budget of 60 % of a rough need). Each (case, solver)
runs in its own subprocess so its peak RSS is its own. Every solve has a time limit so the
full run stays under ~15 min (``--quick`` under 2 min).

Usage: ``python tests/bench/bench_optimize.py [--quick]``; writes reports/bench/optimize.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import platform
import subprocess
import sys
import time
from pathlib import Path

from child import fmt, peak_mib, run_json

ROOT = Path(__file__).resolve().parents[2]
ZOO = ROOT.parent / "shared" / "data" / "topologyzoo"
OUT = ROOT / "reports" / "bench" / "optimize.md"

# (case, solver, time limit s, served_gap stop[, cut-set cuts]); CBC gets shorter limits on the
# big graphs (it only loads MPS). The default network at several limits without the served-gap
# stop: how the gap closes with time (the issue's aim); then as shipped (stop at a 1 % served
# gap); then 60 s and as shipped with ``solver.cuts`` (planner.optimize.cutset). Rows without
# the 5th field run with cuts off (the state before them), rows with True with cuts on.
FULL = [
    ("default", "highs", 15, None), ("default", "highs", 30, None),
    ("default", "highs", 60, None), ("default", "highs", 120, None),
    ("default", "highs", 300, None), ("default", "highs", 120, 0.01),
    ("default", "highs", 60, None, True), ("default", "highs", 120, 0.01, True),
    ("default", "cbc", 60, None),
    ("Abilene", "highs", 15, None), ("Abilene", "highs", 15, None, True),
    ("Abilene", "cbc", 15, None),
    ("Geant2012", "highs", 30, None), ("Geant2012", "highs", 30, None, True),
    ("Geant2012", "cbc", 30, None),
    ("Deltacom", "highs", 120, None), ("Deltacom", "highs", 120, None, True),
    ("Deltacom", "cbc", 60, None),
    ("Cogentco", "highs", 180, None), ("Cogentco", "highs", 180, None, True),
    ("Cogentco", "cbc", 60, None),
]  # fmt: skip
#: above this many variables the two marginal LPs are skipped (they take minutes there)
MARGINALS_MAX_VARS = 100_000
QUICK = [("default", "highs", 120, 0.01), ("default", "highs", 120, 0.01, True),
         ("Abilene", "highs", 10, None),
         ("Abilene", "cbc", 10, None), ("Geant2012", "highs", 20, None)]  # fmt: skip


def zoo_case(name: str, years: int = 5, seed: int = 1):
    """Inputs, demand and scenario for a TopologyZoo graph (synthetic capacities and demand)."""
    import networkx as nx
    import numpy as np
    import pandas as pd

    from planner.config import Scenario, SolverConfig
    from planner.tables import Inputs, haversine_km, table_from_records

    g = nx.Graph(nx.read_graphml(ZOO / f"{name}.graphml"))
    g.remove_edges_from(nx.selfloop_edges(g))
    g.remove_nodes_from([n for n, d in g.nodes(data=True) if "Latitude" not in d])
    g = g.subgraph(max(nx.connected_components(g), key=len)).copy()
    rng = np.random.default_rng(seed)
    ids = {n: f"N{i:03d}" for i, n in enumerate(sorted(g.nodes(), key=str))}
    lat = {ids[n]: float(d["Latitude"]) for n, d in g.nodes(data=True)}
    lon = {ids[n]: float(d["Longitude"]) for n, d in g.nodes(data=True)}
    sites = sorted(ids.values())
    kinds = {s: ("ai_campus" if rng.random() < 0.1 else "cloud_region") for s in sites}
    w = dict(zip(sites, rng.lognormal(0, 1, len(sites)), strict=True))
    pairs = list(itertools.combinations(sites, 2))
    total0 = 400.0 * len(sites)  # Gbps in year one over all pairs
    mass = np.array([w[a] * w[b] for a, b in pairs])
    d0 = total0 * mass / mass.sum()
    start = 2027
    dem = pd.DataFrame(
        [
            (a, b, start + t, float(x * 1.3**t))
            for (a, b), x in zip(pairs, d0, strict=True)
            for t in range(years)
        ],
        columns=["site_a", "site_b", "year", "demand_gbps"],
    )
    h = nx.Graph()
    cors = []
    for k, (u, v) in enumerate(sorted(g.edges(), key=lambda e: (ids[e[0]], ids[e[1]]))):
        a, b = sorted((ids[u], ids[v]))
        km = max(1.0, 1.3 * float(haversine_km(lat[a], lon[a], lat[b], lon[b])))
        h.add_edge(a, b, w=km)
        cors.append(dict(corridor_id=f"E{k:03d}", site_a=a, site_b=b, distance_km=km))
    # installed: year-one load on shortest paths / 0.7, in 400G waves, at least one wave
    load = {tuple(sorted(e)): 0.0 for e in h.edges()}
    paths = dict(nx.all_pairs_dijkstra_path(h, weight="w"))
    for (a, b), x in zip(pairs, d0, strict=True):
        p = paths[a][b]
        for u, v in zip(p[:-1], p[1:], strict=True):
            load[tuple(sorted((u, v)))] += x
    need = 0.0
    for c in cors:
        lo = load[(c["site_a"], c["site_b"])]
        waves = max(1, math.ceil(lo / 0.7 / 400.0))
        c.update(
            installed_capacity_gbps=400.0 * waves,
            installed_waves=waves,
            lit_fiber_pairs=1,
            spare_fiber_pairs=2,
            max_waves_per_fiber_pair=64,
        )
        extra = lo * (1.3 ** (years - 1) - 1) / 0.7 / 800.0
        need += max(0.0, extra) * (250_000 + 150_000 * math.floor(c["distance_km"] / 1000))
    opts = [
        dict(
            option_id="wave_400g",
            kind="wave",
            capacity_gbps=400.0,
            capex_fixed_usd=150e3,
            capex_per_km_usd=0.0,
            lead_time_years=0,
            max_units_per_corridor=128,
            price_change_per_year=-0.15,
            reach_km=1500.0,
            regen_capex_usd=100e3,
        ),
        dict(
            option_id="wave_800g",
            kind="wave",
            capacity_gbps=800.0,
            capex_fixed_usd=250e3,
            capex_per_km_usd=0.0,
            lead_time_years=0,
            max_units_per_corridor=128,
            price_change_per_year=-0.18,
            reach_km=1000.0,
            regen_capex_usd=150e3,
        ),
        dict(
            option_id="fiber_pair",
            kind="fiber_pair",
            capacity_gbps=0.0,
            capex_fixed_usd=1.5e6,
            capex_per_km_usd=900.0,
            lead_time_years=1,
            max_units_per_corridor=4,
            price_change_per_year=-0.05,
            reach_km=None,
            regen_capex_usd=0.0,
        ),
    ]
    inp = Inputs(
        sites=table_from_records(
            "sites",
            [
                dict(
                    site_id=s,
                    name=s,
                    operator="zoo",
                    lat=lat[s],
                    lon=lon[s],
                    region="r",
                    kind=kinds[s],
                )
                for s in sites
            ],
        ),
        ai_buildout=table_from_records(
            "ai_buildout", [dict(site_id=sites[0], year=start, ai_it_mw=1.0)]
        ),
        corridors=table_from_records("corridors", cors),
        upgrade_options=table_from_records("upgrade_options", opts),
        candidate_routes=table_from_records("candidate_routes", []),
        demand_history=table_from_records(
            "demand_history",
            [dict(site_a=sites[0], site_b=sites[1], month="2026-12", p95_gbps=1.0)],
        ),
    )
    sc = Scenario(
        name=name,
        start_year=start,
        horizon_years=years,
        budget_usd_total=round(0.6 * need, -6),
        max_utilization=0.7,
        k_paths=5,
        solver=SolverConfig(),
        seed=42,
    )
    return inp, dem, sc


def default_case():
    from planner.forecast import demand_for, forecast
    from planner.io import read_inputs, read_scenario

    inp = read_inputs(ROOT / "inputs")
    sc = read_scenario(ROOT / "inputs" / "scenarios" / "base.yaml")
    return inp, demand_for(forecast(inp, sc), sc), sc


def run_one(
    case: str, solver: str, limit: float, served_gap: float | None, cuts: bool = False
) -> dict:
    """One timed plan in this process; returns the row of the results table."""
    from planner.optimize import build_model, extract, marginal_values, solve

    inp, dem, sc = default_case() if case == "default" else zoo_case(case)
    cfg = sc.solver.model_copy(
        update={
            "name": solver,
            "time_limit_s": float(limit),
            "served_gap": served_gap,
            "cuts": cuts,
        }
    )
    t = time.perf_counter()
    # as plan() builds it: path model, root-LP path pricing (skipped above its column bound)
    m = build_model(inp, dem, sc.model_copy(update={"solver": cfg}), formulation="path")
    res = solve(m, cfg, sc.seed)
    marg_s = None
    marg = None
    if solver == "highs" and len(m.columns) <= MARGINALS_MAX_VARS:
        t1 = time.perf_counter()
        marg = marginal_values(m, limit, cfg.threads)
        marg_s = time.perf_counter() - t1
    plan = extract(m, res, marg)
    s = plan.summary
    model_s = s["sets_seconds"] + s["paths_seconds"] + s["build_seconds"] + res.load_seconds
    pure = max(1e-9, res.solve_seconds - res.load_seconds - s.get("heuristic_seconds", 0.0))
    return {
        "case": case,
        "solver": solver,
        "sites": int(len(inp.sites)),
        "corridors": int(len(inp.corridors)),
        "pairs": int(s["n_pairs"]),
        "paths": int(s["n_paths"]),
        "vars": int(s["n_variables"]),
        "ints": int(s["n_integer_variables"]),
        "rows": int(s["n_constraints"]),
        "paths_s": s["paths_seconds"],
        "build_s": s["sets_seconds"] + s["build_seconds"],
        "load_s": res.load_seconds,
        "heur_s": s.get("heuristic_seconds", 0.0),
        "solve_s": res.solve_seconds,
        "limit_s": limit,
        "stop": served_gap,
        "cuts": int(s.get("cutset_rows", 0)) if cuts else None,
        "root_lp": s.get("cutset_lp_bound_before_usd", s.get("lp_relaxation_objective")),
        "root_lp_cuts": s.get("cutset_lp_bound_after_usd"),
        "offset": s.get("objective_offset_usd", 0.0),
        "objective": res.objective,
        "bound": res.best_bound,
        "marg_s": marg_s,
        "total_s": time.perf_counter() - t,
        "status": res.solver_status,
        "gap": res.mip_gap,
        "served": s["served_fraction"],
        "all_paths_gap": s.get("all_paths_gap"),
        "pricing": "converged"
        if s.get("path_pricing_converged")
        else ("skipped" if s.get("pricing_skipped") else "no"),
        "served_ub": s["served_fraction_upper_bound"],
        "served_gap": s.get("served_gap"),
        "capex_musd": s["capex_usd_total"] / 1e6,
        "budget_musd": sc.budget_usd_total / 1e6,
        "overhead_ratio": model_s / pure,
        "peak_rss_mb": peak_mib(),
    }


def path_bench(name: str = "Cogentco", sample: int = 200) -> dict:
    """A* k-shortest (all pairs) vs networkx Yen (a sample), same graph, k=5, no limit."""
    import networkx as nx
    import numpy as np
    import pandas as pd

    from planner.network import corridor_latency_ms
    from planner.optimize.paths import enumerate_paths

    inp, _, _ = zoo_case(name, years=1)
    cor = inp.corridors.assign(latency_ms=corridor_latency_ms(inp.corridors))
    sites = sorted(inp.sites["site_id"])
    pairs = pd.DataFrame(list(itertools.combinations(sites, 2)), columns=["site_a", "site_b"])
    pairs["pair_id"] = np.arange(len(pairs))
    pairs["latency_limit_ms"] = np.inf
    t = time.perf_counter()
    _, info = enumerate_paths(cor, pairs, 5)
    ours = time.perf_counter() - t
    g = nx.Graph()
    g.add_weighted_edges_from(zip(cor["site_a"], cor["site_b"], cor["latency_ms"], strict=True))
    sub = pairs.sample(min(sample, len(pairs)), random_state=0)
    t = time.perf_counter()
    for r in sub.itertuples():
        list(itertools.islice(nx.shortest_simple_paths(g, r.site_a, r.site_b, "weight"), 5))
    yen = (time.perf_counter() - t) / len(sub)
    return {
        "graph": name,
        "pairs": len(pairs),
        "ours_s": ours,
        "ours_ms_per_pair": 1e3 * ours / len(pairs),
        "yen_ms_per_pair": 1e3 * yen,
        "yen_all_pairs_s_est": yen * len(pairs),
        "fallback_pairs": int(info["capped"].sum()),
    }


def ag(r: dict) -> str:
    """The gap against the all-paths LP bound (path pricing converged), or why there is none."""
    if r.get("all_paths_gap") is not None:
        return f"{100 * r['all_paths_gap']:.2f} %"
    return f"- ({r.get('pricing', 'no')})"


def report(rows: list[dict], paths: dict | None, quick: bool, wall: float) -> str:
    out = [
        "# Optimiser benchmark",
        "",
        f"Machine: 2 cores (shared), 24 GiB RAM, {platform.python_implementation()} "
        f"{platform.python_version()}; {'--quick' if quick else 'full'} run, {wall:.0f} s wall.",
        "Times in seconds. `paths` = k-shortest enumeration, `build` = index sets + PuLP model,",
        "`load` = PuLP -> solver hand-over, `heur` = LP-rounding MIP start, `solve` = start +",
        "solver wall time (within `limit`, or until the served gap reaches `stop`, the",
        "scenario's `solver.served_gap`), `marginals` = the two dual LPs (skipped above 100k",
        "vars). `overhead` = (paths + build + load) / (pure solver time). `served_ub`: no plan",
        "within the budget serves more (from the solver's bound); `served gap` = (served_ub -",
        "served) / served_ub, the MIP gap in served Gbps-years (`gap` is the solver's, on CapEx +",
        "penalty x avoidable unserved), over the path set; `all-paths gap` against the root LP",
        "bound after path pricing (valid for every admissible path; `-` when pricing was skipped",
        "or did not converge). `cuts`: cut-set rows added (`solver.cuts`), `-` = off.",
        "",
        "| case | solver | sites | corridors | pairs | vars | ints | rows | paths | build | "
        "load | heur | solve | limit | stop | cuts | marginals | status | gap | all-paths gap | "
        "served | "
        "served_ub | served gap | capex $M / budget | overhead | peak RSS MB |",
        "|" + "---|" * 26,
    ]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['case']} | {r['solver']} | error: {r['error']} |" + " |" * 23)
            continue
        out.append(
            f"| {r['case']} | {r['solver']} | {r['sites']} | {r['corridors']} | {r['pairs']} | "
            f"{r['vars']} | {r['ints']} | {r['rows']} | {fmt(r['paths_s'])} | "
            f"{fmt(r['build_s'])} | {fmt(r['load_s'])} | {fmt(r['heur_s'])} | "
            f"{fmt(r['solve_s'])} | {r['limit_s']:g} | "
            f"{'-' if r.get('stop') is None else format(100 * r['stop'], 'g') + ' %'} | "
            f"{'-' if r.get('cuts') is None else r['cuts']} | "
            f"{fmt(r['marg_s'])} | {r['status']} | "
            f"{fmt(100 * r['gap'], '.2f')} % | "
            f"{ag(r)} | {fmt(100 * r['served'], '.2f')} % | "
            f"{fmt(100 * (r['served_ub'] or 0), '.2f')} % | "
            f"{fmt(100 * (r['served_gap'] or 0), '.2f')} % | "
            f"{r['capex_musd']:,.0f} / {r['budget_musd']:,.0f} | "
            f"{fmt(r['overhead_ratio'], '.3f')} | {r['peak_rss_mb']:,.0f} |"
        )
    if paths:
        out += [
            "",
            f"Path enumeration on {paths['graph']} (all {paths['pairs']} pairs, k=5): ours "
            f"{paths['ours_s']:.1f} s ({paths['ours_ms_per_pair']:.2f} ms/pair, "
            f"{paths['fallback_pairs']} pairs via the Yen fallback); networkx Yen "
            f"{paths['yen_ms_per_pair']:.2f} ms/pair on a sample, "
            f"~{paths['yen_all_pairs_s_est']:.0f} s for all pairs.",
        ]
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--solver", help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--stop", type=float, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--paths", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--cuts", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    if a.case:  # child process: one case, JSON on the last stdout line
        print(json.dumps(run_one(a.case, a.solver, a.limit, a.stop, a.cuts)))
        return 0
    if a.paths:
        print(json.dumps(path_bench()))
        return 0
    t0 = time.perf_counter()
    rows = []
    for case, solver, limit, stop, *cuts in QUICK if a.quick else FULL:
        cmd = [__file__, "--case", case, "--solver", solver, "--limit", str(limit)]
        cmd += [] if stop is None else ["--stop", str(stop)]
        cmd += ["--cuts"] if cuts and cuts[0] else []
        rows.append(run_json(cmd, ROOT, {"case": case, "solver": solver}))
        print(json.dumps(rows[-1]), flush=True)
    paths = None
    if not a.quick:
        p = subprocess.run(
            [sys.executable, __file__, "--paths"], capture_output=True, text=True, cwd=ROOT
        )
        paths = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else None
    text = report(rows, paths, a.quick, time.perf_counter() - t0)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
