"""Min-cost ``auto``: the arc model alone on the second core, beside path-then-arc.

Why: which of the two formulations gets to a proven plan first depends on the network, and
``auto`` can only split one core's time between them. Measured at 60 s (2 cores, HiGHS
1.15.1): on SNDlib's sun the arc model alone proves 800.44 in 50 s (its root after cuts is
777.3 where the path model's is 752.9), while the path stage's 30 s end at 831.9 and the arc
stage started from it ends at 804.53 (2.9 % gap); on a 20-site grid it is the other way round
(arc alone 792.4 at 15.3 %, the path model 737.6). HiGHS's MIP search runs on one core ("1
max workers"), so the second core, idle during the solve, runs the arc model from nothing for
the whole time limit while this process runs path-then-arc as before. The run then keeps the
cheaper plan and the higher bound (both models are the same problem: the arc stage runs only
where that holds, :func:`planner.optimize.auto.arc_stage_reason`); a proof on either side ends
the other. While both search the arc model, the second core hands this side its improving
plans (:class:`PlanExchange`): this side's arc stage starts from the newest where it is the
cheapest start, and its MIP takes the later ones as user solutions. Measured on the shipped
min-cost case at 600 s: the arc stage started from the second core's 871.2M instead of the
path plan's 927.7M, and the run ended at 863.0-863.3M instead of 863.8M. One way only: the
second core's search then stays the arc model's alone, so the run's plan is never worse
than the arc model's alone on the same machine (what target 5 of issue 14 compares); with
this side's plans taken there too, its bound moved by 0.03-0.43M (855.21-855.61M against
855.18M) in two runs, no more than a busy hour moves it.

Like any time-limited solve, which side wins a close race depends on the machine; a plan
proven optimal is the same either way up to ties. ``DCI_PLANNER_HELPER=0`` (the helper
switch), one core or ``solver.threads: 1`` (batch runs side by side, one core each): no race,
the run is path-then-arc alone.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np
import pandas as pd

from planner import helper as helpers
from planner.config import Scenario
from planner.io.mailbox import Mailbox, columns_digest, new_folder
from planner.optimize import auto
from planner.optimize.build import build
from planner.optimize.extract import column_values
from planner.optimize.model import EXTERNAL_STOP, PLAN_SHARE, Model
from planner.optimize.sets import index_sets
from planner.optimize.solve import SolveResult, gap_to, raise_bound, regap, solve
from planner.optimize.starts import start_is_feasible
from planner.optimize.starts.lumpy import ARC_FOLLOWS
from planner.solver.guard import grace_s
from planner.tables import Inputs

log = logging.getLogger(__name__)

#: No race below this many seconds left: the helper's start-up (~1-2 s of imports) would eat
#: a large share, and short runs are mostly small models one stage proves.
MIN_SECONDS = 10.0


class PlanExchange:
    """One side's end of the race's mailboxes (:class:`~planner.solver.share.Share`): posts
    this side's improving plans (``gives``), takes the other side's newer, cheaper ones
    (``takes``)."""

    def __init__(self, box: Mailbox, *, gives: bool, takes: bool) -> None:
        self.box = box
        self.gives, self.takes = gives, takes
        self.digest = ""
        self.posted = math.inf
        #: plans taken from the other side (proposed to a MIP or judged as a start)
        self.taken = 0

    def bind(self, names: list[str]) -> bool:
        self.digest = columns_digest(names)
        return self.gives or self.takes

    def improved(self, objective: float, x: np.ndarray) -> None:
        if self.gives and objective < self.posted:
            self.posted = objective
            self.box.post(self.digest, objective, x)

    def offer(self, primal_bound: float) -> np.ndarray | None:
        got = self.box.take(self.digest, below=primal_bound) if self.takes else None
        self.taken += got is not None
        return None if got is None else got[1]

    def latest(self, names: list[str]) -> np.ndarray | None:
        """The other side's newest plan of the model with columns ``names`` (a start)."""
        self.bind(names)
        return self.offer(math.inf)


