"""Comparison report of a sweep: budget frontier, marginal value of the next $100M, buy order.

Why these three views: "what do we lose at $300M instead of $600M?" is read off the frontier
(served fraction and unserved Gbps vs budget, per scenario); "is the next $100M worth it?" is
the slope of that frontier between consecutive budgets; "what do we buy first?" is the smallest
budget at which each corridor upgrade appears. Every figure is also a CSV next to it, so the
numbers can be checked and reused without reading them off a chart.

Reads only the sweep folder (``runs.csv`` and ``runs/<id>/upgrades.csv``), so it can be
re-rendered any time: ``render_comparison(sweep_dir)``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from planner.errors import InputError, Problem
from planner.io.atomic import atomic_write, write_csv
from planner.report.style import (
    DPI,
    INK,
    KIND_COLOURS,
    KIND_LABELS,
    MUTED,
    PALETTE,
    RED,
    empty_panel,
    fmt_gbps,
    fmt_pct,
    fmt_usd,
    footer,
    gbps_axis,
    new_figure,
    page_title,
    theme,
    usd_axis,
)
from planner.sweep import OK, TIME_LIMIT

#: The "next $100M" of the issue: marginal values are scaled to this budget step.
STEP_USD = 100e6
#: Served fraction may drop by this much with more budget before it is a frontier violation.
FRONTIER_TOL = 1e-6
#: Rows drawn per buy-order panel; the full list is in buy_order.csv.
MAX_BUY_ROWS = 45


# --- data -----------------------------------------------------------------------------------

_PLANNED = (OK, TIME_LIMIT)
#: Frontier values taken from the best plan found at or below each budget.
_PLAN_VALUES = ["served_fraction", "served_gbps_years", "demand_gbps_years",
                "unserved_gbps_final_year", "capex_usd", "mip_gap"]  # fmt: skip


def load_sweep(sweep_dir: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """``runs.csv``, every successful run's upgrades (with its ``run_id``), and each
    scenario's unserved penalty (USD per Gbps-year, to turn a budget dual into Gbps)."""
    d = Path(sweep_dir)
    p = d / "runs.csv"
    if not p.is_file():
        raise InputError(Problem(str(p), "missing: is this a sweep folder (planner sweep)?"))
    runs = pd.read_csv(p, dtype={"scenario": str, "run_id": str, "status": str, "error": str})
    ups, penalty = [], {}
    for r in runs[runs["status"].isin(_PLANNED)].itertuples():
        rd = d / "runs" / str(r.run_id)
        u = pd.read_csv(rd / "upgrades.csv", dtype={"corridor_id": str, "option_id": str})
        ups.append(u.assign(run_id=r.run_id))
        if r.scenario not in penalty and (rd / "scenario.yaml").is_file():
            sc = yaml.safe_load((rd / "scenario.yaml").read_text(encoding="utf-8")) or {}
            penalty[r.scenario] = float(sc.get("unserved_penalty_usd_per_gbps") or np.nan)
    cols = ["run_id", "corridor_id", "kind", "option_id", "year", "units", "capex_usd"]
    upgrades = pd.concat(ups, ignore_index=True) if ups else pd.DataFrame(columns=cols)
    return runs, upgrades, penalty


def frontier_violations(runs: pd.DataFrame, tol: float = FRONTIER_TOL) -> pd.DataFrame:
    """Runs whose plan serves less than a cheaper run's plan of the same scenario.

    Why it happens: a run stopped at the time limit (or within its MIP gap) can return a plan
    worse than a smaller budget's, although that plan is feasible at the larger budget too.
    A planner must not read it as "more money hurts"; the frontier uses the better plan.
    """
    ok = runs[runs["status"].isin(_PLANNED)].sort_values(["scenario", "budget_usd"])
    best = ok.groupby("scenario")["served_fraction"].cummax()
    return ok[ok["served_fraction"] < best - tol]


