"""Sweeps: budgets parsing, run hashing, resume, failure capture, comparison, CLI.

Orchestration mechanics (skip/resume/failure/atomicity) use fake stages with hand-computable
answers; the end-to-end tests at the bottom solve the real model on tests/data/tiny. All of
them run on a real dask LocalCluster (threads, for start-up speed), never a mock.
"""

from __future__ import annotations

import os
import shutil
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from distributed import Client, LocalCluster
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.commands.sweep import parse_budgets, sweep
from planner.config import Scenario
from planner.errors import InputError, SolverError
from planner.io import read_inputs, read_scenario
from planner.io.plan import read_plan
from planner.options import PlanOptions
from planner.sweep import (
    RUNS_COLUMNS,
    Stages,
    budget_label,
    budget_variant,
    inputs_digest,
    plan_runs,
    run_sweep,
    with_threads,
)
from planner.sweep.frontier import (
    buy_order_table,
    frontier_table,
    frontier_upgrades,
    frontier_violations,
    marginal_table,
    render_comparison,
)
from planner.tables import Plan

M = 1e6

# --- fake stages: a hand-solvable "optimiser" -------------------------------------------------

#: Fake model: every corridor in id order costs $10M; corridor i is bought once the budget
#: reaches (i + 1) x $10M. Served = min(demand, 60 % of demand + 10 % per corridor bought).
CORRIDOR_USD = 10 * M
CALLS: dict[str, list] = {"forecast": [], "plan": []}
_LOCK = threading.Lock()


def fake_forecast(inputs, scenario: Scenario) -> pd.DataFrame:
    with _LOCK:
        CALLS["forecast"].append(scenario.name)
    pairs = inputs.demand_history[["site_a", "site_b"]].drop_duplicates()
    rows = [(a, b, y, 100.0 * (i + 1)) for i, (a, b) in enumerate(pairs.to_numpy()) for y in
            scenario.years]  # fmt: skip
    return pd.DataFrame(rows, columns=["site_a", "site_b", "year", "p90_gbps"])


def fake_demand(fc: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    return fc.rename(columns={"p90_gbps": "demand_gbps"})[
        ["site_a", "site_b", "year", "demand_gbps"]
    ]


def fake_plan(inputs, demand: pd.DataFrame, scenario: Scenario, options=None) -> Plan:
    b = scenario.budget_usd_total
    with _LOCK:
        CALLS["plan"].append((scenario.name, b, scenario.solver.threads))
    if b == 13 * M:
        raise SolverError("time limit reached with no feasible plan")
    cids = sorted(inputs.corridors["corridor_id"])
    bought = [c for i, c in enumerate(cids) if b >= (i + 1) * CORRIDOR_USD]
    share = min(1.0, 0.6 + 0.1 * len(bought))
    un = demand.assign(served_gbps=demand["demand_gbps"] * share)
    un["unserved_gbps"] = un["demand_gbps"] - un["served_gbps"]
    y0 = scenario.start_year
    up = pd.DataFrame(
        {"corridor_id": bought, "option_id": "wave_400g", "kind": "wave", "year": y0,
         "in_service_year": y0, "units": 2, "added_gbps": 800.0, "capex_usd": CORRIDOR_USD}
    )  # fmt: skip
    last = un[un["year"] == un["year"].max()]
    empty = {n: pd.DataFrame(columns=c) for n, c in (
        ("capacity", ["corridor_id", "year", "capacity_gbps", "flow_gbps", "utilization"]),
        ("routing", ["site_a", "site_b", "year", "path", "gbps", "latency_ms"]),
        ("marginal_values", ["corridor_id", "year", "usd_per_gbps"]))}  # fmt: skip
    summary = {
        "solver": "fake", "solver_status": "Optimal", "objective": float(un["unserved_gbps"].sum()),
        "mip_gap": 0.0, "solve_seconds": 0.01, "budget_usd_total": b,
        "capex_usd_total": float(up["capex_usd"].sum()),
        "served_fraction": float(un["served_gbps"].sum() / un["demand_gbps"].sum()),
        "unserved_gbps_final_year": float(last["unserved_gbps"].sum()),
    }  # fmt: skip
    return Plan(upgrades=up, unserved=un, summary=summary, **empty)


FAKE = Stages(forecast=fake_forecast, demand=fake_demand, plan=fake_plan)


@pytest.fixture(scope="module")
def client():
    """One small real cluster for the module: 2 single-threaded workers in this process."""
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=":0",  # any free port: other test runs may hold 8787
            scheduler_kwargs={"dashboard": False},
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(autouse=True)
def _reset_calls():
    for v in CALLS.values():
        v.clear()


def _scenario(tiny_dir: Path, name: str = "base", **kw) -> Path:
    data = yaml.safe_load((tiny_dir / "scenarios" / "base.yaml").read_text())
    data.update(name=name, **kw)
    p = tiny_dir / "scenarios" / f"{name}.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def _sweep(tiny_dir, out, budgets, client, scenarios=None, comparison=False, **kw):
    scenarios = scenarios or [_scenario(tiny_dir)]
    return run_sweep(
        tiny_dir, scenarios, budgets, out, client=client, stages=FAKE, comparison=comparison, **kw
    )


# --- budgets, variants, hashes -----------------------------------------------------------------


def test_parse_budgets_lists_ranges_and_suffixes():
    assert parse_budgets("0,100e6,300M,$1.2B") == [0.0, 100 * M, 300 * M, 1.2e9]
    assert parse_budgets("0:600M:4") == [0.0, 200 * M, 400 * M, 600 * M]
    assert parse_budgets("600M:0:3, 50M, 300e6") == [0.0, 50 * M, 300 * M, 600 * M]
    assert parse_budgets("250k:250k:1") == [250e3]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "expected at least one budget"),
        ("100,abc", "got 'abc', expected an amount in USD"),
        ("-5M", "got '-5M'"),
        ("0:600M", "expected start:stop:count"),
        ("0:600M:0", "count >= 1"),
        ("0:1B:5000", "expected at most 1000"),
    ],
)
def test_parse_budgets_rejects_with_a_message(spec, message):
    with pytest.raises(InputError, match=message) as e:
        parse_budgets(spec)
    assert all(p.path == "--budgets" for p in e.value.problems)