def arc_alone(
    inputs: Inputs,
    demand: pd.DataFrame,
    scenario: Scenario,
    objective: str | None,
    until: float,
    folder: str | None = None,
) -> dict[str, Any]:
    """The arc model solved from nothing (the helper's job) until ``until`` (``time.time()``,
    the clock both processes share: the job's wait for the helper's imports and its model
    build count): numbers and column values. ``folder``: the race's mailboxes."""
    sets = index_sets(inputs, demand, scenario, paths=False)
    m = build(sets, scenario, formulation="arc", objective=objective)
    m.meta[ARC_FOLLOWS] = True  # a pure MIP: the waves-relaxed search runs in the arc stage
    if folder is not None:
        box = Mailbox(folder, "second_core", "this_core")
        m.meta[PLAN_SHARE] = PlanExchange(box, gives=True, takes=False)
    limit_s = until - time.time()
    if limit_s < 1.0:
        return {"solver_status": "failed"}
    cfg = scenario.solver.model_copy(update={"time_limit_s": limit_s, "threads": 1})
    res = solve(m, cfg, scenario.seed)
    return {
        "objective": res.objective,
        "best_bound": res.best_bound,
        "solver_status": res.solver_status,
        "offset": res.start_info.get("objective_offset_usd") or 0.0,
        "names": [v.name for v in m.columns],
        "x": column_values(m),
    }


class ArcRace:
    """The helper running :func:`arc_alone`, and what it answered."""

    def __init__(self, helper: helpers.Helper) -> None:
        self.helper = helper
        #: the plans both sides share, from :meth:`start` on
        self.exchange: PlanExchange | None = None
        self.waiting = None
        self.answer: dict | None = None
        self.fired = False
        self.until = self.grace_s = 0.0

    def start(self, inputs, demand, scenario, objective, limit_s: float) -> bool:
        """Queue the job for the next ``limit_s`` seconds; False (helper ended) when it
        could not be sent."""
        self.until = time.time() + limit_s
        self.grace_s = grace_s(limit_s)
        try:
            box = Mailbox(new_folder(), "this_core", "second_core")
            self.exchange = PlanExchange(box, gives=False, takes=True)
        except OSError as e:  # no temp folder: the race without shared plans
            log.info("arc race: plans not shared (%s)", e)
        folder = None if self.exchange is None else self.exchange.box.folder
        job = (inputs, demand, scenario, objective, self.until, folder)
        self.waiting = self.helper.queue(arc_alone, *job)
        if self.waiting is None:
            self.close()
        return self.waiting is not None

    def attach(self, m: Model) -> None:
        """The arc stage's model ``m``: stopped by the other side's proof, sharing plans."""
        m.meta[EXTERNAL_STOP] = self
        if self.exchange is not None:
            m.meta[PLAN_SHARE] = self.exchange

    def close(self) -> None:
        """The helper ended and the mailboxes removed (the run is over)."""
        self.helper.kill()
        if self.exchange is not None:
            self.exchange.box.remove()

    def proven(self) -> bool:
        """The helper answered with a proven plan (asked by the MIPs here, cheaply)."""
        if self.answer is None and self.waiting is not None and self.helper.answered():
            self._collect()
        return self.answer is not None and self.answer["solver_status"] == "optimal"

    def __call__(self, primal: float, dual: float) -> bool:
        """The stop rule of this process's MIPs: the other side has proven its plan."""
        self.fired = self.fired or self.proven()
        return self.fired

    def _collect(self) -> None:
        try:
            self.answer = self.waiting()
        except Exception as e:  # noqa: BLE001 (the helper's failure is never the run's)
            log.info("arc race: no answer from the helper (%s)", str(e).splitlines()[:1])
            self.answer = {"solver_status": "failed"}
        self.waiting = None
        self.helper.kill()

    def finish(self, m: Model, res: SolveResult, mip_gap: float, proven_here: bool) -> None:
        """Wait for the answer unless this side proved its plan; keep the cheaper plan (its
        values into ``m``, the arc model) and the higher bound. ``res`` is updated."""
        if proven_here and self.answer is None:
            self.helper.kill()
            res.start_info["arc_race"] = "not needed: the plan here was proven first"
            return
        if self.answer is None and self.waiting is not None:
            # HiGHS keeps its limit on these sizes; the grace is for a busy machine
            while not self.helper.answered() and time.time() < self.until + self.grace_s:
                self.helper.conn.poll(0.5)
            if self.helper.answered():
                self._collect()
            else:
                self.helper.kill()
                self.answer = {"solver_status": "failed"}
        res.start_info["arc_race_plans_taken"] = getattr(self.exchange, "taken", None)
        adopt(m, res, self.answer or {"solver_status": "failed"}, mip_gap)


