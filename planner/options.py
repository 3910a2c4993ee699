"""How to plan, beyond the scenario: one strict, typed set of options for every stage.

Why a model: ``planner run``, ``planner optimize``, sweeps and the survivable loop used to pass
an untyped ``**plan_kw`` through three layers, where a typo was silently ignored. Runtime
objects (an earlier plan to start from, a hook, a progress log) are explicit parameters, not
options: options are plain data, hashed into a sweep run's identity.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict


class PlanOptions(BaseModel):
    """Options of one plan (the scenario holds what to plan for; this holds how)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    #: ``path`` (k shortest admissible paths), ``arc`` (node balance, no latency limits) or
    #: ``auto`` (path; min-cost then arc from the path plan where exact: planner.optimize.auto)
    formulation: Literal["auto", "path", "arc"] = "auto"
    #: overrides ``scenario.objective`` when given
    objective: Literal["max-served", "min-cost"] | None = None
    #: solve the two dual LPs after the MIP (sweeps that only need the plan skip them)
    marginals: bool = True
    #: survivable scenarios: every failure state's flows in the model at once (comparison)
    full_survivability: bool = False

    def identity(self) -> str:
        """Canonical JSON of the options that differ from the defaults (a sweep hash input)."""
        return json.dumps(self.model_dump(exclude_defaults=True), sort_keys=True, default=str)
