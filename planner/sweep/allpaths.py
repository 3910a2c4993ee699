"""All-paths bounds for every budget of a chain: one live priced LP, re-priced per budget.

Why: a chain's model is priced once, at its largest budget, so the MIP bound of each budget
holds for that model's path set only, and a smaller budget's LP may want paths the largest
did not (its duals differ). Chain plans reported no ``bound_scope`` and no all-paths bound,
where a run alone reports both (issue 14: "summary.json says which bound the gap refers
to"). Here the path LP of the chain's sets is priced to the end at each budget in ascending
order (:class:`~planner.optimize.pricing.Pricer`: the last budget's paths and node cut rows
stay, so the next is a few warm rounds), and its optimum is each budget's all-paths bound;
with candidate routes, so is the LP with build-linking rows (:mod:`planner.optimize.
linkbound`, live the same way), the higher of the two reported, as a run alone does.

Same numbers wherever they are computed (the chain's helper process or the chain itself):
budgets are priced in the same order and every step is bounded by work.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from planner.config import Scenario
from planner.optimize.linkbound import LinkedPricer, link_rows_apply, merge_link
from planner.optimize.model import Model
from planner.optimize.pricing import Pricer, too_big_to_price
from planner.sweep.budgets import set_budget


class ChainBounds:
    """``bound(i)``: the pricing fields of budget ``order[i]`` (budgets priced in order)."""

    def __init__(self, m: Model, order: Sequence[Scenario], objective: str | None) -> None:
        self.m, self.order, self.objective = m, list(order), objective
        self.pricer: Pricer | None = None
        self.linked: LinkedPricer | None = None
        self.got: list[dict] = []

    def applies(self) -> bool:
        """A path model whose scenario prices paths (an arc model's bound is for all paths)."""
        return self.m.formulation == "path" and self.order[-1].solver.path_pricing

    def bound(self, i: int) -> dict:
        if not self.applies():
            return {}
        skip = too_big_to_price(self.m.sets)
        if skip is not None:  # as price_paths says it
            return {"path_pricing_converged": False, "pricing_skipped": skip}
        while len(self.got) <= i:
            t = time.perf_counter()
            sc = self.order[len(self.got)]
            if self.pricer is None:  # built at the largest budget, as the chain's model
                self.pricer = Pricer(self.m.sets, self.order[-1], self.objective)
            set_budget(self.pricer.m, sc, self.pricer.sess)
            _new, _keep, info = self.pricer.price()
            got = {**info, "pricing_seconds": time.perf_counter() - t}
            if self.got:  # its first LP has the earlier budgets' node cut rows: not "without"
                got["all_paths_lp_bound_usd"] = None
            if got["all_paths_bound_usd"] is not None and link_rows_apply(self.m.sets):
                if self.linked is None:
                    self.linked = LinkedPricer(self.m.sets, self.order[-1], self.objective)
                set_budget(self.linked.m, sc, self.linked.sess)
                got = merge_link(got, self.linked.price())
            self.got.append(got)
        return self.got[i]
