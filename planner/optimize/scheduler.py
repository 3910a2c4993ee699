"""One HiGHS thread count per process at a time."""

from __future__ import annotations

import highspy

_SCHEDULER_THREADS: list[int] = []


def use_threads(threads: int) -> None:
    """Reset HiGHS's process-wide scheduler when the thread count changes between solves.

    Why: the first HiGHS ``run()`` in a process fixes its global scheduler to that instance's
    thread count; a later instance asking for another count returns "Not Set" (no plan). Solves
    with the same count (e.g. every run of a sweep worker) never reset, so concurrent solves in
    one process are not disturbed.
    """
    if _SCHEDULER_THREADS and _SCHEDULER_THREADS[0] != int(threads):
        highspy.Highs.resetGlobalScheduler(True)
    _SCHEDULER_THREADS[:] = [int(threads)]
