"""Text pages of the PDF: the title page (key numbers + narrative) and the upgrade schedule.

Why generated prose: a one-paragraph reading of the numbers ("spends 83 % of the budget, 94 % of
demand served, the shortfall is on DFW-PHX") is what gets pasted into the decision memo; it is
built only from the tables, so it is as reproducible as the figures.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

from planner.report import derive, style

ROWS_PER_PAGE = 30


def narrative(
    key: dict,
    *,
    scenario_name: str,
    years: list[int],
    upgrades: pd.DataFrame,
    unserved: pd.DataFrame,
    corridor_summary: pd.DataFrame,
    max_utilization: float,
) -> list[str]:
    """Short plain-language reading of the plan, one sentence per fact."""
    span = derive.year_span(years)
    when = f"in {span}" if years and years[0] == years[-1] else f"over {span}"
    return [
        *_spend_sentences(key, when, upgrades, corridor_summary),
        *_demand_sentences(key, unserved),
        *_utilisation_sentence(corridor_summary, max_utilization),
        *_solver_sentences(key),
    ]


def _spend_sentences(
    key: dict, when: str, upgrades: pd.DataFrame, corridor_summary: pd.DataFrame
) -> list[str]:
    """What is bought, where the money goes, the biggest single investment. ``when``:
    "over 2027\u20132031", or "in 2026" for a one-year plan."""
    if not key["n_upgrades"]:
        return [f"The plan buys no upgrades {when}: the existing network is used as is."]
    budget = key["budget_usd_total"]
    share = (
        f" ({key['capex_usd_total'] / budget:.0%} of the {style.fmt_usd(budget)} budget)"
        if budget and budget > 0
        else ""
    )
    by_kind = upgrades.groupby("kind")["capex_usd"].sum().sort_values(ascending=False)
    k0 = by_kind.index[0]
    top = corridor_summary.sort_values("capex_usd", ascending=False).iloc[0]
    return [
        f"{when.capitalize()} the plan buys {key['n_upgrades']} upgrade(s) on "
        f"{key['n_corridors_upgraded']} corridor(s) for {style.fmt_usd(key['capex_usd_total'])}"
        f"{share}, adding {style.fmt_gbps(key['added_gbps'])} of capacity.",
        f"The largest share of spend goes to {style.KIND_LABELS.get(k0, k0).lower()} "
        f"({style.fmt_usd(float(by_kind.iloc[0]))}).",
        f"The biggest single investment is corridor {top['corridor_id']} "
        f"({derive.pair_label(top['site_a'], top['site_b'])}): "
        f"{style.fmt_usd(float(top['capex_usd']))} for "
        f"+{style.fmt_gbps(float(top['added_gbps']))}.",
    ]


def _demand_sentences(key: dict, unserved: pd.DataFrame) -> list[str]:
    """Demand growth and what stays unserved (the three worst pairs)."""
    out: list[str] = []
    tot = derive.unserved_totals(unserved)
    if len(tot):
        d0, d1 = float(tot["demand_gbps"].iloc[0]), float(tot["demand_gbps"].iloc[-1])
        y0, y1 = int(tot.index[0]), int(tot.index[-1])
        out.append(
            f"Planned demand is {style.fmt_gbps(d1)} in {y1}."
            if y0 == y1
            else f"Planned demand grows from {style.fmt_gbps(d0)} in {y0} to "
            f"{style.fmt_gbps(d1)} in {y1}."
        )
    uns_final = key["unserved_gbps_final_year"]
    if uns_final <= derive.EPS_GBPS:
        out.append(
            f"All demand is served in the final year ({key['served_fraction']:.1%} over the "
            "horizon)."
        )
        return out
    fin = unserved[unserved["year"] == unserved["year"].max()].sort_values(
        "unserved_gbps", ascending=False
    )
    pairs = ", ".join(
        f"{derive.pair_label(r.site_a, r.site_b)} ({style.fmt_gbps(r.unserved_gbps)})"
        for r in fin.head(3).itertuples()
        if r.unserved_gbps > derive.EPS_GBPS
    )
    out.append(
        f"{style.fmt_gbps(uns_final)} stays unserved in the final year, mostly on {pairs}; "
        f"over the horizon {key['served_fraction']:.1%} of demand is served."
    )
    return out


def _utilisation_sentence(corridor_summary: pd.DataFrame, max_utilization: float) -> list[str]:
    """The busiest corridor and how many exceed the planning limit."""
    hot = corridor_summary[corridor_summary["peak_utilization"] > max_utilization + 1e-9]
    busiest = corridor_summary.dropna(subset=["peak_utilization"]).sort_values(
        "peak_utilization", ascending=False
    )
    if not len(busiest):
        return []
    b = busiest.iloc[0]
    return [
        f"The busiest corridor is {b['corridor_id']} "
        f"({derive.pair_label(b['site_a'], b['site_b'])}) at "
        f"{b['peak_utilization']:.0%} peak utilisation"
        + (
            f"; {len(hot)} corridor(s) exceed the {max_utilization:.0%} planning limit."
            if len(hot)
            else f", within the {max_utilization:.0%} planning limit."
        )
    ]


def _solver_sentences(key: dict) -> list[str]:
    """Status, gap and the bound it is measured against; the served gap; a caution if large.

    Why the scope: a path model's own bound holds for the paths it considered; a planner must
    not read "2 % gap" as proven against every route when the all-paths bound says 5 %.
    """
    gap = key["mip_gap"]
    k_paths = key.get("bound_scope") == "k_paths"
    gap_txt = f" with a {gap:.2%} optimality gap" if math.isfinite(gap) else ""
    if gap_txt and k_paths:
        gap_txt += " over the paths the model considered"
        ap = key.get("all_paths_gap", float("nan"))
        if math.isfinite(ap):
            gap_txt += f" ({ap:.2%} against a bound that holds for every path)"
        elif key.get("path_pricing_converged") is False:  # a work bound stopped pricing
            gap_txt += (
                " (path pricing stopped early: routes outside those paths may need less"
                " capacity, and no bound holds for every path)"
            )
    elif gap_txt and key.get("bound_scope") == "all_paths":  # arc model, or Benders' bound
        gap_txt += " against a bound that holds for every path"
    secs = key["solve_seconds"]
    sec_txt = f" in {secs:.1f} s" if math.isfinite(secs) else ""
    out = [
        f"Solver {key['solver']} finished: {status_text(key['solver_status']).lower()}"
        f"{sec_txt}{gap_txt}."
    ]
    # budget-bound plans: the served gap is the planner's reading of the optimality gap
    sgap = key.get("served_gap", float("nan"))
    routed = " routed on those paths" if k_paths else ""
    sgap_all = key.get("served_gap_all_paths", float("nan"))
    any_path = (
        f" (routed on any path: at most {sgap_all:.2%} more)"
        if k_paths and math.isfinite(sgap_all)
        else ""
    )
    if math.isfinite(sgap):
        out.append(
            f"No plan within the budget{routed} serves more than {sgap:.2%} more demand than "
            f"this one{any_path}."
            if sgap > 5e-5
            else f"No plan within the budget{routed} serves more demand than this one{any_path}."
        )
    worst = sgap if math.isfinite(sgap) else gap
    if math.isfinite(worst) and worst > 0.05:
        out.append(
            f"Caution: with a {worst:.0%} gap a better plan may exist for the same budget; "
            "a longer solver time limit may find it."
        )
    return out


#: statuses that met their target (not flagged on the title card)
SOLVED_STATUSES = ("optimal", "served_gap_reached", "n/a")


def status_text(status: str) -> str:
    """``time_limit_feasible`` -> ``Time limit feasible`` (fits a card, reads as words)."""
    s = str(status).replace("_", " ").strip()
    return s[:1].upper() + s[1:] if s else "n/a"


def title_page(
    key: dict,
    narrative_lines: list[str],
    *,
    scenario: dict,
    plan_name: str,
) -> Figure:
    """Scenario, five key numbers in cards, the narrative and the scenario settings."""
    with style.theme():
        fig = style.new_figure()
        fig.text(
            0.06,
            0.92,
            "AI data-center interconnect capacity plan",
            fontsize=22,
            fontweight="bold",
            va="top",
        )
        fig.text(
            0.06,
            0.865,
            f"Scenario \u201c{scenario.get('name', '')}\u201d  \u00b7  "
            f"{scenario.get('years', '')}  \u00b7  plan directory {plan_name}",
            fontsize=11,
            color=style.MUTED,
            va="top",
        )
        uns = key["unserved_gbps_final_year"]
        w, gapx, x0 = 0.164, 0.013, 0.06
        for i, (label, value, sub) in enumerate(key_cards(key)):
            warn = (label.startswith("Unserved") and uns > derive.EPS_GBPS) or (
                label == "Solver" and key["solver_status"].lower() not in SOLVED_STATUSES
            )
            _card(fig, x0 + i * (w + gapx), w, (label, value, sub), warn)
        fig.text(0.06, 0.58, "Summary", fontsize=13, fontweight="bold", va="top")
        body = "\n".join(
            textwrap.fill(f"\u2022 {s}", 105, subsequent_indent="   ") for s in narrative_lines
        )
        fig.text(0.06, 0.545, body, fontsize=10, va="top", linespacing=1.55)
        _settings_block(fig, scenario)
        return fig


def _budget_line(key: dict) -> str:
    """Under the CapEx card: the budget, or why there is none (min-cost ignores it)."""
    if math.isfinite(key["budget_usd_total"]):
        return f"of {style.fmt_usd(key['budget_usd_total'])} budget"
    return "min-cost: no budget" if key.get("objective_mode") == "min-cost" else "no budget given"


def key_cards(key: dict) -> list[tuple[str, str, str]]:
    """(label, value, line below) of the five title-page cards."""
    gap = key["mip_gap"]
    gap_sub = f"gap {gap:.2%}" if math.isfinite(gap) else "gap n/a"
    ap = key.get("all_paths_gap", float("nan"))
    if math.isfinite(gap) and key.get("bound_scope") == "k_paths":
        # the path model's own gap holds for its paths; say so and give the all-paths one
        gap_sub += " on its paths" + (f"\n{ap:.2%} on all paths" if math.isfinite(ap) else "")
    return [
        (
            "CapEx",
            style.fmt_usd(key["capex_usd_total"]),
            _budget_line(key),
        ),
        ("Demand served", style.fmt_pct(key["served_fraction"]), "over the horizon"),
        (
            "Unserved, final year",
            style.fmt_gbps(key["unserved_gbps_final_year"]),
            f"of {style.fmt_gbps(key['demand_gbps_final_year'])} demand",
        ),
        (
            "Upgrades",
            f"{key['n_upgrades']}",
            f"on {key['n_corridors_upgraded']} corridor(s), +{style.fmt_gbps(key['added_gbps'])}",
        ),
        ("Solver", status_text(key["solver_status"]), gap_sub),
    ]


def _card(fig: Figure, x: float, w: float, card: tuple[str, str, str], warn: bool) -> None:
    """One rounded key-number card; red outline and value when ``warn``."""
    label, value, sub = card
    y0, h = 0.63, 0.17
    fig.add_artist(
        FancyBboxPatch(
            (x, y0),
            w,
            h,
            boxstyle="round,pad=0.004",
            transform=fig.transFigure,
            facecolor="#f5f7fa",
            edgecolor=style.RED if warn else style.GRID,
            lw=1.2,
        )
    )
    fig.text(x + 0.012, y0 + h - 0.025, label, fontsize=9.5, color=style.MUTED, va="top")
    fig.text(
        x + 0.012,
        y0 + h * 0.45,
        value,
        fontsize=19 if len(value) < 10 else (13 if len(value) < 15 else 11),  # fit the card
        fontweight="bold",
        color=style.RED if warn else style.INK,
        va="center",
    )
    fig.text(
        x + 0.012,
        y0 + 0.02,
        "\n".join(textwrap.fill(line, 30) for line in sub.split("\n")),
        fontsize=8,
        color=style.MUTED,
        va="bottom",
    )


def _settings_block(fig: Figure, scenario: dict) -> None:
    """The scenario's settings in three columns at the foot of the title page."""
    fig.text(0.06, 0.2, "Scenario settings", fontsize=11, fontweight="bold", va="top")
    items = [(k, v) for k, v in scenario.items() if k not in ("name", "years")]
    per_col = math.ceil(len(items) / 3) if items else 1
    for i, (k, v) in enumerate(items):
        col, row = divmod(i, per_col)
        x, y = 0.06 + col * 0.3, 0.17 - row * 0.025
        fig.text(x, y, f"{k}: ", fontsize=8.5, color=style.MUTED, va="top")
        fig.text(x + 0.115, y, str(v), fontsize=8.5, va="top")


