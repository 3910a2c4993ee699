"""The helper process (planner.helper): jobs run there, and everything is the same without it.

What must hold: a job's result comes back from the other process; a job that fails there,
or a helper that died, is run in this process instead (and a real error is raised here); a
plan and its report are the same, byte for byte (but for timings), with and without a helper.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import pandas as pd
import pytest

from planner import pipeline
from planner.helper import ENV_SWITCH, Helper, aside, wanted
from planner.optimize import plan
from tests.builders import demand, scenario
from tests.test_optimize_linkbound import _case as linked_case  # X ($30 a wave) or N1 ($100)

READY_S = 60.0  # a loaded CI machine may take seconds to import


@pytest.fixture
def helper():
    h = Helper()
    assert h.ready(READY_S)
    yield h
    h.close()


def test_a_job_runs_in_the_helper_process(helper: Helper) -> None:
    assert aside(helper, os.getpid)() == helper.proc.pid != os.getpid()
    assert helper.done == 1
    assert aside(helper, statistics.fmean, [1.0, 2.0, 4.5])() == pytest.approx(2.5)
    assert helper.done == 2


def test_a_job_that_fails_there_is_run_here_and_raises_here(helper: Helper) -> None:
    with pytest.raises(statistics.StatisticsError):
        aside(helper, statistics.fmean, [])()
    assert helper.done == 0
    assert helper.ready()  # the helper lives on: the next job runs there
    assert aside(helper, os.getpid)() == helper.proc.pid


def test_a_dead_or_busy_helper_means_here(helper: Helper) -> None:
    busy = helper.submit(os.getpid)
    assert busy is not None and not helper.ready()
    assert aside(helper, os.getpid)() == os.getpid()  # busy: here
    assert busy() == helper.proc.pid
    helper.proc.kill()
    helper.proc.wait()
    assert aside(helper, os.getpid)() == os.getpid()  # dead: here
    assert not helper.ready()


def test_close_ends_the_process() -> None:
    h = Helper(("planner.report.render",))
    h.close()  # also while it is still importing
    assert h.proc.poll() is not None


def test_switched_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_SWITCH, "0")
    assert not wanted()


def _same_but_timings(a: dict, b: dict) -> None:
    keys = {k for k in a | b if not k.endswith("_seconds")}
    assert {k: a.get(k) for k in keys} == {k: b.get(k) for k in keys}


def test_linked_bound_from_the_helper_is_the_same(tmp_path: Path, helper: Helper) -> None:
    """Budget $40 binds at the LP optimum, so the linked bound goes beside the build: the
    helper computes it, and the plan and every number but timings are as without it."""
    inp = linked_case(tmp_path)
    dem = demand([("A", "B", 2030, 120.0)])
    kw = dict(formulation="path", marginals=False)
    here = plan(inp, dem, scenario(budget=40.0), **kw)
    there = plan(inp, dem, scenario(budget=40.0), helper=helper, **kw)
    assert helper.done == 1
    assert there.summary["build_link_bound_usd"] > there.summary["all_paths_lp_bound_usd"]
    _same_but_timings(here.summary, there.summary)
    pd.testing.assert_frame_equal(here.upgrades, there.upgrades)
    pd.testing.assert_frame_equal(here.routing, there.routing)


@pytest.mark.slow
def test_a_run_with_a_helper_writes_the_same_files(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tiny network, once without and once with a helper (the size floor lowered): the
    same plan tables, summary (but timings) and PNG figures, byte for byte."""
    sc = tiny_dir / "scenarios" / "base.yaml"
    monkeypatch.setenv(ENV_SWITCH, "0")
    pipeline.run(tiny_dir, sc, tmp_path / "a", log=lambda _line: None)
    monkeypatch.setenv(ENV_SWITCH, "1")
    monkeypatch.setattr(pipeline, "HELPER_MIN_PAIR_YEARS", 0)
    made: list[Helper] = []
    real = pipeline.Helper

    def spy(*a):
        h = real(*a)
        assert h.ready(READY_S)  # so the report goes there
        made.append(h)
        return h

    monkeypatch.setattr(pipeline, "Helper", spy)
    pipeline.run(tiny_dir, sc, tmp_path / "b", log=lambda _line: None)
    assert len(made) == 1 and made[0].done >= 1  # the PNGs came from there
    assert made[0].proc.poll() is not None  # and it was closed
    a, b = tmp_path / "a", tmp_path / "b"
    pngs = sorted(p.name for p in a.glob("*.png"))
    assert pngs and pngs == sorted(p.name for p in b.glob("*.png"))
    for name in [*pngs, "upgrades.csv", "routing.csv", "capacity.csv", "unserved.csv"]:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    _same_but_timings(*(json.loads((d / "summary.json").read_text()) for d in (a, b)))


def test_a_job_that_cannot_be_pickled_runs_here(helper: Helper) -> None:
    assert aside(helper, len, [lambda: 0])() == 1  # a lambda does not pickle: here
    assert helper.ready() and helper.done == 0  # and the helper is still there for the next
    assert aside(helper, os.getpid)() == helper.proc.pid


def test_planner_optimize_starts_and_ends_a_helper(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`planner optimize` starts one for a run big enough (the floor lowered here), hands it
    to the plan, and ends it; the plan is the one written without it."""
    from click.testing import CliRunner

    from planner.cli import main

    monkeypatch.setattr(pipeline, "HELPER_MIN_PAIR_YEARS", 0)
    made: list[Helper] = []
    real = pipeline.Helper
    monkeypatch.setattr(pipeline, "Helper", lambda *a: made.append(real(*a)) or made[-1])
    sc = str(tiny_dir / "scenarios" / "base.yaml")
    args = ["optimize", "--inputs", str(tiny_dir), "--scenario", sc, "--no-marginals"]
    r = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "with")])
    assert r.exit_code == 0, r.output
    assert len(made) == 1 and made[0].proc.poll() is not None
    monkeypatch.setenv(ENV_SWITCH, "0")
    r = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "without")])
    assert r.exit_code == 0 and len(made) == 1, r.output
    for name in ("upgrades.csv", "routing.csv", "unserved.csv"):
        assert (tmp_path / "with" / name).read_bytes() == (tmp_path / "without" / name).read_bytes()


def test_a_queued_job_waits_for_the_start_up_and_kill_ends_it() -> None:
    h = Helper()  # not waited for: the job waits in its stdin while it imports
    waiting = h.queue(os.getpid)
    assert waiting is not None and h.queue(os.getpid) is None  # one job at a time
    deadline = READY_S
    while not h.answered() and deadline > 0:
        h.conn.poll(0.1)
        deadline -= 0.1
    assert h.answered() and waiting() == h.proc.pid
    slow = Helper()
    assert slow.queue(time.sleep, 60.0) is not None
    slow.kill()
    assert slow.proc.poll() is not None and slow.answered()  # dead: nothing to wait for
    slow.kill()  # twice: no error
    h.close()
