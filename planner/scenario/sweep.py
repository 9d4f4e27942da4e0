"""Sweeps: one scenario answered at every point of a grid of ``--vary`` values, as one DataFrame.

Each point is the scenario with its values set (:mod:`planner.scenario.vary`), answered as
``planner whatif`` answers it (:func:`planner.scenario.whatif.whatif`) and flattened into one row:
the values, score and N+1 before/after, capacity per flavor, and per rebalance method its score,
moves, GiB, jobsets, hours and days.  A point that fails (a change that cannot apply, an infeasible
plan) is a row with its ``error``; the sweep goes on.

Points run on a ``concurrent.futures`` process pool (``workers``) or on a Dask distributed cluster
(``dask="local"`` starts a ``LocalCluster`` on 127.0.0.1; ``dask="tcp://HOST:PORT"`` joins one).
Every point runs under :func:`planner.domain.clock.deterministic` (one CP-SAT worker, deterministic
time limits, a work clock for the phases), so the frame is the same whatever the backend, the
number of workers or the load; rows are sorted by point.  The starting cluster and the catalog are
loaded once and sent with each point, so a remote Dask worker needs only planner installed; when a
varied key is under ``cluster`` or ``models``, each point loads them itself, from absolute paths that
the workers must see too.

>>> from planner.scenario.vary import parse_vary
>>> run = sweep("scenarios/policy-change.yaml", [parse_vary("changes.0.vcpu_ratio=1,4")],
...             SweepOptions(workers=1))
>>> run.frame[["point", "changes.0.vcpu_ratio", "cap_mimic_after", "error"]].values.tolist()
[[0, 1, 11, ''], [1, 4, 12, '']]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.scenario.backends import run_dask, run_pool
from planner.scenario.build import start
from planner.scenario.catalog import Catalog, load_catalog, read_yaml
from planner.scenario.point import SweepOptions, Task
from planner.scenario.spec import Scenario
from planner.scenario.vary import Vary, check_varies, grid, point_data, validate

#: varied keys under these make every point load its own starting cluster and catalog
OWN_BASE = ("cluster", "models")


@dataclass
class SweepRun:
    """The rows (sorted by point) and how the sweep ran."""

    frame: pd.DataFrame
    keys: list[str]
    points: int  #: points in the grid (the frame has fewer when interrupted)
    backend: str
    workers: int
    wall_s: float
    interrupted: bool = False
    seconds: dict[int, float] = field(default_factory=dict)  #: wall seconds per point (not in the frame)


def frame_of(rows: list[dict], keys: list[str]) -> pd.DataFrame:
    """The rows sorted by point, columns in first-seen order (point, the keys, answers, error last)."""
    rows = sorted(rows, key=lambda r: r["point"])
    cols = ["point", *keys]
    for r in rows:
        cols += [c for c in r if c not in cols and c != "error"]
    df = pd.DataFrame(rows, columns=[*cols, "error"])
    df["error"] = df["error"].fillna("").astype(str)
    for c in cols:  # integers and flags stay so where failed points leave holes
        kinds = {type(r[c]) for r in rows if c in r}
        if kinds == {int}:
            df[c] = df[c].astype("Int64")
        elif kinds == {bool}:
            df[c] = df[c].astype("boolean")
    return df


def _base(s: Scenario, varies: list[Vary]) -> tuple[Cluster, Catalog] | None:
    """The starting cluster and catalog, loaded once, unless a varied key changes them."""
    if any(v.key.split(".")[0] in OWN_BASE for v in varies):
        return None
    catalog = load_catalog(*(s.resolve(m) for m in s.models))
    return start(s, catalog), catalog


def check(scenario: str | Path, varies: list[Vary]) -> tuple[dict, Scenario]:
    """The scenario's YAML data and schema, each ``--vary`` checked against it (PlannerError
    ``--vary KEY: ...`` for a bad key or value); nothing is loaded or run."""
    source = str(scenario)
    data = read_yaml(Path(source))
    if not isinstance(data, dict):
        raise PlannerError(source, None, "(top): a scenario is a mapping (cluster, changes, questions, schedule)")
    s = validate(data, source)
    if not varies:
        raise PlannerError("--vary", None, "give at least one --vary KEY=V1,V2,...")
    check_varies(data, source, varies)
    return data, s


def tasks(scenario: str | Path, varies: list[Vary], opts: SweepOptions) -> tuple[list[Task], list[str]]:
    """The sweep's points (see :func:`check`) and their keys."""
    source = str(scenario)
    data, s = check(scenario, varies)
    base = _base(s, varies)
    if base is None:  # each worker loads the files itself: absolute paths, whatever its directory
        source = str(Path(source).resolve())
    pts = grid(varies)
    return [Task(k, v, point_data(data, v), source, base, opts) for k, v in enumerate(pts)], [v.key for v in varies]


def sweep(scenario: str | Path, varies: list[Vary], opts: SweepOptions | None = None,
          on_row: Callable[[dict], None] | None = None) -> SweepRun:
    """Answer every point of the grid (see the module docstring); ``on_row`` is called as each
    point ends (a progress bar).  Ctrl-C stops the sweep with the rows done so far."""
    opts = opts or SweepOptions()
    todo, keys = tasks(scenario, varies, opts)
    t0 = time.perf_counter()
    if opts.dask:
        done, interrupted, backend = run_dask(todo, opts, on_row)
    else:
        done, interrupted = run_pool(todo, opts, on_row)
        backend = "pool"
    rows = [r for r, _ in done.values()]
    return SweepRun(frame_of(rows, keys), keys, len(todo), backend, opts.workers, time.perf_counter() - t0,
                    interrupted, {k: s for k, (_, s) in sorted(done.items())})
