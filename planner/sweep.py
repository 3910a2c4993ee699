"""Budget and scenario sweeps: every (scenario, budget) as an independent plan, run on Dask.

Why this shape:

* **Dask, not a home-made pool.** The same task graph runs on an in-process ``LocalCluster``
  sized to the machine or, unchanged, on an existing cluster (``Client("tcp://host:port")``).
* **Workers compute, the driver writes.** A task returns the plan tables; only the driver
  touches ``reports/sweeps/NAME/``. A remote cluster therefore needs no shared filesystem, and
  every file is written by one process, atomically.
* **No repeated work.** The forecast does not depend on the budget, so it is one task per distinct
  forecast input, shared by all budgets of a scenario. Each run is identified by a SHA-256 of the
  validated input tables, the resolved scenario and the code version; a run folder whose
  ``done.json`` carries that hash is reused (resume after a crash or Ctrl-C).
* **Crash-safe folders.** A run is written into ``runs/.tmp-<id>/`` and ``os.replace``-d to
  ``runs/<id>/`` only when complete, with ``done.json`` written last: a folder under ``runs/``
  is always a whole run. ``runs.csv`` is rewritten atomically after every completion.
* **Failures are data.** A run that raises (bad scenario, solver error, time limit without a
  plan, a dead worker) becomes a ``failed`` row with its error; the sweep goes on.

Budget variants: ``budget_usd_total`` is set to the swept value; a per-year cap, if the scenario
has one, is scaled by ``budget / budget_usd_total`` so the yearly spending profile keeps its
shape (equal shares if the scenario's own total is 0). Solver threads per run are
``max(1, cores // workers)`` on a local cluster (with 2 workers on 2 cores: 1 thread each, so two
solves never fight over a core) and 1 on a remote cluster, never above the scenario's own value.
Threads change speed, not the problem, so they are left out of the run hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import shutil
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import pandas as pd

import planner
from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.io import read_inputs, read_scenario, write_csv, write_json, write_text
from planner.io.atomic import read_json
from planner.io.plan import write_plan
from planner.io.run import inputs_to_csv_frames, scenario_yaml, write_inputs
from planner.pipeline import demand_stage, forecast_stage, plan_stage
from planner.tables import Inputs, Plan

log = logging.getLogger(__name__)

HASH_SCHEME = "dci-planner-sweep-v1"
MAX_BUDGETS = 1000

RUNS_COLUMNS = (
    "scenario", "budget_usd", "status", "capex_usd", "served_fraction", "unserved_gbps_final_year",
    "solve_seconds", "mip_gap", "solver_status", "served_gbps_years", "demand_gbps_years",
    "objective", "budget_marginal_usd_per_usd", "run_seconds", "reused", "run_id", "run_hash",
    "scenario_file", "error",
)  # fmt: skip
#: Columns copied from a finished run's ``done.json`` when it is reused.
RESULT_COLUMNS = RUNS_COLUMNS[RUNS_COLUMNS.index("status") : RUNS_COLUMNS.index("reused")]
_TEXT = {"scenario", "status", "solver_status", "reused", "run_id", "run_hash", "scenario_file",
         "error"}  # fmt: skip
_NUMERIC = [c for c in RUNS_COLUMNS if c not in _TEXT]
OK, TIME_LIMIT, FAILED, PENDING = "ok", "time_limit", "failed", "pending"


# --- budgets and variants -------------------------------------------------------------------


def budget_label(usd: float) -> str:
    """Short, file-name-safe label: 0 -> ``0``, 3e8 -> ``300M``, 1.25e9 -> ``1.25B``."""
    for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(usd) >= div:
            return f"{usd / div:.4g}{unit}"
    return f"{usd:.4g}"


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "scenario"


def budget_variant(
    scenario: Scenario, budget_usd: float, time_limit_s: float | None = None
) -> Scenario:
    """The scenario at another budget (validated again; see the module doc for per-year caps).

    ``time_limit_s`` overrides the solver limit (part of the run hash: it can change the plan).
    """
    data = scenario.model_dump(mode="json")
    data["budget_usd_total"] = float(budget_usd)
    data["name"] = f"{scenario.name}-{budget_label(budget_usd)}"
    per_year = scenario.budget_usd_per_year
    if per_year is not None:
        if scenario.budget_usd_total > 0:
            k = budget_usd / scenario.budget_usd_total
            data["budget_usd_per_year"] = [x * k for x in per_year]
        else:
            data["budget_usd_per_year"] = [budget_usd / len(per_year)] * len(per_year)
    if time_limit_s is not None:
        data["solver"]["time_limit_s"] = float(time_limit_s)
    return Scenario.model_validate(data)


def with_threads(scenario: Scenario, threads: int) -> Scenario:
    """Solver threads for a run: ``threads``, never above the scenario's own setting."""
    data = scenario.model_dump(mode="json")
    data["solver"]["threads"] = max(1, min(threads, scenario.solver.threads))
    return Scenario.model_validate(data)


