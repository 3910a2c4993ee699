"""Command line: thin click commands over the library.

Why one error path: every :class:`~planner.errors.InputError` raised anywhere below is printed
here as one red line per problem, with exit code 2 and no traceback (``--debug`` shows it).
"""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import click

from planner import __version__
from planner.commands.options import (
    DEFAULT_SCENARIO,
    demand_option,
    formulation_option,
    inputs_option,
    objective_option,
    out_option,
    override_scenario,
    scenario_option,
    time_limit_option,
)
from planner.errors import (
    InputError,
    InputWarning,
    SolverError,
    reset_allow_implausible,
    set_allow_implausible,
)

#: Exit codes (also in README.md): 0 done; 1 ``verify`` found violations or a sweep finished
#: with failed runs (``sweep`` exits with their number, at most 100); 2 bad input, bad option or
#: an output path that cannot be written; 3 the solver returned no plan; 130 interrupted.
EXIT_INPUT = 2
EXIT_SOLVER = 3
EXIT_INTERRUPTED = 130
STAGES = ("forecast", "optimize", "report")


def echo_problems(err: InputError) -> None:
    for p in err.problems:
        click.secho(f"error: {p}", fg="red", err=True)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    """Input warnings as one yellow line each, at the moment they are found."""
    if issubclass(category, InputWarning):
        click.secho(f"warning: {message}", fg="yellow", err=True)
    else:  # pragma: no cover - library warnings keep Python's format
        click.echo(warnings.formatwarning(message, category, filename, lineno, line), err=True)


