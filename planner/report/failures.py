"""``failures.png``: demand lost under each single failure, before and after the plan.

Why this figure: it is the per-SRLG availability argument for the spend. Left: for the final
year, the share of demand each failure leaves carried, today's network against the planned
one, worst states first; a failure that still loses protected demand after the plan is red and
labelled with the protected Gbps lost. Right: per year, the share of demand carried under the
worst single failure and with nothing failed, so a planner sees whether resilience keeps up
with growth. (Shares, not Gbps: today's network loses most of the future demand even with
nothing failed, so "Gbps lost by the failure" would make it look more resilient.)
Input: the table of :func:`planner.survive.failures.failure_table` (its columns, nothing else).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from planner.report import style

#: States shown on the left panel (the rest are summarised in a note).
MAX_STATES = 25
BEFORE = style.LIGHT_BLUE
AFTER = style.BLUE


def _label(row: pd.Series) -> str:
    sid = str(row["state_id"])
    kind, _, name = sid.partition(":")
    n = len([c for c in str(row["failed_corridors"]).split(";") if c])
    return f"{name} ({n} corridors)" if kind == "srlg" and n != 1 else name or sid


def _states_panel(ax, t: pd.DataFrame, year: int) -> None:
    """Share of the year's demand carried under each failure, before vs after the plan."""
    last = t[(t["year"] == year) & (t["state_id"] != "none")].copy()
    if not len(last):
        style.empty_panel(ax, "No failure states (no corridors).", title="Each failure")
        return
    dem = last["demand_gbps"].where(last["demand_gbps"] > 0, 1.0)
    last["before"] = 1.0 - last["lost_before_gbps"] / dem
    last["after"] = 1.0 - last["lost_after_gbps"] / dem
    last = last.sort_values(
        ["protected_lost_after_gbps", "after", "state_id"], ascending=[False, True, True]
    )
    shown = last.head(MAX_STATES).iloc[::-1]
    y = np.arange(len(shown))
    h = 0.38
    ax.barh(y + h / 2, shown["before"], h, color=BEFORE, label="before the plan (installed)")
    prot = shown["protected_lost_after_gbps"].to_numpy(float)
    bad = prot > 1e-6
    ax.barh(
        y - h / 2, shown["after"], h, color=np.where(bad, style.RED, AFTER), label="after the plan"
    )
    handles = [
        Patch(color=BEFORE, label="before the plan (installed capacity)"),
        Patch(color=AFTER, label="after the plan"),
    ]
    if bad.any():
        handles.append(Patch(color=style.RED, label="after the plan, protected demand lost"))
        for yi, a, g in zip(y[bad], shown["after"].to_numpy()[bad], prot[bad], strict=True):
            ax.text(
                min(a, 1.0) + 0.01,
                yi - h / 2,
                f"-{style.fmt_gbps(g)} protected",
                va="center",
                fontsize=7,
                color=style.RED,
            )
    ax.set_yticks(y, [_label(r) for _, r in shown.iterrows()], fontsize=8)
    ax.set_xlim(0, 1.3)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{100 * v:.0f}%"))
    more = f" ({len(shown)} worst of {len(last)} states)" if len(last) > len(shown) else ""
    ax.set_xlabel(f"Share of {year} demand carried with the failure{more}")
    ax.grid(axis="y", visible=False)
    ax.set_title(f"Each failure, {year}")
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.45, -0.08),
        ncol=3,
        fontsize=8,
        frameon=False,
    )


def _years_panel(ax, t: pd.DataFrame) -> None:
    years = sorted(t["year"].unique())
    states = t[t["state_id"] != "none"]
    base = t[t["state_id"] == "none"].set_index("year")
    if not len(states):
        style.empty_panel(ax, "No failure states (no corridors).", title="Worst single failure")
        return
    dem = base["demand_gbps"].reindex(years).to_numpy(float)
    safe = np.where(dem > 0, dem, 1.0)
    worst_b = states.groupby("year")["lost_before_gbps"].max().reindex(years).to_numpy(float)
    worst_a = states.groupby("year")["lost_after_gbps"].max().reindex(years).to_numpy(float)
    nofail_b = base["lost_before_gbps"].reindex(years).to_numpy(float)
    nofail_a = base["lost_after_gbps"].reindex(years).to_numpy(float)
    ax.plot(years, 1 - nofail_a / safe, color=AFTER, ls=":", lw=1.2, label="after, no failure")
    ax.plot(
        years,
        1 - worst_a / safe,
        color=AFTER,
        marker="o",
        lw=2,
        label="after, worst single failure",
    )
    ax.plot(years, 1 - nofail_b / safe, color=BEFORE, ls=":", lw=1.2, label="before, no failure")
    ax.plot(
        years,
        1 - worst_b / safe,
        color=BEFORE,
        marker="o",
        lw=2,
        label="before, worst single failure",
    )
    style.year_axis(ax, years)
    ax.set_ylim(0, 1.05)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{100 * v:.0f}%"))
    ax.set_ylabel("Share of demand carried")
    ax.set_title("Worst failure: share carried")
    ax.legend(loc="lower left", fontsize=8, frameon=False)


def render_failures(table: pd.DataFrame, out_path: str | os.PathLike, *, mode: str) -> Path:
    """Draw the figure from the failures table and write it (PNG, atomically)."""
    from planner.io.atomic import atomic_write

    out = Path(out_path)
    with style.theme():
        fig = style.new_figure()
        years = sorted(table["year"].unique()) if len(table) else []
        what = "shared-risk group (SRLG)" if mode == "single_srlg" else "corridor"
        style.page_title(
            fig,
            f"Single failures: demand carried per {what}, before and after the plan",
            "Each failure cuts its corridors; demand is re-routed on any surviving path at full "
            "capacity (corridors may run hot until repair). Bars: share of the demand still "
            "carried. Red: the failure loses protected demand even after the plan.",
        )
        gs = fig.add_gridspec(
            1, 2, width_ratios=[1.6, 1], left=0.2, right=0.97, top=0.82, bottom=0.16, wspace=0.3
        )
        ax1, ax2 = fig.add_subplot(gs[0]), fig.add_subplot(gs[1])
        if not years:
            style.empty_panel(ax1, "The failures table is empty.")
            style.empty_panel(ax2, "The failures table is empty.")
        else:
            _states_panel(ax1, table, int(years[-1]))
            _years_panel(ax2, table)
        n_bad = int((~table.loc[table["state_id"] != "none", "survivable_after"]).sum())
        style.footer(
            fig,
            f"mode {mode}; {table['state_id'].nunique() - 1} failure states x {len(years)} years; "
            f"{n_bad} state-years lose protected demand after the plan. Source: failures.csv.",
        )
        with atomic_write(out) as tmp:
            fig.savefig(tmp, format="png", dpi=style.DPI)
    return out
