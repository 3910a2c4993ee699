"""What a user sees during a long step: a live bar on a terminal, a plain line in a log.

Why: optimize (~50 s), the report (~20 s) and ``planner failures`` (~30 s) printed nothing
until they ended, so a user could not tell a busy planner from a hung one. On a terminal a
rich spinner with the elapsed time (cleared when the step ends); elsewhere (a log file, CI) one
``STEP: still running (N s)`` line every :data:`LOG_EVERY_S` seconds, so logs stay short.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator

import click

#: seconds between "still running" lines when stderr is not a terminal
LOG_EVERY_S = 15.0


def _is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class Activity:
    """One long step; ``start(label)`` / ``stop()`` may be called again for the next step."""

    def __init__(self, every_s: float = LOG_EVERY_S, tty: bool | None = None) -> None:
        self.every_s = every_s
        self.tty = _is_tty() if tty is None else tty
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress = None

    def start(self, label: str) -> None:
        self.stop()
        if self.tty:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn(f"{label}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._progress.add_task(label, total=None)
            return
        self._stop = threading.Event()
        t0 = time.monotonic()

        def beat() -> None:
            while not self._stop.wait(self.every_s):
                click.echo(f"{label}: still running ({time.monotonic() - t0:.0f} s)", err=True)

        self._thread = threading.Thread(target=beat, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None


@contextlib.contextmanager
def activity(label: str, every_s: float = LOG_EVERY_S) -> Iterator[Activity]:
    """Show progress while the block runs."""
    a = Activity(every_s)
    a.start(label)
    try:
        yield a
    finally:
        a.stop()


def staged_log(
    stages: tuple[str, ...], echo: Callable[[str], None], act: Activity
) -> Callable[[str], None]:
    """A ``log`` for ``pipeline.run`` that shows progress for the stage after each line.

    The pipeline logs one line as each stage ends (``forecast  ok: ...``); the next wanted
    stage is then running. Indented lines (rounds of a survivable plan) keep the current one.
    """
    order = ("validate", *stages)

    def log(line: str) -> None:
        act.stop()
        echo(line)
        word = line.split(maxsplit=1)[0] if line.strip() else ""
        if line[:1].isspace() or word not in order:
            nxt = getattr(log, "current", None)
        else:
            i = order.index(word)
            nxt = order[i + 1] if i + 1 < len(order) else None
        log.current = nxt  # type: ignore[attr-defined]
        if nxt:
            act.start(f"{nxt}")

    return log
