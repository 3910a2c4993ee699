"""Specs of the plan: the output tables (column, dtype, unit, description) and summary.json.

Why its own module beside the input specs (:mod:`planner.schema`): the plan directory is the
contract between the optimiser, the report, ``planner verify`` and sweeps; its columns and
summary fields are data too, and :class:`PlanSummary` is the one reader and writer of
summary.json.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from planner.schema import OPTION_KINDS, Column, Table, tables_markdown

_CORRIDOR = Column("corridor_id", "str", "-", "Corridor (or candidate route) id.")
_YEAR = Column("year", "int", "year", "Planning year.")
_SITE_A = Column("site_a", "str", "-", "One end (site_a < site_b).")
_SITE_B = Column("site_b", "str", "-", "Other end.")

PLAN_SPECS: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "upgrades",
            "upgrades.csv",
            "What to buy: one row per corridor, option and year with units > 0.",
            (
                _CORRIDOR,
                Column("option_id", "str", "-", "Upgrade option bought."),
                Column("kind", "str", "-", "wave / fiber_pair / new_build.", choices=OPTION_KINDS),
                Column("year", "int", "year", "Year bought."),
                Column("in_service_year", "int", "year", "Year the capacity is in service."),
                Column("units", "float", "units", "Units bought (integer valued)."),
                Column("added_gbps", "float", "Gbps", "Capacity the units add once in service."),
                Column("capex_usd", "float", "USD", "Price of the units in the year bought."),
                Column(
                    "committed_units",
                    "float",
                    "units",
                    "Of these, units already ordered (committed_upgrades.csv or the plan of "
                    "record); the budget counts only the rest.",
                    required=False,
                    default=0.0,
                ),
            ),
        ),
        Table(
            "capacity",
            "capacity.csv",
            "Capacity and flow per corridor and year after the plan.",
            (
                _CORRIDOR,
                _YEAR,
                Column("capacity_gbps", "float", "Gbps", "Capacity in service that year."),
                Column("flow_gbps", "float", "Gbps", "Traffic routed over it (both directions)."),
                Column("utilization", "float", "1", "flow / capacity."),
            ),
        ),
        Table(
            "unserved",
            "unserved.csv",
            "Demand, served and unserved Gbps per site pair and year.",
            (
                _SITE_A,
                _SITE_B,
                _YEAR,
                Column("demand_gbps", "float", "Gbps", "Demand planned for (scenario quantile)."),
                Column("served_gbps", "float", "Gbps", "Demand routed."),
                Column("unserved_gbps", "float", "Gbps", "demand - served."),
            ),
        ),
        Table(
            "routing",
            "routing.csv",
            "How each pair's served demand is routed, path by path.",
            (
                _SITE_A,
                _SITE_B,
                _YEAR,
                Column("path", "str", "-", "Corridor ids from site_a to site_b, joined by ';'."),
                Column("gbps", "float", "Gbps", "Traffic on this path."),
                Column("latency_ms", "float", "ms", "One-way latency of the path."),
            ),
        ),
        Table(
            "marginal_values",
            "marginal_values.csv",
            "What one more Gbps on a corridor-year is worth (LP duals around the plan).",
            (
                _CORRIDOR,
                _YEAR,
                Column("usd_per_gbps", "float", "USD/Gbps", "Objective saved per extra Gbps."),
            ),
        ),
    )
}

#: issue 18: lease contracts and money per year (optional: plans of earlier versions lack them)
PLAN_SPECS |= {
    t.name: t
    for t in (
        Table(
            "leases",
            "leases.csv",
            "Lease contracts: one row per corridor, offer, signing year and term with units > 0.",
            (
                _CORRIDOR,
                Column("lease_id", "str", "-", "Lease offer (lease_options.csv)."),
                Column("year", "int", "year", "Year the contract is signed (upfront fee paid)."),
                Column("in_service_year", "int", "year", "First year of service."),
                Column("end_year", "int", "year", "Last year of service (may pass the horizon)."),
                Column("term_years", "int", "years", "Contract length."),
                Column("units", "float", "units", "Units leased (integer valued)."),
                Column("added_gbps", "float", "Gbps", "Capacity the units add while in service."),
                Column("upfront_usd", "float", "USD", "Upfront fee (counted as CapEx)."),
                Column("opex_usd_per_year", "float", "USD/yr", "Recurring fee per service year."),
                Column("committed_units", "float", "units", "Of these, units already contracted."),
            ),
            required=False,
        ),
        Table(
            "money",
            "money.csv",
            "Money per year: CapEx (own purchases, builds, lease upfront fees), OpEx (lease "
            "fees), the discount factor and the discounted total.",
            (
                _YEAR,
                Column("capex_usd", "float", "USD", "CapEx paid that year (committed included)."),
                Column("capex_committed_usd", "float", "USD", "Of which already committed."),
                Column("opex_usd", "float", "USD", "Lease fees paid that year."),
                Column("opex_committed_usd", "float", "USD", "Of which already contracted."),
                Column("discount_factor", "float", "1", "1/(1+discount_rate)^(year-start)."),
                Column("npv_usd", "float", "USD", "(capex + opex) x discount factor."),
            ),
            required=False,
        ),
        Table(
            "changes",
            "changes.csv",
            "Against the plan of record (planner run --plan-of-record): units per corridor, "
            "option or lease and year, before and now.",
            (
                Column("what", "str", "-", "wave / fiber_pair / new_build / lease."),
                _CORRIDOR,
                Column("option_id", "str", "-", "Option or lease id."),
                Column("year", "int", "year", "Year bought or contract signed."),
                Column("units_of_record", "float", "units", "Units in the plan of record."),
                Column("units_now", "float", "units", "Units in this plan."),
                Column(
                    "change",
                    "str",
                    "-",
                    "committed / kept / added / dropped / deferred / advanced / more / fewer.",
                ),
            ),
            required=False,
        ),
    )
}


class SolverStatus(StrEnum):
    """``solver_status`` of a returned plan (anything else raises before a plan exists)."""

    OPTIMAL = "optimal"  # within solver.mip_gap
    SERVED_GAP_REACHED = "served_gap_reached"  # stopped at solver.served_gap
    TIME_LIMIT_FEASIBLE = "time_limit_feasible"  # best plan when the time limit ran out


_F = float | None


class PlanSummary(BaseModel):
    """summary.json: every field a plan states about itself, in the order it is written.

    Why a model: two writers (the optimiser, survivability) and four readers (report, verify,
    sweeps, the CLI line) used to agree on an untyped dict by convention. Writers build it
    through this model (unknown or mistyped fields raise); readers parse with :meth:`read`
    (fields an older plan lacks are None). Units are in the names; ``*_seconds`` are wall
    times; objective, bound and gap are the solver's (see ``planner.optimize``).
    """

    model_config = ConfigDict(extra="forbid")

    solver: str | None = None
    solver_status: str | None = Field(None, description="see SolverStatus")
    solver_raw_status: str | None = None
    objective: _F = Field(None, description="USD (CapEx + penalty + routing)")
    best_bound: _F = Field(None, description="USD, a valid lower bound of the objective")
    mip_gap: _F = None
    mip_gap_target: _F = None
    time_limit_s: _F = None
    time_limit_hit: bool | None = None
    solve_seconds: _F = None
    load_seconds: _F = None
    build_seconds: _F = None
    sets_seconds: _F = None
    paths_seconds: _F = None
    threads: int | None = None
    seed: int | None = None
    formulation: str | None = None
    objective_mode: str | None = None
    scenario: str | None = None
    start_year: int | None = None
    years: list[int] | None = None
    budget_usd_total: _F = None
    budget_usd_per_year: list[float] | None = None
    budget_applied: bool | None = None
    capex_usd_total: _F = None
    capex_usd_by_year: dict[str, float] | None = None
    demand_gbps_final_year: _F = None
    served_gbps_final_year: _F = None
    unserved_gbps_final_year: _F = None
    demand_gbps_years: _F = None
    unserved_gbps_years: _F = None
    served_fraction: _F = Field(None, description="served / demand Gbps-years")
    served_fraction_upper_bound: _F = Field(None, description="no plan in budget serves more")
    served_gap: _F = Field(None, description="(upper bound - served) / upper bound")
    unserved_penalty_usd_per_gbps: _F = None
    routing_usd_per_gbps_ms: _F = Field(None, description="latency tie-break weight, from the data")
    routing_tiebreak_max_usd: _F = Field(None, description="largest tie-break of any routing")
    objective_capex_usd: _F = None
    objective_penalty_usd: _F = None
    objective_routing_usd: _F = None
    max_utilization: _F = None
    k_paths: int | None = None
    n_variables: int | None = None
    n_integer_variables: int | None = None
    n_constraints: int | None = None
    n_pairs: int | None = None
    n_paths: int | None = None
    pairs_without_admissible_path: list[dict[str, Any]] | None = None
    integrality_max_deviation: _F = None
    penalty_worst_pair_usd_per_gbps: _F = None
    penalty_dominance_ratio: _F = None
    # the MIP start (planner.optimize.starts)
    heuristic: str | None = None
    unserved_floor_gbps_years: _F = None
    lp_relaxation_objective: _F = None
    heuristic_seconds: _F = None
    heuristic_objective: _F = None
    heuristic_work_share: _F = Field(None, description="share of the start's work budget used")
    greedy_objective: _F = None
    greedy_seconds: _F = None
    greedy_rejected: str | None = None
    start_plan_units_unmatched: int | None = None
    start_plan_rejected: str | None = None
    start_plan_objective: _F = None
    benders_start_objective: _F = Field(
        None, description="USD, the Benders master's plan as a MIP start (flows re-optimised)"
    )
    heuristic_used: str | None = None
    objective_offset_usd: _F = None
    mip_gap_stop_off: bool | None = Field(
        None,
        description="the solver was not let stop on mip_gap: without the unserved floor the "
        "gap includes the penalty of demand no plan can serve (planner.optimize.solve)",
    )
    # cut-set inequalities (planner.optimize.cutset, planner.optimize.cutrounds)
    cutset_rows: int | None = None
    cutset_rounds: int | None = None
    cutset_grown_cuts: int | None = Field(
        None, description="cuts on grown node sets in the rounds kept (planner.optimize.nodesets)"
    )
    cutset_rows_separated: int | None = None
    cutset_lp_bound_before_usd: _F = None
    cutset_lp_bound_after_usd: _F = None
    cutset_work_share: _F = Field(None, description="share of the separation's work budget used")
    # capacity trimming of the start (planner.optimize.starts.trim)
    trim_objective_before: _F = None
    trim_objective_after: _F = None
    trim_round_up_passes: int | None = None
    trim_waves_dropped: int | None = None
    trim_work_share: _F = Field(None, description="share of the trimming's work budget used")
    cutset_start_objective: _F = Field(
        None, description="the cut LP's optimum rounded up, offered as the MIP start (cheaper)"
    )
    # RINS sub-MIP on the start (planner.optimize.starts.submip)
    submip_fixed_share: _F = Field(None, description="integer columns the LP and start agree on")
    submip_skipped: str | None = None
    submip_presolved_share: _F = Field(None, description="sub-MIP size after presolve / model's")
    submip_fixed_columns_share: _F = Field(None, description="all columns fixed (flows too)")
    submip_status: str | None = Field(None, description="HiGHS's status of the sub-MIP")
    submip_nodes: int | None = None
    submip_objective_before: _F = None
    submip_objective_after: _F = None
    submip_seconds: _F = None
    submip_iterations: int | None = Field(None, description="simplex iterations of the sub-MIP")
    # large-neighbourhood search on the start (planner.optimize.starts.lns)
    lns_rounds: int | None = Field(None, description="sub-MIPs solved by the LNS")
    lns_improvements: int | None = Field(None, description="sub-MIPs that gave a cheaper plan")
    lns_improvement_usd: _F = Field(None, description="objective saved by the LNS (USD)")
    lns_objective_before: _F = None
    lns_objective_after: _F = None
    lns_work_share: _F = Field(None, description="share of the LNS's work budget used")
    lns_max_free_columns: int | None = Field(None, description="largest sub-MIP (columns)")
    lns_improved_by: str | None = Field(None, description="improvements per neighbourhood kind")
    lns_stopped: str | None = Field(
        None, description="time_limit: no round after the solve's time limit (after a MIP)"
    )
    lns_skipped: str | None = None
    lns_stage: str | None = Field(None, description="after_mip: on the time-limited MIP's plan")
    lns_seconds: _F = None
    # waves-relaxed search after a time-limited MIP (planner.optimize.starts.lumpy)
    lumpy_objective_before: _F = Field(None, description="USD less the offset, the MIP's plan")
    lumpy_objective_after: _F = Field(None, description="USD less the offset, when cheaper")
    lumpy_relaxed_bound: _F = Field(
        None, description="USD less the offset: dual bound of the model with waves continuous"
    )
    lumpy_relaxed_objective: _F = Field(
        None, description="USD less the offset: its best plan with waves continuous"
    )
    lumpy_moves: int | None = Field(None, description="fiber-pair / build moves kept")
    lumpy_work_share: _F = Field(None, description="share of its local search's work used")
    lumpy_improved: bool | None = Field(None, description="its plan replaced the MIP's")
    lumpy_seconds: _F = None
    lumpy_skipped: str | None = None
    # path column generation (planner.optimize.pricing)
    bound_scope: str | None = Field(
        None,
        description=(
            "paths best_bound / mip_gap hold for: k_paths (the path model's own path set, "
            "incl. priced paths) or all_paths (arc formulation, or the path model's bound "
            "lifted to the all-paths bound: bound_source all_paths)"
        ),
    )
    path_pricing_converged: bool | None = None
    paths_priced: int | None = Field(None, description="paths with negative reduced cost")
    paths_added: int | None = Field(None, description="priced paths kept (flow in the LP)")
    pricing_rounds: int | None = None
    pricing_skipped: str | None = Field(None, description="why paths were not priced")
    pricing_seconds: _F = None
    pricing_lp_bound_before_usd: _F = None
    pricing_lp_budget_share: _F = Field(
        None, description="share of the budget the priced LP spends (>= 0.999: it binds)"
    )
    all_paths_bound_usd: _F = Field(
        None, description="USD, LP bound valid for every admissible path (pricing converged)"
    )
    all_paths_lp_bound_usd: _F = Field(
        None, description="USD, the priced LP without node cut-set rows (lower)"
    )
    all_paths_cut_rows: int | None = Field(
        None, description="node cut-set rows in the all-paths LP (planner.optimize.nodecuts)"
    )
    all_paths_grown_rows: int | None = Field(
        None, description="all_paths_cut_rows on grown node sets (planner.optimize.nodesets)"
    )
    all_paths_cut_rounds: int | None = None
    all_paths_gap: _F = Field(None, description="objective vs all_paths_bound_usd")
    # build-linking rows in the all-paths bound (planner.optimize.linkbound)
    all_paths_bound_unlinked_usd: _F = Field(
        None, description="USD, the priced LP bound without build-linking rows (lower)"
    )
    build_link_rows: int | None = Field(None, description="pair-year x route linking rows")
    build_link_rounds: int | None = None
    build_link_paths_priced: int | None = None
    build_link_converged: bool | None = None
    build_link_seconds: _F = None
    build_link_bound_usd: _F = Field(None, description="USD, the priced LP bound with them")
    # Benders decomposition on the decisions (planner.optimize.benders)
    benders_rounds: int | None = Field(None, description="master rounds (LP, then MIP)")
    benders_lp_rounds: int | None = Field(None, description="of which on the master LP")
    benders_seconds: _F = None
    benders_skipped: str | None = Field(None, description="why it did not run")
    benders_lp_support: int | None = Field(
        None, description="integer purchase columns the LP optimum buys (the master's rounds)"
    )
    benders_stopped: str | None = Field(None, description="why it stopped before a proof")
    benders_bound_usd: _F = Field(
        None, description="USD, the master MIP's bound: whole waves, every admissible path"
    )
    benders_objective_usd: _F = Field(
        None, description="USD, its best plan (routed over every admissible path)"
    )
    benders_paths_added: int | None = Field(None, description="paths of that plan added")
    all_paths_bound_before_benders_usd: _F = Field(
        None, description="USD, all_paths_bound_usd before the Benders bound lifted it"
    )
    # min-cost decomposition along bridges (planner.optimize.bridges)
    bridges_count: int | None = Field(None, description="corridors that are bridges")
    bridges_blocks_solved: int | None = Field(
        None, description="blocks (pieces without bridges) solved as plans of their own"
    )
    bridges_seconds: _F = None
    bridges_bound_usd: _F = Field(
        None,
        description="USD, bridges' exact cost + blocks' bounds: every plan, every path",
    )
    served_fraction_upper_bound_all_paths: _F = Field(
        None, description="no plan in budget, routed on any path, serves more (all_paths bound)"
    )
    served_gap_all_paths: _F = Field(None, description="served_gap against the all-paths bound")
    bound_source: str | None = Field(
        None,
        description="root_lp: best_bound is the model's root LP (above the solver's); "
        "all_paths: all_paths_bound_usd (e.g. the Benders master's), above the MIP's own; "
        "path_stage_all_paths: auto's path stage proved a higher all-paths bound; "
        "waves_relaxed: the model with waves continuous (a relaxation), after the MIP; "
        "arc_race: the arc model alone, solved on the second core",
    )
    solver_guarded: bool | None = Field(
        None, description="the MIP ran in a child process the planner ends at its limit"
    )
    solver_ended_late_s: _F = Field(
        None, description="s past its limit at which the planner ended a solver still running"
    )
    # formulation auto (planner.optimize.auto)
    formulation_choice: str | None = Field(None, description="what auto ran, and why")
    path_stage_objective_usd: _F = Field(None, description="auto: the path stage's objective")
    arc_stage_start: str | None = Field(
        None, description="auto: the arc stage's start (heuristic_used is the path stage's)"
    )
    arc_race: str | None = Field(
        None,
        description="auto, min-cost: whose plan the run kept, this core's or the arc "
        "model's alone on the second core (planner.optimize.race)",
    )
    arc_race_objective_usd: _F = Field(None, description="the second core's objective")
    arc_race_status: str | None = Field(None, description="the second core's solver status")
    arc_race_plans_taken: int | None = Field(
        None,
        description="plans this core took from the second core while both searched "
        "(its newest as the arc stage's start, later ones in the arc stage's MIP)",
    )
    race_other_side_start_objective: _F = Field(
        None, description="the arc stage's start offered by the second core (USD)"
    )
    race_other_side_start: str | None = Field(
        None, description="why the second core's plan was not a start here"
    )
    # marginal values (planner.optimize.marginal)
    marginal_method: str | None = None
    budget_marginal_objective_per_usd: _F = None
    budget_marginal_usd_per_usd: _F = None
    budget_marginal_gbps_years_per_usd: _F = None
    budget_marginal_gbps_years_per_musd: _F = None
    budget_marginal_objective_per_usd_by_year: dict[str, float] | None = None
    marginal_lp_fixed_ok: bool | None = None
    marginal_lp_extendable_ok: bool | None = None
    marginal_seconds: _F = None
    warnings: list[str] = Field(default_factory=list)
    # money over time and leases (issue 18, planner.optimize.money)
    discount_rate: _F = None
    opex_usd_total: _F = Field(None, description="lease fees paid within the horizon")
    opex_usd_by_year: dict[str, float] | None = None
    opex_budget_usd_per_year: list[float] | None = None
    capex_committed_usd: _F = Field(None, description="committed spend the budget skips")
    opex_committed_usd: _F = None
    lease_fees_after_horizon_usd: _F = Field(None, description="owed past the last year")
    npv_usd: _F = Field(None, description="discounted CapEx + OpEx, incl. fees owed later")
    leased_gbps_final_year: _F = None
    objective_opex_usd: _F = None
    build_only: dict[str, Any] | None = Field(
        None, description="the same scenario planned without new leases (compare_build_only)"
    )
    plan_of_record: dict[str, Any] | None = Field(
        None, description="re-planned over an earlier plan: its folder, frozen years, changes"
    )
    # survivable plans (planner.survive.generate)
    survivability: dict[str, Any] | None = None
    objective_protection_usd: _F = None
    # plans for joint demand scenarios (planner.scenarios.plan)
    demand_scenarios: dict[str, Any] | None = Field(
        None, description="demand: scenarios: objective, scenarios planned for, in-sample share"
    )

    def as_dict(self) -> dict[str, Any]:
        """The JSON object as written: only the fields that were set, in field order."""
        return self.model_dump(exclude_unset=True)

    @classmethod
    def read(cls, data: object) -> PlanSummary:
        """Parse summary.json leniently: fields of other versions are ignored, absent -> None."""
        if not isinstance(data, dict):
            raise ValueError("summary.json: expected a JSON object")
        return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})


def plan_markdown() -> str:
    """Markdown reference of a plan folder: its tables and every summary.json field.

    Why generated: the plan folder is a contract (report, verify, sweeps, people's own
    scripts); printing it from :data:`PLAN_SPECS` and :class:`PlanSummary` keeps the
    reference true to what is written.
    """
    out = ["## Plan folder", "", *tables_markdown(PLAN_SPECS.values())]
    out += ["### `summary.json`", "", "| field | type | description |", "|---|---|---|"]
    for name, f in PlanSummary.model_fields.items():
        kind = str(f.annotation).replace("typing.", "").replace("NoneType", "None")
        out.append(f"| `{name}` | {kind} | {f.description or ''} |")
    return "\n".join(out) + "\n"
