"""The ``planner`` click group: every error as one line ``planner: error: ...`` and exit status 2.

The conversion lives in the group's ``main``, so the console script, ``planner.cli.main.main`` and
click's ``CliRunner`` all see the same one line and exit code, never a traceback for bad input.
"""

from __future__ import annotations

import sys
import warnings

import click

from planner.cli.params import one_line
from planner.domain.errors import PlannerError, PlannerWarning, printable


def _fail(text: str, code: int) -> None:
    print(text, file=sys.stderr)
    sys.exit(code)


def _show(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line on stderr: ``planner: warning: ...``."""
    text = str(message) if issubclass(category, PlannerWarning) else f"{category.__name__}: {message}"
    print(f"planner: warning: {printable(text)}", file=sys.stderr)


class PlannerGroup(click.Group):
    """A :class:`click.Group` whose ``main`` turns bad input into one line and exit 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        with warnings.catch_warnings():
            warnings.simplefilter("always", PlannerWarning)
            warnings.showwarning = _show
            return self._main(args, prog_name, complete_var, standalone_mode, **extra)

    def _main(self, args, prog_name, complete_var, standalone_mode, **extra):
        try:
            rv = super().main(args=args, prog_name=prog_name or "planner", complete_var=complete_var,
                              standalone_mode=False, **extra)
        except PlannerError as e:
            _fail(f"planner: error: {e}", 2)
        except click.exceptions.Abort:
            _fail("planner: aborted", 130)
        except click.ClickException as e:  # usage errors (BadParameter included): one line, not three
            _fail(f"planner: error: {printable(one_line(e))}", e.exit_code if e.exit_code else 2)
        except RecursionError:
            _fail("planner: error: input nested too deeply", 2)
        except KeyboardInterrupt:
            _fail("planner: interrupted", 130)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)
