"""Independent survivability check: after each failure, how much demand can still be routed?

Why independent of the optimiser: the optimiser routes on its k candidate paths; this check
solves the multi-commodity flow LP on the surviving graph over *all* paths, so a plan it passes
is survivable no matter how traffic is re-routed, and a plan it fails is genuinely short of
capacity somewhere (no path enumeration artefact).

Capacity used: the **full** ``capacity_gbps`` of each corridor, not ``max_utilization`` times
it. ``max_utilization`` is head-room for normal operation (growth between plans, bursts); after
a cut the surviving corridors are allowed to run hot until repair, which is what an operator
does. The optimiser's survivability rows (``planner.survive.protect``) use the same rule, so the
two agree. Latency limits are *not* applied to re-routed traffic here (see
``planner.survive.failures`` for the per-state latency report).

LP (per year and failure state), exact for fractional routing: each pair's routed + lost =
its demand, flow of all pairs on a corridor (both directions share it: a full-duplex wave
carries the pair both ways) <= capacity, ``min sum(lost)``; a failure sets the failed
corridors' capacity to 0. Two engines solve it (``planner.survive.lp``): ``path`` (default,
column generation priced by Dijkstra) and ``arc`` (source-aggregated arc flows, the reference);
tests check they agree.

Speed (~250 corridors x ~250 states x 5 years in seconds, see reports/bench/survive.md):

* One HiGHS model is built once; years and states only change bounds, and the simplex restarts
  from the no-failure basis (a single cut moves few flows).
* Screening (exact): the no-failure optimum is a *witness*; a state whose failed corridors
  carry no flow in some witness loses exactly the no-failure amount (that routing is still
  feasible, and failing corridors can only lose more). Every state solved with no extra loss
  becomes another witness. States with identical failed sets are solved once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.survive.lp import FlowLP, PathLP
from planner.survive.states import FailureState

#: Flow or loss below this (Gbps) is numerical noise.
FLOW_EPS_GBPS = 1e-6
#: A state is violated when more than this much protected demand (Gbps) cannot be routed.
DEFAULT_TOL_GBPS = 0.01
#: LP engines (see planner.survive.lp): both exact; "path" is much faster on big networks.
ENGINES = {"path": PathLP, "arc": FlowLP}


@dataclass
class CheckResult:
    """What :func:`check_states` found.

    ``states``: ``state_id, year, demand_gbps, routable_gbps, lost_gbps, baseline_lost_gbps,
    failure_lost_gbps, method`` (``failure_lost`` = lost beyond the no-failure loss; ``method``
    = ``lp`` or ``screened``). ``baseline``: ``year, demand_gbps, lost_gbps`` with nothing
    failed. ``pairs``: ``state_id, year, site_a, site_b, demand_gbps, lost_gbps`` for every
    pair losing more than the noise level (one optimal allocation: when several pairs compete
    for the same capacity which of them loses is not unique, the totals are).
    """

    states: pd.DataFrame
    baseline: pd.DataFrame
    pairs: pd.DataFrame
    stats: dict = field(default_factory=dict)
    #: (state_id or "none", year) -> capacity duals per edge (only with ``duals_above``)
    duals: dict = field(default_factory=dict)

    def violated(self, tol_gbps: float = DEFAULT_TOL_GBPS) -> pd.DataFrame:
        """Rows whose loss exceeds the tolerance (state, year)."""
        return self.states[self.states["lost_gbps"] > tol_gbps]


def _pair_frame(pairs: pd.DataFrame) -> pd.DataFrame:
    return pairs[["site_a", "site_b"]].astype(str).reset_index(drop=True)


def _surviving_lp(edges: pd.DataFrame, pairs: pd.DataFrame, demand: np.ndarray, engine: str):
    """The LP engine on the corridor graph (None if nothing routes), LP edges and LP pairs."""
    ends = edges[["site_a", "site_b"]].astype(str)
    mask = (ends["site_a"] != ends["site_b"]).to_numpy()
    nodes = sorted(set(ends["site_a"][mask]) | set(ends["site_b"][mask]))
    idx = {s: i for i, s in enumerate(nodes)}
    # pairs whose end has no corridor cannot route at all: always lost, kept out of the LP
    routable = pairs["site_a"].isin(idx).to_numpy() & pairs["site_b"].isin(idx).to_numpy()
    routable &= (pairs["site_a"] != pairs["site_b"]).to_numpy()
    routable &= demand.max(axis=1, initial=0.0) > FLOW_EPS_GBPS
    in_lp = np.flatnonzero(routable)
    edge_ix = np.flatnonzero(mask)
    edge_uv = np.c_[ends["site_a"][mask].map(idx), ends["site_b"][mask].map(idx)].astype(np.int64)
    pair_uv = np.c_[
        pairs["site_a"].iloc[in_lp].map(idx), pairs["site_b"].iloc[in_lp].map(idx)
    ].astype(np.int64)
    lat = edges["latency_ms"].to_numpy(float)[edge_ix] if "latency_ms" in edges else None
    lp = ENGINES[engine](len(nodes), edge_uv, pair_uv, lat) if len(in_lp) and len(edge_ix) else None

    return lp, edge_ix, in_lp


def _frames(state_rows: list, pair_rows: list, pairs: pd.DataFrame):
    """The ``states`` and ``pairs`` frames of a :class:`CheckResult` from the loop's rows."""
    states_df = pd.DataFrame(
        state_rows,
        columns=[
            "state_id",
            "year",
            "demand_gbps",
            "routable_gbps",
            "lost_gbps",
            "baseline_lost_gbps",
            "method",
        ],
    )
    states_df.insert(
        6,
        "failure_lost_gbps",
        (states_df["lost_gbps"] - states_df["baseline_lost_gbps"]).clip(lower=0.0),
    )
    states_df = states_df.sort_values(["state_id", "year"], ignore_index=True)
    pr = pd.DataFrame(pair_rows, columns=["state_id", "year", "p", "demand_gbps", "lost_gbps"])
    pr.insert(2, "site_a", pairs["site_a"].to_numpy()[pr["p"].to_numpy(dtype=int)])
    pr.insert(3, "site_b", pairs["site_b"].to_numpy()[pr["p"].to_numpy(dtype=int)])
    pr = pr.drop(columns="p").sort_values(["state_id", "year", "site_a", "site_b"])
    return states_df, pr


