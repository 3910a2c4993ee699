"""The recipe behind ``planner run``: validate -> forecast -> optimise -> report.

Why a plain function per stage: sweeps (``planner.sweep``) reuse the same stages — forecast once
per scenario, plan once per budget — and tests can stop after any stage.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.helper import Helper, aside, wanted
from planner.io.atomic import write_csv
from planner.io.inputs import read_inputs_and_scenario
from planner.io.plan import write_plan
from planner.io.run import read_demand, write_run_inputs
from planner.options import PlanOptions
from planner.plan_schema import PlanSummary
from planner.record import budget_note, changes_table, record_summary
from planner.tables import Inputs, Plan
from planner.units import usd_text

Log = Callable[[str], None]


@dataclass
class RunResult:
    out_dir: Path
    inputs: Inputs
    scenario: Scenario
    forecast: pd.DataFrame | None = None
    demand: pd.DataFrame | None = None
    plan: Plan | None = None
    files: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def forecast_stage(inputs: Inputs, scenario: Scenario) -> pd.DataFrame:
    from planner.forecast import forecast

    return forecast(inputs, scenario)


def demand_stage(forecast_df: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    from planner.forecast import demand_for

    return demand_for(forecast_df, scenario)


def plan_stage(
    inputs: Inputs,
    demand: pd.DataFrame,
    scenario: Scenario,
    options: PlanOptions | None = None,
    *,
    log: Log | None = None,
    start: pd.DataFrame | None = None,
    forecast_df: pd.DataFrame | None = None,
    helper: Helper | None = None,
) -> Plan:
    """Survivable scenarios go through row generation over failure states (planner.survive);
    ``log`` then gets a line per round as it ends (rounds take minutes). ``start``: an earlier
    plan's upgrades table, offered as the MIP start. ``demand: {mode: scenarios}`` plans for
    joint scenarios drawn from ``forecast_df`` (planner.scenarios). ``helper``: a second
    process for the plain plan's side work (:mod:`planner.helper`; the same plan without)."""
    o = options or PlanOptions()
    if scenario.demand.mode != "quantile":
        from planner.scenarios.plan import plan_scenarios

        if forecast_df is None:
            raise InputError(
                Problem(
                    "scenario.yaml",
                    f"demand.mode: {scenario.demand.mode} samples from the forecast (got a "
                    "fixed --demand "
                    "table, expected no --demand)",
                    column="demand.mode",
                )
            )
        return plan_scenarios(inputs, forecast_df, scenario, log=log).plan
    kw = dict(formulation=o.formulation, objective=o.objective, marginals=o.marginals)
    if scenario.survivability != "none":
        from planner.survive.generate import plan_survivable

        full = o.full_survivability
        return plan_survivable(inputs, demand, scenario, full, log_fn=log, start=start, **kw)
    from planner.optimize import plan

    return plan(inputs, demand, scenario, start=start, helper=helper, **kw)


def with_record(
    inputs: Inputs, scenario: Scenario, folder: str | os.PathLike, frozen_through: int
) -> tuple[Inputs, Plan]:
    """The inputs with the record's frozen purchases added to the commitments; the record."""
    from planner.io.plan import read_plan
    from planner.record import commitments_from_record, merge_commitments

    first, last = scenario.start_year, scenario.years[-1]
    if not first - 1 <= frozen_through <= last:  # a typo would silently freeze nothing or all
        raise InputError(
            Problem("--frozen-through", f"got {frozen_through}, expected a year from "
                    f"{first - 1} (nothing frozen) to {last} (the scenario's years)")
        )  # fmt: skip
    record = read_plan(folder)
    rows = commitments_from_record(record, folder, inputs, scenario.start_year, frozen_through)
    merged = merge_commitments(inputs.committed_upgrades, rows)
    return dataclasses.replace(inputs, committed_upgrades=merged), record


def compares_build_only(inputs: Inputs, scenario: Scenario) -> bool:
    """The scenario asks for the build-only comparison and there is something to compare."""
    return bool(scenario.compare_build_only and scenario.new_leases and len(inputs.lease_options))


