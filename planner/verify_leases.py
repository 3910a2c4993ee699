"""Independent re-check of lease contracts, commitments and money per year (issue 18).

Like :mod:`planner.verify` it reads only the plan folder's tables, inputs and scenario, and
recomputes terms, fees, trends, discount factors and caps with its own code (nothing from
``planner.optimize``): a drift in the optimiser's lease arithmetic shows up as a failed check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.tables import Inputs, Plan

USD_ABS, USD_REL = 0.01, 1e-9


def _close(a, b) -> np.ndarray:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.abs(a - b) <= USD_ABS + USD_REL * np.abs(b)


def lease_gbps(leases: pd.DataFrame, corridor_id: str, year: int) -> float:
    """Leased Gbps in service on a corridor in a year."""
    if not len(leases):
        return 0.0
    live = (
        (leases["corridor_id"] == corridor_id)
        & (leases["in_service_year"] <= year)
        & (leases["end_year"] >= year)
    )
    return float(leases.loc[live, "added_gbps"].sum())


def check_lease_rows(res, ls: pd.DataFrame, inputs: Inputs, sc: Scenario) -> None:
    """Each contract: offered on its corridor, in the horizon, terms, Gbps and fees."""
    if not len(ls):
        return
    offers = inputs.lease_options.set_index("lease_id")
    lab = [f"{r.corridor_id} {r.lease_id} {r.year} {r.term_years}y" for r in ls.itertuples()]
    known = ls["lease_id"].isin(offers.index).to_numpy()
    res.check("leases: known lease offer", known, lab)
    ls, lab = ls[known], [x for x, k in zip(lab, known, strict=True) if k]
    o = offers.loc[ls["lease_id"]].reset_index()
    only = o["corridor_id"]
    ok_cor = (only.isna() | (only.to_numpy() == ls["corridor_id"].to_numpy())) & ls[
        "corridor_id"
    ].isin(inputs.corridors["corridor_id"]).to_numpy()
    res.check("leases: offered on the corridor", ok_cor, lab)
    first = o["available_from_year"].astype(float).fillna(-np.inf).to_numpy()
    res.check(
        "leases: signed in a horizon year the offer is available",
        ls["year"].isin(sc.years).to_numpy() & (ls["year"].to_numpy() >= first),
        lab,
    )
    u = ls["units"].to_numpy(float)
    res.check("leases: units are positive integers", (u > 0) & (u == np.round(u)), lab)
    res.check(
        "leases: in_service_year = year + lead time",
        ls["in_service_year"].to_numpy() == ls["year"].to_numpy() + o["lead_time_years"].to_numpy(),
        lab,
    )
    res.check(
        "leases: end_year = in_service_year + term - 1, term >= min_term",
        (ls["end_year"].to_numpy() == ls["in_service_year"] + ls["term_years"] - 1)
        & (ls["term_years"].to_numpy() >= o["min_term_years"].to_numpy()),
        lab,
    )
    trend = (1 + o["price_change_per_year"].to_numpy()) ** (ls["year"].to_numpy() - sc.start_year)
    res.check(
        "leases: added_gbps, upfront_usd and opex_usd_per_year = units x offer",
        _close(ls["added_gbps"], u * o["capacity_gbps"].to_numpy())
        & _close(ls["upfront_usd"], u * o["upfront_usd_per_unit"].to_numpy() * trend)
        & _close(ls["opex_usd_per_year"], u * o["opex_usd_per_unit_year"].to_numpy() * trend),
        lab,
    )
    for (cid, lid), g in ls.groupby(["corridor_id", "lease_id"]):
        cap = float(offers.at[lid, "max_units"])
        for y in sc.years:
            n = g.loc[(g["in_service_year"] <= y) & (g["end_year"] >= y), "units"].sum()
            res.check(
                "leases: units in service <= max_units",
                [n <= cap + 1e-9],
                [f"{cid} {lid} {y}: {n:g} > {cap:g}"],
            )


def check_committed(res, plan: Plan, inputs: Inputs) -> None:
    """Every committed purchase or contract is in the plan with at least its units."""
    com = inputs.committed_upgrades
    if not len(com):
        return
    leases = set(inputs.lease_options["lease_id"])
    up, ls = plan.upgrades, plan.leases
    ok, lab = [], []
    for r in com.itertuples():
        if r.option_id in leases:
            got = ls.loc[
                (ls["corridor_id"] == r.corridor_id)
                & (ls["lease_id"] == r.option_id)
                & (ls["year"] == r.year),
                "units",
            ].sum()
        else:
            got = up.loc[
                (up["corridor_id"] == r.corridor_id)
                & (up["option_id"] == r.option_id)
                & (up["year"] == r.year),
                "units",
            ].sum()
        ok.append(got >= r.units - 1e-9)
        lab.append(f"{r.corridor_id} {r.option_id} {r.year}: {got:g} < {r.units} committed")
    res.check("committed: every committed upgrade is kept", ok, lab)


def spend_by_year(plan: Plan, years: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CapEx (own + lease upfront), its committed part, and lease fees, per horizon year."""
    up, ls = plan.upgrades, plan.leases
    capex, committed, opex = (np.zeros(len(years)) for _ in range(3))
    com_up = up["committed_units"].fillna(0) if "committed_units" in up else 0.0
    unit = up["capex_usd"] / up["units"].where(up["units"] > 0, 1)
    for i, y in enumerate(years):
        sel = (up["year"] == y).to_numpy()
        capex[i] = up.loc[sel, "capex_usd"].sum()
        committed[i] = float((unit * com_up)[sel].sum())
        if len(ls):
            s = (ls["year"] == y).to_numpy()
            per = ls["upfront_usd"] / ls["units"]
            capex[i] += ls.loc[s, "upfront_usd"].sum()
            committed[i] += float((per * ls["committed_units"])[s].sum())
            live = (ls["in_service_year"] <= y) & (ls["end_year"] >= y)
            opex[i] = ls.loc[live, "opex_usd_per_year"].sum()
    return capex, committed, opex


def check_money(res, plan: Plan, sc: Scenario, mode: str) -> None:
    """money.csv against the tables; the OpEx budget on new lease fees."""
    years = sc.years
    capex, committed, opex = spend_by_year(plan, years)
    mo = plan.money
    if len(mo):
        mo = mo.set_index("year").reindex(years)
        df = (1 + sc.discount_rate) ** -(np.asarray(years, float) - sc.start_year)
        res.check(
            "money: capex, opex, discount factor and npv per year",
            _close(mo["capex_usd"], capex)
            & _close(mo["opex_usd"], opex)
            & _close(mo["discount_factor"], df)
            & _close(mo["npv_usd"], (capex + opex) * df),
            [str(y) for y in years],
        )
    cap = sc.opex_budget_by_year
    if cap is None or mode != "max-served" or not len(plan.leases):
        return
    ls = plan.leases
    share = ls["committed_units"] / ls["units"]
    new = []
    for y in years:
        live = (ls["in_service_year"] <= y) & (ls["end_year"] >= y)
        new.append(float((ls["opex_usd_per_year"] * (1 - share))[live].sum()))
    res.check(
        "budget: new lease fees per year <= opex_budget_usd_per_year",
        np.asarray(new) <= np.asarray(cap) + USD_ABS + USD_REL * np.asarray(cap),
        [f"{y}: {n:,.2f} > {c:,.2f}" for y, n, c in zip(years, new, cap, strict=True)],
    )
