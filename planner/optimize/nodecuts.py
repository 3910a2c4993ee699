r"""Cut-set rows that hold for every admissible path: whole waves in the all-paths bound.

Why: the all-paths bound (:mod:`planner.optimize.pricing`) is an LP, and the LP buys exactly
the fraction of a wave each corridor needs, so on networks where a few whole waves are the
whole plan it says almost nothing. Measured (Topology Zoo imports, 3,000 pairs, 2026-12-06):
Geant2012's plan of $270.1k, proven optimal over its paths, had an all-paths LP bound of
$31.5k (an "88 % all-paths gap") although no routing at all can do with fewer waves.

Which rows. For a node set S (one site, two adjacent sites, or a connected set grown at the
priced LP's optimum where its cut is nearly tight, :mod:`planner.optimize.nodesets`: on Ion /
UsCarrier with 3,000 pairs those lift the bound from $3.40M / $1.64M to $3.53M / $1.82M) every
path of a pair with one end in S leaves S, *whatever path it takes*, so for each year t

.. math:: \sum_{e \in \delta(S)} u \Big(I_e + \sum_j G_j z_j\Big) + \sum_{p} s_{pt}
          \;\ge\; \sum_{p} d_{pt}

holds for every plan on every admissible path, and so does its MIR rounding
(:func:`planner.optimize.cutset.mir`). A corridor that is a bridge is such a cut too (its
sites on one side), and there so is its cost cut-set (:mod:`planner.optimize.costcuts`). No
flow column enters these rows, so a path's reduced cost is unchanged and pricing stays exact:
the LP with the rows, priced until nothing prices out, bounds every plan on every path. Not
used here: the MIP's other families, single corridors with the pairs its *candidate* paths
force over them and flow cut-sets whose flow terms would give paths negative edge weights in
the label search.

Rounds: separate at the priced LP's optimum (most violated cut per set and year), add the rows,
re-solve warm and price again; at most ``ROUNDS`` (a work bound), the bound is the last LP
priced to convergence.
"""

from __future__ import annotations

import numpy as np

from planner.optimize.costcuts import BUDGET_BINDS, budget_share, separate_costs
from planner.optimize.cutset import (
    CutFamily,
    add_cut_rows,
    base_inequalities,
    corridor_sets,
    merge_terms,
    one_end_pairs,
    separate,
)
from planner.optimize.model import Model
from planner.optimize.nodesets import GrownSets
from planner.solver.highs import Session

#: separation rounds on the priced LP at most
ROUNDS = 8


class NodeCuts:
    """Node-set cut-set rows on a live LP of ``m`` (HiGHS columns of ``m.columns`` first)."""

    def __init__(self, m: Model, sess: Session) -> None:
        self.m, self.sess, self.u = m, sess, m.scenario.max_utilization
        self.pos = sess.col_index(m.columns)
        self.cost = np.asarray(sess.h.getLp().col_cost_, dtype=float)[self.pos]
        self.rows = self.rounds = self.grown_rows = 0
        self._fam: CutFamily | None = None
        self._grown: GrownSets | None = None

    @property
    def fam(self) -> CutFamily:
        """The base inequalities, built at the first :meth:`add` (only a converged pricing
        asks: 1.8 s on Kdl)."""
        if self._fam is None:
            sets = corridor_sets(self.m)  # corridors count where they are bridges
            self._fam = base_inequalities(self.m, sets, one_end_pairs(self.m, sets))
        return self._fam

    def add(self) -> int:
        """Rows violated at the session's LP optimum, added; how many (0: none, or out of
        rounds)."""
        if self.rounds >= ROUNDS or not len(self.fam.rows):
            return 0
        x = self.sess.col_values()[self.pos]
        costs = budget_share(self.m, self.sess) < BUDGET_BINDS  # see costcuts.BUDGET_BINDS
        cuts = separate(self.fam, x, self.u, flows=False)
        if costs:
            cuts += separate_costs(self.fam, x, self.u, self.cost)
        if self._grown is None:
            self._grown = GrownSets(self.m, self.fam)
        more = self._grown.family(x)
        grown = [] if more is None else separate(more, x, self.u, flows=False)
        cuts = [merge_terms(*c) for c in cuts + grown]
        if not cuts or not add_cut_rows(self.sess, self.pos, cuts):
            return 0
        self.rows += len(cuts)
        self.grown_rows += len(grown)
        self.rounds += 1
        return len(cuts)
