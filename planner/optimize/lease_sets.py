"""Index rows of issue 18: lease contracts, money columns and commitments on the decisions.

Why apart from :mod:`planner.optimize.leases` (the model's rows and costs, which explains the
formulation): :mod:`planner.optimize.sets` builds these rows before any model exists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.errors import InputError, Problem

KIND = "lease"
#: file named in commitment problems
COMMITTED_FILE = "committed_upgrades.csv"
#: end_year of purchases that stay in service
FOREVER = 9999


def lease_rows(corridors: pd.DataFrame, leases: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    """One row per possible contract (offer, corridor, signing year, term)."""
    if leases is None or not len(leases):
        return pd.DataFrame()
    existing = corridors[~corridors["is_candidate"]][["e", "corridor_id"]]
    x = existing.merge(leases.rename(columns={"corridor_id": "only"}), how="cross")
    x = x[x["only"].isna() | (x["only"] == x["corridor_id"])]
    x = x[x["max_units"] > 0]
    x = x.merge(pd.DataFrame({"year": sc.years}), how="cross")
    first = x["available_from_year"].astype("float").fillna(-np.inf)
    x = x[x["year"] >= first]
    last = sc.years[-1]
    x["in_service_year"] = x["year"] + x["lead_time_years"].astype(int)
    x = x[x["in_service_year"] <= last]
    if not len(x):
        return pd.DataFrame()
    # terms min_term .. years left (the contract runs to the last year at most); a late start
    # with fewer years left than the min term has only the min-term contract
    x = x.reset_index(drop=True)
    left = (last - x["in_service_year"] + 1).to_numpy(int)
    mt = x["min_term_years"].to_numpy(int)
    n = np.where(left >= mt, left - mt + 1, 1)
    base = x.loc[np.repeat(x.index.to_numpy(), n)].reset_index(drop=True)
    offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    base["term_years"] = np.repeat(mt, n) + offset
    trend = (1.0 + base["price_change_per_year"]) ** (base["year"] - sc.start_year)
    out = pd.DataFrame(
        {
            "e": base["e"].astype(np.int64),
            "corridor_id": base["corridor_id"],
            "option_id": base["lease_id"],
            "kind": KIND,
            "year": base["year"].astype(int),
            "in_service_year": base["in_service_year"].astype(int),
            "capacity_gbps": base["capacity_gbps"].astype(float),
            "unit_capex_usd": base["upfront_usd_per_unit"] * trend,
            "max_units": base["max_units"].astype(int),
            "concurrent_max_units": base["max_units"].astype(int),
            "term_years": base["term_years"].astype(int),
            "end_year": (base["in_service_year"] + base["term_years"] - 1).astype(int),
            "unit_opex_usd_per_year": base["opex_usd_per_unit_year"] * trend,
        }
    )
    return out


def fee_npv(start, end, fee, sc: Scenario) -> np.ndarray:
    """Discounted sum of ``fee`` paid in every year ``start .. end`` (arrays)."""
    r = sc.discount_rate
    start, end = np.asarray(start, float), np.asarray(end, float)
    n = end - start + 1
    if r == 0:
        return np.asarray(fee, float) * n
    annuity = (1 - (1 + r) ** -n) / (1 - 1 / (1 + r))
    return np.asarray(fee, float) * sc.discount_factor(start) * annuity


def unit_price_usd(up: pd.DataFrame) -> np.ndarray:
    """Undiscounted price of one unit of each upgrade row: CapEx, plus a lease contract's
    yearly fees over its term (``unit_opex_usd_per_year`` x ``term_years``).

    Why: scale checks (penalty dominance, the tie-break weight) compare what a decision costs;
    a fee-only lease has no CapEx at all, and counting it as free hid its real price.
    """
    price = up["unit_capex_usd"].to_numpy(float).copy()
    if "unit_opex_usd_per_year" in up.columns and "term_years" in up.columns:
        fee = up["unit_opex_usd_per_year"].fillna(0.0).to_numpy(float)
        price += fee * up["term_years"].fillna(0).to_numpy(float)
    return price


def money_columns(up: pd.DataFrame, bl: pd.DataFrame, sc: Scenario) -> None:
    """Objective coefficients per unit (``obj_capex_usd``, ``obj_opex_usd``), end years and
    lower bounds (``min_units``), in place."""
    if "end_year" not in up.columns:
        up["end_year"] = FOREVER
        up["term_years"] = 0
        up["unit_opex_usd_per_year"] = 0.0
    up["end_year"] = up["end_year"].fillna(FOREVER).astype(int)
    up["unit_opex_usd_per_year"] = up["unit_opex_usd_per_year"].fillna(0.0).astype(float)
    up["term_years"] = up["term_years"].fillna(0).astype(int)
    df_buy = sc.discount_factor(up["year"].to_numpy(float)) if len(up) else np.zeros(0)
    up["obj_capex_usd"] = up["unit_capex_usd"].to_numpy(float) * df_buy
    lease = (up["kind"] == KIND).to_numpy()
    opex = np.zeros(len(up))
    if lease.any():
        ls = up[lease]
        opex[lease] = fee_npv(
            ls["in_service_year"], ls["end_year"], ls["unit_opex_usd_per_year"], sc
        )
    up["obj_opex_usd"] = opex
    up["min_units"] = 0.0
    bl["obj_capex_usd"] = (
        bl["capex_usd"].to_numpy(float) * sc.discount_factor(bl["year"].to_numpy(float))
        if len(bl)
        else np.zeros(0)
    )
    bl["min_units"] = 0.0


def extend_decisions(
    corridors: pd.DataFrame,
    upgrades: pd.DataFrame,
    builds: pd.DataFrame,
    leases: pd.DataFrame | None,
    committed: pd.DataFrame | None,
    sc: Scenario,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The upgrade frame with lease contracts appended, money columns and commitments."""
    rows = lease_rows(corridors, leases, sc)
    if len(rows):
        upgrades = pd.concat([upgrades, rows], ignore_index=True)
    upgrades, builds = upgrades.copy(), builds.copy()
    money_columns(upgrades, builds, sc)
    if committed is not None and len(committed):
        apply_commitments(upgrades, builds, committed, leases, sc)
    if not sc.new_leases and len(rows):  # build only: committed contracts, nothing new
        lease = upgrades["kind"] == KIND
        upgrades = upgrades[~lease | (upgrades["min_units"] > 0)].copy()
        lease = upgrades["kind"] == KIND
        upgrades.loc[lease, "max_units"] = upgrades.loc[lease, "min_units"].astype(int)
        upgrades = upgrades.reset_index(drop=True)
    return upgrades, builds


