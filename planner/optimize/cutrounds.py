"""Cut-set separation rounds on the LP relaxation, before branching (issue 14).

Why a module of its own: :mod:`planner.optimize.cutset` says which inequalities are valid and
how one is separated; this is the loop that uses them on a live LP: separate at the LP
optimum, add the rows, re-solve warm, until a round stops paying, the rounds or the work run
out. Families join cheapest first: single corridors and single sites, then two-site cuts,
then connected node sets grown at the LP point (:mod:`planner.optimize.nodesets`). Bounded by
simplex work, not seconds (:mod:`planner.optimize.work`), so the same inputs give the same
rows on a busy machine. The binding rows go into the MIP as family ``cutset``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pulp

from planner.optimize.costcuts import BUDGET_BINDS, budget_share, separate_costs
from planner.optimize.cutset import (
    CutFamily,
    PathIndex,
    add_cut_rows,
    base_inequalities,
    merge_terms,
    path_index,
    separate,
    separate_paths,
)
from planner.optimize.model import OBJ_SCALE, Model
from planner.optimize.nodesets import GrownSets
from planner.optimize.starts.trim import round_lp_optimum
from planner.optimize.work import WorkMeter
from planner.solver.highs import INF, Session

#: separation rounds (LP, cuts, warm re-solve) at most
ROUNDS = 8
#: stop when a round lifts the LP bound by less than this share of the lift so far
MIN_GAIN = 1e-4
#: a round on grown node sets must lift the LP by this share of its value, else its rows go
#: and the rounds end. Why: on networks where they lift little the extra rows slow the MIP
#: (measured at 60 s: SNDlib nobel-us, +0.045 %, proven optimal in 40 s without them, 0.40 %
#: gap at the limit with them; the shipped min-cost, +0.05 %, a plan 3.9 % dearer), where
#: germany50's first rounds lift +0.85 % and +0.33 % and its MIP gains from them. Max-served
#: LPs still carry the penalty of demand no plan can serve here (the offset is taken out after
#: the cuts), so the bar is stricter there (the base scenario keeps no grown row)
GROWN_MIN_LIFT = 1e-3
#: a cut whose LP slack is within this share of its right-hand side is kept (binding)
TIGHT = 1e-6
#: nominal seconds of simplex work for all rounds (see :mod:`planner.optimize.work`) on a
#: model of up to SIZE_REF rows + columns; more on larger ones, at most TIME_SHARE of the limit
WORK_SECONDS = 10.0
SIZE_REF = 50_000
TIME_SHARE = 0.15
#: the cut rows' nonzeros at most this share of the model's (memory of the MIP), or MIN_NNZ
MAX_NNZ_SHARE, MIN_NNZ = 0.25, 200_000


def work_seconds(size: int, time_limit_s: float | None) -> float:
    """Nominal seconds of simplex work for the separation, scaled to the model.

    Why: a fixed 10 s separated nothing on Cogentco (all pairs, 529k rows + columns: its LP
    alone needs more). The work of a warm re-solve grows with the model, so the budget does
    too (:data:`WORK_SECONDS` per :data:`SIZE_REF` rows + columns), capped at
    :data:`TIME_SHARE` of the time limit so the MIP keeps most of it.
    """
    scaled = WORK_SECONDS * max(1.0, size / SIZE_REF)
    if time_limit_s is None:
        return scaled
    return max(WORK_SECONDS, min(scaled, TIME_SHARE * time_limit_s))


class _LP:
    """The model's LP relaxation on one HiGHS instance, iteration-limited, rows added warm."""

    def __init__(self, m: Model, threads: int, time_limit_s: float | None = None) -> None:
        self.lp = Session.from_pulp(m.prob, threads=threads, parallel="off")
        self.pos = np.array([v.index for v in m.columns], dtype=np.int64)
        self.n_base = len(m.prob.constraints())
        size = self.n_base + len(m.columns)
        self.work = WorkMeter(work_seconds(size, time_limit_s), size)
        #: every model column's objective coefficient as the solver sees it (cost cut-sets)
        self.cost = np.asarray(self.lp.h.getLp().col_cost_, dtype=float)[self.pos]
        basis = m.meta.pop("lp_relaxation_basis", None)  # the start's LP optimum: no re-solve
        h = self.lp.h
        if basis is not None and (len(basis.col_status), len(basis.row_status)) == (
            h.getNumCol(),
            h.getNumRow(),
        ):
            self.lp.set_basis(basis)

    def run(self) -> np.ndarray | None:
        """Model column values of the LP optimum, or None (out of work, trouble)."""
        if self.work.exhausted or not self.work.run(self.lp):
            return None
        return self.lp.col_values()[self.pos]

    def objective(self) -> float:
        return self.lp.objective

    def add(self, cuts: list[tuple[np.ndarray, np.ndarray, float]]) -> bool:
        if not add_cut_rows(self.lp, self.pos, cuts):
            return False
        self.work.size += len(cuts)
        return True


