"""Min-cost correctness benchmark (issue 14, target 5): the default formulation against the arc
optimum.

Why: the path formulation routes on k shortest paths plus the paths root-LP pricing adds; its
plan can cost more than the true optimum and its own bound belongs to that path set. The arc
formulation (multi-commodity flow by source) routes over every path, so where it proves an
optimum that optimum is the true one. For each case this script solves

* ``arc``: the arc formulation, to proven optimality or its time limit (the reference);
* ``path``: the path formulation with root-LP pricing (``solver.path_pricing: true``);
* ``default``: what ``planner.optimize.plan`` does with no formulation given;

and checks (1) the plan's CapEx against the arc optimum, (2) validity: every bound a run
claims for all paths (``all_paths_bound_usd``, or ``best_bound`` when ``bound_scope`` is
``all_paths``) is at most the arc plan's objective (it must be below every plan's), and (3)
that the gap the run reports for all paths is stated.

Cases, all min-cost with latency limits above any path (so the arc model, which has no
latency limits, solves the same problem): the shipped network (``inputs/``, base scenario,
P50 demand), Topology Zoo networks (the five in ``tests/data/topologyzoo`` and a few from
``../shared/data/topologyzoo``, imported with ``planner import topologyzoo`` defaults), and
SNDlib-format files written for this project (``tests/data/sndlib``, plus generated
mid-size instances, see :func:`write_grid_instance`); ``file:PATH`` is any SNDlib native file
(e.g. the public SNDlib instances, kept outside the repository). Each case runs in its own
process.

Usage: ``python tests/bench/bench_mincost.py [--quick] [--limit S] [--cases a,b]
[--forms arc,path,default] [--out FILE]``; writes ``reports/bench/mincost.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from child import fmt, peak_mib, run_json

ROOT = Path(__file__).resolve().parents[2]
ZOO_TESTS = ROOT / "tests" / "data" / "topologyzoo"
ZOO_SHARED = ROOT.parent / "shared" / "data" / "topologyzoo"
SNDLIB = ROOT / "tests" / "data" / "sndlib"
OUT = ROOT / "reports" / "bench" / "mincost.md"
#: generated SNDlib-format instances: name -> (grid rows, cols, demands, seed)
GRIDS = {"grid4x5": (4, 5, 40, 1), "grid5x6": (5, 6, 90, 2)}
CASES = (
    ["shipped"]
    + [f"sndlib:{n}" for n in ("detour3", "hand4", "trap12")]
    + [f"grid:{n}" for n in GRIDS]
    + [f"zoo:{n}" for n in ("Abilene", "AttMpls", "Geant2012", "Columbus", "Deltacom")]
    + [f"zoo:{n}" for n in ("Ion", "TataNld")]
)
QUICK = ["sndlib:detour3", "sndlib:hand4", "sndlib:trap12", "grid:grid4x5", "zoo:Abilene"]
FORMS = ("arc", "path", "default")
#: relative tolerance of the comparisons (solver feasibility tolerances, tie-break)
REL_TOL = 1e-6


def write_grid_instance(path: Path, rows: int, cols: int, n_demands: int, seed: int) -> None:
    """A rows x cols grid with a few diagonals, two modules per link (small dearer per unit),
    random pre-installed capacity on some links and random demands: an SNDlib-format file in
    the style of the real instances (written here, so the bench owns its data)."""
    rng = np.random.default_rng(seed)
    nodes = [f"N{r}{c}" for r in range(rows) for c in range(cols)]
    pos = {f"N{r}{c}": (8.0 + 0.6 * c, 48.0 + 0.5 * r) for r in range(rows) for c in range(cols)}
    links = []
    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols:
                links.append((f"N{r}{c}", f"N{r}{c + 1}"))
            if r + 1 < rows:
                links.append((f"N{r}{c}", f"N{r + 1}{c}"))
            if r + 1 < rows and c + 1 < cols and rng.random() < 0.3:
                links.append((f"N{r}{c}", f"N{r + 1}{c + 1}"))
    out = ["?SNDlib native format; type: network; version: 1.0", f"# generated grid seed {seed}"]
    out += ["NODES ("] + [f"  {n} ( {pos[n][0]:.2f} {pos[n][1]:.2f} )" for n in nodes] + [")"]
    out.append("LINKS (")
    for i, (a, b) in enumerate(links):
        km = 1.0 + rng.random()
        pre = float(rng.choice([0, 0, 0, 20, 40]))
        small, big = round(10 * km, 2), round(28 * km * rng.uniform(0.9, 1.1), 2)
        out.append(f"  L{i} ( {a} {b} ) {pre:.2f} 0.00 0.00 0.00 ( 40.00 {small} 160.00 {big} )")
    out.append(")")
    out.append("DEMANDS (")
    seen = set()
    while len(seen) < n_demands:
        a, b = rng.choice(len(nodes), 2, replace=False)
        key = tuple(sorted((int(a), int(b))))
        if key in seen:
            continue
        seen.add(key)
        val = float(np.round(rng.lognormal(3.0, 0.8), 1))
        out.append(f"  D{len(seen)} ( {nodes[key[0]]} {nodes[key[1]]} ) 1 {val:.2f} UNLIMITED")
    out.append(")")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def no_latency_limit(sc, inp):
    """The scenario with latency limits above every path (the arc model has none)."""
    from planner.network import corridor_table

    cor = corridor_table(inp)[0]
    big = float(math.ceil(cor["latency_ms"].sum() + 1))
    return sc.model_copy(update={"latency_ms_max": {c: big for c in sc.latency_ms_max}})


def load_case(case: str, tmp: Path):
    """(inputs, demand, scenario) of a case, min-cost, latency never binding."""
    from planner.forecast import demand_for, forecast
    from planner.io import read_inputs, read_scenario
    from planner.io.run import read_demand
    from planner.io.sndlib import import_sndlib
    from planner.io.topologyzoo import import_topologyzoo

    kind, _, name = case.partition(":")
    if kind == "shipped":
        inp = read_inputs(ROOT / "inputs")
        sc = read_scenario(ROOT / "inputs" / "scenarios" / "base.yaml")
        sc = sc.model_copy(update={"demand_quantile": 0.5, "objective": "min-cost"})
        dem = demand_for(forecast(inp, sc), sc)
    elif kind in ("sndlib", "grid", "file"):
        src = Path(name) if kind == "file" else SNDLIB / f"{name}.txt"
        if kind == "grid":
            src = tmp / f"{name}.txt"
            write_grid_instance(src, *GRIDS[name])
        import_sndlib(src, tmp / "in")
        inp, dem = read_inputs(tmp / "in"), read_demand(tmp / "in" / "demand.csv")
        sc = read_scenario(tmp / "in" / "scenarios" / "min_cost.yaml")
    else:
        from planner.io.topologyzoo import ZooOptions

        src = ZOO_TESTS / f"{name}.graphml"
        src = src if src.exists() else ZOO_SHARED / f"{name}.graphml"
        import_topologyzoo(src, tmp / "in", ZooOptions())
        inp = read_inputs(tmp / "in")
        sc = read_scenario(tmp / "in" / "scenarios" / "base.yaml")
        sc = sc.model_copy(update={"objective": "min-cost"})
        dem = demand_for(forecast(inp, sc), sc)
    return inp, dem, no_latency_limit(sc, inp)


def run_one(case: str, form: str, limit: float, cumulative: bool = False) -> dict:
    """One plan of one case in this process; the row fields (``cumulative``: with
    ``solver.cumulative``, planner.optimize.cumulative)."""
    from planner.optimize import plan

    with tempfile.TemporaryDirectory() as t:
        inp, dem, sc = load_case(case, Path(t))
        solver = sc.solver.model_copy(
            update={
                "time_limit_s": limit,
                "mip_gap": 1e-4,
                "served_gap": None,
                "cumulative": cumulative,
            }
        )
        sc = sc.model_copy(update={"solver": solver})
        kw = {} if form == "default" else {"formulation": form}
        t0 = time.perf_counter()
        s = plan(inp, dem, sc, marginals=False, **kw).summary
        wall = time.perf_counter() - t0
    keys = (
        "formulation",
        "solver_status",
        "capex_usd_total",
        "objective",
        "best_bound",
        "mip_gap",
        "bound_scope",
        "all_paths_bound_usd",
        "all_paths_gap",
        "path_pricing_converged",
        "paths_added",
        "n_variables",
        "n_pairs",
        "routing_tiebreak_max_usd",
        "routing_usd_per_gbps_ms",
        "formulation_choice",
    )
    row = {k: s.get(k) for k in keys}
    row.update(case=case, form=form, wall_s=wall, sites=int(len(inp.sites)))
    row["corridors"] = int(len(inp.corridors))
    row["peak_rss_mb"] = peak_mib()
    return row


def all_paths_bound(r: dict) -> float | None:
    """The bound a run claims for every admissible path (None: it claims none)."""
    if r.get("bound_scope") == "all_paths":
        return r.get("best_bound")
    return r.get("all_paths_bound_usd")


def verdict(r: dict, arc: dict | None) -> tuple[str, str]:
    """(plan vs arc optimum, bound validity) of one non-arc row."""
    if arc is None or "error" in arc or "error" in r:
        return "-", "-"
    proven = arc["solver_status"] == "optimal" and (arc["mip_gap"] or 0) <= 1e-4
    tol = REL_TOL * max(1.0, abs(arc["capex_usd_total"]))
    diff = r["capex_usd_total"] - arc["capex_usd_total"]
    if diff > tol:
        plan_v = f"WORSE +{100 * diff / max(arc['capex_usd_total'], 1e-9):.2f} %"
    elif diff < -tol:
        plan_v = "better than arc incumbent" if not proven else "BELOW PROVEN OPTIMUM?"
    else:
        plan_v = "equal"
    if not proven and plan_v.startswith("WORSE"):
        plan_v += " (arc not proven)"
    b = all_paths_bound(r)
    # the arc plan, routed in r's model, costs at most its CapEx + r's largest tie-break; that
    # largest one is over r's *candidate* paths, and the arc's routes may be longer: then its
    # own Gbps-ms (arc objective - CapEx, over the arc's weight) at r's weight
    allowance = float(r.get("routing_tiebreak_max_usd") or 0.0)
    w_arc, w_r = arc.get("routing_usd_per_gbps_ms"), r.get("routing_usd_per_gbps_ms")
    if w_arc and w_r:
        routed = (arc["objective"] - arc["capex_usd_total"]) / w_arc * w_r
        allowance = max(allowance, routed)
    if b is None:
        valid = "no all-paths bound claimed"
    elif b <= arc["capex_usd_total"] + allowance + tol:
        valid = "valid"
    else:
        valid = f"INVALID ({b:,.6g} > arc CapEx {arc['capex_usd_total']:,.6g} + tie-break)"
    return plan_v, valid


def report(rows: list[dict], limit: float, wall: float, quick: bool) -> str:
    """The markdown table; one line per (case, formulation)."""
    out = [
        "# Min-cost benchmark: default formulation vs arc optimum (issue 14, target 5)",
        "",
        f"Machine: {os.cpu_count()} cores, 24 GiB, load average {os.getloadavg()[0]:.1f} at "
        f"the end; CPython "
        f"{platform.python_version()}; {'--quick' if quick else 'full'} run "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {wall:.0f} s wall, time "
        f"limit {limit:g} s per solve, mip_gap 1e-4.",
        "All cases min-cost with latency limits above every path (the arc model has none), so",
        "both formulations solve the same problem. `vs arc` compares CapEx with the arc plan",
        "(the true optimum when arc is `optimal`); `all-paths bound` is the bound a run claims",
        "for every path (`all_paths_bound_usd`, or `best_bound` when the bound scope is",
        "all_paths); `valid` = it is at most the arc plan's CapEx plus the run's largest possible",
        "latency tie-break (`routing_tiebreak_max_usd`, < 1 % of the cheapest unit; bounds are",
        "on CapEx + tie-break). `form` default = `plan()` with no formulation. `gap (scope)`",
        "is the MIP's own gap and its scope; `all-paths gap` the gap against the all-paths bound.",
        "",
        "| case | sites | corridors | pairs | form | formulation | status | capex | gap (scope) | "
        "all-paths bound | all-paths gap | paths added | vs arc | bound | vars | wall s | "
        "peak RSS MB |",
        "|" + "---|" * 17,
    ]
    arc_of = {r["case"]: r for r in rows if r.get("form") == "arc"}
    for r in rows:
        if "error" in r:
            out.append(f"| {r['case']} | | | | {r['form']} | error: {r['error']} |" + " |" * 11)
            continue
        pv, bv = ("reference", "-") if r["form"] == "arc" else verdict(r, arc_of.get(r["case"]))
        ap = all_paths_bound(r)
        apg = r.get("all_paths_gap")
        if r.get("bound_scope") == "all_paths":
            apg = r.get("mip_gap")
        out.append(
            f"| {r['case']} | {r['sites']} | {r['corridors']} | {r.get('n_pairs') or '-'} | "
            f"{r['form']} | {r['formulation']} | {r['solver_status']} | "
            f"{r['capex_usd_total']:,.6g} | {fmt(100 * r['mip_gap'], '.3f')} % "
            f"({r.get('bound_scope')}) | {fmt(ap, ',.6g')} | "
            f"{'-' if apg is None else fmt(100 * apg, '.3f') + ' %'} | "
            f"{fmt(r.get('paths_added'), 'd')} | {pv} | {bv} | {r['n_variables']} | "
            f"{r['wall_s']:.1f} | {r['peak_rss_mb']:,.0f} |"
        )
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small cases only")
    ap.add_argument("--limit", type=float, default=None, help="time limit per solve (s)")
    ap.add_argument("--cases", default="", help="comma-separated, e.g. sndlib:trap12,zoo:Abilene")
    ap.add_argument("--forms", default=",".join(FORMS), help="comma-separated of arc,path,default")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--cumulative", action="store_true", help="solver.cumulative: true")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    limit = a.limit or (30.0 if a.quick else 120.0)
    if a.one:  # child process: one (case, form), JSON on the last stdout line
        case, form = a.one.rsplit("/", 1)
        print(json.dumps(run_one(case, form, limit, a.cumulative)))
        return 0
    cases = [c for c in a.cases.split(",") if c] or (QUICK if a.quick else CASES)
    forms = [f for f in a.forms.split(",") if f]
    t0, rows = time.perf_counter(), []
    for case in cases:
        for form in forms:
            cmd = [__file__, "--one", f"{case}/{form}", "--limit", str(limit)]
            cmd += ["--cumulative"] if a.cumulative else []
            rows.append(run_json(cmd, ROOT, {"case": case, "form": form}))
            print(json.dumps(rows[-1]), flush=True)
    text = report(rows, limit, time.perf_counter() - t0, a.quick)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
