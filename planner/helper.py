"""A helper process on the second core for work beside a run's critical path.

Why: the machines this runs on have two cores, and most of a ``planner run`` is on one: the
start heuristics and HiGHS's MIP search ("Using 1 max workers"), then matplotlib. Two steps
there wait on nothing the step after them needs at once: the build-linked all-paths bound
(only reported, and read when the MIP starts) and the report's PNG figures (the PDF is drawn
from the same tables). Measured on the shipped base scenario: 1.9 s and ~2.5 s of a ~30 s run.

Only work whose result does not depend on where it runs goes here: it is bounded by work,
never by the clock, so the plan and its numbers are the same with or without the helper
(``tests/test_helper.py``). Every use falls back to running in this process when the helper is
not up yet, is busy, died, or its job failed: a failure there is never the run's failure (the
in-process run raises the real error, if there is one).

The helper is a plain ``python`` running :func:`helper_main` (as :mod:`planner.solver.guard`'s
child, and for the same reasons: a multiprocessing spawn re-runs the caller's main script when
it has no ``__main__`` guard). Jobs go in on its stdin, results come back on a pipe; when
stdin closes (the run ended, or died) the helper exits.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

#: ``DCI_PLANNER_HELPER=0`` runs everything in process (e.g. where cores are counted out).
ENV_SWITCH = "DCI_PLANNER_HELPER"


class HelperError(RuntimeError):
    """The helper could not return a job's result (it died, or the job raised there)."""


def wanted() -> bool:
    """A helper is worth starting: a second core, and not switched off."""
    return (os.cpu_count() or 1) >= 2 and os.environ.get(ENV_SWITCH, "1") != "0"


class Helper:
    """One helper process; one job at a time. ``warm``: modules it imports before it says it
    is ready (so a job's imports overlap the run's earlier stages)."""

    def __init__(self, warm: Sequence[str] = ()) -> None:
        r, w = os.pipe()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        main = "import sys; from planner.helper import helper_main; helper_main(sys.argv[1:])"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", main, str(w), *warm], stdin=subprocess.PIPE, pass_fds=(w,),
            env=env,
        )  # fmt: skip
        os.close(w)
        self.conn = Connection(r)
        self._ready = False
        self._busy = False
        self._dead = False
        #: jobs whose result came back from the helper
        self.done = 0

    def ready(self, wait_s: float = 0.0) -> bool:
        """Up and idle; waits at most ``wait_s`` for it to come up."""
        if self._dead or self._busy:
            return False
        if not self._ready:
            try:
                while not self._ready and self.conn.poll(wait_s):
                    self._ready = self.conn.recv() == ("ready",)
            except (EOFError, OSError):
                self._dead = True
        return self._ready and not self._dead

    def submit(self, fn: Callable[..., T], *args: Any) -> Callable[[], T] | None:
        """Start ``fn(*args)`` there (a module-level function); returns the function that
        waits for its result (raises :class:`HelperError`), or None if the helper cannot
        take it now."""
        return self.queue(fn, *args) if self.ready() else None

    def queue(self, fn: Callable[..., T], *args: Any) -> Callable[[], T] | None:
        """:meth:`submit` without waiting for the helper to be up: a job sent while it still
        imports waits in its stdin (a helper started for one job). None if it is busy, dead,
        or the job cannot be sent."""
        if self._dead or self._busy:
            return None
        try:  # pickled whole first: a job that cannot be pickled is not half-sent
            job = pickle.dumps((fn.__module__, fn.__qualname__, args), protocol=5)
        except Exception:  # noqa: BLE001 (any object pickle refuses: run it here)
            return None
        try:
            self.proc.stdin.write(job)
            self.proc.stdin.flush()
        except OSError:
            self._dead = True
            return None
        self._busy = True
        return self._result

    def answered(self) -> bool:
        """The job's answer is waiting (or the helper died): :meth:`_result` will not block."""
        try:
            if not self._ready and self.conn.poll(0):
                self._ready = self.conn.recv() == ("ready",)
            return self._ready and self.conn.poll(0)
        except (EOFError, OSError):
            self._dead = True
            return True

    def _result(self) -> Any:
        try:
            msg = self.conn.recv()
            if msg == ("ready",):  # a queued job: the start-up message comes first
                self._ready = True
                msg = self.conn.recv()
        except (EOFError, OSError) as e:
            self._dead = True
            raise HelperError("the helper process ended without a result") from e
        finally:
            self._busy = False
        if msg[0] != "ok":
            raise HelperError(msg[1])
        self.done += 1
        return msg[1]

    def kill(self) -> None:
        """End the helper now, job or not (a race it lost: :mod:`planner.optimize.race`)."""
        if self._dead and self.conn.closed:
            return
        self._dead = True
        with contextlib.suppress(OSError):
            self.proc.kill()
        self.proc.wait()
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        self.conn.close()

    def close(self) -> None:
        """End the helper (it exits when its stdin closes; a helper still importing is
        stopped rather than waited for)."""
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(2.0)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.conn.close()


def aside(helper: Helper | None, fn: Callable[..., T], *args: Any) -> Callable[[], T]:
    """``fn(*args)`` in the helper when it can take it now, else in this process when the
    result is asked for. Returns the function that gives the result."""
    waiting = helper.submit(fn, *args) if helper is not None else None

    def result() -> T:
        if waiting is not None:
            try:
                return waiting()
            except HelperError as e:  # the run goes on: the same work, here
                log.info("helper: %s failed there (%s); running it here", fn.__name__, e)
        return fn(*args)

    return result


def helper_main(argv: list[str]) -> None:
    """The helper (``argv``: the pipe's file descriptor, then modules to import first): run
    each job read from stdin, answer ``("ok", result)`` or ``("error", text)``; exit at EOF."""
    conn = Connection(int(argv[0]))
    code = 0
    try:
        for module in argv[1:]:
            importlib.import_module(module)
        conn.send(("ready",))
        while True:
            try:
                module, name, args = pickle.load(sys.stdin.buffer)
            except Exception:  # noqa: BLE001 (EOF: the run is over; anything else: so is this)
                break
            try:
                fn = importlib.import_module(module)
                for part in name.split("."):
                    fn = getattr(fn, part)
                conn.send(("ok", fn(*args)))
            except Exception as e:  # noqa: BLE001 (the parent runs it again, in process)
                conn.send(("error", f"{type(e).__name__}: {e}\n{traceback.format_exc()}"))
    except (BrokenPipeError, EOFError, KeyboardInterrupt):  # the parent is gone
        code = 1
    sys.stderr.flush()
    os._exit(code)