def _failed_sets(
    edges: pd.DataFrame, edge_ix: np.ndarray, states: list[FailureState]
) -> dict[tuple[int, ...], list[str]]:
    """Unique failed sets, as positions among LP edges (self-loops and unknown ids drop out),
    with the states that fail each."""
    pos = {cid: i for i, cid in enumerate(edges["corridor_id"].astype(str).iloc[edge_ix])}
    groups: dict[tuple[int, ...], list[str]] = {}
    for s in states:
        key = tuple(sorted({pos[c] for c in s.corridors if c in pos}))
        groups.setdefault(key, []).append(s.state_id)
    return groups


def _screened(
    has_lp: bool,
    failed: np.ndarray,
    base_lost: np.ndarray,
    witnesses: list[tuple[np.ndarray, np.ndarray]],
    screen: bool,
    duals_above: float | None,
) -> np.ndarray | None:
    """The loss of a failed set without an LP when a witness proves it, else None.

    A witness is an optimal flow that uses none of the failed corridors: cutting them changes
    nothing. A state losing more than ``duals_above`` still needs its own LP (its duals).
    """
    lost = None
    if not has_lp or not len(failed):
        lost = base_lost
    elif screen:
        for used, w_lost in witnesses:
            if not used[failed].any():
                lost = w_lost
                break
    if lost is not None and duals_above is not None and len(failed) and lost.sum() > duals_above:
        return None
    return lost


@dataclass
class _Rows:
    """What :func:`check_states` collects year by year (one accumulator, not five locals)."""

    groups: dict
    n_edges: int
    states: list[tuple] = field(default_factory=list)
    pairs: list[tuple] = field(default_factory=list)
    base: list[tuple] = field(default_factory=list)
    duals: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)
    n_screened: int = 0


