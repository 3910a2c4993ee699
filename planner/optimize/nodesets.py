r"""Node sets whose cut is nearly tight at an LP point: cut-set candidates beyond one or two sites.

Why: the cut-set rows of :mod:`planner.optimize.cutset` round whole modules on a fixed list of
corridor sets (single corridors, one site, two adjacent sites). On real network-design
instances the violated cut-set inequalities sit on larger cuts: measured on SNDlib germany50
(50 sites, 88 links, one 40-unit module, min-cost, 2026-12-06), the fixed sets lift the LP
from 597.9k to 603.9k, and sets grown here lift it on to 611.6k; after 60 s the MIP's bound
went from 613.4k to 616.3k and its plan from 640,790 to 637,930 (``reports/bench/mincost.md``;
Raack, Koster, Orlowski and Wessäly 2011 separate cut-set inequalities on such connected node
sets, found by shrinking or growing the network at the LP point).

How: for each year and each seed site, grow a connected set one neighbour at a time, always
adding the neighbour that leaves the cut with the least *slack* (capacity bought at the LP
point across the cut, less the demand with one end inside that is served there, over the
utilisation cap). An MIR cut on a set can only be violated where that slack is below a
module, so the sets with the smallest slack relative to the cut's largest module are kept.
The growth is incremental (each step is O(sites)), and bounded by a number of steps, not by
seconds: the same sets on a busy machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.optimize.cutset import CutFamily, base_inequalities
from planner.optimize.model import Model

#: growth steps (seed x size) per year at most; larger networks grow smaller sets
STEPS = 20_000
#: sets kept per year and round: this many per site, most nearly tight first, at most MAX_SETS
#: (each becomes a base inequality over the demand table: ~2 ms per set on Cogentco's 16k pairs)
KEEP_PER_SITE, MAX_SETS = 2, 200
#: sets of this size or smaller are already in the fixed families (one or two sites)
MIN_SIZE = 3


@dataclass(frozen=True)
class SiteGraph:
    """Sites as 0..n-1; corridor ends ``ca, cb`` and pair ends ``pa, pb`` as site numbers."""

    sites: list[str]
    ca: np.ndarray
    cb: np.ndarray
    pa: np.ndarray
    pb: np.ndarray

    @property
    def n(self) -> int:
        return len(self.sites)

    def crossing(self, inside: np.ndarray) -> np.ndarray:
        """Corridor numbers (``e``) with exactly one end in the site set ``inside``."""
        mask = np.zeros(self.n, dtype=bool)
        mask[inside] = True
        return np.flatnonzero(mask[self.ca] ^ mask[self.cb])


def site_graph(m: Model) -> SiteGraph:
    """The model's corridors and pairs on site numbers (corridor ``e`` = its row)."""
    cor, pairs = m.sets.corridors, m.sets.pairs
    sites = sorted(set(cor["site_a"]) | set(cor["site_b"]) | set(pairs["site_a"])
                   | set(pairs["site_b"]))  # fmt: skip
    at = {s: i for i, s in enumerate(sites)}

    def ends(df, col):
        return df[col].map(at).to_numpy(int)

    return SiteGraph(sites, ends(cor, "site_a"), ends(cor, "site_b"), ends(pairs, "site_a"),
                     ends(pairs, "site_b"))  # fmt: skip


