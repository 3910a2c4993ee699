"""Solve a built model with HiGHS (default) or CBC and report status, bound, gap and times.

Why not trust ``prob.status`` alone: PuLP maps a time-limited HiGHS run with an incumbent to
"Optimal". We read HiGHS's own model status and info (``mip_gap``, ``mip_dual_bound``) and CBC's
log, and call such runs ``time_limit_feasible`` so nobody mistakes them for proven plans.

HiGHS is loaded through a subclass of PuLP's ``HiGHS`` interface that passes the whole matrix
in one ``passModel`` call (PuLP's own loader calls ``addCol``/``addRow`` once per column and
row) and starts the search from the all-unserved plan, which is always feasible, so a time
limit always leaves a plan to report. CBC is PuLP's bundled binary through ``COIN_CMD``.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field

import highspy
import numpy as np
import pandas as pd
import pulp
from pulp.apis.coin_api import pulp_cbc_path

from planner.config import SolverConfig
from planner.errors import InputError, Problem, SolverError
from planner.optimize.build import OBJ_SCALE, Model, plain_objective, unserved_lower_bound
from planner.optimize.greedy import greedy_start
from planner.optimize.heuristic import previous_plan_start, rounding_start
from planner.optimize.scheduler import use_threads


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


def to_highs(prob: pulp.LpProblem, h: highspy.Highs, *, mip: bool = True) -> list[pulp.LpVariable]:
    """Pass a PuLP problem to HiGHS in one call; sets ``var.index`` / ``constraint.index``.

    Returns the variables in HiGHS column order.
    """
    variables = prob.variables()
    n = len(variables)
    for i, v in enumerate(variables):
        v.index = i
    obj = prob.objective or {}
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.col_cost_ = np.array([obj.get(v, 0.0) for v in variables], dtype=float)
    lp.col_lower_ = np.array(
        [-inf if v.lowBound is None else v.lowBound for v in variables], dtype=float
    )
    lp.col_upper_ = np.array(
        [inf if v.upBound is None else v.upBound for v in variables], dtype=float
    )
    cons = list(prob._constraints.values())
    starts = np.zeros(len(cons) + 1, dtype=np.int64)
    index: list[int] = []
    value: list[float] = []
    lower = np.empty(len(cons))
    upper = np.empty(len(cons))
    for i, c in enumerate(cons):
        c.index = i
        index.extend(v.index for v in c)
        value.extend(c.values())
        starts[i + 1] = len(index)
        lb, ub = c.getLb(), c.getUb()
        lower[i] = -inf if lb is None else lb
        upper[i] = inf if ub is None else ub
    lp.num_row_ = len(cons)
    lp.row_lower_ = lower
    lp.row_upper_ = upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = len(cons)
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=float)
    if mip:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger
            if v.cat == pulp.LpInteger
            else highspy.HighsVarType.kContinuous
            for v in variables
        ]
    if prob.objective is not None:
        lp.offset_ = float(prob.objective.constant)
    pass_model(h, lp, prob.name)
    return variables


def pass_model(h: highspy.Highs, lp: highspy.HighsLp, what: str) -> None:
    """``h.passModel(lp)``, raising if HiGHS refused it.

    Why: HiGHS rejects a model it cannot trust (e.g. a coefficient above 1e15) by returning
    an error status and keeping an *empty* model; solving that gives "Optimal" for nothing.
    """
    if h.passModel(lp) == highspy.HighsStatus.kError:
        raise SolverError(
            f"HiGHS refused the {what} model (values out of range, see its log); "
            "this is a bug in the model scaling, please report it"
        )


class BulkHiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface with a one-call model load, a warm start, load timing and an
    optional stop rule ``stop(primal_bound, dual_bound) -> bool`` (solver units) checked
    whenever HiGHS offers to be interrupted."""

    def __init__(self, *args, start: dict | None = None, stop=None, **kw) -> None:
        super().__init__(*args, **kw)
        self.start = start
        self.stop = stop
        self.stopped = False
        self.load_seconds = 0.0

    def _interrupt(self, e) -> None:
        if not self.stopped and self.stop(e.data_out.mip_primal_bound, e.data_out.mip_dual_bound):
            self.stopped = True
            e.data_in.user_interrupt = True

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP API)
        t = time.perf_counter()
        variables = to_highs(lp, lp.solverModel, mip=self.mip)
        if self.start:
            vals = np.array([self.start.get(v, 0.0) for v in variables], dtype=float)
            idx = np.arange(len(variables), dtype=np.int32)
            lp.solverModel.setSolution(len(idx), idx, vals)
        self.load_seconds = time.perf_counter() - t
        if self.stop is not None:
            lp.solverModel.cbMipInterrupt.subscribe(self._interrupt)
        if self.timeLimit is not None:  # the limit covers the load too, not just run()
            left = max(0.05 * self.timeLimit, self.timeLimit - self.load_seconds)
            lp.solverModel.setOptionValue("time_limit", float(left))


