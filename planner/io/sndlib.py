"""Import an SNDlib network (native text or XML format) as a one-period min-cost instance.

Why: SNDlib instances come with known optimal or best-known costs for the classic "modular
capacities, splittable routing, no survivability" problem; importing them lets the optimiser
be checked against outside numbers, not only against itself.

What is mapped (one period, ``start_year``; native section names, the XML elements of
:mod:`planner.io.sndlib_xml` map the same way):

- ``NODES``: ``id ( lon lat )`` -> ``sites.csv``. Coordinates outside WGS84 (many SNDlib files
  use drawing coordinates) mark the file as abstract: sites are scaled into a 1-degree box and
  every corridor gets the unit length ``UNIT_LENGTH_KM`` (paths by hop count), as do an XML
  file's ``coordinatesType="pixel"`` nodes; missing coordinates -> 0, 0.
- ``LINKS``: ``id ( a b ) pre_cap pre_cap_cost routing_cost setup_cost ( {cap cost}* )`` ->
  one undirected corridor per site pair (parallel links merged: pre-installed capacities summed,
  module lists united) with ``installed_capacity_gbps = pre_cap``; distance from the coordinates
  (at least 1 km; the unit length if abstract); one lit fiber pair (more, 1000 slots each, for
  big instances), no spare pairs, ``installed_waves = 0`` and more wave slots than modules
  could ever use, so slots never bind. Each (capacity, cost) module -> one ``upgrade_options``
  row of kind ``wave`` restricted to that corridor: ``capacity_gbps = cap``,
  ``capex_fixed_usd = cost``, no per-km cost, no lead time, no price trend, no reach, and
  ``max_units = ceil(total demand / cap)`` (an acyclic optimal flow never carries more than the
  total demand on a link, so more units are never needed: the bound is exact).
- ``DEMANDS``: ``id ( a b ) routing_unit value max_path_length`` -> ``demand.csv`` (``site_a,
  site_b, year, demand_gbps``): undirected, parallel demands of a pair summed, self-demands and
  zeros dropped. ``demand_history.csv`` repeats each value for the 12 months before
  ``start_year`` so the inputs validate (the run uses ``--demand demand.csv``, not a forecast).
- ``scenarios/min_cost.yaml``: horizon 1 year, objective ``min-cost``, max utilisation 1.0,
  survivability none, a budget above the cost of every module the instance could buy, and
  latency limits above the sum of all corridor latencies (so no path is ever inadmissible).

Costs are copied as they are (the file's cost unit in the ``_usd`` columns), so optimal costs
compare 1:1. Capacities and demands are converted to Gbps where the file names its unit
(``META unit`` KBITPERSEC, MBITPERSEC, GBITPERSEC: abilene and geant are in Mbit/s), else kept
in the file's unit; where they are then above the columns' plausibility bounds (ta1, ta2), all
of them are divided by the same power of 1000 (:func:`unit_scale`; ``unit_divided_by`` in the
report). Either way the same modules carry the demand, so costs still compare 1:1.

What is ignored, and why: routing cost (per-unit flow cost; our objective prices capacity only),
setup cost (fixed charge for using a link: a different problem class), pre-installed capacity
cost (sunk), routing unit (integral routing granularity; we route splittably), max path length
and ``ADMISSIBLE_PATHS`` (hop limits and path lists: the arc-flow formulation routes over all
paths; ADMISSIBLE_PATHS is still parsed and checked so a malformed file is reported).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.io.atomic import write_csv, write_json, write_text
from planner.io.folder import IMPORT_MARKERS, staged_folder
from planner.io.sndlib_net import (
    SndDemand,
    SndLink,
    SndNetwork,
    SndNode,
    check_network,
    to_hops,
    to_number,
)
from planner.io.sndlib_xml import parse_xml
from planner.schema import FIBER_LATENCY_MS_PER_KM, PAIR_CLASSES, TABLES
from planner.tables import haversine_km

SECTIONS = ("META", "NODES", "LINKS", "DEMANDS", "ADMISSIBLE_PATHS")
_TOKEN = re.compile(r"[()]|[^\s()]+")
MIN_DISTANCE_KM = 1.0
#: Abstract (non-geographic) coordinates: every corridor gets this length, and the sites are
#: drawn in a box this many degrees wide (its diagonal, ~157 km, stays below the unit length).
UNIT_LENGTH_KM = 200.0
ABSTRACT_BOX_DEG = 1.0


class _Tokens:
    """Tokens with their line numbers; every syntax error names the line it happened on."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.items: list[tuple[str, int]] = []
        self.lines: list[str] = []
        for no, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0]
            self.lines.append(line)
            if line.lstrip().startswith("?"):  # "?SNDlib native format; type: ...; version: ..."
                continue
            self.items += [(t, no) for t in _TOKEN.findall(line)]
        self.pos = 0
        self.last_line = max(1, len(text.splitlines()))

    def text_of(self, line: int) -> str:
        """The line's text without its comment (META values are free text)."""
        return self.lines[line - 1]

    def error(self, msg: str, line: int | None = None) -> InputError:
        return InputError(Problem(self.path, msg, row=line if line is not None else self.line))

    @property
    def line(self) -> int:
        return self.items[self.pos][1] if self.pos < len(self.items) else self.last_line

    def peek(self) -> str | None:
        return self.items[self.pos][0] if self.pos < len(self.items) else None

    def next(self, what: str) -> tuple[str, int]:
        if self.pos >= len(self.items):
            raise self.error(f"unexpected end of file (expected {what})")
        tok = self.items[self.pos]
        self.pos += 1
        return tok

    def expect(self, sym: str, what: str) -> int:
        tok, line = self.next(f"'{sym}' {what}")
        if tok != sym:
            raise self.error(f"got {tok!r}, expected '{sym}' {what}", line)
        return line

    def word(self, what: str) -> tuple[str, int]:
        tok, line = self.next(what)
        if tok in ("(", ")"):
            raise self.error(f"got {tok!r}, expected {what}", line)
        return tok, line

    def number(self, what: str) -> float:
        tok, line = self.word(what)
        try:
            return to_number(tok, what)
        except ValueError as e:
            raise self.error(str(e), line) from None

    def until_close(self) -> Iterator[None]:
        """Yield once per entry until the section's closing ')'."""
        while True:
            if self.peek() is None:
                raise self.error("unexpected end of file (expected ')' closing the section)")
            if self.peek() == ")":
                self.pos += 1
                return
            yield


