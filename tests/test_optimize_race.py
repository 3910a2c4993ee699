"""The arc model alone on the second core beside ``auto``'s path-then-arc (planner.optimize.
race), on trap12 (tests/data/sndlib/trap12.txt: optimum 16; the path model alone pays 50).

What must hold: the cheaper plan of the two sides is the one reported, with the columns and
plan the arc model of this process has (the helper builds the same model in another process);
a plan from the other side that is not a plan of this model is not taken; the higher bound
is kept and the status follows from plan and bound; no race where it cannot pay off; the
helper never outlives the run.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pulp
import pytest

from planner import helper as helpers
from planner.io import mailbox
from planner.io.mailbox import Mailbox, columns_digest
from planner.optimize import auto, benders, build, plan, race
from planner.optimize.extract import column_values
from planner.optimize.model import OBJ_SCALE, PLAN_SHARE
from planner.optimize.sets import index_sets
from planner.optimize.solve import SolveResult
from planner.optimize.starts import shared_start
from planner.optimize.starts.previous import previous_plan_start
from tests.test_optimize_auto import TRAP12_OPT, TRAP12_PATH_MODEL, trap12


def result(objective: float, bound: float | None, status: str = "time_limit_feasible"):
    gap = math.inf if bound is None else (objective - bound) / objective
    return SolveResult("highs", status, objective, bound, gap, 0.0, 0.0, 0, 1, 60.0, 1e-4, "-")


def arc_model(tmp_path: Path):
    inp, dem, sc = trap12(tmp_path)
    m = build(index_sets(inp, dem, sc, paths=False), sc, formulation="arc")
    return inp, dem, sc, m


def start_only(m, cfg, seed, start_upgrades=None):
    """An arc stage that finds nothing better than the path plan it starts from."""
    x, _ = previous_plan_start(m, start_upgrades, 10.0)
    for v in m.prob.variables():
        v.varValue = x.get(v, 0.0)
    return result(float(pulp.value(m.prob.objective)) / OBJ_SCALE, None)


@pytest.fixture
def racing(monkeypatch):
    """A race on any machine (a 1-core runner too) and for the tests' short limits."""
    monkeypatch.setattr(helpers, "wanted", lambda: True)
    monkeypatch.setattr(race, "MIN_SECONDS", 0.0)
    started: list[race.ArcRace] = []
    begin = race.begin

    def spy(*a):
        r = begin(*a)
        started.extend([r] if r is not None else [])
        return r

    monkeypatch.setattr(race, "begin", spy)
    return started


def test_the_second_cores_cheaper_plan_is_the_plan(tmp_path: Path, monkeypatch, racing) -> None:
    # this core: the path model without its Benders master (50), then an arc stage that keeps
    # its start; the helper, another process, solves the arc model alone and proves 16
    monkeypatch.setattr(benders, "ROUNDS", 0)
    monkeypatch.setattr(auto, "solve", start_only)
    inp, dem, sc = trap12(tmp_path)
    p = plan(inp, dem, sc, marginals=False)
    s = p.summary
    assert s["path_stage_objective_usd"] >= TRAP12_PATH_MODEL
    assert s["arc_race"] == "plan from the second core"
    assert s["capex_usd_total"] == pytest.approx(TRAP12_OPT)
    assert float(p.upgrades["capex_usd"].sum()) == pytest.approx(TRAP12_OPT)
    assert s["solver_status"] == "optimal" and s["bound_source"] == "arc_race"
    assert s["best_bound"] <= s["objective"] and s["mip_gap"] <= sc.solver.mip_gap
    assert "arc model alone on the second core" in s["formulation_choice"]
    assert len(racing) == 1 and racing[0].helper.proc.poll() is not None  # ended
    assert not Path(racing[0].exchange.box.folder).exists()  # and its mailboxes removed


