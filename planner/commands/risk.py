"""``planner risk``: how often do plans carry fresh joint demand scenarios? (issue 17)."""

from __future__ import annotations

from pathlib import Path

import click

from planner.commands.options import out_option
from planner.units import usd_text


@click.command("risk")
@click.option(
    "--plan",
    "plan_dirs",
    type=click.Path(path_type=Path),
    multiple=True,
    required=True,
    help="Plan folder written by `planner run` / `optimize`; repeat to compare plans.",
)
@click.option(
    "--scenarios",
    "n",
    type=click.IntRange(1, 100_000),
    default=1000,
    show_default=True,
    help="Fresh joint demand scenarios to route on each plan's capacity.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=None,
    help="Sampling seed.  [default: the first plan's seed + 1000003, never a planning seed]",
)
@out_option(
    "Folder for risk_comparison.csv/.png.  [default: the first plan folder]; each plan's "
    "risk.csv / risk.json go into its own folder."
)
def risk(plan_dirs: tuple[Path, ...], n: int, seed: int | None, out_dir: Path | None) -> None:
    """Out-of-sample risk of plans: P(serve all) by pair class and year, expected and P95
    unserved Gbps, CapEx; every plan is judged on the same scenarios (drawn from the first
    plan's forecast)."""
    import time

    import pandas as pd

    from planner.commands.progress import activity
    from planner.io.risk import read_plan_run, write_risk, write_risk_comparison
    from planner.report.risk import draw_risk
    from planner.scenarios.risk import FRESH_SEED_OFFSET, evaluate_plan

    t = time.perf_counter()
    runs = [read_plan_run(d) for d in plan_dirs]
    ref = runs[0]
    names = [r.name for r in runs]
    if len(set(names)) < len(names):  # folders of one name: tell them apart by their parent
        names = [f"{r.path.parent.name}/{r.name}" for r in runs]
    if len(set(names)) < len(names):
        names = [f"{i + 1}:{n}" for i, n in enumerate(names)]
    tables, summaries = [], []
    for r, name in zip(runs, names, strict=True):
        with activity(f"risk {name}"):
            res = evaluate_plan(
                ref.inputs, ref.forecast, r.scenario, r.capacity, n=n,
                seed=ref.scenario.seed + FRESH_SEED_OFFSET if seed is None else seed,
                routing=r.routing, capex_usd=r.summary.get("capex_usd_total"),
            )  # fmt: skip
        summary = {"plan": name, "path": str(r.path), **res.summary}
        write_risk(res.table, summary, r.path)
        tables.append(res.table.assign(plan=name))
        summaries.append(summary)
        capex = summary["capex_usd_total"]
        capex_s = usd_text(capex) if capex is not None else "capex n/a"
        click.echo(
            f"{name}: {capex_s}, P(serve all) {summary['p_serve_all']:.1%}, expected "
            f"unserved {summary['unserved_gbps_years_mean']:,.0f} Gbps-years (P95 "
            f"{summary['unserved_gbps_years_p95']:,.0f})"
        )
    out = out_dir or ref.path
    cmp = pd.concat(tables, ignore_index=True)
    cmp = cmp[["plan", *[c for c in cmp.columns if c != "plan"]]]
    write_risk_comparison(cmp, out, summaries)
    png = draw_risk(out, cmp, summaries, n)
    click.echo(f"wrote {out / 'risk_comparison.csv'}, {png} ({time.perf_counter() - t:.1f} s)")
