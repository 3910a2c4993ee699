"""Read what ``planner risk`` needs from plan folders; write its tables.

Why here: only ``planner.io`` touches files. A plan folder written by ``planner run`` or
``optimize`` holds its inputs, scenario, forecast and capacity, so a plan's risk can be
measured any time later without re-planning.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.io.atomic import read_json, write_csv, write_json
from planner.io.run import read_forecast, read_run_inputs
from planner.tables import Inputs


@dataclass
class PlanRun:
    """One plan folder as ``planner risk`` reads it."""

    path: Path
    inputs: Inputs
    scenario: Scenario
    forecast: pd.DataFrame
    capacity: pd.DataFrame
    routing: pd.DataFrame | None
    summary: dict

    @property
    def name(self) -> str:
        return self.path.name


def read_plan_run(plan_dir: str | os.PathLike) -> PlanRun:
    """Inputs, scenario, forecast, capacity (+ routing, summary) of a plan folder."""
    d = Path(plan_dir)
    inputs, scenario = read_run_inputs(d)
    forecast = read_forecast(d / "forecast.csv")
    cap_path = d / "capacity.csv"
    if not cap_path.is_file():
        raise InputError(Problem(str(cap_path), "missing: is this a plan directory?"))
    capacity = pd.read_csv(cap_path, dtype={"corridor_id": str})
    missing = [c for c in ("corridor_id", "year", "capacity_gbps") if c not in capacity]
    if missing:
        raise InputError(Problem(str(cap_path), f"missing columns {missing}", row=1))
    rpath = d / "routing.csv"
    routing = (
        pd.read_csv(rpath, dtype={"site_a": str, "site_b": str, "path": str})
        if rpath.is_file()
        else None
    )
    spath = d / "summary.json"
    summary = read_json(spath) if spath.is_file() else {}
    return PlanRun(d, inputs, scenario, forecast, capacity, routing, summary)


def write_risk(table: pd.DataFrame, summary: dict, out_dir: str | os.PathLike) -> list[Path]:
    """``risk.csv`` (per pair class and year) and ``risk.json`` (headline numbers)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_csv(table, out / "risk.csv"), write_json(summary, out / "risk.json")]


def write_risk_comparison(table: pd.DataFrame, out_dir: str | os.PathLike) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return write_csv(table, out / "risk_comparison.csv")
