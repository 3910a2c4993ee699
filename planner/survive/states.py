"""Failure states: which corridors go dark together in one event.

Why SRLGs: corridors that share a conduit, a bridge or a right-of-way are cut by the same
backhoe. ``single_srlg`` therefore fails every corridor of one shared-risk group at once.

Rules (documented because a planner must know what "survivable" was checked against):

* ``single_corridor``: one state per corridor, ``state_id = "corridor:<id>"``.
* ``single_srlg``: one state per SRLG id, ``state_id = "srlg:<id>"``, failing every corridor
  that lists the id (a corridor may list several, ``;``-separated, and then belongs to several
  states). A corridor that lists **no** SRLG is its own risk group: it also fails alone, as
  ``corridor:<id>``. A corridor that does list SRLGs is *not* failed alone in this mode: each of
  its SRLG states fails a superset of it, and losing more corridors never routes more demand, so
  surviving the group implies surviving the corridor alone.
* Candidate routes are included when given (``edges`` from :func:`network.edges_from_inputs`):
  a route not yet built has zero capacity, so its state costs a check but changes nothing.

States are returned sorted by ``state_id``, so the order (and every table built from it) is
deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from planner.network import split_srlg

Mode = Literal["single_corridor", "single_srlg"]
MODES: tuple[str, ...] = ("single_corridor", "single_srlg")


@dataclass(frozen=True)
class FailureState:
    """One failure event: ``corridors`` all fail together."""

    state_id: str
    kind: str  # "corridor" | "srlg"
    corridors: tuple[str, ...]


def failure_states(edges: pd.DataFrame, mode: str) -> list[FailureState]:
    """All single-failure states of ``mode`` for an edge table ``corridor_id, srlg``."""
    if mode not in MODES:
        raise ValueError(f"unknown survivability mode {mode!r}; expected one of {MODES}")
    ids = edges["corridor_id"].astype(str).tolist()
    if mode == "single_corridor":
        states = [FailureState(f"corridor:{c}", "corridor", (c,)) for c in dict.fromkeys(ids)]
    else:
        groups: dict[str, list[str]] = {}
        alone: list[str] = []
        for cid, srlg in zip(ids, edges["srlg"].tolist(), strict=True):
            names = split_srlg(srlg)
            if not names:
                alone.append(cid)
            for g in names:
                groups.setdefault(g, []).append(cid)
        states = [
            FailureState(f"srlg:{g}", "srlg", tuple(sorted(dict.fromkeys(m))))
            for g, m in groups.items()
        ]
        states += [FailureState(f"corridor:{c}", "corridor", (c,)) for c in dict.fromkeys(alone)]
    return sorted(states, key=lambda s: s.state_id)


def states_frame(states: list[FailureState]) -> pd.DataFrame:
    """``state_id, kind, failed_corridors`` (``;``-joined), ``n_failed``: for reports."""
    return pd.DataFrame(
        {
            "state_id": [s.state_id for s in states],
            "kind": [s.kind for s in states],
            "failed_corridors": [";".join(s.corridors) for s in states],
            "n_failed": [len(s.corridors) for s in states],
        }
    )
