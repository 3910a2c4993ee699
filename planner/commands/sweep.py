"""``planner sweep``: many budgets and/or scenarios as independent plans on Dask, one comparison.

Why these exit codes: a script or CI job can tell "all good" (0) from "some runs failed" (1,
their number is printed) from "bad input, nothing ran" (2: the inputs folder, ``--budgets``,
``--out``, or no scenario that loads) without parsing output; 130 for Ctrl-C. (Until 2026-12 a
sweep exited with the number of failed runs, so 2 failed runs looked like bad input.)
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import click

from planner.commands.options import inputs_option, scenario_option, time_limit_option
from planner.errors import InputError, Problem
from planner.options import PlanOptions
from planner.sweep import (
    FAILED,
    MAX_BUDGETS,
    Cluster,
    SweepResult,
    budget_label,
    code_version,
    run_sweep,
    safe_name,
)
from planner.units import usd_text

EXIT_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_FAILED_RUNS = 1

# --- --budgets ------------------------------------------------------------------------------

_NUM = re.compile(r"^\$?([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)(k|m|b|bn)?$")
_SUFFIX = {None: 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "bn": 1e9}


def _parse_usd(text: str) -> float | None:
    m = _NUM.match(text.strip().lower().replace("_", ""))
    if not m:
        return None
    v = float(m.group(1)) * _SUFFIX[m.group(2)]
    return v if math.isfinite(v) else None


def parse_budgets(spec: str) -> list[float]:
    """``"0,100e6,300M"`` and/or ranges ``"start:stop:count"`` (inclusive) -> sorted USD list.

    Why suffixes: ``300M`` is what a planner types; ``300e6`` is what a script writes. Equal
    budgets (to the cent) are run once.
    """
    where = "--budgets"
    out: list[float] = []
    problems: list[Problem] = []
    for item in (s.strip() for s in str(spec).split(",")):
        if not item:
            continue
        parts = item.split(":")
        if len(parts) == 1:
            v = _parse_usd(item)
            if v is None:
                msg = f"got {item!r}, expected an amount in USD >= 0 (300e6, 300M, 1.2B)"
                problems.append(Problem(where, msg))
            else:
                out.append(v)
            continue
        n = int(parts[2]) if len(parts) == 3 and parts[2].strip().isdigit() else 0
        lo, hi = (_parse_usd(p) for p in parts[:2]) if len(parts) == 3 else (None, None)
        if n < 1 or lo is None or hi is None:
            msg = f"got {item!r}, expected start:stop:count with count >= 1, e.g. 0:600M:7"
            problems.append(Problem(where, msg))
        elif n > MAX_BUDGETS:
            problems.append(Problem(where, f"got count {n}, expected at most {MAX_BUDGETS}"))
        else:
            out += [lo] if n == 1 else [lo + (hi - lo) * i / (n - 1) for i in range(n)]
    budgets = sorted({round(b, 2) for b in out})
    if not problems and not budgets:
        problems.append(Problem(where, f"got {spec!r}, expected at least one budget"))
    if len(budgets) > MAX_BUDGETS:
        problems.append(Problem(where, f"got {len(budgets)} budgets, expected <= {MAX_BUDGETS}"))
    if problems:
        raise InputError(problems)
    return budgets


# --- progress -------------------------------------------------------------------------------


def describe_row(row: dict[str, Any]) -> str:
    """One line per finished run, shared by the plain log and the progress bar."""
    b = row["budget_usd"]
    head = f"{row['scenario']} @ ${budget_label(b)}" if b == b else str(row["scenario"])
    if row["status"] == FAILED:
        return f"{head}: FAILED {row['error']}"
    return (
        f"{head}: {row['status']}, capex {usd_text(row['capex_usd'])}, "
        f"served {row['served_fraction']:.2%}, unserved {row['unserved_gbps_final_year']:,.0f} "
        f"Gbps in final year, gap {row['mip_gap']:.2%}, {row['run_seconds']:.1f} s"
    )


def start_line(info: dict[str, Any]) -> str:
    return (
        f"sweep {info['name']}: {info['total']} runs ({info['reused']} already done, "
        f"{info['todo']} to run) on {info['workers']}, solver threads per run "
        f"{info['solver_threads']}; writing {info['out_dir']}/"
    )


def finish_line(r: SweepResult) -> str:
    return (
        f"sweep done in {fmt_secs(r.seconds)}: {r.n_total} runs, {r.n_reused} reused, "
        f"{r.n_ran} run, {r.n_failed} failed; wrote {r.out_dir / 'runs.csv'}"
        + (
            f" and {r.out_dir / 'comparison.pdf'}"
            if r.out_dir / "comparison.pdf" in r.files
            else ""
        )
    )


def fmt_secs(s: float) -> str:
    s = max(0, int(round(s)))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class LogObserver:
    """Plain lines with a naive ETA: for logs, CI and anything that is not a terminal."""

    def __init__(self, echo: Callable[[str], None] = print) -> None:
        self.echo = echo
        self.t0 = time.perf_counter()

    def start(self, info: dict[str, Any]) -> None:
        self.t0 = time.perf_counter()
        self.echo(start_line(info))

    def run_done(self, row: dict[str, Any], done: int, todo: int) -> None:
        eta = (time.perf_counter() - self.t0) / done * (todo - done)
        w = len(str(todo))
        self.echo(f"[{done:>{w}}/{todo}] {describe_row(row)} (ETA {fmt_secs(eta)})")

    def message(self, text: str) -> None:
        self.echo(text)

    def finish(self, result: SweepResult) -> None:
        self.echo(finish_line(result))

    def close(self) -> None:
        pass


class RichObserver:
    """Progress bar (runs done / to run, elapsed, ETA) with one printed line per finished run."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        )
        self.task: Any = None

    def start(self, info: dict[str, Any]) -> None:
        self.progress.console.print(start_line(info), markup=False, highlight=False)
        self.progress.start()
        self.task = self.progress.add_task(f"sweep {info['name']}", total=max(info["todo"], 1))
        if not info["todo"]:
            self.progress.update(self.task, completed=1)

    def run_done(self, row: dict[str, Any], done: int, todo: int) -> None:
        style = "red" if row["status"] == FAILED else None
        self.progress.console.print(describe_row(row), style=style, markup=False, highlight=False)
        self.progress.update(self.task, completed=done)

    def message(self, text: str) -> None:
        self.progress.console.print(text, style="yellow", markup=False, highlight=False)

    def finish(self, result: SweepResult) -> None:
        self.close()
        self.progress.console.print(finish_line(result), markup=False, highlight=False)

    def close(self) -> None:
        self.progress.stop()