def start_solution(m: Model) -> dict:
    """All decisions 0, all demand unserved: feasible in max-served mode (no-op otherwise)."""
    if m.objective_mode != "max-served":
        return {}
    us = m.unserved[m.unserved["col"] >= 0]
    cv = m.columns
    start = {v: 0.0 for v in m.prob.variables()}
    for c, d in zip(us["col"], us["demand_gbps"], strict=True):
        start[cv[c]] = float(d)
    return start


#: Share of the time limit the start heuristic may use (it is usually far below), as a work
#: budget (:mod:`planner.optimize.work`), so the start never depends on machine load.
HEURISTIC_TIME_SHARE = 0.3


def initial_plan(
    m: Model, cfg: SolverConfig, start_upgrades: pd.DataFrame | None = None
) -> tuple[dict, dict, float]:
    """MIP start (the best of the greedy, the LP-rounding and, if given, an earlier plan's
    purchases; else all-unserved) and the solver time left (s)."""
    t = time.perf_counter()
    greedy, ginfo = greedy_start(m)
    # a nominal share, turned into simplex work by the heuristics: no clock shapes the start
    share = HEURISTIC_TIME_SHARE * cfg.time_limit_s
    start, info = rounding_start(m, share, cfg.threads)
    info.update(ginfo)
    lp_obj = info.get("heuristic_objective", math.inf) if start else math.inf
    prev: dict = {}
    if start_upgrades is not None:
        prev, pinfo = previous_plan_start(m, start_upgrades, share, cfg.threads)
        info.update(pinfo)
    prev_obj = info.get("start_plan_objective", math.inf) if prev else math.inf
    g_obj = ginfo["greedy_objective"] if greedy else math.inf
    if prev and prev_obj <= min(lp_obj, g_obj):
        start, info["heuristic_used"] = prev, "previous_plan"
    elif greedy and g_obj < lp_obj:
        start, info["heuristic_used"] = greedy, "greedy"
    elif start:
        info["heuristic_used"] = "lp_rounding"
    else:
        start, info["heuristic_used"] = start_solution(m), "none"
    # the solver gets the time left (at least 5 %): only whether it hits its limit depends on
    # the clock, and a run that does says so in its status
    left = max(0.05 * cfg.time_limit_s, cfg.time_limit_s - (time.perf_counter() - t))
    return start, info, left


def start_is_feasible(m: Model, start: dict, tol: float = 1e-6) -> bool:
    """Does the start satisfy every row (including rows a hook added)? Bounds too."""
    for v in m.prob.variables():
        x = start.get(v, 0.0)
        if (v.lowBound is not None and x < v.lowBound - tol) or (
            v.upBound is not None and x > v.upBound + tol
        ):
            return False
    for c in m.prob.constraints():
        lhs = sum(a * start.get(v, 0.0) for v, a in c.items()) + c.constant
        slack = tol * (1.0 + abs(c.constant))
        if (c.sense <= 0 and lhs > slack) or (c.sense >= 0 and lhs < -slack):
            return False
    return True


