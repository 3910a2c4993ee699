"""Min-cost plans on networks with bridges: each bridge exactly, the rest block by block.

Why: on a sparse network (a tree with a few cycles, as SNDlib's brain or many Topology Zoo
networks) one model of every pair spends its time on the tree, whose answer is known. A
synthetic 161-site, 169-link instance with 10,347 pairs: the whole model ended 300 s at
1,158k against a bound of 1,052k (9.1 %), its plan already optimal on all 122 bridges (744k).
With this decomposition first (its one 47-link block: 39 sites, 723 entry-exit pairs, 150 s),
the same 300 s end at 1,134k against 1,066.6k (5.95 %), at 1.2 GB instead of 2.0 GB.

When (:func:`why_not`): ``auto`` formulation, min-cost, one year, no survivability, no leases
or commitments, no candidate routes, wave options only, latency limits no path can reach
(what ``planner import sndlib`` writes), and a bridge that must carry demand.

What. A bridge carries exactly the demand of the pairs it separates: every route between
them crosses it, and a min-cost plan sends nothing else over it. Its modules are therefore
the cheapest whole cover of that load (:func:`planner.optimize.costcuts.cheapest_cover`), and
that cost is exact. Without the bridges the network falls into blocks. A pair's route crosses
the blocks on its path in the tree of blocks, entering and leaving each one at a bridge's end
(or at its own site), so each block is a min-cost problem of its own, with those entry-exit
demands, solved by ``planner`` (the caller's :func:`planner.optimize.plan`). The blocks' plans
with the bridges' modules are a plan of the whole network, offered as the MIP start, and the
bridges' costs plus each block's bound (less its latency tie-break) bound every plan on every
path (``bridges_bound_usd``), when every block's bound holds for every path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.errors import InputError, SolverError
from planner.optimize.auto import latency_can_bind
from planner.optimize.costcuts import cheapest_cover
from planner.optimize.cutset import bridge_sides
from planner.optimize.sets import index_sets
from planner.tables import Inputs

#: share of the time limit the blocks get, together (each in proportion to its pairs)
BLOCK_TIME_SHARE = 0.5
#: knapsack search nodes per bridge at most (work, not time)
COVER_STEPS = 1_000_000


@dataclass
class Decomposition:
    #: the plan's purchases, an ``upgrades`` table for the MIP start
    upgrades: pd.DataFrame
    #: summary fields; ``bridges_bound_usd``: the bridges' exact cost + the blocks' bounds
    #: (USD), None when a block's bound holds for its own paths only
    info: dict


def why_not(inputs: Inputs, scenario: Scenario, objective: str | None) -> str | None:
    """Why the decomposition does not apply to this run (None: it does)."""
    opts = inputs.upgrade_options
    for bad, why in (
        ((objective or scenario.objective) != "min-cost", "not min-cost"),
        (scenario.horizon_years != 1, "more than one year"),
        (scenario.survivability != "none", "survivability"),
        (bool(scenario.new_leases) and len(inputs.lease_options) > 0, "lease offers"),
        (len(inputs.committed_upgrades) > 0, "committed purchases"),
        (len(inputs.candidate_routes) > 0, "candidate routes"),
        (bool((opts["kind"] != "wave").any()), "options other than waves"),
    ):
        if bad:
            return why
    return None


def _tree(cor: pd.DataFrame, sides: dict[int, set]) -> tuple[dict, nx.Graph]:
    """Site -> block id, and the tree of blocks (edges: bridges, with their ends)."""
    g = nx.Graph()
    g.add_nodes_from(set(cor["site_a"]) | set(cor["site_b"]))
    keep = ~cor["e"].astype(int).isin(list(sides))
    g.add_edges_from(zip(cor.loc[keep, "site_a"], cor.loc[keep, "site_b"], strict=True))
    block = {v: i for i, comp in enumerate(nx.connected_components(g)) for v in comp}
    t = nx.Graph()
    t.add_nodes_from(set(block.values()))
    for e in sides:
        a, b = cor.at[e, "site_a"], cor.at[e, "site_b"]
        t.add_edge(block[a], block[b], e=e, ends={block[a]: a, block[b]: b})
    return block, t


def _routes(sets, block: dict, t: nx.Graph) -> tuple[dict, dict] | None:
    """Bridge e -> load (Gbps); block -> {(entry, exit): Gbps}. None if a pair has no route."""
    pairs = sets.pairs.set_index("pair_id")
    load: dict[int, float] = {}
    inner: dict[int, dict] = {}

    def through(b: int, here: str, there: str, d: float) -> None:
        if here != there:
            key = tuple(sorted((here, there)))
            inner.setdefault(b, {})[key] = inner.setdefault(b, {}).get(key, 0.0) + d

    for pid, d in sets.demand.groupby("pair_id")["demand_gbps"].sum().items():
        s, z = pairs.at[pid, "site_a"], pairs.at[pid, "site_b"]
        try:
            path = nx.shortest_path(t, block[s], block[z])
        except nx.NetworkXNoPath:
            return None
        here = s
        for x, y in zip(path, path[1:], strict=False):
            edge = t.edges[x, y]
            load[edge["e"]] = load.get(edge["e"], 0.0) + float(d)
            through(x, here, edge["ends"][x], float(d))
            here = edge["ends"][y]
        through(block[z], here, z, float(d))
    return load, inner


def _bridge_plan(sets, scenario: Scenario, load: dict) -> tuple[list[dict], float] | None:
    """The cheapest whole cover of every bridge's load; None if one breaks a unit cap."""
    cor, up, u = sets.corridors, sets.upgrades, scenario.max_utilization
    rows, total = [], 0.0
    for e, gbps in sorted(load.items()):
        need = gbps / u - float(cor.at[e, "installed_capacity_gbps"])
        if need <= 1e-9:
            continue
        opts = up[up["e"] == e]
        got = cheapest_cover(
            opts["capacity_gbps"].to_numpy(float),
            opts["unit_capex_usd"].to_numpy(float),
            need,
            np.inf,
            COVER_STEPS,
        )
        if got is None or (got[1] > opts["max_units"].to_numpy(int)).any():
            return None
        total += got[0]
        for (_, o), n in zip(opts.iterrows(), got[1], strict=True):
            if n:
                rows.append(
                    dict(corridor_id=o["corridor_id"], option_id=o["option_id"], kind="wave",
                         year=int(o["year"]), units=int(n))
                )  # fmt: skip
    return rows, total