def _parse_meta(tk: _Tokens, net: SndNetwork) -> None:
    """``key = free text`` per line; the text may hold anything, parentheses included
    (``origin = ... Simon(simon@...)``), so entries are taken line by line from the raw text
    and the section ends at a line that is only ``)``."""
    while True:
        if tk.peek() is None:
            raise tk.error("unexpected end of file (expected ')' closing the section)")
        line = tk.line
        own_line = tk.pos == 0 or tk.items[tk.pos - 1][1] != line  # else "META ( k = v"
        toks = []
        while tk.pos < len(tk.items) and tk.items[tk.pos][1] == line:
            toks.append(tk.items[tk.pos][0])
            tk.pos += 1
        if toks == [")"]:
            return
        text = tk.text_of(line).strip() if own_line else " ".join(toks)
        if text.endswith(")") and text.count(")") > text.count("("):  # "... value )"
            text = text[:-1].rstrip()
            _meta_entry(tk, net, text, line)
            return
        _meta_entry(tk, net, text, line)


def _meta_entry(tk: _Tokens, net: SndNetwork, text: str, line: int) -> None:
    key, eq, value = text.partition("=")
    if not eq or not key.strip() or len(key.split()) != 1:
        raise tk.error(f"got {text!r}, expected 'key = value' in META", line)
    net.meta[key.strip()] = " ".join(value.split())


def _parse_nodes(tk: _Tokens, net: SndNetwork) -> None:
    for _ in tk.until_close():
        nid, line = tk.word("a node id")
        lon = lat = None
        if tk.peek() == "(":
            tk.pos += 1
            lon, lat = tk.number("longitude"), tk.number("latitude")
            tk.expect(")", f"after the coordinates of node {nid}")
        net.nodes.append(SndNode(nid, lon, lat, line))