# --- the cluster ----------------------------------------------------------------------------

#: How long to wait for an existing scheduler (``--scheduler``) to answer.
SCHEDULER_TIMEOUT = "15s"


@contextlib.contextmanager
def dask_cluster(
    workers: int | None = None,
    scheduler: str | None = None,
    processes: bool = True,
    dashboard: bool = False,
) -> Iterator[Cluster]:
    """The workers a sweep runs on; everything started here is closed on exit.

    ``scheduler``: an existing cluster (we only connect; its workers must run the same code,
    checked). Otherwise a ``LocalCluster`` of single-threaded workers, one per core by default:
    runs are independent, so one run per core is the throughput-optimal split, and each solve
    gets ``cores // workers`` solver threads.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, ValueError, TypeError) as e:
            raise InputError(
                Problem("--scheduler", f"got {scheduler!r}, cannot connect ({e})")
            ) from None
        try:
            n = _check_workers(client, scheduler)
            yield Cluster(client, f"Dask cluster {scheduler} ({n} workers)", 1)
        finally:
            client.close()
        return
    cores = os.cpu_count() or 1
    n = max(1, workers or cores)
    with _workers_ignore_ctrl_c(processes):
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=":0",  # the scheduler's HTTP server always starts: any free port
            scheduler_kwargs={"dashboard": dashboard},
            silence_logs=logging.ERROR,
        )
    client = Client(cluster)
    desc = f"LocalCluster {n} worker{'s' * (n > 1)} ({'processes' if processes else 'threads'})"
    if dashboard and cluster.dashboard_link:
        desc += f", dashboard {cluster.dashboard_link}"
    try:
        yield Cluster(client, desc, max(1, cores // n))
    finally:
        client.close()
        cluster.close()


@contextlib.contextmanager
def _workers_ignore_ctrl_c(processes: bool) -> Iterator[None]:
    """Start worker processes with SIGINT ignored (inherited), so Ctrl-C reaches only this
    process, which then closes the cluster; otherwise every worker prints a traceback."""
    if not processes or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _check_workers(client: Any, where: str) -> int:
    """Remote workers must run the same result-producing code, or the run hashes would lie."""
    try:
        versions = client.run(code_version)
    except Exception as e:  # workers that cannot import planner fail here
        raise InputError(
            Problem("--scheduler", f"workers of {where} cannot run dci-planner ({e})")
        ) from None
    mine = code_version()
    other = sorted({v for v in versions.values() if v != mine})
    if other:
        msg = (f"workers of {where} run code {other[0]}, expected {mine} (install the same "
               "dci-planner on the cluster)")  # fmt: skip
        raise InputError(Problem("--scheduler", msg))
    return len(versions)


# --- the command ----------------------------------------------------------------------------


def default_name(scenario_paths: tuple[Path, ...]) -> str:
    """The first scenario's ``name`` (its file stem if it does not load)."""
    from planner.io import read_scenario

    try:
        return safe_name(read_scenario(scenario_paths[0]).name)
    except InputError:
        return safe_name(scenario_paths[0].stem)