def _block_inputs(inputs: Inputs, sites: set, cor_ids: set) -> Inputs:
    c, o = inputs.corridors, inputs.upgrade_options
    return replace(
        inputs,
        sites=inputs.sites[inputs.sites["site_id"].isin(sites)].reset_index(drop=True),
        corridors=c[c["corridor_id"].isin(cor_ids)].reset_index(drop=True),
        upgrade_options=o[o["corridor_id"].isna() | o["corridor_id"].isin(cor_ids)],
        ai_buildout=inputs.ai_buildout[inputs.ai_buildout["site_id"].isin(sites)],
        demand_history=inputs.demand_history.iloc[0:0],
    )


def decompose(
    inputs: Inputs,
    demand: pd.DataFrame,
    scenario: Scenario,
    objective: str | None,
    planner: Callable,
) -> Decomposition | None:
    """The decomposition's plan and bound, or None where it does not apply or finds nothing."""
    t0 = time.perf_counter()
    if why_not(inputs, scenario, objective) is not None:
        return None
    sets = index_sets(inputs, demand, scenario, paths=False)
    cor = sets.corridors
    if not len(sets.demand) or latency_can_bind(sets):
        return None  # blocks' routes would not be free
    sides = bridge_sides(cor)
    if not sides:
        return None
    block, t = _tree(cor, sides)
    got = _routes(sets, block, t)
    if got is None:
        return None
    load, inner = got
    bridges = _bridge_plan(sets, scenario, load)
    if bridges is None or not bridges[0]:
        return None
    rows, bound = bridges
    plans, scoped = [pd.DataFrame(rows)], True
    total_pairs = sum(len(v) for v in inner.values()) or 1
    year = scenario.start_year
    for b, dem in sorted(inner.items()):
        sites = {v for v, k in block.items() if k == b}
        ids = set(cor.loc[cor["site_a"].isin(sites) & cor["site_b"].isin(sites), "corridor_id"])
        share = BLOCK_TIME_SHARE * scenario.solver.time_limit_s * len(dem) / total_pairs
        sc = scenario.model_copy(
            update={"solver": scenario.solver.model_copy(update={"time_limit_s": share})}
        )
        d = pd.DataFrame(
            [(a, z, year, v) for (a, z), v in sorted(dem.items())],
            columns=["site_a", "site_b", "year", "demand_gbps"],
        )
        try:
            p = planner(
                _block_inputs(inputs, sites, ids), d, sc, objective=objective, marginals=False
            )
        except (InputError, SolverError):  # the whole model then says what it finds, as before
            return None
        sm = p.summary
        if float(sm.get("unserved_gbps_years") or 0.0) > 1e-6:
            return None
        # a bound for every path: the solver's where its scope says so, else the all-paths one;
        # less the latency tie-break, which a block's objective adds to its CapEx
        whole = sm["best_bound"] if sm.get("bound_scope") == "all_paths" else None
        whole = sm.get("all_paths_bound_usd") if whole is None else whole
        scoped &= whole is not None
        tie = float(sm.get("routing_tiebreak_max_usd") or 0.0)
        bound += max(0.0, float(whole or 0.0) - tie)
        plans.append(p.upgrades)
    info = {
        "bridges_count": len(sides),
        "bridges_blocks_solved": len(inner),
        "bridges_seconds": time.perf_counter() - t0,
        "bridges_bound_usd": bound if scoped else None,
    }
    return Decomposition(pd.concat(plans, ignore_index=True), info)


def offer(m, dec: Decomposition) -> pd.DataFrame:
    """The decomposition's numbers into the model's pricing info, which the solve reads (its
    bound as the all-paths bound where higher: the MIP then stops at it, and the gap holds for
    every path), its purchases named for the start (``heuristic_used: bridges``); returns them,
    the MIP start."""
    info = m.meta.setdefault("pricing", {})
    info.update(dec.info)
    bound = dec.info["bridges_bound_usd"]
    if bound is not None:
        info["all_paths_bound_usd"] = max(info.get("all_paths_bound_usd") or 0.0, bound)
    m.meta["start_upgrades_name"] = "bridges"
    return dec.upgrades


def decompose_first(
    inputs: Inputs, demand: pd.DataFrame, scenario: Scenario, objective, planner: Callable
) -> tuple[Decomposition | None, Scenario]:
    """:func:`decompose`, and the scenario with the time it used taken off the limit."""
    t = time.perf_counter()
    dec = decompose(inputs, demand, scenario, objective, planner)
    if dec is None:
        return None, scenario
    limit = scenario.solver.time_limit_s
    left = max(0.1 * limit, limit - (time.perf_counter() - t))
    solver = scenario.solver.model_copy(update={"time_limit_s": left})
    return dec, scenario.model_copy(update={"solver": solver})
