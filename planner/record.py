"""Re-planning over a plan of record: its first years become commitments, the rest is open.

Why: a capacity plan is re-run every year, and by then last year's orders for its first year
are placed (waves shipped, fiber pairs being lit, lease contracts signed). ``planner run
--plan-of-record DIR`` reads DIR's ``upgrades.csv`` and ``leases.csv``, keeps every purchase
and contract of the years up to ``frozen_through`` (default: the scenario's start year) as a
commitment (``committed_upgrades.csv`` of the new run, checked like that file), re-plans the
open years, and lists what changed (:func:`changes_table`, ``changes.csv``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem
from planner.tables import Inputs, Plan, table_from_records
from planner.units import usd_text
from planner.validate_leases import LINE, check_committed

KEY = ["corridor_id", "option_id", "year"]


def _rows(df: pd.DataFrame, option_col: str, term: bool) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "corridor_id": df["corridor_id"].astype(str),
            "option_id": df[option_col].astype(str),
            "year": df["year"].astype(int),
            "units": np.rint(df["units"].astype(float)).astype(int),
            "term_years": df["term_years"].astype("Int64") if term else pd.NA,
        }
    )
    out[LINE] = df.index.to_numpy() + 2
    return out


def commitments_from_record(
    record: Plan, folder: str | Path, inputs: Inputs, start_year: int, frozen_through: int
) -> pd.DataFrame:
    """Purchases and contracts of the record up to ``frozen_through``, as commitments.

    Raises InputError (file, line, column) for rows before ``start_year`` and for rows the
    inputs cannot carry (unknown corridor or option, beyond a cap), like committed_upgrades.csv.
    """
    d = Path(folder)
    problems: list[Problem] = []
    frames = []
    for name, col, term in (("upgrades", "option_id", False), ("leases", "lease_id", True)):
        df = getattr(record, name)
        if not len(df):
            continue
        rows = _rows(df, col, term)
        rows = rows[rows["year"] <= frozen_through]
        path = str(d / f"{name}.csv")
        early = rows[rows["year"] < start_year]
        for year, line in zip(early["year"], early[LINE], strict=True):
            problems.append(
                Problem(
                    path,
                    f"year {year} is before the scenario's start_year {start_year} (expected "
                    "a plan of record with the same start year; add capacity in service "
                    "before it to corridors.csv)",
                    row=int(line),
                    column="year",
                )
            )
        rows = rows[rows["year"] >= start_year]
        rows = rows.groupby([*KEY, "term_years"], as_index=False, dropna=False).agg(
            units=("units", "sum"), **{LINE: (LINE, "first")}
        )
        typed = {
            "corridors": inputs.corridors,
            "upgrade_options": inputs.upgrade_options,
            "lease_options": inputs.lease_options,
            "candidate_routes": inputs.candidate_routes,
        }
        problems += check_committed(rows, path, typed)
        frames.append(rows)
    if problems:
        raise InputError(problems)
    if not frames:
        return table_from_records("committed_upgrades", [])
    rows = pd.concat(frames, ignore_index=True).drop(columns=LINE)
    return rows


def merge_commitments(listed: pd.DataFrame, record: pd.DataFrame) -> pd.DataFrame:
    """``committed_upgrades.csv`` plus the record's commitments (the larger units per key)."""
    both = pd.concat([listed, record], ignore_index=True)
    if not len(both):
        return listed
    both = both.sort_values("units", ascending=False).drop_duplicates(KEY)
    both = both.sort_values(KEY).reset_index(drop=True)
    return table_from_records("committed_upgrades", both.to_dict("records"))


def _units(plan: Plan) -> pd.DataFrame:
    parts = []
    if len(plan.upgrades):
        u = plan.upgrades
        parts.append(u.assign(what=u["kind"].astype(str))[["what", *KEY, "units"]])
    if len(plan.leases):
        ls = plan.leases.rename(columns={"lease_id": "option_id"})
        parts.append(ls.assign(what="lease")[["what", *KEY, "units"]])
    if not parts:
        return pd.DataFrame(columns=["what", *KEY, "units"])
    out = pd.concat(parts, ignore_index=True)
    out = out.astype({"corridor_id": str, "option_id": str, "year": int, "units": float})
    return out.groupby(["what", *KEY], as_index=False)["units"].sum()


def changes_table(record: Plan, plan: Plan, frozen_through: int) -> pd.DataFrame:
    """Per corridor, option (or lease) and year: units of record, units now, and the change.

    ``committed`` (a frozen year's order, unchanged), ``kept``, ``added``, ``dropped``,
    ``more``, ``fewer``; a drop with an addition of the same corridor and option in a later
    (earlier) year is ``deferred`` (``advanced``).
    """
    a, b = _units(record), _units(plan)
    m = a.merge(b, on=["what", *KEY], how="outer", suffixes=("_of_record", "_now"))
    m = m.fillna({"units_of_record": 0.0, "units_now": 0.0})
    was, now = m["units_of_record"], m["units_now"]
    change = np.select(
        [(m["year"] <= frozen_through) & (was == now), was == now, was == 0, now == 0, now > was],
        ["committed", "kept", "added", "dropped", "more"],
        "fewer",
    )
    m["change"] = change
    added = m[m["change"] == "added"]
    for i in m.index[m["change"] == "dropped"]:
        r = m.loc[i]
        same = added[
            (added["corridor_id"] == r["corridor_id"]) & (added["option_id"] == r["option_id"])
        ]
        if (same["year"] > r["year"]).any():
            m.at[i, "change"] = "deferred"
        elif (same["year"] < r["year"]).any():
            m.at[i, "change"] = "advanced"
    cols = ["what", *KEY, "units_of_record", "units_now", "change"]
    return m.sort_values(["year", "corridor_id", "option_id"]).reset_index(drop=True)[cols]


def budget_note(summary: dict) -> str | None:
    """The budgets count only new spend: say how much committed spend comes on top."""
    capex, opex = summary.get("capex_committed_usd") or 0.0, summary.get("opex_committed_usd")
    if not capex and not opex:
        return None
    return (
        f"plan of record: {usd_text(capex)} of committed CapEx (and {usd_text(opex or 0)} "
        "of committed lease fees) are not counted against the budgets, which cap only new "
        "spend: set budget_usd_total to what is left if the scenario's budget includes them"
    )


def record_summary(folder: str | Path, frozen_through: int, changes: pd.DataFrame) -> dict:
    """``plan_of_record`` of summary.json: the folder, frozen years and counts per change."""
    counts = changes["change"].value_counts()
    return {
        "folder": str(folder),
        "frozen_through_year": int(frozen_through),
        "changes": {str(k): int(v) for k, v in counts.items()},
    }
