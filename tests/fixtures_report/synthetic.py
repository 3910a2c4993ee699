"""Write a small, self-consistent plan directory without running the forecast or the solver.

Why synthetic: the report must be testable on its own (optimiser and forecast evolve in
parallel), and the empty-state variants (no upgrades, everything served) are hard to provoke
from a real solve. Numbers are made up but consistent: flow <= capacity, served + unserved =
demand, capacity = installed + upgrades in service.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

SITES = [
    ("ASH", "Ashburn VA", "Operator A", 39.04, -77.49, "us-east", "cloud_region"),
    ("NAL", "New Albany OH", "Operator B", 40.08, -82.81, "us-east", "ai_campus"),
    ("CHI", "Chicago IL", "Carrier C", 41.88, -87.63, "us-central", "carrier_hotel"),
    ("ATL", "Atlanta GA", "Operator A", 33.75, -84.39, "us-south", "cloud_region"),
    ("DFW", "Dallas TX", "Operator D", 32.90, -97.04, "us-south", "ai_campus"),
    ("PHX", "Phoenix AZ", "Operator D", 33.45, -112.07, "us-west", "ai_campus"),
]
# corridor_id, a, b, km, installed Gbps
CORRIDORS = [
    ("C1", "ASH", "NAL", 620, 4000),
    ("C2", "CHI", "NAL", 590, 2400),
    ("C3", "ATL", "CHI", 1150, 1600),
    ("C4", "ASH", "ATL", 1050, 3200),
    ("C5", "ATL", "DFW", 1300, 1600),
    ("C6", "CHI", "DFW", 1500, 800),
    ("C7", "DFW", "PHX", 1700, 1200),
    ("C8", "ASH", "CHI", 1100, 2000),
]
CANDIDATES = [("N1", "ATL", "NAL", 900)]
START, HORIZON = 2027, 3


def _write(df: pd.DataFrame, p: Path) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(p, index=False)


def _inputs(d: Path) -> None:
    _write(
        pd.DataFrame(
            SITES, columns=["site_id", "name", "operator", "lat", "lon", "region", "kind"]
        ),
        d / "sites.csv",
    )
    _write(
        pd.DataFrame(
            [(c, a, b, km, cap, 1, 2, 64, "", 0.0) for c, a, b, km, cap in CORRIDORS],
            columns=[
                "corridor_id",
                "site_a",
                "site_b",
                "distance_km",
                "installed_capacity_gbps",
                "lit_fiber_pairs",
                "spare_fiber_pairs",
                "max_waves_per_fiber_pair",
                "srlg",
                "extra_latency_ms",
            ],
        ),
        d / "corridors.csv",
    )
    _write(
        pd.DataFrame(
            [(r, a, b, km, "", 4, 64, "", "") for r, a, b, km in CANDIDATES],
            columns=[
                "route_id",
                "site_a",
                "site_b",
                "distance_km",
                "build_capex_usd",
                "fiber_pairs",
                "max_waves_per_fiber_pair",
                "srlg",
                "lead_time_years",
            ],
        ),
        d / "candidate_routes.csv",
    )
    _write(
        pd.DataFrame(
            [
                ("wave_400g", "wave", 400, 150000, 0, 0, 128, -0.15, 1500, 100000),
                ("fiber_pair", "fiber_pair", 0, 1500000, 800, 1, 4, 0, "", 0),
                ("new_build", "new_build", 12800, 8000000, 40000, 2, 1, 0, "", 0),
            ],
            columns=[
                "option_id",
                "kind",
                "capacity_gbps",
                "capex_fixed_usd",
                "capex_per_km_usd",
                "lead_time_years",
                "max_units_per_corridor",
                "price_change_per_year",
                "reach_km",
                "regen_capex_usd",
            ],
        ),
        d / "upgrade_options.csv",
    )
    rows = []
    for site, mw0 in (("NAL", 200), ("DFW", 300), ("PHX", 100), ("ASH", 50)):
        for i, y in enumerate(range(2025, START + HORIZON)):
            rows.append((site, y, mw0 * (1.6**i)))
    _write(pd.DataFrame(rows, columns=["site_id", "year", "ai_it_mw"]), d / "ai_buildout.csv")
    rows = []
    for k, (_c, a, b, _km, cap) in enumerate(CORRIDORS):
        g = 0.02 + 0.005 * k
        for m in range(24):
            month = pd.Timestamp(2025, 1, 1) + pd.DateOffset(months=m)
            rows.append((a, b, month.strftime("%Y-%m"), round(0.3 * cap * (1 + g) ** m, 1)))
    _write(
        pd.DataFrame(rows, columns=["site_a", "site_b", "month", "p95_gbps"]),
        d / "demand_history.csv",
    )


def make_plan_dir(
    d: Path, *, upgrades: bool = True, unserved: bool = True, forecast: bool = True
) -> Path:
    """Write inputs/, scenario.yaml, forecast.csv, the plan CSVs and summary.json into ``d``."""
    d = Path(d)
    _inputs(d / "inputs")
    years = list(range(START, START + HORIZON))
    (d / "scenario.yaml").write_text(
        f"name: synthetic\nstart_year: {START}\nhorizon_years: {HORIZON}\n"
        "budget_usd_total: 60000000.0\ndemand_quantile: 0.9\nmax_utilization: 0.8\n",
        encoding="utf-8",
    )
    hist = pd.read_csv(d / "inputs" / "demand_history.csv")
    last = hist.groupby(["site_a", "site_b"])["p95_gbps"].last()
    fc_rows = []
    for (a, b), v in last.items():
        for i, y in enumerate(years):
            p50 = v * (1.35 ** (i + 1))
            fc_rows.append((a, b, y, 1.05 * p50, p50, 1.2 * p50, 1.3 * p50, "ets_damped"))
    fc = pd.DataFrame(
        fc_rows,
        columns=[
            "site_a",
            "site_b",
            "year",
            "mean_gbps",
            "p50_gbps",
            "p90_gbps",
            "p95_gbps",
            "model",
        ],
    )
    if forecast:
        _write(fc, d / "forecast.csv")

    ups = []
    if upgrades:
        ups = [
            ("C1", "wave_400g", "wave", 2027, 2027, 6, 2400.0, 900000.0),
            ("C6", "fiber_pair", "fiber_pair", 2027, 2028, 1, 0.0, 2700000.0),
            ("C6", "wave_400g", "wave", 2028, 2028, 8, 3200.0, 1020000.0),
            ("C7", "wave_400g", "wave", 2028, 2028, 4, 1600.0, 510000.0),
            ("N1", "new_build", "new_build", 2027, 2029, 1, 12800.0, 44000000.0),
            ("C3", "wave_400g", "wave", 2029, 2029, 3, 1200.0, 325000.0),
        ]
    up = pd.DataFrame(
        ups,
        columns=[
            "corridor_id",
            "option_id",
            "kind",
            "year",
            "in_service_year",
            "units",
            "added_gbps",
            "capex_usd",
        ],
    )
    cap_rows = []
    installed = {c: cap for c, _a, _b, _km, cap in CORRIDORS} | {r: 0 for r, *_ in CANDIDATES}
    for cid, inst in installed.items():
        for i, y in enumerate(years):
            added = up[(up["corridor_id"] == cid) & (up["in_service_year"] <= y)][
                "added_gbps"
            ].sum()
            cap = inst + added
            flow = min(cap * 0.9, inst * (0.45 + 0.22 * i) + 0.3 * added) if cap > 0 else 0.0
            cap_rows.append((cid, y, cap, flow, flow / cap if cap > 0 else math.nan))
    capacity = pd.DataFrame(
        cap_rows, columns=["corridor_id", "year", "capacity_gbps", "flow_gbps", "utilization"]
    )
    dem = fc[["site_a", "site_b", "year", "p90_gbps"]].rename(columns={"p90_gbps": "demand_gbps"})
    uns = np.zeros(len(dem))
    if unserved:
        late = (dem["year"] >= START + 1).to_numpy()
        uns = np.where(
            late, 0.15 * dem["demand_gbps"].to_numpy() * ((dem.index // 3) % 3 == 0), 0.0
        )
    dem["unserved_gbps"] = uns
    dem["served_gbps"] = dem["demand_gbps"] - dem["unserved_gbps"]
    dem = dem[["site_a", "site_b", "year", "demand_gbps", "served_gbps", "unserved_gbps"]]
    routing = dem.assign(
        path=[
            next((c for c, a, b, *_ in CORRIDORS if (a, b) == (r.site_a, r.site_b)), "C1")
            for r in dem.itertuples()
        ],
        gbps=dem["served_gbps"],
        latency_ms=5.0,
    )[["site_a", "site_b", "year", "path", "gbps", "latency_ms"]]
    mv = capacity[["corridor_id", "year"]].assign(usd_per_gbps=1000.0)
    up.to_csv(d / "upgrades.csv", index=False)
    capacity.to_csv(d / "capacity.csv", index=False)
    dem.to_csv(d / "unserved.csv", index=False)
    routing.to_csv(d / "routing.csv", index=False)
    mv.to_csv(d / "marginal_values.csv", index=False)
    fin = dem[dem["year"] == years[-1]]
    summary = {
        "solver": "highs",
        "solver_status": "Optimal",
        "objective": 1.23e8,
        "mip_gap": 0.004,
        "solve_seconds": 1.7,
        "build_seconds": 0.3,
        "budget_usd_total": 60000000.0,
        "capex_usd_total": float(up["capex_usd"].sum()),
        "capex_usd_by_year": {str(y): float(up[up["year"] == y]["capex_usd"].sum()) for y in years},
        "demand_gbps_final_year": float(fin["demand_gbps"].sum()),
        "unserved_gbps_final_year": float(fin["unserved_gbps"].sum()),
        "served_fraction": float(dem["served_gbps"].sum() / dem["demand_gbps"].sum()),
        "formulation": "path",
        "objective_mode": "max-served",
        "scenario": "synthetic",
    }
    (d / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return d
