"""Comparison report of a sweep: the figures of the frontier, the next $100M and the buy order.

The tables come from :mod:`planner.sweep.frontier`, which calls :func:`draw_comparison`; this
module only draws (and names run statuses through :mod:`planner.schema`).

Why these three views: "what do we lose at $300M instead of $600M?" is read off the frontier
(served fraction and unserved Gbps vs budget, per scenario); "is the next $100M worth it?" is
the slope of that frontier between consecutive budgets; "what do we buy first?" is the smallest
budget at which each corridor upgrade appears. Every figure is also a CSV next to it, so the
numbers can be checked and reused without reading them off a chart.

Reads only the sweep folder (``runs.csv`` and ``runs/<id>/upgrades.csv``), so it can be
re-rendered any time: ``render_comparison(sweep_dir)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from planner.io.atomic import atomic_write
from planner.report.style import (
    DPI,
    INK,
    KIND_COLOURS,
    KIND_LABELS,
    MUTED,
    RED,
    empty_panel,
    fmt_gbps,
    fmt_pct,
    fmt_usd,
    footer,
    gbps_axis,
    new_figure,
    page_title,
    series_colours,
    theme,
    usd_axis,
)
from planner.schema import RunStatus

OK, TIME_LIMIT = RunStatus.OK.value, RunStatus.TIME_LIMIT.value
#: The "next $100M" of the issue: marginal values are scaled to this budget step.
STEP_USD = 100e6
#: Served fraction may drop by this much with more budget before it is a frontier violation.
FRONTIER_TOL = 1e-6
#: Rows drawn per buy-order panel; the full list is in buy_order.csv.
MAX_BUY_ROWS = 45


# --- figures --------------------------------------------------------------------------------


def _served_axis(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
    ax.set_ylabel("Served fraction of demand, horizon (%)")


def frontier_figure(runs: pd.DataFrame, fr: pd.DataFrame, title: str) -> Figure:
    """Served fraction, unserved Gbps in the final year and CapEx used, each vs budget."""
    fig = new_figure()
    page_title(
        fig,
        f"Budget frontier: {title}",
        "Best plan found at or below each budget. Open markers: time limit hit (plan not "
        "proven). Red rings: the run's own plan, worse than a smaller budget's. Red x: failed.",
    )
    grid = {"left": 0.07, "right": 0.98, "top": 0.83, "bottom": 0.12, "wspace": 0.3}
    axes = fig.subplots(1, 3, gridspec_kw=grid)
    if fr.empty:
        for ax in axes:
            empty_panel(ax, "no successful run in this sweep")
        return fig
    col = series_colours(list(dict.fromkeys(runs["scenario"])))
    bmax = float(np.nanmax(runs["budget_usd"].to_numpy(float))) or 1.0
    failed = runs[~runs["status"].isin([OK, TIME_LIMIT]) & runs["budget_usd"].notna()]
    _served_axis(axes[0])
    udiv = gbps_axis(axes[1], float(fr["unserved_gbps_final_year"].max()), what="Unserved")
    cdiv = usd_axis(axes[2], max(bmax, float(fr["capex_usd"].max())), what="CapEx used")
    panels = (
        ("served_fraction", 100.0),
        ("unserved_gbps_final_year", 1 / udiv),
        ("capex_usd", 1 / cdiv),
    )
    titles = ("Served", "Unserved in the final year", "Spent vs budget")
    for ax, (c, k), t in zip(axes, panels, titles, strict=True):
        div = usd_axis(ax, bmax, axis="x", what="Total budget")
        for sc, g in fr.groupby("scenario", sort=False):
            x, y = (g["budget_usd"] / div).to_numpy(), (g[c] * k).to_numpy()
            ax.plot(x, y, "-", color=col[sc], lw=1.6, label=sc)
            tl = (g["status"] == TIME_LIMIT).to_numpy()
            ax.scatter(x[~tl], y[~tl], s=18, color=col[sc], zorder=4)
            ax.scatter(x[tl], y[tl], s=26, facecolors="white", edgecolors=col[sc], zorder=4)
            bad = ~g["frontier_ok"].to_numpy(bool)
            raw = g.get(f"raw_{c}", g[c]).to_numpy() * k
            ax.scatter(x[bad], raw[bad], s=60, facecolors="none", edgecolors=RED, lw=1.4, zorder=5)
        if len(failed):
            ax.scatter(
                failed["budget_usd"] / div,
                np.zeros(len(failed)),
                marker="x",
                color=RED,
                s=40,
                zorder=6,
                clip_on=False,
                label="failed run",
            )
        ax.set_title(t)
        ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1e-9))
    axes[0].set_ylim(top=101)
    axes[2].plot([0, bmax / div], [0, bmax / cdiv], ls=":", color=MUTED, lw=1, label="all spent")
    axes[2].legend(loc="upper left")
    footer(
        fig,
        "Served fraction: served / demanded Gbps-years over the horizon. "
        "Numbers: frontier.csv and runs.csv.",
    )
    return fig


def _nice_step(budgets: pd.Series) -> float:
    """$100M (the planner's question) unless the sweep's budgets are far smaller than that."""
    span = float(budgets.max()) if len(budgets) else 0.0
    if span >= STEP_USD or span <= 0:
        return STEP_USD
    mag = 10 ** np.floor(np.log10(span / 8))
    return float(min(m * mag for m in (1, 2, 5, 10) if m * mag >= span / 8))


def marginal_figure(marg: pd.DataFrame, title: str) -> Figure:
    """Value of the next step of money: finite-difference steps, plus the LP budget dual."""
    step = _nice_step(marg["budget_to_usd"]) if len(marg) else STEP_USD
    k, lab = step / STEP_USD, fmt_usd(step)
    fig = new_figure()
    page_title(
        fig,
        f"Marginal value of the next {lab}: {title}",
        "Each step spans two consecutive budgets: what the extra money bought, scaled to "
        f"{lab}. Open dots: the optimiser's budget dual at the lower budget (a local slope).",
    )
    grid = {"left": 0.08, "right": 0.98, "top": 0.83, "bottom": 0.12, "wspace": 0.25}
    axes = fig.subplots(1, 2, gridspec_kw=grid)
    if marg.empty:
        for ax in axes:
            empty_panel(ax, "needs at least two successful budgets of one scenario")
        return fig
    col = series_colours(list(dict.fromkeys(marg["scenario"])))
    bmax = float(marg["budget_to_usd"].max()) or 1.0
    specs = (
        ("served_gbps_years_per_100m", f"Served Gbps-years per {lab}", True),
        (
            "unserved_final_year_gbps_cut_per_100m",
            f"Final-year unserved cut per {lab} (Gbps)",
            False,
        ),
    )
    fmt = FuncFormatter(lambda v, _p: f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2g}")
    for ax, (c, label, dual) in zip(axes, specs, strict=True):
        div = usd_axis(ax, bmax, axis="x", what="Total budget")
        for sc, g in marg.groupby("scenario", sort=False):
            xs = np.r_[g["budget_from_usd"].to_numpy(), g["budget_to_usd"].iloc[-1]] / div
            ys = np.r_[g[c].to_numpy(), g[c].iloc[-1]] * k
            ax.step(xs, ys, where="post", color=col[sc], lw=1.8, label=sc)
            if dual and g["dual_gbps_years_per_100m"].notna().any():
                ax.plot(
                    g["budget_from_usd"] / div,
                    g["dual_gbps_years_per_100m"] * k,
                    "o",
                    color=col[sc],
                    ms=5,
                    mfc="white",
                    label=f"{sc}: budget dual",
                )
        ax.axhline(0, color=INK, lw=0.8)
        ax.yaxis.set_major_formatter(fmt)
        ax.set_ylabel(label)
        ax.set_title(label.split(" per")[0])
    axes[0].legend(loc="upper right")
    footer(
        fig,
        "Slopes of the frontier (best plan at or below each budget). Near zero: the extra money "
        "buys (almost) nothing. marginal.csv has the values per $100M.",
    )
    return fig


def buy_order_figure(
    order: pd.DataFrame, upgrades: pd.DataFrame, frontier: pd.DataFrame, title: str
) -> Figure:
    """One row per corridor upgrade, sorted by the smallest budget whose plan buys it."""
    fig = new_figure()
    page_title(
        fig,
        f"Buy order: {title}",
        "Big dot: smallest budget whose plan gives the corridor this kind of upgrade (label: "
        "year bought). Small dots: other budgets that buy it; open circles: ones that do not.",
    )
    if order.empty:
        empty_panel(fig.add_axes((0.1, 0.15, 0.8, 0.7)), "no run in this sweep buys any upgrade")
        return fig
    keys, more = _buy_rows(order)
    ypos = {(r.corridor_id, r.kind): i for i, r in enumerate(keys.itertuples())}
    scen = [s for s in dict.fromkeys(frontier["scenario"]) if s in set(order["scenario"])]
    axes = np.atleast_1d(
        fig.subplots(
            1,
            len(scen),
            sharey=True,
            gridspec_kw={"left": 0.16, "right": 0.98, "top": 0.83, "bottom": 0.1, "wspace": 0.08},
        )
    )
    bmax = float(frontier["budget_usd"].max()) or 1.0
    for ax, sc in zip(axes, scen, strict=True):
        div = usd_axis(ax, bmax, axis="x", what="Budget")
        bs = np.sort(frontier.loc[frontier["scenario"] == sc, "budget_usd"].to_numpy(float))
        _first_dots(ax, order[order["scenario"] == sc], ypos, bs, div)
        _present_dots(ax, upgrades[upgrades["scenario"] == sc], ypos, div)
        ax.set_title(sc if len(scen) > 1 else "")
        ax.set_xlim(-0.03 * bmax / div, 1.09 * bmax / div)  # room for the year labels
    _buy_labels(axes, keys, order)
    note = f"{more} more rows in buy_order.csv. " if more else ""
    footer(
        fig,
        note + "Sorted by the smallest budget (over all scenarios), then year bought, then "
        "spend; buy_order.csv lists units and CapEx at that budget.",
    )
    return fig


def _buy_rows(order: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """(corridor, kind) rows in buy order, at most ``MAX_BUY_ROWS``; and how many are left out."""
    keys = (  # cheapest budget first; at one budget, earliest year, then biggest spend
        order.groupby(["corridor_id", "kind"], as_index=False)
        .agg(
            b=("first_budget_usd", "min"), y=("first_year", "min"), c=("capex_usd_at_first", "max")
        )
        .sort_values(["b", "y", "c", "corridor_id"], ascending=[True, True, False, True])
    )
    more = max(0, len(keys) - MAX_BUY_ROWS)
    return keys.head(MAX_BUY_ROWS).reset_index(drop=True), more


def _first_dots(ax: Axes, order: pd.DataFrame, ypos: dict, budgets: np.ndarray, div: float) -> None:
    """Per row of one scenario: big dot at the first budget (year label), open circles after."""
    for r in order.itertuples():
        y = ypos.get((r.corridor_id, r.kind))
        if y is None:
            continue
        c = KIND_COLOURS.get(r.kind, INK)
        ax.axhline(y, color="#f0f0f0", lw=0.6, zorder=0)
        ax.scatter([r.first_budget_usd / div], [y], s=46, color=c, zorder=4)
        ax.annotate(
            str(r.first_year),
            (r.first_budget_usd / div, y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=6.5,
            color=MUTED,
        )
        later = budgets[budgets > r.first_budget_usd]
        ax.scatter(
            later / div, [y] * len(later), s=12, facecolors="none", edgecolors=MUTED, lw=0.7,
            zorder=2,
        )  # fmt: skip


def _buy_labels(axes: np.ndarray, keys: pd.DataFrame, order: pd.DataFrame) -> None:
    """Row labels (corridor and kind) on the first panel, the kind legend on the last."""
    axes[0].set_yticks(range(len(keys)))
    axes[0].set_yticklabels(
        [f"{r.corridor_id} · {KIND_LABELS.get(r.kind, r.kind)}" for r in keys.itertuples()],
        fontsize=7 if len(keys) > 25 else 8.5,
    )
    axes[0].invert_yaxis()
    handles = [
        axes[0].scatter([], [], s=46, color=c, label=KIND_LABELS.get(k, k))
        for k, c in KIND_COLOURS.items()
        if k in set(order["kind"])
    ]
    axes[-1].legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.01), ncol=3)


def _present_dots(ax: Axes, upgrades: pd.DataFrame, ypos: dict, div: float) -> None:
    """Small filled dots at every budget where the upgrade is bought (over the open circles)."""
    for (cid, kind), g in upgrades.groupby(["corridor_id", "kind"]):
        y = ypos.get((cid, kind))
        if y is not None:
            b = np.unique(g["budget_usd"].to_numpy(float))
            ax.scatter(b / div, [y] * len(b), s=14, color=KIND_COLOURS.get(kind, INK), zorder=3)


def cover_figure(runs: pd.DataFrame, fr: pd.DataFrame, title: str) -> Figure:
    """The numbers behind the frontier as a table (budget x scenario): what each budget loses."""
    fig = new_figure()
    n_ok = int(runs["status"].isin([OK, TIME_LIMIT]).sum())
    page_title(
        fig,
        f"Sweep {title}: {len(runs)} runs, {n_ok} with a plan, {len(runs) - n_ok} failed",
        "Best plan at or below each budget: served fraction over the horizon (change vs the "
        "largest budget) / unserved in the final year / CapEx.  * time limit hit, not proven.  "
        "† own plan was worse: a smaller budget's plan is shown.",
    )
    ax = fig.add_axes((0.04, 0.08, 0.92, 0.78))
    ax.set_axis_off()
    scen = list(dict.fromkeys(runs["scenario"]))
    budgets = sorted(b for b in runs["budget_usd"].dropna().unique())
    if not budgets or not scen:
        empty_panel(ax, "no runs")
        return fig
    top = fr.sort_values("budget_usd").groupby("scenario")["served_fraction"].last().to_dict()
    cells = []
    for b in budgets[:40]:
        line = [fmt_usd(b)]
        for sc in scen:
            r = fr[(fr["scenario"] == sc) & (fr["budget_usd"] == b)]
            if r.empty:
                hit = runs[(runs["scenario"] == sc) & (runs["budget_usd"] == b)]
                line.append("FAILED" if len(hit) else "")
                continue
            r = r.iloc[0]
            d = r["served_fraction"] - top.get(sc, r["served_fraction"])
            mark = ("*" if r["status"] == TIME_LIMIT else "") + ("" if r["frontier_ok"] else "†")
            line.append(
                f"{fmt_pct(r['served_fraction'])}{mark}"
                f"{f' ({100 * d:+.1f} pp)' if d < -5e-4 else ''} / "
                f"{fmt_gbps(r['unserved_gbps_final_year'])} / {fmt_usd(r['capex_usd'])}"
            )
        cells.append(line)
    tab = ax.table(
        cellText=cells,
        colLabels=["Total budget", *scen],
        loc="upper center",
        cellLoc="center",
        colLoc="center",
        colWidths=[0.1] + [0.9 / len(scen)] * len(scen),
    )
    tab.auto_set_font_size(False)
    tab.set_fontsize(8 if len(scen) < 4 else 7)
    tab.scale(1, 1.25)
    for (i, _j), cell in tab.get_celld().items():
        cell.set_edgecolor("#e5e7eb")
        if i == 0:
            cell.set_text_props(fontweight="bold")
        if cell.get_text().get_text() == "FAILED":
            cell.get_text().set_color(RED)
    errs = runs[~runs["status"].isin([OK, TIME_LIMIT])]
    if len(errs):
        lines = [f"{r.scenario} @ {fmt_usd(r.budget_usd)}: {r.error}" for r in errs.itertuples()]
        footer(fig, ("Failed: " + "; ".join(lines[:3]))[:300] + " (all errors: runs.csv)")
    return fig


# --- writing --------------------------------------------------------------------------------


def _save_png(fig: Figure, path: Path) -> Path:
    with atomic_write(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
    return path


def draw_comparison(
    d: Path,
    title: str,
    runs: pd.DataFrame,
    marg: pd.DataFrame,
    order: pd.DataFrame,
    ups: pd.DataFrame,
    fr: pd.DataFrame,
) -> list[Path]:
    """Write the frontier / marginal / buy_order PNGs and comparison.pdf into ``d``."""
    files: list[Path] = []
    with theme():
        figs = {
            "cover": cover_figure(runs, fr, title),
            "frontier": frontier_figure(runs, fr, title),
            "marginal": marginal_figure(marg, title),
            "buy_order": buy_order_figure(order, ups, fr, title),
        }
        for name, fig in figs.items():
            if name != "cover":
                files.append(_save_png(fig, d / f"{name}.png"))
        pdf = d / "comparison.pdf"
        with atomic_write(pdf) as tmp:
            meta = {"Title": f"Sweep {title}", "Creator": "dci-planner", "CreationDate": None}
            with PdfPages(tmp, metadata=meta) as pp:
                for fig in figs.values():
                    pp.savefig(fig)
        files.append(pdf)
    return files