def _parse_links(tk: _Tokens, net: SndNetwork) -> None:
    for _ in tk.until_close():
        lid, line = tk.word("a link id")
        tk.expect("(", f"before the end nodes of link {lid}")
        a, _ = tk.word(f"the source node of link {lid}")
        b, _ = tk.word(f"the target node of link {lid}")
        tk.expect(")", f"after the end nodes of link {lid}")
        nums = [
            tk.number(f"{w} of link {lid}")
            for w in ("pre-installed capacity", "pre-installed capacity cost", "routing cost")
        ]
        setup = tk.number(f"setup cost of link {lid}")
        tk.expect("(", f"opening the module list of link {lid}")
        vals: list[float] = []
        while tk.peek() != ")":
            vals.append(tk.number(f"module capacity/cost of link {lid}"))
        tk.expect(")", f"closing the module list of link {lid}")
        if len(vals) % 2:
            raise tk.error(
                f"link {lid}: got {len(vals)} module numbers, expected (capacity cost) pairs", line
            )
        mods = tuple(zip(vals[::2], vals[1::2], strict=True))
        net.links.append(SndLink(lid, a, b, *nums, setup, mods, line))


def _parse_demands(tk: _Tokens, net: SndNetwork) -> None:
    for _ in tk.until_close():
        did, line = tk.word("a demand id")
        tk.expect("(", f"before the end nodes of demand {did}")
        a, _ = tk.word(f"the source node of demand {did}")
        b, _ = tk.word(f"the target node of demand {did}")
        tk.expect(")", f"after the end nodes of demand {did}")
        unit = tk.number(f"routing unit of demand {did}")
        value = tk.number(f"demand value of demand {did}")
        tok, tline = tk.word(f"max path length of demand {did} (a number or UNLIMITED)")
        try:
            hops = to_hops(tok, f"of demand {did}")
        except ValueError as e:
            raise tk.error(str(e), tline) from None
        net.demands.append(SndDemand(did, a, b, unit, value, hops, line))


def _parse_paths(tk: _Tokens, net: SndNetwork) -> None:
    for _ in tk.until_close():
        did, _ = tk.word("a demand id")
        tk.expect("(", f"opening the path list of demand {did}")
        plist: list[tuple[str, list[str]]] = []
        while tk.peek() != ")":
            pid, _ = tk.word(f"a path id of demand {did}")
            tk.expect("(", f"opening path {pid}")
            links = []
            while tk.peek() != ")":
                links.append(tk.word(f"a link id in path {pid}")[0])
            tk.expect(")", f"closing path {pid}")
            plist.append((pid, links))
        tk.expect(")", f"closing the path list of demand {did}")
        net.paths[did] = plist


def parse_sndlib(path: str | Path) -> SndNetwork:
    """Parse a network file, native text or XML (told apart by its first character); InputError
    with the line number on any syntax or reference error."""
    p = Path(path)
    if not p.is_file():
        raise InputError(Problem(str(p), "missing file (expected an SNDlib network file)"))
    data = p.read_bytes()
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        net = parse_xml(str(p), data)  # the XML declares its own encoding
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(Problem(str(p), f"not UTF-8 text ({e.reason})")) from None
        net = _parse_native(p, text)
    check_network(net)
    return net


def _parse_native(p: Path, text: str) -> SndNetwork:
    head = text.lstrip().splitlines()[0] if text.strip() else ""
    if head.startswith("?") and "type:" in head and "type: network" not in head:
        raise InputError(Problem(str(p), f"not a network file (header {head!r})", row=1))
    m = re.search(r"^#\s*network\s+(\S+)", text, flags=re.M)
    net = SndNetwork(str(p), m.group(1) if m else p.stem)
    tk = _Tokens(str(p), text)
    seen: dict[str, int] = {}
    parsers = {
        "META": _parse_meta,
        "NODES": _parse_nodes,
        "LINKS": _parse_links,
        "DEMANDS": _parse_demands,
        "ADMISSIBLE_PATHS": _parse_paths,
    }
    while tk.peek() is not None:
        name, line = tk.next("a section name")
        if name not in parsers:
            raise tk.error(f"got {name!r}, expected a section name ({', '.join(SECTIONS)})", line)
        if name in seen:
            raise tk.error(f"section {name} repeated (first at line {seen[name]})", line)
        seen[name] = line
        tk.expect("(", f"after {name}")
        parsers[name](tk, net)
    for req in ("NODES", "LINKS", "DEMANDS"):
        if req not in seen:
            raise InputError(
                Problem(str(p), f"missing section {req} (expected {', '.join(SECTIONS)})")
            )
    return net


def _slots(need: int) -> tuple[int, int]:
    """(lit pairs, wave slots per pair) giving at least ``need`` slots within the schema's
    plausibility bound on slots per pair (a big instance would otherwise need 10,000 on one)."""
    per = min(need, int(TABLES["corridors"].column("max_waves_per_fiber_pair").plausible_max))
    return math.ceil(need / per), per


