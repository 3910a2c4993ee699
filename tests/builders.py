"""Test builders shared across test modules: tiny hand-solvable networks and their plans.

Why one module: tests imported these from each other (``test_optimize``, ``test_survive``,
``test_optimize_props``), so running one test file ran the others' imports. Each builder goes
through the real validator (``table_from_records``) so the cases are valid inputs.

The ring (answers by hand, see ``test_survive``): A-B-C-D-A, demand only between neighbours
(A-B 40, B-C 30, C-D 20, A-D 10 Gbps); 100 % protection against any single corridor needs
AB 70, BC 70, CD 60, DA 50 Gbps (``RING_NEED``).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from planner.config import Scenario, SolverConfig
from planner.io.atomic import write_csv
from planner.io.plan import write_plan
from planner.io.run import write_run_inputs
from planner.network import edges_from_inputs
from planner.optimize import plan
from planner.survive.check import check_states
from planner.survive.states import failure_states
from planner.tables import PLAN_TABLES, Inputs, Plan, table_from_records
from planner.verify import check_plan, verify_plan

PEN = 1.0e7
CORRIDOR = dict(
    lit_fiber_pairs=1,
    spare_fiber_pairs=0,
    max_waves_per_fiber_pair=64,
    srlg="",
    extra_latency_ms=0.0,
    installed_waves=None,
)
OPTION = dict(
    kind="wave",
    capex_per_km_usd=0.0,
    lead_time_years=0,
    max_units_per_corridor=100,
    price_change_per_year=0.0,
    reach_km=None,
    regen_capex_usd=0.0,
    corridor_id=None,
)


def make_inputs(
    d: Path,
    sites: dict[str, str] | list[str],
    corridors: list[dict],
    options: list[dict],
    routes: list[dict] | None = None,
) -> Inputs:
    """Inputs built in memory (``d`` unused: kept so cases read like files on disk)."""
    kinds = sites if isinstance(sites, dict) else {s: "cloud_region" for s in sites}
    a, b = sorted(kinds)[:2]
    base = dict(build_capex_usd=None, srlg="", lead_time_years=None, max_waves_per_fiber_pair=64)
    return Inputs(
        sites=table_from_records(
            "sites",
            [
                dict(
                    # 0.01 deg apart: within the great-circle slack of any hand-written distance
                    site_id=s,
                    name=s,
                    operator="x",
                    lat=40.0 + 0.01 * i,
                    lon=-80.0 - 0.01 * i,
                    region="r",
                    kind=k,
                )
                for i, (s, k) in enumerate(kinds.items())
            ],
        ),
        ai_buildout=table_from_records("ai_buildout", [dict(site_id=a, year=2030, ai_it_mw=1.0)]),
        corridors=table_from_records("corridors", [{**CORRIDOR, **c} for c in corridors]),
        upgrade_options=table_from_records("upgrade_options", [{**OPTION, **o} for o in options]),
        candidate_routes=table_from_records(
            "candidate_routes", [{**base, **r} for r in routes or []]
        ),
        demand_history=table_from_records(
            "demand_history",  # MIN_HISTORY_MONTHS (3): validate checks it when plans are read
            [dict(site_a=a, site_b=b, month=f"2029-0{m}", p95_gbps=1.0) for m in (1, 2, 3)],
        ),
    )


def scenario(years: int = 1, budget: float = 1e9, **kw) -> Scenario:
    solver = SolverConfig(time_limit_s=20, mip_gap=0.0, threads=1)
    base = dict(
        name="t",
        start_year=2030,
        horizon_years=years,
        budget_usd_total=budget,
        max_utilization=1.0,
        k_paths=4,
        unserved_penalty_usd_per_gbps=PEN,
        latency_ms_max={"ai_training": 1e3, "ai_inference": 1e3, "general": 1e3},
        solver=solver,
        seed=3,
    )
    return Scenario(**{**base, **kw})


def demand(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["site_a", "site_b", "year", "demand_gbps"])


def run_case(tmp: Path | None, inputs: Inputs, dem: pd.DataFrame, sc: Scenario, **kw) -> Plan:
    """Plan, write the plan folder like ``planner optimize`` does, and verify it.

    ``tmp=None`` verifies the tables in memory (same checks, no files: property tests).
    """
    p = plan(inputs, dem, sc, **kw)
    if tmp is None:
        res = check_plan(p, inputs, sc, dem)
    else:
        out = tmp / "plan"
        write_run_inputs(out, inputs, sc)
        write_csv(dem, out / "demand.csv")
        write_plan(p, out)
        res = verify_plan(out)
    assert res.ok, res.violations
    assert res.checks > 10
    return p


def line(tmp: Path, installed: float = 100.0, more: list[dict] | None = None, **opt) -> Inputs:
    """A-B, one corridor of 100 km, one 100G wave option at $10 per unit (``more``: other
    options beside it)."""
    return make_inputs(
        tmp / "in",
        ["A", "B"],
        [
            dict(
                corridor_id="AB",
                site_a="A",
                site_b="B",
                distance_km=100.0,
                installed_capacity_gbps=installed,
            )
        ],
        [dict(option_id="w100", capacity_gbps=100.0, capex_fixed_usd=10.0, **opt), *(more or [])],
    )


def triangle(tmp: Path, direct_usd: float = 100.0, installed_ab_gbps: float = 0.0) -> Inputs:
    """A-B direct (100 km, upgrade $100) or A-C-B (2 x 150 km, $10 per corridor)."""
    cors = [
        dict(
            corridor_id="AB",
            site_a="A",
            site_b="B",
            distance_km=100.0,
            installed_capacity_gbps=installed_ab_gbps,
        ),
        dict(
            corridor_id="AC", site_a="A", site_b="C", distance_km=150.0, installed_capacity_gbps=0.0
        ),
        dict(
            corridor_id="BC", site_a="B", site_b="C", distance_km=150.0, installed_capacity_gbps=0.0
        ),
    ]
    opts = [
        dict(
            option_id="w_direct", capacity_gbps=100.0, capex_fixed_usd=direct_usd, corridor_id="AB"
        ),
        dict(option_id="w_ac", capacity_gbps=100.0, capex_fixed_usd=10.0, corridor_id="AC"),
        dict(option_id="w_bc", capacity_gbps=100.0, capex_fixed_usd=10.0, corridor_id="BC"),
    ]
    return make_inputs(tmp / "in", ["A", "B", "C"], cors, opts)


RING_DEMAND = {("A", "B"): 40.0, ("B", "C"): 30.0, ("C", "D"): 20.0, ("A", "D"): 10.0}
RING_NEED = {"AB": 70.0, "BC": 70.0, "CD": 60.0, "DA": 50.0}
YEAR = 2030


# ---- builders (also used by tests/test_survive_generate.py) ---------------------------------


def ring_inputs(
    installed: float = 40.0,
    srlg: dict[str, str] | None = None,
    km: float = 100.0,
    routes: list[dict] | None = None,
    kind: str = "ai_campus",
) -> Inputs:
    """The ring above; every site an AI campus (ai_training pairs), 10G waves at $10."""
    srlg = srlg or {}
    ends = {"AB": ("A", "B"), "BC": ("B", "C"), "CD": ("C", "D"), "DA": ("A", "D")}
    corr = [
        dict(
            corridor_id=c,
            site_a=a,
            site_b=b,
            distance_km=km,
            installed_capacity_gbps=installed,
            lit_fiber_pairs=1,
            spare_fiber_pairs=0,
            max_waves_per_fiber_pair=64,
            srlg=srlg.get(c, ""),
            extra_latency_ms=0.0,
            installed_waves=1,
        )
        for c, (a, b) in ends.items()
    ]
    base = dict(
        build_capex_usd=None, srlg="", lead_time_years=0, max_waves_per_fiber_pair=64, fiber_pairs=2
    )
    return Inputs(
        sites=table_from_records(
            "sites",
            [
                dict(
                    site_id=s,
                    name=s,
                    operator="x",
                    lat=40.0 + 0.01 * i,  # close: every hand-written distance is >= the
                    lon=-80.0 - 0.01 * i,  # great circle, as the validator requires
                    region="r",
                    kind=kind,
                )
                for i, s in enumerate("ABCD")
            ],
        ),
        ai_buildout=table_from_records("ai_buildout", [dict(site_id="A", year=YEAR, ai_it_mw=1.0)]),
        corridors=table_from_records("corridors", corr),
        upgrade_options=table_from_records(
            "upgrade_options",
            [
                {
                    **OPTION,
                    "option_id": "w10",
                    "capacity_gbps": 10.0,
                    "capex_fixed_usd": 10.0,
                    "max_units_per_corridor": 60,
                },
                {
                    **OPTION,
                    "option_id": "nb",
                    "kind": "new_build",
                    "capacity_gbps": 100.0,
                    "capex_fixed_usd": 1000.0,
                    "capex_per_km_usd": 1.0,
                    "max_units_per_corridor": 1,
                },
            ],
        ),
        candidate_routes=table_from_records(
            "candidate_routes", [{**base, **r} for r in routes or []]
        ),
        demand_history=table_from_records(
            "demand_history",
            [
                dict(site_a=a, site_b=b, month=f"2029-{m}", p95_gbps=d)
                for (a, b), d in RING_DEMAND.items()
                for m in (10, 11, 12)  # MIN_HISTORY_MONTHS: validate checks it
            ],
        ),
    )


def ring_demand(scale: float = 1.0, years: tuple[int, ...] = (YEAR,)) -> pd.DataFrame:
    return pd.DataFrame(
        [(a, b, y, d * scale) for y in years for (a, b), d in RING_DEMAND.items()],
        columns=["site_a", "site_b", "year", "demand_gbps"],
    )


def ring_scenario(mode: str = "single_corridor", share: float = 1.0, **kw) -> Scenario:
    base = dict(
        name="ring",
        start_year=YEAR,
        horizon_years=1,
        budget_usd_total=1e6,
        max_utilization=1.0,
        k_paths=4,
        survivability=mode,
        protected_share={"ai_training": share, "ai_inference": share, "general": share},
        latency_ms_max={"ai_training": 100.0, "ai_inference": 100.0, "general": 100.0},
        solver=SolverConfig(time_limit_s=20, mip_gap=0.0, threads=1),
        seed=1,
    )
    return Scenario(**{**base, **kw})


def ring_plan(caps: dict[str, float], dem: pd.DataFrame | None = None) -> Plan:
    """A plan folder's tables with the given capacities (flow on the direct corridor)."""
    dem = ring_demand() if dem is None else dem
    flow = {"AB": 40.0, "BC": 30.0, "CD": 20.0, "DA": 10.0}
    years = sorted(dem["year"].unique())
    cap = pd.DataFrame(
        [(c, y, caps[c], flow[c], flow[c] / caps[c]) for c in caps for y in years],
        columns=list(PLAN_TABLES["capacity"]),
    )
    uns = dem.assign(served_gbps=dem["demand_gbps"], unserved_gbps=0.0)
    empty = {
        n: pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
        for n, cols in PLAN_TABLES.items()
    }
    return Plan(
        upgrades=empty["upgrades"],
        capacity=cap,
        unserved=uns,
        routing=empty["routing"],
        marginal_values=empty["marginal_values"],
        summary={"scenario": "ring"},
    )


