"""Buy, lease or build (issue 18): the capacity mix by year, money over time, the NPV against a
build-only plan, and the changes against a plan of record.

Why drawn only from the plan tables and summary: like every report page, it must re-render
from the plan folder without solving (the build-only numbers are in summary.json).
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from planner.plan_schema import PlanSummary
from planner.report import style

#: stacked sources of added capacity, bottom to top
SOURCES = (
    ("own waves", "#4c78a8"),
    ("new routes", "#72b7b2"),
    ("leased", "#f58518"),
)
ROWS_PER_PAGE = 30


def capacity_mix(upgrades: pd.DataFrame, leases: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Gbps beyond today's per year by source: own waves, new routes (cumulative, in
    service), leased (under contract and in service that year)."""
    out = pd.DataFrame(0.0, index=years, columns=[s for s, _ in SOURCES])
    for y in years:
        live = upgrades[upgrades["in_service_year"] <= y]
        out.at[y, "own waves"] = float(live.loc[live["kind"] == "wave", "added_gbps"].sum())
        out.at[y, "new routes"] = float(live.loc[live["kind"] == "new_build", "added_gbps"].sum())
        if len(leases):
            on = (leases["in_service_year"] <= y) & (leases["end_year"] >= y)
            out.at[y, "leased"] = float(leases.loc[on, "added_gbps"].sum())
    return out


def _mix_panel(ax, mix: pd.DataFrame, years: list[int]) -> None:
    top = float(mix.sum(axis=1).max()) if len(mix) else 0.0
    scale = style.gbps_axis(ax, max(top, 1.0), what="Capacity added")
    bottom = np.zeros(len(years))
    for name, color in SOURCES:
        v = mix[name].to_numpy(float) / scale
        ax.bar(years, v, bottom=bottom, color=color, label=name, width=0.7)
        bottom += v
    style.year_axis(ax, years)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    ax.set_title("Capacity beyond today's, by source (in service)", fontsize=10)


def _money_panel(ax, money: pd.DataFrame, years: list[int]) -> None:
    m = money.set_index("year").reindex(years).fillna(0.0)
    top = float((m["capex_usd"] + m["opex_usd"]).max()) if len(m) else 0.0
    scale = style.usd_axis(ax, max(top, 1.0), what="Spend")
    capex = m["capex_usd"].to_numpy(float) / scale
    opex = m["opex_usd"].to_numpy(float) / scale
    ax.bar(years, capex, color="#4c78a8", width=0.7, label="CapEx (incl. lease upfront)")
    ax.bar(years, opex, bottom=capex, color="#f58518", width=0.7, label="OpEx (lease fees)")
    style.year_axis(ax, years)
    ax.legend(loc="upper right", frameon=False, fontsize=8)
    ax.set_title("Money per year (nominal)", fontsize=10)


def npv_lines(sm: PlanSummary) -> list[str]:
    """The comparison in words: this plan against the build-only plan."""
    rate = sm.discount_rate or 0.0
    out = [
        f"This plan: CapEx {style.fmt_usd(sm.capex_usd_total or 0.0)}, lease fees "
        f"{style.fmt_usd(sm.opex_usd_total or 0.0)} within the horizon"
        + (
            f" (+{style.fmt_usd(sm.lease_fees_after_horizon_usd)} owed after it)"
            if sm.lease_fees_after_horizon_usd
            else ""
        )
        + f", NPV at {rate:.1%} {style.fmt_usd(sm.npv_usd or 0.0)}, "
        f"serves {sm.served_fraction or 0.0:.1%} of demand Gbps-years."
    ]
    bo = sm.build_only
    if bo:
        d = (sm.npv_usd or 0.0) - (bo.get("npv_usd") or 0.0)
        out.append(
            f"Build only (no new lease; a second solve, status {bo.get('solver_status')}): "
            f"CapEx {style.fmt_usd(bo.get('capex_usd_total') or 0.0)}, NPV "
            f"{style.fmt_usd(bo.get('npv_usd') or 0.0)}, serves "
            f"{bo.get('served_fraction') or 0.0:.1%}."
        )
        pts = 100 * ((sm.served_fraction or 0.0) - (bo.get("served_fraction") or 0.0))
        out.append(
            f"With leases the NPV is {style.fmt_usd(abs(d))} {'higher' if d >= 0 else 'lower'} "
            f"and the plan serves {abs(pts):.1f} points {'more' if pts >= 0 else 'less'} of "
            "demand"
            + (
                " (the budgets bind: leasing buys served demand, so compare both numbers)."
                if abs(pts) >= 0.05
                else "."
            )
        )
    else:
        out.append("No build-only comparison (scenario compare_build_only: false).")
    return out


