"""The latency tie-break, weighted from the data's own cost scale (lexicographic objectives).

Why: the objective is CapEx (+ penalty x unserved) + :math:`\\epsilon \\sum lat \\cdot f`, a
tie-break so routing prefers low-latency paths. A fixed :math:`\\epsilon` in USD per Gbps per
ms is only small next to CapEx when costs are in USD at data-centre scale: SNDlib networks
price capacity in their own units, and there the tie-break (38,095 on abilene against a CapEx
of 194k) bought extra capacity to shorten paths while the run reported "optimal".

The rule here: the *whole* tie-break of any plan stays below
:data:`TIEBREAK_SHARE_OF_CHEAPEST_UNIT` of the cheapest purchase. ``R_max`` is an upper bound
on :math:`\\sum lat \\cdot f` over every feasible routing (path model: each pair-year's demand
times its longest admissible path; arc model: times the sum of all corridor latencies, which
bounds any simple path), and

.. math:: \\epsilon = \\min(\\epsilon_0,\\; s \\cdot c_{min} / R_{max}).

Guarantee: an optimal solution's CapEx (+ penalty x unserved) exceeds the least possible by
at most :math:`\\epsilon R_{max} \\le s \\cdot c_{min}`, i.e. it never buys an extra unit for
latency, and a swap between two purchases can cost at most that much more (a hundredth of the
cheapest unit). :math:`\\epsilon_0` = ``ROUTING_USD_PER_GBPS_MS`` keeps the old weight where it
was already small (the shipped network). Limits: where :math:`\\epsilon \\cdot lat` falls below
the LP's optimality tolerance the solver no longer sees the tie-break (latency is then not
minimised, CapEx still is).
"""

from __future__ import annotations

import numpy as np

from planner.optimize.lease_sets import unit_price_usd
from planner.optimize.model import Model
from planner.solver.highs import Session

#: The largest tie-break weight, USD per Gbps per ms of path latency per year: small next to a
#: purchase at data-centre prices (1 Tbps over 50 ms for 5 years: 250 USD) and large enough for
#: the solver to prefer the lower-latency path when capacity is free. Data priced in other
#: units get a smaller one (:func:`routing_weight`).
ROUTING_USD_PER_GBPS_MS = 1e-3

#: The tie-break over the whole plan is at most this share of the cheapest purchase.
TIEBREAK_SHARE_OF_CHEAPEST_UNIT = 0.01


def cheapest_purchase_usd(m: Model) -> float:
    """Smallest positive price of any decision (unit of an option, route build); 0 if none."""
    c = np.r_[
        unit_price_usd(m.sets.upgrades),
        m.sets.builds["capex_usd"].to_numpy(float),
    ]
    c = c[np.isfinite(c) & (c > 0)]
    return float(c.min()) if len(c) else 0.0


def routing_reach(m: Model) -> float:
    """``R_max``: Gbps-ms-years no routing can exceed (see module docstring)."""
    d = m.sets.demand
    if m.formulation == "path":
        longest = m.sets.paths.groupby("pair_id")["latency_ms"].max()
        lat = d["pair_id"].map(longest).fillna(0.0).to_numpy(float)
        return float((d["demand_gbps"].to_numpy(float) * lat).sum())
    total = float(m.sets.corridors["latency_ms"].sum())
    return float(d["demand_gbps"].sum()) * total


def routing_weight(m: Model) -> float:
    """:math:`\\epsilon` in USD per Gbps per ms per year for this model's data."""
    if m.sets.routing_usd_per_gbps_ms is not None:  # fixed by path pricing
        return m.sets.routing_usd_per_gbps_ms
    c_min, reach = cheapest_purchase_usd(m), routing_reach(m)
    if c_min <= 0 or reach <= 0:
        return ROUTING_USD_PER_GBPS_MS
    return min(ROUTING_USD_PER_GBPS_MS, TIEBREAK_SHARE_OF_CHEAPEST_UNIT * c_min / reach)


def tiebreak_costs(m: Model, flow_latency_ms: np.ndarray) -> np.ndarray:
    """Tie-break cost per flow column (USD per Gbps-year) from the flows' latencies.

    Records ``routing_usd_per_gbps_ms`` and ``routing_tiebreak_max_usd`` in ``m.meta``.
    """
    w = routing_weight(m)
    m.meta["routing_usd_per_gbps_ms"] = w
    m.meta["routing_tiebreak_max_usd"] = w * routing_reach(m)
    return np.asarray(flow_latency_ms, dtype=float) * w


def plain_objective(m: Model) -> bool:
    """Only CapEx, unserved penalty and routing in the objective (no hook added terms)."""
    return set(m.objective_terms) <= {"capex", "penalty", "routing", "opex"}


def routing_usd_per_gbps_ms(m: Model) -> float:
    """The weight the model was built with (the old constant for models built before it)."""
    return float(m.meta.get("routing_usd_per_gbps_ms", ROUTING_USD_PER_GBPS_MS))


def routing_max_usd(m: Model) -> float:
    """Largest tie-break any routing of the model can cost (USD): all demand over every
    corridor. Loose but valid whatever flows a hook adds; the bounds read it."""
    dem = float(m.unserved.loc[m.unserved["col"] >= 0, "demand_gbps"].sum())
    return routing_usd_per_gbps_ms(m) * dem * float(m.sets.corridors["latency_ms"].sum())


def reroute_min_latency(m: Model, threads: int = 1) -> float:
    """Third stage, exact: least Gbps-ms for the plan's purchases and served demand.

    Why: the MIP's tie-break is kept tiny so it can never trade CapEx for latency, which
    also makes it too small for the solver to steer routing reliably. This LP fixes every
    integer decision and every unserved amount at the solution's values and minimises
    latency alone (all rows kept, so the plan stays feasible), then writes the flows back.
    Skipped (0.0) when a hook added objective terms (survivability: rerouting could move
    protection shortfall). Returns the change of the objective in USD (<= 0).
    """
    routing = m.objective_terms.get("routing")
    w = routing_usd_per_gbps_ms(m)
    if not plain_objective(m) or routing is None or not len(routing) or w <= 0:
        return 0.0
    fixed = [v for v in m.prob.variables() if v.cat == "Integer"]
    fixed += [m.columns[c] for c in m.unserved["col"] if c >= 0]
    if any(v.varValue is None for v in fixed):
        return 0.0
    lp = Session.from_pulp(m.prob, threads=threads)
    val = np.array([round(v.varValue) if v.cat == "Integer" else v.varValue for v in fixed])
    lp.set_col_bounds(lp.col_index(fixed), val, val)
    cost = np.zeros(len(lp.variables))
    flows = list(routing.items())
    cost[[v.index for v, _ in flows]] = [a / w for _, a in flows]  # ms per Gbps-year
    lp.set_costs(cost)
    if not lp.run():
        return 0.0
    x = lp.col_values()
    before = float(sum(a * (v.varValue or 0.0) for v, a in flows))
    for v, _ in flows:
        v.varValue = max(0.0, float(x[v.index]))
    after = float(sum(a * v.varValue for v, a in flows))
    return min(0.0, after - before)
