r"""Cut-set (MIR) inequalities for whole waves, separated from the LP, added before branching.

Why: capacity comes in whole waves, and the LP relaxation buys exactly the fraction of a wave
each corridor needs, so its bound cannot see what rounding costs (issue 14: base scenario at a
4.4 % MIP gap after 15 s, 3.8 % after 300 s). The classic remedy for network design with
modular capacities (Bienstock and Günlük 1996; Raack, Koster, Orlowski and Wessäly 2011 for
cut-set inequalities, multi-period here on capacity in service by year t) is a family of
mixed-integer rounding cuts on *cuts* of the network.

Base inequality. Take a set F of corridors and the pairs P(F) that cannot be routed around
it: every admissible path of the pair uses a corridor of F (path formulation; the arc
formulation uses node sets S and the pairs with one end in S). Their served demand crosses F,
and F carries at most ``u`` x its capacity, so for each year t

.. math:: \sum_{e \in F} \Big(\sum_j G_j z_j\Big) + \frac{1}{u} \sum_{p \in P(F)} s_{pt}
          \;\ge\; \frac{1}{u} \sum_{p \in P(F)} d_{pt} - \sum_{e \in F} I_e

with :math:`z_j` every integer decision adding :math:`G_j` Gbps to a corridor of F in service
by t (waves bought in any year up to t minus lead time, route builds) and :math:`s` unserved
demand (none under min-cost). Divided by a module size :math:`\delta` it reads
:math:`\sum a_j z_j + y \ge b` with :math:`y \ge 0` continuous; the MIR inequality, with
:math:`r = b - \lfloor b \rfloor`, :math:`f_j = a_j - \lfloor a_j \rfloor`,

.. math:: \sum_j \big(r \lceil a_j \rceil - \max(0, r - f_j)\big) z_j + y \ge r \lceil b \rceil

(:math:`r a_j` for integer :math:`a_j`) is valid for every integer plan and cuts off LP
points that buy a fraction of a module. Families, all separated at the LP optimum:

* single corridors (path formulation, :func:`separate_paths`): F = {e} and P = any set of
  pair-years, their flow on paths *avoiding* e joining the continuous part; tight wherever
  the LP fills e, P chosen as the best prefix of the pairs routed on e. Two capacity
  readings: waves (module = wave sizes) and slots (module = a fiber pair's W waves of the
  largest size, or a route build), so the MIR rounds whole fiber pairs and routes too;
* node cuts (the corridors at one site) and two-site cuts (the corridors leaving an
  adjacent pair of sites), corridors with spare LP capacity entering with their flow
  (flow cut-set inequalities, :func:`separate`);
* larger connected node sets, grown at the LP point where their cut is nearly tight
  (:mod:`planner.optimize.nodesets`).

This module owns the inequalities and their separation; the rounds on the LP (separate, add,
re-solve warm), their work bound and the rows the MIP keeps are :mod:`planner.optimize.
cutrounds`. Measured effect: ``reports/bench/optimize.md``, ``reports/bench/mincost.md``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from planner.optimize.constraints import capacity_triplets
from planner.optimize.model import Model, in_service
from planner.solver.highs import INF, Session

#: a cut must be violated by at least this much (in module units) to be added
MIN_VIOLATION = 1e-3


@dataclass
class CutFamily:
    """Base inequalities: corridor sets, forced demand, slacks, per corridor-year columns."""

    #: ``r, ti, need`` with need = forced demand / u (Gbps)
    rows: pd.DataFrame
    #: corridor set F of each ``r``
    sets: dict[int, np.ndarray]
    #: ``r, ti, col`` unserved columns (coefficient 1/u)
    slack: pd.DataFrame
    #: (e, ti) -> (integer cols, Gbps each), and -> flow cols (coefficient 1)
    ints: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]
    flows: dict[tuple[int, int], np.ndarray]
    installed: np.ndarray
    #: ``r, kind, what`` for the summary and tests
    names: pd.DataFrame
    #: (r, ti) -> (columns, their coefficients, right-hand side) of the row's cost cut-set,
    #: or None (:mod:`planner.optimize.costcuts`: the same at every LP point, so computed once)
    cost_rows: dict = field(default_factory=dict)


def corridor_sets(m: Model) -> list[tuple[str, str, np.ndarray]]:
    """Candidate corridor sets F: single corridors, sites, adjacent site pairs."""
    cor = m.sets.corridors
    a, b = cor["site_a"].to_numpy(), cor["site_b"].to_numpy()
    ids = zip(cor["e"], cor["corridor_id"], strict=True)
    out = [("corridor", str(c), np.array([e])) for e, c in ids]
    for v in sorted(set(a) | set(b)):
        out.append(("site", str(v), np.flatnonzero((a == v) | (b == v))))
    seen = set()
    for u, v in sorted(zip(a, b, strict=True)):
        if (u, v) in seen or u == v:
            continue
        seen.add((u, v))
        inside = np.isin(a, [u, v]) ^ np.isin(b, [u, v])
        if inside.any():
            out.append(("sites", f"{u}+{v}", np.flatnonzero(inside)))
    return out


def forced_pairs(m: Model, sets: list[tuple[str, str, np.ndarray]]) -> list[np.ndarray]:
    """Per corridor set: pair ids whose every admissible path (or route) crosses it."""
    s = m.sets
    if m.formulation == "path":
        pe = s.path_edges
        pair_of = s.paths.set_index("path_id")["pair_id"]
        n_paths = s.paths.groupby("pair_id").size()
        out = []
        for _, _, F in sets:
            hit = pe.loc[np.isin(pe["e"].to_numpy(int), F), "path_id"].unique()
            per = pd.Series(pair_of.reindex(hit).to_numpy(int)).value_counts()
            full = per.index[per.to_numpy() == n_paths.reindex(per.index).to_numpy()]
            out.append(np.sort(full.to_numpy(int)))
        return out
    return one_end_pairs(m, sets)


def bridge_sides(cor: pd.DataFrame) -> dict[int, set]:
    """Corridor ``e`` -> the sites on one side of it, for every corridor that is a bridge
    (no other corridor joins its two sides, so every route between them crosses it)."""
    ends = [tuple(sorted(p)) for p in zip(cor["site_a"], cor["site_b"], strict=True)]
    count = Counter(ends)
    e_of = {k: int(e) for k, e in zip(ends, cor["e"], strict=True)}
    g = nx.Graph([k for k in count if k[0] != k[1]])
    out = {}
    for a, b in nx.bridges(g):
        k = tuple(sorted((a, b)))
        if count[k] > 1:  # parallel corridors: neither alone is a cut
            continue
        g.remove_edge(a, b)
        out[e_of[k]] = nx.node_connected_component(g, a)
        g.add_edge(a, b)
    return out


def one_end_pairs(m: Model, sets: list[tuple[str, str, np.ndarray]]) -> list[np.ndarray]:
    """Per node set: the pairs with one end in it, which cross its cut on *every* path; a
    single corridor is such a cut where it is a bridge (one side's sites)."""
    pairs = m.sets.pairs
    sides = bridge_sides(m.sets.corridors) if any(k == "corridor" for k, _, _ in sets) else {}
    out = []
    for kind, what, F in sets:
        if kind == "corridor":
            side = sides.get(int(F[0]), set()) if len(F) == 1 else set()
        else:
            side = {what} if kind == "site" else set(what.split("+"))
        if not side:
            out.append(np.zeros(0, dtype=int))
            continue
        one = pairs["site_a"].isin(side) ^ pairs["site_b"].isin(side)
        out.append(pairs.loc[one, "pair_id"].to_numpy(int))
    return out


def flow_triplets(m: Model) -> pd.DataFrame:
    """``e, ti, col``: flow columns loading corridor e in year t (both formulations)."""
    yi = {y: i for i, y in enumerate(m.sets.years)}
    f = m.flows
    if m.formulation == "path":
        f = f.merge(m.sets.path_edges, on="path_id")
    return pd.DataFrame(
        {"e": f["e"].to_numpy(int), "ti": f["year"].map(yi).to_numpy(int), "col": f["col"]}
    )


def base_inequalities(
    m: Model,
    sets: list[tuple[str, str, np.ndarray]] | None = None,
    forced: list[np.ndarray] | None = None,
    like: CutFamily | None = None,
) -> CutFamily:
    """Every (corridor set, year) with forced demand beyond what F's installed capacity takes
    (``sets`` / ``forced``: :func:`corridor_sets` / :func:`forced_pairs` unless given;
    ``like``: a family of the same model whose per corridor-year columns are reused)."""
    s, u, T = m.sets, m.scenario.max_utilization, len(m.sets.years)
    sets = corridor_sets(m) if sets is None else sets
    forced = forced_pairs(m, sets) if forced is None else forced
    inst = s.corridors["installed_capacity_gbps"].to_numpy(float)
    dem = s.demand.merge(m.unserved[["pair_id", "year", "col"]], on=["pair_id", "year"])
    dem["ti"] = dem["year"] - s.start_year
    rows, slack, names, fsets = [], [], [], {}
    for r, ((kind, what, F), P) in enumerate(zip(sets, forced, strict=True)):
        if not len(P):
            continue
        d = dem[dem["pair_id"].isin(P)]
        need = np.bincount(d["ti"].to_numpy(int), d["demand_gbps"].to_numpy(float), T) / u
        ok = np.flatnonzero(need > 1e-9)
        if not len(ok):
            continue
        fsets[r] = F
        names.append((r, kind, what))
        rows.append(pd.DataFrame({"r": r, "ti": ok, "need": need[ok]}))
        sl = d[(d["col"] >= 0) & d["ti"].isin(ok)]
        slack.append(sl.assign(r=r)[["r", "ti", "col"]])
    if like is not None:
        ints, flows = like.ints, like.flows
    else:
        cap = capacity_triplets(m)
        ints = {
            (int(e), int(t)): (g["col"].to_numpy(int), g["coef"].to_numpy(float))
            for (e, t), g in cap.groupby(["e", "ti"], sort=True)
        }
        flows = {
            (int(e), int(t)): g["col"].to_numpy(int)
            for (e, t), g in flow_triplets(m).groupby(["e", "ti"], sort=True)
        }
    return CutFamily(
        pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["r", "ti", "need"]),
        fsets,
        pd.concat(slack, ignore_index=True) if slack else pd.DataFrame(columns=["r", "ti", "col"]),
        ints,
        flows,
        inst,
        pd.DataFrame(names, columns=["r", "kind", "what"]),
    )