# --- hashing --------------------------------------------------------------------------------

#: Modules that only present results; editing them must not invalidate finished runs.
_PRESENTATION = ("report", "commands", "cli.py", "docs.py", "sweep.py")


@lru_cache(maxsize=1)
def code_version() -> str:
    """Package version + digest of the result-producing source + solver library versions."""
    root = Path(planner.__file__).parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root).as_posix()
        if rel.split("/")[0] in _PRESENTATION:
            continue
        h.update(rel.encode() + b"\0" + p.read_bytes() + b"\0")
    libs = []
    for dist in ("pulp", "highspy", "pandas", "numpy"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            libs.append(f"{dist}={importlib.metadata.version(dist)}")
    return f"{planner.__version__}+{h.hexdigest()[:12]};{','.join(libs)}"


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        b = part.encode() if isinstance(part, str) else part
        h.update(len(b).to_bytes(8, "big") + b)
    return h.hexdigest()


def inputs_digest(inputs: Inputs) -> str:
    """SHA-256 of the validated tables exactly as they are written into each run folder."""
    frames = inputs_to_csv_frames(inputs)
    return _digest(*(f"{n}\n{frames[n].to_csv(index=False)}" for n in sorted(frames)))


def _hash_yaml(scenario: Scenario) -> str:
    """Resolved scenario YAML without solver threads (speed, not the problem)."""
    data = scenario.model_dump(mode="json")
    data["solver"]["threads"] = 1
    return scenario_yaml(Scenario.model_validate(data))


#: Scenario fields only the optimiser reads; everything else (incl. fields added later) keys
#: the forecast, so two scenarios share a forecast only when it cannot differ.
_OPTIMISER_ONLY = (
    "name", "budget_usd_total", "budget_usd_per_year", "max_utilization", "survivability",
    "protected_share", "latency_ms_max", "k_paths", "objective", "unserved_penalty_usd_per_gbps",
    "solver",
)  # fmt: skip


def forecast_key(scenario: Scenario) -> str:
    """What the forecast depends on: the scenario without the optimiser-only fields."""
    data = scenario.model_dump(mode="json")
    return json.dumps({k: v for k, v in data.items() if k not in _OPTIMISER_ONLY}, sort_keys=True)


# --- stages and the worker tasks ------------------------------------------------------------


@dataclass(frozen=True)
class Stages:
    """The pipeline stages a sweep calls; tests swap in fakes to exercise the orchestration.

    Non-default stages are part of the run hash, so a fake never reuses a real run's result.
    """

    forecast: Callable[[Inputs, Scenario], pd.DataFrame] = forecast_stage
    demand: Callable[[pd.DataFrame, Scenario], pd.DataFrame] = demand_stage
    plan: Callable[..., Plan] = plan_stage

    def identity(self) -> str:
        default = Stages.__dataclass_fields__
        return ";".join(
            ""
            if f is default[n].default
            else f"{n}={getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', repr(f))}"
            for n, f in (("forecast", self.forecast), ("demand", self.demand), ("plan", self.plan))
        )


def forecast_task(inputs: Inputs, scenario: Scenario, stages: Stages) -> pd.DataFrame:
    """Dask task: the forecast of one scenario (shared by all its budgets)."""
    return stages.forecast(inputs, scenario)


def plan_task(inputs: Inputs, forecast_df: pd.DataFrame, scenario: Scenario, stages: Stages,
              plan_kw: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """Dask task: solve one budget variant; returns the Plan plus figures runs.csv needs."""
    t0 = time.perf_counter()
    demand = stages.demand(forecast_df, scenario)
    plan = stages.plan(inputs, demand, scenario, **plan_kw)
    un = plan.unserved
    return {
        "plan": plan,
        "served_gbps_years": float(un["served_gbps"].sum()) if len(un) else 0.0,
        "demand_gbps_years": float(un["demand_gbps"].sum()) if len(un) else 0.0,
        "run_seconds": time.perf_counter() - t0,
    }


# --- the sweep plan -------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSpec:
    """One (scenario, budget) run; ``run_id`` is its folder name under ``runs/``."""

    scenario_name: str
    scenario_file: str
    budget_usd: float
    scenario: Scenario
    run_hash: str
    forecast_hash: str

    @property
    def run_id(self) -> str:
        label = budget_label(self.budget_usd)
        return f"{safe_name(self.scenario_name)}__{label}__{self.run_hash[:8]}"


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


def load_scenarios(paths: Sequence[str | os.PathLike]) -> tuple[list, list]:
    """Read every scenario; broken files are returned as ``(name, path, problems)`` to record.

    Why not stop at the first broken file: one typo must not cost the other scenarios' runs.
    """
    good: list[tuple[str, Scenario]] = []
    bad: list[tuple[str, str, list[Problem]]] = []
    seen: dict[str, str] = {}
    for p in paths:
        try:
            sc = read_scenario(p)
        except InputError as e:
            bad.append((safe_name(Path(p).stem), str(p), e.problems))
            continue
        if sc.name in seen:
            raise InputError(
                Problem(
                    str(p),
                    f"scenario name {sc.name!r} is also used by {seen[sc.name]}; expected "
                    "unique names (they name the runs)",
                    column="name",
                )
            )
        seen[sc.name] = str(p)
        good.append((str(p), sc))
    return good, bad


def plan_runs(
    scenarios: Sequence[tuple[str, Scenario]],
    budgets: Sequence[float] | None,
    digest: str,
    stages: Stages,
    plan_kw: dict[str, Any],
    time_limit_s: float | None = None,
) -> list[RunSpec]:
    """Every (scenario, budget) with its hash; ``budgets=None`` runs each scenario's own."""
    ver = code_version()
    kw = json.dumps(plan_kw, sort_keys=True, default=str)
    specs = []
    for path, sc in scenarios:
        fh = _digest(HASH_SCHEME, digest, ver, stages.identity(), forecast_key(sc))
        for b in budgets if budgets is not None else [sc.budget_usd_total]:
            v = budget_variant(sc, b, time_limit_s)
            rh = _digest(HASH_SCHEME, digest, ver, stages.identity(), kw, _hash_yaml(v))
            specs.append(RunSpec(sc.name, path, float(b), v, rh, fh))
    return specs


# --- files ----------------------------------------------------------------------------------


def read_done(run_dir: Path) -> dict[str, Any] | None:
    """The completion record of a run folder, or None if it is not a complete run."""
    try:
        return read_json(run_dir / "done.json")
    except (OSError, ValueError):
        return None


def _link_or_copy(src: Path, dst: Path) -> None:
    """Hard link (no extra space, identical bytes); copy where links are not possible."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@contextlib.contextmanager
def _sweep_lock(out: Path) -> Iterator[None]:
    """One writer per sweep folder: two sweeps into one folder would clobber each other."""
    out.mkdir(parents=True, exist_ok=True)
    lock = out / ".lock"
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or 0)
                os.kill(pid, 0)
            except (ValueError, ProcessLookupError, FileNotFoundError):
                lock.unlink(missing_ok=True)  # stale: its sweep died
                continue
            except PermissionError:
                pass
            raise InputError(
                Problem(str(out), f"another sweep (pid {pid}) is writing this folder")
            ) from None
    else:  # pragma: no cover - lost a race twice
        raise InputError(Problem(str(out), "could not lock the sweep folder"))
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


class _Writer:
    """Driver-side writer of the sweep folder (the only code that writes into it)."""

    def __init__(self, out: Path, inputs: Inputs) -> None:
        self.out = out
        self.runs = out / "runs"
        self.shared = out / "shared"
        self.runs.mkdir(parents=True, exist_ok=True)
        for stale in self.runs.glob(".tmp-*"):  # left by a killed sweep; we hold the lock
            shutil.rmtree(stale, ignore_errors=True)
        write_inputs(inputs, self.shared / "inputs")
        write_json(inputs.summary(), self.shared / "inputs_summary.json")
        self.forecasts: dict[str, Path] = {}

    def forecast(self, spec: RunSpec, fetch: Callable[[], pd.DataFrame]) -> Path:
        """The scenario's forecast.csv, fetched from the cluster and written once per sweep."""
        if spec.forecast_hash not in self.forecasts:
            name = f"{safe_name(spec.scenario_name)}__{spec.forecast_hash[:8]}.csv"
            self.forecasts[spec.forecast_hash] = write_csv(
                fetch(), self.shared / "forecasts" / name
            )
        return self.forecasts[spec.forecast_hash]

    def run(self, spec: RunSpec, plan: Plan, forecast_csv: Path, row: dict[str, Any]) -> Path:
        """Write a whole run folder beside its final place, then rename it into place."""
        tmp = self.runs / f".tmp-{spec.run_id}"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            for f in sorted((self.shared / "inputs").iterdir()):
                _link_or_copy(f, tmp / "inputs" / f.name)
            _link_or_copy(self.shared / "inputs_summary.json", tmp / "inputs_summary.json")
            _link_or_copy(forecast_csv, tmp / "forecast.csv")
            write_text(scenario_yaml(spec.scenario), tmp / "scenario.yaml")
            write_plan(plan, tmp)
            done = {**row, "code_version": code_version(), "hash_scheme": HASH_SCHEME}
            write_json(done, tmp / "done.json")  # last: marks the folder complete
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        final = self.runs / spec.run_id
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        (self.out / "failed" / f"{spec.run_id}.txt").unlink(missing_ok=True)
        return final

    def failure(self, name: str, text: str) -> None:
        write_text(text, self.out / "failed" / f"{name}.txt")

    def table(self, rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
        df = pd.DataFrame(list(rows), columns=list(RUNS_COLUMNS))
        for c in _NUMERIC:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
        df["reused"] = df["reused"].fillna(False).astype(bool)
        write_csv(df, self.out / "runs.csv")
        return df


def _row(spec: RunSpec, **kw: Any) -> dict[str, Any]:
    return dict.fromkeys(RUNS_COLUMNS) | dict(
        scenario=spec.scenario_name, scenario_file=spec.scenario_file, budget_usd=spec.budget_usd,
        run_id=spec.run_id, run_hash=spec.run_hash, reused=False, status=PENDING, error="",
    ) | kw  # fmt: skip


def _ok_row(spec: RunSpec, res: dict[str, Any]) -> dict[str, Any]:
    sm = res["plan"].summary
    status = str(sm.get("solver_status", "")).lower()
    return _row(
        spec,
        status=TIME_LIMIT if "time" in status and "limit" in status else OK,
        capex_usd=float(sm.get("capex_usd_total", float("nan"))),
        served_fraction=float(sm.get("served_fraction", float("nan"))),
        unserved_gbps_final_year=float(sm.get("unserved_gbps_final_year", float("nan"))),
        solve_seconds=float(sm.get("solve_seconds", float("nan"))),
        mip_gap=float(sm.get("mip_gap", float("nan"))),
        solver_status=sm.get("solver_status", ""),
        objective=sm.get("objective"),
        budget_marginal_usd_per_usd=sm.get("budget_marginal_usd_per_usd"),
        served_gbps_years=res["served_gbps_years"],
        demand_gbps_years=res["demand_gbps_years"],
        run_seconds=res["run_seconds"],
    )


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, InputError):
        return "; ".join(str(p) for p in exc.problems)[:500]
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:500]


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
    plan_kw: dict[str, Any] | None = None,
) -> SweepResult:
    """Run every (scenario, budget) plan; returns the runs table (also ``out_dir/runs.csv``).

    Workers: an open Dask ``client`` (used as is, left open), or ``cluster``, a factory
    entered only once the inputs are valid (so bad input never waits for a cluster) yielding
    ``Cluster(client, description, solver_threads)``; see ``planner.commands.sweep``.
    Bad shared input (inputs folder, no scenario loads) raises InputError before anything runs;
    a broken scenario among good ones becomes failed rows. ``force`` recomputes finished runs;
    ``plan_kw`` goes to the optimiser (e.g. ``marginals=False``) and into the run hash.
    """
    t0 = time.perf_counter()
    obs = observer or _Quiet()
    stages, plan_kw = stages or Stages(), dict(plan_kw or {})
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
        specs = plan_runs(good, budgets, inputs_digest(inputs), stages, plan_kw, time_limit_s)
        w = _Writer(out, inputs)
        rows = _broken_rows(w, bad, budgets)
        todo: list[RunSpec] = []
        for s in specs:
            done = None if force else read_done(out / "runs" / s.run_id)
            if done is not None and done.get("run_hash") == s.run_hash:
                rows[s.run_id] = _row(s, **{k: done.get(k) for k in RESULT_COLUMNS}, reused=True)
            else:
                rows[s.run_id] = _row(s)
                todo.append(s)
        w.table(rows.values())
        n_reused, desc = len(specs) - len(todo), "no workers (nothing to run)"
        with contextlib.ExitStack() as stack:
            threads = solver_threads or 1
            if todo:  # a cluster only when there is work: a finished sweep re-runs in seconds
                client_, desc, auto = stack.enter_context(_client_or(client, cluster))
                threads = solver_threads or auto
                todo = [replace(s, scenario=with_threads(s.scenario, threads)) for s in todo]
            obs.start(
                dict(name=out.name, total=len(rows), reused=n_reused, todo=len(todo),
                     workers=desc, solver_threads=threads, out_dir=str(out))
            )  # fmt: skip
            results = stack.enter_context(
                contextlib.closing(_execute(client_, inputs, todo, stages, plan_kw))
            ) if todo else []  # fmt: skip
            for n_done, (spec, res, exc, tb, fetch_fc) in enumerate(results, start=1):
                rows[spec.run_id] = row = _record(w, spec, res, exc, tb, fetch_fc)
                w.table(rows.values())  # after every run: Ctrl-C leaves a consistent table
                obs.run_done(row, n_done, len(todo))
        from planner.report.comparison import frontier_violations, render_comparison

        runs = w.table(rows.values())  # still under the lock, like the comparison
        for _i, v in frontier_violations(runs).iterrows():
            obs.message(
                f"warning: {v['scenario']} @ ${budget_label(v['budget_usd'])}: the solver's plan "
                "serves less than a smaller budget's plan (time limit / MIP gap); the frontier "
                "uses the better plan. A longer --time-limit avoids this."
            )
        files = [out / "runs.csv"]
        if comparison:
            files += render_comparison(out)
    n_failed = int((runs["status"] == FAILED).sum())
    dt = time.perf_counter() - t0
    result = SweepResult(out, runs, len(rows), n_reused, len(todo), n_failed, dt, desc, files)
    obs.finish(result)
    return result


