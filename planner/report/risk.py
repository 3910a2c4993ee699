"""Risk page: plans side by side on the same fresh demand scenarios (``planner risk``).

Why one page: the question "what does each plan buy and how often does it carry the future?"
is answered by reading CapEx against the probability of serving all demand, per year and per
pair class, for every plan at once. The numbers are in ``risk_comparison.csv`` next to it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from planner.io.atomic import atomic_write
from planner.io.risk import RiskResults
from planner.report.style import (
    DPI,
    MUTED,
    empty_panel,
    footer,
    new_figure,
    page_title,
    series_colours,
    theme,
    usd_axis,
)


def risk_figure(
    cmp: pd.DataFrame, summaries: list[dict], n: int, *, title: str | None = None
) -> Figure:
    """Left: CapEx vs P(serve all); middle: P(serve all) by year; right: by pair class."""
    fig = new_figure()
    one = len(summaries) == 1
    page_title(
        fig,
        title
        or (
            "Risk: how often the plan carries fresh demand scenarios"
            if one
            else "Plans side by side on the same fresh demand scenarios"
        ),
        f"{n:,} joint scenarios {'the plan was never' if one else 'none of the plans was'} "
        "sized on; a scenario is served when its routing (least unserved, candidate paths, "
        "max utilisation) leaves no pair short.",
    )
    grid = {"left": 0.07, "right": 0.98, "top": 0.83, "bottom": 0.14, "wspace": 0.32}
    axes = fig.subplots(1, 3, gridspec_kw=grid)
    if cmp.empty:
        for ax in axes:
            empty_panel(ax, "no plan to compare")
        return fig
    plans = list(dict.fromkeys(cmp["plan"]))
    col = series_colours(plans)
    capex = np.array([s.get("capex_usd_total") or 0.0 for s in summaries], float)
    div = usd_axis(axes[0], float(capex.max()) or 1.0, axis="x", what="CapEx")
    for i, (p, s, c) in enumerate(zip(plans, summaries, capex, strict=True)):
        axes[0].scatter([c / div], [100 * s["p_serve_all"]], s=60, color=col[p], zorder=4)
        # plans at the same point (budget-bound plans often are) get stacked labels
        axes[0].annotate(p, (c / div, 100 * s["p_serve_all"]), xytext=(-4, 6 + 11 * i),
                         textcoords="offset points", fontsize=8, ha="right")  # fmt: skip
    axes[0].set_ylabel("P(serve all demand, every year) %")
    axes[0].set_title("CapEx vs chance of carrying the future")
    axes[0].set_ylim(0, 101)
    axes[0].set_xlim(0, 1.08 * float(capex.max()) / div if capex.max() > 0 else 1.0)
    allc = cmp[cmp["pair_class"] == "all"]
    for p, g in allc[allc["year"] != "all"].groupby("plan", sort=False):
        axes[1].plot(g["year"].astype(int), 100 * g["p_serve_all"], "-o", color=col[p], label=p)
    axes[1].set_title("P(serve all) by year")
    axes[1].set_ylim(0, 101)
    axes[1].legend(loc="lower left", fontsize=8)
    tot = cmp[(cmp["year"] == "all") & (cmp["pair_class"] != "all")]
    classes = sorted(tot["pair_class"].unique())
    w = 0.8 / max(len(plans), 1)
    for i, p in enumerate(plans):
        g = tot[tot["plan"] == p].set_index("pair_class").reindex(classes)
        bars = axes[2].bar(np.arange(len(classes)) + i * w, 100 * g["p_serve_all"].fillna(0),
                           w, color=col[p], label=p)  # fmt: skip
        axes[2].bar_label(bars, fmt="%.0f", fontsize=7, color=MUTED, padding=2)
    axes[2].set_xticks(np.arange(len(classes)) + 0.4 - w / 2, classes)
    axes[2].set_title("P(serve all) by pair class")
    axes[2].set_ylim(0, 101)
    unserved = allc[allc["year"] == "all"]["unserved_gbps_mean"].max()
    footer(
        fig,
        f"Expected unserved Gbps-years over the horizon: {unserved:,.0f}. Numbers: risk.csv."
        if one
        else f"Expected unserved Gbps-years, largest of these plans: {unserved:,.0f}. "
        "Numbers: risk_comparison.csv (and risk.csv per plan).",
    )
    for ax in axes[1:]:
        ax.tick_params(colors=MUTED)
    return fig


def risk_page(results: RiskResults) -> Figure:
    """The report's Risk page: what ``planner risk`` (or ``planner report --risk N``) measured
    for this plan, beside the plans it was compared with."""
    t = results.table
    by_name = {str(s.get("plan")): s for s in results.summaries}
    total = t[(t["pair_class"] == "all") & (t["year"].astype(str) == "all")]
    p_all = dict(zip(total["plan"].astype(str), total["p_serve_all"], strict=True))
    # one summary per plan of the table, in its order (the figure pairs them up); the table's
    # own total where a summary lacks it
    summaries = [
        {"p_serve_all": p_all.get(p, float("nan")), **by_name.get(p, {}), "plan": p}
        for p in dict.fromkeys(t["plan"].astype(str))
    ]
    return risk_figure(t.assign(plan=t["plan"].astype(str)), summaries, results.n_scenarios)


def draw_risk(out: Path, cmp: pd.DataFrame, summaries: list[dict], n: int) -> Path:
    """Write ``risk_comparison.png`` into ``out``."""
    path = out / "risk_comparison.png"
    with theme():
        fig = risk_figure(cmp, summaries, n)
        with atomic_write(path) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI)
    return path
