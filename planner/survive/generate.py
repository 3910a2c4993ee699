"""Survivable planning by row generation: add only what the failure states need.

Why not one giant model: protecting every state with its own re-routing multiplies the routing
part of the model by the number of states S (every protected pair re-routed in every state, every
year); on the default network (58 SRLG states) that model does not solve within the time limit.
Instead we iterate (see :mod:`planner.survive.protect` for the rows):

1. solve the plan with the rows added so far (none at first);
2. run the independent check (:func:`planner.survive.check.check_states`: exact LP on the
   surviving graph, any path, **full** capacity) for every state and year, on the protected
   Gbps ``a`` the plan claims;
3. add rows for every violated state-year, re-solve; stop when nothing is violated.

``method="cuts"`` (default) first iterates on the LP relaxation, adding one metric cut per
violated state-year (one row of capacity variables; a cut valid for the LP is valid for the
MIP, and the LP re-solves in a fraction of a second), until the relaxation survives every
state. Then the MIP is solved and checked; each violated state gets the cut of its lengths in
every year, and so on until the check passes. Cuts keep the MIP as small as the plain plan:
re-routing flows per violated state-year (``method="flows"``, no LP phase) are exact in one
round but add pairs x paths columns each, and on the default network a MIP with a dozen such
blocks no longer finds a good plan within the 120 s time limit (measured), while the MIP with
cuts solves in seconds.
``full=True`` puts every state's flows in the model at once (the giant model, for
comparison); the check still runs on its plan.

The MIP rounds of ``method="cuts"`` run on one live HiGHS model
(:mod:`planner.survive.warm`): a round appends its cuts as rows, repairs the last plan (its
purchases kept, flows and protection re-chosen by an LP) and continues from it, and stops
when the served gap over weighted demand (unserved + share x unprotected Gbps-years, as the
objective weighs them) is within ``solver.served_gap``; the time limit is a safety net.

Every round is recorded (``summary["survivability"]["round_log"]``). The loop always ends:
flows are added once per state, and cut rounds are capped (``max_lp_rounds``,
``max_mip_rounds``). When the MIP cap is hit with violations left, the purchases are kept and
the claimed protection is lowered to what they really carry through every state (LP with the
integer plan fixed, same cut loop; ``repaired: true``, the shortfall is reported); a plan is
never returned claiming protection the check refutes (``converged: false`` and a warning if
even that fails).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import pulp

from planner.config import Scenario
from planner.network import edges_of
from planner.optimize import build_model, extract, marginal_values, solve
from planner.optimize.model import Model
from planner.solver.highs import Session
from planner.survive.check import DEFAULT_TOL_GBPS, CheckResult, check_states
from planner.survive.protect import Protection
from planner.survive.states import failure_states
from planner.survive.warm import WarmRounds
from planner.tables import Inputs, Plan
from planner.units import usd_text

log = logging.getLogger(__name__)

METHODS = ("cuts", "flows")
MAX_LP_ROUNDS = 30
MAX_MIP_ROUNDS = 12
MAX_REPAIR_ROUNDS = 100
#: A state-year is violated when it loses more than ``tol_gbps + REL_TOL x`` its protected
#: Gbps: solver tolerances on Pbps-scale rows are worth a few Gbps, not a real shortfall.
REL_TOL = 1e-5
#: Entries listed in the summary per list (counts are always complete).
SUMMARY_LIST_MAX = 50


def model_edges(m: Model) -> pd.DataFrame:
    """The model's corridors (row ``e`` = position) as an edge table for the check."""
    return edges_of(m.sets.corridors)