def by_efficacy(cuts: list, x: np.ndarray) -> list:
    """Cuts by violation at ``x`` over their norm, most effective first (ties: as given):
    what the nonzero cap keeps when a round separates more than it allows."""
    eff = [(rhs - a @ x[c]) / max(float(np.linalg.norm(a)), 1e-12) for c, a, rhs in cuts]
    return [cuts[i] for i in np.argsort(-np.asarray(eff), kind="stable")]


class _Phases:
    """The families a round separates, cheapest first: (0) single corridors and sites, (1) and
    two-site cuts, (2) and node sets grown at the round's LP point."""

    GROWN = 2
    #: the last phase (tests set 1: no grown sets)
    LAST = GROWN

    def __init__(
        self, m: Model, fam: CutFamily, pidx: PathIndex | None, u: float, cost: np.ndarray
    ) -> None:
        self.m, self.fam, self.pidx, self.u, self.phase = m, fam, pidx, u, 0
        #: objective coefficients for the cost cut-sets; None: the budget binds, none of them
        self.cost = cost
        self.narrow = fam.rows[fam.rows["r"].isin(fam.names.loc[fam.names["kind"] != "sites", "r"])]
        self.grown: GrownSets | None = None
        self.grown_cuts = self.last_grown = 0

    def cuts(self, x: np.ndarray) -> list:
        """This phase's violated cuts at ``x``; on to the next phase while there are none."""
        while True:
            rows = self.narrow if self.phase == 0 else None
            cuts = separate(self.fam, x, self.u, rows)
            if self.cost is not None:
                cuts += separate_costs(self.fam, x, self.u, self.cost, rows)
            if self.pidx is not None:
                cuts += separate_paths(self.fam, self.pidx, x, self.u)
            if self.phase >= self.GROWN:
                if self.grown is None:
                    self.grown = GrownSets(self.m, self.fam)
                more = self.grown.family(x)
                found = [] if more is None else separate(more, x, self.u)
                self.last_grown = len(found)
                self.grown_cuts += len(found)
                cuts += found
            if cuts or self.phase == self.LAST:
                return cuts
            self.phase += 1


def _rounds(m: Model, fam: CutFamily, pidx: PathIndex | None, lp: _LP, x: np.ndarray) -> dict:
    """Separation rounds from the LP point ``x``. Returns ``kept`` (the cuts of every round
    re-solved to optimality: the bound ``after`` is that LP's), ``act`` (their activities
    there), ``x`` (that optimum, all columns), ``before`` / ``after``, ``rounds`` and
    ``grown`` (cuts on grown node sets in the rounds kept).

    Cheapest families first (:class:`_Phases`): on a large model the work budget may allow a
    few rounds only; the next family joins when a round stops paying. The cuts' nonzeros are
    capped at :data:`MAX_NNZ_SHARE` of the model's, most effective cuts first (every kept row
    goes into the MIP and its memory: 4,299 rows on Cogentco took the peak from 2.6 to 3.7 GB).
    """
    out = {"kept": [], "act": None, "x": lp.lp.col_values().copy(), "rounds": 0}
    out["before"] = out["after"] = lp.objective()
    room = max(MIN_NNZ, MAX_NNZ_SHARE * lp.lp.h.getNumNz())
    binds = budget_share(m, lp.lp) >= BUDGET_BINDS
    ph = _Phases(m, fam, pidx, m.scenario.max_utilization, None if binds else lp.cost)
    for _ in range(ROUNDS):
        back = {**out, "kept": list(out["kept"])}
        cuts = by_efficacy([merge_terms(*c) for c in ph.cuts(x)], x)
        size = np.cumsum([len(c) for c, _, _ in cuts])
        cuts = cuts[: int(np.searchsorted(size, room, side="right"))]
        if not cuts or not lp.add(cuts):
            break
        room -= sum(len(c) for c, _, _ in cuts)
        x = lp.run()
        if x is None:  # out of work: this round's rows were never evaluated, they go
            break
        out["kept"] += cuts
        out["rounds"] += 1
        out["act"] = lp.lp.row_values()[lp.n_base : lp.n_base + len(out["kept"])]
        out["x"] = lp.lp.col_values().copy()
        now = lp.objective()
        gain, out["after"] = now - out["after"], now
        if ph.phase >= ph.GROWN and gain < GROWN_MIN_LIFT * abs(out["before"]):
            out.update(back)  # rows that do not pay cost the MIP time: not kept
            ph.grown_cuts -= ph.last_grown
            break
        if gain <= MIN_GAIN * max(1.0, abs(now - out["before"])):
            if ph.phase == ph.LAST:
                break
            ph.phase += 1
    out["grown"] = ph.grown_cuts
    return out


