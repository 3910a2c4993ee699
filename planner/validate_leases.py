"""Cross-table rules of lease offers and committed upgrades (issue 18), one line per problem.

Why a module of its own: the single-column rules (types, ranges) come from the specs in
:mod:`planner.schema` like every table's; what is checked here needs other tables: the
corridor a lease serves, the option a commitment names, unit caps and spare pairs. The
horizon (is a commitment's year planned at all?) needs the scenario and is checked when the
model is built (:mod:`planner.optimize.leases`).
"""

from __future__ import annotations

import pandas as pd

from planner.errors import Problem

LINE = "_line"


def _p(path: str, r: pd.Series, column: str, msg: str) -> Problem:
    return Problem(path, msg, row=int(r[LINE]), column=column)


def check_leases(leases: pd.DataFrame, path: str, typed: dict[str, pd.DataFrame]) -> list[Problem]:
    """Each lease names a known corridor and an id no upgrade option uses."""
    out: list[Problem] = []
    corridors = set(typed["corridors"]["corridor_id"]) if "corridors" in typed else None
    opts = set(typed["upgrade_options"]["option_id"]) if "upgrade_options" in typed else set()
    for _, r in leases.iterrows():
        cid = r["corridor_id"]
        if corridors is not None and isinstance(cid, str) and cid and cid not in corridors:
            out.append(
                _p(
                    path,
                    r,
                    "corridor_id",
                    f"unknown corridor (got {cid!r}, expected an id from corridors.csv; carriers "
                    "lease on existing corridors, not on candidate routes)",
                )
            )
        if r["lease_id"] in opts:
            out.append(
                _p(
                    path,
                    r,
                    "lease_id",
                    f"{r['lease_id']!r} is also an option_id in upgrade_options.csv (expected "
                    "distinct ids, so committed_upgrades.csv can name either)",
                )
            )
    return out


def _lease_problem(r: pd.Series, lease: pd.Series, path: str) -> Problem | None:
    cid = lease["corridor_id"]
    if isinstance(cid, str) and cid and cid != r["corridor_id"]:
        return _p(path, r, "corridor_id", f"lease {r['option_id']!r} is offered on {cid!r} only")
    if r["units"] > lease["max_units"]:
        return _p(
            path,
            r,
            "units",
            f"got {r['units']}, expected <= the lease's max_units {lease['max_units']}",
        )
    term = r["term_years"]
    if not pd.isna(term) and term < lease["min_term_years"]:
        return _p(
            path,
            r,
            "term_years",
            f"got {term}, expected >= the lease's min_term_years {lease['min_term_years']}",
        )
    return None


def _option_problem(r: pd.Series, opt: pd.Series, path: str, routes: set, cors: pd.DataFrame):
    cid, kind = r["corridor_id"], opt["kind"]
    only = opt["corridor_id"]
    if isinstance(only, str) and only and only != cid:
        return _p(path, r, "option_id", f"option {r['option_id']!r} applies to {only!r} only")
    if not pd.isna(r["term_years"]):
        return _p(path, r, "term_years", "only leases have a term (expected blank)")
    if kind == "new_build":
        if cid not in routes:
            return _p(path, r, "corridor_id", f"a new_build needs a candidate route, got {cid!r}")
        if r["units"] != 1:
            return _p(path, r, "units", f"a route is built once (got {r['units']}, expected 1)")
        return None
    if r["units"] > opt["max_units_per_corridor"]:
        return _p(
            path,
            r,
            "units",
            f"got {r['units']}, expected <= max_units_per_corridor "
            f"{opt['max_units_per_corridor']} of {r['option_id']!r}",
        )
    if kind == "fiber_pair" and cid in cors.index and r["units"] > cors.at[cid, "spare"]:
        return _p(
            path,
            r,
            "units",
            f"got {r['units']} fiber pairs, expected <= spare_fiber_pairs "
            f"{cors.at[cid, 'spare']} of {cid!r}",
        )
    return None


def check_committed(com: pd.DataFrame, path: str, typed: dict[str, pd.DataFrame]) -> list[Problem]:
    """Each commitment names a known corridor and an option or lease that applies to it."""
    if not len(com) or not {"corridors", "upgrade_options", "lease_options"} <= set(typed):
        return []
    cors = typed["corridors"].set_index("corridor_id")
    cors = cors.assign(spare=cors["spare_fiber_pairs"])
    routes = set(typed["candidate_routes"]["route_id"]) if "candidate_routes" in typed else set()
    opts = typed["upgrade_options"].set_index("option_id")
    leases = typed["lease_options"].set_index("lease_id")
    out: list[Problem] = []
    for _, r in com.iterrows():
        cid, oid = r["corridor_id"], r["option_id"]
        if cid not in cors.index and cid not in routes:
            out.append(
                _p(
                    path,
                    r,
                    "corridor_id",
                    f"unknown corridor (got {cid!r}, expected an id from corridors.csv or "
                    "candidate_routes.csv)",
                )
            )
            continue
        if oid in leases.index:
            prob = _lease_problem(r, leases.loc[oid], path)
        elif oid in opts.index:
            prob = _option_problem(r, opts.loc[oid], path, routes, cors)
        else:
            prob = _p(
                path,
                r,
                "option_id",
                f"unknown option (got {oid!r}, expected an option_id of upgrade_options.csv "
                "or a lease_id of lease_options.csv)",
            )
        if prob is not None:
            out.append(prob)
    return out
