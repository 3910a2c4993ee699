"""Solve a built model with HiGHS (default) or CBC and report status, bound, gap and times.

Why not trust ``prob.status`` alone: PuLP maps a time-limited HiGHS run with an incumbent to
"Optimal". We read HiGHS's own model status and info (``mip_gap``, ``mip_dual_bound``) and CBC's
log, and call such runs ``time_limit_feasible`` so nobody mistakes them for proven plans.

The solvers themselves live in :mod:`planner.solver` (HiGHS loaded in one call, CBC behind a
watchdog); this module chooses the MIP start (always a feasible plan, so a time limit always
leaves a plan to report), the objective offset and the served-gap stop, and turns what the
solver returned into a :class:`SolveResult` in USD.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import pandas as pd
import pulp

from planner.config import SolverConfig
from planner.errors import InputError, Problem, SolverError
from planner.optimize.bounds import loss_bound
from planner.optimize.cutrounds import add_cutset_rows
from planner.optimize.leases import spend_max_usd
from planner.optimize.linkbound import pricing_info
from planner.optimize.model import EXTERNAL_STOP, OBJ_SCALE, PLAN_SHARE, Model
from planner.optimize.objective import plain_objective, reroute_min_latency, routing_max_usd
from planner.optimize.starts import initial_plan, lns, lumpy, start_is_feasible
from planner.solver.cbc import solve_cbc
from planner.solver.guard import guard_applies, solve_guarded
from planner.solver.highs import solve_mip
from planner.solver.outcome import MipOutcome


@dataclass
class SolveResult:
    solver: str
    solver_status: str  # optimal | time_limit_feasible
    objective: float
    best_bound: float | None
    mip_gap: float
    solve_seconds: float
    #: part of solve_seconds spent handing the model to the solver (PuLP -> HiGHS / MPS file)
    load_seconds: float
    seed: int
    threads: int
    time_limit_s: float
    mip_gap_target: float
    raw_status: str
    #: the MIP start: ``heuristic``, ``heuristic_objective``, ``heuristic_seconds``, ...
    start_info: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def set_objective_offset(m: Model, start_info: dict) -> float:
    """Subtract the unavoidable penalty from the objective; return the offset in USD.

    Why: the MIP gap is relative to the objective. Demand no plan can serve (latency limits,
    unit caps: ``unserved_floor_gbps_years`` from the unlimited-money LP) adds a constant
    penalty that would let a "1 % gap" hide CapEx many times the 1 % of the real decisions.
    The solver therefore minimises CapEx + penalty x *avoidable* unserved; reported objective
    and bound add the constant back, ``mip_gap`` stays the solver's (the stricter one).
    Without the floor (its LP did not finish) nothing is taken out, and ``mip_gap_stop_off``
    says the gap is not one to stop on (:func:`solver_mip_gap`).
    """
    floor = start_info.get("unserved_floor_gbps_years") or 0.0
    offset = m.scenario.unserved_penalty_usd_per_gbps * floor * (1 - 1e-7)
    if m.prob.objective is not None:
        m.prob.objective.constant = -offset * OBJ_SCALE
    start_info["objective_offset_usd"] = offset
    if _floor_unknown(m, start_info):
        start_info["mip_gap_stop_off"] = True
    return offset


def _floor_unknown(m: Model, start_info: dict) -> bool:
    """Max-served, demand that may go unserved, and no unavoidable-loss floor: its LP (the
    rounding start's unlimited-money relaxation) ran out of work or failed."""
    if m.objective_mode != "max-served" or start_info.get("unserved_floor_gbps_years") is not None:
        return False
    return m.unserved is not None and bool((m.unserved["col"] >= 0).any())


def solver_mip_gap(cfg: SolverConfig, start_info: dict) -> float:
    """The relative gap the solver may stop at: ``cfg.mip_gap``, or 0 without a floor.

    Why: the solver's gap is relative to its objective, from which
    :func:`set_objective_offset` takes the penalty of demand no plan can serve. Without the
    floor that penalty stays in, and a 1 % gap of it says nothing about the plan: Cogentco
    (all 16,110 pairs, 120 s; the floor LP out of work) stopped "optimal" at 0.16 % with a
    bound of $351.2B against $351.8B, i.e. no proof at all for its $556M of CapEx (a 300 s
    run's plan costs $514.5M). The run then ends on the served-gap rule or the time limit.
    """
    return 0.0 if start_info.get("mip_gap_stop_off") else cfg.mip_gap


@dataclass(frozen=True)
class ServedGapStop:
    """``stop(primal, dual)`` (solver units): True once the plan is within the served gap.

    Numbers, not a closure over the model: a guarded MIP (:mod:`planner.solver.guard`) asks
    it in its own process. ``spend_max_usd``: most CapEx + routing any plan in budget can cost.
    """

    demand_gbps_years: float
    penalty_usd_per_gbps: float
    offset_usd: float
    floor_gbps_years: float
    spend_max_usd: float
    served_gap: float

    def __call__(self, primal: float, dual: float) -> bool:
        if not (math.isfinite(primal) and math.isfinite(dual)):
            return False
        dem, pen = self.demand_gbps_years, self.penalty_usd_per_gbps
        unserved = max(0.0, (primal / OBJ_SCALE + self.offset_usd) / pen)
        bound = dual / OBJ_SCALE + self.offset_usd
        best = loss_bound(bound, self.spend_max_usd, pen, self.floor_gbps_years)
        served_ub = dem - min(best, dem)
        return served_ub <= 0 or (served_ub - (dem - unserved)) / served_ub <= self.served_gap


def served_gap_stop(m: Model, cfg: SolverConfig, start_info: dict) -> ServedGapStop | None:
    """The stop rule for :func:`~planner.solver.highs.solve_mip`: True at the served gap.

    Why a second stopping rule: on budget-bound plans the solver's gap is on penalty x
    *unserved* demand and closes slowly (whole waves, see ``planner.optimize``), while what a
    planner buys for is served demand. Conservative on both sides: the incumbent's unserved
    demand is taken as objective / penalty (as if CapEx and routing were unserved demand),
    the best possible as :func:`~planner.optimize.bounds.unserved_lower_bound` of the bound.
    None when the rule does not apply: min-cost, no target, nothing to serve, or other
    penalties in the objective (survivability's protection shortfall: stopping on served
    demand alone would ignore it).
    """
    if cfg.served_gap is None or m.objective_mode != "max-served" or not plain_objective(m):
        return None
    dem = float(m.unserved.loc[m.unserved["col"] >= 0, "demand_gbps"].sum())
    if dem <= 0:
        return None
    return ServedGapStop(
        demand_gbps_years=dem,
        penalty_usd_per_gbps=m.scenario.unserved_penalty_usd_per_gbps,
        offset_usd=start_info.get("objective_offset_usd", 0.0),
        floor_gbps_years=float(start_info.get("unserved_floor_gbps_years") or 0.0),
        spend_max_usd=spend_max_usd(m) + routing_max_usd(m),
        served_gap=float(cfg.served_gap),
    )


@dataclass(frozen=True)
class BoundStop:
    """``stop(primal, dual)`` (solver units): True once the incumbent is within ``gap`` of
    ``bound``, a lower bound the planner proved before the MIP for every admissible path
    (``all_paths_bound_usd``: the Benders master's or the priced LP's, without the offset).

    Why: the path MIP's own bound holds for its path set only and can stay far below a plan
    that the Benders master has already proven over every path. Measured on UsCarrier
    (Topology Zoo, 3,000 pairs, 2026-12-06): the master proved $2.223M optimal, and HiGHS,
    started from that plan, would have spent the whole limit on its own proof.
    """

    bound: float
    gap: float

    def __call__(self, primal: float, dual: float) -> bool:
        if not math.isfinite(primal):
            return False
        return primal - self.bound <= self.gap * max(abs(primal), 1e-9)


@dataclass(frozen=True)
class AnyStop:
    """Stop when any of the rules says so (picklable, for a guarded MIP)."""

    rules: tuple

    def __call__(self, primal: float, dual: float) -> bool:
        return any(rule(primal, dual) for rule in self.rules)


def bound_stop(m: Model, gap: float, start_info: dict) -> BoundStop | None:
    """The :class:`BoundStop` of the all-paths bound; None without one, or where a hook put
    other terms into the objective (that bound is of the plain objective)."""
    ap = start_info.get("all_paths_bound_usd")
    if ap is None or not plain_objective(m) or not math.isfinite(ap):
        return None
    offset = start_info.get("objective_offset_usd", 0.0)
    return BoundStop((ap - offset) * OBJ_SCALE, gap)


def _run_solver(
    m: Model, cfg: SolverConfig, seed: int, start: dict, left: float, start_info: dict
) -> SolveResult:
    """HiGHS (with the served-gap stop) or CBC; the outcome in USD as a :class:`SolveResult`."""
    t = time.perf_counter()
    gap = solver_mip_gap(cfg, start_info)
    common = dict(mip_gap=gap, threads=cfg.threads, time_limit_s=left, seed=seed)
    if cfg.name == "highs":
        rules = (served_gap_stop(m, cfg, start_info), bound_stop(m, gap, start_info))
        guarded = guard_applies(len(m.columns))
        if not guarded:  # the guarded child asks a pickled copy: a live rule cannot go there
            rules += (m.meta.get(EXTERNAL_STOP),)
        stop = AnyStop(tuple(r for r in rules if r is not None)) if any(rules) else None
        # a live share, like a live rule, cannot go to the guarded child either
        share = {} if guarded else {"share": m.meta.get(PLAN_SHARE)}
        mip = solve_guarded if guarded else solve_mip
        out: MipOutcome = mip(
            m.prob, **common, start=start, stop=stop, obj_scale=OBJ_SCALE, **share
        )
        start_info["solver_guarded"] = guarded
        if out.ended_late_s is not None:
            start_info["solver_ended_late_s"] = round(out.ended_late_s, 1)
    else:
        out = solve_cbc(m.prob, **common, start=start)
    return SolveResult(
        cfg.name,
        out.status,
        out.objective / OBJ_SCALE,
        None if out.best_bound is None else out.best_bound / OBJ_SCALE,
        out.mip_gap,
        time.perf_counter() - t,
        out.load_seconds,
        seed,
        cfg.threads,
        cfg.time_limit_s,
        gap,
        out.raw_status,
    )


def gap_to(res: SolveResult, bound: float, offset: float) -> float:
    """The relative gap of the result's objective to ``bound`` (USD), on the solver's
    objective less the unavoidable-loss offset, as ``mip_gap``."""
    return max(0.0, res.objective - bound) / max(abs(res.objective - offset), 1e-9)


def raise_bound(
    res: SolveResult, bound: float, offset: float, start_info: dict, source: str
) -> bool:
    """Report ``bound`` (USD, valid for every plan of the model) where the result's own is
    lower or missing: ``best_bound``, ``mip_gap`` and ``bound_source``; True if it did."""
    if res.best_bound is not None and bound <= res.best_bound:
        return False
    res.best_bound = min(bound, res.objective)  # past the plan: tolerance
    res.mip_gap = gap_to(res, bound, offset)
    start_info["bound_source"] = source
    return True


def lift_bound(res: SolveResult, start_info: dict, offset: float) -> None:
    """Raise the reported bound to the model's own root LP optimum when the solver's is lower.

    Why: on large models (Cogentco, all 16k pairs) HiGHS can reach its time limit before it
    has solved its root LP and then reports a trivial dual bound (the objective offset: gap
    99.99 %). The LP optimum of the same model found before the MIP (the start heuristic's
    relaxation, or the LP with cut-set rows; solved to optimality, else not recorded) bounds
    every plan of this model too. ``bound_source`` says which one is reported.
    """
    lps = [start_info.get(k) for k in ("lp_relaxation_objective", "cutset_lp_bound_after_usd")]
    best = max((b for b in lps if b is not None), default=None)
    if best is not None and res.best_bound is not None:
        raise_bound(res, best, offset, start_info, "root_lp")


#: statuses with a plan
SOLVED = ("optimal", "served_gap_reached", "time_limit_feasible")
ALL_PATHS_RAW = "Within the MIP gap of the all-paths bound (the planner interrupted HiGHS)"
ALL_PATHS_NOTE = " (within the MIP gap of the all-paths bound)"


def lift_all_paths(res: SolveResult, start_info: dict, offset: float, gap: float) -> None:
    """Report the all-paths bound (``all_paths_bound_usd``) where it is above the MIP's own:
    it holds for the path set too (a restriction costs at least as much), and then the gap
    holds for every path (``bound_scope: all_paths``). A plan within the solver's gap of it
    is ``optimal``, whatever stopped the MIP (:class:`BoundStop`, the served gap, the time)."""
    ap = start_info.get("all_paths_bound_usd")
    if ap is None or res.solver_status not in SOLVED:
        return
    if not raise_bound(res, ap, offset, start_info, "all_paths"):
        return
    start_info["bound_scope"] = "all_paths"
    if res.solver_status != "optimal" and res.mip_gap <= gap + 1e-12:
        # an interrupt may have been the served gap's or the bound's (AnyStop): say the proof
        stopped = res.solver_status == "served_gap_reached"
        res.raw_status = ALL_PATHS_RAW if stopped else res.raw_status + ALL_PATHS_NOTE
        res.solver_status = "optimal"


def own_bound_scope(m: Model) -> str:
    """The paths the model's own MIP bound holds for: every path (arc formulation) or the
    path set, priced paths included (``bound_scope`` before any all-paths lift)."""
    return "all_paths" if m.formulation == "arc" else "k_paths"


def report_all_paths(res: SolveResult, offset: float, gap: float) -> None:
    """The all-paths bound of ``res.start_info`` reported as :func:`solve` reports it (lifted
    where above the solver's, and ``all_paths_gap``), for results made outside it: budget
    chains and survivability rounds. Rows those models add only raise their optimum, so a
    bound of the plain model over every path still holds for them."""
    info = res.start_info
    lift_all_paths(res, info, offset, gap)
    ap = info.get("all_paths_bound_usd")
    if ap is not None:
        info["all_paths_gap"] = gap_to(res, ap, offset)


def _lift_missing_bound(res: SolveResult, start_info: dict, offset: float) -> None:
    """No bound from the solver (stopped before its root, or it returned the start): the
    model's root LP optimum still bounds every plan (Cogentco, all pairs: gap inf % before)."""
    res.best_bound = -math.inf
    lift_bound(res, start_info, offset)
    if not math.isfinite(res.best_bound):
        res.best_bound, res.mip_gap = None, math.inf


def _improve_after_mip(
    m: Model, cfg: SolverConfig, res: SolveResult, seconds, offset, deadline: float
) -> None:
    """The fix-and-optimize search on a time-limited MIP's plan; objective and gap updated
    when it finds a cheaper plan (the bound is the MIP's or the root LP's, unchanged).
    No search round starts after ``deadline`` (the solve's time limit)."""
    t = time.perf_counter()
    if lns.lns_after_mip(m, cfg.threads, seconds, res.start_info, deadline):
        res.objective = float(pulp.value(m.prob.objective)) / OBJ_SCALE + offset
        if res.best_bound is not None:
            res.mip_gap = gap_to(res, res.best_bound, offset)
        res.raw_status += " (then improved by the LNS)"
    res.solve_seconds += time.perf_counter() - t


LUMPY_NOTE = " (within the MIP gap of the waves-relaxed bound)"


def _lumpy_after_mip(
    m: Model, cfg: SolverConfig, seed: int, res: SolveResult, offset: float, deadline: float
) -> None:
    """The waves-relaxed search on a time-limited MIP's plan (:mod:`planner.optimize.starts.
    lumpy`): its plan where cheaper, its bound where higher (a relaxation of this model, so
    valid for every plan of it); ``optimal`` once the plan is within the MIP gap of it."""
    t = time.perf_counter()
    info = res.start_info
    improved, bound = lumpy.lumpy_after_mip(m, cfg, seed, deadline, info)
    if improved:
        res.objective = float(pulp.value(m.prob.objective)) / OBJ_SCALE + offset
        res.raw_status += " (then improved with the waves relaxed)"
    if bound is not None:
        raise_bound(res, bound / OBJ_SCALE + offset, offset, info, "waves_relaxed")
    regap(res, offset, solver_mip_gap(cfg, info), LUMPY_NOTE)
    res.solve_seconds += time.perf_counter() - t


def regap(res: SolveResult, offset: float, gap: float, note: str) -> None:
    """The gap of the result's objective to its bound after either moved outside the solver
    (a search's cheaper plan, a relaxation's or another process's bound), and ``optimal``,
    with ``note`` on the raw status, once it is within ``gap``."""
    if res.best_bound is None:
        return
    res.mip_gap = gap_to(res, res.best_bound, offset)
    if res.solver_status != "optimal" and res.mip_gap <= gap + 1e-12:
        res.solver_status = "optimal"
        res.raw_status += note


def solve(
    m: Model, cfg: SolverConfig, seed: int, start_upgrades: pd.DataFrame | None = None
) -> SolveResult:
    """Solve; raise InputError if min-cost is infeasible, SolverError if no plan came back.

    ``start_upgrades``: an earlier plan's ``upgrades`` table, offered as a MIP start (used
    when it is at least as good as the heuristics' plans).
    """
    t = time.perf_counter()
    start, start_info, left = initial_plan(m, cfg, start_upgrades)
    if cfg.cuts:  # valid for every integer plan, so for the start too; before branching
        t_cut = time.perf_counter()
        start_info.update(add_cutset_rows(m, cfg.threads, cfg.time_limit_s, start))
        left = max(0.05 * cfg.time_limit_s, left - (time.perf_counter() - t_cut))
    start_info.update(pricing_info(m))
    start_info["bound_scope"] = own_bound_scope(m)
    offset = set_objective_offset(m, start_info)
    # time kept back from the MIP for the search on its plan (planner.optimize.starts.lns)
    keep = lns.lns_share(len(m.columns)) * cfg.time_limit_s
    if cfg.name != "highs" or not start or m.objective_mode != "max-served":
        keep = 0.0
    # and for the search with waves continuous (planner.optimize.starts.lumpy; never both)
    keep_lumpy = lumpy.lumpy_share(m, cfg) * cfg.time_limit_s
    mip_s = max(0.05 * cfg.time_limit_s, left - keep - keep_lumpy)
    res = _run_solver(m, cfg, seed, start, mip_s, start_info)
    res.start_info = start_info
    res.solve_seconds = time.perf_counter() - t
    res.objective += offset
    if res.best_bound is not None:
        res.best_bound += offset
        if res.solver_status != "optimal":
            lift_bound(res, start_info, offset)
    elif res.solver_status == "time_limit_feasible":
        _lift_missing_bound(res, start_info, offset)
    if res.solver_status == "infeasible":
        if m.objective_mode == "min-cost":
            raise InputError(
                Problem(
                    "<scenario>",
                    "min-cost: the demand cannot all be served within the unit caps, spare "
                    "pairs, wave slots and latency limits (got infeasible, expected a plan); "
                    "run with --objective max-served (or the scenario key 'objective') to "
                    "see what cannot be carried",
                )
            )
        raise SolverError(
            f"{res.solver} reports the model infeasible ({res.raw_status}); "
            "this is a bug: max-served always has the all-unserved plan"
        )
    if res.solver_status == "no_solution" and start and start_is_feasible(m, start):
        # out of time before the solver reported anything: the start is still a valid plan
        for v in m.prob.variables():
            v.varValue = start.get(v, 0.0)
        res.objective = float(pulp.value(m.prob.objective)) / OBJ_SCALE + offset
        res.best_bound, res.mip_gap = None, math.inf
        res.solver_status = "time_limit_feasible"
        res.raw_status += " (returned the MIP start)"
        _lift_missing_bound(res, start_info, offset)
    stopped_outside = getattr(m.meta.get(EXTERNAL_STOP), "fired", False)
    if keep_lumpy and res.solver_status == "time_limit_feasible" and not stopped_outside:
        _lumpy_after_mip(m, cfg, seed, res, offset, t + cfg.time_limit_s)
    if plain_objective(m):
        lift_all_paths(res, start_info, offset, solver_mip_gap(cfg, start_info))
    if keep and res.solver_status == "time_limit_feasible":
        _improve_after_mip(m, cfg, res, keep, offset, t + cfg.time_limit_s)
    if res.solver_status == "no_solution":
        raise SolverError(
            f"{res.solver} found no plan within {cfg.time_limit_s:g} s ({res.raw_status}); "
            "raise solver.time_limit_s"
        )
    if cfg.name == "highs":  # lexicographic stage 3 (after CBC, PuLP left stale column
        # indices on this model that HiGHS refused to load: CBC plans keep the MIP's routing)
        res.objective += reroute_min_latency(m, cfg.threads)
    all_paths = start_info.get("all_paths_bound_usd")
    if all_paths is not None:  # the priced LP bound holds for every admissible path
        # on the solver's (offset) objective, as mip_gap: unavoidable loss must not shrink it
        start_info["all_paths_gap"] = gap_to(res, all_paths, offset)
    return res
