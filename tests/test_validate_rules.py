"""Inputs a mutation fuzzer and a new user found accepted, or answered with a traceback
(issue 15): each is now one line naming the file and row/column or YAML key, exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.schema import TABLES
from tests.lease_cases import COMMITTED, LEASES

SCEN = "scenarios/base.yaml"


def validate(d: Path, *extra: str, scenario: str | None = SCEN):
    args = [*extra, "validate", "--inputs", str(d)]
    if scenario:
        args += ["--scenario", str(d / scenario)]
    r = CliRunner().invoke(main, args)
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert "Traceback" not in r.output
    return r


def errors(r) -> list[str]:
    return [ln for ln in r.output.splitlines() if ln.startswith("error: ")]


def set_cell(d: Path, fname: str, row: int, col: str, value: str) -> None:
    """Replace one cell (row 0 = first data row) of a CSV, keeping everything else."""
    p = d / fname
    lines = p.read_text().splitlines()
    head = lines[0].split(",")
    if col not in head:
        lines[0] += f",{col}"
        lines[1:] = [ln + "," for ln in lines[1:]]
        head.append(col)
    cells = lines[row + 1].split(",")
    cells[head.index(col)] = value
    lines[row + 1] = ",".join(cells)
    p.write_text("\n".join(lines) + "\n")


def set_key(d: Path, text_old: str, text_new: str) -> None:
    p = d / SCEN
    s = p.read_text()
    assert text_old in s
    p.write_text(s.replace(text_old, text_new))


def test_tiny_inputs_and_scenario_pass(tiny_dir):
    r = validate(tiny_dir)
    assert r.exit_code == 0, r.output


def test_header_only_corridors_rejected(tiny_dir):
    p = tiny_dir / "corridors.csv"
    p.write_text(p.read_text().splitlines()[0] + "\n")
    r = validate(tiny_dir)
    assert r.exit_code == 2
    assert f"error: {p}: no rows (expected at least 1 corridor)" in r.output


@pytest.mark.parametrize("fname", ["sites.csv", "corridors.csv", "candidate_routes.csv"])
def test_table_path_that_is_a_directory(tiny_dir, fname):
    p = tiny_dir / fname
    p.unlink()
    p.mkdir()
    r = validate(tiny_dir)
    assert r.exit_code == 2
    assert errors(r)[0] == f"error: {p}: not a file (got a directory, expected a CSV table)"


@pytest.mark.parametrize(
    "fname,col", [("corridors.csv", "installed_waves"), ("corridors.csv", "lit_fiber_pairs"),
                  ("corridors.csv", "spare_fiber_pairs"), ("candidate_routes.csv", "fiber_pairs"),
                  ("candidate_routes.csv", "lead_time_years")],
)  # fmt: skip
@pytest.mark.parametrize("value", ["9223372036854775808", "99999999999999999999999"])
def test_huge_integers_out_of_range(tiny_dir, fname, col, value):
    set_cell(tiny_dir, fname, 0, col, value)
    r = validate(tiny_dir)
    assert r.exit_code == 2, r.output
    assert f"error: {tiny_dir / fname}:2: {col}: out of range (got {value}" in r.output


NUMERIC = [
    (t.filename, c.name)
    for t in TABLES.values()
    for c in t.columns
    if c.dtype in ("int", "float") and t.name != "candidate_routes" or c.name == "distance_km"
]


@pytest.mark.parametrize("fname,col", NUMERIC)
@pytest.mark.parametrize("value", ["1e18", "1e300"])
def test_absurd_numbers_rejected_in_every_numeric_column(tiny_dir, fname, col, value):
    optional = {"lease_options.csv": LEASES, "committed_upgrades.csv": COMMITTED}
    if fname in optional:  # tiny has no lease offers nor commitments: valid files first
        for name, text in optional.items():
            (tiny_dir / name).write_text(text, encoding="utf-8")
    set_cell(tiny_dir, fname, 0, col, value)
    r = validate(tiny_dir)
    assert r.exit_code == 2, r.output
    assert f"{tiny_dir / fname}:2: {col}: " in errors(r)[0]


def test_plausibility_bound_is_an_error_with_a_documented_override(tiny_dir):
    set_cell(tiny_dir, "corridors.csv", 0, "distance_km", "45000")  # > 30,000 plausible
    r = validate(tiny_dir)
    assert r.exit_code == 2
    assert "distance_km: implausibly large (got 45000, expected <= 30000 km" in r.output
    assert "planner --allow-implausible" in r.output
    r = validate(tiny_dir, "--allow-implausible")
    assert r.exit_code == 0, r.output
    assert "warning: " in r.output and "implausibly large (got 45000" in r.output
    # the override never lifts a hard bound
    set_cell(tiny_dir, "corridors.csv", 0, "distance_km", "1e18")
    assert validate(tiny_dir, "--allow-implausible").exit_code == 2


@pytest.mark.parametrize(
    "month,fragment",
    [
        ("2040-01", "after the planning start (got 2040-01, expected before 2027-01"),
        ("1850-01", "out of range (got 1850-01, expected 1990-01 to 2100-12)"),
        ("2010-01", "months between 2010-01 and 2025-01"),
    ],
)
def test_history_month_out_of_place(tiny_dir, month, fragment):
    p = tiny_dir / "demand_history.csv"
    p.write_text(p.read_text() + f"ASH,NAL,{month},900\n")
    r = validate(tiny_dir)
    assert r.exit_code == 2, r.output
    assert f"{p}:" in r.output and fragment in r.output


def test_start_year_before_end_of_history_names_the_key(tiny_dir):
    set_key(tiny_dir, "start_year: 2027", "start_year: 2025")
    r = validate(tiny_dir)
    assert r.exit_code == 2
    assert f"error: {tiny_dir / SCEN}: start_year: planning starts before the history ends" in (
        r.output
    )


@pytest.mark.parametrize(
    "old,new,fragment",
    [
        ("budget_usd_total: 20000000.0", "budget_usd_total: .inf", "budget_usd_total: "),
        ("budget_usd_total: 20000000.0", "budget_usd_total: true", "not a boolean"),
        ("growth: base", "growth: .inf", "growth: "),
        ("growth: base", "growth: .nan", "growth: "),
        ("max_utilization: 0.8", "max_utilization: .nan", "max_utilization: "),
        ("k_paths: 3", "unserved_penalty_usd_per_gbps: .inf", "unserved_penalty_usd_per_gbps"),
        ("k_paths: 3", "protected_share: {general: .nan}", "protected_share.general"),
        ("k_paths: 3", "latency_ms_max: {general: .inf}", "latency_ms_max.general"),
        ("k_paths: 3", "budget_usd_per_year: [1, 2, .nan]", "budget_usd_per_year.2"),
        ("threads: 1", "threads: 10000", "solver.threads: "),
        ("seed: 7", "seed: 9223372036854775808", "seed: "),
        ("k_paths: 3", "k_paths: 3\nk_paths: 4", "k_paths: duplicate key (first at line"),
        ("budget_usd_total: 20000000.0", "budget_usd_total: 2.0e7\nbudget_usd_total: 1",
         "budget_usd_total: duplicate key"),
    ],
)  # fmt: skip
def test_scenario_nonsense_rejected_by_key(tiny_dir, old, new, fragment):
    set_key(tiny_dir, old, new)
    r = validate(tiny_dir)
    assert r.exit_code == 2, r.output
    (line,) = errors(r)
    assert line.startswith(f"error: {tiny_dir / SCEN}") and fragment in line, line


@pytest.mark.parametrize(
    "col,value,fragment",
    [  # fmt: skip
        ("lit_fiber_pairs", "0", "lit_fiber_pairs: 4000 Gbps installed on 0 lit fiber pairs"),
        ("installed_waves", "65", "installed_waves: more waves than slots (got 65, expected <= "),
        (
            "installed_capacity_gbps",
            "40000",
            "installed_capacity_gbps: 40000 Gbps needs 100 400G wave slots, the lit pairs have 64",
        ),
        (
            "distance_km",
            "0.001",
            "distance_km: shorter than the great circle between ASH and NAL (got 0.001 km, "
            "expected >= 470 km",
        ),
    ],
)
def test_impossible_corridor_rows(tiny_dir, col, value, fragment):
    set_cell(tiny_dir, "corridors.csv", 0, col, value)
    r = validate(tiny_dir)
    assert r.exit_code == 2, r.output
    assert f"{tiny_dir / 'corridors.csv'}:2: {fragment}" in r.output


def test_great_circle_tolerance_accepts_a_route_near_the_straight_line(tiny_dir):
    # ASH-NAL are ~467 km apart on the great circle: 450 km is within the 5 % tolerance
    set_cell(tiny_dir, "corridors.csv", 0, "distance_km", "450")
    assert validate(tiny_dir).exit_code == 0
    set_cell(tiny_dir, "corridors.csv", 0, "distance_km", "400")
    assert validate(tiny_dir).exit_code == 2


@pytest.mark.parametrize("keep", [0, 1, 2])
def test_truncated_sites_names_sites_csv_first(tiny_dir, keep):
    p = tiny_dir / "sites.csv"
    lines = p.read_text().splitlines()
    p.write_text("\n".join(lines[: 1 + keep]) + "\n")
    r = validate(tiny_dir)
    assert r.exit_code == 2
    errs = errors(r)
    assert errs[0].startswith(f"error: {p}"), errs[:3]
    assert len(errs) <= 12, errs


def test_big_network_truncated_sites_stays_short(tmp_path):
    d = tmp_path / "inputs"
    shutil.copytree(Path(__file__).resolve().parents[1] / "inputs", d)
    p = d / "sites.csv"
    p.write_text("\n".join(p.read_text().splitlines()[:6]) + "\n")
    r = validate(d)
    errs = errors(r)
    assert r.exit_code == 2 and errs[0].startswith(f"error: {p}: ")
    assert "is sites.csv truncated?" in errs[0]
    assert len(errs) < 40, len(errs)  # was 110-119 lines about other files


def test_truncated_sites_empty_file(tiny_dir):
    (tiny_dir / "sites.csv").write_text("")
    errs = errors(validate(tiny_dir))
    assert errs == [f"error: {tiny_dir / 'sites.csv'}: empty file (expected a header line)"]


def test_history_gaps_blame_the_stray_side_per_pair():
    """check_history over several pairs at once: each gap names its own pair and blames the
    side with fewer rows (a stray month before the history or after it); a pair without a gap
    and pairs given in any row order raise nothing."""
    import pandas as pd

    from planner.validate import LINE, check_history

    def rows(a, b, months, first_line):
        return [(a, b, pd.Timestamp(m), first_line + i) for i, m in enumerate(months)]

    good = [f"2020-{i:02d}-01" for i in range(1, 13)]
    data = (
        rows("X", "Y", ["2015-03-01", *good], 10)  # stray before: line 10
        + rows("A", "B", [*good[:6], "2029-01-01"], 30)  # stray after: line 36
        + rows("C", "D", good, 50)  # no gap
    )
    h = pd.DataFrame(data, columns=["site_a", "site_b", "month", LINE]).sample(
        frac=1, random_state=1
    )
    out = {p.row: p.message for p in check_history(h.reset_index(drop=True), "h.csv")}
    assert sorted(out) == [10, 36]
    assert "in the history of X-Y" in out[10] and "between 2015-03 and 2020-01" in out[10]
    assert "in the history of A-B" in out[36] and "between 2020-06 and 2029-01" in out[36]
