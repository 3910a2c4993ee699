"""Options of a Topology Zoo import (:mod:`planner.io.topologyzoo`).

Why its own module: the import and its traffic synthesis (:mod:`planner.io.zoo_traffic`)
both read them; here neither has to import the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ZooOptions:
    """Every knob of the import; stored in the report so an import can be reproduced."""

    missing_coords: Literal["place", "drop"] = "place"
    components: Literal["largest", "all"] = "largest"
    route_factor: float = 1.3
    min_distance_km: float = 1.0
    installed_gbps: float = 1600.0
    link_speed: Literal["relative", "absolute", "ignore"] = "relative"
    spare_fiber_pairs: int = 2
    max_waves_per_fiber_pair: int = 64
    ai_sites: int = 0
    pairs: int | None = 300  # None = all pairs with traffic
    months: int = 36
    start_year: int = 2026
    horizon_years: int = 3
    growth_per_year: float = 0.35
    noise: float = 0.05
    target_utilization: float = 0.6
    distance_exponent: float = 0.5
    budget_usd: float | None = None
    seed: int = 42
