"""Latency report: pairs with no admissible path, how close they get, and what would fix them.

Why: a training cluster split across campuses is useless if its traffic takes a 3,000 km
detour, so the optimiser drops paths over ``latency_ms_max`` (per pair class). A pair left with
no admissible path is then unserved, and a planner needs to know *why* and *what to build*:
the best latency today, and which candidate route (if any) brings it under the limit.

Method (exact for one added route): all-pairs shortest latencies ``D`` on the existing
corridors (one vectorised Dijkstra). A path using candidate route ``r = (a, b, L)`` once has
latency ``min(D[s, a] + L + D[b, t], D[s, b] + L + D[a, t])`` (a shortest path never uses the
same route twice). Among the routes that bring the pair under its limit, the cheapest is
suggested (ties: lower latency, then route id). If no single route suffices, the latency with
*all* candidate routes built is reported with the routes on that path, so the planner sees
whether a combination would do.

Route cost: :func:`planner.network.route_capex_usd`, the optimiser's rule: ``build_capex_usd``
if given, else the route's own ``new_build`` option or the cheapest generic one, fixed + per-km
x km + regeneration, at today's prices (the trend matters for *when*, not *which*).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.network import SimpleGraph, edges_from_inputs, pair_classes, route_costs
from planner.schema import canonical_pairs
from planner.tables import Inputs
from planner.units import usd_text

#: A path exactly at the limit is admissible despite float rounding (same rule as the paths).
LATENCY_EPS_MS = 1e-9

LATENCY_COLUMNS = (
    "site_a",
    "site_b",
    "pair_class",
    "latency_ms_max",
    "best_latency_ms",
    "best_path",
    "admissible",
    "suggested_route_id",
    "latency_with_route_ms",
    "route_capex_usd",
    "latency_all_candidates_ms",
    "routes_needed",
    "suggestion",
)


def _pair_frame(pairs: pd.DataFrame, inputs: Inputs, scenario: Scenario) -> pd.DataFrame:
    p = canonical_pairs(pairs[["site_a", "site_b"]].astype(str).drop_duplicates())
    p = p.drop_duplicates().sort_values(["site_a", "site_b"]).reset_index(drop=True)
    cls = pair_classes(p, inputs.sites)
    p["pair_class"] = cls.to_numpy()
    p["latency_ms_max"] = cls.map(scenario.latency_ms_max).fillna(np.inf).to_numpy(float)
    return p


def _fmt_usd(x: float) -> str:
    return "cost unknown" if not np.isfinite(x) else usd_text(x)


def latency_report(
    inputs: Inputs, scenario: Scenario, pairs: pd.DataFrame, *, all_pairs: bool = False
) -> pd.DataFrame:
    """One row per pair with no admissible path on the existing corridors (or every pair).

    ``pairs``: any frame with ``site_a, site_b`` (e.g. the demand table). Columns: see
    ``LATENCY_COLUMNS``; latencies in ms (inf = not connected), ``best_path`` and
    ``routes_needed`` as ``;``-joined ids.
    """
    p = _pair_frame(pairs, inputs, scenario)
    edges = edges_from_inputs(inputs, candidates=True)
    nodes = sorted(
        set(inputs.sites["site_id"].astype(str)) | set(edges["site_a"]) | set(edges["site_b"])
    )
    g0 = SimpleGraph(edges[~edges["candidate"]], nodes)
    g1 = SimpleGraph(edges, nodes)
    d0, pred0 = g0.all_pairs()
    d1, pred1 = g1.all_pairs()
    s = p["site_a"].map(g0.index).to_numpy(np.int64)
    t = p["site_b"].map(g0.index).to_numpy(np.int64)
    limit = p["latency_ms_max"].to_numpy(float)
    best = d0[s, t] if len(p) else np.zeros(0)
    ok = best <= limit + LATENCY_EPS_MS
    p["best_latency_ms"] = best
    p["admissible"] = ok
    cand = edges[edges["candidate"]].reset_index(drop=True)
    cost = route_costs(inputs).reindex(cand["corridor_id"]).to_numpy(float)
    ra = cand["site_a"].map(g0.index).to_numpy(np.int64)
    rb = cand["site_b"].map(g0.index).to_numpy(np.int64)
    rl = cand["latency_ms"].to_numpy(float)

    rows = []
    for i in np.flatnonzero(~ok if not all_pairs else np.ones(len(p), bool)).tolist():
        si, ti = int(s[i]), int(t[i])
        r = p.iloc[i]
        path = ";".join(g0.path(pred0, si, ti)) if np.isfinite(best[i]) else ""
        sug, sug_lat, sug_cost = _single_fix(cand, cost, d0, ra, rb, rl, si, ti, limit[i])
        all_lat = float(d1[si, ti])
        all_path = g1.path(pred1, si, ti) if np.isfinite(all_lat) else []
        needed = [c for c in all_path if c in set(cand["corridor_id"])]
        lim = limit[i]
        cls = r["pair_class"]
        text = _advice(
            bool(ok[i]), sug, sug_lat, sug_cost, float(best[i]), all_lat, needed, lim, cls
        )
        rows.append(
            (
                r["site_a"],
                r["site_b"],
                cls,
                lim,
                float(best[i]),
                path,
                bool(ok[i]),
                sug,
                sug_lat,
                float(sug_cost) if sug else np.nan,
                all_lat,
                ";".join(needed),
                text,
            )
        )
    return pd.DataFrame(rows, columns=list(LATENCY_COLUMNS))


def _single_fix(
    cand: pd.DataFrame,
    cost: np.ndarray,
    d0: np.ndarray,
    ra: np.ndarray,
    rb: np.ndarray,
    rl: np.ndarray,
    si: int,
    ti: int,
    limit: float,
) -> tuple[str, float, float]:
    """The cheapest single candidate route (then fastest, then by id) that meets the limit."""
    if not len(cand):
        return "", np.nan, np.nan
    via = np.minimum(d0[si, ra] + rl + d0[rb, ti], d0[si, rb] + rl + d0[ra, ti])
    fixes = np.flatnonzero(via <= limit + LATENCY_EPS_MS)
    if not len(fixes):
        return "", np.nan, np.nan
    key = np.lexsort(
        (cand["corridor_id"].to_numpy()[fixes], via[fixes], np.nan_to_num(cost[fixes], nan=np.inf))
    )
    j = int(fixes[key[0]])
    return str(cand.at[j, "corridor_id"]), float(via[j]), cost[j]


def _advice(
    ok: bool,
    sug: str,
    sug_lat: float,
    sug_cost: float,
    best: float,
    all_lat: float,
    needed: list[str],
    lim: float,
    cls: str,
) -> str:
    """What the planner can do about a pair's latency, in one sentence."""
    if ok:
        return "admissible today"
    if sug:
        return (
            f"build {sug} ({_fmt_usd(sug_cost)}): {sug_lat:.1f} ms <= {lim:g} ms "
            f"(today {best:.1f} ms)"
        )
    if np.isfinite(all_lat) and all_lat <= lim + LATENCY_EPS_MS:
        return (
            f"no single route suffices; building {' + '.join(needed)} gives {all_lat:.1f} ms "
            f"<= {lim:g} ms"
        )
    if not np.isfinite(best) and not np.isfinite(all_lat):
        return "not connected even with every candidate route; add a candidate route"
    return (
        f"no candidate route brings it under {lim:g} ms (best "
        f"{min(best, all_lat):.1f} ms); add a shorter candidate route or raise "
        f"latency_ms_max[{cls}]"
    )
