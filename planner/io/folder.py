"""Output folders written whole: a reader sees the complete old folder or the complete new one.

Why: a run writes a dozen files over a minute. Written in place, an interrupted re-run left a
folder whose ``scenario.yaml`` was the new run's and whose tables were the old run's (and
``planner verify`` passed it), and files of an older run (``failures.csv``) survived next to a
new plan. So every command that writes a folder builds it in a hidden sibling
(``.NAME.tmp-PID``) and swaps it in at the end: one ``renameat2(RENAME_EXCHANGE)`` on Linux,
two renames elsewhere (a crash between them leaves ``.NAME.old-PID``, restored on the next
write). The sweep does the same for each of its runs (``planner.sweep.folder``).

``keep=True`` (``planner report`` / ``failures`` writing into a plan folder) starts the sibling
with hard links to the folder's files: they are replaced, never modified, so the old folder
stays intact until the swap.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from planner.errors import InputError, Problem

#: files that mark a folder as written by ``planner run`` / ``optimize`` (safe to replace)
RUN_MARKERS = ("scenario.yaml", "inputs_summary.json", "summary.json")
#: ... and by ``planner import``
IMPORT_MARKERS = ("import_report.json",)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100

#: name of the folder a command writes beside its --out folder before swapping it in
STAGED = ".{name}.tmp-{pid}"
_STAGED_RE = re.compile(r"^\.(?P<name>.+)\.tmp-\d+$")


def final_name(path: str | os.PathLike) -> str:
    """The name a folder will have once swapped in: ``.base.tmp-30516`` -> ``base``.

    Why: the report is rendered inside the staged folder, and its title page named the plan
    ``.base.tmp-30516``, a folder that no longer exists when anyone reads the PDF.
    """
    name = Path(path).name
    m = _STAGED_RE.match(name)
    return m.group("name") if m else name


def check_out_path(path: Path, what: str = "--out", *, folder: bool = True) -> None:
    """Fail early, in one line, on an output path that cannot be written (before any work)."""
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise InputError(Problem(str(path), f"{what}: is a file (expected a folder to write)"))
    if not folder and path.is_dir():
        raise InputError(Problem(str(path), f"{what}: is a folder (expected a file to write)"))
    anc = path if folder and path.is_dir() else path.parent
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise InputError(
            Problem(str(path), f"{what}: {anc} is a file (expected folders above the output)")
        )
    # the folder is swapped in beside itself, so its parent must be writable as well
    need = [anc] if anc != path else [anc, path.parent]
    for d in need:
        if not os.access(d, os.W_OK | os.X_OK):
            raise InputError(Problem(str(path), f"{what}: {d} is not writable (permission denied)"))


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the call is unavailable."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tidy(final: Path) -> None:
    """Remove siblings left by killed writers; restore a folder lost between two renames."""
    for p in final.parent.glob(f".{final.name}.*-*"):
        kind, _, pid = p.name.rpartition("-")
        if not pid.isdigit() or (_alive(int(pid)) and int(pid) != os.getpid()):
            continue
        if kind.endswith(".old") and not final.exists():
            os.replace(p, final)
        else:
            shutil.rmtree(p, ignore_errors=True)


def link_or_copy(src: Path, dst: Path) -> None:
    """Hard link (no extra space, identical bytes); copy where links are not possible."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _link_tree(src: Path, dst: Path) -> None:
    for f in src.rglob("*"):
        if f.is_dir():
            (dst / f.relative_to(src)).mkdir(parents=True, exist_ok=True)
        else:
            link_or_copy(f, dst / f.relative_to(src))


def swap_in(tmp: Path, final: Path) -> None:
    """Put ``tmp`` at ``final``; the old ``final`` (if any) is deleted after the swap."""
    if not final.exists():
        os.replace(tmp, final)
        return
    if _exchange(tmp, final):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old folder
        return
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(
    final: str | os.PathLike, *, keep: bool = False, markers: tuple[str, ...] = ()
) -> Iterator[Path]:
    """Yield a hidden sibling of ``final`` to write into; swap it in whole if the block ends
    normally, delete it otherwise (``final`` then is exactly as it was).

    ``markers``: files one of which an existing non-empty ``final`` must hold to be replaced
    (``--out ~/Documents`` must not wipe the documents)."""
    final = Path(final)
    check_out_path(final)
    foreign = final.is_dir() and not any((final / m).exists() for m in markers)
    if markers and not keep and foreign and any(final.iterdir()):
        raise InputError(
            Problem(
                str(final),
                f"--out: folder exists and holds none of {', '.join(markers)} (expected "
                "an empty folder or one this command wrote; refusing to replace it)",
            )
        )
    created = []
    for p in reversed([final.parent, *final.parent.parents]):
        if not p.exists():
            created.append(p)
    final.parent.mkdir(parents=True, exist_ok=True)
    _tidy(final)
    tmp = final.parent / STAGED.format(name=final.name, pid=os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        if keep and final.is_dir():
            _link_tree(final, tmp)
        yield tmp
        swap_in(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for p in reversed(created):  # leave no empty folders behind a failed first write
            with contextlib.suppress(OSError):
                p.rmdir()
        raise
