"""SNDlib importer: parsing (with line numbers on errors), mapping, and hand-known optima.

The two network files in tests/data/sndlib/ are written by hand (SNDlib's own instances are
under an academic licence and are not committed); each states its optimum and the cut argument
that proves it in its header comment. The optimum is checked three ways: by an independent
arc-flow MIP written here (so the hand proof is not trusted blindly), and by the planner with
both formulations.
"""

from __future__ import annotations

import json
from pathlib import Path

import highspy
import pandas as pd
import pulp
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.errors import InputError
from planner.io import read_inputs, read_scenario
from planner.io.run import read_demand
from planner.io.sndlib import import_sndlib, parse_sndlib
from planner.optimize import plan
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "sndlib"
HAND4, DETOUR3 = DATA / "hand4.txt", DATA / "detour3.txt"
HAND4_OPT, DETOUR3_OPT, DETOUR3_DIRECT_ONLY = 22.0, 10.0, 14.0


@pytest.fixture(autouse=True)
def fresh_highs_scheduler():
    """Workaround, to drop once planner.optimize.solve resets it itself: HiGHS sizes one global
    thread pool per process at the first solve, and a later solve asking for another thread
    count ends with model status 'Not Set' (the planner then reports "no plan"). Any earlier
    solve in the test process (the reference model below, other tests) can trigger it."""
    highspy.Highs.resetGlobalScheduler(True)


def reference_optimum(path: Path, direct_only: bool = False) -> float:
    """Textbook undirected modular design (arc flow per demand), independent of the planner."""
    net = parse_sndlib(path)
    m = pulp.LpProblem("ref", pulp.LpMinimize)
    y = {
        (lk.id, k): m.add_variable(f"y_{i}_{k}", 0, cat="Integer")
        for i, lk in enumerate(net.links)
        for k in range(len(lk.modules))
    }
    m += pulp.lpSum(y[lk.id, k] * c for lk in net.links for k, (_, c) in enumerate(lk.modules))
    arcs = [
        (lk, u, v) for lk in net.links for u, v in ((lk.source, lk.target), (lk.target, lk.source))
    ]
    load = {lk.id: [] for lk in net.links}
    for j, d in enumerate(net.demands):
        f = {(lk.id, u, v): m.add_variable(f"f_{j}_{lk.id}_{u}_{v}", 0) for lk, u, v in arcs}
        for n in net.nodes:
            bal = pulp.lpSum(x for (_, u, _), x in f.items() if u == n.id) - pulp.lpSum(
                x for (_, _, v), x in f.items() if v == n.id
            )
            m += bal == (d.value if n.id == d.source else -d.value if n.id == d.target else 0)
        for (lid, u, v), x in f.items():
            load[lid].append(x)
            if direct_only and {u, v} != {d.source, d.target}:
                m += x == 0
    for lk in net.links:
        cap = pulp.lpSum(y[lk.id, k] * c for k, (c, _) in enumerate(lk.modules))
        m += pulp.lpSum(load[lk.id]) <= lk.pre_capacity + cap
    m.solve(pulp.HiGHS(msg=False))
    highspy.Highs.resetGlobalScheduler(True)  # see fresh_highs_scheduler
    assert pulp.LpStatus[m.status] == "Optimal"
    return float(pulp.value(m.objective))


def test_reference_model_confirms_the_hand_optima():
    assert reference_optimum(HAND4) == pytest.approx(HAND4_OPT)
    assert reference_optimum(DETOUR3) == pytest.approx(DETOUR3_OPT)
    assert reference_optimum(DETOUR3, direct_only=True) == pytest.approx(DETOUR3_DIRECT_ONLY)


def test_parse_hand4():
    net = parse_sndlib(HAND4)
    assert net.name == "hand4" and net.meta["unit"] == "GBITPERSEC"
    assert net.meta["origin"] == "dci-planner test"
    assert [(n.id, n.lon, n.lat) for n in net.nodes][0] == ("A", 10.0, 50.0)
    ab = net.links[0]
    assert (ab.id, ab.source, ab.target, ab.pre_capacity) == ("L_AB", "A", "B", 0.0)
    assert ab.modules == ((10.0, 4.0), (40.0, 10.0))
    assert [(d.id, d.source, d.target, d.value) for d in net.demands][1] == ("D_CB", "C", "B", 5.0)
    assert all(d.max_path_length is None for d in net.demands)
    assert net.paths == {"D_AB": [("P_0", ["L_AB"]), ("P_1", ["L_AC", "L_BC"])]}


