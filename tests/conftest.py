"""Shared fixtures: small valid inputs that tests copy and break on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny"


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A writable copy of tests/data/tiny (4 sites, 4 corridors, 1 candidate route)."""
    d = tmp_path / "inputs"
    shutil.copytree(TINY, d)
    return d