def _positions(net: SndNetwork) -> tuple[dict[str, tuple[float, float]], int, int, int]:
    """(lat, lon) per node, nodes clipped, nodes without coordinates, nodes showing the
    coordinates are abstract (0 = geographic).

    Why: many SNDlib files use drawing coordinates (x up to 1000s). Clipped into WGS84 they
    gave meaningless distances (15 of 22 links at 1 km, the rest thousands of km) that then
    chose the paths. Abstract coordinates are scaled into a small box (for the map) and every
    corridor gets the same unit length instead (SNDlib files carry no link lengths).
    """
    located = [n for n in net.nodes if n.lon is not None and n.lat is not None]
    outside = sum(1 for n in located if abs(n.lon) > 180 or abs(n.lat) > 90)
    outside = len(located) if net.pixel else outside
    pos: dict[str, tuple[float, float]] = {}
    clipped = 0
    if outside:
        x0 = min(n.lon for n in located)
        y0 = min(n.lat for n in located)
        span = max(max(n.lon for n in located) - x0, max(n.lat for n in located) - y0)
        k = ABSTRACT_BOX_DEG / span if span > 0 else 0.0
        for n in located:
            pos[n.id] = ((n.lat - y0) * k, (n.lon - x0) * k)
    else:
        for n in located:
            lat, lon = float(np.clip(n.lat, -90, 90)), float(np.clip(n.lon, -180, 180))
            clipped += (lat, lon) != (n.lat, n.lon)
            pos[n.id] = (lat, lon)
    missing = 0
    for n in net.nodes:
        if n.id not in pos:
            missing += 1
            pos[n.id] = (0.0, 0.0)
    return pos, clipped, missing, outside


def _sites(net: SndNetwork, pos: dict) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": [n.id for n in net.nodes],
            "name": [n.id for n in net.nodes],
            "operator": net.name,
            "lat": [pos[n.id][0] for n in net.nodes],
            "lon": [pos[n.id][1] for n in net.nodes],
            "region": "sndlib",
            "kind": "cloud_region",
        }
    )


def _demand(net: SndNetwork, start_year: int) -> tuple[pd.DataFrame, dict, int]:
    """Unordered pairs with positive demand summed; also the raw sums and self demands."""
    dem: dict[tuple[str, str], float] = {}
    self_dem = 0
    for d in net.demands:
        if d.source == d.target:
            self_dem += 1
            continue
        key = tuple(sorted((d.source, d.target)))
        dem[key] = dem.get(key, 0.0) + d.value
    demand = pd.DataFrame(
        [(a, b, start_year, v) for (a, b), v in sorted(dem.items()) if v > 0],
        columns=["site_a", "site_b", "year", "demand_gbps"],
    )
    return demand, dem, self_dem


def _links(
    net: SndNetwork, pos: dict, abstract: int, total: float
) -> tuple[pd.DataFrame, pd.DataFrame, dict, list[str], int]:
    """Corridors (parallel links merged) and their module options.

    The total demand bounds the number of modules any link can usefully carry.
    """
    groups: dict[tuple[str, str], list[SndLink]] = {}
    loops = []
    for lk in net.links:
        if lk.source == lk.target:
            loops.append(lk.id)
            continue
        groups.setdefault(tuple(sorted((lk.source, lk.target))), []).append(lk)
    cor_rows, opt_rows, renamed = [], [], 0
    for (a, b), lks in sorted(groups.items()):
        cid = lks[0].id
        if ";" in cid:
            cid, renamed = cid.replace(";", "_"), renamed + 1
        gc = float(haversine_km(pos[a][0], pos[a][1], pos[b][0], pos[b][1]))
        mods = list(dict.fromkeys(m for lk in lks for m in lk.modules))  # union, file order
        units = [max(1, math.ceil(total / cap)) for cap, _ in mods]
        km = UNIT_LENGTH_KM if abstract else max(round(gc, 1), MIN_DISTANCE_KM)
        lit, per_pair = _slots(sum(units) + 1)
        pre = sum(lk.pre_capacity for lk in lks)
        cor_rows.append((cid, a, b, km, pre, lit, 0, per_pair, "", 0.0, 0))
        for k, ((cap, cost), u) in enumerate(zip(mods, units, strict=True), start=1):
            opt_rows.append((f"{cid}_m{k}", "wave", cap, cost, 0.0, 0, u, 0.0, None, 0.0, cid))
    corridors = pd.DataFrame(cor_rows, columns=TABLES["corridors"].names)
    options = pd.DataFrame(opt_rows, columns=TABLES["upgrade_options"].names)
    return corridors, options, groups, loops, renamed


