"""Import an Internet Topology Zoo GraphML network as a complete, plannable inputs directory.

Why: real topologies (tens to hundreds of nodes, irregular degree, long chains) exercise the
planner far better than hand-made toys, and the whole pipeline (forecast -> optimise -> report)
should run on them unchanged. The Zoo gives only a graph, so everything else is synthesised,
deterministically from ``seed``, and every repair is counted in ``import_report.json``:

- nodes -> ``sites.csv``: ids sanitised from labels (unique; unlabelled nodes get ``N<id>``,
  'hyperedge' nodes - shared-medium junctions - get ``J<id>`` and kind ``carrier_hotel`` with no
  traffic of their own); nodes without coordinates are placed at the mean of their located
  neighbours (repeated until nothing changes) or dropped (``missing_coords``).
- edges -> ``corridors.csv``: self-loops dropped, parallel edges merged into one corridor (one lit
  fiber pair and the capacity of each), distance = great circle x ``route_factor``; LinkSpeed
  attributes set installed capacity (scaled so the median link gets the default, or absolute).
- disconnected pieces: only the largest is kept unless ``components="all"``.
- ``demand_history.csv``: a gravity model (mass = degree, AI campuses x3, distance deterrence
  ``d^-distance_exponent``) on the top ``pairs`` pairs, with per-pair growth and noise, scaled so
  the busiest corridor runs at ``target_utilization`` on shortest paths in the last month.
- ``scenarios/base.yaml``: latency limits raised where the network's own geometry needs it and a
  budget from a rough shortest-path upgrade estimate, so the plan is neither trivial nor starved.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import yaml

from planner.config import Scenario
from planner.errors import InputError, Problem
from planner.io.atomic import write_csv, write_json, write_text
from planner.io.folder import IMPORT_MARKERS, staged_folder
from planner.io.zoo_options import ZooOptions
from planner.io.zoo_traffic import gravity_history, history_months
from planner.schema import FIBER_LATENCY_MS_PER_KM, PAIR_CLASSES, TABLES
from planner.tables import haversine_km

#: Default upgrade menu for imported networks: same prices as the shipped example network.
DEFAULT_OPTIONS = pd.DataFrame(
    [
        ("wave_400g", "wave", 400.0, 150_000.0, 0.0, 0, 128, -0.10, 1500.0, 100_000.0),
        ("wave_800g", "wave", 800.0, 250_000.0, 0.0, 0, 128, -0.10, 1000.0, 150_000.0),
        ("fiber_pair", "fiber_pair", 0.0, 1_500_000.0, 800.0, 1, 4, 0.0, None, 0.0),
        ("new_build", "new_build", 12_800.0, 8_000_000.0, 40_000.0, 2, 1, 0.0, None, 0.0),
    ],
    columns=[c for c in TABLES["upgrade_options"].names if c != "corridor_id"],
)


def _bad(path: Path, msg: str) -> InputError:
    return InputError(Problem(str(path), msg))


def read_graphml(path: str | Path) -> nx.MultiGraph:
    """The file as an undirected multigraph (parallel edges kept so they can be counted)."""
    p = Path(path)
    if not p.is_file():
        raise _bad(p, "missing file (expected a Topology Zoo .graphml file)")
    try:
        g = nx.read_graphml(p, force_multigraph=True)
    except ET.ParseError as e:
        line = e.position[0] if getattr(e, "position", None) else None
        raise InputError(Problem(str(p), f"not valid XML ({e.msg})", row=line)) from None
    except (nx.NetworkXError, KeyError, ValueError, TypeError, UnicodeDecodeError) as e:
        raise _bad(p, f"not a readable GraphML graph ({type(e).__name__}: {e})") from None
    if g.number_of_nodes() == 0:
        raise _bad(p, "no nodes (expected a GraphML graph with <node> elements)")
    if g.is_directed():
        g = nx.MultiGraph(g.to_undirected(reciprocal=False))
        g.graph["_was_directed"] = True
    return g


def _coord(d: dict, key: str, lim: float) -> float | None:
    try:
        v = float(d[key])
    except (KeyError, TypeError, ValueError):
        return None
    return v if math.isfinite(v) and -lim <= v <= lim else None


def _label(d: dict) -> str | None:
    lab = d.get("label")
    if lab is None or str(lab).strip() in ("", "None"):
        return None
    return str(lab).strip()


def _slug(text: str, max_len: int = 40) -> str:
    """ASCII letters, digits and '_' only: safe in CSV, in paths and in 'A-B' corridor ids."""
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_")
    return s[:max_len].rstrip("_")


def _node_order(n: object) -> tuple:
    s = str(n)
    return (0, int(s), s) if s.isdigit() else (1, 0, s)


def _mean_position(coords: list[tuple[float, float]]) -> tuple[float, float]:
    """Mean on the sphere (3-D unit vectors), so points on both sides of 180 deg average well."""
    lat = np.radians([c[0] for c in coords])
    lon = np.radians([c[1] for c in coords])
    x, y = (np.cos(lat) * np.cos(lon)).mean(), (np.cos(lat) * np.sin(lon)).mean()
    z = np.sin(lat).mean()
    return float(np.degrees(math.atan2(z, math.hypot(x, y)))), float(np.degrees(math.atan2(y, x)))


def clean_graph(g: nx.MultiGraph, opts: ZooOptions) -> tuple[nx.Graph, dict]:
    """Simple graph of located nodes with merged edges, plus the counts of every repair."""
    rep: dict = {"directed_input": bool(g.graph.get("_was_directed", False))}
    loops = list(nx.selfloop_edges(g, keys=True))
    rep["self_loops_dropped"] = len(loops)
    h = nx.Graph()
    for n in sorted(g.nodes, key=_node_order):
        d = g.nodes[n]
        lat, lon = _coord(d, "Latitude", 90), _coord(d, "Longitude", 180)
        h.add_node(
            n,
            label=_label(d),
            hyper=str(d.get("hyperedge", "")).strip().lower() in ("1", "true", "yes"),
            country=str(d.get("Country") or "").strip(),
            pos=(lat, lon) if lat is not None and lon is not None else None,
        )
    merged: dict[tuple, int] = {}
    for u, v, _, d in sorted(
        g.edges(keys=True, data=True),
        key=lambda e: (_node_order(e[0]), _node_order(e[1]), str(e[2])),
    ):
        if u == v:
            continue
        speed = _link_speed_gbps(d)
        if h.has_edge(u, v):
            e = h.edges[u, v]
            e["count"] += 1
            e["speeds"].append(speed)
            merged[tuple(sorted((u, v), key=_node_order))] = e["count"]
        else:
            h.add_edge(u, v, count=1, speeds=[speed])
    rep["parallel_edges_merged"] = int(sum(c - 1 for c in merged.values()))
    rep["merged_pairs"] = [
        f"{h.nodes[a]['label'] or f'node {a}'} - {h.nodes[b]['label'] or f'node {b}'} (x{c})"
        for (a, b), c in sorted(
            merged.items(), key=lambda kv: (_node_order(kv[0][0]), _node_order(kv[0][1]))
        )
    ]
    _place_missing(h, opts, rep)
    _keep_components(h, opts, rep)
    return h, rep


def _place_missing(h: nx.Graph, opts: ZooOptions, rep: dict) -> None:
    """Nodes without coordinates: placed at their located neighbours' mean (Jacobi rounds:
    each uses positions of the previous round only), or dropped; counted in ``rep``."""
    missing = [n for n in h.nodes if h.nodes[n]["pos"] is None]
    rep["nodes_missing_coords"] = len(missing)
    rep["missing_coords_mode"] = opts.missing_coords
    placed: list = []
    todo = set(missing) if opts.missing_coords == "place" else set()
    while todo:
        new = {}
        for n in sorted(todo, key=_node_order):
            nb = [h.nodes[m]["pos"] for m in h.neighbors(n) if h.nodes[m]["pos"] is not None]
            if nb:
                new[n] = _mean_position(nb)
        if not new:
            break
        for n, pos in new.items():
            h.nodes[n]["pos"] = pos
            placed.append(n)
        todo -= set(new)
    unplaced = sorted(todo if opts.missing_coords == "place" else missing, key=_node_order)
    rep["_placed"] = placed
    rep["_dropped_no_coords"] = [(n, h.nodes[n]["label"]) for n in unplaced]
    edges_before = h.number_of_edges()
    h.remove_nodes_from(unplaced)
    rep["edges_dropped_with_nodes"] = edges_before - h.number_of_edges()


def _keep_components(h: nx.Graph, opts: ZooOptions, rep: dict) -> None:
    """Keep the largest connected piece unless ``components="all"``; counted in ``rep``."""
    comps = sorted(
        nx.connected_components(h), key=lambda c: (-len(c), min(_node_order(n) for n in c))
    )
    rep["components"] = {"found": len(comps), "mode": opts.components,
                         "sizes": [len(c) for c in comps]}  # fmt: skip
    if opts.components == "largest" and len(comps) > 1:
        drop = set().union(*comps[1:])
        e0 = h.number_of_edges()
        h.remove_nodes_from(drop)
        rep["components"].update(nodes_dropped=len(drop), edges_dropped=e0 - h.number_of_edges())
    else:
        rep["components"].update(nodes_dropped=0, edges_dropped=0)


def _link_speed_gbps(d: dict) -> float | None:
    """LinkSpeedRaw is bits/s; else LinkSpeed with LinkSpeedUnits (K/M/G/T)."""
    try:
        raw = float(d["LinkSpeedRaw"])
        if math.isfinite(raw) and raw > 0:
            return raw / 1e9
    except (KeyError, TypeError, ValueError):
        pass
    try:
        v = float(d["LinkSpeed"])
    except (KeyError, TypeError, ValueError):
        return None
    mult = {"K": 1e-6, "M": 1e-3, "G": 1.0, "T": 1e3}.get(str(d.get("LinkSpeedUnits", "G"))[:1])
    return v * mult if mult and math.isfinite(v) and v > 0 else None


def _site_ids(h: nx.Graph) -> tuple[dict, list[dict]]:
    """Unique ids from labels; duplicates get _2, _3 in node order. Returns (ids, renamed)."""
    ids: dict = {}
    used: set[str] = set()
    by_base: dict[str, list] = {}
    for n in sorted(h.nodes, key=_node_order):
        d = h.nodes[n]
        base = (_slug(d["label"]) if d["label"] else "") or ("J" if d["hyper"] else "N") + _slug(
            str(n)
        )
        sid, k = base, 1
        while sid in used:
            k += 1
            sid = f"{base}_{k}"
        used.add(sid)
        ids[n] = sid
        by_base.setdefault(base, []).append(sid)
    renamed = [{"label": b, "site_ids": v} for b, v in sorted(by_base.items()) if len(v) > 1]
    return ids, renamed


def _regions(lat_lon: pd.DataFrame, countries: pd.Series, network: str) -> pd.Series:
    """Country when the network spans several, else west/central/east thirds of its longitude."""
    known = countries[countries != ""]
    if known.nunique() >= 2:  # a site without a country takes its nearest neighbour's
        k = known.index.to_numpy()
        filled = countries.copy()
        for i in countries.index[countries == ""]:
            d = haversine_km(
                lat_lon.at[i, "lat"],
                lat_lon.at[i, "lon"],
                lat_lon.loc[k, "lat"],
                lat_lon.loc[k, "lon"],
            )
            filled[i] = countries[k[int(np.argmin(d))]]
        return filled.map(lambda c: _slug(c).lower() or "unknown")
    prefix = _slug(known.iloc[0] if len(known) else network).lower() or "net"
    lon = lat_lon["lon"]
    lo, hi = float(lon.min()), float(lon.max())
    band = (
        np.zeros(len(lon), dtype=int)
        if hi - lo < 1e-9
        else np.minimum(((lon - lo) / (hi - lo) * 3).astype(int), 2)
    )
    names = np.array(["west", "central", "east"])
    return pd.Series([f"{prefix}-{b}" for b in names[band]], index=lat_lon.index)


def build_tables(h: nx.Graph, network: str, opts: ZooOptions, rep: dict) -> dict[str, pd.DataFrame]:
    """sites, corridors, upgrade_options and ai_buildout frames (demand comes later)."""
    ids, renamed = _site_ids(h)
    rep["duplicate_labels_renamed"] = renamed
    rep["unlabelled_nodes"] = sum(1 for n in h.nodes if h.nodes[n]["label"] is None)
    rep["hyperedge_nodes"] = sum(1 for n in h.nodes if h.nodes[n]["hyper"])
    rep["nodes_placed"] = [ids[n] for n in rep.pop("_placed") if n in ids]
    rep["nodes_dropped_no_coords"] = [
        lab or f"node {n}" for n, lab in rep.pop("_dropped_no_coords")
    ]
    nodes = sorted(h.nodes, key=lambda n: ids[n])
    sites = pd.DataFrame(
        {
            "site_id": [ids[n] for n in nodes],
            "name": [h.nodes[n]["label"] or f"{network} node {n}" for n in nodes],
            "operator": network,
            "lat": [round(h.nodes[n]["pos"][0], 5) for n in nodes],
            "lon": [round(h.nodes[n]["pos"][1], 5) for n in nodes],
        }
    )
    sites["region"] = _regions(sites, pd.Series([h.nodes[n]["country"] for n in nodes]), network)
    hyper = pd.Series([h.nodes[n]["hyper"] for n in nodes])
    degree = pd.Series([h.degree(n) for n in nodes])
    sites["kind"] = np.where(hyper, "carrier_hotel", "cloud_region")
    cand = sites.assign(deg=degree)[~hyper].sort_values(["deg", "site_id"], ascending=[False, True])
    ai = list(cand["site_id"].head(opts.ai_sites))
    sites.loc[sites["site_id"].isin(ai), "kind"] = "ai_campus"
    rep["ai_sites"] = ai

    corridors = _corridors_frame(h, ids, nodes, opts, rep)
    options = DEFAULT_OPTIONS.assign(corridor_id=None)
    first_year = history_months(opts)[0].year
    years = range(first_year, opts.start_year + opts.horizon_years)
    ai_build = pd.DataFrame(
        [(s, y, float(round(50 * 1.5 ** (y - first_year)))) for s in sorted(ai) for y in years],
        columns=TABLES["ai_buildout"].names,
    )
    return {
        "sites": sites,
        "corridors": corridors,
        "upgrade_options": options,
        "ai_buildout": ai_build,
    }


def _corridors_frame(h: nx.Graph, ids: dict, nodes: list, opts: ZooOptions, rep: dict):
    """corridors.csv rows: great-circle x route factor, installed Gbps from LinkSpeed."""
    pos = {ids[n]: h.nodes[n]["pos"] for n in nodes}
    rows = []
    for u, v, d in h.edges(data=True):
        a, b = sorted((ids[u], ids[v]))
        rows.append((a, b, d["count"], d["speeds"]))
    rows.sort()
    cor = pd.DataFrame(rows, columns=["site_a", "site_b", "pairs", "speeds"])
    gc = (
        haversine_km(
            [pos[a][0] for a in cor["site_a"]],
            [pos[a][1] for a in cor["site_a"]],
            [pos[b][0] for b in cor["site_b"]],
            [pos[b][1] for b in cor["site_b"]],
        )
        if len(cor)
        else np.zeros(0)
    )
    dist = np.round(np.asarray(gc) * opts.route_factor, 1)
    rep["distances_floored_to_min"] = int((dist < opts.min_distance_km).sum())
    known = [s for sp in cor["speeds"] for s in sp if s is not None]
    scale = 1.0
    if opts.link_speed == "relative" and known:
        scale = opts.installed_gbps / float(np.median(known))

    def installed(speeds: list) -> float:
        if opts.link_speed == "ignore" or not known:
            return opts.installed_gbps * len(speeds)
        vals = [opts.installed_gbps if s is None else s * scale for s in speeds]
        step = 100.0 if opts.link_speed == "relative" else 1e-3
        return float(sum(max(step, round(x / step) * step) for x in vals))

    rep["capacity_from_link_speed"] = {
        "mode": opts.link_speed,
        "edges_with_speed": len(known),
        "gbps_per_link_speed_gbps": round(scale, 4)
        if known and opts.link_speed != "ignore"
        else None,
    }
    return pd.DataFrame(
        {
            "corridor_id": cor["site_a"] + "-" + cor["site_b"],
            "site_a": cor["site_a"],
            "site_b": cor["site_b"],
            "distance_km": np.maximum(dist, opts.min_distance_km),
            "installed_capacity_gbps": [installed(s) for s in cor["speeds"]],
            "lit_fiber_pairs": cor["pairs"].astype(int),
            "spare_fiber_pairs": opts.spare_fiber_pairs,
            "max_waves_per_fiber_pair": opts.max_waves_per_fiber_pair,
            "srlg": "",
            "extra_latency_ms": 0.0,
        }
    )


def _budget(corridors: pd.DataFrame, loads_final: np.ndarray, max_util: float) -> float:
    """Shortest-path wave + fiber-pair need at the final year, x1.5, rounded up to $1M."""
    o = DEFAULT_OPTIONS.set_index("option_id")
    w, fp = o.loc["wave_400g"], o.loc["fiber_pair"]
    installed = corridors["installed_capacity_gbps"].to_numpy()
    waves = np.ceil(np.maximum(loads_final / max_util - installed, 0) / w["capacity_gbps"])
    km, per_pair = corridors["distance_km"].to_numpy(), corridors["max_waves_per_fiber_pair"]
    per_wave = w["capex_fixed_usd"] + np.floor(km / w["reach_km"]) * w["regen_capex_usd"]
    free = corridors["lit_fiber_pairs"].to_numpy() * per_pair - np.ceil(installed / 400.0)
    pairs = np.ceil(np.maximum(waves - free, 0) / per_pair)
    cost = waves * per_wave + pairs * (fp["capex_fixed_usd"] + fp["capex_per_km_usd"] * km)
    return float(max(1e6, math.ceil(1.5 * cost.sum() / 1e6) * 1e6))


def build_scenario(name: str, opts: ZooOptions, calib: dict, tables: dict) -> Scenario:
    """Base scenario whose latency limits admit every chosen pair's shortest path (x1.5)."""
    sites = tables["sites"]
    kind = sites.set_index("site_id")["kind"]
    pairs = calib["pairs"]
    n_ai = (pairs["site_a"].map(kind) == "ai_campus").astype(int) + (
        pairs["site_b"].map(kind) == "ai_campus"
    ).astype(int)
    cls = np.select([n_ai == 2, n_ai == 1], ["ai_training", "ai_inference"], "general")
    defaults = Scenario(name="x", start_year=2026, budget_usd_total=0).latency_ms_max
    lat = {}
    for c in PAIR_CLASSES:
        km = calib["path_km"][cls == c]
        need = math.ceil(1.5 * km.max() * FIBER_LATENCY_MS_PER_KM + 5) if len(km) else 0
        lat[c] = float(max(defaults[c], need))
    max_util = 0.8
    budget = (
        opts.budget_usd
        if opts.budget_usd is not None
        else _budget(tables["corridors"], calib["loads_final"], max_util)
    )
    return Scenario(
        name=name,
        start_year=opts.start_year,
        horizon_years=opts.horizon_years,
        budget_usd_total=budget,
        demand_quantile=0.9,
        growth="base",
        max_utilization=max_util,
        survivability="none",
        latency_ms_max=lat,
        k_paths=3,
        objective="max-served",
        solver={"name": "highs", "time_limit_s": 120.0, "mip_gap": 0.01, "threads": 2},
        seed=opts.seed,
    )


