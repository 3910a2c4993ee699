"""The SNDlib network both of SNDlib's file formats read into, and its reference rules.

Why one owner: SNDlib serves every instance as a native text file and as an XML file. Each
reader (:mod:`planner.io.sndlib` for the text, :mod:`planner.io.sndlib_xml` for the XML) only
parses; what a network must satisfy (known node ids, no duplicate ids, sane values) is checked
here once, so both formats accept and refuse the same networks with the same messages, each
naming the line it came from.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from planner.errors import InputError, Problem


@dataclass(frozen=True)
class SndNode:
    id: str
    lon: float | None
    lat: float | None
    line: int


@dataclass(frozen=True)
class SndLink:
    id: str
    source: str
    target: str
    pre_capacity: float
    pre_capacity_cost: float
    routing_cost: float
    setup_cost: float
    modules: tuple[tuple[float, float], ...]
    line: int


@dataclass(frozen=True)
class SndDemand:
    id: str
    source: str
    target: str
    routing_unit: float
    value: float
    max_path_length: int | None  # None = UNLIMITED
    line: int


@dataclass
class SndNetwork:
    path: str
    name: str
    meta: dict[str, str] = field(default_factory=dict)
    nodes: list[SndNode] = field(default_factory=list)
    links: list[SndLink] = field(default_factory=list)
    demands: list[SndDemand] = field(default_factory=list)
    #: demand id -> [(path id, [link ids])]
    paths: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)
    #: "sndlib-native" or "sndlib-xml"
    format: str = "sndlib-native"
    #: the XML said its coordinates are drawing positions (coordinatesType="pixel")
    pixel: bool = False


def to_number(text: str, what: str) -> float:
    """A finite number; ValueError with the message both readers give (they add the line)."""
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"got {text!r}, expected a number ({what})") from None
    if not math.isfinite(v):
        raise ValueError(f"got {text!r}, expected a finite number ({what})")
    return v


def to_hops(text: str, what: str) -> int | None:
    """A max path length: a whole number of links, or None for ``UNLIMITED``."""
    if text.upper() == "UNLIMITED":
        return None
    if re.fullmatch(r"\d+(\.0*)?", text):
        return int(float(text))
    raise ValueError(f"got {text!r}, expected a max path length {what} (an integer or UNLIMITED)")


def check_network(net: SndNetwork) -> None:
    """Reference and value rules; every problem is collected, each with its line."""
    out: list[Problem] = []

    def bad(msg: str, line: int) -> None:
        out.append(Problem(net.path, msg, row=line))

    def dups(items: list, what: str) -> set[str]:
        first: dict[str, int] = {}
        for it in items:
            if it.id in first:
                bad(f"duplicate {what} id {it.id!r} (first at line {first[it.id]})", it.line)
            first.setdefault(it.id, it.line)
        return set(first)

    nodes = dups(net.nodes, "node")
    links = dups(net.links, "link")
    dups(net.demands, "demand")
    for x in net.links + net.demands:
        kind = "link" if isinstance(x, SndLink) else "demand"
        for end in (x.source, x.target):
            if end not in nodes:
                bad(f"{kind} {x.id}: unknown node {end!r} (expected a listed node's id)", x.line)
    for lk in net.links:
        if lk.pre_capacity < 0:
            bad(
                f"link {lk.id}: pre-installed capacity {lk.pre_capacity:g} (expected >= 0)", lk.line
            )
        for cap, cost in lk.modules:
            if cap <= 0 or cost < 0:
                bad(
                    f"link {lk.id}: module ({cap:g}, {cost:g}) (expected capacity > 0, cost >= 0)",
                    lk.line,
                )
    for d in net.demands:
        if d.value < 0:
            bad(f"demand {d.id}: value {d.value:g} (expected >= 0)", d.line)
    demand_ids = {d.id for d in net.demands}
    for did, plist in net.paths.items():
        if did not in demand_ids:
            out.append(Problem(net.path, f"admissible paths: unknown demand {did!r}"))
        unknown = sorted({lid for _, ls in plist for lid in ls} - links)
        if unknown:
            out.append(Problem(net.path, f"admissible paths of {did}: unknown links {unknown[:5]}"))
    if not net.nodes:
        out.append(Problem(net.path, "no nodes (expected at least 2)"))
    if out:
        raise InputError(out)
