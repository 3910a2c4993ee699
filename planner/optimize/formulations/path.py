"""Path formulation: each pair's demand is split over its k shortest admissible paths.

Why paths: the latency limit becomes a property of the candidate set (inadmissible paths are
never enumerated), routing tables fall straight out of the variables, and the model is small
(pairs x years x k flow columns). It restricts routing to k paths per pair, so with a tight
``k_paths`` it can cost more than the arc formulation, which is exact for splittable routing,
unless ``solver.path_pricing`` adds the paths the LP duals ask for
(:mod:`planner.optimize.pricing`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.optimize.model import Model, flow_triplets


def define_flows(m: Model) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Flow columns ``f[pair, path, year]`` and demand rows ``sum f + unserved = demand``.

    Returns (flows frame, capacity triplets ``e, ti, col, coef``, latency in ms per flow column).
    """
    s = m.sets
    d = s.demand.reset_index(drop=True)
    d["r"] = np.arange(len(d))
    f = d.merge(s.paths[["pair_id", "path_id", "latency_ms"]], on="pair_id")
    f = f.sort_values(["pair_id", "year", "path_id"], kind="stable").reset_index(drop=True)
    f["col"] = m.add_columns("f", len(f), 0, f["demand_gbps"].to_numpy(float))
    us = m.unserved
    has = us["col"].to_numpy() >= 0
    slack = (np.arange(len(us))[has], us["col"].to_numpy(int)[has])
    m.add_pair_year_rows("demand", d, [(f["r"], f["col"]), slack], "demand_gbps")
    inc = f[["path_id", "year", "col"]].merge(s.path_edges, on="path_id")
    trip = flow_triplets(inc["e"], inc["year"], inc["col"], s.years)
    latency = f["latency_ms"].to_numpy(float)
    return f[["pair_id", "path_id", "year", "col"]], trip, latency