def set_objective_offset(m: Model, start_info: dict) -> float:
    """Subtract the unavoidable penalty from the objective; return the offset in USD.

    Why: the MIP gap is relative to the objective. Demand no plan can serve (latency limits,
    unit caps: ``unserved_floor_gbps_years`` from the unlimited-money LP) adds a constant
    penalty that would let a "1 % gap" hide CapEx many times the 1 % of the real decisions.
    The solver therefore minimises CapEx + penalty x *avoidable* unserved; reported objective
    and bound add the constant back, ``mip_gap`` stays the solver's (the stricter one).
    """
    floor = start_info.get("unserved_floor_gbps_years") or 0.0
    offset = m.scenario.unserved_penalty_usd_per_gbps * floor * (1 - 1e-7)
    if m.prob.objective is not None:
        m.prob.objective.constant = -offset * OBJ_SCALE
    start_info["objective_offset_usd"] = offset
    return offset


def served_gap_stop(m: Model, cfg: SolverConfig, start_info: dict):
    """``stop(primal, dual)`` for :class:`BulkHiGHS`: True once the served gap is reached.

    Why a second stopping rule: on budget-bound plans the solver's gap is on penalty x
    *unserved* demand and closes slowly (whole waves, see ``planner.optimize``), while what a
    planner buys for is served demand. Conservative on both sides: the incumbent's unserved
    demand is taken as objective / penalty (as if CapEx and routing were unserved demand),
    the best possible as :func:`~planner.optimize.build.unserved_lower_bound` of the bound.
    None when the rule does not apply: min-cost, no target, nothing to serve, or other
    penalties in the objective (survivability's protection shortfall: stopping on served
    demand alone would ignore it).
    """
    if cfg.served_gap is None or m.objective_mode != "max-served" or not plain_objective(m):
        return None
    dem = float(m.unserved.loc[m.unserved["col"] >= 0, "demand_gbps"].sum())
    if dem <= 0:
        return None
    pen = m.scenario.unserved_penalty_usd_per_gbps
    offset = start_info.get("objective_offset_usd", 0.0)
    floor = float(start_info.get("unserved_floor_gbps_years") or 0.0)

    def stop(primal: float, dual: float) -> bool:
        if not (math.isfinite(primal) and math.isfinite(dual)):
            return False
        unserved = max(0.0, (primal / OBJ_SCALE + offset) / pen)
        best = unserved_lower_bound(m, dual / OBJ_SCALE + offset, floor)
        served_ub = dem - min(best, dem)
        return served_ub <= 0 or (served_ub - (dem - unserved)) / served_ub <= cfg.served_gap

    return stop


def _highs(
    m: Model, cfg: SolverConfig, seed: int, start: dict, left: float, start_info: dict
) -> SolveResult:
    t = time.perf_counter()
    use_threads(cfg.threads)
    solver = BulkHiGHS(
        msg=False,
        gapRel=cfg.mip_gap,
        threads=cfg.threads,
        timeLimit=left,
        start=start,
        stop=served_gap_stop(m, cfg, start_info),
        random_seed=int(seed) % 2_147_483_647,
    )
    m.prob.solve(solver)
    secs = time.perf_counter() - t
    h: highspy.Highs = m.prob.solverModel
    st = h.getModelStatus()
    info = h.getInfo()
    raw = h.modelStatusToString(st)
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    is_mip = any(v.cat == pulp.LpInteger for v in m.prob.variables())
    if st == highspy.HighsModelStatus.kOptimal:
        status = "optimal"
    elif solver.stopped and has_sol:
        status = "served_gap_reached"
    elif st in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        status = "infeasible"
    elif has_sol:
        status = "time_limit_feasible"
    else:
        status = "no_solution"
    if has_sol:
        check_solution_objective(h)
    obj = float(info.objective_function_value) / OBJ_SCALE
    bound = float(info.mip_dual_bound) if is_mip else float(info.objective_function_value)
    bound /= OBJ_SCALE
    gap = float(info.mip_gap) if is_mip else 0.0
    if not math.isfinite(gap) or gap < 0:
        gap = 0.0 if status == "optimal" else math.inf
    return SolveResult(
        "highs",
        status,
        obj,
        bound if math.isfinite(bound) else None,
        gap,
        secs,
        solver.load_seconds,
        seed,
        cfg.threads,
        cfg.time_limit_s,
        cfg.mip_gap,
        raw,
    )


