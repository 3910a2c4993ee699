"""Benchmark: import each Topology Zoo file and plan it end to end (validate, forecast, optimise).

Why: real topologies are the scale test the toy inputs cannot be. For each file the table lists
sites, corridors and demand pairs after import, then import, forecast, model build and solve
times, solver status and gap under a per-file time limit, and the peak memory of that file's
run (each file runs in its own process, so ``ru_maxrss`` is that file's peak, not a maximum
over the whole benchmark).

Usage: ``python tests/bench/bench_topologyzoo.py [--quick] [--time-limit S] [--pairs N]
[--formulation path|arc] [--files Abilene,Kdl] [--synthetic] [--out FILE]``. ``--synthetic``
plans issue 14 target 3's instance of each file (``bench_optimize.zoo_case``: every pair,
5 years) instead of the importer's. Writes
``reports/bench/topologyzoo.md`` by default.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from child import peak_mib

ROOT = Path(__file__).resolve().parents[2]
ZOO = ROOT.parent / "shared" / "data" / "topologyzoo"
OUT = ROOT / "reports" / "bench" / "topologyzoo.md"
QUICK = ("Abilene", "AttMpls", "Geant2012", "Columbus")


#: summary fields shown per file besides the table's own (the bound and where it came from)
EXTRA = (
    "objective",
    "bound_scope",
    "path_pricing_converged",
    "paths_priced",
    "paths_added",
    "pricing_seconds",
    "all_paths_bound_usd",
    "all_paths_lp_bound_usd",
    "all_paths_cut_rows",
    "all_paths_gap",
    "benders_rounds",
    "benders_seconds",
    "benders_bound_usd",
    "benders_objective_usd",
    "benders_skipped",
    "benders_stopped",
    "best_bound",
    "bound_source",
    "objective_offset_usd",
    "served_gap",
    "heuristic_used",
    "heuristic_seconds",
    "trim_objective_before",
    "trim_objective_after",
    "trim_waves_dropped",
    "trim_work_share",
    "cutset_rows",
    "cutset_rows_separated",
    "cutset_rounds",
    "cutset_lp_bound_before_usd",
    "cutset_lp_bound_after_usd",
    "cutset_work_share",
    "cutset_start_objective",
    "submip_fixed_share",
    "submip_presolved_share",
    "submip_fixed_columns_share",
    "submip_skipped",
    "submip_status",
    "submip_nodes",
    "submip_objective_before",
    "submip_objective_after",
    "submip_seconds",
    "submip_iterations",
    "lns_rounds",
    "lns_improvements",
    "lns_improvement_usd",
    "lns_objective_before",
    "lns_objective_after",
    "lns_work_share",
    "lns_max_free_columns",
    "lns_improved_by",
    "lns_seconds",
    "lns_stage",
    "lp_relaxation_objective",
    "n_variables",
)


def run_synthetic(name: str, time_limit: float, formulation: str) -> dict:
    """Issue 14 target 3's instance: ``bench_optimize.zoo_case`` (every pair, 5 years,
    synthetic capacities and gravity demand), planned as ``planner.optimize.plan`` does."""
    sys.path.insert(0, str(ROOT / "tests" / "bench"))
    from bench_optimize import zoo_case

    from planner.optimize import plan

    inp, dem, sc = zoo_case(name)
    sc = sc.model_copy(
        update={"solver": sc.solver.model_copy(update={"time_limit_s": float(time_limit)})}
    )
    t = time.perf_counter()
    p = plan(inp, dem, sc, formulation=formulation, marginals=False)
    sm = p.summary
    return dict(
        sites=len(inp.sites),
        corridors=len(inp.corridors),
        pairs=int(sm["n_pairs"]),
        import_s=0.0,
        forecast_s=0.0,
        paths_s=sm.get("paths_seconds", 0.0),
        build_s=sm.get("sets_seconds", 0.0) + sm.get("paths_seconds", 0.0) + sm["build_seconds"],
        solve_s=sm["solve_seconds"],
        optimize_s=time.perf_counter() - t,
        status=sm["solver_status"],
        gap=sm["mip_gap"],
        capex_musd=sm["capex_usd_total"] / 1e6,
        budget_musd=sm["budget_usd_total"] / 1e6,
        served=sm["served_fraction"],
        extra={k: sm.get(k) for k in EXTRA},
    )


def run_one(
    path: str, time_limit: float, pairs: int, formulation: str, synthetic: bool = False
) -> dict:
    """Import + pipeline for one file, in a fresh process (own peak memory)."""
    sys.path.insert(0, str(ROOT))
    if synthetic:
        row = {"file": Path(path).stem + " (synthetic, all pairs, 5 y)"}
        try:
            row.update(run_synthetic(Path(path).stem, time_limit, formulation))
        except Exception as e:  # a benchmark reports failures as rows, it does not stop
            row["status"] = f"error: {type(e).__name__}: {str(e).splitlines()[0][:80]}"
            traceback.print_exc()
        row["peak_mib"] = peak_mib()
        return row
    import yaml

    from planner.io.topologyzoo import ZooOptions, import_topologyzoo
    from planner.options import PlanOptions
    from planner.pipeline import run

    row: dict = {"file": Path(path).stem}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            rep = import_topologyzoo(path, Path(tmp) / "in", ZooOptions(pairs=pairs))
            row["import_s"] = time.perf_counter() - t
            o = rep["output"]
            row.update(sites=o["sites"], corridors=o["corridors"], pairs=o["pairs"])
            scen_path = Path(tmp) / "in" / "scenarios" / "base.yaml"
            scen = yaml.safe_load(scen_path.read_text())
            scen["solver"]["time_limit_s"] = time_limit
            scen_path.write_text(yaml.safe_dump(scen, sort_keys=False))
            res = run(
                Path(tmp) / "in",
                scen_path,
                Path(tmp) / "run",
                stages=("forecast", "optimize"),
                log=lambda _m: None,
                options=PlanOptions(formulation=formulation, marginals=False),
            )
            sm = res.plan.summary
            row.update(
                forecast_s=res.seconds.get("forecast", float("nan")),
                # model build as a user waits for it: index sets + path enumeration + rows
                paths_s=sm.get("paths_seconds", 0.0),
                build_s=sm.get("sets_seconds", 0.0)
                + sm.get("paths_seconds", 0.0)
                + sm["build_seconds"],
                solve_s=sm["solve_seconds"],
                optimize_s=res.seconds.get("optimize", float("nan")),
                status=sm["solver_status"],
                gap=sm["mip_gap"],
                capex_musd=sm["capex_usd_total"] / 1e6,
                budget_musd=sm["budget_usd_total"] / 1e6,
                served=sm["served_fraction"],
                formulation=sm.get("formulation", formulation),
                extra={k: sm.get(k) for k in EXTRA},
            )
    except Exception as e:  # a benchmark reports failures as rows, it does not stop
        row["status"] = f"error: {type(e).__name__}: {str(e).splitlines()[0][:80]}"
        traceback.print_exc()
    row["peak_mib"] = peak_mib()
    return row


def fmt(v: object, spec: str) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and v != v:
        return "-"
    return format(v, spec) if isinstance(v, int | float) else str(v)


def table(rows: list[dict]) -> str:
    cols = [
        ("file", "file", ""),
        ("sites", "sites", "d"),
        ("corridors", "corridors", "d"),
        ("pairs", "pairs", "d"),
        ("import s", "import_s", ".2f"),
        ("forecast s", "forecast_s", ".1f"),
        ("build s", "build_s", ".1f"),
        ("of which paths s", "paths_s", ".1f"),
        ("solve s", "solve_s", ".1f"),
        ("optimize stage s", "optimize_s", ".1f"),
        ("status", "status", ""),
        ("gap", "gap", ".2%"),
        ("capex $M", "capex_musd", ".1f"),
        ("budget $M", "budget_musd", ".0f"),
        ("served", "served", ".1%"),
        ("peak MiB", "peak_mib", ".0f"),
        ("wall s", "wall_s", ".0f"),
    ]
    out = ["| " + " | ".join(c[0] for c in cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        out.append("| " + " | ".join(fmt(r.get(k), s) for _, k, s in cols) + " |")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}; 30 s limit")
    ap.add_argument("--time-limit", type=float, default=None, help="solver limit per file (s)")
    ap.add_argument(
        "--pairs", default="300", help="demand pairs per network; a list, e.g. 300,1000,3000"
    )
    ap.add_argument("--formulation", choices=["path", "arc"], default="path")
    ap.add_argument("--files", default="", help="comma-separated stems, e.g. Abilene,Kdl")
    ap.add_argument("--out", type=Path, default=OUT, help="markdown file to write")
    ap.add_argument(
        "--synthetic",
        action="store_true",
        help="issue 14 target 3's instance (bench_optimize.zoo_case: every pair, 5 years) "
        "instead of the importer's",
    )
    args = ap.parse_args()
    files = sorted(ZOO.glob("*.graphml"), key=lambda p: p.stat().st_size)
    if not files:
        print(f"no .graphml files in {ZOO}", file=sys.stderr)
        return 1
    wanted = {s.strip() for s in args.files.split(",") if s.strip()} or (
        set(QUICK) if args.quick else None
    )
    if wanted:
        files = [f for f in files if f.stem in wanted]
    limit = args.time_limit or (30.0 if args.quick else 120.0)
    pair_counts = [int(x) for x in args.pairs.split(",") if x.strip()]
    rows = []
    ctx = mp.get_context("spawn")
    for f in files:
        for n in pair_counts:
            t = time.perf_counter()
            with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as ex:
                fut = ex.submit(run_one, str(f), limit, n, args.formulation, args.synthetic)
                row = fut.result()
            row["wall_s"] = time.perf_counter() - t
            rows.append(row)
            print(f"{row['file']} x {n}: {row.get('status')} in {row['wall_s']:.0f} s", flush=True)
            print(json.dumps(row, default=str), flush=True)
    md = "\n".join(
        [
            "# Topology Zoo: import and plan end to end",
            "",
            f"Machine: 2 cores (shared), 24 GiB, {platform.python_implementation()} "
            f"{platform.python_version()}. Solver time limit {limit:g} s per file, "
            f"at most {args.pairs} demand pairs (top by gravity), formulation "
            f"{args.formulation}, "
            "3 planning years, 36 months of synthetic history. Forecast and optimise as in "
            "`planner run` (marginal-value LPs and report rendering not included). "
            "Build = index sets + candidate paths + model rows; optimize stage = build + "
            "solve + extracting and writing the plan. Peak MiB is the peak RSS of the process "
            "that ran that file together with its MIP process (models of 100k columns or more "
            "solve in one; their sum sampled every 0.5 s); wall s includes starting that "
            "process.",
            "",
            table(rows),
            "",
            "Bound and start per file (USD; `bound_source: root_lp` = the model's own LP",
            "optimum with cut-set rows, higher than the solver's):",
            "",
            *[f"- {r['file']}: `{json.dumps(r.get('extra', {}), default=str)}`" for r in rows],
            "",
            f"Generated by `python tests/bench/bench_topologyzoo.py {' '.join(sys.argv[1:])}`.",
            "",
        ]
    )
    sys.path.insert(0, str(ROOT))
    from planner.io.atomic import write_text

    write_text(md, args.out)
    print(md)
    return 0 if all(not str(r.get("status", "")).startswith("error") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
