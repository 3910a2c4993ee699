"""The guarded MIP (a HiGHS solve in a child process the planner ends if HiGHS overruns).

HiGHS 1.15 has phases without a clock check (measured: central rounding on Cogentco ran
10-17 minutes past a 300 s limit). Here: the child gives the same answer as a solve in the
process, a child that never stops is ended and its last plan and bound are kept, and a child
that fails or dies says so instead of hanging or passing off nothing as a plan.
"""

from __future__ import annotations

import functools
import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pulp
import pytest

from planner.config import SolverConfig
from planner.errors import SolverError
from planner.optimize import plan
from planner.optimize.solve import ServedGapStop
from planner.solver import guard
from planner.solver.highs import solve_mip
from tests.builders import random_case, scenario


def knapsack() -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """min -(5a + 4b + 3c) s.t. 2a + 3b + c <= 5, a, b, c integer in [0, 1]: optimum -9
    (a = c = 1 and a = b = 1 both give 9; b = c = 1 gives 7)."""
    prob = pulp.LpProblem("knap", pulp.LpMinimize)
    x = [prob.add_variable(n, 0, 1, cat="Integer") for n in "abc"]
    prob += -5 * x[0] - 4 * x[1] - 3 * x[2]
    prob += 2 * x[0] + 3 * x[1] + x[2] <= 5
    return prob, x


