"""Demand forecast: what each site pair will carry, 1-5 years out, at a high quantile.

Why this shape: capacity is bought years ahead for a P90/P95 of demand, not its mean, and AI
demand has two parts. Pairs that carry traffic today keep growing (per-pair ETS on the log
scale, :mod:`planner.forecast.models`); new AI campuses have no history but pull large flows
once their MW come online (gravity model on announced MW, :mod:`planner.forecast.driver`).

Pipeline (:func:`forecast`):

1. ``check_history``: canonical pairs, no NaN / negative values, >= ``MIN_HISTORY_MONTHS``
   (3) months per pair (the rule ``planner validate`` applies too), else
   :class:`~planner.errors.InputError` naming ``demand_history.csv``, the line and the column.
2. Gravity model fitted on the pairs with history at the last history month (the origin).
3. Every pair with history (:class:`ETSForecaster`): isolated bursts winsorised
   (:mod:`planner.forecast.robust`), then ETS flat / drift / trend (>= 24 months) / damped
   trend on ``log p95``, fitted for all pairs at once, the family chosen per pair by AICc;
   pairs with < 12 months take
   their own drift shrunk toward the typical one (``ets_pooled``). Where an end's MW moved
   during the history, the same models on traffic per unit of gravity mass compete too (the
   MW effect added back, suffix ``+mw``). The winner is recorded in ``model`` (``ets_drift``,
   ``ets_damped+mw``, ...; ``zero`` for an all-zero history; ``gravity`` for new pairs).
4. New pairs (no history, >= 1 ai_campus end by default, the best few per site by gravity
   demand): lognormal around the gravity median; 0 in years where an end has mass 0.
5. Growth scenario g (``low`` 0.5, ``base`` 1, ``high`` 1.5, or the number given): every
   forecast log change from its anchor is scaled, ``delta -> g * delta`` if ``delta >= 0`` else
   ``delta / g``. The anchor is the fitted level at the origin for history pairs and the first
   online year at or after the origin for new pairs, so history and new pairs move together and
   ``high >= base >= low`` for every pair and year.
6. Quantiles ``p_q = exp(mu + qhat_q scale)`` with ``qhat`` learned from the model's own
   rolling-origin errors (:mod:`planner.forecast.calibrate`; the lognormal ``z_q`` is the
   prior for thin groups); gravity pairs keep ``exp(mu + z_q sigma)``. p50 <= p90 <= p95 by
   construction (and re-checked), never negative. The value of a year is December's.
7. Every history pair's values are clipped at a plausible cap tied to its own history and the
   MW driver (:func:`planner.forecast.robust.plausible_cap`); clipped rows are flagged
   (``capped``, ``cap_reason``).

Output columns: ``site_a, site_b, year, mean_gbps, p50_gbps, p90_gbps, p95_gbps, model,
capped, cap_reason`` plus
``pN_gbps`` for any other quantile requested (name from ``planner.config.quantile_column``);
``df.attrs["forecast"]`` holds the origin, gravity parameters and model counts.
"""

from planner.forecast.demand import check_history, demand_for, forecast, history_paths
from planner.forecast.estimator import ETSForecaster, forecast_frame
from planner.forecast.options import ForecastConfig, growth_factor

__all__ = [
    "ETSForecaster",
    "ForecastConfig",
    "check_history",
    "demand_for",
    "forecast",
    "forecast_frame",
    "growth_factor",
    "history_paths",
]
