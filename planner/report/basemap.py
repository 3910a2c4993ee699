"""Offline basemap: countries and US state borders from a file shipped with the package.

Why shipped: report rendering runs without network access, and cartopy/geopandas are heavy
runtime dependencies for one background layer. ``data/basemap.json`` (Natural Earth countries +
US state borders, public domain, see ``data/README.md``) is ~0.5 MB of integer coordinates.

Projection: Albers equal-area conic (spherical), with standard parallels at 1/6 and 5/6 of the
sites' latitude span: shapes and distances look right over a continent, unlike plain lon/lat.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection

from planner.report import style

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Albers:
    """Albers equal-area conic on a sphere; ``project`` returns km east/north of the origin."""

    lon0: float
    lat0: float
    lat1: float
    lat2: float

    @classmethod
    def for_extent(cls, lon: np.ndarray, lat: np.ndarray) -> Albers:
        """Parameters fitted to a set of points (the usual 1/6 rule for standard parallels)."""
        lo_lat, hi_lat = float(np.min(lat)), float(np.max(lat))
        span = max(hi_lat - lo_lat, 4.0)
        mid = 0.5 * (lo_lat + hi_lat)
        lat1, lat2 = mid - span / 3, mid + span / 3
        if abs(lat1 + lat2) < 1e-6:  # conic degenerates at a symmetric equator span
            lat2 += 1.0
        return cls(0.5 * (float(np.min(lon)) + float(np.max(lon))), mid, lat1, lat2)

    def _consts(self) -> tuple[float, float, float]:
        p1, p2, p0 = np.radians([self.lat1, self.lat2, self.lat0])
        n = 0.5 * (np.sin(p1) + np.sin(p2))
        c = np.cos(p1) ** 2 + 2 * n * np.sin(p1)
        rho0 = np.sqrt(max(c - 2 * n * np.sin(p0), 0.0)) / n
        return n, c, rho0

    def project(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n, c, rho0 = self._consts()
        lam = np.radians(((np.asarray(lon, float) - self.lon0 + 180.0) % 360.0) - 180.0)
        phi = np.radians(np.asarray(lat, float))
        rho = np.sqrt(np.maximum(c - 2 * n * np.sin(phi), 0.0)) / n
        theta = n * lam
        x = rho * np.sin(theta)
        y = rho0 - rho * np.cos(theta)
        return EARTH_RADIUS_KM * x, EARTH_RADIUS_KM * y


@lru_cache(maxsize=1)
def load_geometry() -> dict:
    """Decoded layers in degrees: ``{"countries": [(name, [ring, ...])], "states": [...]}``."""
    raw = json.loads(
        resources.files("planner.report").joinpath("data/basemap.json").read_text("utf-8")
    )
    scale = float(raw["scale"])

    def dec(flat: list[int]) -> np.ndarray:
        return np.asarray(flat, dtype=float).reshape(-1, 2) / scale

    return {
        "countries": [(c["name"], [dec(r) for r in c["rings"]]) for c in raw["countries"]],
        "states": [dec(r) for r in raw["us_state_borders"]],
        "sources": list(raw.get("sources", [])),
    }


def _visible(ring: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    lo = ring.min(axis=0)
    hi = ring.max(axis=0)
    return bool(lo[0] <= box[2] and hi[0] >= box[0] and lo[1] <= box[3] and hi[1] >= box[1])


def draw_basemap(
    ax: Axes, proj: Albers, lonlat_box: tuple[float, float, float, float]
) -> dict[str, int]:
    """Land, national and state borders under the network; returns counts drawn (for tests).

    ``lonlat_box`` (lon_min, lat_min, lon_max, lat_max) culls rings far from the view, which
    would otherwise distort when projected around the globe.
    """
    geo = load_geometry()
    polys = []
    for _name, rings in geo["countries"]:
        for r in rings:
            if _visible(r, lonlat_box):
                x, y = proj.project(r[:, 0], r[:, 1])
                polys.append(np.column_stack([x, y]))
    lines = []
    for r in geo["states"]:
        if _visible(r, lonlat_box):
            x, y = proj.project(r[:, 0], r[:, 1])
            lines.append(np.column_stack([x, y]))
    ax.set_facecolor(style.WATER)
    ax.add_collection(
        PolyCollection(
            polys, facecolor=style.LAND, edgecolor=style.BORDER, linewidth=0.7, zorder=0.5
        ),
        autolim=False,
    )
    ax.add_collection(
        LineCollection(lines, colors=style.STATE, linewidths=0.5, zorder=0.6), autolim=False
    )
    return {"land_rings": len(polys), "state_lines": len(lines)}