def lease_mix(
    upgrades: pd.DataFrame,
    leases: pd.DataFrame,
    money: pd.DataFrame,
    summary: dict,
    *,
    years: list[int],
    scenario_name: str = "",
) -> Figure:
    """Buy, lease or build: the mix by year, money by year, NPV against build-only."""
    sm = PlanSummary.read(summary)
    fig = style.new_figure()
    style.page_title(
        fig,
        "Buy, lease or build",
        f"Scenario {scenario_name}.  Own waves and new routes stay in service once bought; "
        "leased capacity only while its contract runs. CapEx counts lease upfront fees; "
        "OpEx is lease fees; NPV discounts both to the start year.",
    )
    left = fig.add_axes((0.08, 0.40, 0.38, 0.44))
    right = fig.add_axes((0.57, 0.40, 0.38, 0.44))
    _mix_panel(left, capacity_mix(upgrades, leases, years), years)
    if len(money):
        _money_panel(right, money, years)
    else:
        style.empty_panel(right, "No money table in this plan (an older plan folder).")
    y = 0.31
    for line in npv_lines(sm):
        fig.text(0.05, y, textwrap.fill(line, 150), fontsize=9, va="top", parse_math=False)
        y -= 0.045
    mix = capacity_mix(upgrades, leases, years)
    per_year = ", ".join(
        f"{y} {style.fmt_gbps(float(mix.at[y, 'leased']))} leased / "
        f"{style.fmt_gbps(float(mix.at[y, 'own waves'] + mix.at[y, 'new routes']))} own"
        for y in years
    )
    fig.text(0.05, y, textwrap.fill(f"In service beyond today's: {per_year}.", 150),
             fontsize=9, va="top", parse_math=False)  # fmt: skip
    y -= 0.06
    n = len(leases)
    fig.text(
        0.05,
        y - 0.01,
        f"{n} lease contract(s) signed (leases.csv)." if n else "The plan signs no lease.",
        fontsize=9,
        color=style.MUTED,
        va="top",
    )
    return fig


def changes_pages(changes: pd.DataFrame, summary: dict, *, scenario_name: str = "") -> list[Figure]:
    """The changes against the plan of record as a table (kept rows left out, counted)."""
    sm = PlanSummary.read(summary)
    rec = sm.plan_of_record or {}
    counts = ", ".join(f"{v} {k}" for k, v in sorted((rec.get("changes") or {}).items()))
    order = {"added": 0, "dropped": 1, "deferred": 2, "advanced": 3, "more": 4, "fewer": 5}
    shown = changes[changes["change"] != "kept"]
    shown = shown.assign(_o=shown["change"].map(order).fillna(9)).sort_values(
        ["_o", "year", "corridor_id"], kind="stable"
    )
    n_pages = max(1, math.ceil(len(shown) / ROWS_PER_PAGE))
    figs = []
    heads = ("year", "corridor", "option / lease", "kind", "of record", "now", "change")
    xs = (0.05, 0.13, 0.33, 0.55, 0.68, 0.77, 0.84)
    for p in range(n_pages):
        fig = style.new_figure()
        style.page_title(
            fig,
            "Changes against the plan of record" + (f" ({p + 1}/{n_pages})" if n_pages > 1 else ""),
            f"Scenario {scenario_name}.  Plan of record {rec.get('folder', '?')}; orders up to "
            f"{rec.get('frozen_through_year', '?')} are committed and kept. {counts}. Rows "
            "kept unchanged are not listed (changes.csv has them all); changes first, then the "
            "committed orders.",
        )
        part = shown.iloc[p * ROWS_PER_PAGE : (p + 1) * ROWS_PER_PAGE]
        top, row_h = 0.84, 0.025
        for h, x in zip(heads, xs, strict=True):
            fig.text(x, top, h, fontsize=9, fontweight="bold", va="center")
        for i, r in enumerate(part.itertuples(index=False)):
            y = top - (i + 1) * row_h
            vals = (
                str(r.year),
                str(r.corridor_id),
                str(r.option_id),
                str(r.what),
                f"{r.units_of_record:g}",
                f"{r.units_now:g}",
                str(r.change),
            )
            for v, x in zip(vals, xs, strict=True):
                fig.text(x, y, v, fontsize=8.5, va="center")
        if not len(part):
            fig.text(0.05, top - row_h, "Nothing changed: every row kept.", fontsize=9)
        figs.append(fig)
    return figs