#: fields of the build-only plan kept in the lease plan's summary (``build_only``)
BUILD_ONLY_FIELDS = (
    "solver_status",
    "objective",
    "mip_gap",
    "npv_usd",
    "capex_usd_total",
    "capex_usd_by_year",
    "opex_usd_total",
    "served_fraction",
    "unserved_gbps_years",
    "solve_seconds",
)


def build_only_stage(
    inputs: Inputs,
    demand: pd.DataFrame,
    scenario: Scenario,
    options: PlanOptions | None,
    start: pd.DataFrame | None = None,
) -> tuple[dict, pd.DataFrame]:
    """Plan the same scenario without new leases (a second solve): its key numbers and its
    purchases.

    Solved before the lease plan, whose MIP start its purchases are (feasible there: the
    build-only plan signs no new lease), so the lease plan is never worse than it; ``start``
    (a plan of record's purchases) starts it in turn (shipped network re-planned over a
    record: 10 s to the served gap instead of the 120 s time limit from LP rounding alone)."""
    o = (options or PlanOptions()).model_copy(update={"marginals": False})
    bo = scenario.model_copy(update={"new_leases": False})
    p = plan_stage(inputs, demand, bo, o, start=start)
    return {k: p.summary.get(k) for k in BUILD_ONLY_FIELDS}, p.upgrades


def write_scenarios_stage(
    inputs: Inputs, forecast_df: pd.DataFrame, scenario: Scenario, out: Path
) -> Path:
    """``scenarios.csv``: the joint scenarios a scenario plan was sized on (same seed, same
    table)."""
    from planner.forecast.joint import sample_scenarios

    dc = scenario.demand
    seed = scenario.seed if dc.seed is None else dc.seed
    sc = sample_scenarios(
        forecast_df, inputs.sites, dc.n_scenarios, seed, inputs.demand_history,
        dc.common_loading, dc.driver_loading,
    )  # fmt: skip
    write_csv(sc, out / "scenarios.csv")
    return out / "scenarios.csv"


def planned_demand(plan: Plan) -> pd.DataFrame:
    """``site_a, site_b, year, demand_gbps`` of a plan's unserved table (what it routed)."""
    return plan.unserved[["site_a", "site_b", "year", "demand_gbps"]].reset_index(drop=True)


def report_stage(out_dir: Path, helper: Helper | None = None) -> list[Path]:
    """The report of ``out_dir``: its PNG figures drawn by ``helper`` while the PDF is drawn
    here, when it is free (the same files either way)."""
    from planner.report import render

    if helper is None or not helper.ready():
        return list(render(out_dir))
    pngs = aside(helper, render, out_dir, None, ("png",))
    pdf = render(out_dir, None, ("pdf",))
    return [*pngs(), *pdf]


#: Runs of at least this many pair-years (pairs with history x horizon) start a helper
#: process (:mod:`planner.helper`); below, its start-up (~1.5 s of imports) buys nothing.
HELPER_MIN_PAIR_YEARS = 200
#: What the helper imports, per stage it may help, while the run validates and forecasts.
HELPER_WARM = {"optimize": "planner.optimize", "report": "planner.report.render"}


def start_helper(inputs: Inputs, scenario: Scenario, stages: tuple[str, ...]) -> Helper | None:
    """A helper for a run big enough to gain from one, on a machine with a core to spare."""
    size = inputs.summary()["pairs_with_history"] * scenario.horizon_years
    if size < HELPER_MIN_PAIR_YEARS or not {"optimize", "report"} & set(stages) or not wanted():
        return None
    try:
        return Helper(tuple(m for st, m in HELPER_WARM.items() if st in stages))
    except OSError:  # no process to spare: everything here, as without one
        return None


