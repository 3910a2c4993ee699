"""Pure table transforms behind the figures (no files, no matplotlib).

Why separate: the numbers a planner reads off a chart (peak utilisation, growth ranking, key
numbers on the title page) are tested here as plain DataFrame arithmetic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.plan_schema import PlanSummary

NAN = float("nan")
EPS_GBPS = 1e-3  # below this an amount of traffic is numerical noise, not "unserved"


def pair_label(a: str, b: str) -> str:
    return f"{a}\u2013{b}"


def year_span(years: list[int], empty: str = "the horizon") -> str:
    """``2027\u20132031``, or ``2026`` for a one-year plan (SNDlib imports: "2026\u20132026")."""
    if not years:
        return empty
    return str(years[0]) if years[0] == years[-1] else f"{years[0]}\u2013{years[-1]}"


def corridor_label(corridor_id: str, a: str, b: str) -> str:
    """``C7 DFW\u2013PHX``, or just the id when it already names both ends (``DFW-PHX``)."""
    cid = str(corridor_id)
    return cid if (a in cid and b in cid) else f"{cid} {pair_label(a, b)}"


def corridor_summary(
    corridors: pd.DataFrame, capacity: pd.DataFrame, upgrades: pd.DataFrame
) -> pd.DataFrame:
    """One row per corridor: installed and final capacity, peak utilisation, what was bought.

    ``final_capacity_gbps`` is the capacity in the last planning year; ``peak_utilization`` the
    highest flow / capacity over the horizon (NaN where the corridor never had capacity).
    """
    out = corridors[
        ["corridor_id", "site_a", "site_b", "installed_capacity_gbps", "candidate"]
    ].copy()
    if len(capacity):
        last_year = capacity["year"].max()
        final = capacity[capacity["year"] == last_year].groupby("corridor_id")["capacity_gbps"]
        out["final_capacity_gbps"] = out["corridor_id"].map(final.max())
        cap = capacity[capacity["capacity_gbps"] > 0]
        util = cap["utilization"].where(
            cap["utilization"].notna(), cap["flow_gbps"] / cap["capacity_gbps"]
        )
        cap = cap.assign(_u=util)
        idx = cap.groupby("corridor_id")["_u"].idxmax()
        peak = cap.loc[idx.dropna()].set_index("corridor_id")
        out["peak_utilization"] = out["corridor_id"].map(peak["_u"])
        out["peak_year"] = out["corridor_id"].map(peak["year"])
        out["final_flow_gbps"] = out["corridor_id"].map(
            capacity[capacity["year"] == last_year].groupby("corridor_id")["flow_gbps"].sum()
        )
    else:
        out["final_capacity_gbps"] = np.nan
        out["peak_utilization"] = np.nan
        out["peak_year"] = np.nan
        out["final_flow_gbps"] = np.nan
    # a corridor missing from the capacity table keeps what is installed
    out["final_capacity_gbps"] = out["final_capacity_gbps"].fillna(
        out["installed_capacity_gbps"].where(~out["candidate"], 0.0)
    )
    bought = upgrades.groupby("corridor_id").agg(
        added_gbps=("added_gbps", "sum"), capex_usd=("capex_usd", "sum")
    )
    out["added_gbps"] = out["corridor_id"].map(bought["added_gbps"]).fillna(0.0)
    out["capex_usd"] = out["corridor_id"].map(bought["capex_usd"]).fillna(0.0)
    out["upgraded"] = out["corridor_id"].isin(set(upgrades["corridor_id"]))
    num = [
        "installed_capacity_gbps",
        "final_capacity_gbps",
        "peak_utilization",
        "peak_year",
        "final_flow_gbps",
        "added_gbps",
        "capex_usd",
    ]
    out[num] = out[num].astype(float)  # empty inputs arrive as object columns
    return out.reset_index(drop=True)


def utilization_matrices(
    capacity: pd.DataFrame, corridors: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Corridor x year utilisation before and after the plan.

    *After* is the plan's flow / planned capacity. *Before* puts the same routed flow on the
    capacity installed today: above 100 % means the corridor could not carry its traffic
    without the upgrades. Candidate routes have no capacity before the plan (NaN).
    """
    if capacity.empty:
        empty = pd.DataFrame(dtype=float)
        return empty, empty
    cap = capacity.copy()
    after_v = np.where(cap["capacity_gbps"] > 0, cap["flow_gbps"] / cap["capacity_gbps"], np.nan)
    cap["after"] = cap["utilization"].where(cap["utilization"].notna(), after_v)
    cap.loc[cap["capacity_gbps"] <= 0, "after"] = np.nan
    installed = corridors.set_index("corridor_id")["installed_capacity_gbps"]
    inst = cap["corridor_id"].map(installed).astype(float)
    cap["before"] = np.where(inst > 0, cap["flow_gbps"] / inst.where(inst > 0, np.nan), np.nan)
    # every corridor of the table, also one without capacity in any year (n/a cells): the
    # heatmap's pages are counted on them (pivot_table dropped all-NaN rows, so an SNDlib
    # import, nothing installed and some corridors unused, got an empty last page)
    kw = {"index": "corridor_id", "columns": "year", "aggfunc": "max", "dropna": False}
    before = cap.pivot_table(values="before", **kw)
    after = cap.pivot_table(values="after", **kw)
    after = after.reindex(index=before.index.union(after.index))
    before = before.reindex(index=after.index, columns=after.columns)
    return before, after