def import_topologyzoo(
    path: str | Path,
    out_dir: str | Path,
    opts: ZooOptions | None = None,
    check: Callable[[Path], None] | None = None,
) -> dict:
    """Read, clean and write a full inputs directory; return the import report (also written).

    ``check(folder)``: run on the written folder before it replaces ``out_dir``; if it raises,
    ``out_dir`` stays as it was."""
    opts = opts or ZooOptions()
    t0 = time.perf_counter()
    p, out = Path(path), Path(out_dir)
    g = read_graphml(p)
    network = str(g.graph.get("Network") or g.graph.get("label") or p.stem).strip() or p.stem
    h, cleaning = clean_graph(g, opts)
    if h.number_of_nodes() < 2 or h.number_of_edges() == 0:
        raise _bad(
            p,
            f"fewer than 2 located sites or no edges left after cleaning "
            f"(got {h.number_of_nodes()} sites, {h.number_of_edges()} edges)",
        )
    rep: dict = {"source": str(p), "format": "topologyzoo-graphml", "network": network}
    rep["input"] = {"nodes": g.number_of_nodes(), "edges": g.number_of_edges()}
    tables = build_tables(h, network, opts, cleaning)
    hist, calib = gravity_history(tables, opts, str(p))
    scenario = build_scenario(_slug(p.stem).lower() + "-base", opts, calib, tables)
    tables["demand_history"] = hist
    tables["candidate_routes"] = pd.DataFrame(columns=TABLES["candidate_routes"].names)
    rep["cleaning"] = cleaning
    rep["output"] = {
        "sites": len(tables["sites"]),
        "corridors": len(tables["corridors"]),
        "pairs": int(len(calib["pairs"])),
        "pairs_possible": int(calib["pairs_possible"]),
        "demand_history_rows": len(hist),
        "months": f"{hist['month'].min()}..{hist['month'].max()}",
        "ai_sites": cleaning.pop("ai_sites"),
        "scenario": str(out / "scenarios" / "base.yaml"),
        "budget_usd_total": scenario.budget_usd_total,
        "latency_ms_max": scenario.latency_ms_max,
    }
    drop = ("loads_final", "path_km", "pairs", "pairs_possible")
    rep["calibration"] = {k: v for k, v in calib.items() if k not in drop}
    rep["options"] = asdict(opts)
    rep["seconds"] = round(time.perf_counter() - t0, 3)
    with staged_folder(out, markers=IMPORT_MARKERS) as tmp:  # a reader never sees half
        for name, df in tables.items():
            cols = [c for c in TABLES[name].names if c in df.columns]
            write_csv(df[cols], tmp / TABLES[name].filename)
        write_text(
            yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False),
            tmp / "scenarios" / "base.yaml",
        )
        write_json(rep, tmp / "import_report.json")
        if check is not None:
            check(tmp)
    return rep