def _broken_rows(w: _Writer, bad: list, budgets: Sequence[float] | None) -> dict[str, dict]:
    """A scenario file that does not load: its error, one failed row per budget."""
    rows = {}
    for name, path, probs in bad:
        text = "; ".join(str(p) for p in probs)
        w.failure(safe_name(name), text + "\n")
        for b in budgets if budgets is not None else [float("nan")]:
            rows[f"{path}__{b}"] = dict.fromkeys(RUNS_COLUMNS) | dict(
                scenario=name, scenario_file=path, budget_usd=b, status=FAILED,
                error=text[:500], reused=False, run_id="", run_hash="",
            )  # fmt: skip
    return rows


def _record(w: _Writer, spec: RunSpec, res: Any, exc: Any, tb: str, fetch_fc: Any) -> dict:
    """Write a finished run's folder (or its failure) and return its runs.csv row."""
    if exc is None:
        try:  # a plan that cannot be written is a failed run, not a dead sweep
            row = _ok_row(spec, res)
            w.run(spec, res["plan"], w.forecast(spec, fetch_fc), row)
            return row
        except Exception as e:
            exc, tb = e, traceback.format_exc()
    row = _row(spec, status=FAILED, error=_error_text(exc))
    w.failure(spec.run_id, f"{row['error']}\n\n{tb}")
    return row


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


def _execute(client: Any, inputs: Inputs, todo: list[RunSpec], stages: Stages, plan_kw: dict):
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
            plan_task, inputs_f, forecasts[fh], s.scenario, stages, plan_kw, key=f"plan-{s.run_id}"
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
