"""Raw traffic samples -> monthly P95 per pair (the ``demand_history.csv`` the forecaster reads).

Why these rules (the usual 95th-percentile "burstable billing" convention of carriers):

1. Pairs are canonical (``site_a < site_b``); the two directions of a pair are merged by taking
   the max per timestamp (a link must carry the busier direction), as are duplicate samples.
2. P95 of a month = the nearest-rank 95th percentile of its samples: sort ascending, take the
   ``ceil(0.95 n)``-th value (the top 5 % of samples are the bursts nobody pays for).
3. Coverage = samples / expected samples, expected = days in month x 86,400 s / sampling
   interval (the pair's median gap between timestamps). Months below ``min_coverage`` (default
   0.5, e.g. collection started mid-month or a poller outage) are dropped with a warning:
   their P95 is biased toward the part of the month that was seen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.io.samples import Samples

DEFAULT_MIN_COVERAGE = 0.5


def merge_directions(s: Samples) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(pair, ts, month, gbps) with one sample per pair and timestamp (max of duplicates)."""
    order = np.lexsort((s.ts_ns, s.pair))
    pair, ts, month, g = s.pair[order], s.ts_ns[order], s.month[order], s.gbps[order]
    if len(pair) == 0:
        return pair, ts, month, g
    new = np.ones(len(pair), dtype=bool)
    new[1:] = (pair[1:] != pair[:-1]) | (ts[1:] != ts[:-1])
    starts = np.flatnonzero(new)
    return pair[starts], ts[starts], month[starts], np.maximum.reduceat(g, starts)


def sampling_interval_s(pair: np.ndarray, ts: np.ndarray, n_pairs: int) -> np.ndarray:
    """Median positive gap between consecutive timestamps per pair (s); NaN if < 2 samples."""
    same = pair[1:] == pair[:-1]
    gaps = (ts[1:] - ts[:-1])[same] / 1e9
    out = np.full(n_pairs, np.nan)
    if len(gaps):
        med = pd.Series(gaps).groupby(pair[1:][same]).median()
        out[med.index.to_numpy()] = med.to_numpy()
    return out


def monthly_p95(
    s: Samples, min_coverage: float = DEFAULT_MIN_COVERAGE
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """History rows ``site_a, site_b, month, p95_gbps`` and the dropped months with reasons.

    Both frames carry ``samples`` and ``coverage`` columns for the log; ``month`` is
    ``YYYY-MM`` text.
    """
    pair, ts, month, g = merge_directions(s)
    interval = sampling_interval_s(pair, ts, len(s.pairs))
    order = np.lexsort((g, month, pair))
    pair, month, g = pair[order], month[order], g[order]
    new = np.ones(len(pair), dtype=bool)
    new[1:] = (pair[1:] != pair[:-1]) | (month[1:] != month[:-1])
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, len(pair)))
    p95 = g[starts + np.ceil(0.95 * counts).astype(int) - 1]
    gp, gm = pair[starts], month[starts]
    per = pd.PeriodIndex.from_fields(year=gm // 12, month=gm % 12 + 1, freq="M")
    expected = per.days_in_month.to_numpy() * 86400.0 / interval[gp]
    coverage = counts / expected
    out = pd.DataFrame(
        {
            "site_a": s.pairs["site_a"].to_numpy()[gp],
            "site_b": s.pairs["site_b"].to_numpy()[gp],
            "month": per.strftime("%Y-%m"),
            "p95_gbps": np.round(p95, 3),
            "samples": counts,
            "coverage": np.round(np.minimum(coverage, 9.99), 3),
        }
    )
    ok = np.isfinite(coverage) & (coverage >= min_coverage)
    dropped = out[~ok].assign(
        reason=np.where(
            np.isfinite(coverage[~ok]),
            [f"coverage {c:.0%} < {min_coverage:.0%}" for c in coverage[~ok]],
            "single sample: sampling interval unknown",
        )
    )
    keep = out[ok].sort_values(["site_a", "site_b", "month"]).reset_index(drop=True)
    return keep, dropped.sort_values(["site_a", "site_b", "month"]).reset_index(drop=True)