_COLUMNS = (
    # header, field, x position (figure fraction), alignment
    ("Year bought", "year", 0.05, "left"),
    ("In service", "in_service_year", 0.14, "left"),
    ("Corridor", "corridor_id", 0.22, "left"),
    ("Route", "route", 0.30, "left"),
    ("Option", "option_id", 0.41, "left"),
    ("Kind", "kind", 0.55, "left"),
    ("Units", "units", 0.69, "right"),
    ("Added", "added_gbps", 0.78, "right"),
    ("CapEx", "capex_usd", 0.87, "right"),
    ("Cumulative", "cumulative_capex_usd", 0.95, "right"),
)


def _cell(field: str, v: object) -> str:
    if field in ("added_gbps",):
        return style.fmt_gbps(float(v)) if float(v) > 0 else "\u2013"
    if field in ("capex_usd", "cumulative_capex_usd"):
        return style.fmt_usd(float(v))
    if field in ("year", "in_service_year"):
        return f"{float(v):.0f}"
    if field == "units":
        return f"{float(v):,.0f}"
    if field == "kind":
        return style.KIND_LABELS.get(str(v), str(v))
    return str(v)


def schedule_pages(schedule: pd.DataFrame, *, scenario_name: str = "") -> list[Figure]:
    """The upgrade schedule as a table, ``ROWS_PER_PAGE`` rows a page, totals on the last."""
    with style.theme():
        n_pages = max(1, math.ceil(len(schedule) / ROWS_PER_PAGE))
        figs = []
        for p in range(n_pages):
            fig = style.new_figure()
            part = schedule.iloc[p * ROWS_PER_PAGE : (p + 1) * ROWS_PER_PAGE]
            suffix = f" (page {p + 1} of {n_pages})" if n_pages > 1 else ""
            style.page_title(
                fig,
                f"Upgrade schedule{suffix}",
                f"Scenario {scenario_name}.  {len(schedule)} purchase(s), by year bought; capacity "
                "is in service from the year shown; CapEx in the year bought.",
            )
            if schedule.empty:
                ax = fig.add_axes((0.08, 0.1, 0.84, 0.74))
                style.empty_panel(ax, "The plan buys no upgrades, so there is no schedule.")
            else:
                _table_rows(fig, part)
                if p == n_pages - 1:
                    _table_totals(fig, schedule, _TOP - (len(part) + 1) * _ROW_H - 0.01)
            figs.append(fig)
        return figs