class _Loop:
    """State of one row-generation run: model, protection rows, the check, the log."""

    def __init__(self, m: Model, prot: Protection, tol_gbps: float, say) -> None:
        self.m, self.prot, self.tol, self.say = m, prot, tol_gbps, say
        self.edges = model_edges(m)
        d = prot.protected_matrix()
        self.pair_ids = np.sort(d["pair_id"].unique())
        pp = m.sets.pairs.set_index("pair_id").loc[self.pair_ids]
        self.pairs = pd.DataFrame(
            {"site_a": pp["site_a"].to_numpy(), "site_b": pp["site_b"].to_numpy()}
        )
        self.cell = (
            np.searchsorted(self.pair_ids, d["pair_id"].to_numpy()),
            d["year"].map(prot.year_index).to_numpy(int),
        )
        self.states = list(prot.states.values())
        self.log: list[dict] = []
        self.check_seconds = 0.0
        self.last: CheckResult | None = None

    def check(self, x: np.ndarray) -> CheckResult:
        """The check on the plan at column values ``x``: can its ``a`` survive every state?"""
        t = time.perf_counter()
        dem = np.zeros((len(self.pair_ids), len(self.prot.years)))
        dem[self.cell] = self.prot.protected(x)
        res = check_states(
            self.edges,
            self.prot.capacity(x),
            self.pairs,
            dem,
            self.prot.years,
            self.states,
            duals_above=self.tol,
        )
        self.check_seconds += time.perf_counter() - t
        self.last = res
        return res

    def violated(self, res: CheckResult, x: np.ndarray) -> pd.DataFrame:
        """State-years (and ``none`` = no failure) losing more than the tolerance.

        Protected Gbps of pairs the state cuts off from every corridor and candidate route do
        not count: no plan can carry them (they are reported as unprotectable instead).
        """
        b = res.baseline
        both = pd.concat(
            [
                pd.DataFrame(
                    {
                        "state_id": "none",
                        "year": b["year"],
                        "lost_gbps": b["lost_gbps"],
                        "demand_gbps": b["demand_gbps"],
                    }
                ),
                res.states[["state_id", "year", "lost_gbps", "demand_gbps"]],
            ],
            ignore_index=True,
        )
        cut_off = self.prot.unavoidable(x)
        if cut_off:
            both["lost_gbps"] -= [
                cut_off.get((s, int(y)), 0.0)
                for s, y in zip(both["state_id"], both["year"], strict=True)
            ]
        limit = self.tol + REL_TOL * both["demand_gbps"]
        return both.loc[both["lost_gbps"] > limit, ["state_id", "year", "lost_gbps"]].reset_index(
            drop=True
        )

    def add(self, viol: pd.DataFrame, res: CheckResult, method: str, phase: str) -> int:
        """Add rows for the violated state-years; returns how many state-years got rows.

        ``cuts``: the state-year's metric cut; in the MIP phase the same lengths ``w`` also
        cut every other year of the state (valid for any year, and integer plans tend to move
        a shortfall to the next year instead of fixing it). ``flows``: its re-routing flows.
        """
        n = 0
        for sid, year in zip(viol["state_id"], viol["year"], strict=True):
            key = (sid, int(year))
            if method == "flows":
                n += self.prot.add_flow_state(sid, [int(year)])
                continue
            w = res.duals.get(key)
            if w is None:
                continue
            years = self.prot.years if phase == "mip" else [int(year)]
            n += int(any([self.prot.add_cut(sid, y, w) for y in years]))
        return n

    def record(self, phase: str, viol: pd.DataFrame, added: int, solve_s: float, **kw) -> None:
        st = viol[viol["state_id"] != "none"]["state_id"].nunique()
        self.log.append(
            {
                "round": len(self.log) + 1,
                "phase": phase,
                "violated_state_years": int(len(viol)),
                "violated_states": int(st),
                "lost_gbps_max": float(viol["lost_gbps"].max()) if len(viol) else 0.0,
                "state_years_added": int(added),
                "solve_seconds": round(solve_s, 3),
                "check_seconds": round(self.last.stats["seconds"], 3) if self.last else 0.0,
                "n_variables": len(self.m.columns),
                "n_constraints": self.m.prob.numConstraints(),
                **kw,
            }
        )
        self.say(
            f"survivability {phase} round {len(self.log)}: {len(viol)} violated state-years "
            f"({st} states), +{added} with rows"
            + (f", capex {usd_text(kw['capex_usd'])}" if "capex_usd" in kw else "")
        )


def _lp_phase(
    loop: _Loop, max_rounds: int, fixed: np.ndarray | None = None, phase: str = "lp"
) -> tuple[np.ndarray | None, pd.DataFrame | None]:
    """Cuts on the LP relaxation, re-solved warm; returns the last solution and violations.

    ``phase="lp"``: many cheap rounds before the first MIP solve. ``phase="repair"`` with
    ``fixed`` = an integer plan: the purchases are fixed and only the protected Gbps ``a``
    (and flows) move, so the loop finds the most the plan can really protect.
    """
    m, prot = loop.m, loop.prot
    cfg = m.scenario.solver
    lp = Session.from_pulp(m.prob, threads=cfg.threads, seed=m.scenario.seed)
    index = lp.col_index(m.columns)
    if fixed is not None:
        ints = np.flatnonzero([v.cat == pulp.LpInteger for v in m.columns])
        lp.set_col_bounds(index[ints], fixed[ints], fixed[ints])
    x = viol = None
    for _ in range(max_rounds):
        t = time.perf_counter()
        if not lp.run():
            loop.say(f"survivability: LP relaxation {lp.status_text()}; {phase} phase skipped")
            return None, None
        x = lp.col_values()[index]
        solve_s = time.perf_counter() - t
        res = loop.check(x)
        viol = loop.violated(res, x)
        added = loop.add(viol, res, "cuts", "lp") if len(viol) else 0
        loop.record(phase, viol, added, solve_s, objective=lp.objective)
        if not added:
            break
        lp.add_pulp_rows(prot.take_new_rows())  # the live LP grows; the next run starts warm
    return x, viol


