"""HiGHS: one-call model load, one warm LP/MIP session, one thread policy, status mapping.

Why one module: every HiGHS user in the planner (the MIP, the rounding start, the marginal
LPs, survivability's LP rounds and its check) needs the same four things, and each copy used
to get one of them slightly differently.

* :func:`to_highs` passes a whole PuLP problem in one ``passModel`` call (PuLP's own loader
  calls ``addCol`` / ``addRow`` once per column and row).
* :class:`Session` keeps one HiGHS model alive: change column bounds, row bounds (a budget's
  right-hand side), add rows or columns, then :meth:`Session.run` re-solves from the last
  basis. That is the build-once / re-solve-warm loop survivability rounds and budget sweeps
  need. ``mip=True`` sessions solve the integer model, warm from the incumbent.
* :func:`use_threads` is the one thread policy (see its docstring); every session calls it.
* :func:`planner_status` maps HiGHS's model status to the plan contract's statuses.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import highspy
import numpy as np
import pulp
import scipy.sparse as sp

from planner.errors import SolverError
from planner.solver.outcome import MipOutcome
from planner.solver.share import Share, connect

INF = highspy.kHighsInf
OPTIMAL = highspy.HighsModelStatus.kOptimal
INFEASIBLE = highspy.HighsModelStatus.kInfeasible
ITERATION_LIMIT = highspy.HighsModelStatus.kIterationLimit
#: What ``solver_raw_status`` says when the served-gap rule stopped the search: HiGHS itself
#: calls it "Interrupted by user", which reads like a person pressed Ctrl-C.
SERVED_GAP_RAW = "Served gap reached (planner's served-gap rule interrupted HiGHS)"

_SCHEDULER_THREADS: list[int] = []


def use_threads(threads: int) -> None:
    """Reset HiGHS's process-wide scheduler when the thread count changes between solves.

    Why: the first HiGHS ``run()`` in a process fixes its global scheduler to that instance's
    thread count; a later instance asking for another count returns "Not Set" (no plan). Solves
    with the same count (e.g. every run of a sweep worker) never reset, so concurrent solves in
    one process are not disturbed. The one thread policy: every HiGHS instance is made by
    :class:`Session` (or the MIP loader) with an explicit count, announced here first.
    """
    if _SCHEDULER_THREADS and _SCHEDULER_THREADS[0] != int(threads):
        highspy.Highs.resetGlobalScheduler(True)
    _SCHEDULER_THREADS[:] = [int(threads)]


def reset_threads() -> None:
    """Forget the scheduler's size (tests that need a fresh process-wide scheduler)."""
    highspy.Highs.resetGlobalScheduler(True)
    _SCHEDULER_THREADS.clear()


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


