"""Money as the run lines print it, shared by the pipeline, the commands and the stages' logs.

Why one owner: every run line used ``$X.XM`` (one decimal of millions), so an imported SNDlib
instance, whose costs are in its own units (tens of thousands), printed "capex $0.0M".
"""

from __future__ import annotations

import math


def usd_text(usd: float | None) -> str:
    """1_799_900_000 -> "$1,799.9M" (millions, one decimal, as before); 21_818.44 ->
    "$21,818" below a million; None or not finite -> "n/a"."""
    if usd is None or not math.isfinite(usd):
        return "n/a"
    if abs(usd) >= 1e6:
        return f"${usd / 1e6:,.1f}M"
    return f"${usd:,.0f}"
