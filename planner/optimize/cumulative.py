r"""Cumulative purchase columns: units bought by year t as integer decisions of their own.

Why (issue 14, "the multi-period version works on capacity in service by year t"): the
decisions are purchases per year, :math:`x_{eot}`, and capacity in service in t is a sum of
them over the years bought early enough. Branching on one year's purchase is weak: the LP
moves the fraction to the neighbouring year at no cost, so the tree hardly changes the bound.
With

.. math:: z_{eot} = \sum_{s \le t} x_{eos} \in \mathbb{Z}_{\ge 0},
          \qquad x_{eot} = z_{eot} - z_{eo,t-1}

the solver can branch on "at least n units of o on e by year t", which splits the capacity
in service (what the capacity, slot and cut-set rows read) directly, and its own cut
generation sees the aggregated integer. Route builds get the same column (built by year t).
The columns add no restriction: every integer plan has exactly one z, and the LP relaxation
is the same polytope projected (so the root LP bound is unchanged; the gain is in branching
and the solver's cuts, measured in ``reports/bench/cumulative.md``).

Everything that hands the solver a start or reads columns stays consistent through one
function, :func:`complete_start`: the purchases decide, z is recomputed from them. Starts
built from LP solutions of the model (rounding, trim, sub-MIP, previous plan, sweep fill,
survivability repair) satisfy the equality rows already; starts built from purchases alone
(greedy, all-unserved) get their z here. The z columns are not plan rows: extraction reads
the purchase columns only. Lease contracts (concurrent caps, contracts end) get no z.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pulp

from planner.optimize.model import Model

#: the row family of the equality rows x_t - z_t + z_{t-1} = 0
FAMILY = "cumulative"
#: the frame in ``m.meta``: ``x`` (purchase column), ``z`` (its cumulative column), ``grp``
META = "cumulative"
#: Purchases stay integer columns too (their integrality is implied by z's: x_t = z_t -
#: z_{t-1}). Keeping them integer leaves every reader of ``v.cat`` (marginal LPs, the
#: survivability repair, the latency re-route) with the meaning it had.
PURCHASES_INTEGER = True


def purchase_groups(m: Model) -> pd.DataFrame:
    """``e, option_id, year, x, lo, hi, grp, pos``: one row per purchase column, grouped by
    (corridor, option) (route builds: option ``__build__``), in year order within a group."""
    up, bl = m.sets.upgrades, m.sets.builds
    own = up[up["kind"] != "lease"] if len(up) else up

    def lo(f: pd.DataFrame) -> np.ndarray:
        return f["min_units"].to_numpy(float) if "min_units" in f.columns else np.zeros(len(f))

    f = pd.concat(
        [
            pd.DataFrame(
                {
                    "e": own["e"].to_numpy(int),
                    "option_id": own["option_id"].astype(str).to_numpy(),
                    "year": own["year"].to_numpy(int),
                    "x": own["col"].to_numpy(int),
                    "lo": lo(own),
                    "hi": own["max_units"].to_numpy(float),
                }
            ),
            pd.DataFrame(
                {
                    "e": bl["e"].to_numpy(int),
                    "option_id": "__build__",
                    "year": bl["year"].to_numpy(int),
                    "x": bl["col"].to_numpy(int),
                    "lo": lo(bl),
                    "hi": 1.0,
                }
            ),
        ],
        ignore_index=True,
    )
    f = f.sort_values(["e", "option_id", "year"], kind="stable").reset_index(drop=True)
    g = f.groupby(["e", "option_id"], sort=False)
    f["grp"] = g.ngroup()
    f["pos"] = g.cumcount()
    return f


def add_cumulative_columns(m: Model) -> pd.DataFrame:
    """Add z (integer, bounded by the group's unit cap, below by committed purchases so far)
    and the rows ``x_t - z_t + z_{t-1} = 0``; returns (and stores) the ``x, z, grp`` frame."""
    f = purchase_groups(m)
    n = len(f)
    if not n:
        m.meta[META] = f.assign(z=pd.Series(dtype=np.int64))
        return m.meta[META]
    cum_lo = f.groupby("grp", sort=False)["lo"].cumsum().to_numpy(float)
    hi = f.groupby("grp", sort=False)["hi"].transform("max").to_numpy(float)
    f["z"] = m.add_columns("cum", n, cum_lo, hi, pulp.LpInteger)
    r = np.arange(n)
    has_prev = f["pos"].to_numpy() > 0
    z = f["z"].to_numpy(np.int64)
    row = np.r_[r, r, r[has_prev]]
    col = np.r_[f["x"].to_numpy(np.int64), z, z[np.flatnonzero(has_prev) - 1]]
    coef = np.r_[np.ones(n), -np.ones(n), np.ones(int(has_prev.sum()))]
    keys = f[["e", "option_id", "year"]]
    m.add_rows(FAMILY, keys, row, col, coef, pulp.LpConstraintEQ, np.zeros(n))
    if not PURCHASES_INTEGER:
        for c in f["x"]:
            m.columns[c].cat = pulp.LpContinuous
    m.meta[META] = f
    return f


def complete_start(m: Model, start: dict) -> dict:
    """``start`` ({variable: value}) with every z set to the cumulative sum of its purchases.

    The one place starts are made consistent with the z columns: a start that left them at 0
    while buying something would break the equality rows and the solver would drop it. A
    no-op on models without z columns and on empty starts.
    """
    f = m.meta.get(META)
    if f is None or not len(f) or not start:
        return start
    cv = m.columns
    x = np.array([start.get(cv[c], 0.0) for c in f["x"]], dtype=float)
    z = pd.Series(np.rint(x)).groupby(f["grp"].to_numpy()).cumsum().to_numpy(float)
    out = dict(start)
    for c, val in zip(f["z"].to_numpy(int), z, strict=True):
        out[cv[c]] = float(val)
    return out
