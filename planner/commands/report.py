"""``planner report``: re-render the figures and PDF of a plan directory without re-solving."""

from __future__ import annotations

from pathlib import Path

import click

from planner.commands.options import out_option, plan_option


@click.command("report")
@plan_option(
    "Plan directory written by `planner run` (plan CSVs, summary.json, inputs/, "
    "scenario.yaml, forecast.csv)."
)
@out_option("Folder for the PNGs and report.pdf.  [default: the plan directory]")
@click.option(
    "--format",
    "formats",
    type=click.Choice(["png", "pdf"]),
    multiple=True,
    default=("png", "pdf"),
    show_default=True,
    help="Output format; repeat for both. PNGs are 1650 x 1275 px (11 x 8.5 in at 150 dpi).",
)
@click.option(
    "--risk",
    "risk_n",
    type=click.IntRange(1, 100_000),
    default=None,
    help="First judge the plan on N fresh joint demand scenarios (as `planner risk`: risk.csv, "
    "risk.json) and add a Risk page. Without it the Risk page appears only when `planner "
    "risk` already wrote its results into the plan directory.  [default: off; 1000 is what "
    "`planner risk` uses]",
)
def report(
    plan_dir: Path, out_dir: Path | None, formats: tuple[str, ...], risk_n: int | None
) -> None:
    """Render network_map.png, forecast_fan.png, capex_by_year.png, utilization_heatmap.png,
    unserved.png (+ forecast_pairs.png, risk.png) and report.pdf from a plan directory
    (offline)."""
    import time

    from planner.commands.progress import activity
    from planner.io.folder import staged_folder
    from planner.report import render

    t = time.perf_counter()
    out = out_dir or plan_dir
    # figures replace the old ones together: a reader never sees half a re-rendered report
    with staged_folder(out, keep=True) as tmp:
        risk = None
        if risk_n is not None:
            with activity(f"risk on {risk_n:,} scenarios"):
                risk = _plan_risk(plan_dir, risk_n, tmp)
        with activity("report"):
            written = [out / p.relative_to(tmp) for p in render(plan_dir, tmp, formats, risk)]
        if risk is not None:
            written += [out / "risk.csv", out / "risk.json"]
    for p in written:
        click.echo(f"wrote {p}")
    click.echo(f"report: {len(written)} file(s) in {time.perf_counter() - t:.1f} s")


def _plan_risk(plan_dir: Path, n: int, out: Path):
    """Judge the plan on ``n`` fresh scenarios (the seed ``planner risk`` uses by default) and
    write ``risk.csv`` / ``risk.json`` into ``out``; returns what the Risk page draws."""
    from planner.io.risk import RiskResults, read_plan_run, write_risk
    from planner.scenarios.risk import evaluate_plan

    r = read_plan_run(plan_dir)
    res = evaluate_plan(
        r.inputs, r.forecast, r.scenario, r.capacity, n=n, routing=r.routing,
        capex_usd=r.summary.get("capex_usd_total"),
    )  # fmt: skip
    summary = {"plan": r.name, "path": str(r.path), **res.summary}
    write_risk(res.table, summary, out)
    return RiskResults(res.table.assign(plan=r.name)[["plan", *res.table.columns]], [summary])