@settings(max_examples=40, deadline=None)
@given(
    lo=st.integers(0, 2_000).map(lambda x: x * 1e6),
    step=st.integers(1, 500).map(lambda x: x * 1e6),
    n=st.integers(2, 30),
)
def test_parse_budget_range_is_inclusive_and_evenly_spaced(lo, step, n):
    hi = lo + step * (n - 1)
    got = parse_budgets(f"{lo:.0f}:{hi:.0f}:{n}")
    assert len(got) == n and got[0] == lo and got[-1] == pytest.approx(hi)
    assert all(b - a == pytest.approx(step) for a, b in zip(got, got[1:], strict=False))


@pytest.mark.filterwarnings("ignore::planner.errors.InputWarning")  # 4 threads on this machine
def test_budget_variant_scales_per_year_caps_and_caps_threads(tiny_dir):
    sc = read_scenario(_scenario(tiny_dir, budget_usd_total=20 * M,
                                 budget_usd_per_year=[10 * M, 6 * M, 4 * M],
                                 solver={"threads": 4}))  # fmt: skip
    v = budget_variant(sc, 50 * M, time_limit_s=9)
    assert v.budget_usd_total == 50 * M and v.solver.time_limit_s == 9
    assert v.budget_usd_per_year == pytest.approx([25 * M, 15 * M, 10 * M])
    assert v.name == "base-50M" and v.solver.threads == 4
    assert with_threads(v, 1).solver.threads == 1
    assert with_threads(v, 8).solver.threads == 4  # never above the scenario's own
    zero = budget_variant(budget_variant(sc, 0.0), 30 * M)  # total 0: equal shares
    assert zero.budget_usd_per_year == pytest.approx([10 * M] * 3)
    assert [budget_label(x) for x in (0, 250e3, 300 * M, 1.25e9)] == ["0", "250k", "300M", "1.25B"]


