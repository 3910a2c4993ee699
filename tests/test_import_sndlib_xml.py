"""SNDlib's XML format: the same network, tables and plan as its native twin; errors by line.

hand4.xml is hand4.txt written as SNDlib XML (by hand, not SNDlib data), with its elements in
another order and a Latin-1 byte in a comment; its optimum is 22 (see hand4.txt).
"""

from __future__ import annotations

import dataclasses
import json

import highspy
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.io import read_inputs
from planner.io.sndlib import import_sndlib, parse_sndlib, sndlib_tables
from tests.conftest import ROOT
from tests.test_import_sndlib import assert_error_at, optimize_imported

DATA = ROOT / "tests" / "data" / "sndlib"
HAND4_TXT, HAND4_XML, HAND4_OPT = DATA / "hand4.txt", DATA / "hand4.xml", 22.0
NS = 'xmlns="http://sndlib.zib.de/network"'


@pytest.fixture(autouse=True)
def fresh_highs_scheduler():
    """As in test_import_sndlib: a solve with another thread count must not inherit the pool."""
    highspy.Highs.resetGlobalScheduler(True)


def _content(net) -> tuple:
    """What a network says, without where it said it (lines) or in which format."""

    def strip(items):
        return [dataclasses.replace(x, line=0) for x in items]

    return (net.meta, strip(net.nodes), strip(net.links), strip(net.demands), net.paths)


def test_the_xml_twin_reads_as_the_same_network_and_tables():
    txt, xml = parse_sndlib(HAND4_TXT), parse_sndlib(HAND4_XML)
    assert (xml.name, xml.format, txt.format) == ("hand4", "sndlib-xml", "sndlib-native")
    assert _content(xml) == _content(txt)
    assert xml.links[2].id == "L_BC" and xml.links[2].source == "B"  # source after target
    assert xml.links[0].pre_capacity == 0.0  # no preInstalledModule: none
    assert xml.demands[1].routing_unit == 1 and xml.demands[1].max_path_length is None
    assert [n.line for n in xml.nodes] == [18, 24, 30, 36]  # each node's own start tag
    t_txt, d_txt, r_txt = sndlib_tables(txt, 2030)
    t_xml, d_xml, r_xml = sndlib_tables(xml, 2030)
    for name, df in t_txt.items():
        assert df.equals(t_xml[name]), name
    assert d_txt.equals(d_xml)
    assert r_xml["format"] == "sndlib-xml" and r_xml["cleaning"] == r_txt["cleaning"]
    assert r_xml["ignored"] == r_txt["ignored"]