def test_import_maps_onto_our_tables(tmp_path):
    rep = import_sndlib(HAND4, tmp_path, start_year=2030)
    inp = read_inputs(tmp_path)
    sc = read_scenario(tmp_path / "scenarios" / "min_cost.yaml")
    cor = inp.corridors.set_index("corridor_id")
    assert list(cor.index) == ["L_AB", "L_AC", "L_BC", "L_CD"]
    assert cor.loc["L_AC", "installed_capacity_gbps"] == 10.0
    assert (cor["lit_fiber_pairs"] == 1).all() and (cor["spare_fiber_pairs"] == 0).all()
    assert (cor["installed_waves"] == 0).all()
    opts = inp.upgrade_options.set_index("option_id")
    assert len(opts) == 8 and set(opts["corridor_id"]) == set(cor.index)
    ab = opts[opts["corridor_id"] == "L_AB"]
    assert ab[["capacity_gbps", "capex_fixed_usd"]].values.tolist() == [[10, 4], [40, 10]]
    assert (opts["kind"] == "wave").all() and (opts["capex_per_km_usd"] == 0).all()
    assert (opts["lead_time_years"] == 0).all() and opts["reach_km"].isna().all()
    # units never bind: ceil(total demand 73 / module capacity)
    assert ab["max_units_per_corridor"].tolist() == [8, 2]
    # and slots never bind either: more slots than all modules together
    assert (cor["max_waves_per_fiber_pair"] > 8 + 2).all()
    d = read_demand(tmp_path / "demand.csv")
    assert d.to_dict("records") == [
        {"site_a": "A", "site_b": "B", "year": 2030, "demand_gbps": 50.0},
        {"site_a": "B", "site_b": "C", "year": 2030, "demand_gbps": 5.0},  # C B -> canonical
        {"site_a": "C", "site_b": "D", "year": 2030, "demand_gbps": 18.0},  # 13 + 5 summed
    ]
    h = inp.demand_history
    assert len(h) == 3 * 12 and h["month"].min() == pd.Timestamp("2029-01-01")
    assert inp.ai_buildout.empty and inp.candidate_routes.empty
    assert (sc.horizon_years, sc.objective, sc.max_utilization) == (1, "min-cost", 1.0)
    assert sc.start_year == 2030 and sc.survivability == "none"
    total_latency = cor["distance_km"].sum() * 0.0049
    assert min(sc.latency_ms_max.values()) > total_latency  # no path can be too slow
    assert sc.budget_usd_total >= (opts["capex_fixed_usd"] * opts["max_units_per_corridor"]).sum()
    assert rep["cleaning"]["parallel_demands_summed"] == 1
    assert rep["ignored"]["admissible_path_lists"] == 1


def _solve(tmp_path: Path, src: Path, formulation: str, k: int | None = None):
    import_sndlib(src, tmp_path)
    inp = read_inputs(tmp_path)
    sc = read_scenario(tmp_path / "scenarios" / "min_cost.yaml")
    if k is not None:  # the path model restricted to k paths: no path pricing
        solver = sc.solver.model_copy(update={"path_pricing": False})
        sc = sc.model_copy(update={"k_paths": k, "solver": solver})
    dem = read_demand(tmp_path / "demand.csv")
    return inp, dem, plan(inp, dem, sc, formulation=formulation, marginals=False)


def _check_plan_invariants(inp, dem, p) -> None:
    """Re-check the plan from its own tables: all served, flows within capacity."""
    assert p.unserved["unserved_gbps"].abs().max() < 1e-6
    served = p.routing.groupby(["site_a", "site_b"])["gbps"].sum()
    for r in dem.itertuples():
        assert served[(r.site_a, r.site_b)] == pytest.approx(r.demand_gbps, abs=1e-6)
    cap = p.capacity
    assert (cap["flow_gbps"] <= cap["capacity_gbps"] + 1e-6).all()
    installed = inp.corridors.set_index("corridor_id")["installed_capacity_gbps"]
    added = p.upgrades.groupby("corridor_id")["added_gbps"].sum()
    c = cap.set_index("corridor_id")["capacity_gbps"]
    assert (c - installed - added.reindex(c.index).fillna(0)).abs().max() < 1e-6
    assert p.upgrades["capex_usd"].sum() == pytest.approx(p.summary["capex_usd_total"])