def test_run_hash_tracks_inputs_and_scenario_but_not_threads(tiny_dir):
    inp = read_inputs(tiny_dir)
    sc = read_scenario(_scenario(tiny_dir))
    d = inputs_digest(inp)
    a = plan_runs([("s.yaml", sc)], [0.0, 10 * M], d, FAKE, PlanOptions())
    b = plan_runs([("s.yaml", with_threads(sc, 2))], [0.0, 10 * M], d, FAKE, PlanOptions())
    assert [s.run_hash for s in a] == [s.run_hash for s in b]  # threads: speed, not the problem
    assert a[0].run_hash != a[1].run_hash
    assert a[0].forecast_hash == a[1].forecast_hash  # one forecast for all budgets
    assert a[1].run_id == f"base__10M__{a[1].run_hash[:8]}"
    one = [("s.yaml", sc)]
    assert plan_runs(one, [0.0], d, FAKE, PlanOptions(), time_limit_s=5)[0].run_hash != (
        a[0].run_hash)  # fmt: skip
    assert plan_runs(one, [0.0], d, FAKE, PlanOptions(marginals=False))[0].run_hash != (
        a[0].run_hash)  # fmt: skip
    # the hash of the default options is the one older sweep folders hold
    assert PlanOptions().identity() == "{}"
    inp.corridors.loc[0, "installed_capacity_gbps"] += 1
    c = plan_runs([("s.yaml", sc)], [0.0], inputs_digest(inp), FAKE, PlanOptions())
    assert c[0].run_hash != a[0].run_hash and c[0].forecast_hash != a[0].forecast_hash
    real = plan_runs([("s.yaml", sc)], [0.0], d, Stages(), PlanOptions())
    assert real[0].run_hash != a[0].run_hash  # a fake never reuses a real run


# --- orchestration ------------------------------------------------------------------------------


def test_sweep_writes_runs_table_and_self_contained_run_folders(tiny_dir, tmp_path, client):
    out = tmp_path / "sw"
    res = _sweep(tiny_dir, out, [0.0, 15 * M, 25 * M, 45 * M], client)
    runs = pd.read_csv(out / "runs.csv")
    assert tuple(runs.columns) == RUNS_COLUMNS
    assert runs["status"].tolist() == ["ok"] * 4 and res.n_failed == 0 and res.n_ran == 4
    # fake model by hand: 0, 1, 2, 4 corridors bought -> served 60, 70, 80, 100 %
    assert runs["served_fraction"].tolist() == pytest.approx([0.6, 0.7, 0.8, 1.0])
    assert runs["capex_usd"].tolist() == [0, 10 * M, 20 * M, 40 * M]
    assert CALLS["forecast"] == ["base-0"]  # forecast once, shared by the 4 budgets
    assert sorted(c[2] for c in CALLS["plan"]) == [1] * 4  # 2 workers on <= 2 cores: 1 thread
    for rid in runs["run_id"]:
        d = out / "runs" / rid
        for f in ("done.json", "summary.json", "upgrades.csv", "forecast.csv", "scenario.yaml",
                  "inputs/corridors.csv", "inputs_summary.json"):  # fmt: skip
            assert (d / f).is_file(), f
    sc = read_scenario(out / "runs" / runs["run_id"][2] / "scenario.yaml")
    assert sc.budget_usd_total == 25 * M and sc.name == "base-25M"
    assert not list((out / "runs").glob(".tmp-*")) and not (out / ".lock").exists()


def test_rerun_skips_completed_and_resumes_missing(tiny_dir, tmp_path, client):
    out = tmp_path / "sw"
    budgets = [0.0, 10 * M, 20 * M]
    first = _sweep(tiny_dir, out, budgets, client)
    CALLS["plan"].clear()
    CALLS["forecast"].clear()
    again = _sweep(tiny_dir, out, budgets, client)
    assert again.n_reused == 3 and again.n_ran == 0 and CALLS["plan"] == []
    assert CALLS["forecast"] == []  # nothing to plan: no forecast either
    assert again.runs["reused"].all()
    cols = ["run_id", "status", "served_fraction", "capex_usd"]
    pd.testing.assert_frame_equal(again.runs[cols], first.runs[cols])
    # a crash: one run folder gone, one half-written temp folder left behind
    victim = first.runs["run_id"][1]
    shutil.rmtree(out / "runs" / victim)
    (out / "runs" / f".tmp-{victim}").mkdir()
    (out / "runs" / f".tmp-{victim}" / "upgrades.csv").write_text("corridor_id\n")
    third = _sweep(tiny_dir, out, budgets, client)
    assert third.n_reused == 2 and third.n_ran == 1
    assert [c[1] for c in CALLS["plan"]] == [10 * M]
    assert (out / "runs" / victim / "done.json").is_file()
    assert not list((out / "runs").glob(".tmp-*"))