class PlannerGroup(click.Group):
    """Turns library errors into one-line messages and exit codes."""

    def invoke(self, ctx: click.Context):
        token = set_allow_implausible(bool(ctx.params.get("allow_implausible")))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", InputWarning)
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except InputError as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            echo_problems(e)
            ctx.exit(EXIT_INPUT)
        except SolverError as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.secho(f"error: solver: {e}", fg="red", err=True)
            ctx.exit(EXIT_SOLVER)
        except OSError as e:  # a file or folder the OS refused: name it, no traceback
            if ctx.obj and ctx.obj.get("debug"):
                raise
            where = e.filename if e.filename is not None else "<file>"
            click.secho(f"error: {where}: {e.strerror or e}", fg="red", err=True)
            ctx.exit(EXIT_INPUT)
        except KeyboardInterrupt:  # click's own handling says "Aborted!" and exits 1
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.secho(
                "interrupted: folders being written were left as they were", fg="yellow", err=True
            )
            ctx.exit(EXIT_INTERRUPTED)
        finally:
            reset_allow_implausible(token)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Whole first sentences of every command's help, wrapped (click cuts them at ~45)."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                first = (cmd.short_help or cmd.help or "").strip().split("\n\n")[0]
                rows.append((name, " ".join(first.split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=PlannerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="planner")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.option(
    "--allow-implausible",
    is_flag=True,
    help="Input values above a column's plausibility bound (inputs/README.md, 'plausible') "
    "are warnings instead of errors. Hard bounds still apply.",
)
@click.pass_context
def main(ctx: click.Context, debug: bool, allow_implausible: bool) -> None:
    """dci-planner: which AI-corridor upgrades to buy, how much, when, under a CapEx budget.

    Typical use: `planner run --inputs inputs --scenario inputs/scenarios/base.yaml
    --out reports/base`. Units are in option and column names (Gbps, km, USD, ms, MW).
    Exit codes: 0 done, 1 verify found violations / a sweep had failed runs, 2 bad input or
    unwritable output, 3 solver returned no plan, 130 interrupted.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@main.command()
@inputs_option()
@scenario_option(
    f"Scenario YAML checked with the inputs (as `run` reads it).  [default: {DEFAULT_SCENARIO}, "
    "skipped if that file does not exist]",
    default=None,
)
def validate(inputs_dir: Path, scenario_path: Path | None) -> None:
    """Check every input table and the scenario; list every problem, exit 2 if any."""
    from planner.io import read_inputs
    from planner.io.inputs import read_inputs_and_scenario

    if scenario_path is None and DEFAULT_SCENARIO.is_file():
        scenario_path = DEFAULT_SCENARIO
    if scenario_path is None:
        inputs = read_inputs(inputs_dir)
        click.echo(f"note: no scenario checked ({DEFAULT_SCENARIO} not found)")
    else:
        inputs, _ = read_inputs_and_scenario(inputs_dir, scenario_path)
    s = inputs.summary()
    click.echo(
        f"OK: {s['sites']} sites, {s['corridors']} corridors, {s['candidate_routes']} "
        f"candidate routes, {s['upgrade_options']} upgrade options, "
        f"{s['pairs_with_history']} pairs x {s['history_months']} months of history"
        + (f", scenario {scenario_path}" if scenario_path else "")
    )


@main.command()
@inputs_option()
@scenario_option()
@out_option(
    "Run folder to write (plan tables, report); built beside it and swapped in whole at the "
    "end, so an interrupted run leaves the previous folder as it was.",
    default=Path("reports/base"),
)
@demand_option("Fixed demand CSV (site_a, site_b, year, demand_gbps) instead of the forecast.")
@click.option(
    "--stages",
    default=",".join(STAGES),
    show_default=True,
    help=f"Comma-separated stages to run after validation, any of: {', '.join(STAGES)}.",
)
@time_limit_option("Solver wall-clock limit in seconds.  [default: scenario's solver.time_limit_s]")
@objective_option()
@formulation_option()
@click.option(
    "--plan-of-record",
    "plan_of_record",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Earlier plan folder (last year's run): its purchases and lease contracts up to "
    "--frozen-through are kept as commitments, the open years re-planned; changes.csv and the "
    "report list what changed.",
)
@click.option(
    "--frozen-through",
    "frozen_through",
    type=int,
    default=None,
    help="Last year of the plan of record whose orders are placed.  [default: start_year]",
)
def run(
    inputs_dir: Path,
    scenario_path: Path,
    out_dir: Path,
    demand_path: Path | None,
    stages: str,
    time_limit: float | None,
    objective: str | None,
    formulation: str,
    plan_of_record: Path | None,
    frozen_through: int | None,
) -> None:
    """Validate, forecast, optimise and report in one go (what `make run` calls)."""
    from planner.commands.progress import Activity, staged_log
    from planner.config import Scenario
    from planner.io import read_scenario
    from planner.io.folder import RUN_MARKERS, staged_folder
    from planner.options import PlanOptions
    from planner.pipeline import run as run_pipeline

    wanted = tuple(s.strip() for s in stages.split(",") if s.strip())
    unknown = set(wanted) - set(STAGES)
    if unknown:
        raise click.BadParameter(
            f"unknown stage(s) {sorted(unknown)}, expected any of {', '.join(STAGES)}",
            param_hint="--stages",
        )
    if frozen_through is not None and plan_of_record is None:
        raise click.BadParameter(
            "needs --plan-of-record (the plan whose orders are frozen)",
            param_hint="--frozen-through",
        )
    scenario: Path | Scenario = scenario_path  # a path: its problems listed with the inputs'
    if time_limit is not None or objective is not None:
        scenario = override_scenario(read_scenario(scenario_path), objective, None, time_limit)
    shown = tuple(s for s in STAGES if s in wanted and not (s == "forecast" and demand_path))
    act = Activity()
    with staged_folder(out_dir, markers=RUN_MARKERS) as tmp:

        def echo(line: str) -> None:
            click.echo(line.replace(str(tmp), str(out_dir)))

        act.start("validate")
        try:
            run_pipeline(
                inputs_dir,
                scenario,
                tmp,
                demand_path=demand_path,
                stages=wanted,
                log=staged_log(shown, echo, act),
                options=PlanOptions(formulation=formulation),
                plan_of_record=plan_of_record,
                frozen_through=frozen_through,
            )
        finally:
            act.stop()
    click.echo(f"wrote {out_dir}/")


@main.command()
@click.option(
    "--plan",
    "plan_folder",
    is_flag=True,
    help="Print the plan folder's tables and summary.json fields instead of the inputs.",
)
def schema(plan_folder: bool) -> None:
    """Print the input table reference (columns, types, units, rules) as Markdown."""
    from planner.plan_schema import plan_markdown
    from planner.schema import markdown

    click.echo(plan_markdown() if plan_folder else markdown())


def _register(module_name: str) -> None:
    """Add every top-level click command defined in ``planner.commands.<area>``."""
    try:
        mod = importlib.import_module(f"planner.commands.{module_name}")
    except ModuleNotFoundError as e:
        if e.name == f"planner.commands.{module_name}":
            return
        raise
    cmds = [
        v
        for v in vars(mod).values()
        if isinstance(v, click.Command) and getattr(v.callback, "__module__", None) == mod.__name__
    ]
    nested = {id(c) for g in cmds if isinstance(g, click.Group) for c in g.commands.values()}
    for c in cmds:
        if id(c) not in nested:
            main.add_command(c)


for _area in ("forecast", "optimize", "report", "sweep", "failures", "importers", "risk"):
    _register(_area)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