@pytest.mark.parametrize("formulation", ["arc", "path"])
def test_planner_solves_hand4_to_its_optimum(formulation, tmp_path):
    inp, dem, p = _solve(tmp_path, HAND4, formulation)
    assert p.summary["formulation"] == formulation
    assert p.summary["capex_usd_total"] == pytest.approx(HAND4_OPT)
    _check_plan_invariants(inp, dem, p)
    # C-D carries 18: two small modules (8), not the large one (10)
    cd = p.upgrades[p.upgrades["corridor_id"] == "L_CD"]
    assert cd[["option_id", "units"]].values.tolist() == [["L_CD_m1", 2]]


@pytest.mark.parametrize(
    "formulation,k,expected",
    [("arc", None, DETOUR3_OPT), ("path", 2, DETOUR3_OPT), ("path", 1, DETOUR3_DIRECT_ONLY)],
)
def test_routing_limits_matter_on_detour3(formulation, k, expected, tmp_path):
    inp, dem, p = _solve(tmp_path, DETOUR3, formulation, k)
    assert p.summary["capex_usd_total"] == pytest.approx(expected)
    _check_plan_invariants(inp, dem, p)
    if expected == DETOUR3_OPT:  # 10 Gbps take A-C-B on the pre-installed capacity
        via = p.routing[p.routing["path"].str.count(";") == 1]["gbps"].sum()
        assert via == pytest.approx(10.0)


# ---- random instances: planner (arc, and path with every simple path) == reference MIP ----


@st.composite
def instances(draw) -> str:
    n = draw(st.integers(3, 4))
    names = "ABCD"[:n]
    links = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    keep = draw(st.lists(st.booleans(), min_size=len(links), max_size=len(links)))
    chain = {(names[i], names[i + 1]) for i in range(n - 1)}  # connected
    body = ["NODES ("] + [f"  {x} ( {i}.0 {i % 2}.0 )" for i, x in enumerate(names)] + [")"]
    body.append("LINKS (")
    for (a, b), k in zip(links, keep, strict=True):
        if k or (a, b) in chain:
            pre = draw(st.sampled_from([0, 0, 5, 10]))
            small = draw(st.integers(2, 6))
            big = draw(st.integers(small + 1, 4 * small))
            body.append(f"  {a}{b} ( {a} {b} ) {pre} 0 0 0 ( 10 {small} 40 {big} )")
    body += [")", "DEMANDS ("]
    pairs = draw(st.lists(st.sampled_from(links), min_size=1, max_size=3, unique=True))
    for a, b in pairs:
        body.append(f"  d{a}{b} ( {a} {b} ) 1 {draw(st.integers(1, 60))} UNLIMITED")
    body.append(")")
    return "\n".join(body) + "\n"


@settings(max_examples=4, deadline=None)
@given(text=instances())
def test_random_instances_match_the_reference(text, tmp_path_factory):
    d = tmp_path_factory.mktemp("snd")
    src = d / "rand.txt"
    src.write_text(text)
    ref = reference_optimum(src)
    for formulation, k in (("arc", None), ("path", 50)):  # 4 nodes: < 50 simple paths
        _, _, p = _solve(d / f"{formulation}", src, formulation, k)
        assert p.summary["capex_usd_total"] == pytest.approx(ref, abs=1e-6), formulation


# ---- cleaning ------------------------------------------------------------------------------

MESSY = """?SNDlib native format; type: network; version: 1.0
# network messy
NODES (
  X ( 200.0 95.0 )
  Y ( -10.0 40.0 )
  Z
)
LINKS (
  XY1 ( X Y ) 5 0 1.5 7 ( 10 1 )
  XY2 ( Y X ) 3 0 0 0 ( 10 1 20 1.5 )
  YY ( Y Y ) 0 0 0 0 ( 10 1 )
  YZ ( Y Z ) 0 0 0 0 ( )
)
DEMANDS (
  d1 ( X Y ) 1 4 2
  d2 ( Y X ) 1 6 UNLIMITED
  d3 ( Z Z ) 1 9 UNLIMITED
  d4 ( Y Z ) 1 0 UNLIMITED
)
"""


