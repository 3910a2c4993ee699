"""Output folders: written whole or not at all, stale files never survive, and an output path
that cannot be written is one line and exit 2 in every command that has ``--out``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import planner.pipeline
from planner.cli import main
from planner.errors import InputError
from planner.io.folder import check_out_path, staged_folder
from tests.conftest import ROOT

SNDLIB = ROOT / "tests" / "data" / "sndlib" / "hand4.txt"
ZOO = ROOT / "tests" / "data" / "topologyzoo" / "Abilene.graphml"


def snapshot(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def siblings(d: Path) -> list[str]:
    return sorted(p.name for p in d.parent.iterdir() if p.name.startswith(f".{d.name}."))


# ---- the helper -------------------------------------------------------------------------------


def test_staged_folder_swaps_whole_or_leaves_old(tmp_path):
    final = tmp_path / "a" / "run"
    with staged_folder(final) as t:
        (t / "old.csv").write_text("old")
        (t / "stale.csv").write_text("stale")
    before = snapshot(final)
    with pytest.raises(RuntimeError), staged_folder(final) as t:
        (t / "old.csv").write_text("new")
        raise RuntimeError("killed half-way")
    assert snapshot(final) == before and siblings(final) == []
    with staged_folder(final) as t:
        (t / "old.csv").write_text("new")
    assert snapshot(final) == {"old.csv": b"new"}  # stale.csv of the older run is gone
    with staged_folder(final, keep=True) as t:
        (t / "extra.png").write_text("png")
    assert snapshot(final) == {"extra.png": b"png", "old.csv": b"new"}
    assert siblings(final) == []


def test_failed_first_write_leaves_no_empty_folders(tmp_path):
    with pytest.raises(ValueError), staged_folder(tmp_path / "x" / "y" / "z"):
        raise ValueError
    assert list(tmp_path.iterdir()) == []


def test_leftovers_of_a_killed_writer_are_tidied(tmp_path):
    final = tmp_path / "run"
    final.mkdir()
    (final / "summary.json").write_text("{}")
    dead = tmp_path / ".run.tmp-999999999"  # no such pid
    dead.mkdir()
    with staged_folder(final) as t:
        (t / "summary.json").write_text("new")
    assert not dead.exists() and (final / "summary.json").read_text() == "new"


def test_a_folder_lost_between_two_renames_is_restored(tmp_path):
    final = tmp_path / "run"
    old = tmp_path / ".run.old-999999999"
    old.mkdir()
    (old / "summary.json").write_text("old")
    with pytest.raises(RuntimeError), staged_folder(final):
        raise RuntimeError
    assert (final / "summary.json").read_text() == "old"


def test_foreign_folder_is_never_replaced(tmp_path):
    d = tmp_path / "Documents"
    d.mkdir()
    (d / "thesis.tex").write_text("precious")
    with (
        pytest.raises(InputError, match="refusing to replace it"),
        staged_folder(d, markers=("summary.json",)),
    ):
        pass
    assert (d / "thesis.tex").read_text() == "precious"


def test_check_out_path(tmp_path, monkeypatch):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(InputError, match="--out: is a file"):
        check_out_path(f)
    with pytest.raises(InputError, match=r"file.txt is a file \(expected folders above"):
        check_out_path(f / "sub" / "dir")
    with pytest.raises(InputError, match="--out: is a folder"):
        check_out_path(tmp_path, folder=False)
    check_out_path(tmp_path / "new" / "dir")  # fine: created on write
    # read-only / not permitted (root ignores mode bits, so ask os.access what it would say)
    monkeypatch.setattr(os, "access", lambda p, mode: False)
    with pytest.raises(InputError, match="is not writable"):
        check_out_path(tmp_path / "new")


# ---- planner run: an interrupted re-run leaves the old complete folder -----------------------


def _run(tiny_dir: Path, out: Path, *extra: str):
    return CliRunner().invoke(
        main,
        ["run", "--inputs", str(tiny_dir), "--scenario", str(tiny_dir / "scenarios/base.yaml"),
         "--out", str(out), "--stages", "forecast,optimize", *extra],
    )  # fmt: skip


@pytest.mark.parametrize("stage", ["forecast_stage", "plan_stage"])
def test_interrupted_rerun_keeps_the_old_folder(tiny_dir, tmp_path, monkeypatch, stage):
    out = tmp_path / "reports" / "base"
    r = _run(tiny_dir, out)
    assert r.exit_code == 0, r.output
    (out / "failures.csv").write_text("from an older failures run\n")
    before = snapshot(out)
    assert {"scenario.yaml", "upgrades.csv", "summary.json", "forecast.csv"} <= set(before)
    s = tiny_dir / "scenarios/base.yaml"
    s.write_text(s.read_text().replace("budget_usd_total: 20000000.0", "budget_usd_total: 1.0e6"))

    def boom(*a, **k):
        raise KeyboardInterrupt  # Ctrl-C in the middle of the stage

    monkeypatch.setattr(planner.pipeline, stage, boom)
    r = _run(tiny_dir, out)
    assert r.exit_code != 0
    assert snapshot(out) == before  # every byte of the old run, nothing of the new one
    assert siblings(out) == []
    monkeypatch.undo()
    r = _run(tiny_dir, out)
    assert r.exit_code == 0, r.output
    after = snapshot(out)
    assert "failures.csv" not in after  # a stale file of an older run never survives
    assert b"1000000.0" in after["scenario.yaml"] and after["upgrades.csv"] != b""
    assert f"wrote {out}/" in r.output and ".base.tmp" not in r.output


# ---- every command with --out: unusable path -> one line, exit 2 -----------------------------


def _commands(tiny: Path, plan: Path, out: str) -> dict[str, list[str]]:
    scen = str(tiny / "scenarios/base.yaml")
    return {
        "run": ["run", "--inputs", str(tiny), "--scenario", scen, "--out", out],
        "optimize": ["optimize", "--inputs", str(tiny), "--scenario", scen, "--out", out],
        "forecast": ["forecast", "--inputs", str(tiny), "--scenario", scen, "--out", out],
        "backtest": ["backtest", "--inputs", str(tiny), "--out", out],
        "ingest": ["ingest", str(tiny / "demand_history.csv"), "--out", out],
        "report": ["report", "--plan", str(plan), "--out", out],
        "failures": ["failures", "--plan", str(plan), "--out", out],
        "sweep": ["sweep", "--inputs", str(tiny), "--scenario", scen, "--out-root", out],
        "import-zoo": ["import", "topologyzoo", str(ZOO), "--out", out],
        "import-sndlib": ["import", "sndlib", str(SNDLIB), "--out", out],
    }


@pytest.mark.parametrize("case", ["is-a-file", "under-a-file", "not-writable"])
def test_unwritable_out_is_one_line_in_every_command(tiny_dir, tmp_path, monkeypatch, case):
    f = tmp_path / "plain.txt"
    f.write_text("x")
    ro = tmp_path / "read_only_here"
    out = {"is-a-file": f, "under-a-file": f / "sub", "not-writable": ro / "o"}[case]
    if case == "not-writable":
        ro.mkdir()
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m: real(p, m) and ro.name not in str(p))
    for name, args in _commands(tiny_dir, tmp_path / "plan", str(out)).items():
        if name in ("backtest", "ingest") and case == "is-a-file":
            continue  # these take a file: writing over a file is what they are for
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 2, (name, r.output)
        lines = [ln for ln in r.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), (name, r.output)
        assert "--out" in lines[0] and "Traceback" not in r.output, (name, r.output)


def test_import_replaces_its_own_folder_never_a_hand_made_one(tmp_path):
    out = tmp_path / "abilene"
    for _ in range(2):  # a re-import replaces the earlier import whole
        r = CliRunner().invoke(main, ["import", "topologyzoo", str(ZOO), "--out", str(out),
                                      "--pairs", "10"])  # fmt: skip
        assert r.exit_code == 0, r.output
    (out / "notes.txt").write_text("stale")
    r = CliRunner().invoke(main, ["import", "sndlib", str(SNDLIB), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert not (out / "notes.txt").exists() and (out / "demand.csv").is_file()
    hand = tmp_path / "inputs"
    hand.mkdir()
    (hand / "sites.csv").write_text("site_id\n")
    (hand / "make_default.py").write_text("# precious\n")
    r = CliRunner().invoke(main, ["import", "sndlib", str(SNDLIB), "--out", str(hand)])
    assert r.exit_code == 2 and "refusing to replace it" in r.output
    assert (hand / "make_default.py").read_text() == "# precious\n"


def test_an_os_error_anywhere_is_one_line_not_a_traceback(tiny_dir, tmp_path, monkeypatch):
    """The safety net behind the --out checks: the OS refusing a write mid-run (disk full,
    permissions changed) is one line naming the file, exit 2, and the old folder survives."""

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied", "/mnt/plans/inputs/sites.csv")

    monkeypatch.setattr(planner.pipeline, "write_run_inputs", refuse)
    r = _run(tiny_dir, tmp_path / "o")
    assert r.exit_code == 2
    assert r.output.strip().splitlines()[-1] == (
        "error: /mnt/plans/inputs/sites.csv: Permission denied"
    )
    assert "Traceback" not in r.output
    assert not (tmp_path / "o").exists() and siblings(tmp_path / "o") == []