def _history(demand: pd.DataFrame, start_year: int) -> pd.DataFrame:
    """Twelve flat months before the start: the fixed demand as a history the checks accept."""
    months = pd.date_range(end=f"{start_year - 1}-12-01", periods=12, freq="MS").strftime("%Y-%m")
    hist = demand.loc[demand.index.repeat(12), ["site_a", "site_b"]].reset_index(drop=True)
    hist["month"] = np.tile(months.to_numpy(), len(demand))
    hist["p95_gbps"] = np.repeat(demand["demand_gbps"].to_numpy(), 12)
    return hist


def _ignored(net: SndNetwork) -> dict:
    """Counts of what the file states and the planner does not model."""
    return {
        "routing_cost_nonzero_links": sum(1 for lk in net.links if lk.routing_cost),
        "setup_cost_nonzero_links": sum(1 for lk in net.links if lk.setup_cost),
        "pre_installed_capacity_cost_nonzero_links": sum(
            1 for lk in net.links if lk.pre_capacity_cost
        ),
        "hop_limited_demands": sum(1 for d in net.demands if d.max_path_length is not None),
        "routing_unit_not_1_demands": sum(1 for d in net.demands if d.routing_unit != 1),
        "admissible_path_lists": len(net.paths),
    }


#: SNDlib ``META unit`` -> how many of it make one Gbps (the ``_gbps`` columns' unit)
UNIT_PER_GBPS = {"KBITPERSEC": 1e6, "MBITPERSEC": 1e3, "GBITPERSEC": 1.0}


def unit_per_gbps(unit: str | None) -> float | None:
    """How many of the file's ``META unit`` make one Gbps (None: a unit this does not know)."""
    return UNIT_PER_GBPS.get(str(unit or "").strip().upper())


def unit_scale(
    corridors: pd.DataFrame, options: pd.DataFrame, demand: pd.DataFrame, unit: str | None = None
) -> float:
    """What to divide capacities and demands by: the file's ``unit`` into Gbps where
    :func:`unit_per_gbps` knows it, then by powers of 1000 until every value is within the
    inputs' plausibility bounds (1: nothing to do).

    Why: SNDlib files keep their own unit (``META unit``): abilene and geant are in Mbit/s
    (3,000,000 of them would read as 3 Pbit/s in a ``_gbps`` column), and some files have no
    unit and small numbers (ta1, ta2: modules of 504,000 to 11,088,000), above what the
    ``_gbps`` columns accept without ``--allow-implausible``. Dividing every capacity and
    demand by the same factor leaves the module choices that carry the demand, hence the
    optimal cost, unchanged."""
    limits = [
        (corridors["installed_capacity_gbps"], "corridors", "installed_capacity_gbps"),
        (options["capacity_gbps"], "upgrade_options", "capacity_gbps"),
        (demand["demand_gbps"], "demand_history", "p95_gbps"),
    ]
    scale = unit_per_gbps(unit) or 1.0
    for values, table, col in limits:
        top = float(values.max()) if len(values) else 0.0
        cap = float(TABLES[table].column(col).plausible_max or math.inf)
        while top / scale > cap:
            scale *= 1000.0
    return scale


