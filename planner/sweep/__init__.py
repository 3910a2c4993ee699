"""Budget and scenario sweeps: every (scenario, budget) as an independent plan, run on Dask.

``run_sweep`` plans every (scenario, budget) pair, solves the runs not already done on a Dask
cluster and writes ``reports/sweeps/NAME/`` (``runs.csv``, ``runs/<id>/``, ``comparison.pdf``).
Each part keeps the reasons for its design in its own docstring:

* ``planner.sweep.spec``: what a sweep runs - budget variants (per-year caps scaled, solver
  threads), the pipeline stages, one ``RunSpec`` per (scenario, budget).
* ``planner.sweep.hashing``: the run identity (inputs, resolved scenario, code version) that
  makes finished runs reusable and forecasts shared.
* ``planner.sweep.folder``: the sweep folder on disk - one writer, crash-safe run folders,
  ``runs.csv`` rows, failures recorded as data.
* ``planner.sweep.driver``: ``run_sweep`` and the Dask tasks.
* ``planner.sweep.frontier``: the budget frontier, the next $100M and the buy order (tables
  and CSVs; :mod:`planner.report.comparison` draws them).

Every name is importable from ``planner.sweep`` itself.
"""

from planner.sweep.driver import (
    Cluster,
    Observer,
    SweepResult,
    forecast_task,
    plan_task,
    run_sweep,
)
from planner.sweep.folder import (
    FAILED,
    OK,
    PENDING,
    RESULT_COLUMNS,
    RUNS_COLUMNS,
    TIME_LIMIT,
    read_done,
)
from planner.sweep.hashing import HASH_SCHEME, code_version, forecast_key, inputs_digest
from planner.sweep.spec import (
    MAX_BUDGETS,
    RunSpec,
    Stages,
    budget_label,
    budget_variant,
    load_scenarios,
    plan_runs,
    safe_name,
    with_threads,
)

__all__ = [
    "FAILED",
    "HASH_SCHEME",
    "MAX_BUDGETS",
    "OK",
    "PENDING",
    "RESULT_COLUMNS",
    "RUNS_COLUMNS",
    "TIME_LIMIT",
    "Cluster",
    "Observer",
    "RunSpec",
    "Stages",
    "SweepResult",
    "budget_label",
    "budget_variant",
    "code_version",
    "forecast_key",
    "forecast_task",
    "inputs_digest",
    "load_scenarios",
    "plan_runs",
    "plan_task",
    "read_done",
    "run_sweep",
    "safe_name",
    "with_threads",
]
