"""The sweep folder on disk: run folders, ``failed/*.txt`` and ``runs.csv``.

Why this shape:

* **Workers compute, the driver writes.** A task returns the plan tables; only the driver
  touches ``reports/sweeps/NAME/``. A remote cluster therefore needs no shared filesystem, and
  every file is written by one process, atomically.
* **Crash-safe folders.** A run is written into ``runs/.tmp-<id>/`` and swapped into
  ``runs/<id>/`` (``planner.io.folder.swap_in``) only when complete, with ``done.json``
  written last: a folder under ``runs/`` is always a whole run. ``runs.csv`` is rewritten
  atomically after every completion.
* **Failures are data.** A run that raises (bad scenario, solver error, time limit without a
  plan, a dead worker) becomes a ``failed`` row with its error; the sweep goes on.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import InputError, Problem
from planner.io import write_csv, write_json, write_text
from planner.io.atomic import read_json
from planner.io.folder import link_or_copy, swap_in
from planner.io.plan import write_plan
from planner.io.run import scenario_yaml, write_inputs
from planner.plan_schema import PlanSummary, SolverStatus
from planner.schema import RunStatus
from planner.sweep.hashing import HASH_SCHEME, code_version
from planner.sweep.spec import RunSpec, safe_name
from planner.tables import Inputs, Plan

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
#: Run statuses as the plain strings runs.csv holds (see planner.schema.RunStatus).
OK, TIME_LIMIT, FAILED, PENDING = (s.value for s in RunStatus)


def read_done(run_dir: Path) -> dict[str, Any] | None:
    """The completion record of a run folder, or None if it is not a complete run."""
    try:
        return read_json(run_dir / "done.json")
    except (OSError, ValueError):
        return None


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
                link_or_copy(f, tmp / "inputs" / f.name)
            link_or_copy(self.shared / "inputs_summary.json", tmp / "inputs_summary.json")
            link_or_copy(forecast_csv, tmp / "forecast.csv")
            write_text(scenario_yaml(spec.scenario), tmp / "scenario.yaml")
            write_plan(plan, tmp)
            done = {**row, "code_version": code_version(), "hash_scheme": HASH_SCHEME}
            write_json(done, tmp / "done.json")  # last: marks the folder complete
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        final = self.runs / spec.run_id
        swap_in(tmp, final)  # atomic where the OS can: never a moment without the run
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
    sm = PlanSummary.read(res["plan"].summary)
    nan = float("nan")

    def num(v: float | None) -> float:
        return nan if v is None else float(v)

    return _row(
        spec,
        status=TIME_LIMIT if sm.solver_status == SolverStatus.TIME_LIMIT_FEASIBLE else OK,
        capex_usd=num(sm.capex_usd_total),
        served_fraction=num(sm.served_fraction),
        unserved_gbps_final_year=num(sm.unserved_gbps_final_year),
        solve_seconds=num(sm.solve_seconds),
        mip_gap=num(sm.mip_gap),
        solver_status=sm.solver_status or "",
        objective=sm.objective,
        budget_marginal_usd_per_usd=sm.budget_marginal_usd_per_usd,
        served_gbps_years=res["served_gbps_years"],
        demand_gbps_years=res["demand_gbps_years"],
        run_seconds=res["run_seconds"],
    )


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, InputError):
        return "; ".join(str(p) for p in exc.problems)[:500]
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:500]


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