def sndlib_tables(
    net: SndNetwork, start_year: int = 2026
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict]:
    """Input tables, the fixed demand table and the import report."""
    rep: dict = {
        "source": net.path,
        "format": net.format,
        "network": net.name,
        "meta": net.meta,
    }
    pos, clipped, missing, abstract = _positions(net)
    demand, dem, self_dem = _demand(net, start_year)
    total = float(demand["demand_gbps"].sum())
    corridors, options, groups, loops, renamed = _links(net, pos, abstract, total)
    if corridors.empty:
        raise InputError(Problem(net.path, "no links between two different nodes (expected >= 1)"))
    scale = unit_scale(corridors, options, demand, net.meta.get("unit"))
    if scale > 1:  # the same feasible module choices, so the same optimal cost
        corridors["installed_capacity_gbps"] /= scale
        options["capacity_gbps"] /= scale
        demand["demand_gbps"] /= scale
    rep["unit_divided_by"] = scale
    rep["unit_per_gbps"] = unit_per_gbps(net.meta.get("unit"))
    tables = {
        "sites": _sites(net, pos),
        "corridors": corridors,
        "upgrade_options": options,
        "ai_buildout": pd.DataFrame(columns=TABLES["ai_buildout"].names),
        "candidate_routes": pd.DataFrame(columns=TABLES["candidate_routes"].names),
        "demand_history": _history(demand, start_year),
    }
    outside = f"{abstract} of {len(net.nodes)} nodes outside WGS84"
    why = "pixel coordinates" if net.pixel else outside
    rep["cleaning"] = {
        "nodes_without_coordinates_set_to_0_0": missing,
        "coordinates_clipped_to_wgs84": clipped,
        "coordinates": (
            f"abstract ({why}): every corridor "
            f"gets the unit length {UNIT_LENGTH_KM:g} km (paths by hop count), sites drawn "
            f"in a {ABSTRACT_BOX_DEG:g}-degree box"
            if abstract
            else "geographic (distance = great circle)"
        ),
        "self_loop_links_dropped": loops,
        "parallel_links_merged": int(sum(len(v) - 1 for v in groups.values())),
        "link_ids_with_semicolon_renamed": renamed,
        "self_demands_dropped": self_dem,
        "zero_demands_dropped": sum(1 for v in dem.values() if v <= 0),
        "parallel_demands_summed": int(len(net.demands) - self_dem - len(dem)),
        "corridors_at_min_distance": int((corridors["distance_km"] <= MIN_DISTANCE_KM).sum()),
    }
    rep["ignored"] = _ignored(net)
    return tables, demand, rep


def min_cost_scenario(name: str, tables: dict, demand: pd.DataFrame, start_year: int) -> Scenario:
    """One-year min-cost scenario in which budget, latency and utilisation can never bind."""
    opts, cor = tables["upgrade_options"], tables["corridors"]
    spend_max = float((opts["capex_fixed_usd"] * opts["max_units_per_corridor"]).sum())
    budget = max(1.0, math.ceil(spend_max + 1))
    latency = math.ceil(float(cor["distance_km"].sum()) * FIBER_LATENCY_MS_PER_KM + 1)
    pos = demand["demand_gbps"][demand["demand_gbps"] > 0]
    penalty = max(1e7, 10 * budget / float(pos.min())) if len(pos) else 1e7
    return Scenario(
        name=name,
        start_year=start_year,
        horizon_years=1,
        budget_usd_total=budget,
        max_utilization=1.0,
        survivability="none",
        latency_ms_max={c: float(latency) for c in PAIR_CLASSES},
        k_paths=10,
        objective="min-cost",
        unserved_penalty_usd_per_gbps=penalty,
        solver={"name": "highs", "time_limit_s": 300.0, "mip_gap": 0.0, "threads": 2},
    )


def import_sndlib(
    path: str | Path,
    out_dir: str | Path,
    start_year: int = 2026,
    check: Callable[[Path], None] | None = None,
) -> dict:
    """Parse, map and write the inputs directory, demand.csv and scenarios/min_cost.yaml.

    ``check(folder)``: run on the written folder before it replaces ``out_dir``; if it raises,
    ``out_dir`` stays as it was."""
    net = parse_sndlib(path)
    tables, demand, rep = sndlib_tables(net, start_year)
    out = Path(out_dir)
    stem = re.sub(r"[^A-Za-z0-9]+", "-", Path(path).stem).strip("-").lower() or "sndlib"
    scenario = min_cost_scenario(f"{stem}-min-cost", tables, demand, start_year)
    rep["output"] = {
        "sites": len(tables["sites"]),
        "corridors": len(tables["corridors"]),
        "upgrade_options": len(tables["upgrade_options"]),
        "pairs": len(demand),
        "total_demand": float(demand["demand_gbps"].sum()),
        "demand": str(out / "demand.csv"),
        "scenario": str(out / "scenarios" / "min_cost.yaml"),
    }
    with staged_folder(out, markers=IMPORT_MARKERS) as tmp:  # a reader never sees half
        for name, df in tables.items():
            write_csv(df[TABLES[name].names], tmp / TABLES[name].filename)
        write_csv(demand, tmp / "demand.csv")
        write_text(
            yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False),
            tmp / "scenarios" / "min_cost.yaml",
        )
        write_json(rep, tmp / "import_report.json")
        if check is not None:
            check(tmp)
    return rep
