r"""Multi-period capacity planning as a mixed-integer program (PuLP; HiGHS default, CBC optional).

Recipe: ``plan = extract(solve(hook(build(index_sets(inputs, demand, scenario)))))``, see
:func:`plan`. Building and solving are separate so ``hook(model)`` can add constraints
(survivability, issue 7) using ``model.capacity_gbps(corridor, year)``, ``model.flows`` and the
reusable path enumerator :func:`planner.optimize.paths.enumerate_paths`.

The model
=========

Sets. Years :math:`t \in T` (``start_year .. start_year + horizon_years - 1``). Corridors
:math:`e \in E` = existing corridors :math:`E_0` and candidate routes :math:`C`. Wave and
fiber-pair options :math:`o` that apply to :math:`e` (``corridor_id`` blank or equal to e).
Pairs :math:`p` with demand :math:`d_{pt}` (Gbps, the scenario's quantile, end of year t).
Path formulation: paths :math:`k \in K_p` = the ``k_paths`` shortest loop-free paths within
the pair class's latency limit (over all corridors, plus the k shortest over existing ones).

Decisions. :math:`x_{eot} \in \mathbb{Z}_{\ge 0}` units of option o bought on e in year t
(only if in service by the last year: :math:`t + L_o \le t_{end}`); :math:`b_{ct} \in \{0,1\}`
build route c in t; flows :math:`f_{pkt} \ge 0` (Gbps); unserved :math:`s_{pt} \in [0, d_{pt}]`.

Unit cost, in USD, of o on e bought in t:
:math:`c_{eot} = (F_o + P_o \cdot km_e + R_o \lfloor km_e / reach_o \rfloor)(1 + g_o)^{t - t_0}`.
A route build costs ``build_capex_usd`` (blank: the new_build option's fixed + per-km cost)
times the new_build option's price trend.

Capacity (Gbps) in service in t, with :math:`S_t(o) = \{\tau : \tau + L_o \le t\}`:

.. math:: cap_{et} = I_e + \sum_o G_o \sum_{\tau \in S_t(o)} x_{eo\tau}
                     + G^{build}_e \sum_{\tau \in S_t(c)} b_{e\tau}

Constraints, for every e, t:

* capacity: :math:`\sum_{p,k \ni e} f_{pkt} \le u \cdot cap_{et}` (``u`` = max_utilization);
* wave slots: waves in service :math:`\le W_e (lit_e + pairs_{et}) - waves^{inst}_e`, where
  :math:`pairs_{et}` are fiber pairs in service; a new route adds :math:`W_e - w^{build}_e`
  slots when in service (its day-one capacity uses :math:`w^{build}_e` = ceil(Gbps / 400));
* unit caps, cumulative over the horizon: :math:`\sum_t x_{eot} \le` ``max_units_per_corridor``,
  fiber pairs :math:`\le` ``spare_fiber_pairs``; on a new route, pairs in service
  :math:`\le (fiber\_pairs - 1)` x built-and-in-service; each route built at most once;
* demand: :math:`\sum_k f_{pkt} + s_{pt} = d_{pt}`;
* budget (max-served): :math:`\sum c \cdot x + \sum c^{build} b \le B`, and per year if given.

Objective ``max-served`` (default), in USD:

.. math:: \min\; \pi \sum_{p,t} s_{pt} + \sum c \cdot x + \sum c^{build} b
              + \epsilon \sum_{p,k,t} lat_k f_{pkt}

with :math:`\pi` = ``unserved_penalty_usd_per_gbps`` per Gbps-year (default 1e7) and
:math:`\epsilon` a tie-break towards low-latency paths, weighted from the data's own cost
scale so the whole tie-break is at most 1 % of the cheapest unit (at most
``ROUTING_USD_PER_GBPS_MS`` = 1e-3 USD per Gbps per ms per year; see
:mod:`planner.optimize.objective`); after the MIP an LP re-routes the fixed plan for least
Gbps-ms (exact third stage). Why this is lexicographic in
effect: one Gbps of usable capacity costs ``unit_capex / (capacity x u)``, typically 1e2-1e5
USD, far below :math:`\pi`; so any budget that can serve one more Gbps-year does so before
any dollar is saved, and among plans serving the same demand the cheapest wins. It is not
strictly lexicographic when the cheapest Gbps on a pair's paths costs more than :math:`\pi`
(checked before solving: warning and ``penalty_dominance_ratio`` in the summary) or for
residues smaller than one unit's price / :math:`\pi` Gbps-years. The MIP gap is on the whole
(offset) objective: for budget-bound plans it is dominated by unserved demand, and a few
Gbps-years of it outweigh millions of CapEx, so relative gaps look large while the served
demand is already within a fraction of a percent of the best possible; hence
``served_fraction_upper_bound`` below.

Solving (see :mod:`planner.optimize.solve`, :mod:`planner.optimize.starts`). Before the
MIP, LP relaxations give (a) ``unserved_floor_gbps_years``, the least unserved demand with
unlimited money, a lower bound for every plan, and (b) a feasible MIP start: routes chosen
greedily, then fiber pairs and waves fixed by LP-guided diving. The solver minimises the
objective minus :math:`\pi \cdot` floor (a constant), so ``mip_gap`` measures CapEx plus
*avoidable* unserved demand: unavoidable loss (latency limits, unit caps) cannot make a 1 %
gap hide real CapEx. Reported ``objective`` and ``best_bound`` are the documented objective.
``served_fraction_upper_bound`` turns the bound into a planner's statement: no plan within
the budget serves more than this share of demand Gbps-years; ``served_gap`` = (that bound -
``served_fraction``) / that bound is the gap in the unit planners buy for. On the default
network the solver's ``mip_gap`` stays at 4-5 % after minutes (the LP relaxation pays for
fractional waves and fiber pairs, and proving the last percent needs a huge tree) while
``served_gap`` is near 1 %: see ``reports/bench/optimize.md``. Why the solver's gap stays
open: capacity comes in whole waves per corridor and year, and an LP-based bound cannot see
what that rounding costs (measured on the default network: with waves continuous and only
fiber pairs and routes integer, the optimum is within 1.5 % of the full MIP's bound, and the
best integer plan after 9 minutes still costs 2 % more than that optimum). The solver
therefore also stops at ``solver.served_gap`` (HiGHS interrupt callback, status
``served_gap_reached``; shipped scenarios: 1 %). A time-limited run returns its best plan (at
worst the start) as ``solver_status: time_limit_feasible``. Measured again on 2026-12-07 by
class: with only the route builds integer the optimum is 18.40e12 (LP 17.69e12), with fiber
pairs and builds integer 18.52-18.59e12, with only the waves integer 17.70-17.79e12: the
LP's gap is in the lumpy columns, and a time-limited max-served MIP is followed by a search
on the model with the waves continuous (:mod:`planner.optimize.starts.lumpy`: a higher bound
for every plan, and the waves re-bought for the best fiber pairs and builds found).

Numerics: the solver sees the objective in thousands of USD and budget rows in millions
(``OBJ_SCALE``; budget rows so the budget reads ``BUDGET_ROW_RHS``); everything reported is
converted back to USD.

Objective ``min-cost``: no slack and no budget: serve every Gbps at least CapEx (classic
network design). A pair without an admissible path, or demand beyond the unit caps, is an
:class:`~planner.errors.InputError`.

Arc formulation (``formulation="arc"``, :mod:`planner.optimize.formulations.arc`): the same
capacity, slot, cap and budget rows, with node-balance multi-commodity flow (commodity =
source site) instead of paths; exact for splittable routing, but without latency limits.

Marginal values (see :mod:`planner.optimize.marginal`): duals of LPs around the plan give USD
per extra Gbps on each corridor-year and the demand one more budget dollar would serve.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pandas as pd

from planner.config import Scenario
from planner.helper import Helper
from planner.optimize import auto, bridges, race
from planner.optimize.benders import benders_stage, budget_binds
from planner.optimize.build import build
from planner.optimize.extract import extract
from planner.optimize.linkbound import link_bound_later, with_link_bound
from planner.optimize.marginal import marginal_values
from planner.optimize.model import EXTERNAL_STOP, FORMULATIONS, OBJECTIVES, Model
from planner.optimize.paths import enumerate_paths
from planner.optimize.pricing import price_paths
from planner.optimize.sets import IndexSets, index_sets
from planner.optimize.solve import SolveResult, solve
from planner.optimize.starts.lumpy import ARC_FOLLOWS
from planner.tables import Inputs, Plan

log = logging.getLogger(__name__)

__all__ = [
    "FORMULATIONS",
    "OBJECTIVES",
    "IndexSets",
    "Model",
    "SolveResult",
    "build",
    "build_model",
    "enumerate_paths",
    "extract",
    "index_sets",
    "marginal_values",
    "plan",
    "solve",
]


def build_model(
    inputs: Inputs,
    demand: pd.DataFrame,
    scenario: Scenario,
    *,
    formulation: str = "path",
    objective: str | None = None,
    helper: Helper | None = None,
) -> Model:
    """Index sets + PuLP model, not solved (``auto`` builds the path model).

    ``helper``: where the linked all-paths bound may be computed while the model is built and
    its start found, when no stage before the solve needs it (:mod:`planner.helper`)."""
    formulation = "path" if formulation == "auto" else formulation
    sets = index_sets(inputs, demand, scenario, paths=formulation == "path")
    info: dict = {}
    start = None
    link_later = False
    if formulation == "path" and scenario.solver.path_pricing:
        sets, info = price_paths(sets, scenario, objective)
        link_later = budget_binds(info)  # then the Benders stage, which reads it, does not run
        if not link_later:
            info = with_link_bound(info, sets, scenario, objective)  # no fractional routes
        sets, info, start = benders_stage(sets, scenario, objective, info)  # whole waves
    m = build(sets, scenario, formulation=formulation, objective=objective)
    m.meta["pricing"] = info
    m.meta["benders_start"] = start
    if link_later:
        link_bound_later(m, sets, scenario, objective, helper)
    return m


def _path_then_arc(inputs, demand, scenario, objective, m, ups, t0, arc_race):
    """``auto``'s two stages (:mod:`planner.optimize.auto`), raced by the arc model alone on
    the second core where there is one (:mod:`planner.optimize.race`)."""
    m.meta[ARC_FOLLOWS] = True  # no waves-relaxed search here: the arc stage runs it
    if arc_race is not None:  # its stop rule only: plans are shared on the arc model's columns
        m.meta[EXTERNAL_STOP] = arc_race
    res = solve(m, auto.path_stage_solver(scenario), scenario.seed, ups)
    proven = auto.proven_on_every_path(m, res, scenario)
    if proven:
        res = auto.with_choice(res, "its plan is proven for every path: no arc stage")
    else:
        first = extract(m, res, None).upgrades
        used = time.perf_counter() - t0
        m, res = auto.arc_stage(inputs, demand, scenario, objective, first, res, used, arc_race)
        proven = res.solver_status == "optimal" and not getattr(arc_race, "fired", False)
    if arc_race is not None:
        arc_race.finish(m, res, scenario.solver.mip_gap, proven)
    res.time_limit_s = scenario.solver.time_limit_s  # the run's, not its last stage's
    return m, res


def plan(
    inputs: Inputs,
    demand: pd.DataFrame,
    scenario: Scenario,
    *,
    formulation: str = "auto",
    objective: str | None = None,
    hook: Callable[[Model], None] | None = None,
    marginals: bool = True,
    start: Plan | pd.DataFrame | None = None,
    helper: Helper | None = None,
) -> Plan:
    """Plan upgrades for ``demand`` (``site_a, site_b, year, demand_gbps``) under ``scenario``.

    ``objective`` overrides ``scenario.objective``; ``hook(model)`` runs between build and
    solve; ``marginals=False`` skips the two dual LPs (sweeps that only need the plan);
    ``start``: an earlier plan (or its upgrades table) to start from, so re-planning with
    more time or budget never returns a plan worse than it (when it still fits).
    ``formulation="auto"`` (default): the path model, then for min-cost the arc model from
    its plan where that is exact and small (:mod:`planner.optimize.auto`). ``helper``: a
    second process for work beside the solve (:mod:`planner.helper`; the same plan without).
    """
    dec = None
    if formulation == "auto" and hook is None and start is None:
        dec, scenario = bridges.decompose_first(inputs, demand, scenario, objective, plan)
    t0 = time.perf_counter()
    auto_alone = formulation == "auto" and hook is None
    arc_race = race.begin(inputs, demand, scenario, objective, auto_alone)
    try:
        m = build_model(
            inputs, demand, scenario, formulation=formulation, objective=objective, helper=helper
        )
        if hook is not None:
            hook(m)
        ups = start.upgrades if isinstance(start, Plan) else start
        if dec is not None:
            ups = bridges.offer(m, dec)
        why_not = auto.arc_stage_reason(m, hook is not None) if formulation == "auto" else "-"
        if why_not is None:
            m, res = _path_then_arc(inputs, demand, scenario, objective, m, ups, t0, arc_race)
        else:
            res = solve(m, scenario.solver, scenario.seed, ups)
            if formulation == "auto":
                res = auto.with_choice(res, why_not)
    finally:
        if arc_race is not None:
            arc_race.close()
    marg = None
    if marginals:
        marg = marginal_values(m, scenario.solver.time_limit_s, scenario.solver.threads)
    p = extract(m, res, marg)
    for w in p.summary["warnings"]:
        log.warning(w)
    return p