def _check_year(
    acc: _Rows,
    lp: FlowLP | PathLP | None,
    edge_ix: np.ndarray,
    in_lp: np.ndarray,
    year: int,
    cap: np.ndarray,
    d: np.ndarray,
    screen: bool,
    duals_above: float | None,
) -> None:
    """One year: the no-failure LP, then every failed set (screened by witnesses or solved)."""

    def w_full() -> np.ndarray:
        w = np.zeros(acc.n_edges)
        w[edge_ix] = lp.last_w
        return w

    total = float(d.sum())
    always_lost = d.copy()
    always_lost[in_lp] = 0.0
    if lp is not None:
        lp.set_year(cap[edge_ix], d[in_lp])
        base_lost, base_used = lp.solve()
        base_basis = lp.basis()
        if duals_above is not None:
            acc.duals[("none", year)] = w_full()
    else:
        base_lost, base_used = np.zeros(0), np.zeros(len(edge_ix))
    base_total = float(base_lost.sum() + always_lost.sum())
    acc.base.append((year, total, base_total))
    witnesses = [(base_used > FLOW_EPS_GBPS, base_lost)]
    for key, ids in acc.groups.items():
        failed = np.asarray(key, dtype=np.int64)
        method = "screened"
        lost = _screened(lp is not None, failed, base_lost, witnesses, screen, duals_above)
        if lost is None:
            method = "lp"
            lost, used = lp.solve(failed, from_basis=base_basis)
            if lost.sum() <= base_lost.sum() + FLOW_EPS_GBPS:
                witnesses.append((used > FLOW_EPS_GBPS, lost))
            if duals_above is not None and lost.sum() > duals_above:
                w = w_full()
                acc.duals.update({(sid, year): w for sid in ids})
        else:
            acc.n_screened += len(ids)
        full = always_lost.copy()
        full[in_lp] += lost
        lost_total = float(full.sum())
        hit = np.flatnonzero(full > FLOW_EPS_GBPS * 1e3)
        for sid in ids:
            acc.states.append(
                (sid, year, total, total - lost_total, lost_total, base_total, method)
            )
            acc.pairs += [(sid, year, int(p), float(d[p]), float(full[p])) for p in hit]


def check_states(
    edges: pd.DataFrame,
    capacity: np.ndarray,
    pairs: pd.DataFrame,
    demand: np.ndarray,
    years: list[int],
    states: list[FailureState],
    *,
    screen: bool = True,
    engine: str = "path",
    duals_above: float | None = None,
) -> CheckResult:
    """Max routable demand per failure state and year on the surviving graph.

    ``edges``: ``corridor_id, site_a, site_b`` (E rows); ``capacity``: E x T Gbps;
    ``pairs``: ``site_a, site_b`` (P rows); ``demand``: P x T Gbps (e.g. the protected share,
    from :func:`failures.demand_matrix`); ``states``: from :func:`states.failure_states`.
    Failed corridor ids absent from ``edges`` are ignored (nothing to cut).

    ``duals_above``: also return, for every state-year losing more than this (Gbps) and for
    the no-failure case (``"none"``), the capacity duals ``w`` per edge (``CheckResult.duals``):
    the metric ``sum_e w_e cap_e >= sum_p dist_w(p) demand_p`` they define is violated by these
    capacities and is the cut :mod:`planner.survive.generate` adds to the plan.
    """
    t0 = time.perf_counter()
    edges = edges.reset_index(drop=True)
    pairs = _pair_frame(pairs)
    capacity = np.asarray(capacity, dtype=float).reshape(len(edges), len(years))
    demand = np.asarray(demand, dtype=float).reshape(len(pairs), len(years))
    lp, edge_ix, in_lp = _surviving_lp(edges, pairs, demand, engine)
    acc = _Rows(groups=_failed_sets(edges, edge_ix, states), n_edges=len(edges))
    for t, year in enumerate(years):
        _check_year(
            acc, lp, edge_ix, in_lp, year, capacity[:, t], demand[:, t], screen, duals_above
        )
    states_df, pr = _frames(acc.states, acc.pairs, pairs)
    stats = {
        "states": len(states),
        "unique_failed_sets": len(acc.groups),
        "years": len(years),
        "lp_runs": lp.lp_solves if lp else 0,
        "lp_state_years": int((states_df["method"] == "lp").sum()),
        "screened_state_years": acc.n_screened,
        "simplex_iterations": lp.simplex_iterations if lp else 0,
        "engine": engine,
        "seconds": time.perf_counter() - t0,
    }
    return CheckResult(
        states=states_df,
        baseline=pd.DataFrame(acc.base, columns=["year", "demand_gbps", "lost_gbps"]),
        pairs=pr.reset_index(drop=True),
        stats=stats,
        duals=acc.duals,
    )
