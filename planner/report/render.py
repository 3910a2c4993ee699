"""Render a plan directory to PNG figures and one PDF report, atomically.

Why atomic: ``planner run`` may be killed mid-render; a half-written ``report.pdf`` that opens
but lacks pages is worse than none. Each file goes to a temp file and is renamed into place.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from planner.errors import InputError, Problem
from planner.io.atomic import atomic_write
from planner.io.folder import final_name
from planner.plan_schema import PlanSummary
from planner.report import derive, pages, style
from planner.report.load import ReportData, load_report_data
from planner.report.plot_demand import forecast_fan, forecast_pairs
from planner.report.plot_map import network_map
from planner.report.plot_money import changes_pages, lease_mix
from planner.report.plot_plan import (
    capex_by_year,
    heatmap_pages,
    unserved_chart,
    utilization_heatmap,
)
from planner.report.risk import RiskResults, risk_page

FORMATS = ("png", "pdf")
#: PNG files in report order (the PDF shows the same figures in the same order).
FIGURES = (
    "network_map",
    "forecast_fan",
    "forecast_pairs",
    "capex_by_year",
    "utilization_heatmap",
    "unserved",
)
#: figures of some plans only (issue 18: leases), after the others
OPTIONAL_FIGURES = ("lease_mix", "risk")


def build_figures(data: ReportData) -> dict[str, Figure]:
    """Every report figure from the loaded tables (no file access here)."""
    s, plan, inp = data.scenario, data.plan, data.inputs
    return {
        "network_map": network_map(
            inp.sites,
            data.corridors,
            plan.capacity,
            plan.upgrades,
            inp.ai_buildout,
            years=s.years,
            max_utilization=s.max_utilization,
            scenario_name=s.name,
        ),
        "forecast_fan": forecast_fan(
            inp.demand_history,
            data.forecast,
            sized_column=s.quantile_column,
            plan_demand=plan.unserved,
            scenario_name=s.name,
        ),
        "forecast_pairs": forecast_pairs(inp.demand_history, data.forecast, scenario_name=s.name),
        "capex_by_year": capex_by_year(
            derive.capex_rows(plan.upgrades, plan.leases),
            years=s.years,
            budget_usd_total=s.budget_usd_total,
            budget_usd_per_year=s.budget_usd_per_year,
            corridors=data.corridors,
            scenario_name=s.name,
        ),
        "utilization_heatmap": utilization_heatmap(
            plan.capacity, data.corridors, max_utilization=s.max_utilization, scenario_name=s.name
        ),
        "unserved": unserved_chart(plan.unserved, scenario_name=s.name),
    } | (
        {
            "lease_mix": lease_mix(
                plan.upgrades,
                plan.leases,
                plan.money,
                plan.summary,
                years=s.years,
                scenario_name=s.name,
            )
        }
        if shows_leases(data)
        else {}
    )


def shows_leases(data: ReportData) -> bool:
    """The buy / lease / build page: when leases could be signed or were."""
    s, plan = data.scenario, data.plan
    return bool(len(plan.leases) or (s.new_leases and len(data.inputs.lease_options)))


def scenario_settings(data: ReportData) -> dict[str, str]:
    """The scenario as the title page lists it (money and fractions formatted for people)."""
    s = data.scenario
    # the objective the plan was solved with (``planner optimize --objective`` overrides the
    # scenario's, and the scenario.yaml beside the plan keeps the scenario's)
    objective = PlanSummary.read(data.plan.summary).objective_mode or s.objective
    per_year = (
        ", ".join(style.fmt_usd(v) for v in s.budget_usd_per_year)
        if s.budget_usd_per_year
        else "none"
    )
    return {
        "name": s.name,
        "years": derive.year_span(list(s.years)),
        "horizon": f"{s.horizon_years} year{'s' if s.horizon_years != 1 else ''} from "
        f"{s.start_year}",
        "budget, total": style.fmt_usd(s.budget_usd_total)
        + (" (not used: min-cost)" if objective == "min-cost" else ""),
        "budget per year": per_year,
        # a fixed demand file (--demand, SNDlib imports) is planned as given: no quantile
        "sized for": f"P{s.demand_quantile * 100:g} demand"
        if data.forecast is not None
        else "fixed demand file",
        "growth": str(s.growth) if data.forecast is not None else "not used (fixed demand file)",
        "max utilisation": f"{s.max_utilization:.0%}",
        "survivability": s.survivability,
        "objective": objective,
        "candidate paths": str(s.k_paths),
        "unserved penalty": f"{style.fmt_usd(s.unserved_penalty_usd_per_gbps)} per Gbps-year"
        if objective != "min-cost"
        else "none (min-cost serves every Gbps)",
        "solver": f"{s.solver.name}, limit {s.solver.time_limit_s:g} s, gap {s.solver.mip_gap:.1%}"
        + (f", served gap {s.solver.served_gap:.1%}" if s.solver.served_gap is not None else ""),
        "seed": str(s.seed),
    } | (
        {
            "lease offers": "used" if s.new_leases else "not used (new_leases: false)",
            "discount rate": f"{s.discount_rate:.1%} a year",
            "OpEx budget per year": ", ".join(style.fmt_usd(v) for v in s.opex_budget_by_year)
            if s.opex_budget_by_year
            else "none",
        }
        if len(data.inputs.lease_options) or s.discount_rate
        else {}
    )


def build_pdf_pages(data: ReportData, figures: dict[str, Figure]) -> list[Figure]:
    """Title page, every figure (heatmap paged), then the upgrade schedule (paged)."""
    plan, s = data.plan, data.scenario
    key = derive.key_numbers(plan.summary, plan.unserved, plan.upgrades)
    summ = derive.corridor_summary(data.corridors, plan.capacity, plan.upgrades)
    text = pages.narrative(
        key,
        scenario_name=s.name,
        years=s.years,
        upgrades=plan.upgrades,
        unserved=plan.unserved,
        corridor_summary=summ,
        max_utilization=s.max_utilization,
    )
    title = pages.title_page(
        key, text, scenario=scenario_settings(data), plan_name=final_name(data.plan_dir.resolve())
    )
    schedule = derive.schedule_table(plan.upgrades, data.corridors)
    out = [title]
    for n in FIGURES:
        out.append(figures[n])
        if n == "utilization_heatmap":  # the PNG shows the hottest corridors, the PDF all
            out += [
                utilization_heatmap(
                    plan.capacity,
                    data.corridors,
                    max_utilization=s.max_utilization,
                    scenario_name=s.name,
                    page=p,
                )
                for p in range(1, heatmap_pages(plan.capacity))
            ]
    out += [figures[n] for n in OPTIONAL_FIGURES if n in figures]
    if len(plan.changes):
        out += changes_pages(plan.changes, plan.summary, scenario_name=s.name)
    return out + pages.schedule_pages(schedule, scenario_name=s.name)


def _check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    fm = tuple(dict.fromkeys(f.lower().lstrip(".") for f in formats))
    bad = [f for f in fm if f not in FORMATS]
    if bad or not fm:
        raise InputError(
            Problem("--format", f"got {bad or 'nothing'}, expected one or more of {list(FORMATS)}")
        )
    return fm


def write_pdf(figs: list[Figure], path: Path, *, title: str, footer: str) -> Path:
    """One PDF page per figure, page numbers in the footer, no creation date (reproducible)."""
    meta = {
        "Title": title,
        "Author": "dci-planner",
        "Subject": "Fiber and wavelength capacity plan",
        "Creator": "dci-planner report",
        "CreationDate": None,
    }
    with atomic_write(path) as tmp, style.theme(), PdfPages(tmp, metadata=meta) as pdf:
        for i, fig in enumerate(figs, start=1):
            t = fig.text(
                0.96,
                0.018,
                f"{footer}  \u00b7  page {i} of {len(figs)}",
                ha="right",
                va="bottom",
                fontsize=7.5,
                color=style.MUTED,
            )
            pdf.savefig(fig)
            t.remove()
    return path


def render(
    plan_dir: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    formats: Iterable[str] = FORMATS,
    risk: RiskResults | None = None,
) -> list[Path]:
    """Write the report of a plan directory; returns the files written, in report order.

    Reads only ``plan_dir`` (plan tables, ``inputs/``, ``scenario.yaml``, ``forecast.csv``), so
    it re-renders without re-solving. Output goes to ``out_dir`` (default: ``plan_dir``).
    ``risk``: risk results for the Risk page instead of those ``planner risk`` left in
    ``plan_dir``; the page appears only when there are some.
    """
    fm = _check_formats(formats)
    data = load_report_data(plan_dir)
    if risk is not None:
        data.risk = risk
    out = Path(out_dir) if out_dir is not None else data.plan_dir
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with style.theme():
        figures = build_figures(data)
        if data.risk is not None:  # issue 17: what `planner risk` measured for this plan
            figures["risk"] = risk_page(data.risk)
        if "png" in fm:
            for name in [*FIGURES, *(n for n in OPTIONAL_FIGURES if n in figures)]:
                p = out / f"{name}.png"
                with atomic_write(p) as tmp:
                    figures[name].savefig(tmp, format="png", dpi=style.DPI)
                written.append(p)
        if "pdf" in fm:
            figs = build_pdf_pages(data, figures)
            written.append(
                write_pdf(
                    figs,
                    out / "report.pdf",
                    title=f"Capacity plan: {data.scenario.name}",
                    footer=f"dci-planner \u00b7 scenario {data.scenario.name}",
                )
            )
    return written
