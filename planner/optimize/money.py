"""Plan tables of issue 18 from a solved model: lease contracts and money per year.

Why recomputed from the rounded contract units (like ``upgrades.csv``): ``planner verify``
re-derives every number of ``leases.csv`` and ``money.csv`` from the inputs without the solver
(:mod:`planner.verify_money`), so the same arithmetic must hold here exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.optimize.lease_sets import KIND
from planner.optimize.model import Model
from planner.tables import PLAN_TABLES


def leases_table(m: Model, x: np.ndarray) -> pd.DataFrame:
    """Signed contracts (units > 0, rounded)."""
    up = m.sets.upgrades
    ls = up[up["kind"] == KIND] if len(up) else up
    cols = list(PLAN_TABLES["leases"])
    if not len(ls):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    units = np.rint(x[ls["col"].to_numpy(int)])
    ls = ls.assign(units=units)
    ls = ls[ls["units"] > 0]
    out = pd.DataFrame(
        {
            "corridor_id": ls["corridor_id"],
            "lease_id": ls["option_id"],
            "year": ls["year"].astype(int),
            "in_service_year": ls["in_service_year"].astype(int),
            "end_year": ls["end_year"].astype(int),
            "term_years": ls["term_years"].astype(int),
            "units": ls["units"],
            "added_gbps": ls["units"] * ls["capacity_gbps"],
            "upfront_usd": ls["units"] * ls["unit_capex_usd"],
            "opex_usd_per_year": ls["units"] * ls["unit_opex_usd_per_year"],
            "committed_units": ls["min_units"].astype(float),
        }
    )
    return out.sort_values(["year", "corridor_id", "lease_id", "term_years"]).reset_index(
        drop=True
    )[cols]


def lease_fees_by_year(leases: pd.DataFrame, years: list[int], committed: bool = False):
    """Fees paid per horizon year, and the fees owed after the horizon."""
    by = np.zeros(len(years))
    after = 0.0
    if not len(leases):
        return by, after
    share = leases["committed_units"] / leases["units"] if committed else 1.0
    fee = (leases["opex_usd_per_year"] * share).to_numpy(float)
    first = leases["in_service_year"].to_numpy(int)
    last = leases["end_year"].to_numpy(int)
    for i, y in enumerate(years):
        by[i] = float(fee[(first <= y) & (last >= y)].sum())
    after = float((fee * np.maximum(0, last - max(years))).sum())
    return by, after


def money_table(
    upgrades: pd.DataFrame, leases: pd.DataFrame, sc: Scenario
) -> tuple[pd.DataFrame, float]:
    """Per year: CapEx, OpEx (committed parts), discount factor, NPV; and fees after the horizon."""
    years = sc.years
    up_by = upgrades.groupby("year")["capex_usd"].sum()
    unit = upgrades["capex_usd"] / upgrades["units"].where(upgrades["units"] > 0, 1)
    com = upgrades.assign(c=unit * upgrades["committed_units"]).groupby("year")["c"].sum()
    ls_by = leases.groupby("year")["upfront_usd"].sum() if len(leases) else pd.Series(dtype=float)
    ls_unit = leases["upfront_usd"] / leases["units"] if len(leases) else 0.0
    ls_com = (
        leases.assign(c=ls_unit * leases["committed_units"]).groupby("year")["c"].sum()
        if len(leases)
        else pd.Series(dtype=float)
    )
    opex, after = lease_fees_by_year(leases, years)
    opex_com, _ = lease_fees_by_year(leases, years, committed=True)
    capex = np.array([up_by.get(y, 0.0) + ls_by.get(y, 0.0) for y in years], float)
    capex_com = np.array([com.get(y, 0.0) + ls_com.get(y, 0.0) for y in years], float)
    df = np.array([sc.discount_factor(y) for y in years], float)
    out = pd.DataFrame(
        {
            "year": years,
            "capex_usd": capex,
            "capex_committed_usd": capex_com,
            "opex_usd": opex,
            "opex_committed_usd": opex_com,
            "discount_factor": df,
            "npv_usd": (capex + opex) * df,
        }
    )
    return out, after


def fees_after_horizon_npv(leases: pd.DataFrame, sc: Scenario) -> float:
    """Discounted fees owed in the years after the horizon (min-term contracts signed late)."""
    last = sc.years[-1]
    total = 0.0
    for fee, end in zip(leases["opex_usd_per_year"], leases["end_year"], strict=True):
        for y in range(last + 1, int(end) + 1):
            total += float(fee) * sc.discount_factor(y)
    return total


def money_summary(money: pd.DataFrame, leases: pd.DataFrame, after: float, sc: Scenario) -> dict:
    """Summary fields of issue 18 (all plans carry them; zeros without leases)."""
    last = sc.years[-1]
    live = leases[(leases["in_service_year"] <= last) & (leases["end_year"] >= last)]
    return {
        # CapEx includes lease upfront fees (IRU / installation: capitalised)
        "capex_usd_total": float(money["capex_usd"].sum()),
        "capex_usd_by_year": {
            str(y): float(v) for y, v in zip(money["year"], money["capex_usd"], strict=True)
        },
        "discount_rate": sc.discount_rate,
        "opex_usd_total": float(money["opex_usd"].sum()),
        "opex_usd_by_year": {
            str(y): float(v) for y, v in zip(money["year"], money["opex_usd"], strict=True)
        },
        "opex_budget_usd_per_year": sc.opex_budget_by_year,
        "capex_committed_usd": float(money["capex_committed_usd"].sum()),
        "opex_committed_usd": float(money["opex_committed_usd"].sum()),
        "lease_fees_after_horizon_usd": after,
        "npv_usd": float(money["npv_usd"].sum()) + fees_after_horizon_npv(leases, sc),
        "leased_gbps_final_year": float(live["added_gbps"].sum()) if len(live) else 0.0,
    }
