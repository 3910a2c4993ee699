"""Out-of-sample risk of a plan: how often its capacity carries fresh joint demand scenarios.

Why fresh scenarios: a plan sized on some scenarios (or on per-pair P90) must be judged on
futures it never saw, otherwise the scenario plan grades its own homework. The scenarios come
from the same joint model (:mod:`planner.forecast.joint`) with a different seed.

For every scenario and year the plan's capacities (``capacity.csv``) route the demand with the
least unserved Gbps (:class:`~planner.scenarios.routing.RoutingLP`). Reported, overall and
per pair class and year: the probability that all demand is served, and the mean and P95 of
unserved Gbps (Gbps-years over the horizon for ``year == "all"``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.config import Scenario
from planner.forecast.joint import JointModel, fit_joint
from planner.optimize.sets import IndexSets, index_sets
from planner.scenarios.routing import RoutingLP, add_plan_paths
from planner.tables import Inputs

RISK_COLUMNS = (
    "pair_class",
    "year",
    "p_serve_all",
    "demand_gbps_mean",
    "unserved_gbps_mean",
    "unserved_gbps_p95",
    "n_scenarios",
)
#: Seed offset of the evaluation scenarios, so they are never the ones a plan was sized on.
FRESH_SEED_OFFSET = 1_000_003


@dataclass
class Risk:
    """Per-class/year table plus the headline numbers of one plan."""

    table: pd.DataFrame
    summary: dict
    lost: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0, 0)))


def joint_model(inputs: Inputs, forecast_df: pd.DataFrame, scenario: Scenario) -> JointModel:
    dc = scenario.demand
    return fit_joint(
        forecast_df, inputs.sites, inputs.demand_history, dc.common_loading, dc.driver_loading
    )


def pair_sets(
    inputs: Inputs, model: JointModel, scenario: Scenario
) -> tuple[IndexSets, np.ndarray]:
    """Candidate paths for every pair that has demand in any scenario; and, per model pair,
    its row in ``sets.pairs`` (-1: never any demand)."""
    peak = np.where(model.zero, 0.0, np.exp(model.mu + 4.0 * model.sigma))
    long = pd.DataFrame(
        {
            "site_a": np.repeat(model.pairs["site_a"].to_numpy(), len(model.years)),
            "site_b": np.repeat(model.pairs["site_b"].to_numpy(), len(model.years)),
            "year": np.tile(model.years, len(model.pairs)),
            "demand_gbps": peak.ravel(),
        }
    )
    sets = index_sets(inputs, long, scenario)
    key = pd.MultiIndex.from_frame(sets.pairs[["site_a", "site_b"]])
    pos = key.get_indexer(pd.MultiIndex.from_frame(model.pairs[["site_a", "site_b"]]))
    return sets, pos


def capacity_matrix(sets: IndexSets, capacity: pd.DataFrame) -> np.ndarray:
    """(corridors, years) Gbps from a plan's ``capacity.csv``; installed where absent."""
    cor, years = sets.corridors, sets.years
    inst = cor["installed_capacity_gbps"].to_numpy(float)
    out = np.repeat(inst[:, None], len(years), axis=1)
    c = capacity[capacity["year"].isin(years)]
    e = pd.Index(cor["corridor_id"]).get_indexer(c["corridor_id"].astype(str))
    t = pd.Index(years).get_indexer(c["year"].astype(int))
    ok = e >= 0
    out[e[ok], t[ok]] = c["capacity_gbps"].to_numpy(float)[ok]
    return out


def to_pairs(draws: np.ndarray, pos: np.ndarray, n_pairs: int) -> np.ndarray:
    """Model-pair draws (S, P_model, Y) -> (S, P_sets, Y) in ``sets.pairs`` order."""
    out = np.zeros((draws.shape[0], n_pairs, draws.shape[2]))
    ok = pos >= 0
    out[:, pos[ok], :] = draws[:, ok, :]
    return out


def risk_table(
    demand: np.ndarray, lost: np.ndarray, classes: np.ndarray, years: list[int]
) -> pd.DataFrame:
    """The per-class / per-year rows (see module docstring) from (S, P, Y) arrays."""
    rows = []
    n = demand.shape[0]
    for cls in ["all", *sorted(set(classes.tolist()))]:
        sel = np.ones(len(classes), bool) if cls == "all" else classes == cls
        d = demand[:, sel, :].sum(axis=1)  # (S, Y)
        u = lost[:, sel, :].sum(axis=1)
        ok = ~(lost[:, sel, :] > 0).any(axis=1)  # (S, Y)
        for ti, y in enumerate(years):
            rows.append((cls, str(y), ok[:, ti].mean(), d[:, ti].mean(), u[:, ti].mean(),
                         np.quantile(u[:, ti], 0.95), n))  # fmt: skip
        tot = u.sum(axis=1)
        rows.append((cls, "all", ok.all(axis=1).mean(), d.sum(axis=1).mean(), tot.mean(),
                     np.quantile(tot, 0.95), n))  # fmt: skip
    return pd.DataFrame(rows, columns=list(RISK_COLUMNS))


def evaluate_draws(
    sets: IndexSets, capacity: np.ndarray, demand: np.ndarray, scenario: Scenario
) -> np.ndarray:
    """(S, P, Y) unserved Gbps of ``demand`` (sets order) on ``capacity`` (corridors, years)."""
    lp = RoutingLP(sets, capacity, scenario.max_utilization, threads=1)
    return lp.lost_all(demand)


def evaluate_plan(
    inputs: Inputs,
    forecast_df: pd.DataFrame,
    scenario: Scenario,
    capacity: pd.DataFrame,
    *,
    n: int = 1000,
    seed: int | None = None,
    routing: pd.DataFrame | None = None,
    capex_usd: float | None = None,
) -> Risk:
    """Risk of a plan's ``capacity`` on ``n`` fresh scenarios (seed default: the scenario's
    seed + ``FRESH_SEED_OFFSET``, never the seed a scenario plan was sized on)."""
    t0 = time.perf_counter()
    seed = scenario.seed + FRESH_SEED_OFFSET if seed is None else int(seed)
    model = joint_model(inputs, forecast_df, scenario)
    sets, pos = pair_sets(inputs, model, scenario)
    sets = add_plan_paths(sets, routing)
    demand = to_pairs(model.draw(n, seed), pos, len(sets.pairs))
    cap = capacity_matrix(sets, capacity)
    lost = evaluate_draws(sets, cap, demand, scenario)
    classes = sets.pairs["pair_class"].to_numpy()
    table = risk_table(demand, lost, classes, sets.years)
    total = table[(table["pair_class"] == "all") & (table["year"] == "all")].iloc[0]
    summary = {
        "n_scenarios": int(n),
        "seed": int(seed),
        "capex_usd_total": capex_usd,
        "p_serve_all": float(total["p_serve_all"]),
        "unserved_gbps_years_mean": float(total["unserved_gbps_mean"]),
        "unserved_gbps_years_p95": float(total["unserved_gbps_p95"]),
        "common_loading": model.common,
        "driver_loading": model.driver_loading,
        "seconds": time.perf_counter() - t0,
    }
    return Risk(table, summary, lost)