def test_failed_run_is_recorded_and_the_sweep_goes_on(tiny_dir, tmp_path, client):
    out = tmp_path / "sw"
    res = _sweep(tiny_dir, out, [0.0, 13 * M, 20 * M], client)
    runs = res.runs.set_index("budget_usd")
    assert runs.loc[13 * M, "status"] == "failed" and res.n_failed == 1
    assert "SolverError: time limit reached with no feasible plan" in runs.loc[13 * M, "error"]
    assert runs.loc[[0.0, 20 * M], "status"].tolist() == ["ok", "ok"]
    rid = runs.loc[13 * M, "run_id"]
    assert not (out / "runs" / rid).exists()  # nothing that looks like a complete run
    assert "Traceback" in (out / "failed" / f"{rid}.txt").read_text()
    CALLS["plan"].clear()
    again = _sweep(tiny_dir, out, [0.0, 13 * M, 20 * M], client)
    assert [c[1] for c in CALLS["plan"]] == [13 * M]  # failures are retried, results reused
    assert again.n_failed == 1


def test_broken_plan_tables_fail_the_run_without_a_half_written_folder(tiny_dir, tmp_path, client):
    def bad_plan(inputs, demand, scenario, options=None):
        p = fake_plan(inputs, demand, scenario)
        return Plan(**{**p.__dict__, "upgrades": p.upgrades.drop(columns=["capex_usd"])})

    out = tmp_path / "sw"
    res = run_sweep(tiny_dir, [_scenario(tiny_dir)], [20 * M], out, client=client,
                    stages=Stages(fake_forecast, fake_demand, bad_plan))  # fmt: skip
    assert res.runs["status"].tolist() == ["failed"]
    assert "lacks columns ['capex_usd']" in res.runs["error"][0]
    assert list((out / "runs").iterdir()) == []


def test_broken_scenario_among_good_ones_finishes_the_others(tiny_dir, tmp_path, client):
    good = _scenario(tiny_dir, "base")
    high = _scenario(tiny_dir, "high", growth="high")
    broken = tiny_dir / "scenarios" / "typo.yaml"
    broken.write_text(good.read_text() + "budget_usd_totl: 5\n")
    res = _sweep(tiny_dir, tmp_path / "sw", [0.0, 20 * M], client, [good, broken, high])
    st_ = res.runs.groupby("scenario")["status"].apply(list).to_dict()
    assert st_ == {"base": ["ok", "ok"], "high": ["ok", "ok"], "typo": ["failed", "failed"]}
    assert res.runs.loc[res.runs["scenario"] == "typo", "error"].str.contains(
        "budget_usd_totl: unknown key").all()  # fmt: skip
    assert sorted(CALLS["forecast"]) == ["base-0", "high-0"]  # one per distinct forecast input
    with pytest.raises(InputError, match="unknown key"):
        _sweep(tiny_dir, tmp_path / "sw2", [0.0], client, [broken])


def test_interrupted_sweep_leaves_a_consistent_table_and_resumes(tiny_dir, tmp_path, client):
    class CtrlC:
        def start(self, info):
            pass

        def run_done(self, row, done, todo):
            raise KeyboardInterrupt

        def message(self, text):
            pass

        def finish(self, result):
            pass

    out = tmp_path / "sw"
    budgets = [0.0, 10 * M, 20 * M, 30 * M]
    with pytest.raises(KeyboardInterrupt):
        _sweep(tiny_dir, out, budgets, client, observer=CtrlC())
    runs = pd.read_csv(out / "runs.csv")
    assert sorted(runs["status"]) == ["ok", "pending", "pending", "pending"]
    assert not (out / ".lock").exists()
    res = _sweep(tiny_dir, out, budgets, client)
    assert res.n_reused == 1 and res.n_ran == 3


def test_second_sweep_into_a_busy_folder_is_refused(tiny_dir, tmp_path, client):
    out = tmp_path / "sw"
    out.mkdir()
    (out / ".lock").write_text(str(os.getpid()))  # a live sweep holds it
    with pytest.raises(InputError, match="another sweep"):
        _sweep(tiny_dir, out, [0.0], client)
    (out / ".lock").write_text("999999999")  # a dead sweep's stale lock is taken over
    assert _sweep(tiny_dir, out, [0.0], client).n_failed == 0


