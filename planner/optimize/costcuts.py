r"""Cost cut-set inequalities: the cheapest whole modules that carry a cut's forced demand.

Why: the MIR rows of :mod:`planner.optimize.cutset` round one module size at a time. Where a
cut must carry a demand that only a mix of sizes covers well, its LP still pays per Gbps of
the best size: a bridge that must carry 2,500 Gbps with modules of 1,000 Gbps for 3 and
10,000 Gbps for 9 costs 9 as a plan, 2.25 in the LP and 7.5-7.65 with both MIR rows. On a
sparse network (a tree with a few cycles, like SNDlib's brain or many Topology Zoo
networks) nearly every link is such a cut and those gaps add up: a 161-node, 169-link
instance of 10,347 pairs had a root LP of 825.6k after the MIR rounds and 1,033k with these
rows, against plans of 1,158k. HiGHS's own cuts and tree reach ~1,052k there after 300 s
either way: the rows give at the root what the solver otherwise needs its search for.

The inequality. For a corridor set F (here always one corridor, see below) and year t
whose forced pairs P (every admissible path, or every route, crosses F) need ``R`` Gbps beyond
F's installed capacity, every plan buys modules on F with ``sum_j G_j z_j >= R - y`` (y =
unserved Gbps of P over u, as in the MIR base inequality). With :math:`c_j` the objective
coefficient of column j and :math:`\hat c_G = \min\{c_j : G_j = G\}` per module size,

.. math:: \sum_j c_j z_j + \lambda y \;\ge\; K_\lambda(R) = \min_{n \ge 0 \text{ integer}}
          \sum_G \hat c_G n_G + \lambda \max(0, R - \sum_G G n_G)

for any :math:`\lambda \ge 0`: the plan's modules, grouped by size, are one candidate of the
minimum. :math:`\lambda` = u x the least objective coefficient of P's unserved columns (y
costs that much in the objective too, so the LP gains nothing by escaping through it); no
unserved columns: :math:`\lambda = \infty`. Unit caps, slots and the years the modules were
bought in are relaxed (each only makes a plan dearer), so the row is valid for every plan of
the model; in the arc formulation F's forced pairs hold on every path.

Single corridors only. The inequality holds on any cut, but on cuts of several corridors
(sites, grown node sets) of meshed networks a handful of such rows changed the MIP's search at
60 s, mostly for the worse (shipped min-cost $925.3M -> $956.9M, grid5x6 2,399 -> 2,419;
grid4x5 767.9 -> 753.1), and lifted no LP bound: there a cut's module mix rarely matters. On
one corridor the knapsack says what the MIR rows, one size at a time, cannot.

:math:`K` is an integer knapsack over a handful of module sizes, solved exactly by branch
and bound over the counts; a search that runs out of its work (steps, not seconds) gives
no row.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.optimize.cutset import CutFamily
from planner.optimize.model import Model
from planner.solver.highs import Session

#: steps of the knapsack search per row at most (deterministic work, not time)
KNAPSACK_STEPS = 20_000
#: a row must be violated by this share of its right-hand side (or 1e-9 absolute)
MIN_RELATIVE_VIOLATION = 1e-6
#: the budget binds at an LP point spending this share of it: the LP then buys what serves
#: most, not what costs least, and these rows (which bound what a cut costs) stay out; on the
#: shipped base scenario they only slowed the all-paths bound (pricing 2.6 s -> 33.5 s)
BUDGET_BINDS = 0.999


def budget_share(m: Model, sess: Session) -> float:
    """The largest share of a budget row (total or a year's) spent at the LP optimum; 0
    without one (min-cost): where it is ~1 the budget binds."""
    rows = sess.row_index(m.family("budget", "budget_year"))
    if not len(rows):
        return 0.0
    _, up = sess.row_bounds(rows)
    act = sess.row_values()[rows]
    return float(np.max(np.where(up > 0, act / np.maximum(up, 1e-300), 1.0)))


def cover_cost(G: np.ndarray, c: np.ndarray, R: float, lam: float, steps: int) -> float | None:
    """:math:`K_\\lambda(R)`: least ``sum c n + lam * max(0, R - sum G n)``, ``n`` whole
    (unbounded); None when the search needs more than ``steps`` nodes."""
    got = cheapest_cover(G, c, R, lam, steps)
    return None if got is None else got[0]


def cheapest_cover(
    G: np.ndarray, c: np.ndarray, R: float, lam: float, steps: int
) -> tuple[float, np.ndarray] | None:
    """:func:`cover_cost` and the counts per size (in the order given) that reach it."""
    keep: list[int] = []
    for i in np.lexsort((c, -G)):  # largest first; drop sizes a larger, cheaper one beats
        if not any(G[j] >= G[i] and c[j] <= c[i] for j in keep):
            keep.append(int(i))
    g, k = G[keep].astype(float), c[keep].astype(float)
    unit = min(float(np.min(k / g)), lam)  # least cost per Gbps: a bound on any remainder
    best, counts = (lam * R if math.isfinite(lam) else math.inf), (0,) * len(g)
    left = steps
    stack: list[tuple[int, float, float, tuple]] = [(0, R, 0.0, ())]
    while stack:
        i, r, cost, n = stack.pop()
        left -= 1
        if left < 0:
            return None
        if r <= 1e-9:
            if cost < best:
                best, counts = cost, n + (0,) * (len(g) - len(n))
            continue
        if cost + unit * r >= best:
            continue
        if i == len(g) - 1:  # the last size: the cost is linear in its count up to r / g,
            q = r / g[i]  # so none (rest unserved), rounded down (rest unserved) or up
            for j in sorted({0, math.floor(q), math.ceil(q)}):
                short = max(0.0, r - g[i] * j)
                v = cost + k[i] * j + (lam * short if short > 1e-9 else 0.0)
                if v < best:
                    best, counts = v, (*n, j)
            continue
        top = math.ceil(r / g[i] - 1e-9)
        stack += [(i + 1, r - g[i] * j, cost + k[i] * j, (*n, j)) for j in range(top + 1)]
    if not math.isfinite(best):
        return None
    out = np.zeros(len(G), dtype=int)
    out[keep] = counts
    return best, out


def _modules(
    fam: CutFamily, r: int, ti: int, need: float
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """F's integer columns in service by ``ti``, their Gbps each and the Gbps they must add
    beyond F's installed capacity; None when nothing is needed or a column adds nothing."""
    F = fam.sets[r]
    parts = [fam.ints[(int(e), ti)] for e in F if (int(e), ti) in fam.ints]
    R = need - float(fam.installed[F].sum())
    if R <= 1e-9 or not parts:
        return None
    cols = np.concatenate([p[0] for p in parts])
    gbps = np.concatenate([p[1] for p in parts])
    return (cols, gbps, R) if (gbps > 0).all() else None


def cost_row(
    fam: CutFamily, r: int, ti: int, need: float, u: float, cost: np.ndarray, sl: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Row (r, ti)'s cost cut-set ``(cols, coefs, rhs)`` (``sl``: its unserved columns), or
    None (nothing to buy, a column without capacity or cost, the knapsack out of work)."""
    got = _modules(fam, r, ti, need)
    if got is None or (cost[got[0]] < 0).any():
        return None
    cols, gbps, R = got
    lam = u * float(cost[sl].min()) if len(sl) else math.inf
    sizes, inv = np.unique(gbps, return_inverse=True)
    cheapest = np.full(len(sizes), np.inf)
    np.minimum.at(cheapest, inv, cost[cols])
    K = cover_cost(sizes, cheapest, R, lam, KNAPSACK_STEPS)
    if K is None or K <= 0:
        return None
    return np.r_[cols, sl], np.r_[cost[cols], np.full(len(sl), lam / u)], K


def _covered(fam: CutFamily, key: tuple[int, int], need: float, x, cost) -> bool:
    """The LP point pays on F's modules at least what one size alone costs to cover the need
    (an upper bound of K): the row cannot be violated, and its knapsack is not solved."""
    got = _modules(fam, *key, need)
    if got is None:
        return True
    cols, gbps, R = got
    one_size = float(np.min(cost[cols] * np.ceil(R / gbps - 1e-9)))
    return float(cost[cols] @ x[cols]) >= one_size


def separate_costs(
    fam: CutFamily,
    x: np.ndarray,
    u: float,
    cost: np.ndarray,
    rows: pd.DataFrame | None = None,
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Violated cost cut-set rows at the LP point ``x`` over ``fam.rows`` (or ``rows``):
    ``(cols, coefs, rhs)`` meaning ``sum coefs x[cols] >= rhs``, in objective units
    (``cost``: every model column's objective coefficient, as the solver sees it)."""
    cuts = []
    sg: dict | None = None
    empty = np.zeros(0, dtype=int)
    for r, ti, need in (fam.rows if rows is None else rows)[["r", "ti", "need"]].itertuples(
        index=False
    ):
        if len(fam.sets[int(r)]) > 1:  # single corridors only: see the module's docstring
            continue
        key = (int(r), int(ti))
        if key not in fam.cost_rows and _covered(fam, key, float(need), x, cost):
            continue  # the LP already pays for a whole cover here: K cannot exceed it
        if key not in fam.cost_rows:
            if sg is None:
                sg = {k: g["col"].to_numpy(int) for k, g in fam.slack.groupby(["r", "ti"])}
            sl = sg.get(key, empty)
            fam.cost_rows[key] = cost_row(fam, *key, float(need), u, cost, sl)
        row = fam.cost_rows[key]
        if row is None:
            continue
        cols, coef, K = row
        if K - coef @ x[cols] > max(1e-9, MIN_RELATIVE_VIOLATION * abs(K)):
            cuts.append(row)
    return cuts
