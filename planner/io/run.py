"""The self-contained run directory: copies of validated inputs, the resolved scenario, demand.

Why copy inputs into the run: ``planner report``, ``verify`` and ``failures`` must re-read exactly
what was planned, even after ``inputs/`` has been edited for the next run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import yaml

from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.io.atomic import write_csv, write_json, write_text
from planner.io.inputs import read_inputs, read_raw, read_scenario
from planner.schema import TABLES, canonical_pairs
from planner.tables import Inputs

DEMAND_COLUMNS = ("site_a", "site_b", "year", "demand_gbps")


def inputs_to_csv_frames(inputs: Inputs) -> dict[str, pd.DataFrame]:
    """Tables as they are written to disk (months back to ``YYYY-MM``)."""
    out = {}
    for name in TABLES:
        df = inputs.table(name).copy()
        if "month" in df.columns:
            df["month"] = pd.to_datetime(df["month"]).dt.strftime("%Y-%m")
        out[name] = df
    return out


def write_inputs(inputs: Inputs, out_dir: str | os.PathLike) -> Path:
    d = Path(out_dir)
    for name, df in inputs_to_csv_frames(inputs).items():
        write_csv(df, d / TABLES[name].filename)
    return d


def scenario_yaml(scenario: Scenario) -> str:
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False)


def write_run_inputs(out_dir: str | os.PathLike, inputs: Inputs, scenario: Scenario) -> Path:
    """Write `inputs/*.csv`, the resolved `scenario.yaml` and `inputs_summary.json`."""
    d = Path(out_dir)
    write_inputs(inputs, d / "inputs")
    write_text(scenario_yaml(scenario), d / "scenario.yaml")
    write_json(inputs.summary(), d / "inputs_summary.json")
    return d


def read_run_inputs(run_dir: str | os.PathLike) -> tuple[Inputs, Scenario]:
    d = Path(run_dir)
    if not (d / "inputs").is_dir() or not (d / "scenario.yaml").is_file():
        raise InputError(
            Problem(
                str(d),
                "not a run directory (expected inputs/ and "
                "scenario.yaml written by `planner run` or `optimize`)",
            )
        )
    return read_inputs(d / "inputs"), read_scenario(d / "scenario.yaml")


def read_demand(path: str | os.PathLike) -> pd.DataFrame:
    """A fixed demand table ``site_a, site_b, year, demand_gbps`` (pairs made canonical)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(Problem(str(p), "missing file (expected a demand table)"))
    raw = read_raw(p)
    problems = [
        Problem(str(p), "missing required column", row=1, column=c)
        for c in DEMAND_COLUMNS
        if c not in raw.columns
    ]
    if problems:
        raise InputError(problems)
    df = pd.DataFrame({"site_a": raw["site_a"].str.strip(), "site_b": raw["site_b"].str.strip()})
    for c in ("year", "demand_gbps"):
        v = pd.to_numeric(raw[c], errors="coerce")
        bad = v.isna() | (v < 0)
        problems += [
            Problem(
                str(p),
                f"not a number >= 0 (got {raw.at[i, c]!r})",
                row=int(raw.at[i, "_line"]),
                column=c,
            )
            for i in raw.index[bad]
        ][:20]
        df[c] = v
    if problems:
        raise InputError(problems)
    df["year"] = df["year"].astype(int)
    df = canonical_pairs(df)
    return df.groupby(["site_a", "site_b", "year"], as_index=False)["demand_gbps"].sum()


def read_forecast(path: str | os.PathLike) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise InputError(Problem(str(p), "missing file (expected forecast.csv)"))
    return pd.read_csv(p, dtype={"site_a": str, "site_b": str, "model": str})
