"""Topology Zoo importer: every shipped file imports and validates; each repair is counted right.

Counts on the shipped files are re-derived from the raw XML (ElementTree, not networkx) so a
bug in the importer's graph handling cannot hide behind the same library call.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.errors import InputError
from planner.io import read_inputs, read_scenario
from planner.io.topologyzoo import ZooOptions, import_topologyzoo
from planner.tables import haversine_km
from tests.conftest import ROOT

#: shipped with the suite (CC BY 4.0, see its README), so a fresh clone needs nothing beside it
ZOO = ROOT / "tests" / "data" / "topologyzoo"
FILES = sorted(ZOO.glob("*.graphml"))
NS = "{http://graphml.graphdrawing.org/xmlns}"
ID_RE = re.compile(r"^[A-Za-z0-9_]+$")


def raw_counts(path: Path) -> dict:
    """Nodes, edges, parallel extras, self-loops and coordless nodes straight from the XML."""
    root = ET.parse(path).getroot()
    keys = {k.get("id"): k.get("attr.name") for k in root.iter(f"{NS}key")}
    g = root.find(f"{NS}graph")
    coordless = 0
    for n in g.iter(f"{NS}node"):
        attrs = {keys[d.get("key")] for d in n.iter(f"{NS}data")}
        coordless += not {"Latitude", "Longitude"} <= attrs
    seen: dict[frozenset, int] = {}
    loops = 0
    for e in g.iter(f"{NS}edge"):
        s, t = e.get("source"), e.get("target")
        if s == t:
            loops += 1
            continue
        seen[frozenset((s, t))] = seen.get(frozenset((s, t)), 0) + 1
    return {
        "nodes": len(list(g.iter(f"{NS}node"))),
        "edges": len(list(g.iter(f"{NS}edge"))),
        "loops": loops,
        "parallel": sum(c - 1 for c in seen.values()),
        "coordless": coordless,
    }


#: quirks of particular files, counted by hand: (parallel edges merged, coordless, labels renamed)
KNOWN = {"AttMpls": (1, 0, 0), "Deltacom": (22, 12, 3), "Columbus": (0, 39, 0)}


def test_shipped_files_present():
    # the suite's own copies (tests/data/topologyzoo); if the folder moves, fail loudly, never skip
    assert [p.stem for p in FILES] == ["Abilene", "AttMpls", "Columbus", "Deltacom", "Geant2012"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_shipped_file_imports_and_validates(path: Path, tmp_path: Path):
    out = tmp_path / path.stem
    rep = import_topologyzoo(path, out)
    raw = raw_counts(path)
    inputs = read_inputs(out)  # the real validator: the pipeline would accept these files
    scen = read_scenario(out / "scenarios" / "base.yaml")
    c = rep["cleaning"]
    assert rep["input"] == {"nodes": raw["nodes"], "edges": raw["edges"]}
    assert c["self_loops_dropped"] == raw["loops"]
    assert c["parallel_edges_merged"] == raw["parallel"]
    assert c["nodes_missing_coords"] == raw["coordless"]
    # default mode places every coordless node (all have located neighbours in these files)
    assert len(c["nodes_placed"]) == raw["coordless"] and c["nodes_dropped_no_coords"] == []
    assert len(inputs.sites) == raw["nodes"]
    assert len(inputs.corridors) == raw["edges"] - raw["loops"] - raw["parallel"]
    assert inputs.sites["site_id"].map(ID_RE.match).all()
    assert inputs.sites["site_id"].is_unique
    cor = inputs.corridors
    assert (cor["site_a"] < cor["site_b"]).all()
    assert cor["lit_fiber_pairs"].sum() == raw["edges"] - raw["loops"]  # one pair per edge
    # distance = great circle x 1.3, floored at 1 km
    s = inputs.sites.set_index("site_id")
    gc = haversine_km(
        s.loc[cor["site_a"], "lat"].to_numpy(),
        s.loc[cor["site_a"], "lon"].to_numpy(),
        s.loc[cor["site_b"], "lat"].to_numpy(),
        s.loc[cor["site_b"], "lon"].to_numpy(),
    )
    assert np.allclose(cor["distance_km"], np.maximum(np.round(gc * 1.3, 1), 1.0), atol=0.2)
    assert (cor["distance_km"] == 1.0).sum() == c["distances_floored_to_min"]
    h = inputs.demand_history
    pairs = h[["site_a", "site_b"]].drop_duplicates()
    assert len(pairs) == rep["output"]["pairs"] == min(300, rep["output"]["pairs_possible"])
    assert h.groupby(["site_a", "site_b"]).size().eq(36).all()
    assert h["month"].max() == pd.Timestamp("2025-12-01")
    assert (h["p95_gbps"] >= 0).all() and h["p95_gbps"].sum() > 0
    hub = set(inputs.sites.loc[inputs.sites["kind"] == "carrier_hotel", "site_id"])
    assert hub.isdisjoint(set(pairs["site_a"]) | set(pairs["site_b"]))  # junctions: no traffic
    assert len(hub) == c["hyperedge_nodes"]
    assert (inputs.sites["region"] != "unknown").all()
    assert scen.start_year == 2026 and scen.budget_usd_total >= 1e6
    assert json.loads((out / "import_report.json").read_text())["output"]["sites"] == raw["nodes"]
    if path.stem in KNOWN:
        got = (c["parallel_edges_merged"], c["nodes_missing_coords"])
        assert (*got, len(c["duplicate_labels_renamed"])) == KNOWN[path.stem]


def test_deltacom_duplicate_labels_become_unique_ids(tmp_path):
    # two different towns named Jackson (MS and TN) must stay two sites
    import_topologyzoo(ZOO / "Deltacom.graphml", tmp_path, ZooOptions(pairs=20))
    sites = pd.read_csv(tmp_path / "sites.csv")
    jackson = sites.loc[sites["name"] == "Jackson"].sort_values("site_id")
    assert list(jackson["site_id"]) == ["Jackson", "Jackson_2"]
    assert jackson["lat"].round(2).tolist() == [32.30, 35.61]


# ---- synthetic GraphML with every quirk, so each repair is checked against a known answer --

KEYS = """
  <key attr.name="label" attr.type="string" for="node" id="l" />
  <key attr.name="Latitude" attr.type="double" for="node" id="la" />
  <key attr.name="Longitude" attr.type="double" for="node" id="lo" />
  <key attr.name="Country" attr.type="string" for="node" id="c" />
  <key attr.name="hyperedge" attr.type="int" for="node" id="h" />
  <key attr.name="LinkSpeedRaw" attr.type="double" for="edge" id="s" />
  <key attr.name="Network" attr.type="string" for="graph" id="n" />"""


def zoo_xml(nodes: list[tuple], edges: list[tuple], network: str = "Testnet") -> str:
    """nodes: (id, label|None, lat|None, lon|None, hyper); edges: (u, v, speed_bps|None)."""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">' + KEYS,
        f'  <graph edgedefault="undirected"><data key="n">{network}</data>',
    ]
    for nid, label, lat, lon, hyper in nodes:
        out.append(f'    <node id="{nid}"><data key="l">{label if label else "None"}</data>')
        if lat is not None:
            out.append(f'      <data key="la">{lat}</data><data key="lo">{lon}</data>')
        if hyper:
            out.append('      <data key="h">1</data>')
        out.append("    </node>")
    for u, v, sp in edges:
        data = f'<data key="s">{sp}</data>' if sp else ""
        out.append(f'    <edge source="{u}" target="{v}">{data}</edge>')
    out += ["  </graph>", "</graphml>"]
    return "\n".join(out)


QUIRKY = zoo_xml(
    nodes=[
        ("0", "Zürich", 47.0, 8.0, False),
        ("1", "Basel", 47.0, 10.0, False),
        ("2", "Bern", 49.0, 9.0, False),
        ("3", None, None, None, True),  # hyperedge junction between 0, 1, 2: placed at mean
        ("4", "Bern", None, None, False),  # duplicate label, coordless, neighbour of 2 only
        ("5", "Lone", None, None, False),  # coordless, only neighbour is coordless 4 -> round 2
        ("6", "Island", 40.0, 0.0, False),  # separate piece with 7
        ("7", "Islet", 40.0, 1.0, False),
        ("8", "Nowhere", None, None, False),  # isolated and coordless: cannot be placed
    ],
    edges=[
        ("0", "1", 10e9),
        ("1", "0", 10e9),  # parallel edge
        ("0", "1", 40e9),  # and another, faster
        ("1", "2", None),
        ("0", "0", None),  # self-loop
        ("3", "0", None),
        ("3", "1", None),
        ("3", "2", None),
        ("2", "4", None),
        ("4", "5", None),
        ("6", "7", None),
    ],
)


@pytest.fixture
def quirky(tmp_path: Path) -> Path:
    p = tmp_path / "Quirky.graphml"
    p.write_text(QUIRKY, encoding="utf-8")
    return p


def test_quirks_place_mode(quirky, tmp_path):
    out = tmp_path / "o"
    rep = import_topologyzoo(quirky, out, ZooOptions(noise=0.0))
    c = rep["cleaning"]
    assert c["self_loops_dropped"] == 1
    assert c["parallel_edges_merged"] == 2 and c["merged_pairs"] == ["Zürich - Basel (x3)"]
    assert c["nodes_missing_coords"] == 4
    assert c["nodes_placed"] == ["J3", "Bern_2", "Lone"]
    assert c["nodes_dropped_no_coords"] == ["Nowhere"]
    assert c["components"] == {
        "found": 2,
        "mode": "largest",
        "sizes": [6, 2],
        "nodes_dropped": 2,
        "edges_dropped": 1,
    }
    assert c["duplicate_labels_renamed"] == [{"label": "Bern", "site_ids": ["Bern", "Bern_2"]}]
    inp = read_inputs(out)
    s = inp.sites.set_index("site_id")
    assert sorted(s.index) == ["Basel", "Bern", "Bern_2", "J3", "Lone", "Zurich"]
    assert s.at["J3", "kind"] == "carrier_hotel" and s.at["Zurich", "name"] == "Zürich"
    # no Country attribute: thirds of the network's longitude span (8..10 deg)
    assert (s.at["Zurich", "region"], s.at["Bern", "region"], s.at["Basel", "region"]) == (
        "testnet-west",
        "testnet-central",
        "testnet-east",
    )
    # J3 at the spherical mean of (47,8), (47,10), (49,9): lon 9 by symmetry, lat ~47.67
    assert s.at["J3", "lon"] == pytest.approx(9.0, abs=1e-6)
    assert 47.5 < s.at["J3", "lat"] < 47.8
    # Bern_2 copies Bern (its only located neighbour); Lone copies Bern_2 one round later
    assert (
        tuple(s.loc["Bern_2", ["lat", "lon"]])
        == tuple(s.loc["Lone", ["lat", "lon"]])
        == (
            49.0,
            9.0,
        )
    )
    cor = inp.corridors.set_index("corridor_id")
    assert c["distances_floored_to_min"] == 2  # Bern-Bern_2 and Bern_2-Lone are 0 km
    assert cor.at["Bern-Bern_2", "distance_km"] == 1.0
    # merged Zurich-Basel: 3 pairs; 10G, 10G, 40G scaled so the median (10G) gets 1600G
    assert cor.at["Basel-Zurich", "lit_fiber_pairs"] == 3
    assert cor.at["Basel-Zurich", "installed_capacity_gbps"] == 1600 + 1600 + 6400
    assert cor.at["Basel-Bern", "installed_capacity_gbps"] == 1600  # no speed: default
    gc = haversine_km(47.0, 8.0, 47.0, 10.0)
    assert cor.at["Basel-Zurich", "distance_km"] == pytest.approx(round(gc * 1.3, 1))
    assert len(cor) == 7
    pairs = inp.demand_history[["site_a", "site_b"]].drop_duplicates()
    assert "J3" not in set(pairs["site_a"]) | set(pairs["site_b"])
    assert len(pairs) == 10  # 5 sites with traffic -> C(5, 2)


def test_quirks_drop_mode_and_all_components(quirky, tmp_path):
    opts = ZooOptions(missing_coords="drop", components="all")
    rep = import_topologyzoo(quirky, tmp_path / "o", opts)
    c = rep["cleaning"]
    assert c["nodes_placed"] == []
    assert sorted(c["nodes_dropped_no_coords"]) == ["Bern", "Lone", "Nowhere", "node 3"]
    assert c["edges_dropped_with_nodes"] == 5  # 3 hyperedge spokes, 2-4, 4-5
    assert c["components"]["sizes"] == [3, 2] and c["components"]["nodes_dropped"] == 0
    inp = read_inputs(tmp_path / "o")
    assert sorted(inp.sites["site_id"]) == ["Basel", "Bern", "Island", "Islet", "Zurich"]
    pairs = inp.demand_history[["site_a", "site_b"]].drop_duplicates()
    # pairs never span pieces: 3 inside the big one, 1 in the island
    assert len(pairs) == 4
    assert ("Island", "Islet") in set(map(tuple, pairs.to_numpy()))


def test_link_speed_absolute_and_ignore(quirky, tmp_path):
    import_topologyzoo(quirky, tmp_path / "a", ZooOptions(link_speed="absolute"))
    import_topologyzoo(quirky, tmp_path / "i", ZooOptions(link_speed="ignore"))
    a = pd.read_csv(tmp_path / "a" / "corridors.csv").set_index("corridor_id")
    i = pd.read_csv(tmp_path / "i" / "corridors.csv").set_index("corridor_id")
    assert a.at["Basel-Zurich", "installed_capacity_gbps"] == 60.0
    assert i.at["Basel-Zurich", "installed_capacity_gbps"] == 3 * 1600.0


def test_calibration_hits_target_utilisation_on_shortest_paths(tmp_path):
    """Noise off: the last history month routed on shortest paths peaks at exactly 60 %."""
    out = tmp_path / "o"
    import_topologyzoo(ZOO / "Abilene.graphml", out, ZooOptions(noise=0.0))
    inp = read_inputs(out)
    g = nx.Graph()
    for r in inp.corridors.itertuples():
        g.add_edge(r.site_a, r.site_b, km=r.distance_km, cap=r.installed_capacity_gbps, load=0.0)
    h = inp.demand_history
    last = h[h["month"] == h["month"].max()]
    for r in last.itertuples():
        path = nx.dijkstra_path(g, r.site_a, r.site_b, weight="km")
        for u, v in zip(path, path[1:], strict=False):
            g.edges[u, v]["load"] += r.p95_gbps
    util = max(d["load"] / d["cap"] for _, _, d in g.edges(data=True))
    assert util == pytest.approx(0.6, rel=1e-3)  # values are rounded to 0.01 Gbps


def test_growth_follows_the_option(tmp_path):
    import_topologyzoo(ZOO / "Abilene.graphml", tmp_path, ZooOptions(noise=0.0))
    h = read_inputs(tmp_path).demand_history
    tot = h.groupby("month")["p95_gbps"].sum()
    yoy = tot.iloc[-1] / tot.iloc[-13]
    assert 1.25 < yoy < 1.5  # 35 %/yr mean, per-pair spread


def test_top_pairs_and_all_pairs(tmp_path):
    opts = ZooOptions(noise=0.0)
    import_topologyzoo(ZOO / "Geant2012.graphml", tmp_path / "a", replace(opts, pairs=None))
    import_topologyzoo(ZOO / "Geant2012.graphml", tmp_path / "t", replace(opts, pairs=7))
    ha = read_inputs(tmp_path / "a").demand_history
    ht = read_inputs(tmp_path / "t").demand_history
    assert ha[["site_a", "site_b"]].drop_duplicates().shape[0] == 40 * 39 // 2
    top = ht[["site_a", "site_b"]].drop_duplicates()
    # noise off: the last month is proportional to the gravity weight, so the 7 kept pairs are
    # exactly the 7 heaviest of the full matrix
    last = ha[ha["month"] == ha["month"].max()]
    heavy = last.nlargest(7, "p95_gbps")[["site_a", "site_b"]]
    assert set(map(tuple, top.to_numpy())) == set(map(tuple, heavy.to_numpy()))


def test_ai_sites_are_top_degree_with_buildout(tmp_path):
    rep = import_topologyzoo(ZOO / "AttMpls.graphml", tmp_path, ZooOptions(ai_sites=2))
    inp = read_inputs(tmp_path)
    deg = pd.concat([inp.corridors["site_a"], inp.corridors["site_b"]]).value_counts()
    ai = sorted(inp.sites.loc[inp.sites["kind"] == "ai_campus", "site_id"])
    assert ai == sorted(rep["output"]["ai_sites"]) and len(ai) == 2
    assert deg[ai].min() >= deg.drop(ai).max()
    b = inp.ai_buildout
    assert sorted(b["site_id"].unique()) == ai
    assert b["year"].min() == 2023 and b["year"].max() == 2028  # history start .. horizon end
    assert (b.groupby("site_id")["ai_it_mw"].apply(lambda s: s.is_monotonic_increasing)).all()


def test_deterministic_for_a_seed(tmp_path):
    for d in ("a", "b"):
        import_topologyzoo(ZOO / "Abilene.graphml", tmp_path / d, ZooOptions(seed=3))
    import_topologyzoo(ZOO / "Abilene.graphml", tmp_path / "c", ZooOptions(seed=4))
    for f in ("sites.csv", "corridors.csv", "demand_history.csv", "scenarios/base.yaml"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    a = (tmp_path / "a" / "demand_history.csv").read_bytes()
    assert a != (tmp_path / "c" / "demand_history.csv").read_bytes()


@pytest.mark.parametrize(
    "text,match",
    [
        ("<graphml><graph", r"Bad.graphml:1: not valid XML"),
        ("not xml at all", r"not valid XML"),
        (zoo_xml([], []), r"no nodes"),
        (
            zoo_xml(
                [("0", "A", None, None, False), ("1", "B", None, None, False)], [("0", "1", None)]
            ),
            r"fewer than 2 located sites",
        ),
    ],
)
def test_bad_files_raise_input_error(text, match, tmp_path):
    p = tmp_path / "Bad.graphml"
    p.write_text(text)
    with pytest.raises(InputError, match=match):
        import_topologyzoo(p, tmp_path / "o")
    assert not (tmp_path / "o" / "sites.csv").exists()  # nothing half-written


def test_cli_import_and_errors(tmp_path):
    r = CliRunner().invoke(
        main,
        [
            "import",
            "topologyzoo",
            str(ZOO / "Columbus.graphml"),
            "--out",
            str(tmp_path / "c"),
            "--pairs",
            "50",
            "--missing-coords",
            "place",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "nodes without coordinates: 39 (39 placed at neighbour mean)" in r.output
    assert "validated: 70 sites, 85 corridors, 50 pairs x 36 months" in r.output
    r = CliRunner().invoke(
        main,
        ["import", "topologyzoo", str(tmp_path / "nope.graphml"), "--out", str(tmp_path / "x")],
    )
    assert r.exit_code == 2 and "missing file" in r.output
    r = CliRunner().invoke(
        main,
        [
            "import",
            "topologyzoo",
            str(ZOO / "Abilene.graphml"),
            "--out",
            str(tmp_path / "x"),
            "--pairs",
            "zero",
        ],
    )
    assert r.exit_code == 2 and "expected a positive integer or 'all'" in r.output


@st.composite
def random_zoo(draw):
    n = draw(st.integers(2, 9))
    nodes = []
    for i in range(n):
        located = draw(st.booleans()) or i == 0
        lat = draw(st.floats(-60, 60)) if located else None
        lon = draw(st.floats(-170, 170)) if located else None
        label = draw(st.sampled_from([None, "A", "A", "B b", "Ünï", "x-y", f"n{i}"]))
        nodes.append((str(i), label, lat, lon, draw(st.booleans()) and i > 0))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    edges = [(str(u), str(v), None) for u, v in draw(st.lists(pairs, min_size=1, max_size=15))]
    edges.append(("0", "1", None))  # at least one real edge from a located node
    return nodes, edges


@settings(max_examples=20, deadline=None)
@given(
    graph=random_zoo(),
    mode=st.sampled_from(["place", "drop"]),
    comps=st.sampled_from(["largest", "all"]),
)
def test_property_any_zoo_graph_gives_valid_inputs_or_input_error(
    graph, mode, comps, tmp_path_factory
):
    nodes, edges = graph
    d = tmp_path_factory.mktemp("z")
    p = d / "R.graphml"
    p.write_text(zoo_xml(nodes, edges))
    try:
        rep = import_topologyzoo(p, d / "o", ZooOptions(missing_coords=mode, components=comps))
    except InputError as e:  # allowed only for "nothing plannable left"
        assert re.search(r"fewer than 2 located sites|no site pair with traffic", str(e)), str(e)
        return
    inp = read_inputs(d / "o")
    simple = {frozenset((u, v)) for u, v, _ in edges if u != v}
    assert len(inp.corridors) <= len(simple)
    assert rep["cleaning"]["self_loops_dropped"] == sum(u == v for u, v, _ in edges)
    assert inp.sites["site_id"].is_unique and inp.sites["site_id"].map(ID_RE.match).all()
    if comps == "largest":
        g = nx.Graph(list(zip(inp.corridors["site_a"], inp.corridors["site_b"], strict=True)))
        g.add_nodes_from(inp.sites["site_id"])
        assert nx.is_connected(g)


def test_end_to_end_planner_run_on_an_import(tmp_path):
    """Import -> `planner run` (validate, forecast, optimise, report) -> `planner verify`."""
    inp = tmp_path / "abilene"
    r = CliRunner().invoke(
        main, ["import", "topologyzoo", str(ZOO / "Abilene.graphml"), "--out", str(inp),
               "--pairs", "20", "--ai-sites", "2"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    run_dir = tmp_path / "run"
    r = CliRunner().invoke(
        main, ["run", "--inputs", str(inp), "--scenario", str(inp / "scenarios" / "base.yaml"),
               "--out", str(run_dir)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    sm = json.loads((run_dir / "summary.json").read_text())
    assert sm["solver_status"] in ("optimal", "time_limit_feasible")
    assert sm["capex_usd_total"] <= sm["budget_usd_total"] + 1e-6
    assert sm["served_fraction"] > 0.9  # the budget is sized from a shortest-path estimate
    cap = pd.read_csv(run_dir / "capacity.csv")
    assert (cap["flow_gbps"] <= 0.8 * cap["capacity_gbps"] + 1e-6).all()  # max_utilization
    assert (run_dir / "report.pdf").stat().st_size > 0
    r = CliRunner().invoke(main, ["verify", str(run_dir)])
    assert r.exit_code == 0 and "OK:" in r.output, r.output