def knapsacks(n: int = 40, m: int = 8) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """A random multi-knapsack that HiGHS's presolve does not solve: the search runs and
    asks its interrupt callback."""
    rng = np.random.default_rng(3)
    w, p = rng.integers(10, 60, (m, n)), rng.integers(10, 80, n)
    prob = pulp.LpProblem("mkp", pulp.LpMinimize)
    x = [prob.add_variable(f"x{i}", 0, 1, cat="Integer") for i in range(n)]
    prob += pulp.lpSum(-int(p[i]) * x[i] for i in range(n))
    for r in range(m):
        prob += pulp.lpSum(int(w[r, i]) * x[i] for i in range(n)) <= int(w[r].sum() // 3)
    return prob, x


def guarded(prob, target: str = "run", limit: float = 30.0, start=None, stop=None):
    """``solve_guarded`` as the tests call it; ``target``: a function of this module, or
    ``run`` for the real child."""
    name = (
        "planner.solver.guard:run_job" if target == "run" else f"tests.test_solver_guard:{target}"
    )
    return guard.solve_guarded(
        prob, mip_gap=0, threads=1, time_limit_s=limit, seed=0, start=start or {}, stop=stop,
        target=name,
    )  # fmt: skip


def test_guarded_solve_matches_the_solve_in_the_process():
    prob, x = knapsack()
    here = solve_mip(prob, mip_gap=0, threads=1, time_limit_s=30, seed=0, start={})
    values = [v.varValue for v in x]
    for v in x:
        v.varValue = None
    child = guarded(prob)
    assert child.status == here.status == "optimal"
    assert child.objective == pytest.approx(-9.0)
    assert child.objective == here.objective and child.best_bound == here.best_bound
    assert [v.varValue for v in x] == values


def test_the_start_and_a_picklable_stop_rule_reach_the_child():
    """A stop rule that holds at the first finite bound: the child stops where the solve in
    the process stops (served_gap_reached, same plan), not at the optimum (-861)."""
    stop = ServedGapStop(1.0, 1.0, 0.0, 0.0, 0.0, served_gap=1.0)  # any plan is close enough
    outs = []
    for solve in (solve_mip, guard.solve_guarded):
        prob, x = knapsacks()
        kw = dict(mip_gap=0, threads=1, time_limit_s=30, seed=0, start={x[0]: 1.0})
        outs.append((solve(prob, **kw, stop=stop), [v.varValue for v in x]))
    (here, xh), (child, xc) = outs
    assert child.status == here.status == "served_gap_reached"
    assert child.objective == here.objective > -861 and xc == xh


def never_stops(conn, job) -> None:
    """A child that reports the start, a bound, then hangs (as HiGHS in central rounding)."""
    conn.send(("solution", job.start))
    conn.send(("bound", -10.0))
    time.sleep(600)


def never_starts(conn, job) -> None:
    os._exit(3)


def dies(conn, job) -> None:
    conn.send(("started",))
    os._exit(3)


def fails(conn, job) -> None:
    conn.send(("error", "RuntimeError: HiGHS broke"))


def test_a_child_that_overruns_is_ended_and_its_last_plan_kept(monkeypatch):
    monkeypatch.setattr(guard, "grace_s", lambda limit: 1.0)
    prob, x = knapsack()
    start = {x[0]: 1.0, x[1]: 0.0, x[2]: 0.0}  # objective -5
    t = time.perf_counter()
    out = guarded(prob, "never_stops", limit=1.0, start=start)
    assert time.perf_counter() - t < 60  # ended, not waited for (it sleeps 600 s)
    assert out.status == "time_limit_feasible"
    assert "the planner ended it" in out.raw_status
    assert out.objective == -5.0 and out.best_bound == -10.0
    assert out.mip_gap == pytest.approx(1.0)  # (-5 - -10) / 5
    assert [v.varValue for v in x] == [1.0, 0.0, 0.0]


def test_a_child_that_dies_or_fails_is_reported():
    """Died while solving: no plan, and the exit code said; failed: the error raised."""
    prob, _ = knapsack()
    out = guarded(prob, "dies")
    assert out.status == "no_solution" and "exit code 3" in out.raw_status
    with pytest.raises(SolverError, match="HiGHS broke"):
        guarded(prob, "fails")


def test_a_guarded_plan_equals_the_plan_solved_in_the_process(monkeypatch):
    """The whole pipeline with every MIP guarded: the same plan tables and bound."""
    inp, dem = random_case(7, 12, 2)
    sc = scenario(years=2, budget=1000.0, solver=SolverConfig(time_limit_s=60, mip_gap=0.02))
    here = plan(inp, dem, sc, marginals=False)
    solve_module = importlib.import_module("planner.optimize.solve")
    calls: list[int] = []

    def counted(*a, **kw):
        calls.append(1)
        return guard.solve_guarded(*a, **kw)

    monkeypatch.setattr(solve_module, "solve_guarded", counted)
    monkeypatch.setattr(guard, "GUARD_MIN_COLUMNS", 0)
    child = plan(inp, dem, sc, marginals=False)
    assert calls == [1]
    for k in ("upgrades", "routing", "unserved"):
        assert getattr(child, k).to_csv(index=False) == getattr(here, k).to_csv(index=False)
    for k in ("solver_status", "objective", "best_bound"):
        assert child.summary[k] == here.summary[k]


def test_no_child_no_guard():
    """A child that never got going (e.g. planner not importable in it): the MIP is solved
    in the process as without the guard, not given up."""
    prob, _ = knapsack()
    out = guarded(prob, "never_starts")
    assert out.status == "optimal" and out.objective == pytest.approx(-9.0)


def test_the_guard_is_for_big_models():
    assert guard.guard_applies(guard.GUARD_MIN_COLUMNS)
    assert not guard.guard_applies(guard.GUARD_MIN_COLUMNS - 1)


def test_an_ended_child_without_a_plan_has_none():
    seen = guard._Seen()
    out = guard._ended_outcome(seen, np.zeros(2), 0.0, "ended")
    assert out.status == "no_solution" and out.best_bound is None


SCRIPT = """
import sys
sys.path[:0] = {path!r}
from tests.test_solver_guard import knapsack
from planner.solver import guard
with open({log!r}, "a") as f:
    f.write("ran\\n")
prob, x = knapsack()
out = guard.solve_guarded(prob, mip_gap=0, threads=1, time_limit_s=30, seed=0, start={{}},
                          target={target!r})
print(out.status, out.objective)
"""


def _script(tmp_path, target: str = "planner.solver.guard:run_job") -> tuple[str, str]:
    log = str(tmp_path / "ran.log")
    path = tmp_path / "no_main_guard.py"
    path.write_text(SCRIPT.format(path=sys.path, log=log, target=target))
    return str(path), log


def test_a_script_without_a_main_guard_runs_once(tmp_path):
    """A multiprocessing spawn re-runs the caller's main script in the child (it did: the
    whole Cogentco pipeline twice, then a hang); the guard's child must not."""
    path, log = _script(tmp_path)
    p = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["optimal", "-9.0"]
    assert Path(log).read_text() == "ran\n"


def hangs_and_tells(conn, job) -> None:
    """A child that says who it is, then hangs (its parent will be killed)."""
    with open(os.environ["GUARD_TEST_PID_FILE"], "w") as f:
        f.write(str(os.getpid()))
    time.sleep(600)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" in f.read()  # a zombie has exited
    except FileNotFoundError:
        return True


def test_the_child_exits_when_its_parent_dies(tmp_path):
    pid_file = tmp_path / "child.pid"
    path, _ = _script(tmp_path, "tests.test_solver_guard:hangs_and_tells")
    env = dict(os.environ, GUARD_TEST_PID_FILE=str(pid_file))
    parent = subprocess.Popen([sys.executable, path], env=env)
    try:
        for _ in range(600):
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.1)
        child = int(pid_file.read_text())
        assert not _gone(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(30)
        for _ in range(100):
            if _gone(child):
                break
            time.sleep(0.1)
        assert _gone(child)
    finally:
        parent.kill()


def _solve_knapsack_guarded(q) -> None:
    prob, _ = knapsack()
    out = guarded(prob)
    q.put((out.status, out.objective))


def test_a_daemonic_process_can_guard_its_mip():
    """Dask's workers are daemonic, where multiprocessing refuses children; the guard's
    child is a plain subprocess, so a sweep worker's big MIPs are guarded too."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_solve_knapsack_guarded, args=(q,), daemon=True)
    p.start()
    try:
        assert q.get(timeout=120) == ("optimal", pytest.approx(-9.0))
    finally:
        p.join(30)


def test_an_interrupted_planner_ends_its_child(monkeypatch, tmp_path):
    """Ctrl-C (or any error) while the planner waits: the child is ended, not left running."""
    pid_file = tmp_path / "child.pid"
    monkeypatch.setenv("GUARD_TEST_PID_FILE", str(pid_file))

    def interrupted(conn, proc, deadline):
        for _ in range(600):
            if pid_file.exists() and pid_file.read_text():
                raise KeyboardInterrupt
            time.sleep(0.1)
        raise AssertionError("the child never said who it is")

    monkeypatch.setattr(guard, "_listen", interrupted)
    prob, _ = knapsack()
    with pytest.raises(KeyboardInterrupt):
        guarded(prob, "hangs_and_tells")
    assert _gone(int(pid_file.read_text()))


def test_a_plan_whose_solver_was_ended_says_so(monkeypatch):
    """Through the pipeline: the child hangs after sending the start; the plan is that start,
    ``time_limit_feasible``, and the summary and its warnings say the planner ended HiGHS."""
    solve_module = importlib.import_module("planner.optimize.solve")
    monkeypatch.setattr(guard, "GUARD_MIN_COLUMNS", 0)
    monkeypatch.setattr(guard, "grace_s", lambda limit: 0.5)
    hang = functools.partial(guard.solve_guarded, target="tests.test_solver_guard:never_stops")
    monkeypatch.setattr(solve_module, "solve_guarded", hang)
    inp, dem = random_case(7, 12, 2)
    cfg = SolverConfig(time_limit_s=3, mip_gap=0.0, served_gap=None)
    p = plan(inp, dem, scenario(years=2, budget=1000.0, solver=cfg), marginals=False)
    s = p.summary
    assert s["solver_status"] == "time_limit_feasible" and s["solver_guarded"] is True
    assert s["solver_ended_late_s"] > 0
    assert "the planner ended it" in s["solver_raw_status"]
    assert any("the planner ended it" in w for w in s["warnings"])
    assert s["objective"] == pytest.approx(s["heuristic_objective"], rel=1e-9)
