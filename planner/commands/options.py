"""Click options shared by several commands: ``--inputs``, ``--scenario``, ``--out``, ...

Why factories, not constants: an option must mean the same thing (type, destination, default,
units) in every command, but its help says what *that* command reads or writes, so each command
passes its own help text. Imports only click and pathlib: ``planner.cli`` and every
``planner.commands`` module import this one, so it must not import them back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from planner.config import Scenario

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_INPUTS = Path("inputs")
#: a week, as ``solver.time_limit_s`` in the scenario
MAX_TIME_LIMIT_S = 7 * 86400.0
DEFAULT_SCENARIO = Path("inputs/scenarios/base.yaml")

INPUTS_HELP = "Folder with sites.csv, corridors.csv, ... (see inputs/README.md)."
SCENARIO_HELP = "Scenario YAML (budget in USD, horizon in years, solver settings)."


def _path() -> click.Path:
    return click.Path(path_type=Path)


def inputs_option(help: str = INPUTS_HELP) -> Callable[[F], F]:
    """``--inputs DIR`` -> ``inputs_dir``, default ``inputs``."""
    return click.option(
        "--inputs",
        "inputs_dir",
        type=_path(),
        default=DEFAULT_INPUTS,
        show_default=True,
        help=help,
    )


def scenario_option(
    help: str = SCENARIO_HELP,
    *,
    multiple: bool = False,
    default: Path | None = DEFAULT_SCENARIO,
) -> Callable[[F], F]:
    """``--scenario YAML`` -> ``scenario_path``; repeatable -> ``scenario_paths`` (a tuple).

    ``default=None`` makes it optional with no default shown (say so in ``help``).
    """
    kw: dict[str, Any] = {"default": None}
    if default is not None:
        kw = {"default": (default,) if multiple else default, "show_default": True}
    return click.option(
        "--scenario",
        "scenario_paths" if multiple else "scenario_path",
        type=_path(),
        multiple=multiple,
        help=help,
        **kw,
    )


def out_option(
    help: str,
    *,
    dest: str = "out_dir",
    required: bool = False,
    default: Path | None = None,
) -> Callable[[F], F]:
    """``--out PATH`` -> ``dest`` (a folder, or a file with ``dest="out_file"``).

    A default is shown in --help; with none, say in ``help`` what happens without ``--out``.
    """
    kw: dict[str, Any] = {"required": True} if required else {"default": default}
    if default is not None:
        kw["show_default"] = True
    return click.option(
        "--out", dest, type=_path(), help=help, callback=_check_out(dest != "out_file"), **kw
    )


def _check_out(folder: bool) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """Refuse an unwritable ``--out`` before any work, in one line (exit 2, not a traceback
    a minute later)."""

    def check(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None:
            from planner.io.folder import check_out_path  # lazy: this module imports click only

            check_out_path(value, folder=folder)
        return value

    return check


def plan_option(help: str, *, required: bool = True) -> Callable[[F], F]:
    """``--plan DIR`` -> ``plan_dir``: a plan folder written by ``planner run``."""
    return click.option("--plan", "plan_dir", type=_path(), required=required, help=help)


def demand_option(help: str) -> Callable[[F], F]:
    """``--demand CSV`` -> ``demand_path``: fixed demand instead of the forecast (optional)."""
    return click.option("--demand", "demand_path", type=_path(), default=None, help=help)


def time_limit_option(help: str, *, dest: str = "time_limit") -> Callable[[F], F]:
    """``--time-limit S`` -> ``dest``: solver wall-clock seconds (> 0), default the scenario's."""
    return click.option(
        "--time-limit",
        dest,
        type=FiniteFloatRange(min=0, min_open=True, max=MAX_TIME_LIMIT_S),
        default=None,
        help=help,
    )


def formulation_option() -> Callable[[F], F]:
    """``--formulation auto|path|arc``: which flow model the optimiser builds."""
    return click.option(
        "--formulation",
        type=click.Choice(["auto", "path", "arc"]),
        default="auto",
        show_default=True,
        help="path: k shortest admissible paths per pair (latency limits); arc: "
        "multi-commodity flow on corridors (exact routing, no latency limits); auto: path, "
        "and for min-cost where no latency limit can bind, then arc from the path plan.",
    )


def objective_option() -> Callable[[F], F]:
    """``--objective max-served|min-cost``: overrides the scenario's ``objective``."""
    return click.option(
        "--objective",
        type=click.Choice(["max-served", "min-cost"]),
        default=None,
        help="max-served: serve most demand within the budget, then least CapEx; "
        "min-cost: serve all demand at least CapEx, no budget.  [default: scenario's]",
    )


def override_scenario(
    scenario: Scenario,
    objective: str | None = None,
    solver: str | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
) -> Scenario:
    """The scenario with the command line's objective and solver settings on top (None:
    the scenario's), so the run folder's scenario.yaml records what was planned."""
    sv = {
        k: v
        for k, v in (("name", solver), ("time_limit_s", time_limit), ("mip_gap", mip_gap))
        if v is not None
    }
    upd: dict = {"solver": scenario.solver.model_copy(update=sv)} if sv else {}
    if objective:
        upd["objective"] = objective
    return scenario.model_copy(update=upd) if upd else scenario


class FiniteFloatRange(click.FloatRange):
    """click's FloatRange, refusing ``nan`` (every comparison with it is false, so a range lets
    it through) and ``inf`` even without a bound: no option of the planner means either."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"got {value!r}, expected a finite number", param, ctx)
        return rv


def start_year_option(help: str) -> Callable[[F], F]:
    """``--start-year YYYY`` -> ``start_year``: first planning year, default 2026."""
    return click.option(
        "--start-year",
        type=click.IntRange(min=1991, max=2100),
        default=2026,
        show_default=True,
        help=help,
    )
