"""The budget frontier of a sweep: what each budget buys, the next $100M, the buy order.

Why these three views: "what do we lose at $300M instead of $600M?" is read off the frontier
(served fraction and unserved Gbps vs budget, per scenario); "is the next $100M worth it?" is
the slope of that frontier between consecutive budgets; "what do we buy first?" is the smallest
budget at which each corridor upgrade appears. Every figure is also a CSV next to it, so the
numbers can be checked and reused without reading them off a chart. The analysis lives here
and the drawing in :mod:`planner.report.comparison` (the report only draws).

Reads only the sweep folder (``runs.csv`` and ``runs/<id>/upgrades.csv``), so it can be
re-rendered any time: ``render_comparison(sweep_dir)``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from planner.errors import InputError, Problem
from planner.io.atomic import write_csv
from planner.schema import PLANNED_STATUSES

#: The "next $100M" of the issue: marginal values are scaled to this budget step.
STEP_USD = 100e6
#: Served fraction may drop by this much with more budget before it is a frontier violation.
FRONTIER_TOL = 1e-6


_PLANNED = PLANNED_STATUSES
#: Frontier values taken from the best plan found at or below each budget.
_PLAN_VALUES = ["served_fraction", "served_gbps_years", "demand_gbps_years",
                "unserved_gbps_final_year", "capex_usd", "mip_gap"]  # fmt: skip


def load_sweep(sweep_dir: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """``runs.csv``, every successful run's upgrades (with its ``run_id``), and each
    scenario's unserved penalty (USD per Gbps-year, to turn a budget dual into Gbps)."""
    d = Path(sweep_dir)
    p = d / "runs.csv"
    if not p.is_file():
        raise InputError(Problem(str(p), "missing: is this a sweep folder (planner sweep)?"))
    runs = pd.read_csv(p, dtype={"scenario": str, "run_id": str, "status": str, "error": str})
    ups, penalty = [], {}
    for r in runs[runs["status"].isin(_PLANNED)].itertuples():
        rd = d / "runs" / str(r.run_id)
        u = pd.read_csv(rd / "upgrades.csv", dtype={"corridor_id": str, "option_id": str})
        ups.append(u.assign(run_id=r.run_id))
        if r.scenario not in penalty and (rd / "scenario.yaml").is_file():
            sc = yaml.safe_load((rd / "scenario.yaml").read_text(encoding="utf-8")) or {}
            penalty[r.scenario] = float(sc.get("unserved_penalty_usd_per_gbps") or np.nan)
    cols = ["run_id", "corridor_id", "kind", "option_id", "year", "units", "capex_usd"]
    upgrades = pd.concat(ups, ignore_index=True) if ups else pd.DataFrame(columns=cols)
    return runs, upgrades, penalty


def frontier_violations(runs: pd.DataFrame, tol: float = FRONTIER_TOL) -> pd.DataFrame:
    """Runs whose plan serves less than a cheaper run's plan of the same scenario.

    Why it happens: a run stopped at the time limit (or within its MIP gap) can return a plan
    worse than a smaller budget's, although that plan is feasible at the larger budget too.
    A planner must not read it as "more money hurts"; the frontier uses the better plan.
    """
    ok = runs[runs["status"].isin(_PLANNED)].sort_values(["scenario", "budget_usd"])
    best = ok.groupby("scenario")["served_fraction"].cummax()
    return ok[ok["served_fraction"] < best - tol]


