"""The validated input tables as one object, plus small derived views every stage needs.

Why: stages pass DataFrames, not file paths. ``Inputs`` is what ``planner.io.read_inputs``
returns after validation: pairs canonical (``site_a < site_b``), ``month`` as month-start
``datetime64``, optional columns filled with their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.plan_schema import PLAN_SPECS
from planner.schema import TABLES

EARTH_RADIUS_KM = 6371.0088


@dataclass
class Inputs:
    sites: pd.DataFrame
    ai_buildout: pd.DataFrame
    corridors: pd.DataFrame
    upgrade_options: pd.DataFrame
    candidate_routes: pd.DataFrame
    demand_history: pd.DataFrame
    #: optional tables (issue 18): carrier lease offers, purchases already committed
    lease_options: pd.DataFrame = field(default_factory=lambda: empty_table("lease_options"))
    committed_upgrades: pd.DataFrame = field(
        default_factory=lambda: empty_table("committed_upgrades")
    )

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def summary(self) -> dict:
        """Counts a planner checks first: is this the network I meant to load?"""
        h = self.demand_history
        last = h[h["month"] == h["month"].max()] if len(h) else h
        return {
            "sites": int(len(self.sites)),
            "ai_campuses": int((self.sites["kind"] == "ai_campus").sum()),
            "corridors": int(len(self.corridors)),
            "candidate_routes": int(len(self.candidate_routes)),
            "upgrade_options": int(len(self.upgrade_options)),
            "lease_options": int(len(self.lease_options)),
            "committed_upgrades": int(len(self.committed_upgrades)),
            "pairs_with_history": int(h[["site_a", "site_b"]].drop_duplicates().shape[0]),
            "history_months": int(h["month"].nunique()),
            "history_first_month": h["month"].min().strftime("%Y-%m") if len(h) else None,
            "history_last_month": h["month"].max().strftime("%Y-%m") if len(h) else None,
            "total_installed_gbps": float(self.corridors["installed_capacity_gbps"].sum()),
            "total_history_gbps_last_month": float(last["p95_gbps"].sum()),
            "total_history_gbps": float(h["p95_gbps"].sum()),
            "total_route_km": float(self.corridors["distance_km"].sum()),
            "ai_it_mw_by_year": {
                int(y): float(v)
                for y, v in self.ai_buildout.groupby("year")["ai_it_mw"].sum().items()
            },
        }


def empty_table(name: str) -> pd.DataFrame:
    """An optional table without rows, typed as ``read_inputs`` returns it."""
    return table_from_records(name, [])


def table_from_records(name: str, records: list[dict]) -> pd.DataFrame:
    """A table typed like ``read_inputs`` returns it (schema order, defaults filled in).

    Why: tests, benchmarks and in-memory callers build ``Inputs`` without CSV files; one
    typing rule keeps them equal to what the validator produces.
    """
    cols = {}
    for c in TABLES[name].columns:
        vals = [r.get(c.name, c.default) for r in records]
        if c.dtype == "int":
            cols[c.name] = pd.array(vals, dtype="Int64" if c.nullable else "int64")
        elif c.dtype == "float":
            cols[c.name] = pd.array([np.nan if v is None else v for v in vals], "float64")
        elif c.dtype == "month":
            cols[c.name] = pd.to_datetime(vals)
        else:
            cols[c.name] = pd.Series(vals, dtype=object)
    return pd.DataFrame(cols)


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance; vectorised, inputs in degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


#: Column names of each plan table (dtype, unit, description: ``plan_schema.PLAN_SPECS``).
PLAN_TABLES: dict[str, tuple[str, ...]] = {n: tuple(t.names) for n, t in PLAN_SPECS.items()}


@dataclass
class Plan:
    """What the optimiser decided, as tables (columns: ``plan_schema.PLAN_SPECS``) and the summary
    (a dict shaped by ``plan_schema.PlanSummary``, validated when written)."""

    upgrades: pd.DataFrame
    capacity: pd.DataFrame
    unserved: pd.DataFrame
    routing: pd.DataFrame
    marginal_values: pd.DataFrame
    summary: dict
    #: issue 18 (optional tables: older plans and callers may leave them out)
    leases: pd.DataFrame = field(default_factory=lambda: empty_plan_table("leases"))
    money: pd.DataFrame = field(default_factory=lambda: empty_plan_table("money"))
    changes: pd.DataFrame = field(default_factory=lambda: empty_plan_table("changes"))

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in PLAN_TABLES}


def empty_plan_table(name: str) -> pd.DataFrame:
    """A plan table without rows, with its columns."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in PLAN_TABLES[name]})
