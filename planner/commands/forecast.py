"""``planner forecast``, ``planner backtest`` and ``planner ingest``.

Why thin: the library does the work (``planner.forecast``); these commands read, call, write
atomically and print a short summary. InputError propagates to the main group, which prints
one line per problem and exits 2.
"""

from __future__ import annotations

from pathlib import Path

import click

from planner.commands.options import FiniteFloatRange, inputs_option, out_option, scenario_option
from planner.errors import InputError, Problem

INPUTS_HELP = (
    "Folder with sites.csv, ai_buildout.csv, demand_history.csv, ... (see inputs/README.md)."
)


def _config(new_pairs: str, max_new_pairs: int, mw_adjust: bool, jobs: int):
    from planner.forecast import ForecastConfig

    return ForecastConfig(
        new_pairs=new_pairs, max_new_pairs=max_new_pairs, mw_adjust=mw_adjust, n_jobs=jobs
    )


_NEW_PAIRS = click.option(
    "--new-pairs",
    type=click.Choice(["ai", "all", "none"]),
    default="ai",
    show_default=True,
    help="Pairs without history given a gravity forecast: at least one ai_campus end, any, none.",
)
_MAX_NEW = click.option(
    "--max-new-pairs",
    type=click.IntRange(min=0),
    default=500,
    show_default=True,
    help="Cap on new (gravity) pairs; the optimiser routes every pair.",
)
_MW = click.option(
    "--mw-adjust/--no-mw-adjust",
    default=True,
    show_default=True,
    help="Let announced AI MW at a pair's ends move its forecast (kept per pair only where "
    "it fits the history better by AICc).",
)
_JOBS = click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Threads for the ETS fit (same results for any value).",
)


@click.command("forecast")
@inputs_option(INPUTS_HELP)
@scenario_option("Scenario YAML: start_year, horizon_years, demand_quantile, growth.")
@out_option("Output folder; writes DIR/forecast.csv (Gbps per pair and year).", required=True)
@_NEW_PAIRS
@_MAX_NEW
@_MW
@_JOBS
def forecast_cmd(
    inputs_dir: Path,
    scenario_path: Path,
    out_dir: Path,
    new_pairs: str,
    max_new_pairs: int,
    mw_adjust: bool,
    jobs: int,
) -> None:
    """Forecast December demand per site pair and planning year (mean, P50, P90, P95 Gbps).

    Pairs with history: bursts winsorised, calendar seasonality removed where significant,
    per-pair ETS on log traffic (flat / drift / trend / damped trend, chosen by AICc; < 12
    months: own drift shrunk toward the typical one); P90/P95 widths learned from the
    model's own rolling-origin errors; values above a plausible cap (history max x growth x
    MW driver) are clipped and flagged in the capped / cap_reason columns. New AI pairs:
    gravity model on announced AI MW. Growth low/base/high scales forecast log-growth by
    0.5/1/1.5. See `planner.forecast` for the formulas.
    """
    import time

    from planner.commands.progress import activity
    from planner.forecast import forecast
    from planner.io.atomic import write_csv
    from planner.io.inputs import read_inputs_and_scenario

    t0 = time.perf_counter()
    inputs, scenario = read_inputs_and_scenario(inputs_dir, scenario_path)
    with activity("forecast"):
        df = forecast(inputs, scenario, config=_config(new_pairs, max_new_pairs, mw_adjust, jobs))
    path = write_csv(df, Path(out_dir) / "forecast.csv")
    info = df.attrs.get("forecast", {})
    col = scenario.quantile_column
    last = df[df["year"] == scenario.years[-1]]
    models = ", ".join(f"{k} {v}" for k, v in sorted(info.get("models", {}).items()))
    grav = info.get("gravity", {})
    click.echo(
        f"forecast: {info.get('pairs_history', 0)} pairs with history ({models}), "
        f"{info.get('pairs_new', 0)} new pairs (gravity)"
    )
    click.echo(
        f"  origin {info.get('origin_month')}, growth x{info.get('growth_factor', 1):g}, "
        f"{col} total {last[col].sum() / 1000:,.1f} Tbps in {scenario.years[-1]}"
    )
    if grav.get("n_pairs"):
        click.echo(
            f"  gravity: beta {grav['beta']:.2f}, gamma {grav['gamma']:.2f}, log-sd "
            f"{grav['sigma']:.2f} from {grav['n_pairs']} pairs, "
            f"{grav['rho_gbps_per_mw']:.1f} Gbps/MW"
        )
    for note in info.get("notes", []):
        click.echo(f"  note: {note}")
    click.echo(f"wrote {path} ({len(df)} rows, {time.perf_counter() - t0:.1f} s)")


