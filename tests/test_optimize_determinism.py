"""Same inputs and seed, same plan, however slow the machine (issue 14, target 7).

The heuristics are bounded by simplex work, not seconds; here every clock the planner's
optimiser modules read runs 5 s per call (what a busy machine looks like to a wall-clock
budget), and the plan tables must come out byte-identical to a normal run.
"""

from __future__ import annotations

import importlib
import time

import pytest

from planner.config import SolverConfig
from planner.optimize import plan
from tests.builders import random_case, scenario


class SlowClock:
    """A ``time`` module whose ``perf_counter`` advances 5 s per call."""

    def __init__(self) -> None:
        self.now = time.perf_counter()

    def perf_counter(self) -> float:
        self.now += 5.0
        return self.now


def _tables(p) -> dict[str, str]:
    return {k: getattr(p, k).to_csv(index=False) for k in ("upgrades", "routing", "unserved")} | {
        "start": repr(p.summary.get("heuristic_objective"))
    }


@pytest.mark.parametrize(("seed", "cuts"), [(7, False), (11, False), (7, True)])
def test_plan_is_identical_with_a_slow_clock(monkeypatch, seed, cuts):
    inp, dem = random_case(seed, 14, 3)
    # a 5 % gap: the solver stops on the first plan close enough, so the start matters
    cfg = SolverConfig(time_limit_s=60, mip_gap=0.05, cuts=cuts)
    sc = scenario(years=3, budget=1000.0, solver=cfg)
    normal = plan(inp, dem, sc, marginals=False)
    assert normal.summary["heuristic_used"] != "none"
    for name in ("build", "sets", "solve", "starts", "starts.greedy", "starts.rounding"):
        mod = importlib.import_module(f"planner.optimize.{name}")
        monkeypatch.setattr(mod, "time", SlowClock())
    slow = plan(inp, dem, sc, marginals=False)
    assert slow.summary["solver_status"] == normal.summary["solver_status"] != "time_limit_feasible"
    assert _tables(slow) == _tables(normal)
