"""Option values, checked in one place: click parameter types that refuse nan, inf and out-of-range values.

A bad value becomes one line ``planner: error: --opt: what is wrong`` and exit status 2 (see
:func:`one_line`), before any file is read.  :func:`refuse_unused` refuses options that do not
apply to the chosen ``--method`` instead of ignoring them.

>>> FiniteFloat(0, open_min=True).convert("2.5", None, None)
2.5
>>> Count(1).convert("3", None, None)
3
>>> Window().convert("22:00-06:00", None, None)
'22:00-06:00'
"""

from __future__ import annotations

import math

import click

from planner.domain.errors import PlannerError


def _bound(low: float | None, high: float | None, open_min: bool, open_max: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if open_min else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if open_max else '<='} {high:g}")
    return " and ".join(parts)


class FiniteFloat(click.ParamType):
    """A finite float in [min, max] (either end open, or absent).

    >>> t = FiniteFloat(0, 1)
    >>> t.convert("nan", None, None)
    Traceback (most recent call last):
    click.exceptions.BadParameter: must be a finite number, not 'nan'
    >>> t.convert("2", None, None)
    Traceback (most recent call last):
    click.exceptions.BadParameter: must be >= 0 and <= 1, not 2
    """

    name = "number"

    def __init__(self, min: float | None = None, max: float | None = None, open_min: bool = False,
                 open_max: bool = False) -> None:
        self.min, self.max, self.open_min, self.open_max = min, max, open_min, open_max

    def convert(self, value, param, ctx):
        try:
            v = float(value)
        except (TypeError, ValueError):
            self.fail(f"'{value}' is not a number", param, ctx)
        if not math.isfinite(v):
            self.fail(f"must be a finite number, not '{value}'", param, ctx)
        low_bad = self.min is not None and (v <= self.min if self.open_min else v < self.min)
        high_bad = self.max is not None and (v >= self.max if self.open_max else v > self.max)
        if low_bad or high_bad:
            self.fail(f"must be {_bound(self.min, self.max, self.open_min, self.open_max)}, not {v:g}", param, ctx)
        return v


class Count(click.ParamType):
    """An integer >= ``min`` (and <= ``max`` when given).

    >>> Count(0).convert("-1", None, None)
    Traceback (most recent call last):
    click.exceptions.BadParameter: must be an integer >= 0, not -1
    """

    name = "integer"

    def __init__(self, min: int = 0, max: int | None = None) -> None:
        self.min, self.max = min, max

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool):
            v = value
        else:
            try:
                v = int(str(value).strip())
            except ValueError:
                self.fail(f"'{value}' is not an integer", param, ctx)
        if v < self.min or (self.max is not None and v > self.max):
            self.fail(f"must be an integer {_bound(self.min, self.max, False, False)}, not {v}", param, ctx)
        return v


class CountList(click.ParamType):
    """A comma list of integers >= ``min``, e.g. ``0,5,10``.

    >>> CountList().convert("0,5,10", None, None)
    [0, 5, 10]
    >>> CountList().convert("a,b", None, None)
    Traceback (most recent call last):
    click.exceptions.BadParameter: expected a comma list of integers >= 0, got 'a,b'
    """

    name = "list"

    def __init__(self, min: int = 0) -> None:
        self.min = min

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        try:
            ks = [int(x) for x in str(value).split(",") if x.strip()]
        except ValueError:
            ks = None
        if not ks or any(k < self.min for k in ks):
            self.fail(f"expected a comma list of integers >= {self.min}, got '{value}'", param, ctx)
        return ks


class Window(click.ParamType):
    """A maintenance window ``HH:MM-HH:MM`` with valid, distinct times (kept as text)."""

    name = "HH:MM-HH:MM"

    def convert(self, value, param, ctx):
        from planner.execution.dayplan import parse_window

        try:
            parse_window(value)
        except PlannerError as e:
            self.fail(e.message, param, ctx)
        return value


#: the ranges of the options every command shares
SECONDS = FiniteFloat(0, 1e6, open_min=True)  #: a time limit: > 0, finite, at most 11 days
NON_NEGATIVE = FiniteFloat(0)
POSITIVE = FiniteFloat(0, open_min=True)
FRACTION = FiniteFloat(0, 1)
WORKERS = Count(1, 256)


def refuse_unused(ctx: click.Context, method: str, only: dict[str, tuple[str, ...]]) -> None:
    """Refuse options given on the command line that only apply to another method.

    ``only`` maps a method to the parameter names that apply to it alone."""
    for other, names in only.items():
        if other == method:
            continue
        for name in names:
            src = ctx.get_parameter_source(name)
            if src is not None and src != click.core.ParameterSource.DEFAULT:
                opt = next(p for p in ctx.command.params if p.name == name)
                raise click.BadParameter(f"applies to --method {other}, not {method}", ctx, opt)


def one_line(e: click.ClickException) -> str:
    """A click error as one line: ``--opt: message`` for a bad value, the message otherwise."""
    if isinstance(e, click.BadParameter) and e.param is not None:
        names = getattr(e.param, "opts", None) or [e.param.name or ""]
        name = max(names, key=len) if e.param.param_type_name == "option" else (e.param.human_readable_name)
        return f"{name}: {e.message}".replace("\n", " ")
    return e.format_message().replace("\n", " ")


DEFAULT_CLUSTER = "scenarios/new-node-small-5n-73i-mimic.data"
#: the cluster argument and ``-G`` of the commands that read one cluster file
cluster_arg = click.argument("cluster", metavar="FILE", default=DEFAULT_CLUSTER)
group_opt = click.option("--group", "-G", default=None, help="Node group name or UUID (hbal -G).")