def frontier_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The budget frontier: per scenario and budget, the best plan found at or below it.

    Every plan of a smaller budget is feasible at a larger one (same constraints, a looser
    budget; per-year caps scale up too), so the best known plan for budget b is the one serving
    most among runs with budget <= b. ``plan_budget_usd`` / ``plan_run_id`` name it;
    ``frontier_ok`` is False where the run's own plan was worse (then ``raw_*`` is its own).
    Served fraction on the frontier is therefore non-decreasing in the budget by construction.
    """
    ok = runs[runs["status"].isin(_PLANNED)].sort_values(["scenario", "budget_usd"], kind="stable")
    bad = set(frontier_violations(ok)["run_id"])
    rows = []
    for _sc, g in ok.groupby("scenario", sort=False):
        best = None
        for r in g.to_dict("records"):
            if best is None or r["served_fraction"] >= best["served_fraction"]:
                best = r
            dual = r.get("budget_marginal_usd_per_usd") if best is r else np.nan
            rows.append(
                {"scenario": r["scenario"], "budget_usd": r["budget_usd"], "status": r["status"],
                 **{c: best[c] for c in _PLAN_VALUES}, "budget_marginal_usd_per_usd": dual,
                 "frontier_ok": r["run_id"] not in bad, "plan_budget_usd": best["budget_usd"],
                 "plan_run_id": best["run_id"], "run_id": r["run_id"],
                 "raw_served_fraction": r["served_fraction"],
                 "raw_unserved_gbps_final_year": r["unserved_gbps_final_year"]}
            )  # fmt: skip
    cols = ["scenario", "budget_usd", "status", *_PLAN_VALUES, "budget_marginal_usd_per_usd",
            "frontier_ok", "plan_budget_usd", "plan_run_id", "run_id", "raw_served_fraction",
            "raw_unserved_gbps_final_year"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


_DELTA = ["served_gbps_years", "served_fraction", "unserved_gbps_final_year", "capex_usd"]


def marginal_table(frontier: pd.DataFrame, penalty: dict | None = None) -> pd.DataFrame:
    """Value of the next ``STEP_USD`` between consecutive budgets on each scenario's frontier.

    ``served_gbps_years_per_100m`` = delta served Gbps-years / delta budget x $100M (the
    finite-difference slope of the frontier, >= 0). ``dual_gbps_years_per_100m`` converts the
    optimiser's LP dual of the budget row at the lower budget (``budget_marginal_usd_per_usd``:
    USD of unserved penalty avoided per USD) into Gbps-years with the scenario's penalty: the
    slope *at* that budget, where the finite difference is the average over the step.
    """
    penalty = penalty or {}
    rows = []
    for sc, g in frontier.groupby("scenario", sort=False):
        g = g.sort_values("budget_usd")
        for (_i, lo), (_j, hi) in zip(g.iterrows(), g.iloc[1:].iterrows(), strict=False):
            k = STEP_USD / (hi["budget_usd"] - lo["budget_usd"])
            d = pd.to_numeric(lo["budget_marginal_usd_per_usd"], errors="coerce")
            pen = penalty.get(sc, np.nan)
            up = hi[_DELTA].astype(float) - lo[_DELTA].astype(float)
            rows.append(
                {
                    "scenario": sc,
                    "budget_from_usd": lo["budget_usd"],
                    "budget_to_usd": hi["budget_usd"],
                    "served_gbps_years_per_100m": up["served_gbps_years"] * k,
                    "served_fraction_points_per_100m": 100 * up["served_fraction"] * k,
                    "unserved_final_year_gbps_cut_per_100m": -up["unserved_gbps_final_year"] * k,
                    "capex_used_delta_usd": up["capex_usd"],
                    "dual_gbps_years_per_100m": (
                        abs(float(d)) * STEP_USD / pen if pd.notna(d) and pen > 0 else np.nan
                    ),
                }
            )
    cols = ["scenario", "budget_from_usd", "budget_to_usd", "served_gbps_years_per_100m",
            "served_fraction_points_per_100m", "unserved_final_year_gbps_cut_per_100m",
            "capex_used_delta_usd", "dual_gbps_years_per_100m"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def frontier_upgrades(upgrades: pd.DataFrame, frontier: pd.DataFrame) -> pd.DataFrame:
    """The upgrades of the plan on the frontier at each (scenario, budget)."""
    plans = frontier[["scenario", "budget_usd", "plan_run_id"]]
    u = upgrades[pd.to_numeric(upgrades["units"], errors="coerce").fillna(0) > 0]
    return u.merge(plans, left_on="run_id", right_on="plan_run_id").drop(columns="plan_run_id")


def buy_order_table(upgrades: pd.DataFrame, frontier: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, corridor and option kind: the smallest budget whose plan upgrades it.

    ``upgrades`` as from :func:`frontier_upgrades`. ``kept_above`` says whether every larger
    budget also buys it: plans need not be nested (a bigger budget can swap waves on one
    corridor for a new route elsewhere).
    """
    cols = ["scenario", "corridor_id", "kind", "first_budget_usd", "first_year",
            "units_at_first", "capex_usd_at_first", "n_budgets_with", "n_budgets_from_first",
            "kept_above"]  # fmt: skip
    if upgrades.empty:
        return pd.DataFrame(columns=cols)
    budgets = {sc: g["budget_usd"].to_numpy(float) for sc, g in frontier.groupby("scenario")}
    per = (
        upgrades.groupby(["scenario", "corridor_id", "kind", "budget_usd"], as_index=False)
        .agg(year=("year", "min"), units=("units", "sum"), capex_usd=("capex_usd", "sum"))
        .sort_values("budget_usd")
    )
    rows = []
    for (sc, cid, kind), g in per.groupby(["scenario", "corridor_id", "kind"], sort=False):
        f = g.iloc[0]
        n_from = int((budgets[sc] >= f["budget_usd"]).sum())
        rows.append([sc, cid, kind, f["budget_usd"], int(f["year"]), f["units"], f["capex_usd"],
                     len(g), n_from, len(g) == n_from])  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["scenario", "first_budget_usd", "first_year", "corridor_id", "kind"])