def check_solution_objective(h: highspy.Highs) -> None:
    """Raise if the columns HiGHS returns do not give the objective it reports.

    Why: highspy 1.16.0 returned the MIP start's columns with the optimum's objective when
    presolve solved a small model outright; the plan tables (built from the columns) then
    bought capacity the reported objective did not pay for. pyproject.toml keeps it below
    1.16; this guard turns any such mismatch into an error instead of a wrong plan.
    """
    lp = h.getLp()
    x = np.asarray(h.getSolution().col_value, dtype=float)
    got = float(np.dot(np.asarray(lp.col_cost_, dtype=float), x) + lp.offset_)
    said = float(h.getInfo().objective_function_value)
    if abs(got - said) > 1e-9 * (1.0 + abs(said)):  # same columns: equal to rounding
        raise SolverError(
            f"HiGHS {h.version()} returned a "
            f"solution costing {got / OBJ_SCALE:,.2f} USD but reports {said / OBJ_SCALE:,.2f} USD; "
            "refusing a plan that may be wrong: install highspy<1.16 (see pyproject.toml)"
        )


_CBC_RESULT = re.compile(r"^Result - (.*)$", re.M)
_CBC_OBJ = re.compile(r"^Objective value:\s+(\S+)", re.M)
_CBC_BOUND = re.compile(r"^Lower bound:\s+(\S+)", re.M)
_CBC_GAP = re.compile(r"^Gap:\s+(\S+)", re.M)
_CBC_WALL = re.compile(r"Wallclock seconds\):\s+(\S+)")


#: CBC ignores its time limit while preprocessing and solving the root LP (minutes on big
#: models); the watchdog interrupts it (SIGINT: CBC stops and writes its best solution) this
#: long after the limit, then kills it.
CBC_GRACE_S = 10.0

_WATCHDOG = """
import signal, subprocess, sys
p = subprocess.Popen([{cbc!r}] + sys.argv[1:])
try:
    sys.exit(p.wait(timeout={limit!r}))
except subprocess.TimeoutExpired:
    p.send_signal(signal.SIGINT)
    try:
        sys.exit(p.wait(timeout={grace!r}))
    except subprocess.TimeoutExpired:
        p.kill()
        sys.exit(p.wait() or 1)
"""


def cbc_watchdog(work: str, limit_s: float) -> str:
    """An executable in ``work`` that runs PuLP's CBC but enforces the wall-clock limit."""
    path = os.path.join(work, "cbc_watchdog")
    grace = max(CBC_GRACE_S, 0.1 * limit_s)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"#!{sys.executable}\n")
        fh.write(
            _WATCHDOG.format(cbc=os.path.abspath(pulp_cbc_path), limit=limit_s + grace, grace=grace)
        )
    os.chmod(path, 0o755)
    return path