def mir(a: np.ndarray, b: float) -> tuple[np.ndarray, float] | None:
    """MIR of ``sum a z + y >= b`` (z integer >= 0, y >= 0): (coefficients of z, rhs); y keeps 1."""
    r = b - math.floor(b)
    if r < 1e-6 or r > 1 - 1e-6:
        return None
    f = a - np.floor(a)
    whole = f < 1e-9
    coef = np.where(whole, r * np.round(a), r * np.ceil(a) - np.maximum(0.0, r - f))
    return coef, r * math.ceil(b)


def separate(
    fam: CutFamily,
    x: np.ndarray,
    u: float,
    rows: pd.DataFrame | None = None,
    *,
    flows: bool = True,
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Most violated flow cut-set MIR cut per (set, year) at the LP point ``x`` (of ``rows``
    of ``fam.rows`` only, if given).

    Corridors of F with spare LP capacity enter with their flow (``flow / u``, continuous)
    instead of their capacity, the rest with their integer decisions: the flow cut-set
    inequality of Bienstock and Günlük, which stays tight where transit flow or idle
    capacity would make the plain cut slack. ``flows=False``: every corridor enters with its
    capacity (the plain cut-set inequality, no flow column: valid for paths not in the model,
    see :mod:`planner.optimize.nodecuts`). Returns ``(cols, coefs, rhs)`` meaning
    ``sum coefs x[cols] >= rhs`` (Gbps).
    """
    cuts = []
    empty = np.zeros(0, dtype=int)
    sg = {k: g["col"].to_numpy(int) for k, g in fam.slack.groupby(["r", "ti"], sort=True)}
    for r, ti, need in (fam.rows if rows is None else rows)[["r", "ti", "need"]].itertuples(
        index=False
    ):
        F = fam.sets[int(r)]
        cols1, g1, cols2 = [], [], []
        rest = float(need)
        for e in F:
            ic, gc = fam.ints.get((int(e), int(ti)), (empty, np.zeros(0)))
            fc = fam.flows.get((int(e), int(ti)), empty)
            cap = fam.installed[e] + gc @ x[ic]
            if not flows and not len(ic):
                rest -= fam.installed[e]  # nothing to buy: its installed capacity only
            elif flows and (x[fc].sum() / u < cap - 1e-6 or not len(ic)):
                cols2.append(fc)  # spare capacity (or nothing to buy): use its flow
            else:
                cols1.append(ic)
                g1.append(gc)
                rest -= fam.installed[e]
        if not cols1 or rest <= 1e-9:
            continue
        icol, gcol = np.concatenate(cols1), np.concatenate(g1)
        ccol = np.r_[np.concatenate(cols2) if cols2 else empty, sg.get((r, ti), empty)]
        y0 = x[ccol].sum() / u
        best = None
        for delta in np.unique(gcol[gcol > 0]):
            got = mir(gcol / delta, rest / delta)
            if got is None:
                continue
            coef, rhs = got
            viol = rhs - (coef @ x[icol] + y0 / delta)
            if viol > MIN_VIOLATION and (best is None or viol > best[0]):
                best = (viol, delta, coef, rhs)
        if best is None:
            continue
        _, delta, coef, rhs = best
        # back in Gbps: sum (delta coef) z + (flows + unserved) / u >= delta rhs
        cuts.append(
            (np.r_[icol, ccol], np.r_[delta * coef, np.full(len(ccol), 1.0 / u)], delta * rhs)
        )
    return cuts


@dataclass
class PathIndex:
    """Path formulation: which pair-year rows load each corridor-year, and their columns."""

    #: (e, ti) -> (flow cols via e, their pair-year row)
    via: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]
    #: per pair-year row: every flow column, the unserved column (-1: none), the demand
    row_cols: list[np.ndarray]
    row_slack: np.ndarray
    row_demand: np.ndarray
    #: :func:`slot_level_ints`
    slots: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, float]]


def path_index(m: Model) -> PathIndex:
    us = m.unserved.reset_index(drop=True).assign(row=lambda d: np.arange(len(d)))
    f = m.flows.merge(us[["pair_id", "year", "row"]], on=["pair_id", "year"])
    yi = {y: i for i, y in enumerate(m.sets.years)}
    pe = f.merge(m.sets.path_edges, on="path_id")
    pe["ti"] = pe["year"].map(yi)
    via = {
        (int(e), int(t)): (g["col"].to_numpy(int), g["row"].to_numpy(int))
        for (e, t), g in pe.groupby(["e", "ti"], sort=True)
    }
    cols = [np.zeros(0, dtype=int)] * len(us)
    for r, g in f.groupby("row", sort=True):
        cols[int(r)] = g["col"].to_numpy(int)
    slack, dem = us["col"].to_numpy(int), us["demand_gbps"].to_numpy(float)
    return PathIndex(via, cols, slack, dem, slot_level_ints(m))


def slot_level_ints(m: Model) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray, float]]:
    """Capacity bounded through the wave slots: (e, ti) -> (cols, Gbps each, constant).

    Waves in service fit the slots (free + W x fiber pairs + W - used on a built route), each
    wave adds at most ``G_max`` (the largest wave option of e), so
    ``cap_e(t) <= I_e + G_max free_e + G_max W pairs_e(t) + (G_b + G_max (W - used)) built_e(t)``.
    The cut-set MIR on this bound rounds whole fiber pairs and route builds, the lumps the LP
    buys by the slot.
    """
    cor, years = m.sets.corridors, m.sets.years
    up = m.sets.upgrades
    waves = up[up["kind"] == "wave"]
    gmax = waves.groupby("e")["capacity_gbps"].max()
    pairs = in_service(up[up["kind"] == "fiber_pair"], years)
    builds = in_service(m.sets.builds, years)
    W = cor["max_waves_per_fiber_pair"].to_numpy(float)
    used = cor["build_waves"].to_numpy(float)
    out = {}
    for e, g in gmax.items():
        e, g = int(e), float(g)
        p_e, b_e = pairs[pairs["e"] == e], builds[builds["e"] == e]
        if not len(p_e) + len(b_e):
            continue
        const = float(cor["installed_capacity_gbps"].iat[e]) + g * float(cor["free_slots"].iat[e])
        for ti in range(len(years)):
            pt, bt = p_e[p_e["ti"] == ti], b_e[b_e["ti"] == ti]
            cols = np.r_[pt["col"].to_numpy(int), bt["col"].to_numpy(int)]
            gb = bt["capacity_gbps"].to_numpy(float) + g * (W[e] - used[e])
            coef = np.r_[np.full(len(pt), g * W[e]), gb]
            if len(cols):
                out[(e, ti)] = (cols, coef, const)
    return out


def _best_prefix(a, f, xi, cum_d, cum_y, inst, u, delta):
    """Best (violation, k, coefs, rhs) over prefixes k of the sorted pairs, one module size."""
    b = (cum_d / u - inst) / delta
    r = b - np.floor(b)
    ok = (b > 1e-9) & (r > 1e-6) & (r < 1 - 1e-6)
    if not ok.any():
        return None
    R = r[:, None]
    whole = f < 1e-9
    coef = np.where(whole, R * np.round(a), R * np.ceil(a) - np.maximum(0.0, R - f))
    viol = r * np.ceil(b) - (coef @ xi + cum_y / (u * delta))
    viol[~ok] = -np.inf
    k = int(np.argmax(viol))
    return float(viol[k]), k, coef[k], float(r[k] * np.ceil(b[k]))


def separate_paths(
    fam: CutFamily, idx: PathIndex, x: np.ndarray, u: float
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Single-corridor cuts of the path formulation, one per saturated corridor-year.

    Base inequality for corridor e, year t and any set P of pair-years: the flow of P that
    cannot avoid e fits e, so ``cap_e + (1/u) sum_P (unserved + flow on paths avoiding e)
    >= D(P) / u``. It is tight at an LP point where e is full and P are the pairs routed on
    it; P = the pairs with the least flow elsewhere (best prefix), then MIR as above.
    """
    cuts = []
    empty = np.zeros(0, dtype=int)
    levels = [((e, ti), ic, gc, fam.installed[e]) for (e, ti), (ic, gc) in fam.ints.items()]
    levels += [(k, ic, gc, const) for k, (ic, gc, const) in idx.slots.items()]
    for (e, ti), ic, gc, inst in levels:
        got = idx.via.get((e, ti))
        if got is None or not len(ic):
            continue
        fcols, frows = got
        if x[fcols].sum() / u < inst + gc @ x[ic] - 1e-6 * gc.max():
            continue  # spare capacity: the base inequality is slack
        rows, inv = np.unique(frows, return_inverse=True)
        via = np.bincount(inv, x[fcols], len(rows))
        keep = via > 1e-9
        rows, via = rows[keep], via[keep]
        d = idx.row_demand[rows]
        rest = np.maximum(0.0, d - via)
        order = np.argsort(rest / d, kind="stable")
        rows, d, rest = rows[order], d[order], rest[order]
        cum_d, cum_y = np.cumsum(d), np.cumsum(rest)
        best = None
        for delta in np.unique(gc[gc > 0]):
            a = gc / delta
            cand = _best_prefix(a, a - np.floor(a), x[ic], cum_d, cum_y, inst, u, delta)
            if cand and cand[0] > MIN_VIOLATION and (best is None or cand[0] > best[0]):
                best = (*cand, delta)
        if best is None:
            continue
        _, k, coef, rhs, delta = best
        on_e = set(fcols.tolist())
        cont = []
        for r in rows[: k + 1]:
            cont.append(np.array([c for c in idx.row_cols[r] if c not in on_e], dtype=int))
            if idx.row_slack[r] >= 0:
                cont.append(idx.row_slack[r : r + 1])
        ccol = np.concatenate(cont) if cont else empty
        cuts.append(
            (np.r_[ic, ccol], np.r_[delta * coef, np.full(len(ccol), 1.0 / u)], delta * rhs)
        )
    return cuts


def merge_terms(
    cols: np.ndarray, coefs: np.ndarray, rhs: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """One term per column (a path crossing two corridors of F adds its flow twice)."""
    uniq, inv = np.unique(cols, return_inverse=True)
    return uniq, np.bincount(inv, coefs, len(uniq)), rhs


def add_cut_rows(
    sess: Session, pos: np.ndarray, cuts: list[tuple[np.ndarray, np.ndarray, float]]
) -> bool:
    """``sum coefs x[cols] >= rhs`` rows on a live LP (``pos``: model column -> HiGHS
    column); False if HiGHS refused them."""
    starts = np.cumsum([0] + [len(c) for c, _, _ in cuts[:-1]]).astype(np.int32)
    idx = np.concatenate([pos[c] for c, _, _ in cuts]).astype(np.int32)
    val = np.concatenate([a for _, a, _ in cuts])
    lo = np.array([rhs for _, _, rhs in cuts])
    return sess.add_rows(lo, np.full(len(cuts), INF), starts, idx, val)
