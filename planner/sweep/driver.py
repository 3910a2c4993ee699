"""``run_sweep``: the driver that plans the runs, sends them to Dask and records the results.

Why **Dask, not a home-made pool**: the same task graph runs on an in-process ``LocalCluster``
sized to the machine or, unchanged, on an existing cluster (``Client("tcp://host:port")``).
Tasks only compute (``forecast_task``, ``plan_task``); the driver writes every file (see
``planner.sweep.folder``).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import pandas as pd

from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.io import read_inputs
from planner.options import PlanOptions
from planner.pipeline import plan_stage
from planner.sweep.folder import (
    FAILED,
    RESULT_COLUMNS,
    RUNS_COLUMNS,
    _broken_rows,
    _record,
    _row,
    _sweep_lock,
    _Writer,
    read_done,
)
from planner.sweep.frontier import frontier_violations, render_comparison
from planner.sweep.hashing import inputs_digest
from planner.sweep.spec import (
    RunSpec,
    Stages,
    budget_label,
    load_scenarios,
    plan_runs,
    safe_name,
    with_threads,
)
from planner.tables import Inputs

#: One logger for the whole sweep package (what ``_Quiet`` writes to).
log = logging.getLogger("planner.sweep")


# --- the worker tasks -----------------------------------------------------------------------


def forecast_task(inputs: Inputs, scenario: Scenario, stages: Stages) -> pd.DataFrame:
    """Dask task: the forecast of one scenario (shared by all its budgets)."""
    return stages.forecast(inputs, scenario)


def plan_task(inputs: Inputs, forecast_df: pd.DataFrame, scenario: Scenario, stages: Stages,
              options: PlanOptions) -> dict[str, Any]:  # fmt: skip
    """Dask task: solve one budget variant; returns the Plan plus figures runs.csv needs."""
    t0 = time.perf_counter()
    demand = stages.demand(forecast_df, scenario)
    # demand: scenarios / hose sample their joint scenarios from the forecast (issue 17)
    kw = {"forecast_df": forecast_df} if scenario.demand.mode != "quantile" else {}
    plan = stages.plan(inputs, demand, scenario, options, **kw)
    un = plan.unserved
    return {
        "plan": plan,
        "served_gbps_years": float(un["served_gbps"].sum()) if len(un) else 0.0,
        "demand_gbps_years": float(un["demand_gbps"].sum()) if len(un) else 0.0,
        "run_seconds": time.perf_counter() - t0,
    }


# --- results and observers ------------------------------------------------------------------


@dataclass
class SweepResult:
    out_dir: Path
    runs: pd.DataFrame
    n_total: int
    n_reused: int
    n_ran: int
    n_failed: int
    seconds: float
    workers: str
    files: list[Path] = field(default_factory=list)


class Cluster(NamedTuple):
    """Where runs go: a Dask client, a line for the log, default solver threads per run."""

    client: Any
    description: str
    solver_threads: int


class Observer(Protocol):
    """What the sweep tells its caller (the CLI draws a progress bar or prints lines)."""

    def start(self, info: dict[str, Any]) -> None: ...
    def run_done(self, row: dict[str, Any], done: int, todo: int) -> None: ...
    def message(self, text: str) -> None: ...
    def finish(self, result: SweepResult) -> None: ...


# --- the driver -----------------------------------------------------------------------------


def run_sweep(
    inputs_dir: str | os.PathLike,
    scenario_paths: Sequence[str | os.PathLike],
    budgets: Sequence[float] | None,
    out_dir: str | os.PathLike,
    *,
    client: Any = None,
    cluster: Callable[[], contextlib.AbstractContextManager[Cluster]] | None = None,
    solver_threads: int | None = None,
    time_limit_s: float | None = None,
    force: bool = False,
    comparison: bool = True,
    observer: Observer | None = None,
    stages: Stages | None = None,
    options: PlanOptions | None = None,
    chain: bool = True,
) -> SweepResult:
    """Run every (scenario, budget) plan; returns the runs table (also ``out_dir/runs.csv``).

    Workers: an open Dask ``client`` (used as is, left open), or ``cluster``, a factory
    entered only once the inputs are valid (so bad input never waits for a cluster) yielding
    ``Cluster(client, description, solver_threads)``; see ``planner.commands.sweep``.
    Bad shared input (inputs folder, no scenario loads) raises InputError before anything runs;
    a broken scenario among good ones becomes failed rows. ``force`` recomputes finished runs;
    ``options`` go to the optimiser (e.g. ``marginals=False``) and into the run hash.
    ``chain``: runs of one scenario that differ only by budget are solved as a budget chain
    in this process (:mod:`planner.sweep.chain`); False sends every run to Dask alone.
    """
    t0 = time.perf_counter()
    obs = observer or _Quiet()
    stages, options = stages or Stages(), options or PlanOptions()
    if not scenario_paths:
        raise InputError(Problem("--scenario", "got none, expected at least one scenario YAML"))
    inputs = read_inputs(inputs_dir)
    good, bad = load_scenarios(scenario_paths)
    if not good:
        raise InputError([p for _n, _f, probs in bad for p in probs])
    out = Path(out_dir)
    if (client is None) == (cluster is None):
        raise TypeError("run_sweep needs exactly one of client= or cluster=")
    with _sweep_lock(out):
        specs = plan_runs(good, budgets, inputs_digest(inputs), stages, options, time_limit_s)
        w = _Writer(out, inputs)
        rows = _broken_rows(w, bad, budgets)
        todo = _pending(specs, rows, out, force)
        w.table(rows.values())
        n_reused, desc = len(specs) - len(todo), "no workers (nothing to run)"
        chains, rest = split_chains(todo, stages, options) if chain else ([], todo)
        with contextlib.ExitStack() as stack:
            client_, desc, threads, chains, rest = _workers(
                stack, client, cluster, chains, rest, solver_threads, desc
            )
            obs.start(
                dict(name=out.name, total=len(rows), reused=n_reused, todo=len(todo),
                     workers=desc, solver_threads=threads, out_dir=str(out))
            )  # fmt: skip
            results = itertools.chain(
                _execute_chains(inputs, chains, stages, options),
                stack.enter_context(
                    contextlib.closing(_execute(client_, inputs, rest, stages, options))
                ) if rest else [],
            )  # fmt: skip
            for n_done, (spec, res, exc, tb, fetch_fc) in enumerate(results, start=1):
                rows[spec.run_id] = row = _record(w, spec, res, exc, tb, fetch_fc)
                w.table(rows.values())  # after every run: Ctrl-C leaves a consistent table
                obs.run_done(row, n_done, len(todo))
        runs = w.table(rows.values())  # still under the lock, like the comparison
        _warn_frontier(runs, obs)
        files = [out / "runs.csv"]
        if comparison:
            files += render_comparison(out)
    n_failed = int((runs["status"] == FAILED).sum())
    dt = time.perf_counter() - t0
    result = SweepResult(out, runs, len(rows), n_reused, len(todo), n_failed, dt, desc, files)
    obs.finish(result)
    return result


def _workers(
    stack: contextlib.ExitStack,
    client: Any,
    cluster: Callable[[], contextlib.AbstractContextManager[Cluster]] | None,
    chains: list[list[RunSpec]],
    rest: list[RunSpec],
    solver_threads: int | None,
    desc: str,
) -> tuple[Any, str, int, list[list[RunSpec]], list[RunSpec]]:
    """Who runs what: ``(client, description, solver threads, chains, rest)``, each run's
    scenario carrying the thread count it gets. A cluster is entered only when runs are left
    for it (a finished sweep re-runs in seconds); chains run in this process."""
    client_, threads = None, solver_threads or 1
    if rest:
        client_, desc, auto = stack.enter_context(_client_or(client, cluster))
        threads = solver_threads or auto
        rest = [replace(s, scenario=with_threads(s.scenario, threads)) for s in rest]
    if chains:
        n = sum(len(c) for c in chains)
        desc = f"{n} runs as budget chains in this process" + (f"; {desc}" if rest else "")
        threads = solver_threads or max(c[0].scenario.solver.threads for c in chains)
        chains = [
            [replace(s, scenario=with_threads(s.scenario, threads)) for s in c] for c in chains
        ]
    return client_, desc, threads, chains, rest


def _pending(specs: list[RunSpec], rows: dict, out: Path, force: bool) -> list[RunSpec]:
    """Fill ``rows`` (finished runs reused when their hash matches) and return what to run."""
    todo: list[RunSpec] = []
    for s in specs:
        done = None if force else read_done(out / "runs" / s.run_id)
        if done is not None and done.get("run_hash") == s.run_hash:
            rows[s.run_id] = _row(s, **{k: done.get(k) for k in RESULT_COLUMNS}, reused=True)
        else:
            rows[s.run_id] = _row(s)
            todo.append(s)
    return todo


def _warn_frontier(runs: pd.DataFrame, obs: Observer) -> None:
    """Say where a larger budget's plan serves less than a smaller one's (solver stopped early)."""
    for _i, v in frontier_violations(runs).iterrows():
        obs.message(
            f"warning: {v['scenario']} @ ${budget_label(v['budget_usd'])}: the solver's plan "
            "serves less than a smaller budget's plan (time limit / MIP gap); the frontier "
            "uses the better plan. A longer --time-limit avoids this."
        )


class _Quiet:
    """Default observer for library use: everything goes to the ``planner.sweep`` logger."""

    def start(self, info: dict[str, Any]) -> None:
        log.info("sweep %s", info)

    def run_done(self, row: dict[str, Any], done: int, todo: int) -> None:
        log.info("[%d/%d] %s", done, todo, {k: row[k] for k in RUNS_COLUMNS[:6]})

    def message(self, text: str) -> None:
        log.warning(text)

    def finish(self, result: SweepResult) -> None:
        log.info("sweep done: %d runs, %d failed", result.n_total, result.n_failed)


@contextlib.contextmanager
def _client_or(client: Any, cluster: Callable[[], Any] | None) -> Iterator[Cluster]:
    """The caller's client as is (one solver thread per core it does not use), or ``cluster()``."""
    if cluster is not None:
        with cluster() as c:
            yield c
        return
    n = len(client.scheduler_info().get("workers", {})) or 1
    yield Cluster(client, f"Dask client {client.scheduler.address} ({n} workers)",
                  max(1, (os.cpu_count() or 1) // n))  # fmt: skip


def split_chains(
    todo: list[RunSpec], stages: Stages, options: PlanOptions
) -> tuple[list[list[RunSpec]], list[RunSpec]]:
    """Runs that differ only by budget (same scenario file and forecast) form a budget chain
    (:mod:`planner.sweep.chain`: one live model, each budget from the smaller one's plan);
    the rest (other scenarios, survivable plans, swapped-in plan stages) go to Dask."""
    from planner.sweep.chain import chainable  # the optimiser only when a sweep runs

    groups: dict[tuple[str, str], list[RunSpec]] = {}
    for s in todo:
        groups.setdefault((s.scenario_file, s.forecast_hash), []).append(s)
    chains: list[list[RunSpec]] = []
    rest: list[RunSpec] = []
    for g in groups.values():
        g = sorted(g, key=lambda s: s.budget_usd)
        plain = g[0].scenario.demand.mode == "quantile"  # scenario plans: each run alone
        if plain and stages.plan is plan_stage and chainable([s.scenario for s in g], options):
            chains.append(g)
        else:
            rest.extend(g)
    return chains, rest


def _execute_chains(
    inputs: Inputs, chains: list[list[RunSpec]], stages: Stages, options: PlanOptions
) -> Iterator[tuple[RunSpec, Any, Any, str, Callable[[], pd.DataFrame]]]:
    """Solve each chain in this process; yield what :func:`_execute` yields, run by run.

    A chain that raises fails its remaining runs (each row gets the error), not the sweep.
    """
    from planner.sweep.chain import plan_chain

    for chain in chains:
        spec0 = chain[0]
        done = 0
        try:
            fc = stages.forecast(inputs, spec0.scenario)
            demand = stages.demand(fc, spec0.scenario)
            t = time.perf_counter()
            plans = plan_chain(inputs, demand, [s.scenario for s in chain], options)
            for spec, plan in zip(chain, plans, strict=True):
                res = _plan_result(plan, time.perf_counter() - t)
                done += 1
                yield spec, res, None, "", (lambda fc=fc: fc)
                t = time.perf_counter()
        except Exception as e:  # noqa: BLE001 (failures are data: every run left gets a row)
            tb = "".join(traceback.format_exception(e))
            for spec in chain[done:]:
                yield spec, None, e, tb, (lambda: None)


def _plan_result(plan: Any, seconds: float) -> dict[str, Any]:
    """What :func:`plan_task` returns, for a plan solved in a chain."""
    un = plan.unserved
    return {
        "plan": plan,
        "served_gbps_years": float(un["served_gbps"].sum()) if len(un) else 0.0,
        "demand_gbps_years": float(un["demand_gbps"].sum()) if len(un) else 0.0,
        "run_seconds": seconds,
    }


def _execute(
    client: Any, inputs: Inputs, todo: list[RunSpec], stages: Stages, options: PlanOptions
):
    """Submit forecast and plan tasks; yield ``(spec, result, error, traceback, fetch_forecast)``.

    On any exit (Ctrl-C included) the remaining futures are cancelled so no worker keeps
    solving for a sweep that is gone.
    """
    from distributed import as_completed

    if not todo:
        return
    inputs_f = client.scatter(inputs, broadcast=True, hash=False)
    forecasts: dict[str, Any] = {}
    futures: dict[Any, RunSpec] = {}
    for s in todo:
        fh = s.forecast_hash
        if fh not in forecasts:
            key = f"forecast-{safe_name(s.scenario_name)}-{fh[:12]}"
            forecasts[fh] = client.submit(forecast_task, inputs_f, s.scenario, stages, key=key)
        f = client.submit(
            plan_task, inputs_f, forecasts[fh], s.scenario, stages, options, key=f"plan-{s.run_id}"
        )
        futures[f] = s
    try:
        for f in as_completed(list(futures)):
            s = futures.pop(f)
            fetch = forecasts[s.forecast_hash].result
            if f.status == "finished":
                yield s, f.result(), None, "", fetch
            else:
                exc = f.exception() or RuntimeError(f"task {f.key} {f.status}")
                yield s, None, exc, "".join(traceback.format_exception(exc)), fetch
            f.release()
    finally:
        client.cancel(list(futures) + list(forecasts.values()))