def grow(
    g: SiteGraph,
    cap: np.ndarray,
    need: np.ndarray,
    module: np.ndarray,
    seen: set[frozenset[int]],
) -> list[np.ndarray]:
    """New node sets (site numbers) of one year, most nearly tight first.

    ``cap``: capacity per corridor at the LP point (Gbps); ``need``: served demand per pair
    at the LP point over the utilisation cap (Gbps); ``module``: the largest module (Gbps) a
    corridor can buy that year, 0 where it can buy none. ``seen`` (updated): sets already
    returned, in any year or round, so each becomes rows once.
    """
    n = g.n
    if n < 2 * MIN_SIZE:
        return []
    C = np.zeros((n, n))
    np.add.at(C, (g.ca, g.cb), cap)
    np.add.at(C, (g.cb, g.ca), cap)
    D = np.zeros((n, n))
    np.add.at(D, (g.pa, g.pb), need)
    np.add.at(D, (g.pb, g.pa), need)
    adj = np.zeros((n, n), dtype=bool)
    adj[g.ca, g.cb] = adj[g.cb, g.ca] = True
    big = np.zeros(n)  # largest module at each site
    np.maximum.at(big, g.ca, module)
    np.maximum.at(big, g.cb, module)
    Ctot, Dtot = C.sum(1), D.sum(1)
    top = max(MIN_SIZE, min(n // 2, STEPS // n))
    found: dict[frozenset[int], float] = {}
    for seed in range(n):
        inside = np.zeros(n, dtype=bool)
        inside[seed] = True
        c_in, d_in, near = C[:, seed].copy(), D[:, seed].copy(), adj[:, seed].copy()
        slack, biggest = Ctot[seed] - Dtot[seed], big[seed]
        for size in range(2, top + 1):
            step = (Ctot - 2 * c_in) - (Dtot - 2 * d_in)  # slack change of adding each site
            step[~near | inside] = np.inf
            v = int(np.argmin(step))
            if not np.isfinite(step[v]):
                break
            inside[v] = True
            slack, biggest = slack + step[v], max(biggest, big[v])
            c_in += C[:, v]
            d_in += D[:, v]
            near |= adj[:, v]
            # an MIR cut on the set can be violated only if its slack is below a module
            if size >= MIN_SIZE and biggest > 0 and slack < biggest:
                key = frozenset(np.flatnonzero(inside).tolist())
                if key not in seen and key not in found:
                    found[key] = slack / biggest
    best = sorted(found, key=lambda k: (found[k], sorted(k)))[: min(KEEP_PER_SITE * n, MAX_SETS)]
    seen.update(best)
    return [np.array(sorted(k)) for k in best]


class GrownSets:
    """Grown node sets at an LP point, as cut-set base inequalities of the model (sharing the
    per corridor-year columns of the fixed family ``fam``)."""

    def __init__(self, m: Model, fam: CutFamily) -> None:
        self.m, self.fam, self.g = m, fam, site_graph(m)
        self.seen: set[frozenset[int]] = set()
        s, self.u = m.sets, m.scenario.max_utilization
        self.T = len(s.years)
        row = pd.Series(np.arange(len(s.pairs)), index=s.pairs["pair_id"].to_numpy(int))
        dem = s.demand.merge(m.unserved[["pair_id", "year", "col"]], on=["pair_id", "year"])
        self.d_row = row.reindex(dem["pair_id"].to_numpy(int)).to_numpy(int)
        self.d_ti = (dem["year"] - s.start_year).to_numpy(int)
        self.d_gbps = dem["demand_gbps"].to_numpy(float)
        self.d_col = dem["col"].to_numpy(int)
        by_t: dict[int, list] = {}
        for (e, t), (ic, gc) in fam.ints.items():
            by_t.setdefault(t, []).append((e, ic, gc))
        self.ints = {t: _flat(v) for t, v in by_t.items()}

    def family(self, x: np.ndarray) -> CutFamily | None:
        """Sets not seen before whose cut is nearly tight at ``x`` (model columns)."""
        E, P = len(self.fam.installed), self.g.pa.size
        served = self.d_gbps - np.where(self.d_col >= 0, x[np.maximum(self.d_col, 0)], 0.0)
        sets: list[np.ndarray] = []
        for t in range(self.T):
            e, cols, coefs = self.ints.get(t, _flat([]))
            cap = self.fam.installed + np.bincount(e, coefs * x[cols], E)
            module = np.zeros(E)
            np.maximum.at(module, e, coefs)
            at = self.d_ti == t
            need = np.bincount(self.d_row[at], served[at], P) / self.u
            sets += grow(self.g, cap, need, module, self.seen)
        if not sets:
            return None
        out, forced = [], []
        pair_ids = self.m.sets.pairs["pair_id"].to_numpy(int)
        for inside in sets:
            mask = np.zeros(self.g.n, dtype=bool)
            mask[inside] = True
            name = "+".join(self.g.sites[i] for i in inside)
            out.append(("nodes", name, self.g.crossing(inside)))
            forced.append(pair_ids[mask[self.g.pa] ^ mask[self.g.pb]])
        return base_inequalities(self.m, out, forced, like=self.fam)


def _flat(groups: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(e, cols, coefs)`` of ``[(e, cols, coefs)]`` groups, one entry per column."""
    if not groups:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0)
    e = np.concatenate([np.full(len(ic), e) for e, ic, _ in groups])
    return e, np.concatenate([ic for _, ic, _ in groups]), np.concatenate([gc for *_, gc in groups])