def test_the_race_runs_without_shared_plans_when_no_temp_folder_can_be_made(
    tmp_path: Path, monkeypatch, racing
) -> None:
    def no_folder() -> str:
        raise PermissionError("read-only temp")

    monkeypatch.setattr(race, "new_folder", no_folder)
    monkeypatch.setattr(benders, "ROUNDS", 0)
    monkeypatch.setattr(auto, "solve", start_only)
    inp, dem, sc = trap12(tmp_path)
    s = plan(inp, dem, sc, marginals=False).summary
    assert s["arc_race"] == "plan from the second core"
    assert s["capex_usd_total"] == pytest.approx(TRAP12_OPT)
    assert racing[0].exchange is None and s.get("arc_race_plans_taken") is None


def test_no_race_needed_when_this_core_proves_first(tmp_path: Path, racing) -> None:
    inp, dem, sc = trap12(tmp_path)
    s = plan(inp, dem, sc, marginals=False).summary
    assert s["capex_usd_total"] == pytest.approx(TRAP12_OPT) and s["solver_status"] == "optimal"
    assert s["arc_race"] in ("not needed: the plan here was proven first", "plan from this core")
    assert len(racing) == 1 and racing[0].helper.proc.poll() is not None
    assert not Path(racing[0].exchange.box.folder).exists()


def test_no_race_for_max_served_one_core_short_runs_or_other_formulations(
    tmp_path: Path, monkeypatch
) -> None:
    inp, dem, sc = trap12(tmp_path)
    monkeypatch.setattr(helpers, "wanted", lambda: True)
    long = sc.model_copy(update={"solver": sc.solver.model_copy(update={"time_limit_s": 60})})
    assert race.begin(inp, dem, long, "max-served", True) is None
    assert race.begin(inp, dem, long, None, False) is None  # not auto, or a hook's rows
    short = long.model_copy(update={"solver": long.solver.model_copy(update={"time_limit_s": 5})})
    assert race.begin(inp, dem, short, None, True) is None
    one = long.model_copy(update={"solver": long.solver.model_copy(update={"threads": 1})})
    assert race.begin(inp, dem, one, None, True) is None  # a batch run beside others: a core each
    lat = {c: 1e-3 for c in long.latency_ms_max}
    tight = long.model_copy(update={"latency_ms_max": lat})
    assert race.begin(inp, dem, tight, None, True) is None  # latency can bind: no arc stage
    monkeypatch.setattr(helpers, "wanted", lambda: False)  # one core, or switched off
    assert race.begin(inp, dem, long, None, True) is None
    monkeypatch.setattr(helpers, "wanted", lambda: True)
    r = race.begin(inp, dem, long, None, True)
    try:
        assert isinstance(r, race.ArcRace)
        folder = Path(r.exchange.box.folder)
        assert folder.is_dir()
    finally:
        r.close()
    assert r.helper.proc.poll() is not None and not folder.exists()  # nothing left behind


def test_adopt_takes_a_cheaper_plan_of_this_model_and_the_higher_bound(tmp_path: Path) -> None:
    inp, dem, sc, m = arc_model(tmp_path)
    alt = race.arc_alone(inp, dem, sc, None, time.time() + 30.0)  # in this process: the same model
    assert alt["solver_status"] == "optimal" and alt["objective"] >= TRAP12_OPT
    assert alt["names"] == [v.name for v in m.columns]
    res = result(TRAP12_PATH_MODEL, 10.0)
    res.start_info = {"all_paths_bound_usd": 12.0}
    race.adopt(m, res, alt, 1e-4)
    assert res.objective == pytest.approx(alt["objective"])
    assert np.allclose(column_values(m), alt["x"])
    assert res.best_bound == pytest.approx(min(alt["best_bound"], alt["objective"]))
    assert res.start_info["bound_source"] == "arc_race" and res.solver_status == "optimal"
    assert res.start_info["all_paths_gap"] == pytest.approx((res.objective - 12.0) / res.objective)


