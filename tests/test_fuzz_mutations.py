"""Mutation fuzzing (issue 15): one corruption of a valid inputs folder or scenario either still
validates, or is rejected with exit 2 and lines that each name the file (and the row/column or
YAML key where the problem sits), never a traceback.

Unlike ``test_validate_fuzz.py`` (garbage rows), these are the single-cell and single-key
changes a human or a broken export makes: huge integers, inf/nan, 1e300, booleans, months far
away, duplicated keys, truncated files.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.schema import TABLES
from tests.conftest import TINY

SCEN = Path("scenarios") / "base.yaml"
NASTY = [
    "", " ", "-1", "0", "1e18", "1e300", "-1e300", "inf", "-inf", "nan", "NaN", "1e-300",
    "9223372036854775807", "9223372036854775808", "18446744073709551616", "2040-01", "1850-01",
    "2026-13", "true", "x", "0.001", "ASH", "ZZZ", '"', ";", "ASH;ASH", "1,5", "0x10",
]  # fmt: skip
VALUE = st.one_of(
    st.sampled_from(NASTY),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet="0123456789.-eE+ ", max_size=8),
)
YAML_VALUE = st.sampled_from(
    [".inf", "-.inf", ".nan", "true", "false", "null", "1e400", "9223372036854775808", "-1",
     "0", "[]", "{}", "'x'", "2027", "1.0e18", "1.0e300", "yes", "[1, 2]", "{general: .nan}",
     "'2027'", "1e3"]
)  # fmt: skip
SCEN_KEYS = [
    "name", "start_year", "horizon_years", "budget_usd_total", "demand_quantile", "growth",
    "max_utilization", "survivability", "k_paths", "time_limit_s", "mip_gap", "threads", "seed",
]  # fmt: skip
LINE_RE = re.compile(r"^error: (?P<path>.+?)(?::(?P<row>\d+))?: (?P<rest>.*)$")


def _copy(factory) -> Path:
    d = factory.mktemp("mut") / "inputs"
    shutil.copytree(TINY, d)
    return d


def _check(d: Path, touched: Path) -> None:
    r = CliRunner().invoke(main, ["validate", "--inputs", str(d), "--scenario", str(d / SCEN)])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output
    assert r.exit_code in (0, 2), r.output
    if r.exit_code == 0:
        return
    errs = [ln for ln in r.output.splitlines() if ln.startswith("error: ")]
    assert errs, r.output
    files = {str(d / t.filename) for t in TABLES.values()} | {str(d / SCEN), str(d)}
    for ln in errs:
        m = LINE_RE.match(ln)
        assert m and m["path"] in files, ln  # every line names one of the files
    # the corrupted file is named in at least one line (as its subject, or as the other side
    # of a cross-check: "... from their coordinates in .../sites.csv lines 2 and 5")
    assert any(str(touched) in ln for ln in errs), (str(touched), errs)


def _write_rows(p: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    p.write_text(buf.getvalue(), encoding="utf-8")


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(
    table=st.sampled_from([t for t in TABLES.values() if (TINY / t.filename).exists()]),
    op=st.sampled_from(["cell", "cell", "cell", "drop_row", "dup_row", "truncate"]),
    data=st.data(),
)
def test_one_table_mutation_validates_or_names_the_file(tmp_path_factory, table, op, data):
    d = _copy(tmp_path_factory)
    p = d / table.filename
    rows = list(csv.reader(p.read_text(encoding="utf-8").splitlines()))
    i = data.draw(st.integers(1, len(rows) - 1), label="row")
    if op == "cell":
        j = data.draw(st.integers(0, len(rows[0]) - 1), label="column")
        rows[i][j] = data.draw(VALUE, label="value")
    elif op == "drop_row":
        del rows[i]
    elif op == "dup_row":
        rows.insert(i, list(rows[i]))
    else:
        rows = rows[:i]
    _write_rows(p, rows)
    _check(d, p)


@SETTINGS
@given(
    key=st.sampled_from(SCEN_KEYS),
    op=st.sampled_from(["set", "set", "set", "duplicate", "delete"]),
    value=YAML_VALUE,
)
def test_one_scenario_mutation_validates_or_names_the_key(tmp_path_factory, key, op, value):
    d = _copy(tmp_path_factory)
    p = d / SCEN
    lines = p.read_text(encoding="utf-8").splitlines()
    k = next(n for n, ln in enumerate(lines) if ln.strip().startswith(f"{key}:"))
    indent = lines[k][: len(lines[k]) - len(lines[k].lstrip())]
    if op == "set":
        lines[k] = f"{indent}{key}: {value}"
    elif op == "duplicate":
        lines.insert(k + 1, f"{indent}{key}: {value}")
    else:
        del lines[k]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["validate", "--inputs", str(d), "--scenario", str(p)])
    _check(d, p)
    if op == "duplicate":  # the last one silently winning once turned a budget into $1
        assert r.exit_code == 2 and f"{key}: duplicate key" in r.output, r.output
    bad = {".inf", "-.inf", ".nan", "true", "false", "yes"} | (
        {"1e400"} if key != "name" else set()
    )
    if op == "set" and value in bad:  # YAML reads 1e400 as text: a valid name, never a number
        assert r.exit_code == 2, r.output
        assert any(key in ln for ln in r.output.splitlines() if ln.startswith("error:"))