def _commit_problem(i: int, col: str, msg: str) -> Problem:
    # tables are read without blank lines, so the frame's row i is the file's line i + 2
    return Problem(COMMITTED_FILE, msg, row=int(i) + 2, column=col)


def apply_commitments(
    up: pd.DataFrame,
    bl: pd.DataFrame,
    com: pd.DataFrame,
    leases: pd.DataFrame | None,
    sc: Scenario,
) -> None:
    """Set ``min_units`` of the decision each commitment names; InputError if none matches."""
    min_term = (
        {}
        if leases is None
        else dict(zip(leases["lease_id"], leases["min_term_years"], strict=True))
    )
    up_key = {
        (c, o, int(y), int(t)): i
        for i, c, o, y, t in zip(
            up.index, up["corridor_id"], up["option_id"], up["year"], up["term_years"], strict=True
        )
    }
    bl_key = {
        (c, int(y)): i for i, c, y in zip(bl.index, bl["corridor_id"], bl["year"], strict=True)
    }
    last, problems = sc.years[-1], []
    for i, r in com.reset_index(drop=True).iterrows():
        y = int(r["year"])
        if y not in sc.years:
            problems.append(
                _commit_problem(
                    i,
                    "year",
                    f"got {y}, expected a horizon year {sc.years[0]}-{last} (orders placed "
                    "before start_year belong in corridors.csv's installed capacity)",
                )
            )
            continue
        oid, cid = r["option_id"], r["corridor_id"]
        if oid in min_term:
            term = r["term_years"]
            term = int(min_term[oid] if pd.isna(term) else term)
            terms = up.loc[
                (up["corridor_id"] == cid) & (up["option_id"] == oid) & (up["year"] == y),
                "term_years",
            ]
            # a term longer than the horizon maps to the contract running to its end
            fit = terms[terms <= max(term, int(min_term[oid]))]
            i_row = up_key.get((cid, oid, y, int(fit.max()))) if len(fit) else None
        else:
            i_row = up_key.get((cid, oid, y, 0))
            if i_row is None and (cid, y) in bl_key:  # a route build
                bl.loc[bl_key[(cid, y)], "min_units"] = 1.0
                continue
        if i_row is None:
            problems.append(
                _commit_problem(
                    i,
                    "year",
                    f"{cid} {oid} {y}: no such decision in this plan (in service only after "
                    f"the last year {last}, or not offered then)",
                )
            )
            continue
        up.loc[i_row, "min_units"] = float(r["units"])
    if problems:
        raise InputError(problems)