# --- comparison ---------------------------------------------------------------------------------


def test_comparison_tables_by_hand(tiny_dir, tmp_path, client):
    out = tmp_path / "sw"
    res = _sweep(tiny_dir, out, [0.0, 15 * M, 25 * M, 45 * M], client, comparison=True)
    order = pd.read_csv(out / "buy_order.csv").set_index("corridor_id")
    # corridor i first bought at the smallest swept budget >= (i + 1) x $10M
    assert order["first_budget_usd"].to_dict() == {"C1": 15 * M, "C2": 25 * M, "C3": 45 * M,
                                                   "C4": 45 * M}  # fmt: skip
    assert order["kept_above"].all()
    marg = pd.read_csv(out / "marginal.csv")
    assert marg["served_fraction_points_per_100m"].tolist() == pytest.approx(
        [10 / 15 * 100, 10 / 10 * 100, 20 / 20 * 100]
    )
    frontier = pd.read_csv(out / "frontier.csv")
    assert frontier["frontier_ok"].all()
    for f in ("comparison.pdf", "frontier.png", "marginal.png", "buy_order.png"):
        assert (out / f).stat().st_size > 5000, f
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(out / "comparison.pdf").pages)
    assert len(PdfReader(out / "comparison.pdf").pages) == 4
    for words in ("Budget frontier", "Marginal value of the next $10M", "Buy order", "C3"):
        assert words in text
    assert out / "comparison.pdf" in res.files


def test_worse_plan_at_a_bigger_budget_is_replaced_on_the_frontier():
    """$200M's own plan (time limit) serves 80 % < $100M's 90 %: the $100M plan is feasible at
    $200M, so the frontier shows it there, flags the point and keeps the slope >= 0."""
    runs = pd.DataFrame({
        "scenario": ["a"] * 4, "budget_usd": [0.0, 1e8, 2e8, 3e8],
        "status": ["ok", "ok", "time_limit", "ok"], "run_id": ["r0", "r1", "r2", "r3"],
        "served_fraction": [0.5, 0.9, 0.8, 0.95], "capex_usd": [0, 1e8, 2e8, 2.5e8],
        "unserved_gbps_final_year": [10, 2, 3, 1], "served_gbps_years": [50, 90, 80, 95],
        "demand_gbps_years": [100] * 4, "mip_gap": [0, 0, 0.3, 0],
        "budget_marginal_usd_per_usd": [2.0, 1.0, 5.0, 0.0],
    })  # fmt: skip
    assert frontier_violations(runs)["run_id"].tolist() == ["r2"]
    fr = frontier_table(runs)
    assert fr["served_fraction"].tolist() == [0.5, 0.9, 0.9, 0.95]
    assert fr["plan_run_id"].tolist() == ["r0", "r1", "r1", "r3"]
    assert fr["frontier_ok"].tolist() == [True, True, False, True]
    assert fr["raw_served_fraction"].iloc[2] == 0.8
    marg = marginal_table(fr, {"a": 1e7})
    assert marg["served_gbps_years_per_100m"].tolist() == [40, 0, 5]
    assert marg["dual_gbps_years_per_100m"].iloc[0] == pytest.approx(2.0 * 1e8 / 1e7)
    assert np.isnan(marg["dual_gbps_years_per_100m"].iloc[2])  # r2's dual is not the frontier's
    ups = pd.DataFrame({"run_id": ["r1", "r2", "r3", "r3"], "corridor_id": ["X", "Y", "Y", "Z"],
                        "kind": "wave", "year": 2027, "units": 1, "capex_usd": 1e8})  # fmt: skip
    order = buy_order_table(frontier_upgrades(ups, fr), fr).set_index("corridor_id")
    assert order["first_budget_usd"].to_dict() == {"X": 1e8, "Y": 3e8, "Z": 3e8}
    assert not order.loc["X", "kept_above"]  # the $300M plan swaps X for Y and Z
    assert order.loc["X", "n_budgets_with"] == 2  # $100M and (its plan at) $200M


def test_comparison_of_a_sweep_with_no_successful_run(tiny_dir, tmp_path, client):
    out = tmp_path / "sw"
    res = _sweep(tiny_dir, out, [13 * M], client, comparison=True)
    assert res.n_failed == 1 and (out / "comparison.pdf").is_file()
    assert pd.read_csv(out / "frontier.csv").empty
    with pytest.raises(InputError, match="is this a sweep folder"):
        render_comparison(tmp_path)


