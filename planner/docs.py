"""Regenerate the column reference inside a Markdown file from ``planner.schema``.

Why: the validator and the docs read the same specs, so ``make docs`` keeps them equal and a
test fails when ``inputs/README.md`` is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from planner.schema import markdown

BEGIN, END = "<!-- schema:begin -->", "<!-- schema:end -->"


def render(text: str) -> str:
    if BEGIN not in text or END not in text:
        raise ValueError(f"markers {BEGIN} / {END} not found")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{markdown()}\n{END}{tail}"


def main(path: str) -> None:
    from planner.io.atomic import write_text

    p = Path(path)
    write_text(render(p.read_text(encoding="utf-8")), p)


if __name__ == "__main__":
    main(sys.argv[1])
