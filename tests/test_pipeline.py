"""End to end: `planner run` on the tiny network, then the plan re-checked from its tables."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from planner.cli import main
from planner.verify import verify_plan

FIGURES = (
    "network_map.png",
    "forecast_fan.png",
    "capex_by_year.png",
    "utilization_heatmap.png",
    "unserved.png",
    "report.pdf",
)


@pytest.mark.slow
def test_run_writes_every_stage_and_verifies(tiny_dir, tmp_path):
    out = tmp_path / "run"
    r = CliRunner().invoke(
        main,
        [
            "run",
            "--inputs",
            str(tiny_dir),
            "--scenario",
            str(tiny_dir / "scenarios" / "base.yaml"),
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    for line in ("validate  ok", "forecast  ok", "optimize  ", "report    ok"):
        assert line in r.output
    s = json.loads((out / "inputs_summary.json").read_text())
    assert (s["sites"], s["corridors"], s["pairs_with_history"]) == (4, 4, 4)
    assert s["total_installed_gbps"] == 4000 + 2400 + 1600 + 3200
    for f in FIGURES + ("forecast.csv", "demand.csv", "summary.json", "upgrades.csv"):
        assert (out / f).stat().st_size > 0, f
    sm = json.loads((out / "summary.json").read_text())
    for key in ("solver", "solver_status", "objective", "mip_gap", "solve_seconds"):
        assert key in sm
    assert sm["capex_usd_total"] <= sm["budget_usd_total"] * (1 + 1e-9)
    # served fraction recomputed from the unserved table
    us = pd.read_csv(out / "unserved.csv")
    assert abs(us["served_gbps"].sum() / us["demand_gbps"].sum() - sm["served_fraction"]) < 1e-6
    res = verify_plan(out)
    assert res.ok, res.violations
    assert res.checks > 50
    # the report was rendered in the staged folder but names the folder the reader has
    title = PdfReader(out / "report.pdf").pages[0].extract_text()
    assert "plan directory run" in title and ".tmp-" not in title


def test_run_is_deterministic(tiny_dir, tmp_path):
    args = [
        "run",
        "--inputs",
        str(tiny_dir),
        "--scenario",
        str(tiny_dir / "scenarios" / "base.yaml"),
        "--stages",
        "forecast,optimize",
    ]
    outs = []
    for name in ("a", "b"):
        r = CliRunner().invoke(main, args + ["--out", str(tmp_path / name)])
        assert r.exit_code == 0, r.output
        outs.append(tmp_path / name)
    for f in ("forecast.csv", "upgrades.csv", "capacity.csv", "routing.csv"):
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f


@pytest.mark.slow
def test_survivable_run_passes_the_failure_check(tiny_dir, tmp_path):
    """single_corridor: row generation converges, then every single cut loses no protected Gbps."""
    sc = tiny_dir / "scenarios" / "surv.yaml"
    text = (tiny_dir / "scenarios" / "base.yaml").read_text()
    sc.write_text(text.replace("survivability: none", "survivability: single_corridor"))
    out = tmp_path / "surv"
    r = CliRunner().invoke(
        main,
        [
            "run",
            "--inputs",
            str(tiny_dir),
            "--scenario",
            str(sc),
            "--out",
            str(out),
            "--stages",
            "forecast,optimize",
        ],
    )
    assert r.exit_code == 0, r.output
    surv = json.loads((out / "summary.json").read_text())["survivability"]
    assert surv["converged"] and surv["mode"] == "single_corridor"
    assert surv["rounds"] >= 1 and surv["states_total"] >= 4
    # progress: one line per row-generation round as it ends, then the summary line
    assert r.output.count("survivability mip round") == surv["mip_rounds"]
    assert f"survivability single_corridor: {surv['rounds']} rounds" in r.output
    assert verify_plan(out).ok
    r = CliRunner().invoke(main, ["failures", "--plan", str(out)])
    assert r.exit_code == 0, r.output
    f = pd.read_csv(out / "failures.csv")
    assert f["state_id"].nunique() >= 4
    # the independent LP check on the surviving graph: nothing protected is lost after the plan
    assert f["protected_lost_after_gbps"].max() <= 1e-3 * max(1.0, f["protected_gbps"].max())
    assert f["survivable_after"].all()


def test_plan_line_names_no_budget_for_min_cost_plans():
    """A min-cost plan ignores the scenario's budget: the line must not say "of $600.0M"."""
    from planner.pipeline import plan_line

    base = dict(solver_status="optimal", capex_usd_total=250e6, budget_usd_total=600e6,
                served_fraction=1.0, mip_gap=0.004, bound_scope="all_paths")  # fmt: skip
    assert "of $600.0M" in plan_line({**base, "budget_applied": True})
    line = plan_line({**base, "budget_applied": False})
    assert "min-cost, no budget" in line and "600" not in line
    assert line.startswith("optimal: capex $250.0M") and "gap 0.40%" in line


def test_plan_line_prints_small_costs_in_dollars_not_as_zero_millions():
    """An SNDlib instance's costs are in its own units (21,818 here): "$0.0M" said nothing."""
    from planner.pipeline import plan_line
    from planner.units import usd_text

    sm = dict(solver_status="optimal", capex_usd_total=21818.44, served_fraction=1.0,
              mip_gap=0.0137, bound_scope="all_paths", budget_applied=False)  # fmt: skip
    line = plan_line(sm)
    assert line.startswith("optimal: capex $21,818 (min-cost, no budget)"), line
    assert usd_text(1_799_900_000.0) == "$1,799.9M" and usd_text(-2.5e6) == "$-2.5M"
    assert usd_text(999_999.4) == "$999,999" and usd_text(None) == "n/a"


def test_survivability_line_states_the_weighted_gap_the_rounds_stopped_on():
    from planner.pipeline import survivability_line

    sv = dict(mode="single_srlg", rounds=3, lp_rounds=2, mip_rounds=1, states_added=4,
              states_total=9, unprotected_gbps_final_year=1234.0, converged=True,
              round_log=[{"phase": "lp"}, {"phase": "mip", "protected_gap": 0.0079}])  # fmt: skip
    line = survivability_line({"years": [2027, 2028], "survivability": sv})
    assert "1,234 protected Gbps unprotected in 2028" in line
    assert line.endswith("served + protected gap 0.79% (weighted demand)")
    sv["round_log"] = [{"phase": "lp"}]  # no MIP round yet: nothing to state
    assert "gap" not in survivability_line({"years": [2027], "survivability": sv})