def plan_line(summary: dict) -> str:
    """One line a planner reads first: status, spend against budget, served share, gap."""
    sm = PlanSummary.read(summary)
    budget = sm.budget_usd_total if sm.budget_applied is not False else None  # min-cost
    of = f" of {usd_text(budget)}" if budget is not None else " (min-cost, no budget)"
    gap = sm.mip_gap
    gap_s = f"{gap:.2%}" if gap is not None else "n/a"
    if sm.bound_scope == "k_paths":
        gap_s += " over the path set"
        if sm.all_paths_gap is not None:
            gap_s += f", {sm.all_paths_gap:.2%} against the all-paths LP bound"
        elif sm.path_pricing_converged is False:
            gap_s += " (paths not priced to the end: see warnings)"
    elif sm.bound_scope == "all_paths" and gap is not None:
        gap_s += " against a bound for every path"
    ub, sgap = sm.served_fraction_upper_bound, sm.served_gap
    bound_s = (
        f" (at most {ub:.1%} possible, served gap {sgap:.2%}{_all_paths_served(sm)})"
        if ub is not None and sgap is not None and sgap > 5e-5
        else ""
    )
    lease_s = (
        f", lease fees {usd_text(sm.opex_usd_total)}, NPV {usd_text(sm.npv_usd)}"
        if sm.opex_usd_total and sm.npv_usd is not None
        else ""
    )
    done = sm.capex_committed_usd or 0.0
    new_s = f" ({usd_text(done)} committed + {usd_text(sm.capex_usd_total - done)} new)"
    ds = sm.demand_scenarios
    if ds and ds.get("chance_method") == "exact":  # one MIP: its bound is the problem's
        gap_s += f" (exact chance MIP over {ds['n_scenarios']} scenarios)"
    elif ds:  # a heuristic over scenarios: the status and gap are its last sizing MIP's
        gap_s += " (last sizing MIP; the scenario plan itself has no bound)"
        served = ds.get("in_sample_served_share")
        if ds.get("objective") == "chance" and served is not None:
            bound_s += f", all demand served in {served:.0%} of {ds['n_scenarios']} scenarios"
    return (
        f"{sm.solver_status}: capex {usd_text(sm.capex_usd_total)}"
        f"{new_s if done else ''}{of}{lease_s}, "
        f"served {sm.served_fraction:.1%}{bound_s}, gap {gap_s}"
    )


def _all_paths_served(sm: PlanSummary) -> str:
    """``; on any path at most 69.9 %, 5.21 %``: the served bound that holds for every route
    (the path model's own holds for its paths)."""
    ub, gap = sm.served_fraction_upper_bound_all_paths, sm.served_gap_all_paths
    if sm.bound_scope != "k_paths" or ub is None or gap is None:
        return ""
    return f"; on any path at most {ub:.1%}, {gap:.2%}"


def survivability_line(summary: dict) -> str:
    """How row generation went and what stays unprotected (survivable plans only)."""
    sm = PlanSummary.read(summary)
    sv = sm.survivability or {}
    return (
        f"survivability {sv['mode']}: {sv['rounds']} rounds ({sv['lp_rounds']} LP, "
        f"{sv['mip_rounds']} MIP), rows for {sv['states_added']} of {sv['states_total']} "
        f"failure states, {sv['unprotected_gbps_final_year']:,.0f} protected Gbps "
        f"unprotected in {(sm.years or [''])[-1]}"
        + _weighted_gap(sv)
        + ("" if sv["converged"] else " (NOT converged: see warnings)")
    )


def _weighted_gap(sv: dict) -> str:
    """The last MIP round's gap over weighted demand (unserved + unprotected at the
    protection penalty's share): what its stop rule measured, beside the objective's gap."""
    mip = [r for r in sv.get("round_log") or [] if r.get("phase") == "mip"]
    g = mip[-1].get("protected_gap") if mip else None
    return "" if g is None else f"; served + protected gap {g:.2%} (weighted demand)"


