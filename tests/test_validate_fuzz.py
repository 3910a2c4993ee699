"""Property tests: random garbage in any input file never gives a traceback, always exit 2."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.schema import TABLES
from tests.conftest import TINY

FILES = [t for t in TABLES.values()]
cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


def _invoke(d: Path):
    return CliRunner().invoke(main, ["validate", "--inputs", str(d)])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=st.sampled_from(FILES),
    rows=st.lists(st.lists(cell, min_size=1, max_size=12), min_size=1, max_size=4),
    letters=st.text(alphabet="abcxyz", min_size=1, max_size=5),
    data=st.data(),
)
def test_garbage_rows_exit_2_without_traceback(tmp_path_factory, table, rows, letters, data):
    d = tmp_path_factory.mktemp("fuzz") / "inputs"
    shutil.copytree(TINY, d)
    numeric = [i for i, c in enumerate(table.columns) if c.dtype in ("int", "float", "month")]
    buf = io.StringIO()
    w = csv.writer(buf)
    for r in rows:
        r = (r + [""] * len(table.columns))[: len(table.columns)]
        i = data.draw(st.sampled_from(numeric))
        r[i] = letters  # guarantees at least one invalid cell per row
        w.writerow(r)
    p = d / table.filename
    if not p.exists():
        p.write_text(",".join(table.names) + "\n")
    with p.open("a", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())
    r = _invoke(d)
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "Traceback" not in r.output


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=st.sampled_from(FILES), blob=st.binary(max_size=200))
@example(table=TABLES["sites"], blob=b"\r\xc2\x80")  # a line break as header: no columns
def test_random_bytes_file_exit_2(tmp_path_factory, table, blob):
    d = tmp_path_factory.mktemp("fuzz") / "inputs"
    shutil.copytree(TINY, d)
    (d / table.filename).write_bytes(blob)
    r = _invoke(d)
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
