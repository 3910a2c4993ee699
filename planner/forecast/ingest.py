"""Raw traffic samples -> monthly P95 per pair (the ``demand_history.csv`` the forecaster reads).

Why these rules (the usual 95th-percentile "burstable billing" convention of carriers):

1. Cadence. Samples are averaged into intervals of ``max(5 min, the pair's sampling
   interval)`` (the interval is the median gap between a direction's timestamps): 1-minute or
   10-second samples become the 5-minute averages the P95 convention is defined on, hourly
   samples stay hourly. So the same traffic sampled every 1, 5 or 60 minutes gives the same
   monthly value when it is constant over the interval (a test checks it).
2. Pairs are canonical (``site_a < site_b``); each direction is averaged on its own, then the
   two directions of an interval are merged by the max (a link must carry the busier one).
3. P95 of a month = the nearest-rank 95th percentile of its intervals: sort ascending, take
   the ``ceil(0.95 n)``-th value (the top 5 % are the bursts nobody pays for).
4. Coverage = intervals seen / intervals in the calendar month. Months below ``min_coverage``
   (default 0.5) are dropped with a warning naming the rule, whether the month is the first
   or last of the export (a partial month: collection started or stopped inside it) and the
   ``--min-coverage`` value that would keep it. A partial month that covers at least half of
   its days is kept: two weeks of 5-minute samples give a representative P95.
5. Values are kept to 6 significant digits (rounding to 0.001 Gbps turned small pairs into 0).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.forecast.estimator import round_sig
from planner.io.samples import Samples

DEFAULT_MIN_COVERAGE = 0.5
#: the P95 convention is defined on 5-minute averages
MIN_INTERVAL_S = 300.0


def _group_starts(*keys: np.ndarray) -> np.ndarray:
    """Start index of each run of equal keys (arrays already sorted by these keys)."""
    n = len(keys[0])
    new = np.zeros(n, dtype=bool)
    new[:1] = True
    for k in keys:
        new[1:] |= k[1:] != k[:-1]
    return np.flatnonzero(new)


def pair_interval_s(s: Samples) -> np.ndarray:
    """Sampling interval per pair (s): the larger of its directions' median gaps, NaN if unknown."""
    fwd = s.forward if s.forward is not None else np.ones(len(s), dtype=bool)
    order = np.lexsort((s.ts_ns, fwd, s.pair))
    p, f, ts = s.pair[order], fwd[order], s.ts_ns[order]
    same = (p[1:] == p[:-1]) & (f[1:] == f[:-1])
    gaps = (ts[1:] - ts[:-1])[same] / 1e9
    pos = gaps > 0
    out = np.full(len(s.pairs), np.nan)
    if pos.any():
        med = pd.Series(gaps[pos]).groupby([p[1:][same][pos], f[1:][same][pos]]).median()
        per_pair = med.groupby(level=0).max()
        out[per_pair.index.to_numpy()] = per_pair.to_numpy()
    return out


def interval_values(s: Samples) -> tuple[np.ndarray, ...]:
    """(pair, month, gbps) per pair and interval, plus the interval length (s) per pair."""
    width = np.maximum(np.nan_to_num(pair_interval_s(s), nan=MIN_INTERVAL_S), MIN_INTERVAL_S)
    fwd = s.forward if s.forward is not None else np.ones(len(s), dtype=bool)
    bucket = s.ts_ns // np.round(width[s.pair] * 1e9).astype(np.int64)
    order = np.lexsort((bucket, fwd, s.pair))
    p, f, b = s.pair[order], fwd[order], bucket[order]
    starts = _group_starts(p, f, b)
    counts = np.diff(np.append(starts, len(p)))
    mean = np.add.reduceat(s.gbps[order], starts) / counts  # each direction's average
    p, b, m = p[starts], b[starts], s.month[order][starts]
    order = np.lexsort((b, p))
    p, b, m, mean = p[order], b[order], m[order], mean[order]
    starts = _group_starts(p, b)
    return p[starts], m[starts], np.maximum.reduceat(mean, starts), width


def _reasons(
    coverage: np.ndarray, first: np.ndarray, last: np.ndarray, min_coverage: float
) -> list[str]:
    out = []
    for c, a, z in zip(coverage, first, last, strict=True):
        where = (
            " (the export's only month)"
            if a and z
            else " (first month of the export: collection started inside it)"
            if a
            else " (last month of the export: collection stopped inside it)"
            if z
            else ""
        )
        keep = math.floor(c * 100) / 100
        fix = f"; --min-coverage {keep:.2f} keeps it" if keep > 0 else ""
        out.append(
            f"coverage {c:.0%} < {min_coverage:.0%} of the month's intervals{where}; rule: "
            f"months below --min-coverage {min_coverage:g} are dropped{fix}"
        )
    return out


def monthly_p95(
    s: Samples, min_coverage: float = DEFAULT_MIN_COVERAGE
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """History rows ``site_a, site_b, month, p95_gbps`` and the dropped months with reasons.

    Both frames carry ``samples`` (intervals) and ``coverage`` columns for the log; ``month``
    is ``YYYY-MM`` text.
    """
    pair, month, g, width = interval_values(s)
    order = np.lexsort((g, month, pair))
    pair, month, g = pair[order], month[order], g[order]
    starts = _group_starts(pair, month)
    counts = np.diff(np.append(starts, len(pair)))
    p95 = g[starts + np.ceil(0.95 * counts).astype(int) - 1]
    gp, gm = pair[starts], month[starts]
    per = pd.PeriodIndex.from_fields(year=gm // 12, month=gm % 12 + 1, freq="M")
    expected = per.days_in_month.to_numpy() * 86400.0 / width[gp]
    coverage = counts / expected
    first = np.r_[True, gp[1:] != gp[:-1]]
    last = np.r_[gp[1:] != gp[:-1], True]
    out = pd.DataFrame(
        {
            "site_a": s.pairs["site_a"].to_numpy()[gp],
            "site_b": s.pairs["site_b"].to_numpy()[gp],
            "month": per.strftime("%Y-%m"),
            "p95_gbps": round_sig(p95),
            "samples": counts,
            "coverage": np.round(np.minimum(coverage, 9.99), 3),
        }
    )
    ok = coverage >= min_coverage
    bad = ~ok
    dropped = out[bad].assign(reason=_reasons(coverage[bad], first[bad], last[bad], min_coverage))
    keep = out[ok].sort_values(["site_a", "site_b", "month"]).reset_index(drop=True)
    return keep, dropped.sort_values(["site_a", "site_b", "month"]).reset_index(drop=True)


def nothing_kept_message(dropped: pd.DataFrame, min_coverage: float) -> str:
    """Why no month survived, with the rule and the override (e.g. a day of samples a month)."""
    best = float(dropped["coverage"].max()) if len(dropped) else 0.0
    keep = math.floor(best * 100) / 100
    fix = f"; pass --min-coverage {keep:.2f} to keep them" if keep > 0 else ""
    return (
        f"no month has enough samples to keep: the best month covers {best:.0%} of its "
        f"intervals, the rule drops months below --min-coverage {min_coverage:g}{fix}"
    )