def run(
    inputs_dir: str | os.PathLike,
    scenario_path: str | os.PathLike | Scenario,
    out_dir: str | os.PathLike,
    *,
    demand_path: str | os.PathLike | None = None,
    stages: tuple[str, ...] = ("forecast", "optimize", "report"),
    log: Log = print,
    options: PlanOptions | None = None,
    plan_of_record: str | os.PathLike | None = None,
    frozen_through: int | None = None,
) -> RunResult:
    """Run every requested stage; inputs are fully validated before anything is written.

    ``plan_of_record``: an earlier plan folder whose purchases and contracts up to
    ``frozen_through`` (default: the start year) are kept as commitments (planner.record)."""
    t0 = time.perf_counter()
    inputs, scenario = read_inputs_and_scenario(inputs_dir, scenario_path)  # cross-checked
    record = None
    if plan_of_record is not None:
        frozen_through = scenario.start_year if frozen_through is None else frozen_through
        inputs, record = with_record(inputs, scenario, plan_of_record, frozen_through)
    demand = read_demand(demand_path) if demand_path else None
    out = Path(out_dir)
    res = RunResult(out, inputs, scenario, demand=demand)
    res.seconds["validate"] = time.perf_counter() - t0
    s = inputs.summary()
    log(
        f"validate  ok: {s['sites']} sites, {s['corridors']} corridors, "
        f"{s['pairs_with_history']} pairs with history ({res.seconds['validate']:.1f} s)"
    )
    write_run_inputs(out, inputs, scenario)
    res.files.append(out / "inputs_summary.json")
    helper = start_helper(inputs, scenario, stages)  # its imports overlap the forecast
    try:
        if "forecast" in stages and demand is None:
            _forecast_step(res, log)
        if res.demand is not None:  # the exact table planned against, for `planner verify`
            write_csv(res.demand, out / "demand.csv")
            res.files.append(out / "demand.csv")
        if "optimize" in stages and res.demand is not None:
            rec = None if record is None else (record, plan_of_record, frozen_through)
            _optimize_step(res, options, rec, log, helper)
        if "report" in stages and res.plan is not None:
            t = time.perf_counter()
            res.files += report_stage(out, helper)
            res.seconds["report"] = time.perf_counter() - t
            log(f"report    ok: {out / 'report.pdf'} ({res.seconds['report']:.1f} s)")
    finally:
        if helper is not None:
            helper.close()
    return res


def _forecast_step(res: RunResult, log: Log) -> None:
    """Forecast, write forecast.csv, and the demand table planned against."""
    t = time.perf_counter()
    inputs, scenario, out = res.inputs, res.scenario, res.out_dir
    res.forecast = forecast_stage(inputs, scenario)
    write_csv(res.forecast, out / "forecast.csv")
    res.files.append(out / "forecast.csv")
    res.demand = demand_stage(res.forecast, scenario)
    res.seconds["forecast"] = time.perf_counter() - t
    last = res.demand[res.demand["year"] == res.demand["year"].max()]["demand_gbps"].sum()
    log(
        f"forecast  ok: {res.forecast[['site_a', 'site_b']].drop_duplicates().shape[0]} "
        f"pairs, {scenario.quantile_column} total {last / 1000:,.1f} Tbps in "
        f"{scenario.years[-1]} ({res.seconds['forecast']:.1f} s)"
    )


def _optimize_step(
    res: RunResult,
    options: PlanOptions | None,
    rec: tuple | None,
    log: Log,
    helper: Helper | None = None,
) -> None:
    """Plan (after the build-only comparison when asked), compare with the plan of record
    ``rec = (record, folder, frozen_through)``, write the plan tables, log the plan line."""
    t = time.perf_counter()
    inputs, scenario, out = res.inputs, res.scenario, res.out_dir
    start = None if rec is None else rec[0].upgrades
    build_only = None
    if compares_build_only(inputs, scenario):  # first: its plan starts the lease plan
        build_only, start = build_only_stage(inputs, res.demand, scenario, options, start)
    res.plan = plan_stage(inputs, res.demand, scenario, options,
                          log=lambda line: log(f"          {line}"), start=start,
                          forecast_df=res.forecast, helper=helper)  # fmt: skip
    if build_only is not None:
        res.plan.summary["build_only"] = build_only
    if rec is not None:
        record, folder, frozen_through = rec
        res.plan.changes = changes_table(record, res.plan, frozen_through)
        res.plan.summary["plan_of_record"] = record_summary(
            folder, frozen_through, res.plan.changes
        )
        note = budget_note(res.plan.summary)
        if note:
            res.plan.summary.setdefault("warnings", []).append(note)
            log(f"          note: {note}")
    write_plan(res.plan, out)
    if scenario.demand.mode != "quantile":
        res.files.append(write_scenarios_stage(inputs, res.forecast, scenario, out))
        # the demand the plan's own tables route (P50 or its first scenario), so that
        # `planner verify` re-checks what was planned
        write_csv(planned_demand(res.plan), out / "demand.csv")
    res.seconds["optimize"] = time.perf_counter() - t
    sm = res.plan.summary
    log(f"optimize  {plan_line(sm)} ({res.seconds['optimize']:.1f} s)")
    if sm.get("survivability"):
        log(f"          {survivability_line(sm)}")