def ring_check(
    caps: dict[str, float],
    mode: str = "single_corridor",
    share: float = 1.0,
    srlg: dict[str, str] | None = None,
    engine: str = "path",
):
    inp = ring_inputs(srlg=srlg)
    edges = edges_from_inputs(inp)
    pairs = pd.DataFrame(list(RING_DEMAND), columns=["site_a", "site_b"])
    dem = np.array(list(RING_DEMAND.values()))[:, None] * share
    cap = np.array([caps[c] for c in edges["corridor_id"]])[:, None]
    return check_states(edges, cap, pairs, dem, [YEAR], failure_states(edges, mode), engine=engine)


# ---- failure states --------------------------------------------------------------------------
def random_case(seed: int, n: int, years: int):
    rng = np.random.default_rng(seed)
    g = nx.connected_watts_strogatz_graph(n, 2 if n < 5 else 3, 0.5, seed=seed)
    sites = [f"S{i}" for i in range(n)]
    cors = [
        dict(
            corridor_id=f"E{k}",
            site_a=sites[min(u, v)],
            site_b=sites[max(u, v)],
            distance_km=float(rng.integers(50, 800)),
            installed_capacity_gbps=float(rng.choice([0, 100, 400])),
            spare_fiber_pairs=int(rng.integers(0, 2)),
            max_waves_per_fiber_pair=4,
        )
        for k, (u, v) in enumerate(sorted(g.edges()))
    ]
    opts = [
        dict(
            option_id="w100",
            capacity_gbps=100.0,
            capex_fixed_usd=float(rng.integers(5, 20)),
            lead_time_years=int(rng.integers(0, 2)),
            price_change_per_year=-0.1,
        ),
        dict(
            option_id="w400",
            capacity_gbps=400.0,
            capex_fixed_usd=float(rng.integers(15, 60)),
            capex_per_km_usd=0.01,
            max_units_per_corridor=2,
        ),
        dict(option_id="pair", kind="fiber_pair", capacity_gbps=0.0, capex_fixed_usd=30.0),
    ]
    inp = make_inputs(Path("."), sites, cors, opts)
    rows = [  # canonical pairs (site_a < site_b as strings: S10 < S2), like read_demand gives
        (*sorted((a, b)), 2030 + t, float(rng.integers(0, 300)) * (1.4**t))
        for a, b in itertools.combinations(sites, 2)
        for t in range(years)
        if rng.random() < 0.6
    ]
    rows += [(sites[0], sites[-1], 2030 + t, 150.0) for t in range(years)]
    return inp, demand(rows).groupby(["site_a", "site_b", "year"], as_index=False).sum()