def adopt(m: Model, res: SolveResult, alt: dict, mip_gap: float) -> None:
    """The other side's plan where cheaper (and the same columns, and feasible here), its
    bound where higher; the gap and status from the two."""
    info = res.start_info
    if alt.get("solver_status") in (None, "failed", "no_solution"):
        info["arc_race"] = "no plan from the second core"
        return
    info["arc_race_objective_usd"] = alt["objective"]
    info["arc_race_status"] = alt["solver_status"]
    offset = info.get("objective_offset_usd") or 0.0
    names = [v.name for v in m.columns]
    tol = 1e-9 * max(abs(res.objective), 1.0)
    took = False
    if alt["objective"] < res.objective - tol and alt["names"] == names:
        x = np.asarray(alt["x"], dtype=float)
        if start_is_feasible(m, dict(zip(m.columns, x, strict=True)), tol=1e-5):
            for v, val in zip(m.columns, x, strict=True):
                v.varValue = float(val)
            res.objective = float(alt["objective"]) - float(alt["offset"]) + offset
            res.raw_status += " (the arc model alone on the second core found a cheaper plan)"
            took = True
    info["arc_race"] = "plan from the second core" if took else "plan from this core"
    choice = info.get("formulation_choice") or "auto"
    info["formulation_choice"] = (
        f"{choice}; beside it the arc model alone on the second core "
        f"(objective {alt['objective']:,.6g}, {alt['solver_status']}): {info['arc_race']} kept"
    )
    bound = alt.get("best_bound")
    if bound is not None and math.isfinite(bound):  # kept where this side's is higher
        raise_bound(res, float(bound) - float(alt["offset"]) + offset, offset, info, "arc_race")
    if res.best_bound is not None:  # this side's bound, past a cheaper plan taken: tolerance
        res.best_bound = min(res.best_bound, res.objective)
    regap(res, offset, mip_gap, " (within the MIP gap of the bound of both sides)")
    ap = info.get("all_paths_bound_usd")
    if ap is not None:
        info["all_paths_gap"] = gap_to(res, ap, offset)


def begin(
    inputs: Inputs, demand: pd.DataFrame, scenario: Scenario, objective: str | None, eligible: bool
) -> ArcRace | None:
    """The race, started now, before this process builds its path model (the arc stage's
    conditions decided on the index sets alone, :func:`planner.optimize.auto.arc_reason`), so
    the second core has the whole time limit. None: no race: not min-cost ``auto`` or no
    arc stage, one core, the helper switched off, too little time, or one solver thread, as
    a Dask batch gives each run where it has as many runs as cores."""
    t = time.time()
    mode = objective or scenario.objective
    if not eligible or mode != "min-cost" or not helpers.wanted():
        return None
    cfg = scenario.solver
    if cfg.name != "highs" or cfg.time_limit_s < MIN_SECONDS or cfg.threads < 2:
        return None  # threads: a batch of runs on one machine gives each a core of its own
    if auto.arc_reason(mode, index_sets(inputs, demand, scenario, paths=False), False):
        return None
    r = ArcRace(helpers.Helper(warm=("planner.optimize",)))
    left = cfg.time_limit_s - (time.time() - t)
    return r if r.start(inputs, demand, scenario, objective, left) else None
