"""What a sweep runs: budget variants of each scenario, the stages, one ``RunSpec`` per run.

Budget variants: ``budget_usd_total`` is set to the swept value; a per-year cap, if the scenario
has one, is scaled by ``budget / budget_usd_total`` so the yearly spending profile keeps its
shape (equal shares if the scenario's own total is 0). Solver threads per run are
``max(1, cores // workers)`` on a local cluster (with 2 workers on 2 cores: 1 thread each, so two
solves never fight over a core) and 1 on a remote cluster, never above the scenario's own value.
Threads change speed, not the problem, so they are left out of the run hash.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.io import read_scenario
from planner.options import PlanOptions
from planner.pipeline import demand_stage, forecast_stage, plan_stage
from planner.sweep.hashing import HASH_SCHEME, _digest, _hash_yaml, code_version, forecast_key
from planner.tables import Inputs, Plan

MAX_BUDGETS = 1000


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


# --- stages ---------------------------------------------------------------------------------


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
    options: PlanOptions,
    time_limit_s: float | None = None,
) -> list[RunSpec]:
    """Every (scenario, budget) with its hash; ``budgets=None`` runs each scenario's own."""
    ver = code_version()
    kw = options.identity()  # {} for the defaults, as the hash always had
    specs = []
    for path, sc in scenarios:
        fh = _digest(HASH_SCHEME, digest, ver, stages.identity(), forecast_key(sc))
        for b in budgets if budgets is not None else [sc.budget_usd_total]:
            v = budget_variant(sc, b, time_limit_s)
            rh = _digest(HASH_SCHEME, digest, ver, stages.identity(), kw, _hash_yaml(v))
            specs.append(RunSpec(sc.name, path, float(b), v, rh, fh))
    return specs
