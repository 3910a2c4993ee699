"""Read the input directory and the scenario file; every problem becomes a one-line message.

Why everything is read as text first: see ``planner.validate``. The file line of each row is
kept (``_line``) so messages point at the line a planner would open in an editor.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import pandas as pd
import yaml
from pydantic import ValidationError

from planner.config import Scenario
from planner.errors import InputError, InputWarning, Problem
from planner.schema import TABLES
from planner.tables import Inputs
from planner.validate import LINE, validate_tables


def read_raw(path: Path) -> pd.DataFrame:
    """CSV as strings with a ``_line`` column (header = line 1); blank lines are skipped."""
    if path.exists() and not path.is_file():
        raise InputError(Problem(str(path), "not a file (got a directory, expected a CSV table)"))
    try:
        df = pd.read_csv(
            path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8"
        )
    except pd.errors.EmptyDataError:
        raise InputError(Problem(str(path), "empty file (expected a header line)")) from None
    except UnicodeDecodeError as e:
        raise InputError(
            Problem(str(path), f"not UTF-8 text ({e.reason} at byte {e.start})")
        ) from None
    except OSError as e:
        raise InputError(Problem(str(path), f"cannot read ({e.strerror or e})")) from None
    except pd.errors.ParserError as e:
        m = re.search(r"line (\d+)", str(e))
        msg = str(e).strip().splitlines()[-1]
        raise InputError(
            Problem(str(path), f"not a valid CSV ({msg})", row=int(m.group(1)) if m else None)
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    df[LINE] = range(2, len(df) + 2)
    data_cols = [c for c in df.columns if c != LINE]
    if not data_cols or not len(df):  # no column names (a lone line break): no data either
        return df.iloc[0:0]
    return df[~df[data_cols].apply(lambda s: s.str.strip() == "").all(axis=1)]


def read_inputs(
    inputs_dir: str | os.PathLike,
    *,
    start_year: int | None = None,
    scenario_path: str = "<scenario>",
) -> Inputs:
    """Read and validate every table in ``inputs_dir``; raise InputError listing all problems.

    ``start_year`` (a scenario's) also checks that the history ends before planning starts."""
    d = Path(inputs_dir)
    if not d.is_dir():
        raise InputError(Problem(str(d), "not a directory (expected the inputs folder)"))
    raw: dict[str, pd.DataFrame] = {}
    paths: dict[str, str] = {}
    problems: list[Problem] = []
    for name, table in TABLES.items():
        p = d / table.filename
        paths[name] = str(p)
        if not p.exists():
            if table.required:
                problems.append(Problem(str(p), "missing file (required table)"))
            raw[name] = pd.DataFrame(
                {**{c: pd.Series(dtype=str) for c in table.names}, LINE: pd.Series(dtype=int)}
            )
            continue
        try:
            raw[name] = read_raw(p)
        except InputError as e:
            problems += e.problems
            raw[name] = pd.DataFrame({LINE: pd.Series(dtype=int)})
    if problems:
        raise InputError(problems)
    return validate_tables(raw, paths, start_year=start_year, scenario_path=scenario_path)


def read_inputs_and_scenario(
    inputs_dir: str | os.PathLike, scenario: str | os.PathLike | Scenario
) -> tuple[Inputs, Scenario]:
    """Both, checked against each other (history before the start year); every problem of
    both files in one InputError. ``scenario`` may be an already loaded Scenario (CLI
    overrides such as ``--time-limit``)."""
    problems: list[Problem] = []
    scen: Scenario | None = None
    spath = "<scenario>"
    if isinstance(scenario, Scenario):
        scen = scenario
    else:
        spath = str(scenario)
        try:
            scen = read_scenario(scenario)
        except InputError as e:
            problems += e.problems
    inputs = None
    try:
        inputs = read_inputs(
            inputs_dir, start_year=scen.start_year if scen else None, scenario_path=spath
        )
    except InputError as e:
        problems = e.problems + problems
    if problems or inputs is None or scen is None:
        raise InputError(problems)
    return inputs, scen


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice: the last one silently winning turned a
    budget into $1 once."""


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, line: int, first: int):
        super().__init__(f"duplicate key {key!r}")
        self.problem = f"duplicate key (first at line {first}; expected each key once)"
        self.key, self.line = str(key), line


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            if key in seen:
                raise _DuplicateKey(key, line, seen[key])
            seen[key] = line
        except TypeError:  # an unhashable key: PyYAML reports it below
            continue
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _loc(loc: tuple) -> str:
    return ".".join(str(x) for x in loc) or "<root>"


def read_scenario(path: str | os.PathLike) -> Scenario:
    """Load a scenario YAML; unknown keys and bad values are reported by YAML key."""
    p = Path(path)
    if p.is_dir():
        raise InputError(Problem(str(p), "not a file (got a directory, expected a scenario YAML)"))
    if not p.is_file():
        raise InputError(Problem(str(p), "missing file (expected a scenario YAML)"))
    try:
        data = yaml.load(p.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506
    except _DuplicateKey as e:
        raise InputError(Problem(str(p), e.problem, row=e.line, column=e.key)) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        what = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(
            Problem(str(p), f"not valid YAML ({what})", row=mark.line + 1 if mark else None)
        ) from None
    except UnicodeDecodeError as e:
        raise InputError(Problem(str(p), f"not UTF-8 text ({e.reason})")) from None
    except OSError as e:
        raise InputError(Problem(str(p), f"cannot read ({e.strerror or e})")) from None
    scen = scenario_from_dict(data, str(p))
    cores = os.cpu_count() or 1
    if scen.solver.threads > cores:
        warnings.warn(
            f"{p}: solver.threads: {scen.solver.threads} threads on a machine with {cores} "
            "core(s): the solver time-shares them and its time limit stretches",
            InputWarning,
            stacklevel=2,
        )
    return scen


def _value_error(err: dict, data: dict, key: str) -> tuple[str, str]:
    """Message and YAML key of a value error. A whole-scenario check (``loc`` empty: one key
    checked against another) names the key its message starts with and shows that key's
    value, not the whole scenario mapping."""
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    if not err["loc"]:
        first = msg.split(" ", 1)[0]
        if first in Scenario.model_fields:
            key, got, msg = first, data.get(first), msg[len(first) :].lstrip()
    return f"{msg} (got {got!r})", key


def scenario_from_dict(data: object, path: str = "<scenario>") -> Scenario:
    if not isinstance(data, dict):
        raise InputError(Problem(path, f"expected a mapping of keys (got {type(data).__name__})"))
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            key = _loc(err["loc"])
            if err["type"] == "extra_forbidden":
                msg = "unknown key (typo?)"
            elif err["type"] == "missing":
                msg = "missing required key"
            else:
                msg, key = _value_error(err, data, key)
            problems.append(Problem(path, msg, column=key))
        raise InputError(problems) from None
