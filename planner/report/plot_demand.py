"""Demand pages: total history + forecast fan, and small multiples of the fastest-growing pairs.

Why a fan and not a line: the plan is sized for one quantile (P90 by default); showing the
P50-P95 band next to history tells a planner how much of the spend is hedging uncertainty.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import MonthLocator, YearLocator
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from planner.report import derive, style


def _year_ticks(ax: Axes) -> None:
    """Year labels centred in each year, grid lines on year boundaries.

    Year-end values then sit at the right edge of their own year instead of next to the
    following year's tick, which reads as off by one.
    """
    ax.xaxis.set_major_locator(MonthLocator(bymonth=7))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _year_of(v)))
    ax.xaxis.set_minor_locator(YearLocator())
    ax.tick_params(axis="x", which="major", length=0)
    ax.tick_params(axis="x", which="minor", length=4)
    ax.grid(False, axis="x", which="major")
    ax.grid(True, axis="x", which="minor")
    ax.set_xlabel("Year")


def _year_of(v: float) -> str:
    from matplotlib.dates import num2date

    return str(num2date(v).year)


def _fan(
    ax: Axes,
    hist: pd.Series,
    fc: pd.DataFrame | None,
    div: float,
    sized_col: str | None,
    plan_demand: pd.Series | None,
    annotate: bool,
) -> None:
    """History line, then P50 line + P50-P95 band (+ the sized-for quantile) at year ends."""
    if len(hist):
        ax.plot(
            hist.index,
            hist.to_numpy() / div,
            color=style.INK,
            lw=1.6,
            label="History (monthly P95, summed over pairs)",
        )
    if fc is not None and len(fc):
        x = [derive.year_end(y) for y in fc.index]
        p50, p95 = fc["p50_gbps"].to_numpy(), fc["p95_gbps"].to_numpy()
        if len(hist):  # start the fan at the last observation so it reads as a continuation
            x = [hist.index[-1], *x]
            p50 = np.r_[hist.iloc[-1], p50]
            p95 = np.r_[hist.iloc[-1], p95]
        ax.fill_between(
            x, p50 / div, p95 / div, color=style.BLUE, alpha=0.18, lw=0, label="P50\u2013P95 band"
        )
        ax.plot(x, p50 / div, color=style.BLUE, lw=1.8, marker="o", ms=3.5, label="P50 forecast")
        if sized_col and sized_col in fc and sized_col not in ("p50_gbps", "p95_gbps"):
            ps = fc[sized_col].to_numpy()
            if len(hist):
                ps = np.r_[hist.iloc[-1], ps]
            q = sized_col.removesuffix("_gbps").upper()
            ax.plot(
                x,
                ps / div,
                color=style.BLUE,
                lw=1.2,
                ls="--",
                label=f"{q}: the quantile the plan is sized for",
            )
        if annotate:
            last_x = x[-1]
            for col, txt in (("p95_gbps", "P95"), ("p50_gbps", "P50")):
                v = float(fc[col].iloc[-1])
                ax.annotate(
                    f"{txt} {style.fmt_gbps(v)}",
                    (last_x, v / div),
                    xytext=(6, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8.5,
                    color=style.BLUE,
                    fontweight="bold",
                )
    elif plan_demand is not None and len(plan_demand):
        x = [derive.year_end(y) for y in plan_demand.index]
        ax.plot(
            x,
            plan_demand.to_numpy() / div,
            color=style.BLUE,
            lw=1.8,
            marker="o",
            label="Demand the plan was sized for (fixed demand file)",
        )
    ax.set_ylim(bottom=0)
    _year_ticks(ax)


def forecast_fan(
    history: pd.DataFrame,
    forecast: pd.DataFrame | None,
    *,
    sized_column: str | None = "p90_gbps",
    plan_demand: pd.DataFrame | None = None,
    scenario_name: str = "",
) -> Figure:
    """Total demand: monthly history, then the yearly forecast with its P50-P95 band.

    ``plan_demand`` (the unserved table: year, demand_gbps) is drawn instead of a fan when the
    run used a fixed demand file and has no forecast.
    """
    with style.theme():
        fig = style.new_figure()
        hist = derive.history_total(history)
        fc = derive.forecast_total(forecast) if forecast is not None and len(forecast) else None
        pdem = (
            plan_demand.groupby("year")["demand_gbps"].sum()
            if plan_demand is not None and len(plan_demand)
            else None
        )
        style.page_title(fig, *_fan_titles(history, forecast, hist, fc, pdem, scenario_name))
        ax = fig.add_axes((0.08, 0.1, 0.64, 0.74))
        vals = [hist.max() if len(hist) else 0.0]
        if fc is not None:
            vals.append(float(fc["p95_gbps"].max()))
        if pdem is not None:
            vals.append(float(pdem.max()))
        vmax = float(np.nanmax(vals)) if vals else 0.0
        if not len(hist) and fc is None and pdem is None:
            style.empty_panel(ax, "No demand history and no forecast in this plan directory.")
            return fig
        div = style.gbps_axis(ax, vmax, what="Traffic, busy-hour P95")
        _fan(ax, hist, fc, div, sized_column, pdem, annotate=True)
        if fc is not None and len(hist):
            _forecast_starts(ax, hist.index[-1])
        ax.set_title("Total busy-hour demand (all pairs)")
        ax.legend(loc="upper left")
        if fc is not None:
            _growth_note(fig, hist, fc)
            _log_panel(fig, hist, fc)
        _capped_note(fig, forecast)
        return fig


def _fan_titles(
    history: pd.DataFrame,
    forecast: pd.DataFrame | None,
    hist: pd.Series,
    fc: pd.DataFrame | None,
    pdem: pd.Series | None,
    scenario_name: str,
) -> tuple[str, str]:
    """Title (to the last year shown) and subtitle (pairs with and without history)."""
    n_pairs = history[["site_a", "site_b"]].drop_duplicates().shape[0] if len(history) else 0
    first = f"{hist.index[0]:%b %Y}" if len(hist) else "n/a"
    end = (
        int(fc.index[-1]) if fc is not None else (int(pdem.index[-1]) if pdem is not None else None)
    )
    n_fc = (
        forecast[["site_a", "site_b"]].drop_duplicates().shape[0]
        if forecast is not None and len(forecast)
        else 0
    )
    fc_txt = (
        f"; forecast: {n_fc} pairs"
        + (f" ({n_fc - n_pairs} new, without history)" if n_fc > n_pairs else "")
        if n_fc
        else ""
    )
    return (
        f"Total demand: history and forecast to {end}" if end else "Total demand history",
        f"Scenario {scenario_name}.  History: sum over {n_pairs} site pairs (from {first})"
        f"{fc_txt}.  Forecast values are the demand at the end of each year.  A sum of "
        "per-pair quantiles is conservative: not every pair hits its P95 in the same year.",
    )


def _forecast_starts(ax, last_month) -> None:
    """Dotted line and "forecast ->" where the history ends."""
    ax.axvline(last_month, color=style.MUTED, lw=0.8, ls=":")
    ax.annotate(
        "forecast \u2192",
        (last_month, 0.02),
        xycoords=("data", "axes fraction"),
        xytext=(4, 0),
        textcoords="offset points",
        color=style.MUTED,
        fontsize=8.5,
        va="bottom",
    )


def capped_rows(forecast: pd.DataFrame | None) -> pd.DataFrame:
    """Forecast rows clipped at the plausible cap (``capped`` column of forecast.csv)."""
    if forecast is None or "capped" not in forecast or not len(forecast):
        return pd.DataFrame(columns=["site_a", "site_b", "year", "cap_reason"])
    flag = forecast["capped"].astype(str).str.lower().isin(("true", "1"))
    return forecast.loc[flag, ["site_a", "site_b", "year", "cap_reason"]]


def _capped_note(fig: Figure, forecast: pd.DataFrame | None) -> None:
    """Name the pairs whose forecast was capped: a planner must see which numbers were clipped."""
    rows = capped_rows(forecast)
    if rows.empty:
        return
    pairs = rows.groupby(["site_a", "site_b"], sort=True)["year"].agg(["min", "max"])
    shown = [
        f"{derive.pair_label(a, b)} {lo}" + (f"\u2013{hi}" if hi != lo else "")
        for (a, b), (lo, hi) in pairs.head(6).iterrows()
    ]
    more = f" and {len(pairs) - 6} more" if len(pairs) > 6 else ""
    fig.text(
        0.08,
        0.012,
        f"Capped at a plausible bound (history max x headroom x growth per year x MW driver; "
        f"forecast.csv cap_reason): {len(rows)} pair-years of {len(pairs)} pair(s): "
        + ", ".join(shown)
        + more
        + ".",
        fontsize=7.5,
        color=style.MUTED,
        va="bottom",
    )


def _log_panel(fig: Figure, hist: pd.Series, fc: pd.DataFrame) -> None:
    """The same curves on a log axis: constant growth is a straight line, history readable."""
    ax = fig.add_axes((0.83, 0.1, 0.14, 0.27))
    if len(hist):
        ax.plot(hist.index, hist.to_numpy(), color=style.INK, lw=1.2)
    x = [derive.year_end(y) for y in fc.index]
    p50, p95 = fc["p50_gbps"].to_numpy(), fc["p95_gbps"].to_numpy()
    if len(hist):  # continue from the last observation, as on the main panel
        x = [hist.index[-1], *x]
        p50, p95 = np.r_[hist.iloc[-1], p50], np.r_[hist.iloc[-1], p95]
    ax.fill_between(x, p50, p95, color=style.BLUE, alpha=0.18, lw=0)
    ax.plot(x, p50, color=style.BLUE, lw=1.4)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: style.fmt_gbps(v, 2)))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _p: ""))
    ax.xaxis.set_major_locator(YearLocator(2))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: _year_of(v)))
    ax.tick_params(labelsize=7)
    ax.set_title("Same, log scale", fontsize=9)
    ax.set_ylabel("Traffic (log)", fontsize=8)


def _growth_note(fig: Figure, hist: pd.Series, fc: pd.DataFrame) -> None:
    """Year-end totals as a small table to the right of the chart."""
    x0, y = 0.815, 0.84
    fig.text(x0, y, "Year-end totals", fontsize=10, fontweight="bold", va="top")
    y -= 0.04
    for x, txt in ((x0, "Year"), (x0 + 0.06, "P50"), (x0 + 0.125, "P95")):
        fig.text(x, y, txt, fontsize=8.5, color=style.MUTED, va="top")
    rows = []
    if len(hist):
        rows.append((f"{hist.index[-1]:%b %Y}", float(hist.iloc[-1]), None))
    rows += [(str(int(yr)), r["p50_gbps"], r["p95_gbps"]) for yr, r in fc.iterrows()]
    for label, p50, p95 in rows:
        y -= 0.03
        fig.text(x0, y, label, fontsize=8.5, va="top")
        fig.text(x0 + 0.06, y, style.fmt_gbps(p50), fontsize=8.5, va="top")
        if p95 is not None:
            fig.text(x0 + 0.125, y, style.fmt_gbps(p95), fontsize=8.5, va="top")
    if len(hist) and hist.iloc[-1] > 0:
        years = (derive.year_end(fc.index[-1]) - hist.index[-1]).days / 365.25
        if years > 0:
            cagr = (fc["p50_gbps"].iloc[-1] / hist.iloc[-1]) ** (1 / years) - 1
            y -= 0.05
            fig.text(
                x0,
                y,
                f"P50 growth: {cagr:+.0%} per year",
                fontsize=8.5,
                va="top",
                fontweight="bold",
            )
    if len(hist):
        y -= 0.04
        fig.text(
            x0, y, "(first row: last observed month)", fontsize=7.5, va="top", color=style.MUTED
        )


def forecast_pairs(
    history: pd.DataFrame,
    forecast: pd.DataFrame | None,
    *,
    n: int = 9,
    scenario_name: str = "",
) -> Figure:
    """Small multiples: the ``n`` pairs whose P50 grows most (Gbps) by the final year."""
    with style.theme():
        fig = style.new_figure()
        top = derive.top_growth_pairs(history, forecast, n) if forecast is not None else None
        end = int(forecast["year"].max()) if forecast is not None and len(forecast) else None
        style.page_title(
            fig,
            f"Top {len(top) if top is not None else n} site pairs by forecast growth to {end}"
            if end
            else "Top pairs by growth",
            f"Scenario {scenario_name}.  Ranked by P50 in {end} minus the last observed month "
            "(Gbps, not %: capacity is bought in Gbps).  Black: monthly P95 history; blue: P50 "
            "with P50\u2013P95 band."
            if end
            else f"Scenario {scenario_name}.",
        )
        if top is None or top.empty:
            ax = fig.add_axes((0.08, 0.1, 0.84, 0.74))
            style.empty_panel(ax, "No forecast in this plan directory (fixed demand file).")
            return fig
        cols = 3
        rows = max(1, math.ceil(len(top) / cols))
        gs = fig.add_gridspec(
            rows, cols, left=0.07, right=0.97, top=0.84, bottom=0.07, hspace=0.55, wspace=0.28
        )
        h = history.assign(month=pd.to_datetime(history["month"])) if len(history) else history
        for k, r in enumerate(top.itertuples()):
            ax = fig.add_subplot(gs[k // cols, k % cols])
            _pair_panel(ax, r, h, forecast, end)
            if k < len(top) - cols:  # only the bottom panel of each column names the axis
                ax.set_xlabel("")
        return fig


def _pair_panel(ax, r, history: pd.DataFrame, forecast: pd.DataFrame, end: int) -> None:
    """One pair's history and forecast fan, titled with its growth, its P50 and model."""
    h = history
    ph = (
        h[(h["site_a"] == r.site_a) & (h["site_b"] == r.site_b)]
        .set_index("month")["p95_gbps"]
        .sort_index()
        if len(h)
        else pd.Series(dtype=float)
    )
    pf = forecast[(forecast["site_a"] == r.site_a) & (forecast["site_b"] == r.site_b)]
    pf = pf.set_index("year").sort_index()
    vmax = max(float(ph.max()) if len(ph) else 0.0, float(pf["p95_gbps"].max()))
    div = style.gbps_axis(ax, vmax)
    ax.set_ylabel(f"Demand ({style.gbps_unit(vmax)[1]})", fontsize=8)
    _fan(ax, ph, pf, div, None, None, annotate=False)
    model = f", {r.model}" if r.model else ""
    if len(capped_rows(pf.reset_index())):
        model += ", capped"
    hist_note = "" if len(ph) else " (no history)"
    ax.set_title(
        f"{derive.pair_label(r.site_a, r.site_b)}  +{style.fmt_gbps(r.growth_gbps)}{hist_note}",
        fontsize=9.5,
    )
    ax.text(
        0.02,
        0.95,
        f"P50 {end}: {style.fmt_gbps(r.final_p50_gbps)}{model}",
        transform=ax.transAxes,
        fontsize=7.5,
        va="top",
        color=style.MUTED,
    )
    ax.tick_params(labelsize=7.5)
