"""What the solver's bound says in a planner's units: least unserved demand, most served share.

Why a module: the served-gap stop (:mod:`planner.optimize.solve`), the summary
(:mod:`planner.optimize.extract`) and the marginal values all read the same bound the same
way; it is the inverse of the objective in :func:`planner.optimize.build.define_objective`.
"""

from __future__ import annotations

import math

from planner.optimize.leases import spend_max_usd
from planner.optimize.model import Model
from planner.optimize.objective import plain_objective, routing_max_usd


def penalised_loss_bound(m: Model, bound_usd: float | None, floor_gbps_years: float) -> float:
    """Least penalised Gbps-years (everything the penalty multiplies) of any plan in budget.

    objective = CapEx + penalty x loss + routing >= bound, with CapEx <= budget and routing <=
    its largest possible value, so loss >= (bound - budget - routing_max) / penalty; also >=
    the floor. The loss is unserved demand on the plain objective, unserved plus weighted
    unprotected demand when survivability adds its shortfall at a share of the penalty.
    """
    if bound_usd is None or not math.isfinite(bound_usd):
        return floor_gbps_years
    spend = spend_max_usd(m) + routing_max_usd(m)
    return loss_bound(bound_usd, spend, m.scenario.unserved_penalty_usd_per_gbps, floor_gbps_years)


def loss_bound(bound_usd: float, spend_max_usd: float, penalty: float, floor: float) -> float:
    """``max(floor, (bound - most spend) / penalty)``: :func:`penalised_loss_bound` on numbers,
    for a caller without the model (the served-gap stop asked in a guarded MIP's process)."""
    return max(floor, (bound_usd - spend_max_usd) / penalty)


def unserved_lower_bound(m: Model, bound_usd: float | None, floor_gbps_years: float) -> float:
    """Least unserved Gbps-years of any plan within the budget, read off an objective bound.

    objective = CapEx + penalty x unserved + routing >= bound, with CapEx <= budget and
    routing <= its largest possible value, so unserved >= (bound - budget - routing_max) /
    penalty; also >= the unlimited-money LP floor. The inverse of :func:`define_objective`.
    Only the floor when a hook added other penalties (survivability's protection shortfall):
    the bound then limits their weighted sum, not unserved demand alone.
    """
    if not plain_objective(m):
        return floor_gbps_years
    return penalised_loss_bound(m, bound_usd, floor_gbps_years)


def served_upper_bound(
    m: Model, best_bound_usd: float | None, floor_gbps_years: float, dem_yrs: float
) -> float | None:
    """No plan within the budget serves more than this share of demand Gbps-years.

    From the solver's bound (:func:`unserved_lower_bound`). A
    planner's reading of the MIP gap: "this plan serves 83.0 %; no plan serves more than 83.6 %".
    """
    if m.objective_mode != "max-served" or dem_yrs <= 0:
        return 1.0 if dem_yrs <= 0 else None
    u_lb = unserved_lower_bound(m, best_bound_usd, floor_gbps_years)
    return float(min(1.0, max(0.0, 1.0 - u_lb / dem_yrs)))


def served_gap(dem_yrs: float, uns_yrs: float, served_ub: float | None) -> float | None:
    """The MIP gap in the planner's unit: how much more demand (Gbps-years) the best plan
    within the budget could serve, relative to that best, ``(ub - served) / ub``.

    Why next to ``mip_gap``: the solver's gap is on CapEx + penalty x avoidable unserved, a
    small number when most demand is served, so it looks large (5 %) while the plan provably
    serves within 1 % of the most any plan can; a planner needs both readings.
    """
    if served_ub is None or dem_yrs <= 0 or served_ub <= 0:
        return None if served_ub is None else 0.0
    served = (dem_yrs - uns_yrs) / dem_yrs
    return float(max(0.0, (served_ub - served) / served_ub))
