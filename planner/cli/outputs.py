"""Output paths, checked before any work: never a directory, never an input file, always writable.

Every command that writes calls :func:`check_outputs` first, so bad output paths fail in one line
and exit 2 before a plan is computed, and no input is ever written over.  "The same file" means
the same device and inode (``os.path.samefile``), so hard links and symlinks of an input count.

>>> check_outputs(["/nonexistent-input"], [None, ""])
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from planner.domain.errors import PlannerError

PathLike = str | os.PathLike | None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _writable_dir(d: Path, label: str) -> None:
    if not d.exists():
        raise PlannerError(label, None, f"no such directory '{d}'")
    if not d.is_dir():
        raise PlannerError(label, None, f"'{d}' is not a directory")
    if not os.access(d, os.W_OK | os.X_OK):
        raise PlannerError(label, None, f"directory '{d}' is not writable")


def _nearest_existing(d: Path) -> Path:
    while not d.exists() and d != d.parent:
        d = d.parent
    return d


def check_output(path: PathLike, inputs: Iterable[PathLike] = (), parents: bool = False) -> None:
    """One output file: not a directory, parent exists and is writable, not the same file as an input
    (``parents``: a missing parent folder will be made, so its nearest existing ancestor must be writable)."""
    if not path:
        return
    p, label = Path(path), os.fspath(path)
    if p.is_dir():
        raise PlannerError(label, None, "is a directory, expected a file to write")
    for i in inputs:
        if i and _same_file(p, Path(i)):
            raise PlannerError(label, None, f"refusing to overwrite the input file '{os.fspath(i)}'")
    if p.exists() and not os.access(p, os.W_OK):
        raise PlannerError(label, None, "file is not writable")
    parent = p.parent if str(p.parent) else Path(".")
    _writable_dir(_nearest_existing(parent) if parents else parent, label)


def check_output_dir(path: PathLike, inputs: Iterable[PathLike] = ()) -> None:
    """An output directory (created if missing): not a file, not an input, its parent writable."""
    if not path:
        return
    p, label = Path(path), os.fspath(path)
    if p.exists() and not p.is_dir():
        raise PlannerError(label, None, "is not a directory")
    for i in inputs:
        if i and _same_file(p, Path(i)):
            raise PlannerError(label, None, "refusing to write into an input")
    if p.exists():
        _writable_dir(p, label)
        return
    _writable_dir(_nearest_existing(p.parent), label)


def check_outputs(inputs: Iterable[PathLike], outputs: Iterable[PathLike], dirs: Iterable[PathLike] = (),
                  parents: bool = False) -> None:
    """Check every output file and directory against ``inputs``; raises :class:`PlannerError`
    (``parents``: the command makes missing parent folders of the output files).

    Two outputs naming the same file are refused too (the second would replace the first).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "in.data").write_text("x")
    1
    >>> check_outputs([d / "in.data"], [d / "out.json"])
    >>> try:
    ...     check_outputs([d / "in.data"], [d / "in.data"])
    ... except PlannerError as e:
    ...     print(e.message)
    refusing to overwrite the input file '...in.data'
    """
    ins = [i for i in inputs if i]
    outs = [o for o in outputs if o]
    for o in outs:
        check_output(o, ins, parents)
    seen: list[Path] = []
    for o in outs:
        p = Path(o).absolute()
        if p in seen:
            raise PlannerError(os.fspath(o), None, "given for two outputs")
        seen.append(p)
    for d in dirs:
        check_output_dir(d, ins)