def sparse_lp(
    cost: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    start: np.ndarray,
    index: np.ndarray,
    value: np.ndarray,
    *,
    rowwise: bool = False,
) -> highspy.HighsLp:
    """A ``HighsLp`` from arrays (column-wise CSC unless ``rowwise``)."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(cost), len(row_lower)
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.asarray(col_lower, dtype=float)
    lp.col_upper_ = np.asarray(col_upper, dtype=float)
    lp.row_lower_ = np.asarray(row_lower, dtype=float)
    lp.row_upper_ = np.asarray(row_upper, dtype=float)
    fmt = highspy.MatrixFormat
    lp.a_matrix_.format_ = fmt.kRowwise if rowwise else fmt.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    lp.a_matrix_.start_ = np.asarray(start, dtype=np.int32 if not rowwise else np.int64)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(value, dtype=float)
    return lp


def to_highs(prob: pulp.LpProblem, h: highspy.Highs, *, mip: bool = True) -> list[pulp.LpVariable]:
    """Pass a PuLP problem to HiGHS in one call; sets ``var.index`` / ``constraint.index``.

    Returns the variables in HiGHS column order.
    """
    lp, variables = pulp_lp(prob, mip=mip)
    pass_model(h, lp, prob.name)
    return variables


def pulp_lp(
    prob: pulp.LpProblem, *, mip: bool = True
) -> tuple[highspy.HighsLp, list[pulp.LpVariable]]:
    """A PuLP problem as one ``HighsLp`` and its variables in column order (sets
    ``var.index`` / ``constraint.index``)."""
    variables = prob.variables()
    for i, v in enumerate(variables):
        v.index = i
    obj = prob.objective or {}
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
        lower[i] = -INF if lb is None else lb
        upper[i] = INF if ub is None else ub
    lp = sparse_lp(
        np.array([obj.get(v, 0.0) for v in variables], dtype=float),
        np.array([-INF if v.lowBound is None else v.lowBound for v in variables], dtype=float),
        np.array([INF if v.upBound is None else v.upBound for v in variables], dtype=float),
        lower,
        upper,
        starts,
        np.array(index, dtype=np.int32),
        np.array(value, dtype=float),
        rowwise=True,
    )
    if mip:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger
            if v.cat == pulp.LpInteger
            else highspy.HighsVarType.kContinuous
            for v in variables
        ]
    if prob.objective is not None:
        lp.offset_ = float(prob.objective.constant)
    return lp, variables


def new_highs(threads: int = 1, seed: int = 0, **options: object) -> highspy.Highs:
    """A quiet HiGHS instance under the thread policy, seeded; extra options as given."""
    use_threads(threads)
    h = highspy.Highs()
    opts: dict[str, object] = {"output_flag": False, "threads": int(threads)}
    opts["random_seed"] = int(seed) % 2_147_483_647
    opts.update(options)
    for k, v in opts.items():
        h.setOptionValue(k, v)
    return h


class Session:
    """One HiGHS model kept alive: edit bounds, right-hand sides, rows; re-solve warm.

    Why: the rounding start fixes integer bounds hundreds of times, the marginal LPs fix then
    free them, survivability adds cut rows round after round, a sweep moves the budget row's
    right-hand side; each edit keeps the basis, so the next :meth:`run` starts from the last
    optimum (for a MIP, ``from_pulp(..., mip=True)``, the incumbent is offered as the next
    search's start: adding rows and changing a right-hand side then re-solving is
    ``add_row(...)`` / ``set_rhs(...)`` then ``run()``). Column and row numbers are HiGHS's
    (for a PuLP problem: ``var.index`` / ``constraint.index`` set by :func:`to_highs`).
    """

    def __init__(self, threads: int = 1, seed: int = 0, **options: object) -> None:
        self.h = new_highs(threads, seed, **options)
        self.threads = int(threads)
        self.variables: list[pulp.LpVariable] = []

    @classmethod
    def from_pulp(
        cls, prob: pulp.LpProblem, *, mip: bool = False, threads: int = 1, seed: int = 0, **opt
    ) -> Session:
        """A session on a PuLP problem (its LP relaxation unless ``mip``)."""
        s = cls(threads, seed, **opt)
        s.variables = to_highs(prob, s.h, mip=mip)
        return s

    @classmethod
    def from_lp(cls, lp: highspy.HighsLp, what: str, *, threads: int = 1, **opt) -> Session:
        """A session on an array-built model (see :func:`sparse_lp`)."""
        s = cls(threads, **opt)
        pass_model(s.h, lp, what)
        return s

    # ---- edits (all keep the basis) --------------------------------------------------
    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        if len(cols):
            self.h.changeColsBounds(
                len(cols), np.asarray(cols, np.int32), np.asarray(lower, float), upper
            )

    def set_row_bounds(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        if len(rows):
            rows = np.asarray(rows, np.int32)
            self.h.changeRowsBounds(
                len(rows), rows, np.asarray(lower, float), np.asarray(upper, float)
            )

    def row_bounds(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lp = self.h.getLp()
        rows = np.asarray(rows, np.int64)
        return np.asarray(lp.row_lower_)[rows], np.asarray(lp.row_upper_)[rows]

    def set_rhs(self, rows: np.ndarray, upper: np.ndarray) -> None:
        """New right-hand sides of ``<=`` rows (lower bounds kept): a budget, a capacity."""
        lower, _ = self.row_bounds(rows)
        self.set_row_bounds(rows, lower, upper)

    def matrix(self) -> tuple[sp.csr_matrix, dict[str, np.ndarray]]:
        """The live constraint matrix (``scipy.sparse`` CSR) and the model's arrays (``cost,
        col_lower, col_upper, row_lower, row_upper``): to split or copy a model."""
        lp = self.h.getLp()
        a = lp.a_matrix_
        kind = sp.csr_matrix if a.format_ == highspy.MatrixFormat.kRowwise else sp.csc_matrix
        data = (np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_))
        arrays = {
            "cost": np.asarray(lp.col_cost_),
            "col_lower": np.asarray(lp.col_lower_),
            "col_upper": np.asarray(lp.col_upper_),
            "row_lower": np.asarray(lp.row_lower_),
            "row_upper": np.asarray(lp.row_upper_),
        }
        return sp.csr_matrix(kind(data, shape=(lp.num_row_, lp.num_col_))), arrays

    def set_costs(self, cost: np.ndarray) -> None:
        """A new objective (one cost per column): a later stage of a lexicographic solve."""
        cost = np.asarray(cost, float)
        self.h.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)

    def add_row(self, lower: float, upper: float, cols: np.ndarray, values: np.ndarray) -> int:
        """Append one row; returns its number."""
        cols = np.asarray(cols, np.int32)
        self.h.addRow(lower, upper, len(cols), cols, np.asarray(values, float))
        return self.h.getNumRow() - 1

    def add_pulp_rows(self, constraints: Sequence[pulp.LpConstraint]) -> None:
        """Append PuLP ``>=`` constraints built after loading (survivability's cuts)."""
        for con in constraints:
            idx = np.array([v.index for v in con], dtype=np.int32)
            self.add_row(-con.constant, INF, idx, np.array(list(con.values()), dtype=float))

    def add_rows(
        self, lower: np.ndarray, upper: np.ndarray, starts, index: np.ndarray, value: np.ndarray
    ) -> bool:
        """Append rows given row-wise (``starts`` into ``index`` / ``value``); False if HiGHS
        refused them (e.g. a repeated column in a row)."""
        n = len(lower)
        st = self.h.addRows(
            n,
            np.asarray(lower, float),
            np.asarray(upper, float),
            len(index),
            np.asarray(starts, np.int32),
            np.asarray(index, np.int32),
            np.asarray(value, float),
        )
        return st != highspy.HighsStatus.kError

    def add_empty_rows(self, lower: np.ndarray, upper: np.ndarray) -> None:
        empty = np.array([], np.int32)
        self.add_rows(lower, upper, np.zeros(len(lower), np.int32), empty, empty.astype(float))

    def add_cols(
        self, cost, lower, upper, starts: np.ndarray, index: np.ndarray, value: np.ndarray
    ) -> None:
        n = len(cost)
        self.h.addCols(
            n,
            np.asarray(cost, float),
            np.asarray(lower, float),
            np.asarray(upper, float),
            len(index),
            np.asarray(starts, np.int32),
            np.asarray(index, np.int32),
            np.asarray(value, float),
        )

    def set_integer(self, cols: np.ndarray, integer: bool = True) -> None:
        """Make columns ``cols`` integer (an array-built model, e.g. a sub-MIP), or
        continuous (``integer=False``: a relaxation of some of a MIP's columns)."""
        cols = np.asarray(cols, np.int32)
        kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
        if len(cols):
            self.h.changeColsIntegrality(len(cols), cols, np.full(len(cols), kind))

    def presolved_size(self) -> int:
        """Rows + columns of the model after HiGHS's presolve (0 if presolve solved it)."""
        self.h.presolve()
        lp = self.h.getPresolvedLp()
        return int(lp.num_row_ + lp.num_col_)

    def row_index(self, constraints: Sequence[pulp.LpConstraint]) -> np.ndarray:
        """HiGHS row numbers of PuLP constraints loaded by :meth:`from_pulp`."""
        return np.array([c.index for c in constraints], dtype=np.int32)

    def col_index(self, variables: Sequence[pulp.LpVariable]) -> np.ndarray:
        return np.array([v.index for v in variables], dtype=np.int64)

    # ---- solving ---------------------------------------------------------------------
    def run(
        self,
        time_limit_s: float | None = None,
        *,
        retry: bool = True,
        iteration_limit: int | None = None,
    ) -> bool:
        """Re-solve from the current basis; True when optimal.

        ``time_limit_s`` is this run's own allowance (HiGHS checks its limit against each
        run's own clock: measured on highspy 1.15, ``getRunTime`` accumulates but a run stops
        after the limit of its own). ``iteration_limit`` bounds the simplex by work instead
        (heuristics: the same result on a busy machine); a run that stops on it is not
        retried. ``retry``: after
        numerical trouble (a status neither optimal nor infeasible, e.g. after many warm
        starts) or a scheduler sized by someone else ("Not Set"), solve once more from scratch.
        """
        if time_limit_s is not None:
            self.h.setOptionValue("time_limit", float(time_limit_s))
        if iteration_limit is not None:
            self.h.setOptionValue("simplex_iteration_limit", int(iteration_limit))
        if self.mip and self.has_solution():  # the incumbent is the next search's start
            x = self.col_values()
            self.h.setSolution(len(x), np.arange(len(x), dtype=np.int32), x)
        use_threads(self.threads)
        self.h.run()
        st = self.h.getModelStatus()
        if retry and st not in (OPTIMAL, INFEASIBLE, ITERATION_LIMIT):
            if st == highspy.HighsModelStatus.kNotset:
                reset_threads()
                use_threads(self.threads)
            self.h.clearSolver()
            self.h.run()
        return self.optimal

    @property
    def mip(self) -> bool:
        """Does the loaded model have integer columns (then :meth:`run` solves the MIP)?"""
        lp = self.h.getLp()
        return any(t == highspy.HighsVarType.kInteger for t in (lp.integrality_ or []))

    def has_solution(self) -> bool:
        return self.h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible

    @property
    def optimal(self) -> bool:
        return self.h.getModelStatus() == OPTIMAL

    def status_text(self) -> str:
        return self.h.modelStatusToString(self.h.getModelStatus())

    @property
    def objective(self) -> float:
        return float(self.h.getInfo().objective_function_value)

    @property
    def iterations(self) -> int:
        return max(0, int(self.h.getInfo().simplex_iteration_count))

    def col_values(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().col_value)

    def row_values(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().row_value)

    def row_duals(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().row_dual)

    def basis(self) -> object:
        return self.h.getBasis()

    def set_basis(self, basis: object) -> None:
        """Restart from ``basis``; columns added since then enter it as nonbasic at 0."""
        n_cols = self.h.getNumCol()
        cols = list(basis.col_status)
        if len(cols) < n_cols:
            cols += [highspy.HighsBasisStatus.kLower] * (n_cols - len(cols))
            basis.col_status = cols
        self.h.setBasis(basis)


# ---- MIP --------------------------------------------------------------------------------


def planner_status(st: highspy.HighsModelStatus, stopped: bool, has_solution: bool) -> str:
    """HiGHS model status -> the plan contract's ``solver_status``."""
    if st == OPTIMAL:
        return "optimal"
    if stopped and has_solution:
        return "served_gap_reached"
    if st in (INFEASIBLE, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return "infeasible"
    return "time_limit_feasible" if has_solution else "no_solution"


class BulkHiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface with a one-call model load, a warm start, load timing and an
    optional stop rule ``stop(primal_bound, dual_bound) -> bool`` (solver units) checked
    whenever HiGHS offers to be interrupted, and an optional :class:`~planner.solver.share.
    Share` that sees its improving plans and may propose its own."""

    def __init__(self, *args, start: dict | None = None, stop=None, share=None, **kw) -> None:
        super().__init__(*args, **kw)
        self.start = start
        self.stop = stop
        self.share = share
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
        if self.share is not None:
            connect(lp.solverModel, self.share, [v.name for v in variables])
        if self.timeLimit is not None:  # the limit covers the load too, not just run()
            left = max(0.05 * self.timeLimit, self.timeLimit - self.load_seconds)
            lp.solverModel.setOptionValue("time_limit", float(left))


def solve_mip(
    prob: pulp.LpProblem,
    *,
    mip_gap: float,
    threads: int,
    time_limit_s: float,
    seed: int,
    start: dict,
    stop: Callable[[float, float], bool] | None = None,
    obj_scale: float = 1.0,
    share: Share | None = None,
) -> MipOutcome:
    """Solve a PuLP MIP with HiGHS from ``start``; values land in the variables' ``varValue``.

    ``stop(primal, dual)`` (solver units): the served-gap rule, asked at every interrupt point.
    ``share``: plans handed to and taken from a MIP of the same model elsewhere.
    Big models go to :func:`planner.solver.guard.solve_guarded` instead (same contract, in
    a child process that is ended if HiGHS overruns its limit).
    """
    use_threads(threads)
    solver = BulkHiGHS(
        msg=False,
        gapRel=mip_gap,
        threads=threads,
        timeLimit=time_limit_s,
        start=start,
        stop=stop,
        share=share,
        random_seed=int(seed) % 2_147_483_647,
    )
    prob.solve(solver)
    is_mip = any(v.cat == pulp.LpInteger for v in prob.variables())
    return mip_outcome(prob.solverModel, solver.stopped, obj_scale, is_mip, solver.load_seconds)


def mip_outcome(
    h: highspy.Highs, stopped: bool, obj_scale: float, is_mip: bool = True, load_s: float = 0.0
) -> MipOutcome:
    """What a finished run says, in the plan contract's terms: HiGHS's own status (not
    PuLP's), objective, a bound (None if HiGHS has none) and gap; the answer is checked."""
    st = h.getModelStatus()
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    status = planner_status(st, stopped, has_sol)
    raw = SERVED_GAP_RAW if status == "served_gap_reached" else h.modelStatusToString(st)
    if has_sol:
        check_solution_objective(h, obj_scale)
    obj = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if is_mip else obj
    gap = float(info.mip_gap) if is_mip else 0.0
    if not np.isfinite(gap) or gap < 0:
        gap = 0.0 if status == "optimal" else float("inf")
    return MipOutcome(status, raw, obj, bound if np.isfinite(bound) else None, gap, load_s)


def check_solution_objective(h: highspy.Highs, scale: float = 1.0) -> None:
    """Raise if the columns HiGHS returns do not give the objective it reports.

    Why: highspy 1.16.0 returned the MIP start's columns with the optimum's objective when
    presolve solved a small model outright; the plan tables (built from the columns) then
    bought capacity the reported objective did not pay for. pyproject.toml keeps it below
    1.16; this guard turns any such mismatch into an error instead of a wrong plan.
    ``scale``: solver units per USD, for the message.
    """
    lp = h.getLp()
    x = np.asarray(h.getSolution().col_value, dtype=float)
    terms = np.asarray(lp.col_cost_, dtype=float) * x
    got = float(terms.sum() + lp.offset_)
    said = float(h.getInfo().objective_function_value)
    # same columns: equal to rounding, which is relative to the terms summed, not to their
    # sum (measured: an objective offset of -1.19e7 against a sum of 1.54 left 3.2e-9 of
    # cancellation, and a tolerance of 1e-9 x (1 + 1.54) refused a right plan)
    scale_of_terms = 1.0 + abs(said) + abs(float(lp.offset_)) + float(np.abs(terms).sum())
    if abs(got - said) > 1e-9 * scale_of_terms:
        raise SolverError(
            f"HiGHS {h.version()} returned a "
            f"solution costing {got / scale:,.2f} USD but reports {said / scale:,.2f} USD; "
            "refusing a plan that may be wrong: install highspy<1.16 (see pyproject.toml)"
        )


# ---- warm MIP rounds on a live session (survivability rounds, budget chains) -------------


def run_mip(
    s: Session,
    *,
    mip_gap: float,
    time_limit_s: float,
    start: np.ndarray | None = None,
    stop: Callable[[float, float], bool] | None = None,
    obj_scale: float = 1.0,
    on_solution: Callable[[np.ndarray], None] | None = None,
    is_mip: bool = True,
) -> MipOutcome:
    """Re-solve the live MIP of ``s`` (warm from ``start``, else its incumbent) with a stop rule.

    Why next to :func:`solve_mip`: a budget chain or a survivability round edits the live
    model (a right-hand side, new rows) and solves again; the outcome must say the same things
    (HiGHS's own status and bound, served-gap stop) as a one-shot solve. ``start``: full
    column values offered as the MIP start (HiGHS drops it if infeasible). ``on_solution(x)``
    sees every improving solution (original columns) before ``stop`` is next asked, so a stop
    rule can look at the incumbent itself, not only at its objective.
    """
    h = s.h
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    x = s.col_values() if start is None and s.has_solution() else start
    if x is not None:
        x = np.asarray(x, dtype=float)
        h.setSolution(len(x), np.arange(len(x), dtype=np.int32), x)
    fired: list[bool] = []

    def interrupt(e) -> None:
        # the flag is set either way: highspy keeps ``data_in`` between runs, and a flag
        # left True by the last round's stop would interrupt this run at once
        fire = fired or stop(e.data_out.mip_primal_bound, e.data_out.mip_dual_bound)
        if fire and not fired:
            fired.append(True)
        e.data_in.user_interrupt = bool(fire)

    def improving(e) -> None:
        on_solution(np.asarray(e.data_out.mip_solution, dtype=float))

    if stop is not None:
        h.cbMipInterrupt.subscribe(interrupt)
    if on_solution is not None:
        h.cbMipImprovingSolution.subscribe(improving)
    try:
        # HiGHS applies time_limit to each run() (measured: three 2 s runs of one instance
        # each stop at 2 s while getRunTime() grows 0 -> 2 -> 4), so the allowance is plain
        h.setOptionValue("time_limit", float(time_limit_s))
        use_threads(s.threads)
        h.run()
    finally:
        if stop is not None:
            h.cbMipInterrupt.unsubscribe(interrupt)
        if on_solution is not None:
            h.cbMipImprovingSolution.unsubscribe(improving)
    return mip_outcome(h, bool(fired), obj_scale, is_mip)