def _parse_horizons(text: str) -> tuple[int, ...]:
    try:
        hs = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise click.BadParameter(f"got {text!r}, expected months like 6,12") from None
    if not hs or any(h < 1 for h in hs):
        raise click.BadParameter(f"got {text!r}, expected positive months like 6,12")
    return hs


@click.command("backtest")
@inputs_option(INPUTS_HELP)
@click.option(
    "--horizons",
    default="6,12",
    show_default=True,
    help="Months held out at the end of the history, comma-separated.",
)
@out_option("Also write the table to this CSV file.", dest="out_file")
@_MW
@_JOBS
def backtest_cmd(
    inputs_dir: Path, horizons: str, out_file: Path | None, mw_adjust: bool, jobs: int
) -> None:
    """Rolling-origin backtest: MASE, sMAPE and P90/P95 coverage per model and overall.

    For each horizon H the last H months are held out, the forecaster is refitted on the rest
    and compared with what happened, next to seasonal-naive and drift baselines.
    cover_p90 is the share of held-out months at or below the forecast P90 (target 0.90).
    """
    from planner.forecast.backtest import backtest
    from planner.io import read_inputs
    from planner.io.atomic import write_csv

    hs = _parse_horizons(horizons)
    inputs = read_inputs(inputs_dir)
    try:
        df = backtest(inputs, hs, config=_config("none", 0, mw_adjust, jobs))
    except ValueError as e:
        raise InputError(Problem(str(Path(inputs_dir) / "demand_history.csv"), str(e))) from None
    _print_table(df)
    if out_file is not None:
        write_csv(df.round(4), out_file)
        click.echo(f"wrote {out_file}")


def _print_table(df) -> None:
    """Rich table on a terminal, markdown otherwise (pipes, CI logs)."""
    from planner.forecast.backtest import format_table

    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dependency
        click.echo(format_table(df))
        return
    console = Console()
    if not console.is_terminal:
        click.echo(format_table(df))
        return
    t = Table(title="backtest (cover_p90 target 0.90, cover_p95 target 0.95)")
    for c in df.columns:
        t.add_column(c, justify="left" if c == "model" else "right")
    for r in df.itertuples(index=False):
        t.add_row(
            str(r.horizon_months),
            r.model,
            str(r.pairs),
            f"{r.mase:.3f}",
            f"{r.smape_pct:.2f}",
            f"{r.cover_p90:.3f}",
            f"{r.cover_p95:.3f}",
        )
    console.print(t)


@click.command("ingest")
@click.argument("samples", type=click.Path(path_type=Path))
@out_option(
    "demand_history.csv to write (site_a, site_b, month, p95_gbps).", dest="out_file", required=True
)
@click.option(
    "--tz",
    default="UTC",
    show_default=True,
    help="Time zone of naive timestamps and of calendar months.",
)
@click.option(
    "--min-coverage",
    type=FiniteFloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="Drop months with fewer 5-minute intervals (or sampling intervals, if longer) than "
    "this share of the calendar month; partial first/last months of an export included.",
)
def ingest_cmd(samples: Path, out_file: Path, tz: str, min_coverage: float) -> None:
    """Turn raw traffic samples (CSV timestamp, site_a, site_b, gbps; e.g. 5-minute NetFlow or
    SNMP exports) into the monthly P95 history the forecaster reads.

    Samples are averaged into 5-minute intervals (or the sampling interval if longer), the
    two directions of a pair merged by the max per interval; P95 is the nearest-rank 95th
    percentile of the month's intervals; months covering less than --min-coverage of their
    intervals (e.g. a partial first or last month) are dropped with a warning line each
    that names the override.
    """
    from planner.forecast.ingest import monthly_p95, nothing_kept_message
    from planner.io.atomic import write_csv
    from planner.io.samples import read_samples

    s = read_samples(samples, tz=tz)
    hist, dropped = monthly_p95(s, min_coverage=min_coverage)
    for r in dropped.itertuples(index=False):
        click.secho(
            f"warning: {r.site_a}-{r.site_b} {r.month}: dropped, {r.reason} ({r.samples} samples)",
            fg="yellow",
            err=True,
        )
    if hist.empty:
        raise InputError(Problem(str(samples), nothing_kept_message(dropped, min_coverage)))
    write_csv(hist[["site_a", "site_b", "month", "p95_gbps"]], out_file)
    click.echo(
        f"ingest: {len(s):,} samples, {hist[['site_a', 'site_b']].drop_duplicates().shape[0]} "
        f"pairs, {len(hist)} pair-months kept, {len(dropped)} dropped -> {out_file}"
    )
