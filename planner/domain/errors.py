"""The one error type planner raises for bad input; the CLI prints it as one line and exits 2."""

from __future__ import annotations


def printable(text: str) -> str:
    """``text`` on one line: control characters (CR, LF, NUL, ...) and undecodable bytes escaped.

    >>> printable("a\\rb\\x00c é")
    'a\\\\rb\\\\x00c é'
    """
    return "".join(c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
                   for c in text)


class PlannerError(Exception):
    """Bad input or an impossible request, located as precisely as we can.

    >>> str(PlannerError("c.data", 7, "instance line: unknown node 'x'"))
    "c.data:7: instance line: unknown node 'x'"
    >>> str(PlannerError("c.data", None, "empty file"))
    'c.data: empty file'
    """

    def __init__(self, source: str | None, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return printable(f"{where}: {self.message}")


class PlannerWarning(UserWarning):
    """Input that loads but is suspicious (e.g. a blank line that turns instances into tags); the CLI
    prints it as one line ``planner: warning: ...``."""
