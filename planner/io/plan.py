"""Write and read a plan directory (see docs/architecture.md for its layout).

Why a directory of plain CSV + JSON: a planner opens them in a spreadsheet, ``planner verify``
and ``planner report`` re-read them without the solver, and sweeps compare them by file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from planner.errors import InputError, Problem
from planner.io.atomic import read_json, write_csv, write_json
from planner.plan_schema import PLAN_SPECS, PlanSummary
from planner.tables import PLAN_TABLES, Plan, empty_plan_table
from planner.validate import check_types


def write_plan(plan: Plan, out_dir: str | os.PathLike) -> Path:
    """Write every plan table and summary.json; summary last, so its presence marks completion."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, cols in PLAN_TABLES.items():
        df = getattr(plan, name)
        absent = [c for c in PLAN_SPECS[name].columns if not c.required and c.name not in df]
        if absent:  # optional columns later versions added: their defaults
            df = df.assign(**{c.name: c.default for c in absent})
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"plan table {name} lacks columns {missing}")
        write_csv(df, out / f"{name}.csv")
    write_json(PlanSummary.model_validate(plan.summary).as_dict(), out / "summary.json")
    return out


def read_plan(plan_dir: str | os.PathLike) -> Plan:
    """Read a plan directory written by :func:`write_plan`; every failure is an InputError.

    Why here: verify, report, risk and ``--plan-of-record`` all re-read plan folders that may
    have been edited by hand; a garbled CSV or a word in a number column is one line naming
    the file (and cell), whoever reads it.
    """
    d = Path(plan_dir)
    try:
        return _read_plan(d)
    except InputError:
        raise
    except (ValueError, UnicodeDecodeError, OSError) as e:  # parser/JSON errors are ValueErrors
        raise InputError(_probe(d)) from e


def _read_plan(d: Path) -> Plan:
    required = [f"{n}.csv" for n in PLAN_TABLES if PLAN_SPECS[n].required] + ["summary.json"]
    if not any((d / f).exists() for f in required):  # one line, not one per missing table
        raise InputError(
            Problem(str(d), f"not a plan folder (none of {', '.join(required)}): expected the "
                    "--out folder of an earlier `planner run` or `planner optimize`")
        )  # fmt: skip
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    for name, cols in PLAN_TABLES.items():
        p = d / f"{name}.csv"
        spec = PLAN_SPECS[name]
        if not p.exists() and not spec.required:  # a table later versions added
            frames[name] = empty_plan_table(name)
            continue
        if not p.exists():
            problems.append(Problem(str(p), "missing: is this a plan directory?"))
            continue
        df = pd.read_csv(
            p,
            dtype={
                "corridor_id": str,
                "site_a": str,
                "site_b": str,
                "option_id": str,
                "path": str,
                "lease_id": str,
            },
        )
        for c in spec.columns:  # optional columns later versions added
            if not c.required and c.name not in df.columns:
                df[c.name] = c.default
        missing = [c for c in cols if c not in df.columns]
        if missing:
            problems.append(Problem(str(p), f"missing columns {missing}", row=1))
        problems += check_types(df, spec, str(p))
        frames[name] = df
    if not (d / "summary.json").exists():
        problems.append(Problem(str(d / "summary.json"), "missing: is this a plan directory?"))
    if problems:
        raise InputError(problems)
    return Plan(**frames, summary=read_json(d / "summary.json"))


def _probe(d: Path) -> list[Problem]:
    """Which file of a plan directory does not parse (read_plan raised a parser error)."""
    problems = []
    for name in PLAN_TABLES:
        p = d / f"{name}.csv"
        try:
            pd.read_csv(p)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
            msg = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
            problems.append(Problem(str(p), f"not a valid CSV ({msg})"))
        except OSError:
            continue
    s = d / "summary.json"
    try:
        json.loads(s.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        problems.append(Problem(str(s), f"not valid JSON ({e})"))
    except OSError:
        pass
    return problems or [Problem(str(d), "could not read the plan tables")]
