"""One module per further ``planner`` sub-command; each defines ``command``, a :class:`click.Command`.

:func:`planner.cli.main.cli` registers every module found here, so a new command is one new file.
"""

from __future__ import annotations

import importlib
import pkgutil

import click


def discovered() -> list[click.Command]:
    """The ``command`` of every module of this package, in name order."""
    out = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        cmd = getattr(mod, "command", None)
        if isinstance(cmd, click.Command):
            out.append(cmd)
    return out
