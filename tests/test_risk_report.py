"""The report's Risk page (issue 17): there when risk results exist or are asked for, absent
otherwise, and the default report unchanged."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from planner.cli import main
from planner.errors import InputError
from planner.io.risk import read_risk
from planner.report.load import load_report_data
from planner.report.render import FIGURES
from tests.fixtures_report.synthetic import make_plan_dir

PAGES = 1 + len(FIGURES) + 1  # title, figures, one schedule page (tests/test_report.py)


def _pdf(path) -> tuple[int, str]:
    r = PdfReader(path)
    return len(r.pages), "\n".join(p.extract_text() for p in r.pages)


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory):
    return make_plan_dir(tmp_path_factory.mktemp("plan") / "base")


@pytest.mark.slow
def test_report_risk_option_evaluates_and_adds_the_page(plan_dir, tmp_path):
    """No risk data: the report is as before (no page, no risk files); ``--risk 30``: the
    plan judged on 30 fresh scenarios, risk.csv / risk.json / risk.png and one more page."""
    # without risk data: no page (tests/test_report.py counts the default report's pages)
    assert load_report_data(plan_dir).risk is None
    out = tmp_path / "out"
    args = ["report", "--plan", str(plan_dir), "--out", str(out), "--risk", "30"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    n, text = _pdf(out / "report.pdf")
    assert n == PAGES + 1
    assert "Risk: how often the plan carries fresh demand scenarios" in text
    assert "30 joint scenarios" in text
    assert (out / "risk.png").stat().st_size > 10_000
    t = pd.read_csv(out / "risk.csv")
    tot = t[(t["pair_class"] == "all") & (t["year"].astype(str) == "all")]
    assert tot["n_scenarios"].item() == 30
    assert 0.0 <= tot["p_serve_all"].item() <= 1.0
    summary = json.loads((out / "risk.json").read_text())
    assert summary["p_serve_all"] == pytest.approx(tot["p_serve_all"].item())
    assert summary["capex_usd_total"] == pytest.approx(49.5e6, rel=0.01)  # the plan's CapEx
    assert f"wrote {out / 'risk.csv'}" in r.output
    assert not (plan_dir / "risk.csv").exists()  # --out: the plan folder is left alone


@pytest.mark.slow
def test_planner_risk_results_give_the_page_then_comparison(tmp_path):
    """After ``planner risk`` the plain report shows its results; after a comparison of two
    plans written into the plan folder, both plans are on the page."""
    a = make_plan_dir(tmp_path / "a")
    b = make_plan_dir(tmp_path / "b", upgrades=False)
    run = CliRunner().invoke
    assert run(main, ["risk", "--plan", str(a), "--scenarios", "20"]).exit_code == 0
    alone = load_report_data(a).risk
    assert [s["plan"] for s in alone.summaries] == ["a"] and alone.n_scenarios == 20
    r = run(main, ["risk", "--plan", str(a), "--plan", str(b), "--scenarios", "20"])
    assert r.exit_code == 0, r.output
    res = read_risk(a)
    assert [s["plan"] for s in res.summaries] == ["a", "b"]
    assert set(res.table["plan"]) == {"a", "b"}
    assert run(main, ["report", "--plan", str(a), "--format", "pdf"]).exit_code == 0
    n, text = _pdf(a / "report.pdf")
    assert n == PAGES + 1 and "Plans side by side" in text
    # b's own folder holds only its risk.csv: its report shows b alone
    assert [s["plan"] for s in read_risk(b).summaries] == ["b"]


def test_garbled_risk_csv_is_one_line(plan_dir, tmp_path):
    import shutil

    d = tmp_path / "p"
    shutil.copytree(plan_dir, d)
    (d / "risk.json").write_text(json.dumps({"plan": "p", "n_scenarios": 5}))
    (d / "risk.csv").write_text("pair_class,year,p_serve_all,unserved_gbps_mean\nall,all,x,0\n")
    with pytest.raises(InputError, match="p_serve_all"):
        read_risk(d)
    r = CliRunner().invoke(main, ["report", "--plan", str(d)])
    assert r.exit_code == 2
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "risk.csv" in lines[0], r.output
