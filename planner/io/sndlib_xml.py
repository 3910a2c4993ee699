"""Read an SNDlib network in SNDlib's XML format into the network the native reader gives.

Why: SNDlib serves every instance in two formats, native text and XML, and many copies of its
instances (mirrors, other projects' data folders) carry only the XML. A planner handed
``germany50.xml`` should get the same instance, the same tables and the same plan as from
``germany50.txt``, not a request to convert it.

Elements read (namespace ``http://sndlib.zib.de/network`` or none; order within a parent is
free; unknown elements are ignored, as SNDlib's own readers do):

- ``meta/*``: every child's text -> ``meta`` (``unit``, ``origin``, ...);
- ``networkStructure/nodes[@coordinatesType]/node[@id]/coordinates/{x, y}`` (x = longitude);
  ``coordinatesType="pixel"`` marks drawing positions, mapped like the native format's
  coordinates outside WGS84;
- ``networkStructure/links/link[@id]``: ``source``, ``target``, ``preInstalledModule/{capacity,
  cost}``, ``routingCost``, ``setupCost`` (each optional, 0 when absent) and
  ``additionalModules/addModule/{capacity, cost}``;
- ``demands/demand[@id]``: ``source``, ``target``, ``demandValue``, optional ``routingUnit`` (1)
  and ``maxPathLength`` (unlimited), and ``admissiblePaths/admissiblePath[@id]/linkId``
  (``demands`` is also found inside ``networkStructure``, where some hand-made copies put it).

Every element keeps the line it starts on, so each error names the file and that line, as the
native reader's do. Values are checked by :func:`planner.io.sndlib_net.check_network`, the same
rules for both formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

from planner.errors import InputError, Problem
from planner.io.sndlib_net import SndDemand, SndLink, SndNetwork, SndNode, to_hops, to_number


@dataclass
class _El:
    """An XML element without its namespace: enough of a tree for a file of a few MB."""

    tag: str
    attrs: dict[str, str]
    line: int
    text: str = ""
    kids: list[_El] = field(default_factory=list)

    def all(self, tag: str) -> list[_El]:
        return [k for k in self.kids if k.tag == tag]

    def one(self, tag: str) -> _El | None:
        found = self.all(tag)
        return found[0] if found else None


def _tree(path: str, data: bytes) -> _El:
    """Parse with expat, which reports the line of every start tag and of every syntax error."""
    p = expat.ParserCreate(namespace_separator="}")
    top = _El("", {}, 0)
    stack = [top]

    def start(name: str, attrs: dict[str, str]) -> None:
        el = _El(name.rsplit("}", 1)[-1], attrs, p.CurrentLineNumber)
        stack[-1].kids.append(el)
        stack.append(el)

    def end(_name: str) -> None:
        stack.pop()

    def text(chunk: str) -> None:
        stack[-1].text += chunk

    p.StartElementHandler, p.EndElementHandler = start, end
    p.CharacterDataHandler = text
    try:
        p.Parse(data, True)
    except expat.ExpatError as e:
        msg = f"not valid XML ({expat.ErrorString(e.code)}, column {e.offset + 1})"
        raise InputError(Problem(path, msg, row=e.lineno)) from None
    return top.kids[0]


class _Reader:
    """Typed reads of one file's elements; every failure names the element's line."""

    def __init__(self, path: str):
        self.path = path

    def error(self, msg: str, line: int) -> InputError:
        return InputError(Problem(self.path, msg, row=line))

    def text(self, el: _El, tag: str, what: str) -> str:
        kid = el.one(tag)
        if kid is None or not kid.text.strip():
            raise self.error(f"missing <{tag}> (expected {what})", el.line)
        return kid.text.strip()

    def number(self, el: _El, tag: str, what: str, default: float | None = None) -> float:
        kid = el.one(tag)
        if kid is None and default is not None:
            return default
        raw = self.text(el, tag, what)
        try:
            return to_number(raw, what)
        except ValueError as e:
            raise self.error(str(e), kid.line if kid is not None else el.line) from None

    def ident(self, el: _El, what: str) -> str:
        v = el.attrs.get("id", "").strip()
        if not v:
            raise self.error(f"<{el.tag}> without an id attribute (expected {what})", el.line)
        return v


def _nodes(rd: _Reader, structure: _El, net: SndNetwork) -> None:
    nodes = structure.one("nodes")
    if nodes is None:
        raise rd.error("missing <nodes> in <networkStructure>", structure.line)
    net.pixel = nodes.attrs.get("coordinatesType", "").strip().lower() == "pixel"
    for n in nodes.all("node"):
        nid = rd.ident(n, "a node id")
        xy = n.one("coordinates")
        lon = lat = None
        if xy is not None:
            lon = rd.number(xy, "x", f"the x coordinate (longitude) of node {nid}")
            lat = rd.number(xy, "y", f"the y coordinate (latitude) of node {nid}")
        net.nodes.append(SndNode(nid, lon, lat, n.line))


def _links(rd: _Reader, structure: _El, net: SndNetwork) -> None:
    links = structure.one("links")
    if links is None:
        raise rd.error("missing <links> in <networkStructure>", structure.line)
    for lk in links.all("link"):
        lid = rd.ident(lk, "a link id")
        ends = [rd.text(lk, t, f"the {t} node of link {lid}") for t in ("source", "target")]
        pre = lk.one("preInstalledModule")
        pre_cap = (
            rd.number(pre, "capacity", f"pre-installed capacity of link {lid}") if pre else 0.0
        )
        pre_cost = rd.number(pre, "cost", f"pre-installed cost of link {lid}", 0.0) if pre else 0.0
        routing = rd.number(lk, "routingCost", f"routing cost of link {lid}", 0.0)
        setup = rd.number(lk, "setupCost", f"setup cost of link {lid}", 0.0)
        mods = [
            (
                rd.number(m, "capacity", f"module capacity of link {lid}"),
                rd.number(m, "cost", f"module cost of link {lid}"),
            )
            for add in lk.all("additionalModules")
            for m in add.all("addModule")
        ]
        net.links.append(
            SndLink(lid, *ends, pre_cap, pre_cost, routing, setup, tuple(mods), lk.line)
        )


def _hops(rd: _Reader, d: _El, did: str) -> int | None:
    kid = d.one("maxPathLength")
    if kid is None or not kid.text.strip():
        return None
    try:
        return to_hops(kid.text.strip(), f"of demand {did}")
    except ValueError as e:
        raise rd.error(str(e), kid.line) from None


def _demands(rd: _Reader, root: _El, structure: _El, net: SndNetwork) -> None:
    # SNDlib puts <demands> beside <networkStructure>; some hand-made copies put it inside
    demands = root.one("demands") or structure.one("demands")
    if demands is None:
        raise rd.error("missing <demands> in <network>", root.line)
    for d in demands.all("demand"):
        did = rd.ident(d, "a demand id")
        a, b = (rd.text(d, t, f"the {t} node of demand {did}") for t in ("source", "target"))
        unit = rd.number(d, "routingUnit", f"routing unit of demand {did}", 1.0)
        value = rd.number(d, "demandValue", f"the demand value of demand {did}")
        net.demands.append(SndDemand(did, a, b, unit, value, _hops(rd, d, did), d.line))
        paths = [
            (rd.ident(p, f"a path id of demand {did}"), [k.text.strip() for k in p.all("linkId")])
            for group in d.all("admissiblePaths")
            for p in group.all("admissiblePath")
        ]
        if paths:
            net.paths[did] = paths


def parse_xml(path: str, data: bytes) -> SndNetwork:
    """The file's network; its reference rules are checked by the caller (``check_network``)."""
    root = _tree(path, data)
    rd = _Reader(path)
    if root.tag != "network":
        raise rd.error(
            f"root element <{root.tag}>, expected <network> (an SNDlib XML network file)",
            root.line,
        )
    stem = path.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    net = SndNetwork(path, stem or "sndlib", format="sndlib-xml")
    meta = root.one("meta")
    for kid in meta.kids if meta is not None else []:
        net.meta[kid.tag] = " ".join(kid.text.split())
    structure = root.one("networkStructure")
    if structure is None:
        raise rd.error("missing <networkStructure> in <network>", root.line)
    _nodes(rd, structure, net)
    _links(rd, structure, net)
    _demands(rd, root, structure, net)
    return net