def add_cutset_rows(
    m: Model, threads: int = 1, time_limit_s: float | None = None, start: dict | None = None
) -> dict:
    """Separate cut-set MIR cuts from the LP relaxation and add them to ``m.prob`` as rows
    of family ``cutset``. Returns info: cuts, rounds, LP bound before and after (USD).
    ``time_limit_s``: the solve's limit, which caps the separation's work (:func:`work_seconds`).
    ``start``: the MIP start, replaced in place by the last LP optimum rounded up when that
    is cheaper (:func:`~planner.optimize.starts.trim.round_lp_optimum`).
    """
    info: dict = {"cutset_rows": 0, "cutset_rounds": 0}
    if m.meta.get("cutset_added") or not len(m.sets.upgrades) + len(m.sets.builds):
        return info
    m.meta["cutset_added"] = True
    fam = base_inequalities(m)
    pidx = path_index(m) if m.formulation == "path" else None
    if not len(fam.rows) and pidx is None:
        return info
    lp = _LP(m, threads, time_limit_s)
    x = lp.run()
    if x is None:
        return info
    got = _rounds(m, fam, pidx, lp, x)
    kept = got["kept"]
    info["cutset_rounds"] = got["rounds"]
    info["cutset_grown_cuts"] = got["grown"]
    info["cutset_work_share"] = round(lp.work.share, 6)
    if start and m.objective_mode == "max-served":
        info.update(round_lp_optimum(m, lp.lp, start, threads, got["x"]))
    info["cutset_lp_bound_before_usd"] = got["before"] / OBJ_SCALE
    info["cutset_lp_bound_after_usd"] = got["after"] / OBJ_SCALE
    if kept:  # keep the binding ones: same LP bound, a lighter MIP
        rhs = np.array([r for _, _, r in kept])
        tight = got["act"] - rhs <= TIGHT * (1.0 + np.abs(rhs))
        info["cutset_rows_separated"] = len(kept)
        kept = [c for c, t in zip(kept, tight, strict=True) if t]
    if kept:
        row = np.concatenate([np.full(len(c), i) for i, (c, _, _) in enumerate(kept)])
        m.add_rows(
            "cutset",
            pd.DataFrame({"cut": np.arange(len(kept))}),
            row,
            np.concatenate([c for c, _, _ in kept]),
            np.concatenate([a for _, a, _ in kept]),
            pulp.LpConstraintGE,
            np.array([rhs for _, _, rhs in kept]),
            merge_duplicates=True,
        )
        info["cutset_rows"] = len(kept)
    return info


def relax_cutset_rows(m: Model, lp: Session) -> None:
    """Free the cut rows in an LP loaded from ``m.prob`` (marginal values).

    Why: marginal values are documented as duals of the model's own LP around the plan; a
    cut changes what half a wave is worth there (it says whole waves), so it stays out.
    """
    idx = lp.row_index(m.family("cutset"))
    lp.set_row_bounds(idx, np.full(len(idx), -INF), np.full(len(idx), INF))
