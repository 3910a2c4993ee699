"""Atomic writes, run folders and the generated schema docs."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.docs import BEGIN, END, render
from planner.errors import InputError
from planner.io import read_inputs, read_scenario
from planner.io.atomic import atomic_write, write_csv
from planner.io.plan import read_plan
from planner.io.run import read_demand, read_run_inputs, write_run_inputs
from tests.conftest import ROOT


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    p = tmp_path / "a.csv"
    write_csv(pd.DataFrame({"x": [1]}), p)
    with pytest.raises(RuntimeError), atomic_write(p) as tmp:
        tmp.write_text("half-written")
        raise RuntimeError("killed")
    assert p.read_text().splitlines() == ["x", "1"]
    assert [q.name for q in tmp_path.iterdir()] == ["a.csv"]  # no temp file left behind


def test_run_inputs_round_trip(tiny_dir, tmp_path):
    inp = read_inputs(tiny_dir)
    sc = read_scenario(tiny_dir / "scenarios" / "base.yaml")
    write_run_inputs(tmp_path / "run", inp, sc)
    inp2, sc2 = read_run_inputs(tmp_path / "run")
    assert sc2 == sc
    for name in ("sites", "corridors", "demand_history", "upgrade_options", "candidate_routes"):
        a, b = inp.table(name), inp2.table(name)
        pd.testing.assert_frame_equal(
            a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False
        )
    assert (tmp_path / "run" / "inputs_summary.json").exists()


def test_read_demand_canonicalises_and_sums(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("site_a,site_b,year,demand_gbps\nB,A,2027,10\nA,B,2027,5\nA,C,2027,1\n")
    d = read_demand(p)
    assert d.to_dict("records") == [
        {"site_a": "A", "site_b": "B", "year": 2027, "demand_gbps": 15.0},
        {"site_a": "A", "site_b": "C", "year": 2027, "demand_gbps": 1.0},
    ]
    p.write_text("site_a,site_b,year,demand_gbps\nA,B,2027,-1\n")
    with pytest.raises(InputError, match=r"d.csv:2: demand_gbps"):
        read_demand(p)


def test_read_plan_on_non_plan_dir(tmp_path):
    """A folder with none of the plan files is one line, not one per table."""
    with pytest.raises(InputError, match="not a plan folder") as e:
        read_plan(tmp_path)
    assert len(e.value.problems) == 1
    (tmp_path / "summary.json").write_text("{}")  # a partial plan: each missing table named
    with pytest.raises(InputError, match="upgrades.csv: missing: is this a plan directory"):
        read_plan(tmp_path)


def test_schema_docs_render_and_are_current():
    text = f"intro\n{BEGIN}\nold\n{END}\nrest\n"
    out = render(text)
    assert "`installed_capacity_gbps` | float | Gbps" in out and out.endswith("rest\n")
    readme = (ROOT / "inputs" / "README.md").read_text()
    assert render(readme) == readme, "inputs/README.md is stale: run `make docs`"


def test_atomic_files_get_normal_permissions(tmp_path):
    import os
    import stat

    p = write_csv(pd.DataFrame({"x": [1]}), tmp_path / "p.csv")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask


def test_final_name_strips_the_staging_decoration():
    from planner.io.folder import STAGED, final_name

    assert final_name(STAGED.format(name="base", pid=30516)) == "base"
    assert final_name("/x/.my.plan.tmp-7") == "my.plan"
    for plain in ("base", ".hidden", "a.tmp-x", "run.tmp-12"):
        assert final_name(plain) == plain
