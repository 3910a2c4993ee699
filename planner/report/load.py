"""Read everything a report needs from a plan directory, or say in one line what is wrong.

Why a separate loader: plot functions take DataFrames and never touch files, so the report can
be re-rendered from any plan directory (``planner report --plan DIR``) without re-solving, and a
garbled or half-written directory becomes an :class:`~planner.errors.InputError`, not a
traceback from deep inside matplotlib.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.io.plan import read_plan
from planner.io.risk import RiskResults, read_risk
from planner.io.run import read_forecast, read_run_inputs
from planner.network import network_table
from planner.plan_schema import PLAN_SPECS
from planner.tables import Inputs, Plan

#: Numeric columns of each plan table: a non-number there means the file is garbled.
NUMERIC = {
    name: tuple(c.name for c in t.columns if c.dtype in ("int", "float"))
    for name, t in PLAN_SPECS.items()
}
FORECAST_REQUIRED = ("site_a", "site_b", "year", "p50_gbps", "p95_gbps")
FORECAST_NUMERIC = ("year", "mean_gbps", "p50_gbps", "p90_gbps", "p95_gbps")


@dataclass
class ReportData:
    """The plan, the inputs it was planned from, the scenario and (if any) the forecast."""

    plan_dir: Path
    plan: Plan
    inputs: Inputs
    scenario: Scenario
    forecast: pd.DataFrame | None
    corridors: pd.DataFrame  # existing corridors + candidate routes (column ``candidate``)
    risk: RiskResults | None = None  # what `planner risk` measured (the Risk page), if it ran


def _check_numeric(df: pd.DataFrame, cols: tuple[str, ...], path: Path) -> list[Problem]:
    problems: list[Problem] = []
    for c in cols:
        if c not in df.columns:
            continue
        v = pd.to_numeric(df[c], errors="coerce")
        bad = v.isna() & df[c].notna()
        for i in df.index[bad][:3]:
            problems.append(
                Problem(str(path), f"got {df.at[i, c]!r}, expected a number", int(i) + 2, c)
            )
        if c in ("year", "in_service_year") and v.notna().all():
            df[c] = v.astype(int)  # years stay integers on axes and in tables
        else:
            df[c] = v.astype(float)
    return problems


def load_plan(d: Path) -> Plan:
    """:func:`planner.io.plan.read_plan` (every failure an InputError), typed for drawing."""
    plan = read_plan(d)
    if not isinstance(plan.summary, dict):
        raise InputError(Problem(str(d / "summary.json"), "expected a JSON object of key numbers"))
    problems: list[Problem] = []
    for name, cols in NUMERIC.items():
        problems += _check_numeric(getattr(plan, name), cols, d / f"{name}.csv")
    if problems:
        raise InputError(problems)
    for name in ("upgrades", "capacity", "marginal_values"):
        df = getattr(plan, name)
        df["corridor_id"] = df["corridor_id"].astype(str)
    for name in ("unserved", "routing"):
        df = getattr(plan, name)
        df["site_a"] = df["site_a"].astype(str)
        df["site_b"] = df["site_b"].astype(str)
    if "kind" in plan.upgrades.columns:
        plan.upgrades["kind"] = plan.upgrades["kind"].astype(str)
    return plan


def load_forecast(d: Path) -> pd.DataFrame | None:
    """The forecast table, or None when the run used a fixed demand file (no forecast.csv)."""
    p = d / "forecast.csv"
    if not p.exists():
        return None
    try:
        fc = read_forecast(p)
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(Problem(str(p), f"not a valid CSV ({type(e).__name__})")) from e
    missing = [c for c in FORECAST_REQUIRED if c not in fc.columns]
    if missing:
        raise InputError(Problem(str(p), f"missing columns {missing}", row=1))
    problems = _check_numeric(fc, tuple(c for c in FORECAST_NUMERIC if c in fc.columns), p)
    if problems:
        raise InputError(problems)
    for c in ("p90_gbps", "mean_gbps"):
        if c not in fc.columns:
            fc[c] = fc["p50_gbps"]
    if "model" not in fc.columns:
        fc["model"] = ""
    fc["model"] = fc["model"].fillna("").astype(str)
    return fc


def load_report_data(plan_dir: str | os.PathLike) -> ReportData:
    """Everything :func:`planner.report.render` draws, read and checked up front."""
    d = Path(plan_dir)
    if not d.is_dir():
        raise InputError(Problem(str(d), "not a directory (expected a plan directory)"))
    plan = load_plan(d)
    inputs, scenario = read_run_inputs(d)
    corridors = network_table(inputs)
    known = set(corridors["corridor_id"])
    problems = []
    for name in ("capacity", "upgrades"):
        unknown = sorted(set(getattr(plan, name)["corridor_id"]) - known)
        if unknown:
            problems.append(
                Problem(
                    str(d / f"{name}.csv"),
                    f"corridor ids {unknown[:5]} are not in inputs/corridors.csv or "
                    "inputs/candidate_routes.csv (plan and inputs from different runs?)",
                )
            )
    if problems:
        raise InputError(problems)
    return ReportData(d, plan, inputs, scenario, load_forecast(d), corridors, read_risk(d))
