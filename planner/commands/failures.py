"""``planner failures --plan DIR``: demand lost under each single failure, before and after.

Why a command of its own: the availability report is asked for after the plan is made (by a
reviewer, for another failure mode, for one year), and it needs no solver, only the plan
directory: the check re-routes demand on the surviving corridors with an exact LP.
"""

from __future__ import annotations

from pathlib import Path

import click

from planner.commands.options import FiniteFloatRange, out_option, plan_option
from planner.survive.states import MODES


@click.command("failures")
@plan_option(
    "Plan directory written by `planner run` (plan CSVs, summary.json, inputs/, scenario.yaml)."
)
@click.option(
    "--mode",
    type=click.Choice(list(MODES)),
    default=None,
    help="Failures to apply: one corridor at a time, or every corridor of one shared-risk group "
    "(SRLG) together; corridors without an SRLG then fail alone.  [default: the scenario's "
    "survivability, single_srlg if it is none]",
)
@click.option(
    "--year",
    "years",
    type=int,
    multiple=True,
    help="Planning year to check (repeat for several).  [default: every year of the plan]",
)
@out_option(
    "Folder for failures.csv, failures.png, failure_pairs.csv and latency.csv.  "
    "[default: the plan directory]"
)
@click.option(
    "--tol-gbps",
    type=FiniteFloatRange(min=0),
    default=0.01,
    show_default=True,
    help="Protected demand lost above this (Gbps) makes a state-year not survivable.",
)
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Failure states printed (worst first); the CSV has all of them.",
)
def failures(
    plan_dir: Path,
    mode: str | None,
    years: tuple[int, ...],
    out_dir: Path | None,
    tol_gbps: float,
    top: int,
) -> None:
    """Table (failures.csv) and figure (failures.png) of demand lost under every single
    corridor or SRLG failure, with installed capacity only (before) and with the plan (after);
    plus the latency report (latency.csv) of pairs without an admissible path."""
    import time

    from planner.commands.progress import activity
    from planner.errors import InputError, Problem
    from planner.io.atomic import write_csv
    from planner.io.folder import staged_folder
    from planner.io.plan import read_plan
    from planner.io.run import read_run_inputs
    from planner.report.failures import render_failures
    from planner.survive.failures import failure_table, plan_demand
    from planner.survive.latency import latency_report

    t0 = time.perf_counter()
    plan = read_plan(plan_dir)
    inputs, scenario = read_run_inputs(plan_dir)
    demand = plan_demand(plan)
    have = sorted(int(y) for y in demand["year"].unique())
    bad = [y for y in years if y not in have]
    if bad:
        raise InputError(
            Problem("--year", f"got {bad}, expected years of the plan {have}", column="year")
        )
    out = out_dir or plan_dir
    with activity("failures"):
        table, pair_losses, stats = failure_table(
            inputs,
            scenario,
            plan,
            mode=mode,
            years=sorted(set(years)) or have,
            demand=demand,
            tol_gbps=tol_gbps,
        )
        lat = latency_report(inputs, scenario, demand)
    names = ("failures.csv", "failure_pairs.csv", "latency.csv", "failures.png")
    with staged_folder(out, keep=True) as tmp:  # the four files change together
        write_csv(table, tmp / names[0])
        write_csv(pair_losses, tmp / names[1])
        write_csv(lat, tmp / names[2])
        render_failures(table, tmp / names[3], mode=stats["mode"])
    files = [out / n for n in names]
    _print_table(table, top, tol_gbps)
    if len(lat):
        click.echo(
            f"{len(lat)} pair(s) have no path within their latency limit: see latency.csv "
            f"(e.g. {lat.iloc[0]['site_a']}-{lat.iloc[0]['site_b']}: {lat.iloc[0]['suggestion']})"
        )
    for f in files:
        click.echo(f"wrote {f}")
    click.echo(
        f"failures: {stats['states']} {stats['mode']} states x {len(stats['years'])} years "
        f"in {time.perf_counter() - t0:.1f} s"
    )


def _print_table(table, top: int, tol_gbps: float) -> None:
    from planner.report.style import fmt_gbps

    last = int(table["year"].max())
    t = table[(table["year"] == last) & (table["state_id"] != "none")]
    base = table[(table["year"] == last) & (table["state_id"] == "none")].iloc[0]
    bad = t[~t["survivable_after"]]
    click.echo(
        f"{last}: demand {fmt_gbps(base['demand_gbps'])}, protected "
        f"{fmt_gbps(base['protected_gbps'])}; with nothing failed "
        f"{fmt_gbps(base['lost_before_gbps'])} lost before the plan, "
        f"{fmt_gbps(base['lost_after_gbps'])} after"
    )
    allyrs = table[table["state_id"] != "none"]
    ok = allyrs.groupby("state_id")["survivable_after"].all()
    click.echo(
        f"{int(ok.sum())} of {len(ok)} failure states keep all protected demand after the plan "
        f"in every year (tolerance {tol_gbps:g} Gbps); in {last}: {len(t) - len(bad)} of {len(t)}"
    )
    if not ok.all():
        w = allyrs.loc[allyrs["protected_lost_after_gbps"].idxmax()]
        click.echo(
            f"worst: {w['state_id']} in {int(w['year'])} loses "
            f"{fmt_gbps(w['protected_lost_after_gbps'])} of protected demand"
        )
    if top == 0 or not len(t):
        return
    t = t.sort_values(
        ["protected_lost_after_gbps", "served_fraction_after", "state_id"],
        ascending=[False, True, True],
    ).head(top)
    dem = t["demand_gbps"].where(t["demand_gbps"] > 0, 1.0)
    before = 1.0 - t["lost_before_gbps"] / dem
    w = max(12, int(t["state_id"].str.len().max()))
    click.echo(
        f"{'failure state':<{w}}  {'carried before':>14}  {'carried after':>13}  "
        f"{'protected lost after':>20}"
    )
    for r, b in zip(t.itertuples(), before, strict=True):
        click.echo(
            f"{r.state_id:<{w}}  {b:>14.1%}  {r.served_fraction_after:>13.1%}  "
            f"{fmt_gbps(r.protected_lost_after_gbps):>20}"
        )
