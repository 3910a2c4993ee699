"""Command line: thin click commands over the library.

Why one error path: every :class:`~planner.errors.InputError` raised anywhere below is printed
here as one red line per problem, with exit code 2 and no traceback (``--debug`` shows it).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from planner import __version__
from planner.commands.options import demand_option, inputs_option, out_option, scenario_option
from planner.errors import InputError, SolverError

EXIT_INPUT = 2
EXIT_SOLVER = 3


def echo_problems(err: InputError) -> None:
    for p in err.problems:
        click.secho(f"error: {p}", fg="red", err=True)


class PlannerGroup(click.Group):
    """Turns library errors into one-line messages and exit codes."""

    def invoke(self, ctx: click.Context):
        try:
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


@click.group(cls=PlannerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="planner")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """dci-planner: which AI-corridor upgrades to buy, how much, when, under a CapEx budget.

    Typical use: `planner run --inputs inputs --scenario inputs/scenarios/base.yaml
    --out reports/base`. Units are in option and column names (Gbps, km, USD, ms, MW).
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@main.command()
@inputs_option()
@scenario_option("Also check this scenario YAML.  [default: none]", default=None)
def validate(inputs_dir: Path, scenario_path: Path | None) -> None:
    """Check every input table (and a scenario); list every problem, exit 2 if any."""
    from planner.io import read_inputs, read_scenario

    problems = []
    inputs = None
    try:
        inputs = read_inputs(inputs_dir)
    except InputError as e:
        problems += e.problems
    if scenario_path is not None:
        try:
            read_scenario(scenario_path)
        except InputError as e:
            problems += e.problems
    if problems:
        raise InputError(problems)
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
@out_option("Run folder to write (plan tables, report).", default=Path("reports/base"))
@demand_option("Fixed demand CSV (site_a, site_b, year, demand_gbps) instead of the forecast.")
@click.option(
    "--stages",
    default="forecast,optimize,report",
    show_default=True,
    help="Comma-separated stages to run after validation.",
)
def run(
    inputs_dir: Path, scenario_path: Path, out_dir: Path, demand_path: Path | None, stages: str
) -> None:
    """Validate, forecast, optimise and report in one go (what `make run` calls)."""
    from planner.pipeline import run as run_pipeline

    wanted = tuple(s.strip() for s in stages.split(",") if s.strip())
    unknown = set(wanted) - {"forecast", "optimize", "report"}
    if unknown:
        raise click.BadParameter(f"unknown stage(s) {sorted(unknown)}", param_hint="--stages")
    res = run_pipeline(
        inputs_dir, scenario_path, out_dir, demand_path=demand_path, stages=wanted, log=click.echo
    )
    click.echo(f"wrote {res.out_dir}/")


@main.command()
def schema() -> None:
    """Print the input table reference (columns, types, units, rules) as Markdown."""
    from planner.schema import markdown

    click.echo(markdown())


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


for _area in ("forecast", "optimize", "report", "sweep", "failures", "importers"):
    _register(_area)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