def test_cleaning_is_counted(tmp_path):
    src = tmp_path / "messy.txt"
    src.write_text(MESSY)
    rep = import_sndlib(src, tmp_path / "o")
    c, ig = rep["cleaning"], rep["ignored"]
    # X at (200, 95) is no WGS84 point: the file's coordinates are abstract, not clipped
    assert c["coordinates_clipped_to_wgs84"] == 0
    assert c["coordinates"].startswith("abstract (1 of 3 nodes outside WGS84)")
    assert c["nodes_without_coordinates_set_to_0_0"] == 1
    assert c["self_loop_links_dropped"] == ["YY"] and c["parallel_links_merged"] == 1
    assert c["self_demands_dropped"] == 1 and c["zero_demands_dropped"] == 1
    assert c["parallel_demands_summed"] == 1
    assert ig["routing_cost_nonzero_links"] == 1 and ig["setup_cost_nonzero_links"] == 1
    assert ig["hop_limited_demands"] == 1
    inp = read_inputs(tmp_path / "o")
    s = inp.sites.set_index("site_id")
    # scaled into a 1-degree box: x 200 - (-10) = 210 is the span, so X lands at lon 1.0
    # and lat (95 - 40) / 210; every corridor has the unit length
    assert s.at["X", "lon"] == pytest.approx(1.0) and s.at["Y", "lon"] == 0.0
    assert s.at["X", "lat"] == pytest.approx(55 / 210) and s.at["Y", "lat"] == 0.0
    cor = inp.corridors.set_index("corridor_id")
    assert (cor["distance_km"] == 200.0).all()
    assert list(cor.index) == ["XY1", "YZ"]
    assert cor.at["XY1", "installed_capacity_gbps"] == 8.0  # 5 + 3 merged
    opts = inp.upgrade_options
    # module union of XY1 and XY2, the shared (10, 1) module once; YZ has none
    assert opts[["option_id", "capacity_gbps"]].values.tolist() == [
        ["XY1_m1", 10.0],
        ["XY1_m2", 20.0],
    ]
    assert read_demand(tmp_path / "o" / "demand.csv")["demand_gbps"].tolist() == [10.0]


# ---- syntax and reference errors: every message names the line -----------------------------

GOOD_LINK = "  L1 ( A B ) 0 0 0 0 ( 10 1 )"


def doc(nodes="  A ( 1 2 )\n  B ( 3 4 )", links=GOOD_LINK, demands="  d ( A B ) 1 5 UNLIMITED"):
    return f"NODES (\n{nodes}\n)\nLINKS (\n{links}\n)\nDEMANDS (\n{demands}\n)\n"


@pytest.mark.parametrize(
    "text,line,match",
    [
        (doc(links="  L1 ( A B ) 0 0 zero 0 ( 10 1 )"), 6, r"got 'zero', expected a number"),
        (doc(links="  L1 ( A B ) 0 0 0 0 ( 10 1 40 )"), 6, r"3 module numbers"),
        (doc(links="  L1 ( A Q ) 0 0 0 0 ( 10 1 )"), 6, r"unknown node 'Q'"),
        (doc(links="  L1 A B ) 0 0 0 0 ( 10 1 )"), 6, r"got 'A', expected '\('"),
        (doc(nodes="  A ( 1 2 )\n  A ( 3 4 )"), 3, r"duplicate node id 'A' \(first at line 2\)"),
        (doc(demands="  d ( A B ) 1 5 lots"), 9, r"expected a max path length"),
        (doc(demands="  d ( A B ) 1 -5 UNLIMITED"), 9, r"value -5"),
        (doc(links="  L1 ( A B ) 0 0 0 0 ( 0 1 )"), 6, r"expected capacity > 0"),
        (doc() + "ROUTING (\n)\n", 11, r"got 'ROUTING', expected a section name"),
        (doc() + "NODES (\n)\n", 11, r"section NODES repeated \(first at line 1\)"),
        ("META (\n  unit MBIT\n)\n" + doc(), 2, r"expected 'key = value'"),
        (doc().rstrip().rstrip(")"), 9, r"unexpected end of file"),
        ("?SNDlib native format; type: solution; version: 1.0\n", 1, r"not a network file"),
    ],
)
def test_errors_name_the_line(text, line, match, tmp_path):
    assert_error_at(tmp_path / "bad.txt", text, line, match)


