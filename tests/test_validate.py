"""Every validation rule on a broken copy of the tiny inputs: one line, right place, exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.errors import InputError
from planner.io import read_inputs, read_scenario

LINE_RE = re.compile(r"^error: \S+?(:\d+)?: ")


def edit(path: Path, fn) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = fn(df)
    df.to_csv(path, index=False)


def problems(d: Path) -> list[str]:
    with pytest.raises(InputError) as e:
        read_inputs(d)
    return [str(p) for p in e.value.problems]


def test_tiny_inputs_are_valid(tiny_dir):
    inp = read_inputs(tiny_dir)
    assert len(inp.sites) == 4 and len(inp.corridors) == 4
    assert (inp.demand_history["site_a"] < inp.demand_history["site_b"]).all()
    assert str(inp.demand_history["month"].dtype).startswith("datetime64")
    # optional columns are filled with defaults
    assert inp.corridors["extra_latency_ms"].notna().all()
    assert set(inp.upgrade_options["corridor_id"].isna()) == {True}


def set_cell(col, row, value):
    def fn(df):
        df.loc[row, col] = value
        return df

    return fn


CASES = [
    # (file, edit, expected fragment, expected line)
    (
        "sites.csv",
        lambda d: d.drop(columns=["lat"]),
        "sites.csv:1: lat: missing required column",
        1,
    ),
    ("sites.csv", lambda d: d.assign(colour="red"), "sites.csv:1: colour: unknown column", 1),
    ("sites.csv", set_cell("lat", 1, "north"), "sites.csv:3: lat: not a number (got 'north')", 3),
    (
        "sites.csv",
        set_cell("lat", 2, "95"),
        "sites.csv:4: lat: out of range (got 95, expected <= 90)",
        4,
    ),
    ("sites.csv", set_cell("lon", 0, "-200"), "sites.csv:2: lon: out of range", 2),
    ("sites.csv", set_cell("name", 3, ""), "sites.csv:5: name: missing value", 5),
    (
        "sites.csv",
        set_cell("site_id", 3, "ASH"),
        "sites.csv:5: site_id: duplicate id ASH (first at line 2",
        5,
    ),
    (
        "sites.csv",
        set_cell("kind", 0, "ai_campsu"),
        "sites.csv:2: kind: unknown value (got 'ai_campsu'",
        2,
    ),
    (
        "corridors.csv",
        set_cell("site_b", 0, "XYZ"),
        "corridors.csv:2: site_b: unknown site id (got 'XYZ'",
        2,
    ),
    ("corridors.csv", set_cell("site_b", 1, "NAL"), "corridors.csv:3: site_b: self-loop", 3),
    (
        "corridors.csv",
        set_cell("distance_km", 2, "0"),
        "corridors.csv:4: distance_km: out of range (got 0, expected > 0)",
        4,
    ),
    (
        "corridors.csv",
        set_cell("installed_capacity_gbps", 2, "-5"),
        "corridors.csv:4: installed_capacity_gbps: out of range",
        4,
    ),
    (
        "corridors.csv",
        set_cell("lit_fiber_pairs", 0, "1.5"),
        "corridors.csv:2: lit_fiber_pairs: not an integer",
        2,
    ),
    (
        "corridors.csv",
        set_cell("corridor_id", 1, "C1"),
        "corridors.csv:3: corridor_id: duplicate id C1",
        3,
    ),
    # the same pair listed twice, in the other order
    (
        "corridors.csv",
        lambda d: pd.concat([d, d.iloc[[0]].assign(corridor_id="C9", site_a="NAL", site_b="ASH")]),
        "corridors.csv:6: site_b: duplicate site pair ASH/NAL (first at line 2",
        6,
    ),
    (
        "demand_history.csv",
        set_cell("month", 3, "2025-13"),
        "demand_history.csv:5: month: not a month YYYY-MM (got '2025-13')",
        5,
    ),
    (
        "demand_history.csv",
        set_cell("p95_gbps", 4, "nan"),
        "demand_history.csv:6: p95_gbps: not a number",
        6,
    ),
    (
        "demand_history.csv",
        set_cell("p95_gbps", 4, ""),
        "demand_history.csv:6: p95_gbps: missing value",
        6,
    ),
    (
        "demand_history.csv",
        set_cell("p95_gbps", 5, "-1"),
        "demand_history.csv:7: p95_gbps: out of range",
        7,
    ),
    (
        "demand_history.csv",
        lambda d: pd.concat(
            [d, d.iloc[[0]].assign(site_a=d.iloc[0]["site_b"], site_b=d.iloc[0]["site_a"])]
        ),
        "duplicate pair/month ASH/NAL/2025-01",
        None,
    ),
    (
        "ai_buildout.csv",
        set_cell("site_id", 0, "NOPE"),
        "ai_buildout.csv:2: site_id: unknown site id",
        2,
    ),
    (
        "ai_buildout.csv",
        set_cell("year", 0, "twenty"),
        "ai_buildout.csv:2: year: not an integer",
        2,
    ),
    (
        "upgrade_options.csv",
        set_cell("capex_fixed_usd", 0, "-1"),
        "upgrade_options.csv:2: capex_fixed_usd: out of range",
        2,
    ),
    (
        "upgrade_options.csv",
        set_cell("capacity_gbps", 0, "0"),
        "upgrade_options.csv:2: capacity_gbps: a wave option must add capacity",
        2,
    ),
    (
        "upgrade_options.csv",
        set_cell("kind", 1, "dark_fiber"),
        "upgrade_options.csv:3: kind: unknown value",
        3,
    ),
    (
        "candidate_routes.csv",
        set_cell("site_b", 0, "NAL"),
        "candidate_routes.csv:2: site_b: self-loop",
        2,
    ),
]


@pytest.mark.parametrize(
    "fname, fn, fragment, line", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_each_rule_reports_file_line_column(tiny_dir, fname, fn, fragment, line):
    edit(tiny_dir / fname, fn)
    msgs = problems(tiny_dir)
    hit = [m for m in msgs if fragment in m]
    assert hit, f"{fragment!r} not in {msgs}"
    if line is not None:
        assert f"{fname}:{line}:" in hit[0]


def test_all_problems_in_a_file_are_listed(tiny_dir):
    edit(tiny_dir / "sites.csv", lambda d: d.assign(lat=["x", "y", "91", "40"]))
    msgs = problems(tiny_dir)
    assert sum("sites.csv:" in m and ": lat:" in m for m in msgs) == 3


def test_missing_required_file(tiny_dir):
    (tiny_dir / "corridors.csv").unlink()
    assert any("corridors.csv: missing file" in m for m in problems(tiny_dir))


def test_optional_candidate_file_may_be_absent(tiny_dir):
    (tiny_dir / "candidate_routes.csv").unlink()
    inp = read_inputs(tiny_dir)
    assert len(inp.candidate_routes) == 0
    assert "route_id" in inp.candidate_routes.columns


def test_unparseable_csv_gives_line(tiny_dir):
    p = tiny_dir / "sites.csv"
    p.write_text(p.read_text() + 'BAD,"unterminated,1,2,3\n')
    msgs = problems(tiny_dir)
    assert any("sites.csv" in m and "not a valid CSV" in m for m in msgs)


def test_empty_file(tiny_dir):
    (tiny_dir / "sites.csv").write_text("")
    assert any("sites.csv: empty file" in m for m in problems(tiny_dir))


def test_non_utf8(tiny_dir):
    (tiny_dir / "sites.csv").write_bytes(b"site_id,name\n\xff\xfe,x\n")
    assert any("not UTF-8" in m for m in problems(tiny_dir))


# --- scenario -------------------------------------------------------------------------------


def write_yaml(tmp_path, text):
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


BASE = "name: t\nstart_year: 2027\nbudget_usd_total: 1.0e+8\n"


def scenario_problems(tmp_path, text):
    with pytest.raises(InputError) as e:
        read_scenario(write_yaml(tmp_path, text))
    return [str(p) for p in e.value.problems]


def test_scenario_ok_and_defaults(tmp_path):
    s = read_scenario(write_yaml(tmp_path, BASE + "budget_usd_per_year: [1, 2, 3, 4, 5]\n"))
    assert s.years == [2027, 2028, 2029, 2030, 2031]
    assert s.quantile_column == "p90_gbps"
    assert s.solver.name == "highs"


@pytest.mark.parametrize(
    "extra, fragment",
    [
        ("budget_usd_totl: 5\n", "budget_usd_totl: unknown key"),
        ("solver: {name: highs, mipgap: 0.1}\n", "solver.mipgap: unknown key"),
        ("solver: {name: gurobi}\n", "solver.name:"),
        ("growth: medium\n", "growth:"),
        ("growth: -1.0\n", "growth:"),
        ("demand_quantile: 1.5\n", "demand_quantile:"),
        ("max_utilization: 0\n", "max_utilization:"),
        ("survivability: double\n", "survivability:"),
        (
            "budget_usd_per_year: [1, 2]\n",
            "budget_usd_per_year: has 2 values, expected horizon_years=5 (got [1, 2])",
        ),
        (  # a whole-scenario check names its key and shows that value, not the mapping
            "opex_budget_usd_per_year: [1, 2]\n",
            "opex_budget_usd_per_year: has 2 values, expected one or horizon_years=5 (got [1, 2])",
        ),
        ("latency_ms_max: {training: 10}\n", "latency_ms_max: unknown pair class"),
    ],
)
def test_scenario_bad_keys_name_the_key(tmp_path, extra, fragment):
    msgs = scenario_problems(tmp_path, BASE + extra)
    assert any(fragment in m for m in msgs), msgs
    assert not any("<root>" in m or "'name':" in m for m in msgs), msgs


def test_negative_budget(tmp_path):
    msgs = scenario_problems(tmp_path, "name: t\nstart_year: 2027\nbudget_usd_total: -5\n")
    assert any("budget_usd_total:" in m and "greater than or equal to 0" in m for m in msgs)


def test_missing_key_and_bad_yaml(tmp_path):
    assert any(
        "start_year: missing required key" in m
        for m in scenario_problems(tmp_path, "name: t\nbudget_usd_total: 1\n")
    )
    msgs = scenario_problems(tmp_path, "name: t\n  bad: [\n")
    assert any("not valid YAML" in m and ":2" in m for m in msgs)


# --- CLI ------------------------------------------------------------------------------------


def test_cli_validate_ok(tiny_dir):
    r = CliRunner().invoke(main, ["validate", "--inputs", str(tiny_dir)])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("OK: 4 sites")


def test_cli_validate_bad_prints_one_line_each_exit_2(tiny_dir):
    edit(tiny_dir / "sites.csv", set_cell("lat", 1, "north"))
    edit(tiny_dir / "corridors.csv", set_cell("site_b", 0, "XYZ"))
    r = CliRunner().invoke(main, ["validate", "--inputs", str(tiny_dir)])
    assert r.exit_code == 2
    lines = [ln for ln in r.stderr.splitlines() if ln]
    assert len(lines) == 2 and all(LINE_RE.match(ln) for ln in lines), lines
    assert "Traceback" not in r.output


def test_cli_run_with_bad_input_writes_nothing(tiny_dir, tmp_path):
    edit(tiny_dir / "corridors.csv", set_cell("distance_km", 0, "-3"))
    out = tmp_path / "out"
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
    assert r.exit_code == 2
    assert "corridors.csv:2: distance_km: out of range" in r.stderr
    assert not out.exists()


def test_cli_help_mentions_units_and_defaults():
    r = CliRunner().invoke(main, ["run", "--help"])
    assert r.exit_code == 0
    assert "[default: inputs]" in r.output and "USD" in r.output