# --- figures --------------------------------------------------------------------------------


def _colours(scenarios: list[str]) -> dict[str, str]:
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(scenarios)}


def _served_axis(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
    ax.set_ylabel("Served fraction of demand, horizon (%)")


def frontier_figure(runs: pd.DataFrame, title: str) -> Figure:
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
    fr = frontier_table(runs)
    if fr.empty:
        for ax in axes:
            empty_panel(ax, "no successful run in this sweep")
        return fig
    col = _colours(list(dict.fromkeys(runs["scenario"])))
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
    col = _colours(list(dict.fromkeys(marg["scenario"])))
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
    scen = list(dict.fromkeys(frontier["scenario"]))
    ok = frontier
    if order.empty:
        empty_panel(fig.add_axes((0.1, 0.15, 0.8, 0.7)), "no run in this sweep buys any upgrade")
        return fig
    keys = (  # cheapest budget first; at one budget, earliest year, then biggest spend
        order.groupby(["corridor_id", "kind"], as_index=False)
        .agg(
            b=("first_budget_usd", "min"), y=("first_year", "min"), c=("capex_usd_at_first", "max")
        )
        .sort_values(["b", "y", "c", "corridor_id"], ascending=[True, True, False, True])
    )
    more = max(0, len(keys) - MAX_BUY_ROWS)
    keys = keys.head(MAX_BUY_ROWS).reset_index(drop=True)
    ypos = {(r.corridor_id, r.kind): i for i, r in enumerate(keys.itertuples())}
    scen = [s for s in scen if s in set(order["scenario"])]
    axes = np.atleast_1d(
        fig.subplots(
            1,
            len(scen),
            sharey=True,
            gridspec_kw={"left": 0.16, "right": 0.98, "top": 0.83, "bottom": 0.1, "wspace": 0.08},
        )
    )
    bmax = float(ok["budget_usd"].max()) or 1.0
    for ax, sc in zip(axes, scen, strict=True):
        div = usd_axis(ax, bmax, axis="x", what="Budget")
        bs = np.sort(ok.loc[ok["scenario"] == sc, "budget_usd"].to_numpy(float))
        for r in order[order["scenario"] == sc].itertuples():
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
            later = bs[bs > r.first_budget_usd]
            ax.scatter(
                later / div,
                [y] * len(later),
                s=12,
                facecolors="none",
                edgecolors=MUTED,
                lw=0.7,
                zorder=2,
            )
        _present_dots(ax, upgrades[upgrades["scenario"] == sc], ypos, div)
        ax.set_title(sc if len(scen) > 1 else "")
        ax.set_xlim(-0.03 * bmax / div, 1.09 * bmax / div)  # room for the year labels
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
    note = f"{more} more rows in buy_order.csv. " if more else ""
    footer(
        fig,
        note + "Sorted by the smallest budget (over all scenarios), then year bought, then "
        "spend; buy_order.csv lists units and CapEx at that budget.",
    )
    return fig


def _present_dots(ax: Axes, upgrades: pd.DataFrame, ypos: dict, div: float) -> None:
    """Small filled dots at every budget where the upgrade is bought (over the open circles)."""
    for (cid, kind), g in upgrades.groupby(["corridor_id", "kind"]):
        y = ypos.get((cid, kind))
        if y is not None:
            b = np.unique(g["budget_usd"].to_numpy(float))
            ax.scatter(b / div, [y] * len(b), s=14, color=KIND_COLOURS.get(kind, INK), zorder=3)


def cover_figure(runs: pd.DataFrame, title: str) -> Figure:
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
    fr = frontier_table(runs)
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


def render_comparison(sweep_dir: str | os.PathLike) -> list[Path]:
    """Write comparison.pdf, frontier/marginal/buy_order PNGs and CSVs into the sweep folder."""
    d = Path(sweep_dir)
    runs, upgrades, penalty = load_sweep(d)
    title = d.name
    fr = frontier_table(runs)
    marg = marginal_table(fr, penalty)
    ups = frontier_upgrades(upgrades, fr)
    order = buy_order_table(ups, fr)
    files = [
        write_csv(fr, d / "frontier.csv"),
        write_csv(marg, d / "marginal.csv"),
        write_csv(order, d / "buy_order.csv"),
    ]
    with theme():
        figs = {
            "cover": cover_figure(runs, title),
            "frontier": frontier_figure(runs, title),
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
