"""The shipped default network in inputs/ is valid, realistic and reproducible.

Why: it is what ``make run`` plans and what every demo and report shows; a planner reading it
must find true geography, a survivable topology and demand that forces upgrades, and anyone
must be able to regenerate it byte for byte from ``inputs/make_default.py``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml

from planner.config import Scenario
from planner.io import read_inputs
from planner.schema import TABLES
from planner.tables import haversine_km

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / "inputs"
SCENARIOS = ("base", "low_budget", "high_growth", "survivable", "lease")
#: continental US bounding box (lat, lon)
LAT_RANGE, LON_RANGE = (24.0, 49.5), (-125.0, -66.5)


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(INPUTS / TABLES[name].filename, dtype={"srlg": str}, keep_default_na=False)


@pytest.fixture(scope="module")
def inputs():
    """The validated tables (read_inputs raises InputError on any schema problem)."""
    return read_inputs(INPUTS)


def _graph(corridors: pd.DataFrame) -> nx.Graph:
    g = nx.Graph()
    for r in corridors.itertuples():
        g.add_edge(r.site_a, r.site_b, distance_km=r.distance_km, corridor_id=r.corridor_id)
    return g


def _srlgs(corridors: pd.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in corridors.itertuples():
        for s in filter(None, (r.srlg or "").split(";")):
            out.setdefault(s, []).append(r.corridor_id)
    return out


@pytest.mark.parametrize("name", list(TABLES))
def test_files_have_exactly_the_schema_columns(name):
    header = (INPUTS / TABLES[name].filename).read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == TABLES[name].names


def test_inputs_validate_and_have_the_intended_size(inputs):
    s = inputs.summary()
    assert 30 <= s["sites"] <= 36
    assert 55 <= s["corridors"] <= 75
    assert 5 <= s["candidate_routes"] <= 10
    assert 100 <= s["pairs_with_history"] <= 180
    assert (s["history_first_month"], s["history_last_month"]) == ("2023-11", "2026-10")
    assert s["history_months"] == 36
    assert set(inputs.sites["kind"]) == {"ai_campus", "cloud_region", "carrier_hotel"}
    assert set(inputs.sites["region"]) == {"us-east", "us-central", "us-west", "us-south"}


def test_every_referenced_site_exists():
    ids = set(_csv("sites")["site_id"])
    for name in ("ai_buildout", "corridors", "candidate_routes", "demand_history"):
        df = _csv(name)
        for col in TABLES[name].site_refs:
            assert set(df[col]) <= ids, (name, col, set(df[col]) - ids)


def test_pairs_are_written_canonical():
    for name in ("corridors", "candidate_routes", "demand_history"):
        df = _csv(name)
        assert (df["site_a"] < df["site_b"]).all(), name


def test_coordinates_are_in_the_continental_us():
    s = _csv("sites")
    assert s["lat"].between(*LAT_RANGE).all()
    assert s["lon"].between(*LON_RANGE).all()
    # spot checks that coordinates are the real places, not shuffled
    pos = s.set_index("site_id")
    assert haversine_km(*pos.loc["ASH", ["lat", "lon"]], 39.04, -77.49) < 15
    assert haversine_km(*pos.loc["ABL", ["lat", "lon"]], 32.45, -99.73) < 25
    assert haversine_km(*pos.loc["SCL", ["lat", "lon"]], 37.35, -121.96) < 15


@pytest.mark.parametrize("name", ["corridors", "candidate_routes"])
def test_route_km_is_great_circle_times_a_route_factor(name, inputs):
    df = inputs.table(name)
    pos = inputs.sites.set_index("site_id")
    gc = haversine_km(
        pos.loc[df["site_a"], "lat"].to_numpy(),
        pos.loc[df["site_a"], "lon"].to_numpy(),
        pos.loc[df["site_b"], "lat"].to_numpy(),
        pos.loc[df["site_b"], "lon"].to_numpy(),
    )
    ratio = df["distance_km"].to_numpy() / gc
    assert ratio.min() >= 1.15 and ratio.max() <= 1.45, df.loc[(ratio < 1.15) | (ratio > 1.45)]


def test_topology_is_connected_two_edge_connected_and_srlg_survivable(inputs):
    g = _graph(inputs.corridors)
    assert set(g.nodes) == set(inputs.sites["site_id"])
    assert nx.is_connected(g)
    assert nx.is_k_edge_connected(g, 2)
    assert sum(1 for _, d in g.degree() if d == 2) >= 3  # a few sites hang on two routes
    # single_srlg survivability is at least topologically possible: no SRLG cuts the graph
    for srlg, members in _srlgs(inputs.corridors).items():
        h = g.copy()
        cut = inputs.corridors[inputs.corridors["corridor_id"].isin(members)]
        h.remove_edges_from(zip(cut["site_a"], cut["site_b"], strict=True))
        assert nx.is_connected(h), srlg


def test_several_srlgs_are_shared(inputs):
    shared = {s: m for s, m in _srlgs(inputs.corridors).items() if len(m) >= 2}
    assert len(shared) >= 3, shared
    assert "ASH-WEST" in shared  # conduits out of Ashburn


def test_corridor_capacity_is_consistent(inputs):
    c = inputs.corridors
    assert (c["installed_capacity_gbps"] % 400 == 0).all()
    assert c["installed_capacity_gbps"].between(2000, 40000).all()
    assert c["lit_fiber_pairs"].between(1, 4).all()
    assert c["spare_fiber_pairs"].between(0, 8).all()
    assert set(c["max_waves_per_fiber_pair"]) <= {40, 48, 64}
    assert (c["max_waves_per_fiber_pair"] == 64).sum() > len(c) / 2  # mostly modern C-band
    slots = c["lit_fiber_pairs"] * c["max_waves_per_fiber_pair"]
    assert (c["installed_waves"] <= slots).all()
    assert (c["installed_waves"] < slots).sum() > 0.9 * len(c)  # room for wave upgrades
    assert (c["extra_latency_ms"] > 0).sum() >= 3


def test_new_campuses_have_no_mw_before_2027_and_no_history(inputs):
    b = inputs.ai_buildout
    campuses = set(inputs.sites.loc[inputs.sites["kind"] == "ai_campus", "site_id"])
    early = b[(b["year"] < 2027)].groupby("site_id")["ai_it_mw"].sum()
    new = {s for s in campuses if early.get(s, 0.0) == 0.0}
    assert len(new) >= 2, new
    h = inputs.demand_history
    assert not (set(h["site_a"]) | set(h["site_b"])) & new
    assert set(b["year"]) == set(range(2024, 2032))
    last = b[b["year"] == 2031].set_index("site_id")["ai_it_mw"]
    assert last[sorted(new)].min() > 0  # they do come online within the horizon
    assert b.loc[b["site_id"] == "ABL"].set_index("year").loc[2026, "ai_it_mw"] >= 1000


def test_history_grows_with_mild_noise_and_sensible_magnitudes(inputs):
    h = inputs.demand_history.copy()
    h["ym"] = h["month"].dt.to_period("M")
    last = h[h["ym"] == pd.Period("2026-10", "M")]["p95_gbps"]
    assert 30 <= last.min() <= 100 and 3000 <= last.max() <= 5000
    full = h.groupby(["site_a", "site_b"]).filter(lambda d: len(d) == 36)
    assert full[["site_a", "site_b"]].drop_duplicates().shape[0] > 100
    yoy = []
    for _, d in full.groupby(["site_a", "site_b"]):
        v = d.sort_values("month")["p95_gbps"].to_numpy()
        yoy.append(v[24:].mean() / v[12:24].mean() - 1)
        # noise around the log-linear trend is mild multiplicative noise (~5-10 %)
        t = np.arange(len(v))
        resid = np.log(v) - np.polyval(np.polyfit(t, np.log(v), 1), t)
        assert 0.02 < resid.std() < 0.15
    yoy = np.array(yoy)
    assert 0.35 <= np.median(yoy) <= 0.9
    assert yoy.min() > 0.2 and yoy.max() < 1.2


def test_todays_demand_loads_busiest_corridors_to_40_60_percent(inputs):
    """Independent re-check of the calibration printed by make_default.py."""
    g = _graph(inputs.corridors)
    h = inputs.demand_history
    today = h[h["month"] == h["month"].max()]
    load = dict.fromkeys(inputs.corridors["corridor_id"], 0.0)
    for r in today.itertuples():
        path = nx.shortest_path(g, r.site_a, r.site_b, weight="distance_km")
        for u, v in zip(path[:-1], path[1:], strict=True):
            load[g.edges[u, v]["corridor_id"]] += r.p95_gbps
    c = inputs.corridors.set_index("corridor_id")
    util = pd.Series(load) / c["installed_capacity_gbps"]
    assert 0.4 <= util.max() <= 0.6
    assert util.nlargest(5).min() >= 0.4


def test_upgrade_options_cover_waves_pairs_and_new_builds(inputs):
    o = inputs.upgrade_options.set_index("option_id")
    assert set(o["kind"]) == {"wave", "fiber_pair", "new_build"}
    waves = o[o["kind"] == "wave"]
    assert set(waves["capacity_gbps"]) == {400.0, 800.0}
    assert waves["price_change_per_year"].between(-0.2, -0.15).all()
    assert waves["reach_km"].notna().all() and (waves["regen_capex_usd"] > 0).all()
    assert o.loc["fiber_pair", "capacity_gbps"] == 0.0
    assert o.loc["new_build", "max_units_per_corridor"] == 1
    # 800G is cheaper per Gbps than 400G, but reaches less far: a real trade-off
    per_gbps = waves["capex_fixed_usd"] / waves["capacity_gbps"]
    assert per_gbps["wave_800g"] < per_gbps["wave_400g"]
    assert waves.loc["wave_800g", "reach_km"] < waves.loc["wave_400g", "reach_km"]


def test_candidate_routes_are_new_pairs(inputs):
    cand, cor = inputs.candidate_routes, inputs.corridors
    existing = set(zip(cor["site_a"], cor["site_b"], strict=True))
    assert not set(zip(cand["site_a"], cand["site_b"], strict=True)) & existing
    assert cand["build_capex_usd"].isna().any() and cand["build_capex_usd"].notna().any()
    assert not set(cand["route_id"]) & set(cor["corridor_id"])


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenarios_validate(name):
    raw = yaml.safe_load((INPUTS / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8"))
    assert isinstance(raw["budget_usd_total"], float)  # not a string like '600e6'
    sc = Scenario.model_validate(raw)
    assert sc.name == name and sc.start_year == 2027 and sc.horizon_years == 5
    assert sc.solver.threads == 2


def test_scenarios_differ_where_intended():
    sc = {
        n: Scenario.model_validate(yaml.safe_load((INPUTS / "scenarios" / f"{n}.yaml").read_text()))
        for n in SCENARIOS
    }
    assert sc["base"].budget_usd_total == 600_000_000.0
    assert sc["low_budget"].budget_usd_total == 300_000_000.0
    assert sc["high_growth"].growth == "high"
    assert sc["survivable"].survivability == "single_srlg"
    assert sc["base"].survivability == "none" and sc["base"].growth == "base"


def test_regeneration_reproduces_the_files_byte_for_byte(tmp_path):
    script = INPUTS / "make_default.py"
    subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path), "--quiet"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    shipped = sorted(
        p.relative_to(INPUTS) for p in [*INPUTS.glob("*.csv"), *INPUTS.glob("scenarios/*.yaml")]
    )
    made = sorted(
        p.relative_to(tmp_path)
        for p in [*tmp_path.glob("*.csv"), *tmp_path.glob("scenarios/*.yaml")]
    )
    assert made == shipped
    for rel in shipped:
        assert (tmp_path / rel).read_bytes() == (INPUTS / rel).read_bytes(), rel


def test_readme_keeps_the_schema_markers():
    text = (INPUTS / "README.md").read_text(encoding="utf-8")
    assert text.index("<!-- schema:begin -->") < text.index("<!-- schema:end -->")


def test_readme_quotes_the_current_budget_calibration():
    """The README repeats the rough CapEx need; it must not go stale after a regeneration."""
    base = (INPUTS / "scenarios" / "base.yaml").read_text(encoding="utf-8")
    total = re.search(r"is ~\$(\d+)M over", base)
    assert total is not None
    assert f"${total.group(1)}M over 2027-2031" in (INPUTS / "README.md").read_text()
