"""``planner optimize`` (plan only) and ``planner verify`` (re-check a written plan).

Why a separate ``optimize`` next to ``run``: planners re-plan with a fixed demand table, a
different objective or time limit without re-forecasting; ``verify`` lets anyone confirm a plan
folder satisfies every constraint without trusting (or even having) the solver.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from planner.commands.options import (
    FiniteFloatRange,
    demand_option,
    formulation_option,
    inputs_option,
    objective_option,
    out_option,
    override_scenario,
    plan_option,
    scenario_option,
    time_limit_option,
)

if TYPE_CHECKING:
    from planner.config import Scenario
    from planner.helper import Helper
    from planner.tables import Inputs


@click.command()
@inputs_option("Folder with sites.csv, corridors.csv, ...")
@scenario_option()
@out_option("Plan folder to write (tables, summary.json, inputs copy).", required=True)
@demand_option(
    "Demand CSV (site_a, site_b, year, demand_gbps) instead of the forecast.  "
    "[default: forecast the scenario's quantile]"
)
@objective_option()
@formulation_option()
@click.option(
    "--solver",
    type=click.Choice(["highs", "cbc"]),
    default=None,
    help="MIP solver.  [default: scenario's, highs]",
)
@time_limit_option("Solver wall-clock limit in seconds.  [default: scenario's]")
@click.option(
    "--mip-gap",
    "mip_gap",
    type=FiniteFloatRange(0, 1, max_open=True),
    default=None,
    help="Relative MIP gap to stop at, e.g. 0.01 = 1 %.  [default: scenario's]",
)
@click.option(
    "--start",
    "start_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Plan folder whose upgrades.csv is the MIP start: re-plan with more time or "
    "budget and never come back with less than that plan (if it still fits the budget).",
)
@click.option(
    "--full-survivability",
    is_flag=True,
    help="Survivable scenarios: put every failure state's re-routing flows in one model "
    "(the giant model, for comparison; slow) instead of adding violated states by row "
    "generation.",
)
@click.option(
    "--no-marginals",
    is_flag=True,
    help="Skip the two dual LPs behind marginal_values.csv and budget marginals.",
)
def optimize(
    inputs_dir: Path,
    scenario_path: Path,
    out_dir: Path,
    demand_path: Path | None,
    objective: str | None,
    formulation: str,
    solver: str | None,
    time_limit: float | None,
    mip_gap: float | None,
    start_dir: Path | None,
    full_survivability: bool,
    no_marginals: bool,
) -> None:
    """Plan upgrades (no report): write upgrades/capacity/unserved/routing CSVs + summary.json."""
    from planner.io.inputs import read_inputs_and_scenario
    from planner.pipeline import start_helper

    inputs, scenario = read_inputs_and_scenario(inputs_dir, scenario_path)
    scenario = override_scenario(scenario, objective, solver, time_limit, mip_gap)
    if full_survivability and scenario.survivability == "none":
        raise click.BadParameter(
            f"{scenario_path} has survivability: none (expected single_corridor or single_srlg)",
            param_hint="--full-survivability",
        )
    helper = start_helper(inputs, scenario, ("optimize",))  # imports while we forecast
    try:
        _plan_to_folder(inputs, scenario, out_dir, demand_path, start_dir, formulation,
                        no_marginals, full_survivability, helper)  # fmt: skip
    finally:
        if helper is not None:
            helper.close()


def _plan_to_folder(
    inputs: Inputs, scenario: Scenario, out_dir: Path, demand_path: Path | None,
    start_dir: Path | None, formulation: str, no_marginals: bool, full_survivability: bool,
    helper: Helper | None,
) -> None:  # fmt: skip
    """Forecast (unless --demand), plan, write the staged folder, print the result."""
    from planner.commands.progress import activity
    from planner.io.atomic import write_csv
    from planner.io.folder import RUN_MARKERS, staged_folder
    from planner.io.plan import read_plan, write_plan
    from planner.io.run import read_demand, write_run_inputs
    from planner.options import PlanOptions
    from planner.pipeline import plan_stage

    if demand_path is not None:
        demand = read_demand(demand_path)
        fc = None
    else:
        from planner.forecast import demand_for, forecast

        with activity("forecast"):
            fc = forecast(inputs, scenario)
        demand = demand_for(fc, scenario)
    start = read_plan(start_dir).upgrades if start_dir is not None else None
    opts = PlanOptions(
        formulation=formulation, marginals=not no_marginals, full_survivability=full_survivability
    )
    # built beside --out and swapped in whole: an interrupted re-plan leaves the old folder
    with staged_folder(out_dir, markers=RUN_MARKERS) as tmp:
        write_run_inputs(tmp, inputs, scenario)
        if fc is not None:
            write_csv(fc, tmp / "forecast.csv")
        write_csv(demand, tmp / "demand.csv")
        with activity("optimize") as act:

            def log(line: str) -> None:  # survivable rounds: one line each, bar restarted
                act.stop()
                click.echo(line)
                act.start("optimize")

            # survivable scenarios go through row generation, as in `planner run`
            p = plan_stage(inputs, demand, scenario, opts, log=log, start=start, forecast_df=fc,
                           helper=helper)  # fmt: skip
        write_plan(p, tmp)
        if fc is not None and scenario.demand.mode != "quantile":
            from planner.pipeline import planned_demand, write_scenarios_stage

            write_scenarios_stage(inputs, fc, scenario, tmp)
            write_csv(planned_demand(p), tmp / "demand.csv")
    _echo_result(p.summary, start_dir if start is not None else None)
    click.echo(f"wrote {out_dir}/")


def _echo_result(s: dict, start_dir: Path | None) -> None:
    """Solver line, then the plan line `planner run` prints (one wording for both commands:
    bound scope, served gap, leases, scenario caveats), then start, survivability, warnings."""
    from planner.pipeline import plan_line, survivability_line

    status = s["solver_status"]
    colour = "green" if status in ("optimal", "served_gap_reached") else "yellow"
    click.secho(
        f"{s['solver']} {status}: objective {s['objective']:,.0f}, "
        f"build {s['build_seconds']:.1f} s, solve {s['solve_seconds']:.1f} s",
        fg=colour,
    )
    click.echo(
        f"{plan_line(s)}; unserved {s['unserved_gbps_final_year']:,.0f} Gbps in {s['years'][-1]}"
    )
    if start_dir is not None:
        used = s.get("heuristic_used") == "previous_plan"
        why = s.get("start_plan_rejected")
        verdict = (
            "used as the MIP start" if used else f"not used ({why or 'a better start was found'})"
        )
        click.echo(f"start: {start_dir}'s plan {verdict}")
    if s.get("survivability"):
        click.echo(survivability_line(s))
    for w in s["warnings"]:
        click.secho(f"warning: {w}", fg="yellow", err=True)


@click.command()
@plan_option("Plan folder to check (as for report / failures).", required=False)
@click.argument("plan_arg", metavar="[PLAN_DIR]", required=False, type=click.Path(path_type=Path))
def verify(plan_dir: Path | None, plan_arg: Path | None) -> None:
    """Re-check every constraint of a plan folder from its CSV files (no solver).

    Give the folder as `--plan DIR` (like report and failures) or as PLAN_DIR.
    Exit 0 with "OK: N checks", or print each violation and exit 1.
    """
    from planner.verify import verify_plan

    if plan_dir is not None and plan_arg is not None and plan_dir != plan_arg:
        raise click.UsageError(f"two plan folders given ({plan_dir} and {plan_arg}); give one")
    plan_dir = plan_dir or plan_arg
    if plan_dir is None:
        raise click.UsageError("missing the plan folder: --plan DIR (or PLAN_DIR)")
    res = verify_plan(plan_dir)
    for n in res.notes:
        click.echo(f"note: {n}")
    if res.ok:
        click.secho(f"OK: {res.checks} checks", fg="green")
        return
    for v in res.violations:
        click.secho(f"violation: {v}", fg="red")
    click.secho(f"FAILED: {len(res.violations)} violations in {res.checks} checks", fg="red")
    raise click.exceptions.Exit(1)
