"""One error type for every user-facing input problem.

Why: the CLI must print one clear line per problem (``path:row: column: message``) and exit 2,
never a traceback. Every stage raises :class:`InputError` with a list of :class:`Problem`;
the CLI is the only place that formats and exits.
"""

from __future__ import annotations

import warnings
from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """A single problem in one file. ``row`` is the 1-based line in the file (header = 1)."""

    path: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        loc = self.path if self.row is None else f"{self.path}:{self.row}"
        return f"{loc}: {self.column}: {self.message}" if self.column else f"{loc}: {self.message}"


class InputError(Exception):
    """Bad input: carries every problem found so the user can fix them all in one go."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(path="<input>", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SolverError(RuntimeError):
    """The solver failed to return any plan (not infeasible: the model always has slack)."""


class InputWarning(UserWarning):
    """A value a planner could mean but probably did not (printed as ``warning: ...``)."""


#: ``planner --allow-implausible``: plausibility bounds warn instead of failing validation.
_ALLOW_IMPLAUSIBLE: ContextVar[bool] = ContextVar("allow_implausible", default=False)


def allow_implausible() -> bool:
    return _ALLOW_IMPLAUSIBLE.get()


def set_allow_implausible(on: bool) -> Token[bool]:
    """Set for the current context; pass the token to :func:`reset_allow_implausible`."""
    return _ALLOW_IMPLAUSIBLE.set(on)


def reset_allow_implausible(token: Token[bool]) -> None:
    _ALLOW_IMPLAUSIBLE.reset(token)


def implausible(problem: Problem) -> Problem | None:
    """An error unless plausibility checks are overridden, then a warning (returns None)."""
    if not allow_implausible():
        return Problem(
            problem.path,
            f"{problem.message}; if you mean it, run `planner --allow-implausible ...`",
            problem.row,
            problem.column,
        )
    warnings.warn(str(problem), InputWarning, stacklevel=2)
    return None
