"""The planners' clock: wall seconds, or, inside :func:`deterministic`, seconds of counted work.

Every time limit in the planners reads :func:`perf_counter` (modules import this one as ``time``),
and every CP-SAT solve is set up by :func:`limit` and run by :func:`solve`.  Outside
:func:`deterministic` these are ``time.perf_counter()``, ``max_time_in_seconds`` and
``solver.solve``.  Inside it the clock counts work instead of wall time, so a plan does not depend
on the machine's load (a sweep gives the same frame on 1 worker, 2 workers or a Dask cluster):

- each CP-SAT solve runs on one worker with ``max_deterministic_time`` (CP-SAT's own work units,
  about a second each) instead of a wall limit (a wall limit ``WALL_SAFETY`` times longer is only
  a guard), and its deterministic time is added to the clock;
- each read of the clock adds ``TICK`` seconds, so a loop that reads it ends.

>>> with deterministic():
...     a = perf_counter(); b = perf_counter()
>>> round(b - a, 6) == TICK, in_deterministic()
(True, False)
"""

from __future__ import annotations

import time as _wall
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

TICK = 1e-3  #: work seconds one read of the clock costs in deterministic mode
WALL_SAFETY = 20.0  #: deterministic mode: a solve's wall limit, as a multiple of its deterministic one
WALL_SAFETY_S = 30.0  #: ... plus this many seconds


class _Work:
    def __init__(self) -> None:
        self.t = 0.0


_WORK: ContextVar[_Work | None] = ContextVar("planner_work_clock", default=None)


def in_deterministic() -> bool:
    return _WORK.get() is not None


@contextmanager
def deterministic() -> Iterator[None]:
    """Count work instead of wall seconds while the block runs (this thread/context only)."""
    token = _WORK.set(_Work())
    try:
        yield
    finally:
        _WORK.reset(token)


def perf_counter() -> float:
    """Wall seconds (``time.perf_counter``), or work seconds inside :func:`deterministic`."""
    w = _WORK.get()
    if w is None:
        return _wall.perf_counter()
    w.t += TICK
    return w.t


def limit(params, seconds: float, workers: int) -> None:
    """Set a CP-SAT solver's ``params``: ``workers`` and ``seconds`` of wall time, or in
    deterministic mode one worker and ``seconds`` of deterministic time."""
    if _WORK.get() is None:
        params.num_workers = workers
        params.max_time_in_seconds = seconds
        return
    params.num_workers = 1
    params.max_deterministic_time = seconds
    params.max_time_in_seconds = seconds * WALL_SAFETY + WALL_SAFETY_S


def solve(solver, model, callback=None):
    """``solver.solve(model, callback)``; in deterministic mode its deterministic time is charged."""
    status = solver.solve(model, callback) if callback is not None else solver.solve(model)
    w = _WORK.get()
    if w is not None:
        w.t += solver.response_proto.deterministic_time
    return status
