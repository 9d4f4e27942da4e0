"""The functions a notebook or the CLI calls: load, score, frames.

>>> c = load("tests/data/n1quirk.data")
>>> r = score_cluster(c)
>>> round(r.score, 8), r.n1_fail_nodes
(3.31686197, ())
"""

from __future__ import annotations

from pathlib import Path

from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.engine.score import ScoreReport
from planner.engine.state import GroupState, LoadOptions
from planner.engine.summary import group_report, load_selected, score_group


def load(source: str | Path) -> Cluster:
    """Read a cluster: htools text, a RAPI JSON dump (file or directory), an http(s) URL, or a YAML
    scenario (the cluster after its changes)."""
    s = str(source)
    if s.startswith(("http://", "https://", "file://")):
        from planner.io.rapi import read_rapi

        return read_rapi(s)
    p = Path(s)
    if p.suffix in (".yaml", ".yml"):
        from planner.scenario.build import build
        from planner.scenario.spec import load_scenario

        return build(load_scenario(p)).after
    if p.is_dir() or p.suffix == ".json":
        from planner.io.rapi import read_rapi

        return read_rapi(p)
    from planner.io.htools_text import read_text

    return read_text(p)


def group_state(cluster: Cluster, group: str | None = None, opts: LoadOptions | None = None) -> GroupState:
    """Load a group as hbal does (``-G``); a clear error when the choice is ambiguous."""
    return load_selected(cluster, group, opts)


def report(gs: GroupState) -> ScoreReport:
    """Score a loaded group and report N+1 as hbal's initial check does."""
    return group_report(gs)


def score_cluster(cluster: Cluster, group: str | None = None, opts: LoadOptions | None = None) -> ScoreReport:
    """hbal's initial score of one group of ``cluster``."""
    return score_group(cluster, group, opts)


def sweep(scenario: str | Path, vary: list[str] | tuple[str, ...], workers: int | None = None, dask: str | None = None,
          time_limit: float | None = None, methods: tuple[str, ...] | None = None, seed: int | None = None,
          on_row=None, deterministic: bool = True):
    """A scenario answered at every point of the ``vary`` grid (``["KEY=V1,V2", ...]``) on a process
    pool of ``workers`` (default min(2, cpus)) or on Dask (``dask="local"`` or ``"tcp://HOST:PORT"``):
    a :class:`planner.report.sweep.SweepResult` (``.to_frame()``, ``.plot()``).  ``deterministic``
    (default): time limits in CP-SAT work seconds, the same frame on any backend and load."""
    import os

    from planner.report.sweep import SweepResult
    from planner.scenario.point import SweepOptions
    from planner.scenario.sweep import sweep as run
    from planner.scenario.vary import parse_vary

    n = workers if workers is not None else min(2, os.cpu_count() or 1)
    opts = SweepOptions(workers=n, dask=dask, time_limit=time_limit, methods=methods, seed=seed,
                        deterministic=deterministic)
    return SweepResult(run(scenario, [parse_vary(v) for v in vary], opts, on_row))


def sweep_points(scenario: str | Path, vary: list[str] | tuple[str, ...]) -> int:
    """How many points the ``vary`` grid has, every key and value checked (PlannerError if bad)."""
    from planner.scenario.sweep import check
    from planner.scenario.vary import grid, parse_vary

    varies = [parse_vary(v) for v in vary]
    check(scenario, varies)
    return len(grid(varies))


from planner.planners.verified import (  # noqa: E402  (the verified pipeline)
    PlanRejected,
    apply_placement_of,
    balance,
    check_plannable,
    check_verified,
    schedule_plan,
    sequence_to,
)

__all__ = ["PlannerError", "PlanRejected", "load", "group_state", "report", "score_cluster", "balance",
           "check_plannable", "check_verified", "schedule_plan", "sequence_to", "apply_placement_of", "sweep",
           "sweep_points"]
