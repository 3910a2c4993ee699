"""The Model: a PuLP problem plus the index frames that name its columns and rows.

Why a class of its own: formulations, constraint families, starts, extraction and
survivability all read the same things (which column is which decision, which row is which
constraint), and they must not each recompute row numbers. Row families are stored with their
key columns (``m.rows[family]``), columns are numbered in ``col`` columns of the model's own
copies of the index frames: :func:`own_sets` copies the frames a model writes into, so one
:class:`~planner.optimize.sets.IndexSets` can back two models (build once, re-solve; compare
formulations).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from planner.config import Scenario
from planner.optimize.sets import IndexSets

#: The solver sees the objective in thousands of USD and the budget rows in millions: costs of
#: 1e5-6e7 USD and a 1e7 USD penalty made HiGHS warn about "excessively large costs" and slowed
#: its LPs. Reported values (objective, bound, duals) are converted back to USD.
OBJ_SCALE = 1e-3
BUDGET_SCALE = 1e-6
#: Budget rows are scaled so the total budget reads ``BUDGET_ROW_RHS`` to the solver. Why not
#: a fixed 1e-6: HiGHS allows a row violation of ~1e-6 in solver units, so a budget in $M could
#: be overrun by ~$1, and a small budget (tests, what-ifs in $k) became a row below tolerance
#: that the solver overran by percents. Relative scaling caps the overrun at ~1e-10 x budget.
BUDGET_ROW_RHS = 1e4
#: ``meta`` key: a ``stop(primal, dual)`` rule from outside the model that the MIP adds to its
#: own (a race on the second core that proved its plan: :mod:`planner.optimize.race`); it
#: says ``fired`` once it stopped one
EXTERNAL_STOP = "external_stop"
#: ``meta`` key: a :class:`~planner.solver.share.Share` through which the MIP and the start
#: heuristics hand plans to, and take plans from, the same model solved elsewhere (the race)
PLAN_SHARE = "plan_share"


def budget_scale(budget_usd_total: float, cheapest_usd: float = 0.0) -> float:
    """Factor USD -> solver units for budget rows.

    Relative to the budget, but never to less than the cheapest purchase: a budget below it
    buys nothing anyway, and scaling by a near-zero budget ($1e-11 in a property test) made
    coefficients of 1e16, which HiGHS refuses to load (limit 1e15). ``BUDGET_SCALE`` when
    both are zero.
    """
    ref = max(budget_usd_total, cheapest_usd)
    return BUDGET_ROW_RHS / ref if ref > 0 else BUDGET_SCALE


FORMULATIONS = ("path", "arc")
OBJECTIVES = ("max-served", "min-cost")


def own_sets(sets: IndexSets) -> IndexSets:
    """A copy of ``sets`` whose decision frames a model may number (``col``) freely."""
    return dataclasses.replace(
        sets, upgrades=sets.upgrades.copy(), builds=sets.builds.copy(), demand=sets.demand.copy()
    )


@dataclass
class Model:
    """A built model: the PuLP problem plus the frames that index its variables and rows."""

    prob: pulp.LpProblem
    sets: IndexSets
    scenario: Scenario
    formulation: str
    objective_mode: str
    #: every variable by column number (``col`` columns in the frames below point here)
    columns: list[pulp.LpVariable] = field(default_factory=list)
    #: path: ``pair_id, path_id, year, col``; arc: ``source, e, direction, year, col``
    flows: pd.DataFrame | None = None
    #: ``pair_id, year, demand_gbps, col`` (col = -1 when there is no slack variable)
    unserved: pd.DataFrame | None = None
    #: row family -> frame of row keys with the constraint ``name``
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: (corridor_id, year) -> capacity in Gbps as an expression of the decisions
    capacity: dict[tuple[str, int], pulp.LpAffineExpression] = field(default_factory=dict)
    #: objective parts: ``capex``, ``penalty``, ``routing``
    objective_terms: dict[str, pulp.LpAffineExpression] = field(default_factory=dict)
    build_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    #: formulation-specific extras (arc: ``nodes``) and pre-solve checks (``penalty_*``);
    #: :data:`EXTERNAL_STOP`, :data:`PLAN_SHARE`
    meta: dict = field(default_factory=dict)

    def add_columns(
        self, prefix: str, n: int, low: float | np.ndarray, up, cat: str = pulp.LpContinuous
    ) -> np.ndarray:
        """Create ``n`` variables named ``{prefix}{i}``; return their column numbers."""
        start = len(self.columns)
        lows = np.broadcast_to(np.asarray(low, dtype=float), (n,)).tolist()
        ups = [None] * n if up is None else np.broadcast_to(np.asarray(up, float), (n,)).tolist()
        add = self.prob.add_variable
        self.columns.extend(
            add(f"{prefix}{i}", lo, hi, cat) for i, lo, hi in zip(range(n), lows, ups, strict=True)
        )
        return np.arange(start, start + n, dtype=np.int64)

    def expression(self, cols, coefs, constant: float = 0.0) -> pulp.LpAffineExpression:
        cv = self.columns
        return pulp.LpAffineExpression(
            [(cv[c], float(a)) for c, a in zip(cols, coefs, strict=True)], constant=constant
        )

    def add_rows(
        self,
        family: str,
        keys: pd.DataFrame,
        row: np.ndarray,
        col: np.ndarray,
        coef: np.ndarray,
        sense: int,
        rhs: np.ndarray,
        *,
        merge_duplicates: bool = False,
    ) -> pd.DataFrame:
        """Add one constraint per row of ``keys`` from (row, col, coef) triplets.

        Rows with no terms are dropped (a violated empty row raises: it is a modelling error).
        Returns ``keys`` with the constraint ``name`` (also stored in ``self.rows[family]``).
        """
        row = np.asarray(row, dtype=np.int64)
        col = np.asarray(col, dtype=np.int64)
        coef = np.asarray(coef, dtype=float)
        rhs = np.asarray(rhs, dtype=float)
        if merge_duplicates and len(row):
            t = pd.DataFrame({"r": row, "c": col, "a": coef}).groupby(["r", "c"]).sum()
            row = t.index.get_level_values(0).to_numpy()
            col = t.index.get_level_values(1).to_numpy()
            coef = t["a"].to_numpy()
        order = np.lexsort((col, row))
        row, col, coef = row[order], col[order], coef[order]
        starts = np.searchsorted(row, np.arange(len(keys) + 1))
        cv = np.empty(len(self.columns), dtype=object)
        cv[:] = self.columns
        var = cv[col]
        names: list[str | None] = []
        ok = True
        add = self.prob.addConstraint
        for r in range(len(keys)):
            a, b = starts[r], starts[r + 1]
            if a == b:
                names.append(None)
                v = 0.0 - rhs[r]
                ok &= (
                    v <= 1e-9
                    if sense == pulp.LpConstraintLE
                    else (v >= -1e-9 if sense == pulp.LpConstraintGE else abs(v) <= 1e-9)
                )
                continue
            name = f"{family}_{r}"
            expr = pulp.LpAffineExpression(zip(var[a:b].tolist(), coef[a:b].tolist(), strict=True))
            add(pulp.LpConstraint(expr, sense, name, float(rhs[r])))
            names.append(name)
        if not ok:
            raise RuntimeError(f"empty {family} row cannot be satisfied (modelling error)")
        out = keys.reset_index(drop=True).assign(name=names)
        out = out[out["name"].notna()].reset_index(drop=True)
        self.rows[family] = out
        return out

    def add_pair_year_rows(
        self,
        family: str,
        d: pd.DataFrame,
        parts: list[tuple[np.ndarray, np.ndarray]],
        rhs: str,
        sense: int = pulp.LpConstraintEQ,
    ) -> pd.DataFrame:
        """One row per pair-year of ``d``: the sum of the columns in ``parts`` (``(rows, cols)``,
        ``rows`` indexing ``d``) ``sense`` ``d[rhs]``.

        Why one method: demand balance (flows + unserved slack) is written for the base model,
        each demand scenario and each failure state's protected demand.
        """
        row = np.concatenate([np.asarray(r, dtype=np.int64) for r, _ in parts])
        col = np.concatenate([np.asarray(c, dtype=np.int64) for _, c in parts])
        return self.add_rows(
            family, d[["pair_id", "year"]], row, col, np.ones(len(row)), sense,
            d[rhs].to_numpy(float),
        )  # fmt: skip

    def add_sum_rows(
        self,
        family: str,
        terms: pd.DataFrame,
        by: list[str],
        rhs,
        *,
        min_terms: int = 1,
    ) -> pd.DataFrame:
        """One ``<=`` row per group of ``terms`` by ``by``: the sum of its ``col`` columns.

        ``rhs``: a number, a column of ``terms`` (the group's first value) or ``rhs(keys)`` of
        the group keys. Groups with fewer than ``min_terms`` columns get no row (a cap on one
        column is its bound). Returns the keys with the row names.
        """
        agg = {"n": ("col", "size")} | ({"_rhs": (rhs, "first")} if isinstance(rhs, str) else {})
        keys = terms.groupby(by, sort=True).agg(**agg).reset_index()
        keys = keys[keys["n"] >= min_terms].reset_index(drop=True)
        keys["r"] = np.arange(len(keys))
        t = terms.merge(keys[[*by, "r"]], on=by)
        if isinstance(rhs, str):
            rhs = keys["_rhs"]
        elif callable(rhs):
            rhs = rhs(keys)
        rhs = np.broadcast_to(np.asarray(rhs, float), len(keys))
        return self.add_rows(
            family, keys[by], t["r"], t["col"], np.ones(len(t)), pulp.LpConstraintLE, rhs
        )

    def family(self, *families: str) -> list[pulp.LpConstraint]:
        """The PuLP constraints of row families, in row order (none if a family is absent).

        With :meth:`planner.solver.highs.Session.row_index` this names the live rows to edit,
        e.g. the budget row's right-hand side in a sweep.
        """
        names = [n for f in families if f in self.rows for n in self.rows[f]["name"]]
        return [self.prob.get_constraint_by_name(n) for n in names]

    def constraint(self, name: str) -> pulp.LpConstraint | None:
        return self.prob.get_constraint_by_name(name)

    def capacity_gbps(self, corridor_id: str, year: int) -> pulp.LpAffineExpression:
        """Capacity of a corridor in a year (Gbps) as an expression of the decisions."""
        return self.capacity[(corridor_id, year)]


def in_service(dec: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Decision rows crossed with every year they are in service: columns + ``ti``."""
    if not len(dec):
        return dec.assign(ti=pd.Series(dtype=np.int64))
    yrs = pd.DataFrame({"ti": np.arange(len(years)), "_y": years})
    x = dec.merge(yrs, how="cross")
    live = x["_y"] >= x["in_service_year"]
    if "end_year" in x.columns:  # lease contracts end (planner.optimize.leases)
        live &= x["_y"] <= x["end_year"]
    return x[live].drop(columns="_y")


def grid_keys(corridors: pd.DataFrame, years: list[int], *extra: str) -> pd.DataFrame:
    """One row per (corridor, year), corridor-major: the keys of every (e, t) row family.

    ``e`` plus ``extra`` corridor columns plus ``year``; the row of (corridor position, year
    index) is :func:`grid_row`.
    """
    n, T = len(corridors), len(years)
    keys = {"e": np.repeat(corridors["e"].to_numpy(), T)}
    for c in extra:
        keys[c] = np.repeat(corridors[c].to_numpy(), T)
    keys["year"] = np.tile(years, n)
    return pd.DataFrame(keys)


def flow_triplets(e, year, col, years: list[int]) -> pd.DataFrame:
    """``e, ti, col, coef`` (coef 1) of flow columns on corridors: a formulation's capacity use."""
    yi = {y: i for i, y in enumerate(years)}
    return pd.DataFrame(
        {
            "e": np.asarray(e, dtype=np.int64),
            "ti": pd.Series(year).map(yi).to_numpy(np.int64),
            "col": np.asarray(col, dtype=np.int64),
            "coef": 1.0,
        }
    )


def grid_row(pos: np.ndarray, ti: np.ndarray, years: list[int]) -> np.ndarray:
    """Row of (corridor position, year index) in a :func:`grid_keys` family."""
    return np.asarray(pos, dtype=np.int64) * len(years) + np.asarray(ti, dtype=np.int64)
