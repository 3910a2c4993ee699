"""Per-failure report tables: demand lost under each single failure, before and after a plan.

Why both: "before" (installed capacity only) shows how exposed the network is today, "after"
shows what the plan buys in resilience; the difference is the availability argument for the
spend. Losses come from the independent LP check (:mod:`planner.survive.check`): any routing
on the surviving corridors at their **full** capacity (after a cut, corridors may run hot).

Definitions (per state and year):

* ``demand_gbps``: the year's demand; ``protected_gbps``: its protected share
  (``protected_share`` of the pair's class, applied to demand, not to what the plan serves).
* ``lost_*``: demand that cannot be routed with the state's corridors cut; ``failure_lost_*``:
  the part of it caused by the failure (``lost`` minus the loss with nothing failed, which is
  a capacity shortfall, not a failure effect).
* ``protected_lost_*``: protected demand that cannot be routed; ``survivable_after`` is true
  when it is within the tolerance after the plan.
* ``protected_disconnected_after_gbps``: the part of ``protected_lost_after`` whose pairs the
  failure cuts off from every corridor with capacity: no amount of capacity on the existing
  routes saves it, only a new route (or a different SRLG layout) does.
* ``pairs_over_latency_after``: protected pairs whose shortest surviving path (after the plan)
  exceeds their class's latency limit: routable, but useless for that traffic.

A row with ``state_id = "none"`` gives the no-failure baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.network import (
    SimpleGraph,
    edges_from_inputs,
    installed_capacity,
    pair_classes,
    plan_capacity,
)
from planner.schema import canonical_pairs
from planner.survive.check import DEFAULT_TOL_GBPS, CheckResult, check_states
from planner.survive.states import FailureState, failure_states, states_frame
from planner.tables import Inputs, Plan

BASELINE_STATE = "none"

FAILURE_COLUMNS = (
    "state_id",
    "kind",
    "failed_corridors",
    "year",
    "demand_gbps",
    "protected_gbps",
    "lost_before_gbps",
    "lost_after_gbps",
    "failure_lost_before_gbps",
    "failure_lost_after_gbps",
    "protected_lost_before_gbps",
    "protected_lost_after_gbps",
    "protected_disconnected_after_gbps",
    "served_fraction_after",
    "survivable_after",
    "pairs_over_latency_after",
)


def protected_pairs(
    demand: pd.DataFrame, inputs: Inputs, scenario: Scenario, years: list[int]
) -> pd.DataFrame:
    """Pairs with their class, share protected and latency limit, and demand per year (wide).

    Returns ``site_a, site_b, pair_class, protected_share, latency_ms_max`` plus one column
    ``demand_gbps_<year>`` per year. A class the scenario does not list is unprotected (share
    0) and has no latency limit (inf): the scenario says what must survive, nothing more.
    """
    d = demand[["site_a", "site_b", "year", "demand_gbps"]].copy()
    d[["site_a", "site_b"]] = d[["site_a", "site_b"]].astype(str)
    d = canonical_pairs(d)
    d = d.groupby(["site_a", "site_b", "year"], as_index=False)["demand_gbps"].sum()
    wide = d.pivot(index=["site_a", "site_b"], columns="year", values="demand_gbps")
    wide = wide.reindex(columns=years).fillna(0.0)
    wide.columns = [f"demand_gbps_{y}" for y in years]
    wide = wide.reset_index()
    cls = pair_classes(wide, inputs.sites)
    wide.insert(2, "pair_class", cls.to_numpy())
    wide.insert(3, "protected_share", cls.map(scenario.protected_share).fillna(0.0).to_numpy())
    wide.insert(4, "latency_ms_max", cls.map(scenario.latency_ms_max).fillna(np.inf).to_numpy())
    return wide.sort_values(["site_a", "site_b"]).reset_index(drop=True)


def demand_matrix(pairs: pd.DataFrame, years: list[int], *, protected: bool) -> np.ndarray:
    """P x T demand in Gbps: all of it, or only the protected share."""
    m = pairs[[f"demand_gbps_{y}" for y in years]].to_numpy(dtype=float)
    if protected:
        m = m * pairs["protected_share"].to_numpy(dtype=float)[:, None]
    return m


def plan_demand(plan: Plan) -> pd.DataFrame:
    """The demand the plan was made for, from ``unserved.csv`` (every pair-year it saw)."""
    u = plan.unserved
    return u[["site_a", "site_b", "year", "demand_gbps"]].astype(
        {"site_a": str, "site_b": str, "year": int, "demand_gbps": float}
    )


def disconnected_gbps(
    edges: pd.DataFrame,
    capacity: np.ndarray,
    pairs: pd.DataFrame,
    demand: np.ndarray,
    states: list[FailureState],
) -> dict[tuple[str, int], float]:
    """Per (state, year index): demand of pairs with no surviving corridor of capacity > 0."""
    nodes = sorted(
        set(edges["site_a"]) | set(edges["site_b"]) | set(pairs["site_a"]) | set(pairs["site_b"])
    )
    idx = {s: i for i, s in enumerate(nodes)}
    a = edges["site_a"].map(idx).to_numpy(np.int64)
    b = edges["site_b"].map(idx).to_numpy(np.int64)
    pa = pairs["site_a"].map(idx).to_numpy(np.int64)
    pb = pairs["site_b"].map(idx).to_numpy(np.int64)
    cid = edges["corridor_id"].astype(str).to_numpy()
    out: dict[tuple[str, int], float] = {}
    for s in [FailureState(BASELINE_STATE, "none", ()), *states]:
        alive = ~np.isin(cid, s.corridors)
        for t in range(capacity.shape[1]):
            k = alive & (capacity[:, t] > 0)
            g = csr_matrix((np.ones(int(k.sum())), (a[k], b[k])), shape=(len(nodes),) * 2)
            _, comp = connected_components(g, directed=False)
            cut = comp[pa] != comp[pb]
            out[(s.state_id, t)] = float(demand[cut, t].sum())
    return out


def latency_violations(
    edges: pd.DataFrame,
    alive_capacity: np.ndarray,
    pairs: pd.DataFrame,
    states: list[FailureState],
) -> dict[str, int]:
    """Per state: protected pairs whose shortest surviving path is over their latency limit.

    ``alive_capacity``: capacity per edge (a corridor with none is not a usable path).
    """
    nodes = sorted(set(edges["site_a"]) | set(edges["site_b"]))
    idx = {s: i for i, s in enumerate(nodes)}
    prot = pairs[(pairs["protected_share"] > 0) & np.isfinite(pairs["latency_ms_max"])]
    prot = prot[prot["site_a"].isin(idx) & prot["site_b"].isin(idx)]
    out = {s.state_id: 0 for s in states}
    if not len(prot) or not len(nodes):
        return out
    cid = edges["corridor_id"].astype(str).to_numpy()
    usable = (alive_capacity > 0) & (edges["site_a"] != edges["site_b"]).to_numpy()
    src = prot["site_a"].map(idx).to_numpy(np.int64)
    dst = prot["site_b"].map(idx).to_numpy(np.int64)
    lim = prot["latency_ms_max"].to_numpy(float) + 1e-9
    sources, row = np.unique(src, return_inverse=True)

    def over(keep: np.ndarray) -> int:
        if not keep.any():
            return int(len(prot))
        d = SimpleGraph(edges[keep], nodes).distances(sources)  # lightest parallel corridor
        return int((d[row, dst] > lim).sum())

    base = over(usable)
    for s in states:
        failed = np.isin(cid, s.corridors)
        out[s.state_id] = over(usable & ~failed) if (failed & usable).any() else base
    out[BASELINE_STATE] = base
    return out


def _merge_runs(res: dict[str, CheckResult], states: list, years: list[int]) -> pd.DataFrame:
    """One row per (state, year), the no-failure baseline first: the four checks side by side
    (all / protected demand x before / after the plan) plus each state's kind and corridors."""
    key = ["state_id", "year"]
    t = (
        res["before"]
        .states[key + ["demand_gbps", "lost_gbps", "failure_lost_gbps"]]
        .rename(
            columns={
                "lost_gbps": "lost_before_gbps",
                "failure_lost_gbps": "failure_lost_before_gbps",
            }
        )
    )
    t = t.merge(
        res["after"]
        .states[key + ["lost_gbps", "failure_lost_gbps"]]
        .rename(
            columns={"lost_gbps": "lost_after_gbps", "failure_lost_gbps": "failure_lost_after_gbps"}
        ),
        on=key,
    )
    for k, col in (
        ("p_before", "protected_lost_before_gbps"),
        ("p_after", "protected_lost_after_gbps"),
    ):
        t = t.merge(
            res[k]
            .states[key + ["demand_gbps", "lost_gbps"]]
            .rename(columns={"demand_gbps": "protected_gbps", "lost_gbps": col}),
            on=key,
            suffixes=("", "_dup"),
        ).drop(columns=["protected_gbps_dup"], errors="ignore")
    # the no-failure baseline as its own rows
    base = pd.DataFrame({"state_id": BASELINE_STATE, "year": years})
    base["demand_gbps"] = res["before"].baseline["demand_gbps"].to_numpy()
    base["protected_gbps"] = res["p_before"].baseline["demand_gbps"].to_numpy()
    base["lost_before_gbps"] = res["before"].baseline["lost_gbps"].to_numpy()
    base["lost_after_gbps"] = res["after"].baseline["lost_gbps"].to_numpy()
    base["failure_lost_before_gbps"] = 0.0
    base["failure_lost_after_gbps"] = 0.0
    base["protected_lost_before_gbps"] = res["p_before"].baseline["lost_gbps"].to_numpy()
    base["protected_lost_after_gbps"] = res["p_after"].baseline["lost_gbps"].to_numpy()
    t = pd.concat([base, t], ignore_index=True)
    sf = pd.concat(
        [
            pd.DataFrame(
                {"state_id": [BASELINE_STATE], "kind": ["none"], "failed_corridors": [""]}
            ),
            states_frame(states).drop(columns="n_failed"),
        ],
        ignore_index=True,
    )
    return t.merge(sf, on="state_id", how="left")