# --- CLI ----------------------------------------------------------------------------------------


@pytest.fixture
def fake_pipeline(monkeypatch):
    """The CLI starts its own cluster (threads here); make it plan with the fake stages."""
    import planner.commands.sweep as cmd

    monkeypatch.setattr(cmd, "run_sweep", partial(run_sweep, stages=FAKE))


def _cli(tiny_dir, tmp_path, *args):
    base = ["--inputs", str(tiny_dir), "--out-root", str(tmp_path / "sweeps"), "--workers", "2",
            "--no-processes"]  # fmt: skip
    return CliRunner().invoke(sweep, base + list(args), catch_exceptions=False)


def test_cli_plain_progress_exit_codes_and_resume(tiny_dir, tmp_path, fake_pipeline):
    sc = _scenario(tiny_dir)
    r = _cli(tiny_dir, tmp_path, "--scenario", str(sc), "--budgets", "0:20M:3,13M",
             "--no-comparison")  # fmt: skip
    assert r.exit_code == 1, r.output  # one failed run (13M)
    assert "sweep base: 4 runs (0 already done, 4 to run) on LocalCluster 2 workers" in r.output
    assert "[4/4]" in r.output and "ETA" in r.output
    assert "FAILED SolverError: time limit reached" in r.output
    runs = pd.read_csv(tmp_path / "sweeps" / "base" / "runs.csv")
    assert runs["budget_usd"].tolist() == [0, 10 * M, 13 * M, 20 * M]
    r = _cli(tiny_dir, tmp_path, "--scenario", str(sc), "--budgets", "0:20M:3", "--name", "x",
             "--no-comparison")  # fmt: skip
    assert r.exit_code == 0 and (tmp_path / "sweeps" / "x" / "runs.csv").is_file()
    r = _cli(tiny_dir, tmp_path, "--scenario", str(sc), "--budgets", "0:20M:3", "--name", "x",
             "--no-comparison")  # fmt: skip
    assert r.exit_code == 0 and "(3 already done, 0 to run) on no workers" in r.output


def test_cli_bad_input_exits_2_before_any_run(tiny_dir, tmp_path, fake_pipeline):
    sc = _scenario(tiny_dir)
    r = _cli(tiny_dir, tmp_path, "--scenario", str(sc), "--budgets", "lots")
    assert r.exit_code == 2 and "error: --budgets: got 'lots'" in r.output
    (tiny_dir / "sites.csv").unlink()
    r = _cli(tiny_dir, tmp_path, "--scenario", str(sc), "--budgets", "0")
    assert r.exit_code == 2 and "sites.csv: missing file" in r.output
    assert not (tmp_path / "sweeps").exists()


# --- end to end: the real forecast and optimiser on tests/data/tiny ------------------------------


@pytest.mark.slow
def test_real_budget_sweep_is_monotone_within_budget_and_resumes(tiny_dir, tmp_path, client):
    """Proven-optimal plans (mip_gap 0): more budget never serves less, never overspends."""
    sc = _scenario(tiny_dir, "tiny", solver={"mip_gap": 0.0, "time_limit_s": 120, "threads": 1})
    out = tmp_path / "sw"
    budgets = [0.0, 2 * M, 4 * M, 8 * M]
    res = run_sweep(tiny_dir, [sc], budgets, out, client=client, comparison=True)
    runs = res.runs
    assert runs["status"].tolist() == ["ok"] * 4, runs["error"].tolist()
    assert runs["served_fraction"].is_monotonic_increasing
    assert runs["unserved_gbps_final_year"].is_monotonic_decreasing
    assert runs["served_fraction"].iloc[0] < runs["served_fraction"].iloc[-1]
    assert frontier_violations(runs).empty
    assert pd.read_csv(out / "frontier.csv")["frontier_ok"].all()
    for r in runs.itertuples():  # re-check every run from its own tables
        plan = read_plan(out / "runs" / r.run_id)
        assert plan.upgrades["capex_usd"].sum() <= r.budget_usd * (1 + 1e-9) + 1e-6
        un = plan.unserved
        assert r.served_fraction == pytest.approx(un["served_gbps"].sum() / un["demand_gbps"].sum())
        assert plan.summary["budget_usd_total"] == r.budget_usd
    assert runs["capex_usd"].iloc[0] == 0
    order = pd.read_csv(out / "buy_order.csv")
    assert set(order["first_budget_usd"]) <= set(budgets[1:])
    again = run_sweep(tiny_dir, [sc], budgets, out, client=client, comparison=False)
    assert again.n_reused == 4 and again.n_ran == 0


