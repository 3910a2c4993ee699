"""Read raw traffic samples (e.g. 5-minute NetFlow/SNMP traffic-matrix exports) for ingest.

Why chunked and compact: a year of 5-minute samples for 1,000 pairs is ~10^8 rows. The file is
read in chunks and kept as integer pair codes, int64 nanoseconds and float64 Gbps (~24 bytes a
sample), so the exact monthly 95th percentile can be taken afterwards.

File: CSV with header ``timestamp, site_a, site_b, gbps`` (extra columns ignored). Timestamps
are ISO 8601 (``2025-01-01T00:05:00Z``, ``2025-01-01 00:05``) or Unix epoch seconds; naive
timestamps are read in ``tz``, aware ones converted to it; months are calendar months in ``tz``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import InputError, Problem

SAMPLE_COLUMNS = ("timestamp", "site_a", "site_b", "gbps")
MAX_PROBLEMS = 50


@dataclass
class Samples:
    """Samples with canonical pairs (``site_a < site_b``) as codes into ``pairs``."""

    pairs: pd.DataFrame  # site_a, site_b; row i is pair code i
    pair: np.ndarray  # int32 code per sample
    ts_ns: np.ndarray  # int64 UTC nanoseconds
    month: np.ndarray  # int64 month index (12 * year + month - 1) in the chosen tz
    gbps: np.ndarray  # float64
    tz: str
    forward: np.ndarray | None = None  # bool: the row named the pair as (site_a, site_b)

    def __len__(self) -> int:
        return len(self.gbps)


def _parse_time(raw: pd.Series, tz: str) -> tuple[pd.Series, str | None]:
    """UTC timestamps and local month index; error text for a whole-column failure."""
    s = raw.astype(str).str.strip()
    if len(s) and s.str.fullmatch(r"\d+(\.\d+)?").all():
        secs = pd.to_numeric(s)
        if (secs > 4.1e9).any():  # after year 2100: milliseconds or nanoseconds, not seconds
            return pd.Series(pd.NaT, index=s.index), (
                f"got epoch {secs.max():.0f}, expected Unix epoch seconds (not milliseconds)"
            )
        return pd.to_datetime(secs, unit="s", utc=True), None
    try:
        t = pd.to_datetime(s, format="ISO8601", errors="coerce")
    except (ValueError, TypeError) as e:  # mixed naive/aware offsets in one column
        return pd.Series(pd.NaT, index=s.index), f"cannot parse timestamps ({e})"
    if getattr(t.dt, "tz", None) is None:
        # DST: a repeated hour is read as standard time (its samples merge by max), a
        # skipped hour moves forward
        t = t.dt.tz_localize(tz, ambiguous=False, nonexistent="shift_forward")
    return t.dt.tz_convert("UTC"), None


def read_samples(path: str | os.PathLike, tz: str = "UTC", chunksize: int = 1_000_000) -> Samples:
    """Validate and load a samples CSV; every bad row is reported (up to 50) as InputError."""
    p = Path(path)
    name = str(p)
    if not p.is_file():
        raise InputError(Problem(name, "missing file (expected traffic samples CSV)"))
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except Exception:  # noqa: BLE001 - any tz failure is a user input problem
        raise InputError(
            Problem(name, f"unknown time zone {tz!r} (expected e.g. UTC or America/New_York)")
        ) from None
    codes: dict[tuple[str, str], int] = {}
    parts: list[tuple[np.ndarray, ...]] = []
    problems: list[Problem] = []
    try:
        reader = pd.read_csv(
            p, dtype=str, keep_default_na=False, chunksize=chunksize, encoding="utf-8"
        )
        offset = 2  # file line of the first data row
        for chunk in reader:
            chunk.columns = [str(c).strip() for c in chunk.columns]
            if offset == 2:
                missing = [c for c in SAMPLE_COLUMNS if c not in chunk.columns]
                if missing:
                    raise InputError(
                        [Problem(name, "missing required column", 1, c) for c in missing]
                    )
            parts.append(_chunk(chunk, offset, name, tz, codes, problems))
            offset += len(chunk)
            if len(problems) >= MAX_PROBLEMS:
                break
    except pd.errors.EmptyDataError:
        raise InputError(Problem(name, "empty file (expected a header line)")) from None
    except pd.errors.ParserError as e:
        msg = str(e).strip().splitlines()[-1]
        raise InputError(Problem(name, f"not a valid CSV ({msg})")) from None
    except UnicodeDecodeError as e:
        raise InputError(Problem(name, f"not UTF-8 text ({e.reason})")) from None
    if problems:
        extra = (
            [Problem(name, "... stopped after 50 problems")]
            if len(problems) >= MAX_PROBLEMS
            else []
        )
        raise InputError(problems[:MAX_PROBLEMS] + extra)
    if not parts or sum(len(x[0]) for x in parts) == 0:
        raise InputError(Problem(name, "no samples (expected rows after the header)"))
    pairs = pd.DataFrame(list(codes), columns=["site_a", "site_b"])
    pair, ts, month, gbps, fwd = (np.concatenate([x[i] for x in parts]) for i in range(5))
    return Samples(pairs, pair, ts, month, gbps, tz, fwd.astype(bool))


def _chunk(
    df: pd.DataFrame,
    offset: int,
    name: str,
    tz: str,
    codes: dict[tuple[str, str], int],
    problems: list[Problem],
) -> tuple[np.ndarray, ...]:
    lines = np.arange(offset, offset + len(df))
    t, err = _parse_time(df["timestamp"], tz)
    if err:
        problems.append(Problem(name, err, int(lines[0]), "timestamp"))
    bad_t = t.isna().to_numpy()
    g = pd.to_numeric(df["gbps"].str.strip(), errors="coerce").to_numpy(dtype=float)
    bad_g = ~np.isfinite(g) | (g < 0)
    a = df["site_a"].str.strip().to_numpy()
    b = df["site_b"].str.strip().to_numpy()
    bad_s = (a == b) | (a == "") | (b == "")
    for i in np.flatnonzero(bad_t | bad_g | bad_s)[: MAX_PROBLEMS - len(problems)]:
        if bad_t[i]:
            msg = f"got {df['timestamp'].iloc[i]!r}, expected an ISO 8601 time or epoch seconds"
            problems.append(Problem(name, msg, int(lines[i]), "timestamp"))
        if bad_g[i]:
            msg = f"got {df['gbps'].iloc[i]!r}, expected a number >= 0 (Gbps)"
            problems.append(Problem(name, msg, int(lines[i]), "gbps"))
        if bad_s[i]:
            msg = f"got {a[i]!r} and {b[i]!r}, expected two different site ids"
            problems.append(Problem(name, msg, int(lines[i]), "site_b"))
    if problems:
        empty = (np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int64))
        return (*empty, np.zeros(0), np.zeros(0, dtype=bool))
    lo, hi = np.where(a <= b, a, b), np.where(a <= b, b, a)
    local_codes, uniques = pd.factorize(pd.Series(lo) + "\x1f" + pd.Series(hi))
    glob = np.array(
        [codes.setdefault(tuple(u.split("\x1f")), len(codes)) for u in uniques], dtype=np.int32
    )
    pair = glob[local_codes]
    local = t.dt.tz_convert(tz)
    month = (local.dt.year.to_numpy() * 12 + local.dt.month.to_numpy() - 1).astype(np.int64)
    ts = t.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[ns]")
    return pair, ts.astype(np.int64), month, g, a <= b