def _check_out_root(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """An unwritable --out-root is one line before any worker starts (exit 2)."""
    from planner.io.folder import check_out_path

    check_out_path(value, "--out-root")
    return value


@click.command()
@inputs_option("Folder with sites.csv, corridors.csv, ... shared by every run.")
@scenario_option(
    "Scenario YAML; repeat to compare scenarios (each needs a unique `name`).", multiple=True
)
@click.option(
    "--budgets",
    default=None,
    metavar="USD,...|START:STOP:N",
    help="Total CapEx budgets in USD: a list `0,100e6,300M,1.2B` and/or ranges "
    "`start:stop:count` (inclusive, e.g. `0:600M:7`). Per-year caps are scaled in proportion. "
    "[default: each scenario's own budget_usd_total]",
)
@click.option("--name", default=None, help="Sweep folder name.  [default: first scenario's name]")
@click.option(
    "--out-root",
    type=click.Path(path_type=Path),
    default=Path("reports/sweeps"),
    show_default=True,
    help="Sweeps are written to OUT_ROOT/NAME/ (runs.csv, runs/, comparison.pdf).",
    callback=_check_out_root,
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Local Dask workers (one single-threaded worker per run in flight).  "
    "[default: number of CPU cores]",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HOST:PORT",
    help="Send the runs to this existing Dask scheduler instead of a LocalCluster (its workers "
    "need dci-planner installed; results come back to this machine).",
)
@click.option(
    "--solver-threads",
    type=click.IntRange(min=1),
    default=None,
    help="Solver threads per run, never above the scenario's solver.threads.  "
    "[default: cores // workers locally, 1 on a remote cluster]",
)
@time_limit_option(
    "Solver wall-clock limit per run in seconds, overriding the scenarios' "
    "solver.time_limit_s.  [default: the scenario's]",
    dest="time_limit_s",
)
@click.option(
    "--marginals/--no-marginals",
    default=True,
    show_default=True,
    help="Solve the two dual LPs per run (corridor marginal values and the budget dual shown "
    "in the marginal-value chart); off saves time on big networks.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Recompute every run, even those whose results already exist with the same inputs.",
)
@click.option(
    "--comparison/--no-comparison",
    default=True,
    show_default=True,
    help="Write comparison.pdf and PNGs (frontier, marginal value, buy order) at the end.",
)
@click.option(
    "--processes/--no-processes",
    default=True,
    show_default=True,
    help="Local workers as separate processes (true parallel solves) or threads in this "
    "process (faster start-up, for small sweeps).",
)
@click.option("--dashboard", is_flag=True, help="Start the Dask dashboard and print its URL.")
@click.option(
    "--progress",
    type=click.Choice(["auto", "bar", "lines"]),
    default="auto",
    show_default=True,
    help="Progress bar on a terminal, plain log lines otherwise (auto), or force one.",
)
@click.pass_context
def sweep(
    ctx: click.Context,
    inputs_dir: Path,
    scenario_paths: tuple[Path, ...],
    budgets: str | None,
    name: str | None,
    out_root: Path,
    workers: int | None,
    scheduler: str | None,
    solver_threads: int | None,
    time_limit_s: float | None,
    marginals: bool,
    force: bool,
    comparison: bool,
    processes: bool,
    dashboard: bool,
    progress: str,
) -> None:
    """Plan every budget x scenario combination in parallel and compare them.

    "What do we lose at $300M instead of $600M?":
    `planner sweep --budgets 0:600M:7`. "How do base and high growth compare?":
    `planner sweep --scenario inputs/scenarios/base.yaml --scenario
    inputs/scenarios/high_growth.yaml`.
    The forecast is computed once per scenario; runs already finished with the same inputs,
    scenario and code are reused, so an interrupted sweep resumes where it stopped. The
    frontier shows, at each budget, the best plan found at or below it (a time-limited run can
    return a worse plan than a smaller budget's; such runs are flagged). Exit code: 0 all runs
    planned, 1 some runs failed (listed), 2 bad input (nothing ran), 130 interrupted.
    """
    tty = sys.stdout.isatty()
    observer = RichObserver() if progress == "bar" or (progress == "auto" and tty) else None
    observer = observer or LogObserver(click.echo)
    try:
        bl = parse_budgets(budgets) if budgets is not None else None
        out = out_root / safe_name(name or default_name(scenario_paths))
        result = run_sweep(
            inputs_dir,
            scenario_paths,
            bl,
            out,
            cluster=partial(dask_cluster, workers, scheduler, processes, dashboard),
            solver_threads=solver_threads,
            time_limit_s=time_limit_s,
            force=force,
            comparison=comparison,
            observer=observer,
            options=PlanOptions(marginals=marginals),
        )
    except InputError as e:
        observer.close()
        if ctx.obj and ctx.obj.get("debug"):
            raise
        for p in e.problems:
            click.secho(f"error: {p}", fg="red", err=True)
        ctx.exit(EXIT_INPUT)
    except KeyboardInterrupt:
        observer.close()
        click.secho(
            "interrupted: runs.csv lists the runs finished so far; run the same command again "
            "to resume",
            fg="yellow",
            err=True,
        )
        ctx.exit(EXIT_INTERRUPTED)
    finally:
        observer.close()
    if result.n_failed:
        for _i, r in result.runs[result.runs["status"] == FAILED].iterrows():
            click.secho(f"failed: {describe_row(r.to_dict())}", fg="red", err=True)
        click.secho(f"{result.n_failed} run(s) failed", fg="red", err=True)
        ctx.exit(EXIT_FAILED_RUNS)