@pytest.mark.slow
def test_cli_real_sweep_with_a_broken_scenario_finishes_the_other(tiny_dir, tmp_path):
    good = _scenario(tiny_dir, "tiny", solver={"mip_gap": 0.0, "time_limit_s": 120, "threads": 1})
    broken = tiny_dir / "scenarios" / "broken.yaml"
    broken.write_text(good.read_text().replace("max_utilization: 0.8", "max_utilization: 1.5"))
    r = _cli(tiny_dir, tmp_path, "--scenario", str(good), "--scenario", str(broken),
             "--budgets", "0,8M", "--no-marginals")  # fmt: skip
    # the broken scenario's two budgets failed: 1 (failed runs), never 2 (bad input)
    assert r.exit_code == 1, r.output
    runs = pd.read_csv(tmp_path / "sweeps" / "tiny" / "runs.csv")
    assert runs.groupby("scenario")["status"].apply(list).to_dict() == {
        "broken": ["failed", "failed"], "tiny": ["ok", "ok"]}  # fmt: skip
    assert runs.loc[runs["scenario"] == "broken", "error"].str.contains("max_utilization").all()
    assert (tmp_path / "sweeps" / "tiny" / "comparison.pdf").is_file()


@pytest.mark.slow
def test_cli_sends_runs_to_an_existing_scheduler(tiny_dir, tmp_path, client, fake_pipeline,
                                                  monkeypatch):  # fmt: skip
    sc = _scenario(tiny_dir)
    addr = client.scheduler.address
    r = _cli(tiny_dir, tmp_path, "--scenario", str(sc), "--budgets", "0,20M", "--scheduler", addr)
    assert r.exit_code == 0, r.output
    assert f"on Dask cluster {addr} (2 workers), solver threads per run 1" in r.output
    assert client.status == "running"  # someone else's cluster: left running
    import planner.commands.sweep as cmd

    monkeypatch.setattr(cmd, "SCHEDULER_TIMEOUT", "1s")
    r = _cli(tiny_dir, tmp_path, "--scenario", str(sc), "--budgets", "0", "--force",
             "--scheduler", "tcp://127.0.0.1:1")  # fmt: skip
    assert r.exit_code == 2 and "error: --scheduler: got 'tcp://127.0.0.1:1', cannot connect" in (
        r.output)  # fmt: skip


def test_cli_progress_bar_and_scenarios_at_their_own_budgets(tiny_dir, tmp_path, fake_pipeline):
    a = _scenario(tiny_dir, "base", budget_usd_total=20 * M)
    b = _scenario(tiny_dir, "tight", budget_usd_total=10 * M, max_utilization=0.5)
    r = _cli(tiny_dir, tmp_path, "--scenario", str(a), "--scenario", str(b), "--progress", "bar",
             "--no-comparison")  # fmt: skip
    assert r.exit_code == 0, r.output
    for text in ("base @ $20M: ok", "tight @ $10M: ok", "sweep done in"):
        assert text in r.output
    runs = pd.read_csv(tmp_path / "sweeps" / "base" / "runs.csv")
    assert runs[["scenario", "budget_usd"]].values.tolist() == [["base", 20 * M], ["tight", 10 * M]]
    assert len(CALLS["forecast"]) == 1  # same forecast inputs (only utilisation differs): once
    twin = _scenario(tiny_dir, "twin")
    twin.write_text(a.read_text())  # same name "base" in two files
    r = _cli(tiny_dir, tmp_path, "--scenario", str(a), "--scenario", str(twin), "--budgets", "0")
    assert r.exit_code == 2 and "scenario name 'base' is also used by" in r.output


def test_sweep_is_registered_on_the_planner_cli():
    from planner.cli import main

    r = CliRunner().invoke(main, ["sweep", "--help"])
    assert r.exit_code == 0
    for text in ("--budgets", "--workers", "--scheduler", "start:stop:count", "Exit code"):
        assert text in r.output
