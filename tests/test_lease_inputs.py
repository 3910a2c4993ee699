"""Lease offers, committed upgrades and the money keys of a scenario: every new column's rule
gives one clear line (file:line: column: what is wrong) and exit code 2 (issue 18)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from planner.errors import InputError
from planner.io import read_inputs, read_scenario
from planner.network import corridor_table
from planner.optimize.lease_sets import lease_rows
from tests.lease_cases import COMMITTED, LEASES, lease_inputs, lease_scenario

LINE_RE = re.compile(r"^error: \S+?(:\d+)?: ")


def write(d: Path, leases: str = LEASES, committed: str = COMMITTED) -> None:
    (d / "lease_options.csv").write_text(leases, encoding="utf-8")
    (d / "committed_upgrades.csv").write_text(committed, encoding="utf-8")


def test_lease_and_committed_tables_read_with_defaults(tiny_dir):
    write(tiny_dir)
    inp = read_inputs(tiny_dir)
    ls = inp.lease_options.set_index("lease_id")
    assert ls.at["L2", "min_term_years"] == 1 and ls.at["L2", "lead_time_years"] == 0
    assert ls.at["L2", "upfront_usd_per_unit"] == 0.0 and ls.at["L2", "corridor_id"] is None
    assert ls.at["L2", "available_from_year"] == 2028
    assert len(inp.committed_upgrades) == 3
    # absent files: no leases, no commitments
    (tiny_dir / "lease_options.csv").unlink()
    (tiny_dir / "committed_upgrades.csv").unlink()
    inp = read_inputs(tiny_dir)
    assert len(inp.lease_options) == 0 and len(inp.committed_upgrades) == 0


def _replace(text: str, line: int, col: str, value: str) -> str:
    rows = [r.split(",") for r in text.strip().split("\n")]
    rows[line - 1][rows[0].index(col)] = value
    return "\n".join(",".join(r) for r in rows) + "\n"


LEASE_CASES = [  # (column, line, value, fragment)
    ("lease_id", 3, "L1", "duplicate"),
    ("lease_id", 2, "wave_400g", "also an option_id"),
    ("corridor_id", 2, "C9", "unknown corridor"),
    ("capacity_gbps", 2, "0", "out of range (got 0, expected > 0)"),
    ("opex_usd_per_unit_year", 2, "lots", "not a number"),
    ("upfront_usd_per_unit", 2, "-1", "out of range"),
    ("min_term_years", 2, "0", "out of range (got 0, expected >= 1)"),
    ("lead_time_years", 2, "1.5", "not an integer"),
    ("max_units", 2, "-2", "out of range"),
    ("price_change_per_year", 2, "2", "out of range"),
    ("available_from_year", 3, "1800", "out of range"),
]
COMMITTED_CASES = [
    ("corridor_id", 2, "C9", "unknown corridor"),
    ("option_id", 2, "wave_9t", "unknown option"),
    ("year", 2, "soon", "not an integer"),
    ("units", 2, "0", "out of range"),
    ("units", 2, "200", "max_units_per_corridor"),
    ("units", 3, "9", "the lease's max_units 8"),
    ("term_years", 2, "3", "only leases have a term"),
    ("term_years", 3, "1", "min_term_years 2"),
    ("corridor_id", 4, "C1", "a new_build needs a candidate route"),
    ("units", 4, "2", "a route is built once"),
]


def _one_error(d: Path, fname: str, line: int, col: str, fragment: str) -> None:
    r = CliRunner().invoke(main, ["validate", "--inputs", str(d)])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln]
    assert len(lines) == 1 and LINE_RE.match(lines[0]), lines
    assert f"{fname}:{line}: {col}: " in lines[0] and fragment in lines[0], lines[0]
    assert "Traceback" not in r.output


@pytest.mark.parametrize(("col", "line", "value", "fragment"), LEASE_CASES)
def test_each_lease_column_rule(tiny_dir, col, line, value, fragment):
    write(tiny_dir, leases=_replace(LEASES, line, col, value), committed=COMMITTED.split("\n")[0])
    _one_error(tiny_dir, "lease_options.csv", line, col, fragment)


@pytest.mark.parametrize(("col", "line", "value", "fragment"), COMMITTED_CASES)
def test_each_committed_column_rule(tiny_dir, col, line, value, fragment):
    write(tiny_dir, committed=_replace(COMMITTED, line, col, value))
    _one_error(tiny_dir, "committed_upgrades.csv", line, col, fragment)


def test_committed_fiber_pairs_beyond_spare(tiny_dir):
    write(tiny_dir, committed=COMMITTED.split("\n")[0] + "\nC2,fiber_pair,2027,2,\n")
    _one_error(tiny_dir, "committed_upgrades.csv", 2, "units", "spare_fiber_pairs 1")


def test_committed_year_outside_the_horizon_is_named_at_run(tiny_dir, tmp_path):
    write(tiny_dir, committed=_replace(COMMITTED, 2, "year", "2035"))
    r = CliRunner().invoke(
        main,
        ["run", "--inputs", str(tiny_dir), "--scenario", str(tiny_dir / "scenarios/base.yaml"),
         "--out", str(tmp_path / "out"), "--stages", "forecast,optimize"],
    )  # fmt: skip
    assert r.exit_code == 2, r.output
    assert "committed_upgrades.csv:2: year: got 2035, expected a horizon year 2027-2029" in (
        r.stderr
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"discount_rate": 1.5}, "discount_rate"),
        ({"discount_rate": True}, "not a boolean"),
        ({"opex_budget_usd_per_year": [1.0, 2.0]}, "has 2 values, expected one or"),
        ({"opex_budget_usd_per_year": -5.0}, "must be >= 0"),
        ({"new_leases": "maybe"}, "new_leases"),
        ({"compare_build_only": 3}, "compare_build_only"),
    ],
)
def test_scenario_money_keys(tmp_path, extra, fragment):
    raw = yaml.safe_load((Path(__file__).parent / "data/tiny/scenarios/base.yaml").read_text())
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump({**raw, **extra}), encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_scenario(p)
    assert len(e.value.problems) == 1 and fragment in str(e.value.problems[0])


@pytest.mark.parametrize(("lead", "n_rows"), [(0, 16), (2, 7)])
def test_lease_contract_rows_by_hand(tmp_path, lead, n_rows):
    # 2030-2035, min term 2: lead 0 -> signed 2030: terms 2..6 (5 rows), 2031: 4, 2032: 3,
    # 2033: 2, 2034: 1, 2035: only the 2-year min term past the horizon (1) = 16; lead 2 ->
    # in service 2032: 3, 2033: 2, 2034: 1, 2035: 1 (min term), later: none = 7
    inp = lease_inputs(tmp_path, lead_time_years=lead)
    cor, _ = corridor_table(inp)
    rows = lease_rows(cor, inp.lease_options, lease_scenario())
    assert len(rows) == n_rows
    assert (rows["term_years"] >= 2).all()
    assert (rows["end_year"] == rows["in_service_year"] + rows["term_years"] - 1).all()
    past = rows[rows["end_year"] > 2035]
    assert len(past) == 1 and past.iloc[0]["in_service_year"] == 2035
