"""Survivability and latency (issue 7): failure states, an independent LP check, survivable
planning by row generation, per-failure reports and the latency report.

Entry points:

* :func:`plan_survivable` (``planner.survive.generate``): ``plan`` with every single failure of
  ``scenario.survivability`` protected, iterating solve -> check -> add violated states.
* :func:`planner.survive.check.check_states`: max routable demand per failure state and year.
* :func:`planner.survive.failures.failure_table`: demand lost per failure, before / after a plan.
* :func:`planner.survive.latency.latency_report`: pairs with no admissible path and the
  candidate route that would fix each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily: the optimiser (PuLP) is heavy and not needed by `failures`
    from planner.survive.generate import plan_survivable

__all__ = ["plan_survivable"]


def __getattr__(name: str):
    if name == "plan_survivable":
        from planner.survive.generate import plan_survivable

        return plan_survivable
    raise AttributeError(name)
