"""Plan pages: CapEx against budget, corridor utilisation before/after, unserved demand.

Why these three: they answer "what do we spend and when", "what does it fix" and "what is
still not fixed"; each shows an explicit empty state rather than a blank axis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from planner.report import derive, style

MAX_HEATMAP_ROWS = 40
MAX_CORRIDOR_BARS = 25
MAX_UNSERVED_PAIRS = 15


def capex_by_year(
    upgrades: pd.DataFrame,
    *,
    years: list[int],
    budget_usd_total: float | None,
    budget_usd_per_year: list[float] | None = None,
    corridors: pd.DataFrame | None = None,
    scenario_name: str = "",
) -> Figure:
    """Spend per purchase year by option kind, cumulative spend against the budget line, and
    the corridors that take the most money (stacked by option kind)."""
    with style.theme():
        fig = style.new_figure()
        total = float(upgrades["capex_usd"].sum()) if len(upgrades) else 0.0
        budget_txt = style.fmt_usd(budget_usd_total) if budget_usd_total else "no cap"
        share = f" ({total / budget_usd_total:.0%})" if budget_usd_total else ""
        style.page_title(
            fig,
            f"CapEx by year: {style.fmt_usd(total)} of a {budget_txt} budget{share}",
            f"Scenario {scenario_name}.  Spend is counted in the year an upgrade is bought "
            "(in service after its lead time).",
        )
        ax1 = fig.add_axes((0.08, 0.53, 0.40, 0.30))
        ax3 = fig.add_axes((0.08, 0.09, 0.40, 0.32))
        ax2 = fig.add_axes((0.64, 0.09, 0.32, 0.74))
        if upgrades.empty:
            msg = "The plan buys no upgrades: existing capacity carries the demand it serves."
            style.empty_panel(ax1, msg, "Spend per year by option kind")
            style.empty_panel(ax3, f"Budget: {budget_txt}; spend: $0.", "Cumulative spend")
            style.empty_panel(ax2, "No corridor is upgraded.", "Corridors by CapEx")
            return fig
        ys = np.array(sorted(set(years) | set(upgrades["year"].astype(int))))
        by_kind = (
            upgrades.pivot_table(index="year", columns="kind", values="capex_usd", aggfunc="sum")
            .reindex(ys)
            .fillna(0.0)
        )
        kinds = [k for k in style.KIND_COLOURS if k in by_kind] + [
            k for k in by_kind if k not in style.KIND_COLOURS
        ]
        _spend_per_year(ax1, by_kind, kinds, years, budget_usd_per_year)
        _cumulative_spend(ax3, by_kind, budget_usd_total)
        _corridors_by_capex(ax2, upgrades, kinds, corridors)
        return fig


def _spend_per_year(
    ax, by_kind: pd.DataFrame, kinds: list[str], years: list[int], per_year: list[float] | None
) -> None:
    """Stacked spend per purchase year by option kind, with the per-year budget steps."""
    ys = by_kind.index.to_numpy()
    per_year_max = float(by_kind.sum(axis=1).max())
    cap_max = max(per_year) if per_year else 0.0
    div = style.usd_axis(ax, max(per_year_max, cap_max), what="CapEx")
    bottom = np.zeros(len(ys))
    for k in kinds:
        v = by_kind[k].to_numpy() / div
        ax.bar(ys, v, bottom=bottom, color=style.KIND_COLOURS.get(k, style.OTHER),
               label=style.KIND_LABELS.get(k, k), width=0.62)  # fmt: skip
        bottom += v
    for x, v in zip(ys, bottom, strict=True):
        if v > 0:
            ax.annotate(style.fmt_usd(v * div), (x, v), xytext=(0, 3),
                        textcoords="offset points", ha="center", fontsize=8.5)  # fmt: skip
    if per_year:
        by = np.array(years)
        steps = np.r_[per_year, per_year[-1]] / div
        ax.step(np.r_[by - 0.5, by[-1] + 0.5], steps, where="post", color=style.RED, lw=1.5,
                ls="--", label="Budget per year")  # fmt: skip
    ax.set_ylim(0, max(bottom.max(), cap_max / div) * 1.2)
    style.year_axis(ax, ys)
    ax.set_xlabel("Year bought")
    ax.set_title("Spend per year by option kind")
    ax.legend(loc="upper right", ncols=2)


def _cumulative_spend(ax, by_kind: pd.DataFrame, budget_usd_total: float | None) -> None:
    """Cumulative spend at the end of each year against the total budget line."""
    ys = by_kind.index.to_numpy()
    cum = by_kind.sum(axis=1).cumsum()
    ymax = max(float(cum.max()), budget_usd_total or 0.0)
    div = style.usd_axis(ax, ymax, what="Cumulative")
    ax.fill_between(ys, cum.to_numpy() / div, color=style.BLUE, alpha=0.12, lw=0)
    ax.plot(ys, cum.to_numpy() / div, color=style.BLUE, lw=2, marker="o", ms=4,
            label="Cumulative spend, end of year")  # fmt: skip
    for x, v in zip(ys, cum.to_numpy(), strict=True):
        ax.annotate(style.fmt_usd(v), (x, v / div), xytext=(0, -12), textcoords="offset points",
                    ha="center", fontsize=8, color=style.BLUE)  # fmt: skip
    if budget_usd_total:
        ax.axhline(budget_usd_total / div, color=style.RED, lw=1.6, ls="--",
                   label=f"Total budget {style.fmt_usd(budget_usd_total)}")  # fmt: skip
    ax.set_ylim(0, ymax / div * 1.25)
    style.year_axis(ax, ys)
    ax.set_title("Cumulative spend against the budget")
    ax.legend(loc="upper left")


def _corridors_by_capex(
    ax, upgrades: pd.DataFrame, kinds: list[str], corridors: pd.DataFrame | None
) -> None:
    """The corridors that take the most money, stacked by option kind."""
    geo = corridors.set_index("corridor_id") if corridors is not None else None
    per_c = upgrades.pivot_table(
        index="corridor_id", columns="kind", values="capex_usd", aggfunc="sum"
    ).fillna(0.0)
    per_c = per_c.assign(_t=per_c.sum(axis=1)).sort_values("_t", ascending=False, kind="mergesort")
    shown = per_c.head(MAX_CORRIDOR_BARS).iloc[::-1]
    names = [
        derive.corridor_label(c, geo.at[c, "site_a"], geo.at[c, "site_b"])
        if geo is not None and c in geo.index
        else str(c)
        for c in shown.index
    ]
    div = style.usd_axis(ax, float(shown["_t"].max()), axis="x", what="CapEx")
    left = np.zeros(len(shown))
    for k in kinds:
        if k in shown:
            v = shown[k].to_numpy() / div
            ax.barh(names, v, left=left, color=style.KIND_COLOURS.get(k, style.OTHER), height=0.65)
            left += v
    for i, v in enumerate(shown["_t"]):
        ax.annotate(style.fmt_usd(v), (v / div, i), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=7.5)  # fmt: skip
    ax.set_xlim(0, float(shown["_t"].max()) / div * 1.25)
    ax.set_ylim(len(shown) - 0.5 - max(len(shown), 12), len(shown) - 0.5)
    ax.grid(False, axis="y")
    ax.tick_params(axis="y", labelsize=7.5 if len(shown) > 15 else 8.5)
    more = f" (top {len(shown)} of {len(per_c)})" if len(per_c) > len(shown) else ""
    ax.set_title(f"Corridors by CapEx{more}, colours by option kind")


def heatmap_pages(capacity: pd.DataFrame) -> int:
    """Pages needed to show every corridor of the utilisation heatmap."""
    n = capacity["corridor_id"].nunique() if len(capacity) else 0
    return max(1, -(-n // MAX_HEATMAP_ROWS))


def utilization_heatmap(
    capacity: pd.DataFrame,
    corridors: pd.DataFrame,
    *,
    max_utilization: float = 0.7,
    scenario_name: str = "",
    page: int = 0,
) -> Figure:
    """Corridors x years: utilisation on today's capacity (before) and on the plan (after).

    Corridors are sorted by peak utilisation; ``page`` selects which block of
    ``MAX_HEATMAP_ROWS`` to draw (the PDF shows every page, the PNG the first).
    """
    with style.theme():
        fig = style.new_figure()
        before, after = derive.utilization_matrices(capacity, corridors)
        n_total = len(after)
        n_pages = heatmap_pages(capacity)
        suffix = f" (page {page + 1} of {n_pages})" if n_pages > 1 else ""
        style.page_title(
            fig,
            f"Corridor utilisation by year, before and after the plan{suffix}",
            f"Scenario {scenario_name}.  Before: the plan's routed traffic on the capacity "
            "installed today (over 100 % = the corridor could not carry it without upgrades).  "
            f"After: traffic on the planned capacity.  Planning limit {max_utilization:.0%}.",
        )
        if after.empty:
            ax = fig.add_axes((0.08, 0.1, 0.84, 0.74))
            style.empty_panel(ax, "The plan has no capacity table rows.")
            return fig
        peak = pd.concat([before.max(axis=1), after.max(axis=1)], axis=1).max(axis=1)
        order = peak.sort_values(ascending=False, kind="mergesort").index
        shown = list(order[page * MAX_HEATMAP_ROWS : (page + 1) * MAX_HEATMAP_ROWS])
        geo = corridors.set_index("corridor_id")
        labels = [
            derive.corridor_label(c, geo.at[c, "site_a"], geo.at[c, "site_b"])
            if c in geo.index
            else c
            for c in shown
        ]
        cmap = style.util_cmap(max_utilization).with_extremes(bad="#eeeeee")
        norm = Normalize(0.0, style.UTIL_MAX)
        years = list(after.columns)
        top = 0.83
        axb = fig.add_axes((0.17, 0.115, 0.345, top - 0.115))
        axa = fig.add_axes((0.535, 0.115, 0.345, top - 0.115))
        n = len(shown)
        annotate = n <= MAX_HEATMAP_ROWS and len(years) <= 12
        cell_font = 7.5 if n <= 25 else 6.5 if n <= 35 else 5.8
        for ax, mat, title in (
            (axb, before, "Before: on today's capacity"),
            (axa, after, "After: on the planned capacity"),
        ):
            m = mat.reindex(index=shown, columns=years).to_numpy(dtype=float)
            _heat_panel(ax, m, years, labels if ax is axb else [""] * n, title, cmap, norm)
            if annotate:
                _heat_cells(ax, m, max_utilization, cell_font)
        _util_colorbar(fig, cmap, norm, max_utilization)
        note = "Cells in %; grey n/a = no capacity yet (candidate route not built)."
        if n_total > n:
            first = page * MAX_HEATMAP_ROWS + 1
            note += (
                f"  Corridors {first}\u2013{first + n - 1} of {n_total}, by peak utilisation"
                " (before or after)."
            )
        fig.text(0.17, 0.045, note, fontsize=8, color=style.MUTED)
        return fig


def _heat_panel(ax, m: np.ndarray, years: list, labels: list[str], title: str, cmap, norm) -> None:
    """One utilisation matrix (corridors x years) as an image, n/a cells in the 'bad' colour."""
    n = len(labels)
    ax.imshow(np.ma.masked_invalid(m), cmap=cmap, norm=norm, aspect="auto",
              interpolation="nearest")  # fmt: skip
    ax.grid(False)
    ax.set_xticks(range(len(years)), [str(int(y)) for y in years])
    ax.set_xlabel("Year")
    ax.set_yticks(range(n), labels, fontsize=8 if n <= 30 else 6.5)
    ax.set_title(title)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)


def _heat_cells(ax, m: np.ndarray, max_utilization: float, font: float) -> None:
    """Each cell's utilisation in %, white on cells above the planning limit."""
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            v = m[i, j]
            txt = "n/a" if np.isnan(v) else f"{100 * v:.0f}"
            dark = not np.isnan(v) and v >= max_utilization * 1.05
            ax.text(j, i, txt, ha="center", va="center", fontsize=font,
                    color="white" if dark else style.INK)  # fmt: skip