def _integral(m: Model, x: np.ndarray) -> np.ndarray:
    """Round integer decisions like ``extract`` does, so the check sees the plan's capacity."""
    x = x.copy()
    ints = np.array([v.cat == pulp.LpInteger for v in m.columns])
    x[ints] = np.rint(x[ints])
    return x


def plan_survivable(
    inputs: Inputs,
    demand: pd.DataFrame,
    scenario: Scenario,
    full: bool = False,
    *,
    method: str = "cuts",
    formulation: str = "path",
    objective: str | None = None,
    marginals: bool = True,
    tol_gbps: float = DEFAULT_TOL_GBPS,
    max_lp_rounds: int = MAX_LP_ROUNDS,
    max_mip_rounds: int = MAX_MIP_ROUNDS,
    hook: Callable[[Model], None] | None = None,
    log_fn: Callable[[str], None] | None = None,
    start: Plan | pd.DataFrame | None = None,
) -> Plan:
    """Plan so that the protected share survives every single failure of the scenario's mode.

    Same inputs and result as :func:`planner.optimize.plan`; ``summary["survivability"]``
    records ``mode, rounds, states_added, states_total, seconds`` and the round log.
    ``full=True`` puts every state's re-routing flows in the model at once (comparison).
    With ``scenario.survivability == "none"`` this is a plain plan. ``start``: an earlier
    plan (or its upgrades) offered as the MIP start of every round, as in ``plan``.
    """
    if method not in METHODS:
        raise ValueError(f"method: got {method!r}, expected one of {METHODS}")
    say = log_fn or log.info
    t0 = time.perf_counter()
    m = build_model(inputs, demand, scenario, formulation=formulation, objective=objective)
    if hook is not None:
        hook(m)
    cfg = scenario.solver
    ups = start.upgrades if isinstance(start, Plan) else start

    def finish(res) -> Plan:
        marg = marginal_values(m, cfg.time_limit_s, cfg.threads) if marginals else None
        return extract(m, res, marg)

    if scenario.survivability == "none":
        return finish(solve(m, cfg, scenario.seed, ups))
    states = failure_states(model_edges(m), scenario.survivability)
    prot = Protection(m, states)
    loop = _Loop(m, prot, tol_gbps, say)
    x_lp = None
    if full:
        method = "flows"
        for s in states:
            prot.add_flow_state(s.state_id)
    elif method == "cuts":
        x_lp, _ = _lp_phase(loop, max_lp_rounds)
    # cuts only add rows: one live MIP across rounds (flows add columns: rebuilt per round)
    warm = WarmRounds(m, prot, ups, x_lp) if method == "cuts" else None

    def solve_round():
        return warm.solve() if warm is not None else solve(m, cfg, scenario.seed, ups)

    res, x, viol, mip_rounds, solve_s = _mip_rounds(
        loop, solve_round, warm, method, 1 if full else max_mip_rounds
    )
    repaired = False
    if len(viol):
        x, viol, repaired = _repair(loop, x, viol)
    p = finish(res)
    p.summary["survivability"] = _summary(
        loop, x, viol, method=method, full=full, mip_rounds=mip_rounds, solve_s=solve_s,
        repaired=repaired, n_states=len(states), t0=t0,
    )  # fmt: skip
    prot_term = m.objective_terms["protection"]
    p.summary["objective_protection_usd"] = float(
        sum(v.varValue * c for v, c in prot_term.items() if v.varValue is not None)
        + prot_term.constant
    )
    _warn(p, loop, viol, mip_rounds)
    return p


def _mip_rounds(
    loop: _Loop,
    solve_round: Callable,
    warm: WarmRounds | None,
    method: str,
    max_rounds: int,
) -> tuple:
    """MIP rounds until the plan survives every state or ``max_rounds`` is reached.

    Returns the last solve result, its integral columns, the violations still open, the
    number of rounds and their solve seconds.
    """
    m = loop.m
    solve_s = 0.0
    mip_rounds = 0
    while True:
        t = time.perf_counter()
        res = solve_round()
        solve_s += time.perf_counter() - t
        mip_rounds += 1
        x = _integral(m, np.array([0.0 if v.varValue is None else v.varValue for v in m.columns]))
        chk = loop.check(x)
        viol = loop.violated(chk, x)
        last_round = mip_rounds >= max_rounds
        added = loop.add(viol, chk, method, "mip") if len(viol) and not last_round else 0
        loop.record(
            "mip",
            viol,
            added,
            res.solve_seconds,
            solver_status=res.solver_status,
            mip_gap=res.mip_gap,
            protected_gap=warm.gaps[-1] if warm is not None else None,
            capex_usd=_capex(m, x),
        )
        if not added:
            return res, x, viol, mip_rounds, solve_s


