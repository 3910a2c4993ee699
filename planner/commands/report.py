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
def report(plan_dir: Path, out_dir: Path | None, formats: tuple[str, ...]) -> None:
    """Render network_map.png, forecast_fan.png, capex_by_year.png, utilization_heatmap.png,
    unserved.png (+ forecast_pairs.png) and report.pdf from a plan directory (offline)."""
    import time

    from planner.commands.progress import activity
    from planner.io.folder import staged_folder
    from planner.report import render

    t = time.perf_counter()
    out = out_dir or plan_dir
    # figures replace the old ones together: a reader never sees half a re-rendered report
    with staged_folder(out, keep=True) as tmp, activity("report"):
        written = [out / p.relative_to(tmp) for p in render(plan_dir, tmp, formats=formats)]
    for p in written:
        click.echo(f"wrote {p}")
    click.echo(f"report: {len(written)} file(s) in {time.perf_counter() - t:.1f} s")
