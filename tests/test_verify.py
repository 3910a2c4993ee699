"""``planner verify`` catches every kind of violation, and the optimize/verify CLI works."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from planner.io.atomic import write_csv
from planner.io.plan import write_plan
from planner.io.run import write_inputs, write_run_inputs
from planner.optimize import plan
from planner.verify import verify_plan
from tests.builders import demand, scenario, triangle


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    """A verified plan: A-C-B upgraded, direct AB too expensive, some demand unserved."""
    inp = triangle(tmp_path, direct_usd=100.0)
    dem = demand(
        [
            ("A", "B", 2030, 150.0),
            ("A", "C", 2030, 50.0),
            ("A", "B", 2031, 300.0),
            ("A", "C", 2031, 50.0),
        ]
    )
    sc = scenario(years=2, budget=60.0)
    p = plan(inp, dem, sc)
    out = tmp_path / "plan"
    write_run_inputs(out, inp, sc)
    write_csv(dem, out / "demand.csv")
    write_plan(p, out)
    assert p.summary["capex_usd_total"] == 60.0 and p.summary["unserved_gbps_years"] > 0
    assert verify_plan(out).ok
    return out


def edit(path: Path, fn) -> None:
    df = pd.read_csv(path)
    out = fn(df)
    (df if out is None else out).to_csv(path, index=False)


def violations(d: Path) -> str:
    res = verify_plan(d)
    assert not res.ok
    return "\n".join(res.violations)


def test_capex_tampering_is_caught(plan_dir):
    edit(plan_dir / "upgrades.csv", lambda df: df.__setitem__("capex_usd", df["capex_usd"] / 2))
    v = violations(plan_dir)
    assert "capex_usd = units x unit cost" in v and "capex_usd_total = sum of upgrades" in v


def test_budget_overrun_is_caught(plan_dir):
    sc = yaml.safe_load((plan_dir / "scenario.yaml").read_text())
    sc["budget_usd_total"] = 50.0
    (plan_dir / "scenario.yaml").write_text(yaml.safe_dump(sc))
    assert "budget: total capex <= budget_usd_total: 60.00 > 50.00" in violations(plan_dir)


def test_flow_over_capacity_is_caught(plan_dir):
    def more(df):
        df.loc[0, "gbps"] += 500.0

    edit(plan_dir / "routing.csv", more)
    v = violations(plan_dir)
    assert "flow_gbps = sum of routed gbps" in v and "served_gbps = sum of routed gbps" in v

    def over(df):
        df["flow_gbps"] = df["capacity_gbps"] * 2 + 1

    edit(plan_dir / "capacity.csv", over)
    assert "flow_gbps <= 1 x capacity_gbps" in violations(plan_dir)


def test_missing_upgrade_breaks_capacity(plan_dir):
    edit(plan_dir / "upgrades.csv", lambda df: df.drop(index=0))
    assert "capacity_gbps = installed + upgrades in service" in violations(plan_dir)


def test_lead_time_and_unit_caps_are_checked(plan_dir):
    def early(df):
        df.loc[0, "in_service_year"] -= 1

    edit(plan_dir / "upgrades.csv", early)
    assert "in_service_year = year + lead time" in violations(plan_dir)
    opts = pd.read_csv(plan_dir / "inputs" / "upgrade_options.csv")
    opts["max_units_per_corridor"] = 1
    opts.to_csv(plan_dir / "inputs" / "upgrade_options.csv", index=False)
    assert "units per corridor and option <= max_units_per_corridor" in violations(plan_dir)


def test_demand_conservation_is_checked(plan_dir):
    def lose(df):
        df.loc[0, "unserved_gbps"] += 10.0

    edit(plan_dir / "unserved.csv", lose)
    assert "demand = served + unserved" in violations(plan_dir)
    dem = pd.read_csv(plan_dir / "demand.csv")
    dem.loc[0, "demand_gbps"] += 1.0
    dem.to_csv(plan_dir / "demand.csv", index=False)
    assert "demand_gbps = the run's demand table" in violations(plan_dir)


def test_broken_path_and_latency_limit_are_caught(plan_dir):
    def hop(df):
        df["path"] = df["path"].where(df["path"] != "AC;BC", "BC;AC")

    edit(plan_dir / "routing.csv", hop)
    assert "loop-free chain of corridors" in violations(plan_dir)


def test_latency_limit_is_checked(plan_dir):
    sc = yaml.safe_load((plan_dir / "scenario.yaml").read_text())
    sc["latency_ms_max"]["general"] = 1.0  # A-C-B is 1.47 ms
    (plan_dir / "scenario.yaml").write_text(yaml.safe_dump(sc))
    assert "latency within the pair class limit" in violations(plan_dir)


def test_wave_slots_are_checked(plan_dir):
    cor = pd.read_csv(plan_dir / "inputs" / "corridors.csv")
    cor["max_waves_per_fiber_pair"] = 1
    cor.to_csv(plan_dir / "inputs" / "corridors.csv", index=False)
    assert "waves in service <= wave slots" in violations(plan_dir)


def test_cli_verify_ok_and_failures(plan_dir, tmp_path):
    r = CliRunner().invoke(main, ["verify", str(plan_dir)])
    assert r.exit_code == 0, r.output
    assert r.output.strip().splitlines()[-1].startswith("OK: ")
    edit(plan_dir / "upgrades.csv", lambda df: df.__setitem__("units", df["units"] + 1))
    r = CliRunner().invoke(main, ["verify", str(plan_dir)])
    assert r.exit_code == 1
    assert "violation: upgrades: added_gbps = units x option capacity" in r.output
    assert "FAILED:" in r.output
    r = CliRunner().invoke(main, ["verify", str(tmp_path / "nowhere")])
    assert r.exit_code == 2 and "not a plan folder" in r.output


def test_cli_optimize_writes_a_verified_plan(tmp_path):
    inp = triangle(tmp_path, direct_usd=100.0)
    write_inputs(inp, tmp_path / "in")
    sc = scenario(years=2, budget=60.0).model_dump(mode="json")
    (tmp_path / "sc.yaml").write_text(yaml.safe_dump(sc))
    dem = demand([("A", "B", y, 150.0) for y in (2030, 2031)])
    write_csv(dem, tmp_path / "dem.csv")
    base = [
        "optimize",
        "--inputs",
        str(tmp_path / "in"),
        "--scenario",
        str(tmp_path / "sc.yaml"),
        "--demand",
        str(tmp_path / "dem.csv"),
    ]
    r = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "p1")])
    assert r.exit_code == 0, r.output
    assert "highs optimal" in r.output and "capex $40 of $60" in r.output
    for f in (
        "upgrades.csv",
        "capacity.csv",
        "unserved.csv",
        "routing.csv",
        "marginal_values.csv",
        "summary.json",
        "demand.csv",
        "scenario.yaml",
    ):
        assert (tmp_path / "p1" / f).is_file()
    assert CliRunner().invoke(main, ["verify", str(tmp_path / "p1")]).exit_code == 0
    r = CliRunner().invoke(
        main,
        [
            *base,
            "--out",
            str(tmp_path / "p2"),
            "--objective",
            "min-cost",
            "--formulation",
            "arc",
            "--solver",
            "cbc",
            "--time-limit",
            "30",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "cbc optimal" in r.output and "min-cost, no budget" in r.output
    assert CliRunner().invoke(main, ["verify", str(tmp_path / "p2")]).exit_code == 0
    sm = yaml.safe_load((tmp_path / "p2" / "summary.json").read_text())
    assert (sm["formulation"], sm["objective_mode"], sm["solver"]) == ("arc", "min-cost", "cbc")
    (tmp_path / "dem.csv").write_text("site_a,site_b,year,demand_gbps\nA,B,2030,lots\n")
    r = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "p3")])
    assert r.exit_code == 2 and "demand_gbps" in r.output


def test_cli_optimize_starts_from_an_earlier_plan(tmp_path):
    inp = triangle(tmp_path, direct_usd=100.0)
    write_inputs(inp, tmp_path / "in")
    dem = demand([("A", "B", 2030, 150.0), ("A", "B", 2031, 450.0)])
    write_csv(dem, tmp_path / "dem.csv")
    args = {}
    for name, budget in (("low", 40.0), ("high", 250.0)):
        sc = scenario(years=2, budget=budget).model_dump(mode="json")
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(sc))
        args[name] = [
            "optimize",
            "--inputs",
            str(tmp_path / "in"),
            "--scenario",
            str(tmp_path / f"{name}.yaml"),
            "--demand",
            str(tmp_path / "dem.csv"),
            "--no-marginals",
        ]
    r = CliRunner().invoke(main, [*args["low"], "--out", str(tmp_path / "low")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(
        main, [*args["high"], "--out", str(tmp_path / "high"), "--start", str(tmp_path / "low")]
    )
    assert r.exit_code == 0, r.output
    # the low plan fits, but the heuristics find a better start for the larger budget
    assert "start: " in r.output and "not used (a better start was found)" in r.output
    assert CliRunner().invoke(main, ["verify", str(tmp_path / "high")]).exit_code == 0
    low = yaml.safe_load((tmp_path / "low" / "summary.json").read_text())
    high = yaml.safe_load((tmp_path / "high" / "summary.json").read_text())
    assert high["unserved_gbps_years"] <= low["unserved_gbps_years"] + 1e-6
    assert low["capex_usd_total"] > 0 and high["capex_usd_total"] > 40.0
    # the reverse does not fit the smaller budget: said so, and the plan is still valid
    r = CliRunner().invoke(
        main, [*args["low"], "--out", str(tmp_path / "low2"), "--start", str(tmp_path / "high")]
    )
    assert r.exit_code == 0 and "not used (over the budget)" in r.output, r.output
    # a start folder that is not a plan: one line, exit 2, nothing written
    r = CliRunner().invoke(
        main, [*args["low"], "--out", str(tmp_path / "low3"), "--start", str(tmp_path / "x")]
    )
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert not (tmp_path / "low3").exists()


def test_a_word_in_a_plan_table_is_one_line_naming_the_cell(plan_dir):
    """A hand-edited plan folder: verify (and every reader of plan folders) names the cell."""

    def word(df):
        df["units"] = df["units"].astype(object)
        df.loc[0, "units"] = "abc"

    edit(plan_dir / "upgrades.csv", word)
    r = CliRunner().invoke(main, ["verify", "--plan", str(plan_dir)])
    assert r.exit_code == 2
    assert "upgrades.csv:2: units: got 'abc', expected a number" in r.output
    assert "Traceback" not in r.output