def frontier_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The budget frontier: per scenario and budget, the best plan found at or below it.

    Every plan of a smaller budget is feasible at a larger one (same constraints, a looser
    budget; per-year caps scale up too), so the best known plan for budget b is the one serving
    most among runs with budget <= b. ``plan_budget_usd`` / ``plan_run_id`` name it;
    ``frontier_ok`` is False where the run's own plan was worse (then ``raw_*`` is its own).
    Served fraction on the frontier is therefore non-decreasing in the budget by construction.
    """
    ok = runs[runs["status"].isin(_PLANNED)].sort_values(["scenario", "budget_usd"], kind="stable")
    bad = set(frontier_violations(ok)["run_id"])
    rows = []
    for _sc, g in ok.groupby("scenario", sort=False):
        best = None
        for r in g.to_dict("records"):
            if best is None or r["served_fraction"] >= best["served_fraction"]:
                best = r
            dual = r.get("budget_marginal_usd_per_usd") if best is r else np.nan
            rows.append(
                {"scenario": r["scenario"], "budget_usd": r["budget_usd"], "status": r["status"],
                 **{c: best[c] for c in _PLAN_VALUES}, "budget_marginal_usd_per_usd": dual,
                 "frontier_ok": r["run_id"] not in bad, "plan_budget_usd": best["budget_usd"],
                 "plan_run_id": best["run_id"], "run_id": r["run_id"],
                 "raw_served_fraction": r["served_fraction"],
                 "raw_unserved_gbps_final_year": r["unserved_gbps_final_year"]}
            )  # fmt: skip
    cols = ["scenario", "budget_usd", "status", *_PLAN_VALUES, "budget_marginal_usd_per_usd",
            "frontier_ok", "plan_budget_usd", "plan_run_id", "run_id", "raw_served_fraction",
            "raw_unserved_gbps_final_year"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


_DELTA = ["served_gbps_years", "served_fraction", "unserved_gbps_final_year", "capex_usd"]


def marginal_table(frontier: pd.DataFrame, penalty: dict | None = None) -> pd.DataFrame:
    """Value of the next ``STEP_USD`` between consecutive budgets on each scenario's frontier.

    ``served_gbps_years_per_100m`` = delta served Gbps-years / delta budget x $100M (the
    finite-difference slope of the frontier, >= 0). ``dual_gbps_years_per_100m`` converts the
    optimiser's LP dual of the budget row at the lower budget (``budget_marginal_usd_per_usd``:
    USD of unserved penalty avoided per USD) into Gbps-years with the scenario's penalty: the
    slope *at* that budget, where the finite difference is the average over the step.
    """
    penalty = penalty or {}
    rows = []
    for sc, g in frontier.groupby("scenario", sort=False):
        g = g.sort_values("budget_usd")
        for (_i, lo), (_j, hi) in zip(g.iterrows(), g.iloc[1:].iterrows(), strict=False):
            k = STEP_USD / (hi["budget_usd"] - lo["budget_usd"])
            d = pd.to_numeric(lo["budget_marginal_usd_per_usd"], errors="coerce")
            pen = penalty.get(sc, np.nan)
            up = hi[_DELTA].astype(float) - lo[_DELTA].astype(float)
            rows.append(
                {
                    "scenario": sc,
                    "budget_from_usd": lo["budget_usd"],
                    "budget_to_usd": hi["budget_usd"],
                    "served_gbps_years_per_100m": up["served_gbps_years"] * k,
                    "served_fraction_points_per_100m": 100 * up["served_fraction"] * k,
                    "unserved_final_year_gbps_cut_per_100m": -up["unserved_gbps_final_year"] * k,
                    "capex_used_delta_usd": up["capex_usd"],
                    "dual_gbps_years_per_100m": (
                        abs(float(d)) * STEP_USD / pen if pd.notna(d) and pen > 0 else np.nan
                    ),
                }
            )
    cols = ["scenario", "budget_from_usd", "budget_to_usd", "served_gbps_years_per_100m",
            "served_fraction_points_per_100m", "unserved_final_year_gbps_cut_per_100m",
            "capex_used_delta_usd", "dual_gbps_years_per_100m"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def frontier_upgrades(upgrades: pd.DataFrame, frontier: pd.DataFrame) -> pd.DataFrame:
    """The upgrades of the plan on the frontier at each (scenario, budget)."""
    plans = frontier[["scenario", "budget_usd", "plan_run_id"]]
    u = upgrades[pd.to_numeric(upgrades["units"], errors="coerce").fillna(0) > 0]
    return u.merge(plans, left_on="run_id", right_on="plan_run_id").drop(columns="plan_run_id")


def buy_order_table(upgrades: pd.DataFrame, frontier: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, corridor and option kind: the smallest budget whose plan upgrades it.

    ``upgrades`` as from :func:`frontier_upgrades`. ``kept_above`` says whether every larger
    budget also buys it: plans need not be nested (a bigger budget can swap waves on one
    corridor for a new route elsewhere).
    """
    cols = ["scenario", "corridor_id", "kind", "first_budget_usd", "first_year",
            "units_at_first", "capex_usd_at_first", "n_budgets_with", "n_budgets_from_first",
            "kept_above"]  # fmt: skip
    if upgrades.empty:
        return pd.DataFrame(columns=cols)
    budgets = {sc: g["budget_usd"].to_numpy(float) for sc, g in frontier.groupby("scenario")}
    per = (
        upgrades.groupby(["scenario", "corridor_id", "kind", "budget_usd"], as_index=False)
        .agg(year=("year", "min"), units=("units", "sum"), capex_usd=("capex_usd", "sum"))
        .sort_values("budget_usd")
    )
    rows = []
    for (sc, cid, kind), g in per.groupby(["scenario", "corridor_id", "kind"], sort=False):
        f = g.iloc[0]
        n_from = int((budgets[sc] >= f["budget_usd"]).sum())
        rows.append([sc, cid, kind, f["budget_usd"], int(f["year"]), f["units"], f["capex_usd"],
                     len(g), n_from, len(g) == n_from])  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["scenario", "first_budget_usd", "first_year", "corridor_id", "kind"])


def render_comparison(sweep_dir: str | os.PathLike) -> list[Path]:
    """Write comparison.pdf, frontier/marginal/buy_order PNGs and CSVs into the sweep folder."""
    from planner.report.comparison import draw_comparison  # matplotlib: only when drawing

    d = Path(sweep_dir)
    runs, upgrades, penalty = load_sweep(d)
    title = d.name
    fr = frontier_table(runs)
    marg = marginal_table(fr, penalty)
    ups = frontier_upgrades(upgrades, fr)
    order = buy_order_table(ups, fr)
    files = [
        write_csv(fr, d / "frontier.csv"),
        write_csv(marg, d / "marginal.csv"),
        write_csv(order, d / "buy_order.csv"),
    ]
    return files + draw_comparison(d, title, runs, marg, order, ups, fr)
