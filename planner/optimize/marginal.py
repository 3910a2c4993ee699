"""Marginal values: what one more Gbps on a corridor, or one more dollar of budget, is worth.

Two linear programs are solved after the MIP, both on the same HiGHS model:

* **fixed plan** (``usd_per_gbps``): every integer decision fixed at the plan's value, the rest
  (flows, unserved) re-optimised. The dual of ``flow(e, t) <= u x capacity(e, t)`` times ``-u``
  is the objective saved per extra Gbps of capacity on corridor e in year t. In max-served mode
  a saturated corridor that blocks demand is worth ``penalty x u`` (USD-equivalent of the
  Gbps-years it would serve); a corridor with headroom is worth 0.
* **extendable plan** (``usd_per_gbps_extendable`` and ``budget_marginal_*``): the plan's units
  become lower bounds and may grow *fractionally* (up to the caps). The capacity duals are then
  the cheaper of using extra capacity and buying it; the budget row's dual ``lambda`` (objective
  per USD) gives the demand one more dollar would serve: ``(1 - lambda) / penalty`` Gbps-years
  per USD, i.e. ``1 - lambda`` USD of penalty avoided per USD (0 when the budget does not bind).

Both LPs are solved with every capacity row relaxed by ``CAPACITY_PROBE_GBPS``: a corridor
with zero capacity and zero flow is otherwise a degenerate row whose dual can be any large
number; with a sliver of capacity its dual is the value of actually using more of it (the
right-hand derivative), which is the question a planner asks.

Limits: these are duals of LPs around the chosen plan, valid for small changes only; a real
purchase is a whole wave, so the next dollar buys nothing until it adds up to a unit's price.
Degenerate LPs can have several dual solutions; HiGHS returns one. Values are for planners to
see *where* money matters, not a price list.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pulp

from planner.optimize.cutrounds import relax_cutset_rows
from planner.optimize.model import BUDGET_SCALE, OBJ_SCALE, Model
from planner.solver.highs import INF, Session

#: Capacity rows are relaxed by this much in the dual LPs to remove primal degeneracy.
CAPACITY_PROBE_GBPS = 1e-3


def _rows(m: Model, lp: Session, family: str) -> np.ndarray:
    """HiGHS row numbers of a row family of the model (empty if the model has none)."""
    return lp.row_index(m.family(family))


def _probe_capacity(m: Model, lp: Session) -> None:
    idx = _rows(m, lp, "capacity")
    _, upper = lp.row_bounds(idx)
    lp.set_rhs(idx, upper + CAPACITY_PROBE_GBPS * m.scenario.max_utilization)


def _run(lp: Session, time_limit_s: float) -> bool:
    """Each LP gets its own allowance; a warm start in numerical trouble is solved afresh."""
    return lp.run(time_limit_s)


def _row_duals(m: Model, lp: Session, family: str) -> np.ndarray:
    return lp.row_duals()[_rows(m, lp, family).astype(np.int64)]


def marginal_values(m: Model, time_limit_s: float, threads: int = 1) -> tuple[pd.DataFrame, dict]:
    """Capacity marginals per (corridor, year) and budget marginals (see module docstring)."""
    t0 = time.perf_counter()
    cor, years, u = m.sets.corridors, m.sets.years, m.scenario.max_utilization
    out = pd.DataFrame(
        {
            "corridor_id": np.repeat(cor["corridor_id"].to_numpy(), len(years)),
            "year": np.tile(years, len(cor)),
            "usd_per_gbps": 0.0,
            "usd_per_gbps_extendable": 0.0,
        }
    )
    info: dict = {"marginal_method": "LP duals around the plan (integers fixed / extendable)"}
    h = Session.from_pulp(m.prob, threads=threads)
    _probe_capacity(m, h)
    relax_cutset_rows(m, h)  # duals of the model's own LP, as documented
    ints = [v for v in m.prob.variables() if v.cat == pulp.LpInteger]
    idx = h.col_index(ints).astype(np.int32)
    val = np.array([round(v.varValue or 0.0) for v in ints], dtype=float)
    ub = np.array([INF if v.upBound is None else v.upBound for v in ints], float)
    cap_rows = m.rows.get("capacity")
    pos = None
    if cap_rows is not None and len(cap_rows):
        key = pd.MultiIndex.from_frame(out[["corridor_id", "year"]])
        pos = key.get_indexer(pd.MultiIndex.from_frame(cap_rows[["corridor_id", "year"]]))
    ok_fixed = ok_ext = False
    h.set_col_bounds(idx, val, val)
    ok_fixed = _run(h, time_limit_s)
    if ok_fixed and pos is not None:
        out.loc[pos, "usd_per_gbps"] = np.maximum(
            0.0, -u * _row_duals(m, h, "capacity") / OBJ_SCALE
        )
    h.set_col_bounds(idx, val, ub)
    ok_ext = _run(h, time_limit_s)
    if ok_ext and pos is not None:
        out.loc[pos, "usd_per_gbps_extendable"] = np.maximum(
            0.0, -u * _row_duals(m, h, "capacity") / OBJ_SCALE
        )
    info.update(_budget_marginals(m, h) if m.objective_mode == "max-served" and ok_ext else {
        k: None for k in BUDGET_KEYS})  # fmt: skip
    info["marginal_lp_fixed_ok"] = ok_fixed
    info["marginal_lp_extendable_ok"] = ok_ext
    info["marginal_seconds"] = time.perf_counter() - t0
    for c in ("usd_per_gbps", "usd_per_gbps_extendable"):
        out[c] = out[c].where(np.isfinite(out[c]), math.nan)
    return out, info


#: summary keys of the budget marginal (None when there is no budget or no dual)
BUDGET_KEYS = (
    "budget_marginal_objective_per_usd",
    "budget_marginal_usd_per_usd",
    "budget_marginal_gbps_years_per_usd",
    "budget_marginal_gbps_years_per_musd",
)


def _budget_marginals(m: Model, h: Session) -> dict:
    """What one more USD of budget is worth (objective, USD, Gbps-years), from the solved
    extendable LP's budget row duals; per year too when the budget has yearly caps."""
    pen = m.scenario.unserved_penalty_usd_per_gbps
    to_usd = m.meta.get("budget_scale", BUDGET_SCALE) / OBJ_SCALE  # dual of a scaled row
    lam = (
        float(_row_duals(m, h, "budget")[0]) * to_usd
        if "budget" in m.rows and len(m.rows["budget"])
        else 0.0
    )
    usd = (1.0 - lam) if lam < -1e-9 else 0.0  # binding budget
    info = dict(zip(BUDGET_KEYS, (lam, usd, usd / pen, usd / pen * 1e6), strict=True))
    if "budget_year" in m.rows:
        yd = _row_duals(m, h, "budget_year")
        info["budget_marginal_objective_per_usd_by_year"] = {
            str(y): float(d) * to_usd
            for y, d in zip(m.rows["budget_year"]["year"], yd, strict=True)
        }
    return info
