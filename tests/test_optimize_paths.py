"""Path enumeration (exact k shortest simple paths) and the arc-flow decomposition."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planner.optimize.paths as paths_mod
from planner.optimize.formulations.arc import decompose
from planner.optimize.paths import enumerate_paths


def corridors(edges: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(f"E{i}", min(a, b), max(a, b), w) for i, (a, b, w) in enumerate(edges)],
        columns=["corridor_id", "site_a", "site_b", "latency_ms"],
    )


def pairs(p: list[tuple[str, str]], limit: float = np.inf) -> pd.DataFrame:
    return pd.DataFrame(
        [(i, a, b, limit) for i, (a, b) in enumerate(p)],
        columns=["pair_id", "site_a", "site_b", "latency_limit_ms"],
    )


@st.composite
def graphs(draw):
    n = draw(st.integers(3, 8))
    nodes = [f"N{i}" for i in range(n)]
    all_e = list(itertools.combinations(nodes, 2))
    chosen = draw(
        st.lists(st.sampled_from(all_e), min_size=n - 1, max_size=len(all_e), unique=True)
    )
    w = draw(st.lists(st.integers(1, 20), min_size=len(chosen), max_size=len(chosen)))
    return nodes, [(a, b, float(x)) for (a, b), x in zip(chosen, w, strict=True)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.integers(1, 5), st.sampled_from([np.inf, 25.0]))
def test_k_shortest_matches_yen(g, k, limit):
    nodes, edges = g
    cor = corridors(edges)
    pr = pairs(list(itertools.combinations(nodes, 2)), limit)
    got, info = enumerate_paths(cor, pr, k)
    h = nx.Graph()
    h.add_nodes_from(nodes)
    h.add_weighted_edges_from(edges)
    for p in pr.itertuples():
        mine = got[got["pair_id"] == p.pair_id]
        if not nx.has_path(h, p.site_a, p.site_b):
            assert len(mine) == 0 and np.isinf(info.loc[p.pair_id, "best_latency_ms"])
            continue
        ref = []
        for path in nx.shortest_simple_paths(h, p.site_a, p.site_b, weight="weight"):
            w = nx.path_weight(h, path, "weight")
            if w > limit or len(ref) == k:
                break
            ref.append(w)
        assert mine["latency_ms"].tolist() == pytest.approx(ref)
        assert info.loc[p.pair_id, "best_latency_ms"] == pytest.approx(
            nx.shortest_path_length(h, p.site_a, p.site_b, weight="weight")
        )
        for corr in mine["corridor_ids"]:  # each path is a chain from site_a to site_b
            at = p.site_a
            for c in corr:
                r = cor.set_index("corridor_id").loc[c]
                at = r["site_b"] if at == r["site_a"] else r["site_a"]
            assert at == p.site_b


def test_parallel_corridors_are_distinct_paths_and_yen_fallback_agrees(monkeypatch):
    cor = corridors([("A", "B", 1.0), ("A", "B", 2.0), ("A", "C", 1.0), ("B", "C", 1.5)])
    pr = pairs([("A", "B"), ("A", "C")])
    fast, info = enumerate_paths(cor, pr, 3)
    assert fast.loc[fast["pair_id"] == 0, "corridor_ids"].tolist() == [
        ("E0",),
        ("E1",),
        ("E2", "E3"),
    ]
    assert not info["capped"].any()
    monkeypatch.setattr(paths_mod, "MAX_EXPANSIONS_PER_PAIR", 0)
    slow, info = enumerate_paths(cor, pr, 3)
    assert info["capped"].all()
    pd.testing.assert_frame_equal(fast, slow)


def test_latency_limit_and_candidate_routes():
    cor = corridors(
        [("A", "B", 10.0), ("A", "C", 1.0), ("B", "C", 1.0), ("C", "D", 1.0), ("B", "D", 1.0)]
    )
    cor["corridor_id"] = ["AB", "AC", "BC", "CD", "BD"]
    got, _ = enumerate_paths(cor, pairs([("A", "B")], limit=5.0), 5)
    assert got["corridor_ids"].tolist() == [("AC", "BC"), ("AC", "CD", "BD")]
    # AC is a candidate route: k=1 over all corridors plus k=1 over existing ones only
    existing = cor["corridor_id"] != "AC"
    got, _ = enumerate_paths(cor, pairs([("A", "B")]), 1, existing_mask=existing)
    assert got["corridor_ids"].tolist() == [("AC", "BC"), ("AB",)]


def test_pair_outside_the_graph_has_no_path():
    got, info = enumerate_paths(corridors([("A", "B", 1.0)]), pairs([("A", "Z")]), 3)
    assert len(got) == 0 and info["n_paths"].tolist() == [0]
    assert np.isinf(info["best_latency_ms"]).all()


def test_decompose_cancels_cycles_and_serves_every_sink():
    # source 0 sends 5 to node 2 and 3 to node 3; a 1-unit cycle 1->2->1 rides on top
    arcs = [(0, 0, 1, 6.0), (1, 1, 2, 7.0), (2, 2, 1, 1.0), (3, 2, 3, 1.0), (4, 0, 3, 2.0)]
    got = decompose(0, arcs, {2: 5.0, 3: 3.0})
    served: dict[int, float] = {}
    for sink, _, q in got:
        served[sink] = served.get(sink, 0.0) + q
    assert served == pytest.approx({2: 5.0, 3: 3.0})
    for sink, arc_ids, _ in got:  # every path ends at its sink and starts at the source
        assert arcs[arc_ids[0]][1] == 0 and arcs[arc_ids[-1]][2] == sink
