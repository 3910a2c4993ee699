"""Run identity: what makes a finished run reusable and a forecast shareable.

Why hashes: **no repeated work.** The forecast does not depend on the budget, so it is one task
per distinct forecast input (``forecast_key``), shared by all budgets of a scenario. Each run is
identified by a SHA-256 of the validated input tables, the resolved scenario and the code
version; a run folder whose ``done.json`` carries that hash is reused (resume after a crash or
Ctrl-C). Solver threads change speed, not the problem, so they are left out of the run hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
from functools import lru_cache
from pathlib import Path

import planner
from planner.config import Scenario
from planner.io.run import inputs_to_csv_frames, scenario_yaml
from planner.tables import Inputs

HASH_SCHEME = "dci-planner-sweep-v1"

#: Modules that only present results; editing them must not invalidate finished runs.
_PRESENTATION = ("report", "commands", "cli.py", "docs.py", "sweep")


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
