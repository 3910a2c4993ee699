"""Plans two processes racing on one model hand each other while both still search.

Why: in min-cost ``auto``'s race (:mod:`planner.optimize.race`) this process and the second
core solve the same arc model. A cheaper plan found on one side prunes the other's search and
starts its later stages from a better point, but the result pipe only carries the final
answer. Each side posts its newest plan here; the other takes it when it next asks.

Files, not a pipe: a post never blocks (a pipe fills at 64 KB, a plan is ~160 KB, and the
reader may be busy for minutes), a reader only ever sees a whole plan (written aside, then
``os.replace``d), and nothing is left to drain. The folder is private to one run and
removed with it (:meth:`Mailbox.remove`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

#: A reader looks for a new post at most this often (a HiGHS callback can fire thousands of
#: times per second; a ``stat`` each time would be wasted).
LOOK_EVERY_S = 0.25


def columns_digest(names: list[str]) -> str:
    """Which model a plan belongs to: the column names in column order."""
    return hashlib.sha1("\n".join(names).encode()).hexdigest()[:16]


def new_folder() -> str:
    """A private folder for one run's two mailboxes."""
    return tempfile.mkdtemp(prefix="dci-planner-race-")


@dataclass
class Mailbox:
    """Post to ``mine``, take from ``theirs`` (two file names in ``folder``)."""

    folder: str
    mine: str
    theirs: str
    #: per model digest: the post last read for it (a post of another model is not "seen"
    #: for this one, so a reader asking for two models misses neither's plans)
    _seen: dict = field(default_factory=dict, repr=False)
    _looked: float = field(default=-1e9, repr=False)

    def post(self, digest: str, objective: float, x: np.ndarray) -> None:
        """This side's newest plan (``objective`` in solver units, ``x`` in column order)."""
        path = os.path.join(self.folder, self.mine)
        tmp = f"{path}.{os.getpid()}.tmp"
        with contextlib.suppress(OSError):  # the run ended and removed the folder
            with open(tmp, "wb") as f:
                np.savez(f, digest=np.array(digest), objective=float(objective), x=x)
            os.replace(tmp, path)

    def take(self, digest: str, below: float = np.inf) -> tuple[float, np.ndarray] | None:
        """The other side's plan if it posted one since the last take, of the model
        ``digest``, cheaper than ``below`` (solver units); else None. Rate-limited."""
        now = time.monotonic()
        if now - self._looked < LOOK_EVERY_S:
            return None
        self._looked = now
        path = os.path.join(self.folder, self.theirs)
        try:
            st = os.stat(path)
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if self._seen.get(digest) == stamp:
            return None
        self._seen[digest] = stamp  # read once per model, whatever it holds
        try:
            with np.load(path) as z:
                if str(z["digest"]) != digest or float(z["objective"]) >= below:
                    return None
                return float(z["objective"]), np.array(z["x"], dtype=float)
        except (OSError, ValueError, KeyError):
            return None

    def remove(self) -> None:
        """The folder and both posts (the run is over)."""
        shutil.rmtree(self.folder, ignore_errors=True)