def test_adopt_refuses_other_columns_an_infeasible_plan_and_no_plan(tmp_path: Path) -> None:
    inp, dem, sc, m = arc_model(tmp_path)
    alt = race.arc_alone(inp, dem, sc, None, time.time() + 30.0)
    renamed = {**alt, "names": list(reversed(alt["names"]))}
    nothing = {**alt, "x": np.zeros_like(alt["x"])}  # serves no demand: not a plan here
    for other in (renamed, nothing):
        res = result(TRAP12_PATH_MODEL, None)
        race.adopt(m, res, other, 1e-4)
        assert res.objective == TRAP12_PATH_MODEL and res.start_info["arc_race"] == (
            "plan from this core"
        )
        assert res.best_bound == pytest.approx(alt["best_bound"])  # a bound still holds
        assert res.solver_status == "time_limit_feasible"
    res = result(TRAP12_PATH_MODEL, 10.0)
    race.adopt(m, res, {"solver_status": "failed"}, 1e-4)
    assert res.objective == TRAP12_PATH_MODEL and res.best_bound == 10.0
    assert res.start_info["arc_race"] == "no plan from the second core"


def test_the_other_sides_plans_reach_this_sides_start(tmp_path: Path, monkeypatch) -> None:
    # the second core's job, run here on the race's mailboxes: its MIP hands out its plans
    monkeypatch.setattr(mailbox, "LOOK_EVERY_S", 0.0)
    inp, dem, sc, m = arc_model(tmp_path)
    folder = tmp_path / "race"
    folder.mkdir()
    alt = race.arc_alone(inp, dem, sc, None, time.time() + 30.0, str(folder))
    here = race.PlanExchange(
        Mailbox(str(folder), "this_core", "second_core"), gives=False, takes=True
    )
    m.meta[PLAN_SHARE] = here
    info: dict = {}
    start, usd = shared_start(m, info)
    assert start and info["race_other_side_start_objective"] == usd
    # its last plan: the answer's, up to the latency tie-break re-routed after the MIP
    assert TRAP12_OPT - 1e-6 <= usd <= alt["objective"] * (1 + 1e-3)
    assert shared_start(m, {}) == ({}, math.inf)  # taken once
    other = Mailbox(str(folder), "second_core", "this_core")
    names = [v.name for v in m.prob.variables()]
    other.post(columns_digest(names), 0.0, np.zeros(len(names)))  # serves nothing: no plan
    info = {}
    assert shared_start(m, info) == ({}, math.inf)
    assert info["race_other_side_start"] == "not feasible here"
    # one way: this side posts nothing, the second core takes nothing
    here.improved(-1.0, np.zeros(len(names)))
    assert sorted(p.name for p in folder.iterdir()) == ["second_core"]
    Mailbox(str(folder), "this_core", "-").post(columns_digest(names), -1.0, np.zeros(len(names)))
    there = race.PlanExchange(other, gives=True, takes=False)
    assert there.bind(names) and there.offer(math.inf) is None and there.taken == 0


class Answered:
    """A helper stand-in that has answered (``answer``) or not (None)."""

    def __init__(self, answer: dict | None) -> None:
        self.answer, self.killed = answer, 0

    def answered(self) -> bool:
        return self.answer is not None

    def kill(self) -> None:
        self.killed += 1


def test_the_stop_rule_fires_on_a_proof_only() -> None:
    for status, fires in (("optimal", True), ("time_limit_feasible", False)):
        h = Answered({"solver_status": status})
        r = race.ArcRace(h)
        r.waiting = lambda h=h: h.answer
        assert r(1.0, 0.0) is fires and r.fired is fires and h.killed == 1
    h = Answered(None)
    r = race.ArcRace(h)
    r.waiting = lambda: pytest.fail("asked before the helper answered")
    assert r(1.0, 0.0) is False and h.killed == 0