def _util_colorbar(fig: Figure, cmap, norm, max_utilization: float) -> None:
    """Utilisation colour bar with the planning limit marked."""
    cax = fig.add_axes((0.91, 0.25, 0.015, 0.45))
    cb = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax)
    cb.set_label("Utilisation (%)")
    cb.set_ticks([0, 0.25, 0.5, 0.75, 1.0, style.UTIL_MAX])
    cb.set_ticklabels(["0", "25", "50", "75", "100", f"\u2265{style.UTIL_MAX * 100:.0f}"])
    cb.ax.axhline(max_utilization, color=style.INK, lw=1.5)
    cb.outline.set_visible(False)


def unserved_chart(unserved: pd.DataFrame, *, scenario_name: str = "") -> Figure:
    """Unserved demand by year (stacked on served) and by pair; an empty state if all served."""
    with style.theme():
        fig = style.new_figure()
        tot = derive.unserved_totals(unserved)
        total_uns = float(tot["unserved_gbps"].sum()) if len(tot) else 0.0
        all_served = total_uns <= derive.EPS_GBPS * max(len(unserved), 1)
        style.page_title(
            fig,
            "Unserved demand: all demand is served"
            if all_served
            else f"Unserved demand: {style.fmt_gbps(float(tot['unserved_gbps'].iloc[-1]))} in "
            f"{int(tot.index[-1])}",
            f"Scenario {scenario_name}.  Demand is the forecast quantile the plan was sized for; "
            "unserved = demand the planned network cannot route within the latency and "
            "utilisation limits.",
        )
        ax1 = fig.add_axes((0.08, 0.11, 0.38, 0.72))
        ax2 = fig.add_axes((0.60, 0.11, 0.34, 0.70))
        if all_served:
            style.empty_panel(
                ax1,
                "Every pair's demand is served in every planning year.",
                "Unserved demand by year",
            )
            style.empty_panel(ax2, "No pair has unserved demand.", "Unserved demand by pair")
            return fig
        _served_by_year(ax1, tot)
        _unserved_by_pair(ax2, unserved, int(tot.index[-1]))
        return fig


