"""Leases end to end on the tiny network: build-only comparison, report page, and re-planning
over a plan of record that keeps every committed purchase and contract (issue 18)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from tests.conftest import TINY
from tests.lease_cases import LEASES

pytestmark = pytest.mark.slow


def _scenario(d: Path, name: str = "lease", **extra) -> Path:
    raw = yaml.safe_load((d / "scenarios" / "base.yaml").read_text(encoding="utf-8"))
    # a tight budget: the plan leases on C1 (5 units 2027-2028, 6 units from 2029)
    raw.update(discount_rate=0.05, compare_build_only=True, budget_usd_total=2e6)
    raw.update(opex_budget_usd_per_year=1e6, **extra)
    p = d / "scenarios" / f"{name}.yaml"
    p.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return p


def _run(d: Path, scen: Path, out: Path, *extra: str, stages="forecast,optimize"):
    args = ["run", "--inputs", str(d), "--scenario", str(scen), "--out", str(out)]
    return CliRunner().invoke(main, [*args, "--stages", stages, *extra])


def _rows(out: Path, frozen: int) -> pd.DataFrame:
    up = pd.read_csv(out / "upgrades.csv")
    ls = pd.read_csv(out / "leases.csv").rename(columns={"lease_id": "option_id"})
    both = pd.concat([up, ls], ignore_index=True)
    both = both[both["year"] <= frozen]
    return both.groupby(["corridor_id", "option_id", "year"])["units"].sum()


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    """One lease run (with the report) that every test re-plans over, read-only."""
    tiny_dir = tmp_path_factory.mktemp("lease") / "inputs"
    shutil.copytree(TINY, tiny_dir)
    (tiny_dir / "lease_options.csv").write_text(LEASES, encoding="utf-8")
    tmp_path = tiny_dir.parent
    scen = _scenario(tiny_dir)
    out = tmp_path / "record"
    r = _run(tiny_dir, scen, out, stages="forecast,optimize,report")
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(out / "leases.csv")) > 0
    return tiny_dir, scen, out


def test_lease_run_compares_build_only_and_draws_the_mix(record):
    _, _, out = record
    sm = json.loads((out / "summary.json").read_text())
    bo = sm["build_only"]
    assert bo["opex_usd_total"] == 0.0 and bo["npv_usd"] > 0
    assert sm["served_fraction"] > bo["served_fraction"]  # the leases serve more
    # the build-only plan starts the lease plan, which can do everything it does: never
    # worse (up to the latency tie-breaks, weighted per model)
    assert sm["objective"] <= bo["objective"] + sm["routing_tiebreak_max_usd"] + 1e-6
    money = pd.read_csv(out / "money.csv")
    assert money["npv_usd"].sum() <= sm["npv_usd"] + 1e-6
    # the CapEx page's lines (purchases + lease upfront fees) add up to the plan's CapEx
    from planner.report.derive import capex_rows

    lines = capex_rows(pd.read_csv(out / "upgrades.csv"), pd.read_csv(out / "leases.csv"))
    assert lines["capex_usd"].sum() == pytest.approx(sm["capex_usd_total"], rel=1e-9)
    assert (out / "lease_mix.png").is_file() and (out / "report.pdf").is_file()
    assert CliRunner().invoke(main, ["verify", "--plan", str(out)]).exit_code == 0


@pytest.mark.parametrize("frozen", [None, 2028])
def test_replan_keeps_every_committed_purchase_and_contract(record, tmp_path, frozen):
    d, scen, rec = record
    out = tmp_path / "again"
    extra = ["--plan-of-record", str(rec)] + ([] if frozen is None else ["--frozen-through",
                                                                         str(frozen)])  # fmt: skip
    r = _run(d, scen, out, *extra)
    assert r.exit_code == 0, r.output
    year = frozen or 2027
    before, after = _rows(rec, year), _rows(out, year)
    assert len(before) > 0
    for key, units in before.items():
        assert after.get(key, 0) >= units, key
    com = pd.read_csv(out / "inputs" / "committed_upgrades.csv")
    assert int(com["units"].sum()) == int(before.sum())
    ch = pd.read_csv(out / "changes.csv")
    frozen_changes = set(ch.loc[ch["year"] <= year, "change"])
    # nothing of the frozen years dropped or cut (the budget comes on top of the committed
    # spend, so the plan may order more in them)
    assert frozen_changes and frozen_changes <= {"committed", "more", "added"}
    sm = json.loads((out / "summary.json").read_text())
    assert sm["plan_of_record"]["frozen_through_year"] == year
    assert sm["capex_committed_usd"] > 0
    v = CliRunner().invoke(main, ["verify", "--plan", str(out)])
    assert v.exit_code == 0, v.output


def test_record_years_before_the_start_are_one_clear_error(record, tmp_path):
    d, _, rec = record
    later = _scenario(d, "late", start_year=2028)
    r = _run(d, later, tmp_path / "late", "--plan-of-record", str(rec))
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln]
    assert lines and all("year 2027 is before the scenario's start_year 2028" in ln
                         for ln in lines), lines  # fmt: skip
    assert f"{rec / 'upgrades.csv'}:2: year:" in lines[0]


def test_record_that_is_not_a_plan_folder_is_one_line(record, tmp_path):
    d, scen, _ = record
    (tmp_path / "notes").mkdir()
    r = _run(d, scen, tmp_path / "out", "--plan-of-record", str(tmp_path / "notes"))
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln]
    assert len(lines) == 1 and "not a plan folder" in lines[0], lines
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("year", [1990, 2099])
def test_frozen_through_outside_the_scenario_is_one_clear_error(record, tmp_path, year):
    d, scen, rec = record
    r = _run(d, scen, tmp_path / "out", "--plan-of-record", str(rec), "--frozen-through", str(year))
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln]
    assert len(lines) == 1 and f"--frozen-through: got {year}, expected a year from" in lines[0]
    assert not (tmp_path / "out").exists()


def test_frozen_through_needs_a_plan_of_record(record, tmp_path):
    d, scen, _ = record
    r = _run(d, scen, tmp_path / "out", "--frozen-through", "2028")
    assert r.exit_code == 2 and "needs --plan-of-record" in r.output, r.output