def failure_table(
    inputs: Inputs,
    scenario: Scenario,
    plan: Plan,
    *,
    mode: str | None = None,
    years: list[int] | None = None,
    demand: pd.DataFrame | None = None,
    tol_gbps: float = DEFAULT_TOL_GBPS,
    engine: str = "path",
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """``(failures, pair_losses, stats)`` for every single failure of ``mode`` and year.

    ``mode`` defaults to the scenario's survivability, or ``single_srlg`` when that is
    ``none`` (the report is still useful for an unprotected plan). ``pair_losses``: protected
    demand lost per pair after the plan (``state_id, year, site_a, site_b, protected_gbps,
    lost_gbps``), the list to act on. Candidate routes are included only if the plan built them.
    """
    mode = mode or (scenario.survivability if scenario.survivability != "none" else "single_srlg")
    demand = plan_demand(plan) if demand is None else demand
    years = sorted(int(y) for y in demand["year"].unique()) if years is None else years
    if not years:
        raise InputError(Problem("unserved.csv", "no demand rows: nothing to fail"))
    edges, cap_after = _plan_edges(inputs, plan, years)
    cap_before = installed_capacity(edges, inputs, years)
    states = failure_states(edges, mode)
    pairs = protected_pairs(demand, inputs, scenario, years)
    full = demand_matrix(pairs, years, protected=False)
    prot = demand_matrix(pairs, years, protected=True)

    def run(cap: np.ndarray, dem: np.ndarray) -> CheckResult:
        return check_states(edges, cap, pairs, dem, years, states, engine=engine)

    res = {
        "before": run(cap_before, full),
        "after": run(cap_after, full),
        "p_before": run(cap_before, prot),
        "p_after": run(cap_after, prot),
    }
    t = _after_columns(_merge_runs(res, states, years), edges, cap_after, pairs, prot, states,
                       years, tol_gbps)  # fmt: skip
    pl = res["p_after"].pairs
    pl = pl[pl["lost_gbps"] > tol_gbps].rename(columns={"demand_gbps": "protected_gbps"})
    stats = {
        "mode": mode,
        "states": len(states),
        "years": years,
        "seconds": {k: r.stats["seconds"] for k, r in res.items()},
        "lp_state_years": {k: r.stats["lp_state_years"] for k, r in res.items()},
    }
    return t, pl.reset_index(drop=True), stats


def _plan_edges(inputs: Inputs, plan: Plan, years: list[int]) -> tuple[pd.DataFrame, np.ndarray]:
    """Corridors of the plan (candidate routes only if built) and their capacity by year."""
    edges = edges_from_inputs(inputs, candidates=True)
    built = set(plan.capacity["corridor_id"].astype(str))
    edges = edges[~edges["candidate"] | edges["corridor_id"].isin(built)].reset_index(drop=True)
    try:
        return edges, plan_capacity(edges, plan.capacity, years)
    except KeyError as e:
        raise InputError(
            Problem(
                "capacity.csv",
                f"corridors {e.args[0]} are not in the plan's inputs (got a plan made on other "
                "inputs?)",
                column="corridor_id",
            )
        ) from None


def _after_columns(t, edges, cap_after, pairs, prot, states, years, tol_gbps) -> pd.DataFrame:
    """Served share, survivable flag, disconnected and over-latency counts after the plan;
    rows in report order (baseline first), columns :data:`FAILURE_COLUMNS`."""
    dem = t["demand_gbps"].to_numpy(float)
    t["served_fraction_after"] = np.where(
        dem > 0, 1.0 - t["lost_after_gbps"].to_numpy(float) / np.where(dem > 0, dem, 1.0), 1.0
    )
    t["survivable_after"] = t["protected_lost_after_gbps"] <= tol_gbps
    disc = disconnected_gbps(edges, cap_after, pairs, prot, states)
    yi = {y: i for i, y in enumerate(years)}
    t["protected_disconnected_after_gbps"] = [
        disc[(sid, yi[int(y)])] for sid, y in zip(t["state_id"], t["year"], strict=True)
    ]
    lat = latency_violations(edges, cap_after[:, -1], pairs, states)
    t["pairs_over_latency_after"] = t["state_id"].map(lat).fillna(0).astype(int)
    t["_o"] = (t["state_id"] != BASELINE_STATE).astype(int)
    t = t.sort_values(["_o", "state_id", "year"]).drop(columns="_o").reset_index(drop=True)
    return t[list(FAILURE_COLUMNS)]