def history_total(history: pd.DataFrame) -> pd.Series:
    """Sum over pairs of the monthly P95 (Gbps), indexed by month start."""
    if history.empty:
        return pd.Series(dtype=float)
    h = history.assign(month=pd.to_datetime(history["month"]))
    return h.groupby("month")["p95_gbps"].sum().sort_index()


def forecast_total(forecast: pd.DataFrame) -> pd.DataFrame:
    """Sum over pairs of each forecast column per year (a sum of quantiles: conservative)."""
    cols = [c for c in ("mean_gbps", "p50_gbps", "p90_gbps", "p95_gbps") if c in forecast]
    return forecast.groupby("year")[cols].sum().sort_index()


def year_end(year: int | float) -> pd.Timestamp:
    """Forecast values are the demand at the end of the year: plot them at December."""
    return pd.Timestamp(year=int(year), month=12, day=1)


def top_growth_pairs(history: pd.DataFrame, forecast: pd.DataFrame, n: int = 9) -> pd.DataFrame:
    """Pairs ranked by absolute growth: final-year P50 minus the last observed month (Gbps).

    Absolute, not relative: a planner buys Gbps, and +300 % on a 10 Gbps pair matters less than
    +40 % on a 5 Tbps one. Pairs without history (new AI sites) count from zero.
    """
    if forecast is None or forecast.empty:
        return pd.DataFrame(
            columns=["site_a", "site_b", "last_gbps", "final_p50_gbps", "growth_gbps", "model"]
        )
    final_year = forecast["year"].max()
    fin = forecast[forecast["year"] == final_year].set_index(["site_a", "site_b"])
    if history.empty:
        last = pd.Series(0.0, index=fin.index)
    else:
        h = history.assign(month=pd.to_datetime(history["month"])).sort_values("month")
        last = h.groupby(["site_a", "site_b"])["p95_gbps"].last()
    out = pd.DataFrame(
        {
            "final_p50_gbps": fin["p50_gbps"],
            "model": fin.get("model", ""),
        }
    )
    out["last_gbps"] = last.reindex(out.index).fillna(0.0)
    out["growth_gbps"] = out["final_p50_gbps"] - out["last_gbps"]
    out = out.reset_index().sort_values(
        ["growth_gbps", "site_a", "site_b"], ascending=[False, True, True]
    )
    return out.head(n)[["site_a", "site_b", "last_gbps", "final_p50_gbps", "growth_gbps", "model"]]


def schedule_table(upgrades: pd.DataFrame, corridors: pd.DataFrame) -> pd.DataFrame:
    """The upgrade schedule as a planner reads it: by purchase year, then corridor."""
    if upgrades.empty:
        return pd.DataFrame(
            columns=[
                "year",
                "in_service_year",
                "corridor_id",
                "route",
                "option_id",
                "kind",
                "units",
                "added_gbps",
                "capex_usd",
                "cumulative_capex_usd",
            ]
        )
    geo = corridors.set_index("corridor_id")
    u = upgrades.copy()
    u["route"] = [
        pair_label(geo.at[c, "site_a"], geo.at[c, "site_b"]) if c in geo.index else ""
        for c in u["corridor_id"]
    ]
    if "in_service_year" not in u:
        u["in_service_year"] = u["year"]
    u = u.sort_values(["year", "corridor_id", "option_id"], kind="mergesort")
    u["cumulative_capex_usd"] = u["capex_usd"].cumsum()
    return u[
        [
            "year",
            "in_service_year",
            "corridor_id",
            "route",
            "option_id",
            "kind",
            "units",
            "added_gbps",
            "capex_usd",
            "cumulative_capex_usd",
        ]
    ].reset_index(drop=True)