#: top row (header) and row height of the schedule table, figure fractions
_TOP, _ROW_H = 0.85, 0.025


def _band(fig: Figure, y: float, height: float, colour: str) -> None:
    """A full-width background band (header, zebra rows, totals rule)."""
    fig.add_artist(
        Rectangle(
            (0.04, y), 0.92, height, facecolor=colour, edgecolor="none", transform=fig.transFigure
        )
    )


def _table_rows(fig: Figure, part: pd.DataFrame) -> None:
    """Header and one zebra-striped line per purchase."""
    _band(fig, _TOP - _ROW_H * 0.5, _ROW_H, "#e8edf3")
    for head, _f, x, ha in _COLUMNS:
        fig.text(x, _TOP, head, fontsize=9, fontweight="bold", ha=ha, va="center")
    for i, r in enumerate(part.itertuples(index=False)):
        y = _TOP - (i + 1) * _ROW_H
        if i % 2 == 1:
            _band(fig, y - _ROW_H * 0.5, _ROW_H, "#f6f7f9")
        rec = r._asdict()
        for _h, field, x, ha in _COLUMNS:
            fig.text(x, y, _cell(field, rec[field]), fontsize=8.5, ha=ha, va="center")


def _table_totals(fig: Figure, schedule: pd.DataFrame, y: float) -> None:
    """Rule, total Gbps and CapEx of the whole schedule, the fiber-pair footnote."""
    _band(fig, y + _ROW_H * 0.5, 0.0012, style.INK)
    bold = dict(fontsize=9, fontweight="bold", va="center")
    fig.text(0.05, y - 0.005, "Total", **bold)
    fig.text(
        0.78, y - 0.005, style.fmt_gbps(float(schedule["added_gbps"].sum())), ha="right", **bold
    )
    fig.text(0.87, y - 0.005, style.fmt_usd(float(schedule["capex_usd"].sum())), ha="right", **bold)
    if (schedule["kind"] == "fiber_pair").any():
        fig.text(
            0.05,
            y - 0.05,
            "Lighting a fiber pair adds wave slots, not "
            "capacity: the waves bought on it carry the traffic.",
            fontsize=8,
            color=style.MUTED,
            va="center",
        )
