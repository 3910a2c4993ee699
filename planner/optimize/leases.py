r"""Buy, lease or build: lease contracts, money over time and committed purchases (issue 18).

Why leases are *contracts* in the upgrade frame. A lease decision is "sign :math:`n` units of
offer :math:`l` on corridor e in year s for d years"; it adds :math:`G_l` Gbps per unit in the
service years :math:`s + L_l \ldots s + L_l + d - 1` and costs an upfront fee at s plus a fee
in every service year. Written as one integer column per (offer, corridor, s, d), a contract
is a purchase whose capacity ends (``end_year``), so every consumer of the upgrade frame sees
leased Gbps without knowing about leases: capacity rows and expressions
(:func:`~planner.optimize.model.in_service` respects ``end_year``), cut-set inequalities (the
contract columns are integer modules like waves, so the MIR cuts stay valid), path pricing,
survivability's capacity expressions and the LP-rounding start (contracts are dived like
waves). "Lease now, build later" is a short contract plus a purchase; ending a lease when own
capacity arrives is choosing the shorter d. Terms: :math:`d \ge` ``min_term_years``; a
contract either ends within the horizon or is the min-term contract of a late start, whose
fees past the horizon are still owed (and counted). Per year, the units of one offer on one
corridor in service are at most ``max_units`` (``lease_units`` rows); leases use no wave
slots or fiber pairs (carrier capacity).

Money. The CapEx budget counts own purchases, route builds and lease upfront fees (an IRU or
installation fee is capitalised), the optional OpEx budget counts lease fees per year. The
objective's cost is the total cost of ownership, discounted: each USD paid in year t weighs
:math:`\delta_t = (1+r)^{-(t - t_0)}` (``discount_rate`` r, default 0: the objective of
earlier versions). The unserved penalty is *not* discounted: serving demand stays
lexicographically first in every year (a discounted penalty would make late shortfalls cheap).

Committed purchases (``committed_upgrades.csv``, or a plan of record's first years): lower
bounds on their columns; the budgets count only new spend, so the committed spend is added to
their right-hand sides. The objective keeps the committed spend as a constant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pulp

from planner.optimize.lease_sets import KIND
from planner.optimize.model import Model, budget_scale, in_service


def define_lease_rows(m: Model) -> None:
    """Concurrent units per (offer, corridor, year) <= max_units; OpEx budget per year."""
    up, years = m.sets.upgrades, m.sets.years
    ls = up[up["kind"] == KIND]
    if not len(ls):
        return
    live = in_service(ls, years)
    m.add_sum_rows(
        "lease_units", live, ["e", "option_id", "ti"], "concurrent_max_units", min_terms=2
    )
    cap = m.scenario.opex_budget_by_year
    if cap is None or m.objective_mode != "max-served":
        return
    fee = live["unit_opex_usd_per_year"].to_numpy(float)
    committed = np.zeros(len(years))
    np.add.at(committed, live["ti"].to_numpy(int), fee * live["min_units"].to_numpy(float))
    scale = budget_scale(max(cap), float(fee[fee > 0].min()) if (fee > 0).any() else 0.0)
    m.add_rows(
        "opex_budget",
        pd.DataFrame({"year": years}),
        live["ti"].to_numpy(int),
        live["col"].to_numpy(int),
        fee * scale,
        pulp.LpConstraintLE,
        (np.asarray(cap, float) + committed) * scale,
    )


def committed_capex(m: Model) -> tuple[float, np.ndarray]:
    """Committed spend the CapEx budget does not count: total and per horizon year."""
    up, bl, years = m.sets.upgrades, m.sets.builds, m.sets.years
    by = np.zeros(len(years))
    yi = {y: i for i, y in enumerate(years)}
    for f, cost in ((up, "unit_capex_usd"), (bl, "capex_usd")):
        if len(f) and "min_units" in f.columns:
            spend = f["min_units"].to_numpy(float) * f[cost].to_numpy(float)
            np.add.at(by, f["year"].map(yi).to_numpy(int), spend)
    return float(by.sum()), by


def cost_expressions(m: Model) -> tuple[pulp.LpAffineExpression, pulp.LpAffineExpression | None]:
    """Discounted CapEx (own, builds, lease upfront) and lease fees (None without leases)."""
    up, bl = m.sets.upgrades, m.sets.builds
    up_cost = up["obj_capex_usd"] if "obj_capex_usd" in up.columns else up["unit_capex_usd"]
    bl_cost = bl["obj_capex_usd"] if "obj_capex_usd" in bl.columns else bl["capex_usd"]
    capex = m.expression(
        np.r_[up["col"].to_numpy(int), bl["col"].to_numpy(int)],
        np.r_[up_cost.to_numpy(float), bl_cost.to_numpy(float)],
    )
    ls = up[up["kind"] == KIND]
    if not len(ls):
        return capex, None
    return capex, m.expression(ls["col"], ls["obj_opex_usd"])


def spend_max_usd(m: Model) -> float:
    """Most any feasible plan can spend in the objective's cost terms (USD, loose but valid):
    the budget plus committed spend, plus every contract column at its bound."""
    sc = m.scenario
    total = sc.budget_usd_total + committed_capex(m)[0]
    up = m.sets.upgrades
    if "obj_opex_usd" in up.columns:  # every contract column at its bound
        total += float((up["obj_opex_usd"] * up["max_units"]).sum())
    return total