def assert_error_at(p: Path, text: str, line: int, match: str) -> None:
    """Parsing ``text`` (written to ``p``) fails with one message naming ``p`` and ``line``."""
    p.write_text(text)
    with pytest.raises(InputError, match=match) as e:
        parse_sndlib(p)
    assert e.value.problems[0].row == line
    assert str(e.value).startswith(f"{p}:{line}: ")


def test_missing_sections_and_paths(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_text("NODES (\n  A\n)\n")
    with pytest.raises(InputError, match="missing section LINKS"):
        parse_sndlib(p)
    p.write_text(doc() + "ADMISSIBLE_PATHS (\n  d ( P0 ( L1 L9 ) )\n  e ( P0 ( L1 ) )\n)\n")
    with pytest.raises(InputError) as e:
        parse_sndlib(p)
    msgs = [x.message for x in e.value.problems]
    assert any("unknown links ['L9']" in m for m in msgs)
    assert any("unknown demand 'e'" in m for m in msgs)
    with pytest.raises(InputError, match="missing file"):
        parse_sndlib(tmp_path / "none.txt")


# ---- CLI ---------------------------------------------------------------------------------


def optimize_imported(out: Path, plan_dir: Path, *extra: str) -> dict:
    """`planner optimize --objective min-cost` on an imported folder; its summary.json."""
    r = CliRunner().invoke(
        main,
        [
            "optimize",
            "--inputs", str(out),
            "--scenario", str(out / "scenarios" / "min_cost.yaml"),
            "--demand", str(out / "demand.csv"),
            "--objective", "min-cost",
            "--no-marginals",
            "--out", str(plan_dir),
            *extra,
        ],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    return json.loads((plan_dir / "summary.json").read_text())


@pytest.mark.parametrize("formulation", ["arc", "path"])
def test_cli_import_optimize_min_cost_verify(formulation, tmp_path):
    """The issue's recipe: import, `planner optimize --objective min-cost`, `planner verify`."""
    out = tmp_path / "in"
    r = CliRunner().invoke(main, ["import", "sndlib", str(HAND4), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "demands: 1 parallel summed" in r.output and "validated: 4 sites" in r.output
    assert r.output.index("wrote ") < r.output.index("validated: ")  # summary, then the check
    plan_dir = tmp_path / "plan"
    sm = optimize_imported(out, plan_dir, "--formulation", formulation)
    assert sm["capex_usd_total"] == pytest.approx(HAND4_OPT)
    assert (sm["objective_mode"], sm["formulation"]) == ("min-cost", formulation)
    r = CliRunner().invoke(main, ["verify", str(plan_dir)])
    assert r.exit_code == 0 and "OK:" in r.output, r.output


def test_cli_error_exit_2_with_line(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_text(doc(links="  L1 ( A B ) 0 0 zero 0 ( 10 1 )"))
    r = CliRunner().invoke(main, ["import", "sndlib", str(p), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert f"{p}:6: " in r.output and "expected a number" in r.output
    assert not (tmp_path / "o").exists()


# ---- units: files in small units (ta1, ta2) -------------------------------------------------

BIG = doc(
    links="  L1 ( A B ) 0 0 0 0 ( 504000 10 1008000 17 )",
    demands="  d ( A B ) 1 1500000 UNLIMITED",
)


def test_small_units_are_divided_so_the_inputs_validate(tmp_path):
    """Modules of 504,000 and 1,008,000 (ta1's) are above the 1e6 Gbps plausibility bound:
    every capacity and demand is divided by 1,000, costs are not, so the optimum (one of each
    module, 27) is the same as the file's."""
    src = tmp_path / "big.txt"
    src.write_text(BIG)
    out = tmp_path / "o"
    rep = import_sndlib(src, out)
    assert rep["unit_divided_by"] == 1000
    inp = read_inputs(out)  # validates: nothing implausible
    opts = inp.upgrade_options.sort_values("capacity_gbps")
    assert opts["capacity_gbps"].tolist() == [504.0, 1008.0]
    assert opts["capex_fixed_usd"].tolist() == [10.0, 17.0]
    dem = read_demand(out / "demand.csv")
    assert dem["demand_gbps"].tolist() == [1500.0]
    sc = read_scenario(out / "scenarios" / "min_cost.yaml")
    p = plan(inp, dem, sc, marginals=False)
    assert p.summary["capex_usd_total"] == pytest.approx(27.0)


def test_a_failed_import_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    """Validation runs on the folder the importer wrote, before it replaces --out: with the
    unit division switched off the big file is rejected (exit 2, one line per problem naming
    --out's file, not the staging folder) and an earlier import in --out stays untouched."""
    import planner.io.sndlib as sndlib_mod

    out = tmp_path / "o"
    first = CliRunner().invoke(main, ["import", "sndlib", str(HAND4), "--out", str(out)])
    assert first.exit_code == 0
    before = {f.name: f.read_bytes() for f in out.rglob("*") if f.is_file()}
    src = tmp_path / "big.txt"
    src.write_text(BIG)
    monkeypatch.setattr(sndlib_mod, "unit_scale", lambda *a: 1.0)
    r = CliRunner().invoke(main, ["import", "sndlib", str(src), "--out", str(out)])
    assert r.exit_code == 2
    assert "importer wrote invalid data: implausibly large" in r.output
    assert f"{out / 'upgrade_options.csv'}" in r.output
    assert {f.name: f.read_bytes() for f in out.rglob("*") if f.is_file()} == before
    assert {p.name for p in tmp_path.iterdir()} == {"o", "big.txt"}  # no staging left behind


def test_a_named_unit_is_converted_to_gbps_and_the_optimum_is_the_same(tmp_path):
    """hand4 in Mbit/s (every capacity and demand x 1000, ``unit = MBITPERSEC``, as abilene and
    geant are): the ``_gbps`` columns read Gbps again, i.e. hand4's own numbers, the first line
    says so, and the optimum is hand4's (22); in Gbps nothing is divided."""
    text = HAND4.read_text()
    mbit = _times_1000(text).replace("unit = GBITPERSEC", "unit = MBITPERSEC")
    src = tmp_path / "hand4_mbit.txt"
    src.write_text(mbit)
    r = CliRunner().invoke(main, ["import", "sndlib", str(src), "--out", str(tmp_path / "m")])
    assert r.exit_code == 0, r.output
    assert (
        "unit MBITPERSEC, capacities and demands converted to Gbps (divided by 1,000)"
        in (r.output.splitlines()[0])
    )
    r = CliRunner().invoke(main, ["import", "sndlib", str(HAND4), "--out", str(tmp_path / "g")])
    assert "unit GBITPERSEC, already Gbps" in r.output.splitlines()[0]
    for name in ("upgrade_options.csv", "corridors.csv", "demand.csv"):
        assert (tmp_path / "m" / name).read_text() == (tmp_path / "g" / name).read_text()
    rep = json.loads((tmp_path / "m" / "import_report.json").read_text())
    assert rep["unit_divided_by"] == 1000 and rep["unit_per_gbps"] == 1000
    inp, dem = read_inputs(tmp_path / "m"), read_demand(tmp_path / "m" / "demand.csv")
    sc = read_scenario(tmp_path / "m" / "scenarios" / "min_cost.yaml")
    assert plan(inp, dem, sc, marginals=False).summary["capex_usd_total"] == pytest.approx(
        HAND4_OPT
    )


def _times_1000(text: str) -> str:
    """hand4's capacities (pre-installed, modules) and demand values x 1000; costs as they are."""
    out = []
    section = None
    for line in text.splitlines():
        head = line.split("(")[0].strip()
        if head in ("LINKS", "DEMANDS", "NODES", "META"):
            section = head
        t = line.split()
        if section == "LINKS" and len(t) > 8 and t[1] == "(":
            # id ( a b ) pre_cap pre_cost routing setup ( cap cost cap cost ... )
            t[5] = f"{float(t[5]) * 1000:g}"
            mods = t[t.index("(", 5) + 1 : -1]
            mods[0::2] = [f"{float(c) * 1000:g}" for c in mods[0::2]]
            line = "  " + " ".join(t[: t.index("(", 5) + 1] + mods + [")"])
        elif section == "DEMANDS" and len(t) > 6 and t[1] == "(":
            t[6] = f"{float(t[6]) * 1000:g}"  # id ( a b ) routing_unit value max_path
            line = "  " + " ".join(t)
        out.append(line)
    return "\n".join(out) + "\n"
