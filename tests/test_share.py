"""Plans handed between two solves of one model while both search (planner.io.mailbox,
planner.solver.share; used by the min-cost race, planner.optimize.race).

What must hold: a reader sees each whole plan the other side posted once, only plans of its
own model and only cheaper ones; a HiGHS MIP takes a proposed plan (here: the optimum a MIP
stopped after one node would not find itself) and hands out each improving plan it finds.
"""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np
import pytest

from planner.io import mailbox
from planner.io.mailbox import Mailbox, columns_digest
from planner.solver.share import connect


@pytest.fixture
def no_wait(monkeypatch):
    monkeypatch.setattr(mailbox, "LOOK_EVERY_S", 0.0)


def pair(folder: Path) -> tuple[Mailbox, Mailbox]:
    return Mailbox(str(folder), "a", "b"), Mailbox(str(folder), "b", "a")


def test_a_post_is_taken_once_and_only_by_its_model_when_cheaper(tmp_path, no_wait) -> None:
    a, b = pair(tmp_path)
    d = columns_digest(["x", "y"])
    assert b.take(d) is None  # nothing posted yet
    a.post(d, 5.0, np.array([1.0, 2.0]))
    got = b.take(d)
    assert got is not None and got[0] == 5.0 and np.array_equal(got[1], [1.0, 2.0])
    assert b.take(d) is None  # the same post again: nothing new
    assert a.take(d) is None  # a side never reads its own posts
    a.post(d, 4.0, np.array([0.0, 2.0]))
    assert b.take(columns_digest(["y", "x"])) is None  # another model's (column order) plan
    a.post(d, 3.0, np.array([0.0, 1.0]))
    assert b.take(d, below=3.0) is None  # not cheaper than what the reader has
    a.post(d, 2.0, np.array([0.0, 0.5]))
    assert b.take(d, below=3.0)[0] == 2.0
    a.remove()
    assert not tmp_path.exists()
    a.post(d, 1.0, np.array([0.0, 0.0]))  # the run is over: a late post is dropped quietly
    assert b.take(d) is None


def test_a_post_of_another_model_does_not_hide_it_from_its_own(tmp_path, no_wait) -> None:
    # one reader asking for two models (e.g. a path stage, then an arc stage): the post is
    # the arc model's; asked for the path model first, it must still reach the arc model
    a, b = pair(tmp_path)
    arc, path = columns_digest(["f", "y"]), columns_digest(["g", "y"])
    a.post(arc, 5.0, np.array([1.0, 2.0]))
    assert b.take(path) is None
    got = b.take(arc)
    assert got is not None and got[0] == 5.0
    assert b.take(arc) is None and b.take(path) is None  # each model reads it once


def test_a_reader_looks_at_most_every_look_interval(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(mailbox, "LOOK_EVERY_S", 3600.0)
    a, b = pair(tmp_path)
    d = columns_digest(["x"])
    assert b.take(d) is None  # looked: nothing there
    a.post(d, 1.0, np.array([1.0]))
    assert b.take(d) is None  # too soon to look again
    monkeypatch.setattr(mailbox, "LOOK_EVERY_S", 0.0)
    assert b.take(d)[0] == 1.0


N = 12


def pick_five(**options) -> highspy.Highs:
    """Pick at most 5.5 of 12 equal items (as a min of -count): every set of five is optimal,
    so which plan HiGHS returns shows whose it is. Presolve off: it would solve this outright
    before any callback."""
    h = highspy.Highs()
    h.silent()
    for j in range(N):
        h.addVar(0, 1)
        h.changeColCost(j, -1.0)
        h.changeColIntegrality(j, highspy.HighsVarType.kInteger)
    h.addRow(-highspy.kHighsInf, 5.5, N, np.arange(N, dtype=np.int32), np.ones(N))
    h.setOptionValue("presolve", "off")
    return h


class Recorder:
    """A share that proposes ``plan`` and records what HiGHS hands out."""

    def __init__(self, plan: np.ndarray | None, usable: bool = True) -> None:
        self.plan, self.usable = plan, usable
        self.names: list[str] = []
        self.found: list[tuple[float, np.ndarray]] = []
        self.asked = 0

    def bind(self, names: list[str]) -> bool:
        self.names = names
        return self.usable

    def improved(self, objective: float, x: np.ndarray) -> None:
        self.found.append((objective, x))

    def offer(self, primal_bound: float) -> np.ndarray | None:
        self.asked += 1
        return self.plan


def test_highs_takes_a_proposed_plan_and_hands_out_its_own() -> None:
    names = [f"x{j}" for j in range(N)]
    alone, s = pick_five(), Recorder(None)
    connect(alone, s, names)
    alone.run()
    own = np.round(alone.getSolution().col_value)
    assert alone.getInfo().objective_function_value == -5.0 and s.names == names
    assert s.found and s.found[-1][0] == -5.0 and np.allclose(s.found[-1][1], own)  # handed out
    proposed = np.zeros(N)
    proposed[np.flatnonzero(own < 0.5)[:5]] = 1.0  # five items HiGHS did not pick
    helped, s = pick_five(), Recorder(proposed)
    connect(helped, s, names)
    helped.run()
    assert s.asked > 0 and helped.getInfo().objective_function_value == -5.0
    assert np.allclose(helped.getSolution().col_value, proposed)  # the proposal is the plan
    unused, s = pick_five(), Recorder(proposed, usable=False)
    connect(unused, s, names)
    unused.run()
    assert s.asked == 0 and not s.found  # a share that does not bind is never asked
    assert np.allclose(unused.getSolution().col_value, own)