def site_ai_mw(ai_buildout: pd.DataFrame, sites: pd.DataFrame, year: int) -> pd.Series:
    """AI IT load online at each site in ``year`` (latest value at or before it; 0 if none)."""
    b = ai_buildout[ai_buildout["year"] <= year].sort_values("year")
    mw = b.groupby("site_id")["ai_it_mw"].last()
    return sites["site_id"].map(mw).fillna(0.0).astype(float).set_axis(sites["site_id"])


def unserved_totals(unserved: pd.DataFrame) -> pd.DataFrame:
    """Demand, served and unserved Gbps per year."""
    if unserved.empty:
        return pd.DataFrame(columns=["demand_gbps", "served_gbps", "unserved_gbps"])
    return unserved.groupby("year")[["demand_gbps", "served_gbps", "unserved_gbps"]].sum()


def key_numbers(summary: dict, unserved: pd.DataFrame, upgrades: pd.DataFrame) -> dict:
    """Title-page numbers, from summary.json where present, else recomputed from the tables."""
    tot = unserved_totals(unserved)
    demand = float(tot["demand_gbps"].sum()) if len(tot) else 0.0
    served = float(tot["served_gbps"].sum()) if len(tot) else 0.0
    final = tot.iloc[-1] if len(tot) else None
    sm = PlanSummary.read(summary)
    capex, frac, unserved_final = (
        sm.capex_usd_total,
        sm.served_fraction,
        sm.unserved_gbps_final_year,
    )
    return {
        "capex_usd_total": float(capex if capex is not None else upgrades["capex_usd"].sum()),
        # min-cost ignores the scenario's budget: no "x % of the budget" for it
        "budget_usd_total": _num(sm.budget_usd_total) if sm.budget_applied is not False else NAN,
        "served_fraction": float(frac)
        if frac is not None
        else (served / demand if demand > 0 else 1.0),
        "unserved_gbps_final_year": float(unserved_final)
        if unserved_final is not None
        else (float(final["unserved_gbps"]) if final is not None else 0.0),
        "demand_gbps_final_year": _num(sm.demand_gbps_final_year)
        if sm.demand_gbps_final_year is not None
        else (float(final["demand_gbps"]) if final is not None else float("nan")),
        "solver": str(sm.solver or "n/a"),
        "solver_status": str(sm.solver_status or "n/a"),
        "mip_gap": _num(sm.mip_gap),
        "served_gap": _num(sm.served_gap),
        # which plans the gap is proven against (path models: the paths considered)
        "bound_scope": str(sm.bound_scope or ""),
        "all_paths_gap": _num(sm.all_paths_gap),
        "path_pricing_converged": sm.path_pricing_converged,
        "served_gap_all_paths": _num(sm.served_gap_all_paths),
        "solve_seconds": _num(sm.solve_seconds),
        "objective_mode": str(sm.objective_mode or ""),
        "n_upgrades": int(len(upgrades)),
        "n_corridors_upgraded": int(upgrades["corridor_id"].nunique()) if len(upgrades) else 0,
        "added_gbps": float(upgrades["added_gbps"].sum()) if len(upgrades) else 0.0,
    }


def _num(v: object) -> float:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def capex_rows(upgrades: pd.DataFrame, leases: pd.DataFrame | None) -> pd.DataFrame:
    """Every CapEx line of the plan: purchases plus lease upfront (IRU) fees.

    Why: the model counts a lease's upfront fee as CapEx (budget and ``capex_usd_total``), so
    a CapEx page drawn from ``upgrades.csv`` alone showed less than the plan spends.
    """
    if leases is None or not len(leases) or "upfront_usd" not in leases:
        return upgrades
    fee = leases[leases["upfront_usd"] > 0]
    if not len(fee):
        return upgrades
    extra = pd.DataFrame(
        {
            "corridor_id": fee["corridor_id"],
            "option_id": fee["lease_id"],
            "kind": "Lease upfront",
            "year": fee["year"],
            "in_service_year": fee["in_service_year"],
            "units": fee["units"],
            "added_gbps": fee["added_gbps"],
            "capex_usd": fee["upfront_usd"],
        }
    )
    return pd.concat([upgrades, extra], ignore_index=True)