def _cbc(
    m: Model, cfg: SolverConfig, seed: int, start: dict, left: float, start_info: dict
) -> SolveResult:
    """CBC through PuLP (``start_info`` unused: CBC has no interrupt callback here)."""
    t = time.perf_counter()
    for v, x in start.items():
        v.setInitialValue(x, check=False)
    # PuLP's MPS writer drops the objective constant: carry it on a column fixed at 1
    obj_expr = m.prob.objective
    const = obj_expr.constant if obj_expr is not None else 0.0
    one = None
    if const:
        one = m.prob.add_variable("objective_offset", 1, 1)
        one.setInitialValue(1, check=False)
        obj_expr.constant = 0.0
        obj_expr[one] = const
    work = tempfile.mkdtemp(prefix="cbc_")
    log = os.path.join(work, "cbc.log")
    failed = None
    try:
        solver = pulp.COIN_CMD(
            path=cbc_watchdog(work, left),
            msg=False,
            gapRel=cfg.mip_gap,
            timeLimit=left,
            threads=cfg.threads if cfg.threads > 1 else None,
            warmStart=bool(start),
            logPath=log,
            options=[f"randomCbcSeed {int(seed) % 2_147_483_647}"],
        )
        try:
            m.prob.solve(solver)
        except pulp.PulpSolverError as e:  # killed by the watchdog, or crashed: no solution
            failed = str(e)
            m.prob.status, m.prob.sol_status = (
                pulp.LpStatusNotSolved,
                pulp.LpSolutionNoSolutionFound,
            )
        secs = time.perf_counter() - t
        text = ""
        if os.path.exists(log):
            with open(log, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if one is not None:
            del obj_expr[one]
            obj_expr.constant = const
            m.prob._variables.remove(one)
            m.prob._variable_ids.pop(one.hash, None)
    res = _CBC_RESULT.search(text)
    raw = res.group(1).strip() if res else pulp.LpStatus[m.prob.status]
    if failed is not None:
        raw = f"CBC stopped without a solution ({failed.strip()[:80]})"
    obj = pulp.value(m.prob.objective)
    obj = None if obj is None else obj / OBJ_SCALE
    bound = _num(_CBC_BOUND, text)
    bound = None if bound is None else bound / OBJ_SCALE
    gap = _num(_CBC_GAP, text)
    wall = _num(_CBC_WALL, text)
    if m.prob.status == pulp.LpStatusInfeasible or "infeasible" in raw.lower():
        status = "infeasible"
    elif m.prob.sol_status == pulp.LpSolutionOptimal or raw.lower().startswith("optimal"):
        status = "optimal"
    elif m.prob.sol_status == pulp.LpSolutionIntegerFeasible or (
        "stopped" in raw.lower() and obj is not None
    ):
        status = "time_limit_feasible"
    else:
        status = "no_solution"
    if bound is None and status == "optimal" and obj is not None:
        bound = obj  # CBC prints no bound line when it proves optimality
    if obj is not None and bound is not None:  # CBC prints its gap with 2 decimals only
        gap = max(0.0, obj - bound) / max(abs(obj), 1e-9)
    elif gap is None:
        gap = 0.0 if status == "optimal" else math.inf
    load = max(0.0, secs - wall) if wall is not None else 0.0
    return SolveResult(
        "cbc",
        status,
        float(obj) if obj is not None else math.nan,
        bound,
        gap,
        secs,
        load,
        seed,
        cfg.threads,
        cfg.time_limit_s,
        cfg.mip_gap,
        raw,
    )


def _num(rx: re.Pattern, text: str) -> float | None:
    found = rx.findall(text)
    if not found:
        return None
    try:
        return float(found[-1])
    except ValueError:
        return None


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
        from planner.optimize.cutset import add_cutset_rows

        t_cut = time.perf_counter()
        start_info.update(add_cutset_rows(m, cfg.threads))
        left = max(0.05 * cfg.time_limit_s, left - (time.perf_counter() - t_cut))
    offset = set_objective_offset(m, start_info)
    res = (_highs if cfg.name == "highs" else _cbc)(m, cfg, seed, start, left, start_info)
    res.start_info = start_info
    res.solve_seconds = time.perf_counter() - t
    res.objective += offset
    if res.best_bound is not None:
        res.best_bound += offset
    if res.solver_status == "infeasible":
        if m.objective_mode == "min-cost":
            raise InputError(
                Problem(
                    "<scenario>",
                    "min-cost: the demand cannot all be served within the unit caps, spare "
                    "pairs, wave slots and latency limits (got infeasible, expected a plan); "
                    "run with --objective max-served to see what cannot be carried",
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
    if res.solver_status == "no_solution":
        raise SolverError(
            f"{res.solver} found no plan within {cfg.time_limit_s:g} s ({res.raw_status}); "
            "raise solver.time_limit_s"
        )
    if cfg.name == "highs":  # lexicographic stage 3 (after CBC, PuLP left stale column
        # indices on this model that HiGHS refused to load: CBC plans keep the MIP's routing)
        from planner.optimize.objective import reroute_min_latency

        res.objective += reroute_min_latency(m, cfg.threads)
    return res
