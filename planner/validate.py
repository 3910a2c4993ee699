"""Checks on raw input tables: every problem found, one clear line each.

Why raw strings in: type errors must be reported with the file's own row number and the text
the user wrote ("got 'abc', expected a number"), which is lost once pandas has coerced a column.
Each ``check_*`` function takes the raw frame (all ``str``, a ``_line`` column with the file line)
and returns a list of :class:`Problem`; :func:`validate_tables` runs them all and returns typed
frames only when nothing is wrong.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem, implausible
from planner.schema import (
    HISTORY_FIRST_MONTH,
    MIN_HISTORY_MONTHS,
    TABLES,
    Column,
    Table,
)
from planner.tables import Inputs
from planner.validate_leases import check_committed, check_leases
from planner.validate_network import check_corridor_capacity, check_route_lengths, sites_missing

LINE = "_line"
#: how many problems of one kind in one column to list before summarising (keeps output readable)
MAX_PER_COLUMN = 20


def _shown(v: object) -> str:
    s = str(v)
    return repr(s if len(s) <= 40 else s[:37] + "...")


def check_columns(df: pd.DataFrame, table: Table, path: str) -> list[Problem]:
    """Missing required columns and unknown columns (typos) are both errors."""
    cols = [c for c in df.columns if c != LINE]
    known = set(table.names)
    out = []
    for c in table.columns:
        if c.required and c.name not in cols:
            out.append(
                Problem(
                    path,
                    f"missing required column (expected columns: {', '.join(table.names)})",
                    row=1,
                    column=c.name,
                )
            )
    for c in cols:
        if c not in known:
            out.append(
                Problem(
                    path,
                    f"unknown column (got {_shown(c)}, expected one of: {', '.join(table.names)})",
                    row=1,
                    column=str(c),
                )
            )
    if len(cols) != len(set(cols)):
        dup = sorted({c for c in cols if cols.count(c) > 1})
        out.append(Problem(path, f"duplicated column names {dup}", row=1))
    return out


def _parse_column(raw: pd.Series, col: Column) -> tuple[pd.Series, pd.Series]:
    """Parse one column; return (values, bad-mask) where bad rows are non-blank unparseable."""
    s = raw.astype(object).fillna("").astype(str).str.strip()  # plan tables come typed
    blank = s == ""
    if col.dtype == "str":
        return s.where(~blank, None), pd.Series(False, index=s.index)
    if col.dtype == "month":
        vals = pd.to_datetime(s.where(~blank), format="%Y-%m", errors="coerce")
        return vals, vals.isna() & ~blank
    num = pd.to_numeric(s.where(~blank), errors="coerce").astype(float)
    bad = (num.isna() | ~np.isfinite(num.fillna(0))) & ~blank
    if col.dtype == "int":
        bad |= num.notna() & (num != np.round(num))
    return num, bad


def check_types(df: pd.DataFrame, table: Table, path: str) -> list[Problem]:
    """Numbers where a table written by the planner (a plan folder) says numbers.

    Why only types: a plan folder is re-read (verify, report, ``--plan-of-record``) and may
    have been edited by hand; a word in ``units`` must be a line naming the cell, not a
    traceback, while blanks and ranges stay the job of the stage that reads the values.
    Rows are file lines (header = line 1).
    """
    out: list[Problem] = []
    expected = {"int": "an integer", "float": "a number"}
    for col in table.columns:
        if col.dtype not in expected or col.name not in df.columns:
            continue
        _vals, bad = _parse_column(df[col.name], col)
        for i in np.flatnonzero(bad.to_numpy())[:MAX_PER_COLUMN]:
            got = _shown(str(df[col.name].iloc[i]).strip())
            msg = f"got {got}, expected {expected[col.dtype]}"
            out.append(Problem(path, msg, row=int(i) + 2, column=col.name))
    return out


def check_values(df: pd.DataFrame, table: Table, path: str) -> tuple[dict, list[Problem]]:
    """Types, blanks, ranges and choices, column by column; returns parsed columns too."""
    parsed: dict[str, pd.Series] = {}
    out: list[Problem] = []
    expected = {"int": "an integer", "float": "a number", "month": "a month YYYY-MM", "str": "text"}
    for col in table.columns:
        if col.name not in df.columns:
            continue
        vals, bad = _parse_column(df[col.name], col)
        raw = df[col.name].fillna("").astype(str).str.strip()
        blank = raw == ""
        msgs: list[tuple[int, str]] = []
        for i in df.index[bad]:
            msgs.append((i, f"not {expected[col.dtype]} (got {_shown(raw[i])})"))
        if not col.nullable and col.default is None:
            for i in df.index[blank]:
                msgs.append((i, f"missing value (expected {expected[col.dtype]})"))
        ok = ~bad & ~blank
        if col.dtype in ("int", "float") and ok.any():
            v = vals[ok]
            if col.min is not None:
                low = v <= col.min if col.strict else v < col.min
                rel = ">" if col.strict else ">="
                for i in v.index[low]:
                    msgs.append((i, f"out of range (got {raw[i]}, expected {rel} {col.min:g})"))
            if col.max is not None:
                for i in v.index[v > col.max]:
                    msgs.append((i, f"out of range (got {raw[i]}, expected <= {col.max:g})"))
            if col.plausible_max is not None:
                hard = col.max if col.max is not None else np.inf
                for i in v.index[(v > col.plausible_max) & (v <= hard)]:
                    p = implausible(
                        Problem(
                            path,
                            f"implausibly large (got {raw[i]}, expected <= "
                            f"{col.plausible_max:g} {col.unit}: a unit slip?)",
                            row=int(df.at[i, LINE]),
                            column=col.name,
                        )
                    )
                    if p is not None:
                        msgs.append((i, p.message))
        if col.choices and ok.any():
            v = vals[ok]
            for i in v.index[~v.isin(col.choices)]:
                msgs.append(
                    (
                        i,
                        f"unknown value (got {_shown(raw[i])}, expected one of "
                        f"{' | '.join(col.choices)})",
                    )
                )
        msgs.sort()
        for i, m in msgs[:MAX_PER_COLUMN]:
            out.append(Problem(path, m, row=int(df.at[i, LINE]), column=col.name))
        if len(msgs) > MAX_PER_COLUMN:
            out.append(
                Problem(
                    path,
                    f"... and {len(msgs) - MAX_PER_COLUMN} more problems in this column",
                    column=col.name,
                )
            )
        if col.default is not None:
            vals = vals.where(~blank, col.default)
        parsed[col.name] = vals
    return parsed, out


def check_self_loops(df: pd.DataFrame, table: Table, path: str) -> list[Problem]:
    if table.pair is None or not set(table.pair) <= set(df.columns):
        return []
    a, b = table.pair
    loop = (df[a].astype(str).str.strip() == df[b].astype(str).str.strip()) & (df[a] != "")
    return [
        Problem(
            path,
            f"self-loop: both ends are {_shown(df.at[i, a])} (expected two different sites)",
            row=int(df.at[i, LINE]),
            column=b,
        )
        for i in df.index[loop]
    ]


def check_site_refs(df: pd.DataFrame, table: Table, path: str, site_ids: set[str]) -> list[Problem]:
    out = []
    for c in table.site_refs:
        if c not in df.columns:
            continue
        s = df[c].astype(str).str.strip()
        unknown = (s != "") & ~s.isin(site_ids)
        msgs = [
            Problem(
                path,
                f"unknown site id (got {_shown(s[i])}, expected an id from sites.csv)",
                row=int(df.at[i, LINE]),
                column=c,
            )
            for i in df.index[unknown]
        ]
        out += msgs[:MAX_PER_COLUMN]
        if len(msgs) > MAX_PER_COLUMN:
            out.append(
                Problem(
                    path, f"... and {len(msgs) - MAX_PER_COLUMN} more unknown site ids", column=c
                )
            )
    return out


def _duplicates(df: pd.DataFrame, k: pd.DataFrame, path: str, what: str) -> list[Problem]:
    """One problem per repeated key row, pointing at the line of its first occurrence."""
    key = list(k.columns)
    # vectorised: a row-wise apply took seconds on 100k history rows (issue 14 scale runs)
    cols = [k[c].to_numpy() for c in key]
    tup = pd.Series(list(zip(*cols, strict=True)), index=k.index, dtype=object)
    dup = k.duplicated(keep="first")
    if not dup.any():
        return []
    first_line = dict(zip(tup[~dup], df.loc[~dup, LINE], strict=True))
    msgs = [
        Problem(
            path,
            f"duplicate {what} {'/'.join(tup[i])} (first at line "
            f"{int(first_line[tup[i]])}; expected each once)",
            row=int(df.at[i, LINE]),
            column=key[-1],
        )
        for i in df.index[dup]
    ]
    if len(msgs) > MAX_PER_COLUMN:
        msgs = msgs[:MAX_PER_COLUMN] + [
            Problem(path, f"... and {len(msgs) - MAX_PER_COLUMN} more duplicates")
        ]
    return msgs


def check_unique(df: pd.DataFrame, table: Table, path: str) -> list[Problem]:
    """Duplicate keys; for pair tables the pair is unordered (A-B equals B-A)."""
    key = list(table.key)
    if not key or not set(key) <= set(df.columns):
        return []
    k = df[key].astype(str).apply(lambda s: s.str.strip())
    if not (table.pair and set(table.pair) <= set(df.columns)):
        return _duplicates(df, k, path, "id")
    a, b = table.pair
    pairs = df[[a, b]].astype(str).apply(lambda s: s.str.strip())
    x, y = pairs[a].to_numpy(), pairs[b].to_numpy()
    lo, hi = np.where(x <= y, x, y), np.where(x <= y, y, x)  # element-wise, not row by row
    pairs[a], pairs[b] = lo, hi
    if a in key:  # demand history: (pair, month) is the key
        k[a], k[b] = lo, hi
        return _duplicates(df, k, path, "pair/month")
    # corridors and candidate routes: one id each, and each site pair listed once
    return _duplicates(df, k, path, "id") + _duplicates(df, pairs, path, "site pair")


def check_options(
    opts: pd.DataFrame,
    path: str,
    corridor_ids: set[str],
    has_candidates: bool,
    candidates: pd.DataFrame,
) -> list[Problem]:
    """Cross-field rules of upgrade options that single columns cannot express."""
    out = []
    for _, r in opts.iterrows():
        if r["kind"] in ("wave", "new_build") and not (r["capacity_gbps"] > 0):
            out.append(
                Problem(
                    path,
                    f"a {r['kind']} option must add capacity (got "
                    f"{r['capacity_gbps']:g}, expected > 0)",
                    row=int(r[LINE]),
                    column="capacity_gbps",
                )
            )
        cid = r.get("corridor_id")
        if isinstance(cid, str) and cid and cid not in corridor_ids:
            out.append(
                Problem(
                    path,
                    f"unknown corridor (got {_shown(cid)}, expected an id from "
                    f"corridors.csv or candidate_routes.csv)",
                    row=int(r[LINE]),
                    column="corridor_id",
                )
            )
    if has_candidates and not (opts["kind"] == "new_build").any():
        need = candidates["build_capex_usd"].isna() | candidates["lead_time_years"].isna()
        if need.any():
            out.append(
                Problem(
                    path,
                    "candidate routes with a blank build_capex_usd or "
                    "lead_time_years need a new_build option (none found)",
                    column="kind",
                )
            )
    return out


def _finish(table: Table, df: pd.DataFrame, parsed: dict[str, pd.Series]) -> pd.DataFrame:
    """Typed frame in schema order with canonical pairs; ``_line`` kept for later messages."""
    cols = {}
    for c in table.columns:
        if c.name in parsed:
            s = parsed[c.name]
        else:
            s = pd.Series([c.default] * len(df), index=df.index, dtype=object)
        if c.dtype == "int":
            s = s.astype("Int64") if c.nullable else s.astype("int64")
        elif c.dtype == "float":
            s = s.astype(float)
        elif c.dtype == "str" and not c.nullable:
            s = s.astype(str)
        elif c.dtype == "str":  # blank optional text is None, whatever pandas' string dtype
            s = s.astype(object).where(s.notna(), None)
        cols[c.name] = s
    out = pd.DataFrame(cols, index=df.index)
    if table.pair:
        a, b = table.pair
        lo = np.where(out[a] <= out[b], out[a], out[b])
        hi = np.where(out[a] <= out[b], out[b], out[a])
        out[a], out[b] = lo, hi
    out[LINE] = df[LINE].astype(int)
    return out.reset_index(drop=True)


#: tables that must have rows: without them there is nothing to plan (or nothing to plan with)
MIN_ROWS = {
    "sites": (2, "sites"),
    "corridors": (1, "corridor"),
    "upgrade_options": (1, "upgrade option"),
    "demand_history": (1, "month of history (expected monthly history)"),
}
#: longest gap between two months of one pair's history before a row looks misplaced
MAX_HISTORY_GAP_MONTHS = 24
#: unknown site ids listed per file when sites.csv already lacks ids (the cause is there)
MAX_REFS_WHEN_SITES_BAD = 5


def check_rows(df: pd.DataFrame, table: Table, path: str) -> list[Problem]:
    """A table with only a header would "plan" a network with nothing in it."""
    need = MIN_ROWS.get(table.name)
    if need is None or len(df) >= need[0]:
        return []
    got = "no rows" if len(df) == 0 else f"only {len(df)} row(s)"
    return [Problem(path, f"{got} (expected at least {need[0]} {need[1]})")]


def check_history(h: pd.DataFrame, path: str) -> list[Problem]:
    """Months in the schema's range, and no row stranded years away from its pair's history."""
    out: list[Problem] = []
    first, last = pd.Timestamp(HISTORY_FIRST_MONTH), pd.Timestamp("2100-12-01")
    bad = (h["month"] < first) | (h["month"] > last)
    for i in h.index[bad][:MAX_PER_COLUMN]:
        out.append(
            Problem(
                path,
                f"out of range (got {h.at[i, 'month']:%Y-%m}, expected {HISTORY_FIRST_MONTH} "
                "to 2100-12)",
                row=int(h.at[i, LINE]),
                column="month",
            )
        )
    ok = h[~bad].sort_values(["site_a", "site_b", "month"], kind="stable")
    pair = ok.groupby(["site_a", "site_b"], sort=False)
    m = (ok["month"].dt.year * 12 + ok["month"].dt.month).to_numpy()
    pos = pair.cumcount().to_numpy()  # row's place in its pair's months
    size = pair["month"].transform("size").to_numpy()
    gaps = np.diff(m, prepend=m[:1])
    for k in np.flatnonzero((pos > 0) & (gaps > MAX_HISTORY_GAP_MONTHS)):
        # blame the side of the gap with fewer rows, the stray one (pos[k] rows lie before it)
        j = k - 1 if pos[k] <= size[k] - pos[k] else k
        p = implausible(
            Problem(
                path,
                f"{int(gaps[k])} months between {ok['month'].iloc[k - 1]:%Y-%m} and "
                f"{ok['month'].iloc[k]:%Y-%m} in the history of {ok['site_a'].iloc[k]}-"
                f"{ok['site_b'].iloc[k]} (expected monthly history, gaps up to "
                f"{MAX_HISTORY_GAP_MONTHS} months): a mistyped month?",
                row=int(ok[LINE].iloc[j]),
                column="month",
            )
        )
        if p is not None:
            out.append(p)
    out = out[: MAX_PER_COLUMN * 2]
    # the forecast's own rule (forecast.check_history): one constant for validate and forecast
    n = h.groupby(["site_a", "site_b"])["month"].transform("size").to_numpy()
    short = np.flatnonzero(
        (n < MIN_HISTORY_MONTHS) & ~h.duplicated(["site_a", "site_b"]).to_numpy()
    )
    for i in short[:MAX_PER_COLUMN]:
        msg = (f"pair {h['site_a'].iloc[i]}-{h['site_b'].iloc[i]} has {n[i]} month(s) of "
               f"history, expected >= {MIN_HISTORY_MONTHS} to fit a trend (drop the pair or "
               "add months)")  # fmt: skip
        out.append(Problem(path, msg, int(h[LINE].iloc[i]), "month"))
    return out


def check_history_vs_start(
    h: pd.DataFrame, path: str, start_year: int, scenario_path: str
) -> list[Problem]:
    """History is what happened before the plan starts; a later month is a typo or the wrong
    scenario, and either would be forecast from silently."""
    start = pd.Timestamp(f"{start_year}-01-01")
    late = h.index[h["month"] >= start]
    if not len(late):
        return []
    out = [
        Problem(
            path,
            f"after the planning start (got {h.at[i, 'month']:%Y-%m}, expected before "
            f"{start:%Y-%m}: the scenario's start_year)",
            row=int(h.at[i, LINE]),
            column="month",
        )
        for i in late[:MAX_PER_COLUMN]
    ]
    if len(late) > MAX_PER_COLUMN:
        out.append(Problem(path, f"... and {len(late) - MAX_PER_COLUMN} more", column="month"))
    if len(late) <= 0.1 * len(h):  # a few stray rows: the rows are the mistake
        return out
    last = h["month"].max()
    out.append(
        Problem(
            scenario_path,
            f"planning starts before the history ends (got {start_year}, history runs to "
            f"{last:%Y-%m} in {path}; expected >= {last.year + 1})",
            column="start_year",
        )
    )
    return out


def validate_tables(
    raw: dict[str, pd.DataFrame],
    paths: dict[str, str],
    *,
    start_year: int | None = None,
    scenario_path: str = "<scenario>",
) -> Inputs:
    """Run every check on every table; raise one InputError listing all problems.

    ``start_year`` (the scenario's) also checks that the history ends before the plan starts.
    """
    problems: list[Problem] = []
    typed: dict[str, pd.DataFrame] = {}
    site_ids: set[str] = set()
    sites_ok = True
    unknown: dict[str, set[str]] = {}
    for name, table in TABLES.items():
        df, path = raw[name], paths[name]
        col_problems = check_columns(df, table, path)
        problems += col_problems
        parsed, value_problems = check_values(df, table, path)
        problems += value_problems
        problems += check_self_loops(df, table, path)
        problems += check_unique(df, table, path)
        problems += check_rows(df, table, path)
        if name == "sites":
            sites_ok = not problems
            if "site_id" in df.columns:
                site_ids = set(df["site_id"].astype(str).str.strip())
        elif sites_ok:
            refs = check_site_refs(df, table, path, site_ids)
            if refs:
                ids = [df[c].astype(str).str.strip() for c in table.site_refs if c in df.columns]
                unknown[TABLES[name].filename] = {
                    v for col in ids for v in col[~col.isin(site_ids)].unique() if v
                }
                problems += refs  # shortened below if sites.csv looks truncated
        if not col_problems and not value_problems:
            typed[name] = _finish(table, df, parsed)
    truncated = sites_missing(unknown, paths["sites"])
    if truncated:  # the cause is in sites.csv: say so first, a few examples per file after
        per_file: dict[str, int] = {}
        kept = []
        for p in problems:
            if "unknown site id" in p.message or "more unknown site ids" in p.message:
                per_file[p.path] = per_file.get(p.path, 0) + 1
                if per_file[p.path] > MAX_REFS_WHEN_SITES_BAD:
                    continue
            kept.append(p)
        problems = kept
    n_sites = sum(p.path == paths["sites"] for p in problems)
    problems[n_sites:n_sites] = truncated
    if not sites_ok:
        problems.append(
            Problem(
                paths["sites"],
                "site ids in the other files were not checked (fix sites.csv first)",
            )
        )
    problems += _cross_checks(typed, paths)
    h = typed.get("demand_history")
    if h is not None and start_year is not None and len(h):
        problems += check_history_vs_start(h, paths["demand_history"], start_year, scenario_path)
    if problems:
        raise InputError(problems)
    return Inputs(**{name: typed[name].drop(columns=[LINE]) for name in TABLES})


def _cross_checks(typed: dict[str, pd.DataFrame], paths: dict[str, str]) -> list[Problem]:
    """Rules across columns and tables, on the tables that parsed."""
    problems: list[Problem] = []
    if "upgrade_options" in typed and "corridors" in typed and "candidate_routes" in typed:
        cand = typed["candidate_routes"]
        ids = set(typed["corridors"]["corridor_id"]) | set(cand["route_id"])
        problems += check_options(
            typed["upgrade_options"], paths["upgrade_options"], ids, len(cand) > 0, cand
        )
    if "corridors" in typed:
        problems += check_corridor_capacity(typed["corridors"], paths["corridors"])
    sites = typed.get("sites")
    if sites is not None and sites["site_id"].is_unique:
        known = set(sites["site_id"])
        for name in ("corridors", "candidate_routes"):
            df = typed.get(name)
            if df is not None:
                df = df[df["site_a"].isin(known) & df["site_b"].isin(known)]
                problems += check_route_lengths(df, sites, paths[name], paths["sites"])
    if "demand_history" in typed:
        problems += check_history(typed["demand_history"], paths["demand_history"])
    if "lease_options" in typed:
        problems += check_leases(typed["lease_options"], paths["lease_options"], typed)
    if "committed_upgrades" in typed:
        problems += check_committed(typed["committed_upgrades"], paths["committed_upgrades"], typed)
    return problems