def _served_by_year(ax, tot: pd.DataFrame) -> None:
    """Served and unserved demand per year, stacked, the unserved share written on top."""
    ys = tot.index.astype(int).to_numpy()
    div = style.gbps_axis(ax, float(tot["demand_gbps"].max()), what="Demand")
    ax.bar(ys, tot["served_gbps"] / div, color=style.LIGHT_BLUE, width=0.62, label="Served")
    ax.bar(ys, tot["unserved_gbps"] / div, bottom=tot["served_gbps"] / div, color=style.RED,
           width=0.62, label="Unserved")  # fmt: skip
    for y, r in tot.iterrows():
        share = r["unserved_gbps"] / r["demand_gbps"] if r["demand_gbps"] > 0 else 0.0
        ax.annotate(f"{style.fmt_gbps(r['unserved_gbps'])}\n({share:.1%})",
                    (y, r["demand_gbps"] / div), xytext=(0, 4), textcoords="offset points",
                    ha="center", fontsize=8, color=style.RED)  # fmt: skip
    ax.set_ylim(0, tot["demand_gbps"].max() / div * 1.18)
    style.year_axis(ax, ys)
    ax.set_title("Served and unserved demand by year")
    ax.legend(loc="upper left")


def _unserved_by_pair(ax, unserved: pd.DataFrame, final_year: int) -> None:
    """The pairs with the most unserved demand in the final year (or over the horizon)."""
    per_pair = unserved.groupby(["site_a", "site_b"])["unserved_gbps"].agg(["sum", "last"])
    fin = unserved[unserved["year"] == final_year].set_index(["site_a", "site_b"])
    per_pair["final"] = fin["unserved_gbps"].reindex(per_pair.index).fillna(0.0)
    key = "final" if per_pair["final"].sum() > derive.EPS_GBPS else "sum"
    per_pair = per_pair[per_pair[key] > derive.EPS_GBPS].sort_values(
        [key], ascending=False, kind="mergesort"
    )
    shown = per_pair.head(MAX_UNSERVED_PAIRS).iloc[::-1]
    labels = [derive.pair_label(a, b) for a, b in shown.index]
    div = style.gbps_axis(ax, float(shown[key].max()), axis="x", what="Unserved")
    ax.barh(labels, shown[key] / div, color=style.RED, height=0.6)
    dem_pair = (
        fin["demand_gbps"]
        if key == "final"
        else unserved.groupby(["site_a", "site_b"])["demand_gbps"].sum()
    ).reindex(shown.index)
    for i, (v, dv) in enumerate(zip(shown[key], dem_pair, strict=True)):
        share = f"  ({v / dv:.0%})" if dv and dv > 0 else ""
        ax.annotate(f"{style.fmt_gbps(v)}{share}", (v / div, i), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=8)  # fmt: skip
    ax.set_xlim(0, shown[key].max() / div * 1.3)
    ax.set_ylim(len(shown) - 0.5 - max(len(shown), 10), len(shown) - 0.5)
    ax.grid(False, axis="y")
    when = f"in {final_year}" if key == "final" else "summed over the horizon"
    ax.set_title(f"Unserved demand by pair, {when}")
    ax.set_xlabel(f"{ax.get_xlabel()}; in brackets: share of the pair's demand")
    ax.set_ylabel("Site pair")
    if len(per_pair) > len(shown):
        ax.text(0, -0.1, f"Top {len(shown)} of {len(per_pair)} pairs with unserved demand.",
                transform=ax.transAxes, fontsize=8, color=style.MUTED)  # fmt: skip