def _repair(
    loop: _Loop, x: np.ndarray, viol: pd.DataFrame
) -> tuple[np.ndarray, pd.DataFrame, bool]:
    """The round cap was hit: keep the purchases, lower the claimed protection to what they
    really carry through every state (an honest plan rather than a silent claim)."""
    xr, vr = _lp_phase(loop, MAX_REPAIR_ROUNDS, fixed=x, phase="repair")
    if xr is None:
        return x, viol, False
    for v, val in zip(loop.m.columns, xr, strict=True):
        v.varValue = float(val)
    return xr, vr, True


def _summary(
    loop: _Loop, x: np.ndarray, viol: pd.DataFrame, *, method: str, full: bool,
    mip_rounds: int, solve_s: float, repaired: bool, n_states: int, t0: float,
) -> dict:  # fmt: skip
    """``summary["survivability"]``: how the loop went and what stays unprotected."""
    prot, scenario = loop.prot, loop.m.scenario
    a = prot.protected(x)
    d = prot.protected_matrix()
    last = (d["year"] == scenario.years[-1]).to_numpy()
    protected = float(d.loc[last, "protected_gbps"].sum())
    states_with_rows = sorted(prot.cut_states | set(prot.flow_states))
    return {
        "mode": scenario.survivability,
        "method": method,
        "full_model": bool(full),
        "rounds": len(loop.log),
        "lp_rounds": sum(r["phase"] == "lp" for r in loop.log),
        "mip_rounds": mip_rounds,
        "states_added": len([x_ for x_ in states_with_rows if x_ != "none"]),
        "states_total": n_states,
        "cuts_added": prot.cut_count,
        "flow_states_added": len(prot.flow_states),
        "flow_state_years_added": len(prot.flow_blocks),
        "seconds": round(time.perf_counter() - t0, 3),
        "mip_solve_seconds": round(solve_s, 3),
        "check_seconds": round(loop.check_seconds, 3),
        "converged": not len(viol),
        "repaired": repaired,
        "tolerance_gbps": loop.tol,
        "protection_penalty_usd_per_gbps": prot.penalty,
        "protected_gbps_final_year": protected,
        "unprotected_gbps_final_year": protected - float(a[last].sum()),
        "unprotected_gbps_by_year": {
            str(y): float(
                d.loc[(d["year"] == y).to_numpy(), "protected_gbps"].sum()
                - a[(d["year"] == y).to_numpy()].sum()
            )
            for y in scenario.years
        },
        "n_state_years_violated_final": int(len(viol)),
        "state_years_violated_final": viol.head(SUMMARY_LIST_MAX).to_dict("records"),
        "unprotectable": prot.unprotectable[:SUMMARY_LIST_MAX],
        "n_unprotectable": len(prot.unprotectable),
        "latency_exceeded_under_failure": prot.latency_exceeded[:SUMMARY_LIST_MAX],
        "n_latency_exceeded_under_failure": len(prot.latency_exceeded),
        "states_with_rows": states_with_rows[:SUMMARY_LIST_MAX],
        "round_log": loop.log,
    }


def _warn(p: Plan, loop: _Loop, viol: pd.DataFrame, mip_rounds: int) -> None:
    """Warnings a planner must read: claimed protection the check refutes, or unprotected Gbps."""
    s, prot, years = p.summary["survivability"], loop.prot, loop.m.scenario.years
    if len(viol):
        w = viol.sort_values("lost_gbps", ascending=False).iloc[0]
        p.summary.setdefault("warnings", []).append(
            f"survivability: {len(viol)} state-years still lose protected Gbps the plan claims "
            f"(worst {w['state_id']} in {int(w['year'])}: {w['lost_gbps']:,.1f} Gbps) after "
            f"{mip_rounds} MIP rounds; raise the round cap or the time limit"
        )
    if s["unprotected_gbps_final_year"] > loop.tol:
        p.summary.setdefault("warnings", []).append(
            f"survivability: {s['unprotected_gbps_final_year']:,.1f} of "
            f"{s['protected_gbps_final_year']:,.1f} protected Gbps in {years[-1]} are not "
            f"protected (budget, or cuts that disconnect pairs: {len(prot.unprotectable)} "
            "pair-years)"
        )


def _capex(m: Model, x: np.ndarray) -> float:
    up, bl = m.sets.upgrades, m.sets.builds
    return float(
        x[up["col"].to_numpy(int)] @ up["unit_capex_usd"].to_numpy(float)
        + x[bl["col"].to_numpy(int)] @ bl["capex_usd"].to_numpy(float)
    )
