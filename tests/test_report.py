"""Report rendering: files, page counts, non-blank images, empty states, bad plan directories."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from planner.errors import InputError
from planner.report import style
from planner.report.basemap import Albers, load_geometry
from planner.report.derive import (
    corridor_summary,
    key_numbers,
    schedule_table,
    site_ai_mw,
    top_growth_pairs,
    utilization_matrices,
)
from planner.report.labels import Label, label_boxes_px, place_labels
from planner.report.load import load_report_data
from planner.report.pages import ROWS_PER_PAGE, schedule_pages
from planner.report.plot_plan import capex_by_year, unserved_chart
from planner.report.render import FIGURES, build_figures, render, write_pdf
from planner.tables import haversine_km
from tests.fixtures_report.synthetic import make_plan_dir

PAGES_SMALL_CASE = 1 + len(FIGURES) + 1  # title, figures, one schedule page


def _pixel_std(path: Path) -> float:
    return float(np.asarray(Image.open(path).convert("L"), dtype=float).std())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, list[Path]]:
    d = make_plan_dir(tmp_path_factory.mktemp("plan") / "base")
    return d, render(d)


@pytest.fixture(scope="module")
def empty_plan(tmp_path_factory) -> Path:
    """No upgrades, nothing unserved, no forecast.csv (a run on a fixed demand file)."""
    return make_plan_dir(
        tmp_path_factory.mktemp("plan") / "empty", upgrades=False, unserved=False, forecast=False
    )


# --- the small case end to end ------------------------------------------------------------


def test_render_writes_every_file(rendered):
    d, written = rendered
    names = [p.name for p in written]
    assert names == [f"{n}.png" for n in FIGURES] + ["report.pdf"]
    for required in (
        "network_map.png",
        "forecast_fan.png",
        "capex_by_year.png",
        "utilization_heatmap.png",
        "unserved.png",
        "report.pdf",
    ):
        assert (d / required).is_file()
    assert not list(d.glob(".*.tmp")), "atomic writes left temp files behind"


def test_pngs_are_page_sized_and_not_blank(rendered):
    _d, written = rendered
    for p in written:
        if p.suffix != ".png":
            continue
        with Image.open(p) as im:
            assert im.size == style.PNG_PX == (1650, 1275), p.name
        assert _pixel_std(p) > 8.0, f"{p.name} looks blank"


def test_pdf_pages_and_metadata(rendered):
    d, _ = rendered
    r = PdfReader(d / "report.pdf")
    assert len(r.pages) == PAGES_SMALL_CASE
    assert r.metadata["/Title"] == "Capacity plan: synthetic"
    assert "/CreationDate" not in r.metadata  # reproducible bytes for the same plan
    first = r.pages[0].extract_text()
    assert "$49.5M" in first  # CapEx on the title page, formatted for people
    assert "95.6%" in first  # served fraction from summary.json
    assert "Optimal" in first
    last = r.pages[-1].extract_text()
    assert "Upgrade schedule" in last and "Total" in last and "12.8 Tbps" in last


def test_map_labels_do_not_overlap(rendered):
    from planner.report.plot_map import network_map

    d, _ = rendered
    data = load_report_data(d)
    s = data.scenario
    fig = network_map(
        data.inputs.sites,
        data.corridors,
        data.plan.capacity,
        data.plan.upgrades,
        data.inputs.ai_buildout,
        years=s.years,
        max_utilization=s.max_utilization,
    )
    boxes = label_boxes_px(fig.dci_label_artists)
    assert len(boxes) == 6 + 5  # six sites + five upgraded corridors
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            w = min(a[2], b[2]) - max(a[0], b[0])
            h = min(a[3], b[3]) - max(a[1], b[1])
            assert w <= 1 or h <= 1, f"labels {i} and {j} overlap"


# --- empty states --------------------------------------------------------------------------


def test_empty_plan_renders_with_nothing_to_show_panels(empty_plan, tmp_path):
    from planner.cli import main

    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["report", "--plan", str(empty_plan), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"wrote {out / 'report.pdf'}" in res.output
    assert len(PdfReader(out / "report.pdf").pages) == PAGES_SMALL_CASE
    for name in FIGURES:
        assert _pixel_std(out / f"{name}.png") > 5.0, name
    figs = build_figures(load_report_data(empty_plan))
    for name in ("capex_by_year", "unserved", "forecast_pairs"):
        assert style.NOTHING_TO_SHOW in style.figure_texts(figs[name]), name
    # the fan falls back to the demand the plan was sized for
    assert any("fixed demand file" in t for t in style.figure_texts(figs["forecast_fan"]))
    text = "\n".join(p.extract_text() for p in PdfReader(out / "report.pdf").pages)
    assert "The plan buys no upgrades" in text
    assert "All demand is served" in text
    # planned on the demand as given: no forecast quantile was applied
    assert "sized for: fixed demand file" in text and "sized for: P" not in text
    assert "growth: not used (fixed demand file)" in text


def test_no_upgrades_but_unserved(tmp_path):
    d = make_plan_dir(tmp_path / "p", upgrades=False, unserved=True)
    data = load_report_data(d)
    s = data.scenario
    fig = capex_by_year(data.plan.upgrades, years=s.years, budget_usd_total=s.budget_usd_total)
    assert style.NOTHING_TO_SHOW in style.figure_texts(fig)
    fig = unserved_chart(data.plan.unserved)
    texts = style.figure_texts(fig)
    assert style.NOTHING_TO_SHOW not in texts
    assert any(t.startswith("Unserved demand: ") and "Tbps in 2029" in t for t in texts)


def test_schedule_is_paged_with_totals_on_last_page():
    n = 2 * ROWS_PER_PAGE + 5
    sched = pd.DataFrame(
        {
            "year": 2027,
            "in_service_year": 2028,
            "corridor_id": [f"C{i}" for i in range(n)],
            "route": "A\u2013B",
            "option_id": "wave_400g",
            "kind": "wave",
            "units": 1,
            "added_gbps": 400.0,
            "capex_usd": 1e6,
        }
    )
    sched["cumulative_capex_usd"] = sched["capex_usd"].cumsum()
    figs = schedule_pages(sched)
    assert len(figs) == 3
    assert "Total" not in style.figure_texts(figs[0])
    last = style.figure_texts(figs[-1])
    assert "Total" in last and "$65M" in last and "26 Tbps" in last
    assert "Upgrade schedule (page 3 of 3)" in last


# --- bad plan directories ----------------------------------------------------------------


def _cli_error(plan: Path) -> str:
    from planner.cli import main

    res = CliRunner().invoke(main, ["report", "--plan", str(plan)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    return res.output


def test_missing_dir_is_input_error(tmp_path):
    out = _cli_error(tmp_path / "nope")
    assert "not a directory" in out


def test_garbled_number_is_input_error(tmp_path):
    d = make_plan_dir(tmp_path / "p")
    cap = (d / "capacity.csv").read_text().splitlines()
    cells = cap[3].split(",")
    cells[2] = "lots"
    cap[3] = ",".join(cells)
    (d / "capacity.csv").write_text("\n".join(cap) + "\n")
    with pytest.raises(InputError) as e:
        render(d)
    (p,) = e.value.problems
    assert p.path.endswith("capacity.csv") and p.row == 4 and p.column == "capacity_gbps"
    assert "got 'lots', expected a number" in p.message
    assert "capacity.csv:4: capacity_gbps" in _cli_error(d)


def test_binary_garbage_and_bad_json_are_input_errors(tmp_path):
    d = make_plan_dir(tmp_path / "p")
    (d / "routing.csv").write_bytes(b"\xff\xfe\x00garbage\x00\n\x01,\x02\n")
    out = _cli_error(d)
    assert "routing.csv" in out
    d2 = make_plan_dir(tmp_path / "q")
    (d2 / "summary.json").write_text("{not json")
    assert "summary.json" in _cli_error(d2)


def test_missing_plan_file_and_foreign_corridor(tmp_path):
    d = make_plan_dir(tmp_path / "p")
    (d / "upgrades.csv").unlink()
    assert "upgrades.csv: missing" in _cli_error(d)
    d2 = make_plan_dir(tmp_path / "q")
    up = pd.read_csv(d2 / "upgrades.csv")
    up.loc[0, "corridor_id"] = "ZZ9"
    up.to_csv(d2 / "upgrades.csv", index=False)
    assert "ZZ9" in _cli_error(d2)


def test_unknown_format_is_input_error(tmp_path):
    with pytest.raises(InputError, match="expected one or more of"):
        render(tmp_path, formats=("svg",))


# --- pieces: formats, projection, basemap, derived tables, labels, determinism -------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (850, "850 Gbps"),
        (3200, "3.2 Tbps"),
        (12800, "12.8 Tbps"),
        (1.5e6, "1.5 Pbps"),
        (0, "0 Gbps"),
        (0.4, "0.4 Gbps"),
    ],
)
def test_fmt_gbps(value, text):
    assert style.fmt_gbps(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (41.5e6, "$41.5M"),
        (1.2e9, "$1.2B"),
        (150_000, "$150k"),
        (999, "$999"),
        (0, "$0"),
        (-2.5e6, "-$2.5M"),
        (600e6, "$600M"),
    ],
)
def test_fmt_usd(value, text):
    assert style.fmt_usd(value) == text


_UNIT = {"Gbps": 1.0, "Tbps": 1e3, "Pbps": 1e6, "$": 1.0, "k": 1e3, "M": 1e6, "B": 1e9}


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0.01, max_value=5e8, allow_nan=False))
def test_formatted_numbers_read_back_within_half_a_percent(x):
    num, unit = style.fmt_gbps(x).split(" ")
    assert math.isclose(float(num.replace(",", "")) * _UNIT[unit], x, rel_tol=5e-3)
    m = re.fullmatch(r"\$([\d.,]+)([kMB]?)", style.fmt_usd(x))
    assert m is not None
    back = float(m.group(1).replace(",", "")) * _UNIT[m.group(2) or "$"]
    assert math.isclose(back, x, rel_tol=5e-3)


def test_albers_keeps_distances_over_the_us():
    lon = np.array([-77.49, -122.33, -97.04, -87.63, -80.19])
    lat = np.array([39.04, 47.61, 32.90, 41.88, 25.76])
    proj = Albers.for_extent(lon, lat)
    x, y = proj.project(lon, lat)
    for i in range(len(lon)):
        for j in range(i + 1, len(lon)):
            plane = math.hypot(x[i] - x[j], y[i] - y[j])
            sphere = float(haversine_km(lat[i], lon[i], lat[j], lon[j]))
            assert abs(plane / sphere - 1) < 0.03
    # north is up, east is right, the central meridian is x = 0
    assert y[1] > y[4] and x[1] < x[0]
    assert abs(proj.project(proj.lon0, 40.0)[0]) < 1e-9


def test_basemap_ships_offline_and_small():
    path = Path(style.__file__).parent / "data" / "basemap.json"
    assert path.stat().st_size < 1_000_000
    assert (path.parent / "README.md").is_file()
    geo = load_geometry()
    names = {n for n, _ in geo["countries"]}
    assert {"United States of America", "Canada", "Mexico"} <= names
    assert len(geo["states"]) > 40
    usa = next(r for n, r in geo["countries"] if n == "United States of America")
    pts = np.vstack(usa)
    assert pts[:, 0].min() < -124 and pts[:, 1].max() > 49  # reaches the west coast / Canada


def _tiny_tables():
    corridors = pd.DataFrame(
        {
            "corridor_id": ["A", "B", "N"],
            "site_a": ["S1", "S1", "S2"],
            "site_b": ["S2", "S3", "S3"],
            "installed_capacity_gbps": [1000.0, 400.0, 0.0],
            "candidate": [False, False, True],
        }
    )
    capacity = pd.DataFrame(
        {
            "corridor_id": ["A", "A", "B", "B", "N", "N"],
            "year": [2027, 2028] * 3,
            "capacity_gbps": [1000.0, 2000.0, 400.0, 400.0, 0.0, 800.0],
            "flow_gbps": [800.0, 1200.0, 100.0, 300.0, 0.0, 200.0],
            "utilization": [0.8, 0.6, 0.25, 0.75, np.nan, 0.25],
        }
    )
    upgrades = pd.DataFrame(
        {
            "corridor_id": ["A", "N"],
            "option_id": ["wave", "build"],
            "kind": ["wave", "new_build"],
            "year": [2027, 2027],
            "in_service_year": [2028, 2028],
            "units": [1, 1],
            "added_gbps": [1000.0, 800.0],
            "capex_usd": [2e6, 30e6],
        }
    )
    return corridors, capacity, upgrades


def test_corridor_summary_by_hand():
    corridors, capacity, upgrades = _tiny_tables()
    s = corridor_summary(corridors, capacity, upgrades).set_index("corridor_id")
    assert s.loc["A", "final_capacity_gbps"] == 2000.0
    assert s.loc["A", "peak_utilization"] == pytest.approx(0.8)
    assert s.loc["A", "peak_year"] == 2027
    assert s.loc["B", "peak_utilization"] == pytest.approx(0.75) and not s.loc["B", "upgraded"]
    assert s.loc["N", "upgraded"] and s.loc["N", "capex_usd"] == 30e6


def test_utilization_before_uses_installed_capacity():
    corridors, capacity, _ = _tiny_tables()
    before, after = utilization_matrices(capacity, corridors)
    assert before.loc["A", 2028] == pytest.approx(1.2)  # 1200 Gbps on today's 1000 Gbps
    assert after.loc["A", 2028] == pytest.approx(0.6)
    assert np.isnan(before.loc["N", 2028])  # a new route has no capacity before the plan
    assert np.isnan(after.loc["N", 2027])


def test_a_corridor_never_lit_keeps_its_heatmap_row():
    """A corridor with no capacity in any year (an SNDlib import: nothing installed, the
    corridor unused) stays as a row of n/a cells, so the heatmap's page count (one row per
    corridor of the capacity table) has no empty page (it had one: matplotlib's singular
    ylim warning on sun, 51 corridors)."""
    corridors, capacity, _ = _tiny_tables()
    dark = capacity["corridor_id"] == "N"
    capacity.loc[dark, ["capacity_gbps", "flow_gbps"]] = 0.0
    corridors.loc[corridors["corridor_id"] == "N", "installed_capacity_gbps"] = 0.0
    before, after = utilization_matrices(capacity, corridors)
    assert list(after.index) == ["A", "B", "N"] and list(before.index) == ["A", "B", "N"]
    assert after.loc["N"].isna().all() and before.loc["N"].isna().all()
    assert after.loc["A", 2027] == pytest.approx(0.8)


def test_top_growth_pairs_ranks_absolute_gbps():
    history = pd.DataFrame(
        {
            "site_a": ["A", "A", "B"],
            "site_b": ["B", "B", "C"],
            "month": pd.to_datetime(["2026-11-01", "2026-12-01", "2026-12-01"]),
            "p95_gbps": [90.0, 100.0, 10.0],
        }
    )
    forecast = pd.DataFrame(
        {
            "site_a": ["A", "B", "A"],
            "site_b": ["B", "C", "C"],
            "year": [2028] * 3,
            "p50_gbps": [160.0, 60.0, 55.0],  # +60, +50 (x6!), +55 (no history)
            "p95_gbps": [200.0, 80.0, 70.0],
            "model": ["ets_trend", "ets_damped", "gravity"],
        }
    )
    top = top_growth_pairs(history, forecast, n=2)
    assert list(zip(top["site_a"], top["site_b"], strict=True)) == [("A", "B"), ("A", "C")]
    assert top["growth_gbps"].tolist() == [60.0, 55.0]


def test_schedule_and_key_numbers():
    corridors, _, upgrades = _tiny_tables()
    sched = schedule_table(upgrades, corridors)
    assert sched["route"].tolist() == ["S1\u2013S2", "S2\u2013S3"]
    assert sched["cumulative_capex_usd"].tolist() == [2e6, 32e6]
    unserved = pd.DataFrame(
        {
            "site_a": ["S1", "S1"],
            "site_b": ["S2", "S2"],
            "year": [2027, 2028],
            "demand_gbps": [100.0, 300.0],
            "served_gbps": [100.0, 200.0],
            "unserved_gbps": [0.0, 100.0],
        }
    )
    k = key_numbers({}, unserved, upgrades)  # nothing in summary.json: recomputed
    assert k["capex_usd_total"] == 32e6
    assert k["served_fraction"] == pytest.approx(0.75)
    assert k["unserved_gbps_final_year"] == 100.0
    assert k["n_corridors_upgraded"] == 2 and k["added_gbps"] == 1800.0
    assert key_numbers({"served_fraction": 0.5}, unserved, upgrades)["served_fraction"] == 0.5


def test_site_ai_mw_takes_latest_value_up_to_year():
    sites = pd.DataFrame({"site_id": ["A", "B", "C"]})
    b = pd.DataFrame(
        {"site_id": ["A", "A", "B"], "year": [2027, 2030, 2031], "ai_it_mw": [100.0, 500.0, 50.0]}
    )
    assert site_ai_mw(b, sites, 2029).tolist() == [100.0, 0.0, 0.0]


def test_labels_spread_out_a_tight_cluster():
    fig = style.new_figure()
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    rng = np.random.default_rng(7)
    pts = 50 + rng.normal(0, 1.5, size=(10, 2))
    arts = place_labels(ax, [Label(x, y, f"SITE{i}") for i, (x, y) in enumerate(pts)])
    boxes = label_boxes_px(arts)
    overlap = 0.0
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            overlap += max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(
                0, min(a[3], b[3]) - max(a[1], b[1])
            )
    assert overlap == 0.0


def test_output_is_deterministic(tmp_path):
    def draw():
        fig = unserved_chart(
            pd.DataFrame(
                {
                    "site_a": ["A"],
                    "site_b": ["B"],
                    "year": [2027],
                    "demand_gbps": [10.0],
                    "served_gbps": [4.0],
                    "unserved_gbps": [6.0],
                }
            )
        )
        return fig

    pngs = []
    for _ in range(2):
        b = io.BytesIO()
        draw().savefig(b, format="png", dpi=style.DPI)
        pngs.append(b.getvalue())
    assert pngs[0] == pngs[1]
    pdfs = [write_pdf([draw()], tmp_path / f"r{i}.pdf", title="t", footer="f") for i in range(2)]
    assert pdfs[0].read_bytes() == pdfs[1].read_bytes()


def test_summary_fields_missing_still_renders_title(tmp_path):
    """An optimiser that writes fewer summary keys must not break the title page."""
    from planner.report.render import build_pdf_pages

    d = make_plan_dir(tmp_path / "p")
    (d / "summary.json").write_text(json.dumps({"solver_status": "Time limit"}))
    data = load_report_data(d)
    title = build_pdf_pages(data, dict.fromkeys(FIGURES))[0]  # only the title page is drawn
    texts = style.figure_texts(title)
    assert "Time limit" in texts and "gap n/a" in texts
    assert "$49.5M" in texts  # CapEx recomputed from upgrades.csv


def test_degenerate_tables_still_draw(rendered):
    """One site, no corridors, no capacity rows, no history: every plot still returns a page."""
    from planner.report.plot_demand import forecast_fan, forecast_pairs
    from planner.report.plot_map import network_map
    from planner.report.plot_plan import utilization_heatmap

    d, _ = rendered
    data = load_report_data(d)
    cap0, up0 = data.plan.capacity.iloc[0:0], data.plan.upgrades.iloc[0:0]
    figs = [
        network_map(
            data.inputs.sites.iloc[:1], data.corridors.iloc[0:0], cap0, up0, data.inputs.ai_buildout
        ),
        utilization_heatmap(cap0, data.corridors),
        unserved_chart(data.plan.unserved.iloc[0:0]),
        forecast_fan(data.inputs.demand_history.iloc[0:0], None),
        forecast_pairs(data.inputs.demand_history.iloc[0:0], data.forecast),
    ]
    for fig in figs:
        b = io.BytesIO()
        fig.savefig(b, format="png", dpi=style.DPI)
        assert Image.open(b).size == style.PNG_PX
    assert not any("None" in t for t in style.figure_texts(figs[0]))
    assert style.NOTHING_TO_SHOW in style.figure_texts(figs[1])
    assert style.NOTHING_TO_SHOW in style.figure_texts(figs[3])


@pytest.mark.parametrize(
    ("mip_gap", "served_gap", "expect", "caution"),
    [
        (0.044, 0.0088, "serves more than 0.88% more demand", False),
        (0.20, 0.0088, "serves more than 0.88% more demand", False),  # served gap governs
        (0.20, float("nan"), None, True),  # min-cost: only the solver's gap
        (0.0, 0.0, "serves more demand than this one", False),
    ],
)
def test_narrative_reads_the_served_gap(mip_gap, served_gap, expect, caution):
    from planner.report.pages import narrative

    key = dict(
        budget_usd_total=1e8, n_upgrades=0, unserved_gbps_final_year=0.0, served_fraction=0.8,
        solver="highs", solver_status="served_gap_reached", mip_gap=mip_gap,
        served_gap=served_gap, solve_seconds=12.0,
    )  # fmt: skip
    empty = pd.DataFrame(columns=["site_a", "site_b", "year", "demand_gbps", "unserved_gbps"])
    cs = pd.DataFrame(columns=["corridor_id", "site_a", "site_b", "peak_utilization"])
    text = " ".join(
        narrative(
            key,
            scenario_name="t",
            years=[2030],
            upgrades=pd.DataFrame(),
            unserved=empty,
            corridor_summary=cs,
            max_utilization=0.7,
        )
    )
    assert "served gap reached" in text
    assert (expect in text) if expect else ("No plan within the budget" not in text)
    assert ("Caution" in text) == caution


def test_capex_rows_add_lease_upfront_fees_as_capex() -> None:
    """The CapEx page counts what the budget counts: purchases and lease upfront fees."""
    from planner.report.derive import capex_rows

    ups = pd.DataFrame(
        {"corridor_id": ["A"], "option_id": ["w"], "kind": ["wave"], "year": [2027],
         "in_service_year": [2027], "units": [2.0], "added_gbps": [800.0], "capex_usd": [100.0]}
    )  # fmt: skip
    leases = pd.DataFrame(
        {"corridor_id": ["A", "B"], "lease_id": ["iru", "port"], "year": [2028, 2027],
         "in_service_year": [2029, 2027], "units": [1.0, 3.0], "added_gbps": [400.0, 300.0],
         "upfront_usd": [40.0, 0.0], "opex_usd_per_year": [5.0, 9.0]}
    )  # fmt: skip
    rows = capex_rows(ups, leases)
    assert rows["capex_usd"].sum() == 140.0
    fee = rows[rows["kind"] == "Lease upfront"]
    assert fee[["corridor_id", "option_id", "year"]].values.tolist() == [["A", "iru", 2028]]
    assert capex_rows(ups, leases.iloc[0:0]) is ups


@pytest.mark.parametrize(
    ("scope", "all_paths_gap", "says_paths", "says_all", "priced"),
    [("k_paths", 0.056, True, True, True), ("k_paths", float("nan"), True, False, None),
     ("k_paths", float("nan"), True, False, False),
     ("all_paths", 0.02, False, False, None), ("", float("nan"), False, False, None)],
)  # fmt: skip
def test_report_says_which_plans_the_gap_is_proven_against(
    scope, all_paths_gap, says_paths, says_all, priced
):
    """A path model's gap holds for its paths: narrative and Solver card say so (issue 14);
    when pricing stopped early the narrative says what that means for the plan."""
    from planner.report.pages import key_cards, narrative

    key = dict(
        budget_usd_total=1e8, n_upgrades=0, unserved_gbps_final_year=0.0, served_fraction=0.8,
        solver="highs", solver_status="served_gap_reached", mip_gap=0.0257, served_gap=0.0094,
        solve_seconds=12.0, bound_scope=scope, all_paths_gap=all_paths_gap,
        capex_usd_total=1e8, demand_gbps_final_year=10.0, n_corridors_upgraded=0, added_gbps=0.0,
        path_pricing_converged=priced,
    )  # fmt: skip
    empty = pd.DataFrame(columns=["site_a", "site_b", "year", "demand_gbps", "unserved_gbps"])
    cs = pd.DataFrame(columns=["corridor_id", "site_a", "site_b", "peak_utilization"])
    text = " ".join(
        narrative(key, scenario_name="t", years=[2030], upgrades=pd.DataFrame(), unserved=empty,
                  corridor_summary=cs, max_utilization=0.7)
    )  # fmt: skip
    card = key_cards(key)[-1][2]
    assert "2.57% optimality gap" in text and card.startswith("gap 2.57%")
    assert ("over the paths the model considered" in text) == says_paths
    assert ("routed on those paths" in text) == says_paths
    assert ("on its paths" in card) == says_paths
    assert ("5.60% against a bound that holds for every path" in text) == (
        says_all and all_paths_gap == 0.056
    )
    assert ("on all paths" in card) == says_all
    assert ("path pricing stopped early" in text) == (priced is False)
    # a bound for every path (the arc model's, or the Benders master's): said once, plainly
    said = "2.57% optimality gap against a bound that holds for every path" in text
    assert said == (scope == "all_paths")


def test_one_year_min_cost_plan_reads_as_such():
    """An SNDlib import (one year, min-cost, costs in its own units) read "Over 2026-2026",
    "grows from 18.2 Tbps in 2026 to 18.2 Tbps in 2026" and "2 % of the $1.14M budget" for a
    budget min-cost never applies."""
    from planner.report.derive import key_numbers, year_span
    from planner.report.pages import key_cards, narrative

    assert year_span([2026]) == "2026" and year_span([2027, 2031]) == "2027\u20132031"
    ups = pd.DataFrame(
        {"corridor_id": ["L1"], "site_a": ["A"], "site_b": ["B"], "option_id": ["m"],
         "kind": ["wave"], "year": [2026], "in_service_year": [2026], "units": [2.0],
         "added_gbps": [80.0], "capex_usd": [21818.44]}
    )  # fmt: skip
    uns = pd.DataFrame({"site_a": ["A"], "site_b": ["B"], "year": [2026], "demand_gbps": [50.0],
                        "served_gbps": [50.0], "unserved_gbps": [0.0]})  # fmt: skip
    summary = dict(capex_usd_total=21818.44, budget_usd_total=1.14e6, budget_applied=False,
                   objective_mode="min-cost", served_fraction=1.0, solver="highs",
                   solver_status="optimal", mip_gap=0.0, unserved_gbps_final_year=0.0)  # fmt: skip
    key = key_numbers(summary, uns, ups)
    cs = pd.DataFrame(
        {
            "corridor_id": ["L1"],
            "site_a": ["A"],
            "site_b": ["B"],
            "capex_usd": [21818.44],
            "added_gbps": [80.0],
            "peak_utilization": [0.6],
        }
    )
    text = " ".join(narrative(key, scenario_name="t", years=[2026], upgrades=ups, unserved=uns,
                              corridor_summary=cs, max_utilization=1.0))  # fmt: skip
    assert "In 2026 the plan buys 1 upgrade(s)" in text and "$21.8k" in text
    assert "Planned demand is 50 Gbps in 2026." in text and "budget" not in text
    assert key_cards(key)[0][2] == "min-cost: no budget"


def test_settings_of_a_min_cost_run_on_a_fixed_demand_file():
    """What the title page lists must be what the run used: a min-cost run has no budget and no
    unserved penalty; a fixed demand file has no quantile and no growth."""
    from types import SimpleNamespace

    from planner.report.render import scenario_settings
    from tests.builders import scenario

    sc = scenario(years=1, objective="min-cost")
    data = SimpleNamespace(
        scenario=sc,
        forecast=None,
        inputs=SimpleNamespace(lease_options=pd.DataFrame()),
        plan=SimpleNamespace(summary={"objective_mode": "min-cost"}),
    )
    got = scenario_settings(data)
    assert got["years"] == str(sc.start_year) and got["horizon"].startswith("1 year from")
    assert got["budget, total"].endswith("(not used: min-cost)")
    assert got["unserved penalty"] == "none (min-cost serves every Gbps)"
    assert got["sized for"] == "fixed demand file"
