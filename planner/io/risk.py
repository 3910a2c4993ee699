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


def write_risk_comparison(
    table: pd.DataFrame, out_dir: str | os.PathLike, summaries: list[dict] | None = None
) -> Path:
    """``risk_comparison.csv`` (and, with ``summaries``, ``risk_comparison.json``: the plans'
    headline numbers, which the report's Risk page needs for CapEx)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if summaries is not None:
        write_json({"plans": summaries}, out / "risk_comparison.json")
    return write_csv(table, out / "risk_comparison.csv")


#: columns of risk.csv the report's Risk page reads
RISK_REQUIRED = ("pair_class", "year", "p_serve_all", "unserved_gbps_mean")


@dataclass
class RiskResults:
    """Risk of one or more plans on the same fresh scenarios, as the Risk page draws it:
    ``table`` in the layout of ``risk_comparison.csv`` (``plan`` first), one summary per plan
    (``plan``, ``capex_usd_total``, ``p_serve_all``, ``n_scenarios``, ...)."""

    table: pd.DataFrame
    summaries: list[dict]

    @property
    def n_scenarios(self) -> int:
        return int(self.summaries[0].get("n_scenarios") or 0) if self.summaries else 0


def _risk_csv(path: Path) -> pd.DataFrame:
    try:
        t = pd.read_csv(path, dtype={"pair_class": str, "year": str, "plan": str})
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(Problem(str(path), f"not a valid CSV ({type(e).__name__})")) from e
    missing = [c for c in RISK_REQUIRED if c not in t]
    if missing:
        raise InputError(Problem(str(path), f"missing columns {missing}", row=1))
    for c in ("p_serve_all", "unserved_gbps_mean"):
        v = pd.to_numeric(t[c], errors="coerce")
        bad = v.isna() & t[c].notna()
        if bad.any():
            i = int(t.index[bad][0])
            raise InputError(Problem(str(path), f"got {t.at[i, c]!r}, expected a number", i + 2, c))
        t[c] = v.astype(float)
    return t


def _risk_json(path: Path) -> dict:
    try:
        d = read_json(path)
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(Problem(str(path), f"not valid JSON ({type(e).__name__})")) from e
    if not isinstance(d, dict):
        raise InputError(Problem(str(path), "expected a JSON object"))
    return d


def _same_run(a: dict, b: dict) -> bool:
    """Two risk summaries of one evaluation (same plan name, seed and scenario count)."""
    keys = ("plan", "seed", "n_scenarios")
    return all(a.get(k) == b.get(k) for k in keys)


def read_risk(plan_dir: str | os.PathLike) -> RiskResults | None:
    """What ``planner risk`` left in a plan folder, or None when it never ran there.

    The plan's own ``risk.csv`` / ``risk.json``; or ``risk_comparison.csv/.json`` when they
    were written here by the same evaluation (it was compared with other plans).
    Garbled files are an :class:`InputError` naming the file (never a traceback in a report).
    """
    d = Path(plan_dir)
    rj, rc = d / "risk.json", d / "risk.csv"
    if not (rj.is_file() and rc.is_file()):
        return None
    summary = _risk_json(rj)
    cj, cc = d / "risk_comparison.json", d / "risk_comparison.csv"
    if cj.is_file() and cc.is_file():
        plans = _risk_json(cj).get("plans")
        plans = [p for p in plans if isinstance(p, dict)] if isinstance(plans, list) else []
        if any(_same_run(p, summary) for p in plans):
            t = _risk_csv(cc)
            if "plan" not in t:
                raise InputError(Problem(str(cc), "missing columns ['plan']", row=1))
            return RiskResults(t, plans)
    name = str(summary.get("plan") or d.name)
    t = _risk_csv(rc)
    t.insert(0, "plan", name)
    return RiskResults(t, [{**summary, "plan": name}])