def test_cli_imports_xml_and_plans_its_optimum(tmp_path):
    out = tmp_path / "in"
    r = CliRunner().invoke(main, ["import", "sndlib", str(HAND4_XML), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "validated: 4 sites" in r.output
    assert json.loads((out / "import_report.json").read_text())["format"] == "sndlib-xml"
    sm = optimize_imported(out, tmp_path / "plan")
    assert sm["capex_usd_total"] == pytest.approx(HAND4_OPT)
    assert sm["solver_status"] == "optimal"
    # proven for every path: the bound is the optimum, plus at most the latency tie-break
    assert HAND4_OPT - 1e-6 <= sm["all_paths_bound_usd"] <= sm["objective"] + 1e-6


def test_pixel_coordinates_no_namespace_nested_demands(tmp_path):
    """coordinatesType="pixel" is drawing space even where the numbers would fit WGS84; a file
    without the SNDlib namespace, or with <demands> inside <networkStructure> (as some copies
    have it), reads the same."""
    text = doc(ns="", nodes='<nodes coordinatesType="pixel">' + NODE_A + NODE_B + "</nodes>")
    nested = text.replace("</networkStructure>\n<demands>", "<demands>").replace(
        "</demands>", "</demands>\n</networkStructure>"
    )
    assert nested != text
    for i, t in enumerate((text, nested)):
        src = tmp_path / f"pix{i}.xml"
        src.write_text(t)
        rep = import_sndlib(src, tmp_path / f"o{i}")
        assert rep["cleaning"]["coordinates"].startswith("abstract (pixel coordinates)")
        assert rep["output"]["pairs"] == 1 and rep["output"]["total_demand"] == 5.0
        cor = read_inputs(tmp_path / f"o{i}").corridors
        assert cor["distance_km"].tolist() == [200.0]  # the unit length, not 20 degrees apart


# ---- errors: one line naming the file and the element's line --------------------------------

NODE_A = '<node id="A"><coordinates><x>1</x><y>2</y></coordinates></node>\n'
NODE_B = '<node id="B"><coordinates><x>3</x><y>4</y></coordinates></node>\n'
LINK = (
    '<link id="L1"><source>A</source><target>B</target>\n'
    "<additionalModules><addModule><capacity>10</capacity><cost>1</cost></addModule>"
    "</additionalModules></link>\n"
)
DEMAND = (
    '<demand id="d"><source>A</source><target>B</target><demandValue>5</demandValue></demand>\n'
)


def doc(
    nodes: str = "<nodes>\n" + NODE_A + NODE_B + "</nodes>",
    links: str = LINK,
    demands: str = DEMAND,
    ns: str = NS,
) -> str:
    """Line 1 the declaration, 2 <network>, 3 <networkStructure>, 4 <nodes>, 5-6 the nodes,
    7 </nodes>, 8 <links>, 9 the link (two lines), 11 </links>, 12-13, 14 the demand."""
    return (
        '<?xml version="1.0"?>\n'
        f"<network {ns}>\n<networkStructure>\n{nodes}\n<links>\n{links}</links>\n"
        f"</networkStructure>\n<demands>\n{demands}</demands>\n</network>\n"
    )


def _link(old: str, new: str) -> str:
    return doc(links=LINK.replace(old, new))


def _demand(old: str, new: str) -> str:
    return doc(demands=DEMAND.replace(old, new))


def _second_node(node: str) -> str:
    return doc(nodes="<nodes>\n" + NODE_A + node + "</nodes>")


HOPS = "<maxPathLength>two</maxPathLength></demand>"
SOLUTION = doc().replace("<network ", "<solution ").replace("</network>", "</solution>")
BAD = [
    (_link("<cost>1</cost>", "<cost>one</cost>"), 10, r"expected a number \(module cost of link"),
    (_link("<target>B", "<target>Q"), 9, r"link L1: unknown node 'Q'"),
    (_link("<source>A</source>", ""), 9, r"missing <source> \(expected the source node of"),
    (_demand("<demandValue>5</demandValue>", ""), 14, r"missing <demandValue>"),
    (_demand(">5<", ">-5<"), 14, r"demand d: value -5"),
    (_demand("</demand>", HOPS), 14, r"got 'two', expected a max path length"),
    (_second_node(NODE_A.replace("<x>1", "<x>9")), 6, r"duplicate node id 'A' \(first at line 5"),
    (_second_node(NODE_B.replace(' id="B"', "")), 6, r"<node> without an id attribute"),
    (_link("</link>", "</lnk>"), 10, r"not valid XML \(mismatched tag"),
    (SOLUTION, 2, r"root element <solution>, expected <network>"),
    (_link("<capacity>10", "<capacity>0"), 9, r"expected capacity > 0"),
]


@pytest.mark.parametrize("text,line,match", BAD)
def test_errors_name_the_line(text, line, match, tmp_path):
    assert_error_at(tmp_path / "bad.xml", text, line, match)


def test_cli_error_exit_2_with_line(tmp_path):
    p = tmp_path / "bad.xml"
    p.write_text(doc(links=LINK.replace("<cost>1</cost>", "<cost>one</cost>")))
    r = CliRunner().invoke(main, ["import", "sndlib", str(p), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert f"{p}:10: " in r.output and "expected a number" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "o").exists()


# ---- random networks written in both formats read the same ---------------------------------


@st.composite
def networks(draw) -> dict:
    n = draw(st.integers(2, 5))
    nodes = [(f"N{i}", draw(st.integers(-170, 170)), draw(st.integers(-80, 80))) for i in range(n)]
    pairs = [(a[0], b[0]) for i, a in enumerate(nodes) for b in nodes[i + 1 :]]
    links = []
    for j, (a, b) in enumerate(draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=6))):
        mods = draw(st.lists(st.tuples(st.integers(1, 99), st.integers(0, 99)), max_size=3))
        links.append((f"L{j}", a, b, draw(st.integers(0, 20)), draw(st.integers(0, 5)), mods))
    demands = [
        (f"D{j}", a, b, draw(st.integers(0, 50)), draw(st.sampled_from([None, 1, 3])))
        for j, (a, b) in enumerate(draw(st.lists(st.sampled_from(pairs), max_size=5)))
    ]
    return {"nodes": nodes, "links": links, "demands": demands}


def as_native(net: dict) -> str:
    out = ["NODES ("] + [f"  {i} ( {x} {y} )" for i, x, y in net["nodes"]] + [")", "LINKS ("]
    for lid, a, b, pre, setup, mods in net["links"]:
        flat = " ".join(f"{c} {k}" for c, k in mods)
        out.append(f"  {lid} ( {a} {b} ) {pre} 0 0 {setup} ( {flat} )")
    out += [")", "DEMANDS ("]
    for did, a, b, v, hops in net["demands"]:
        out.append(f"  {did} ( {a} {b} ) 1 {v} {hops if hops is not None else 'UNLIMITED'}")
    return "\n".join([*out, ")"]) + "\n"


def as_xml(net: dict) -> str:
    nodes = "".join(
        f'<node id="{i}"><coordinates><x>{x}</x><y>{y}</y></coordinates></node>\n'
        for i, x, y in net["nodes"]
    )
    links = ""
    for lid, a, b, pre, setup, mods in net["links"]:
        adds = "".join(
            f"<addModule><capacity>{c}</capacity><cost>{k}</cost></addModule>" for c, k in mods
        )
        pre_el = f"<preInstalledModule><capacity>{pre}</capacity></preInstalledModule>"
        links += (
            f'<link id="{lid}"><source>{a}</source><target>{b}</target>{pre_el}'
            f"<setupCost>{setup}</setupCost><additionalModules>{adds}</additionalModules></link>\n"
        )
    demands = "".join(
        f'<demand id="{did}"><source>{a}</source><target>{b}</target><demandValue>{v}</demandValue>'
        + (f"<maxPathLength>{hops}</maxPathLength>" if hops is not None else "")
        + "</demand>\n"
        for did, a, b, v, hops in net["demands"]
    )
    return doc(nodes=f"<nodes>\n{nodes}</nodes>", links=links, demands=demands)


@settings(max_examples=25, deadline=None)
@given(net=networks())
def test_random_networks_read_the_same_in_both_formats(net, tmp_path_factory):
    d = tmp_path_factory.mktemp("twin")
    (d / "n.txt").write_text(as_native(net))
    (d / "n.xml").write_text(as_xml(net))
    txt, xml = parse_sndlib(d / "n.txt"), parse_sndlib(d / "n.xml")
    assert _content(xml) == _content(txt)
