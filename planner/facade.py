"""The functions behind ``import planner as pl``: keyword arguments with defaults, result objects back.

>>> import planner as pl
>>> c = pl.load("tests/data/n1quirk.data")
>>> pl.score(c)
<Score 3.31686197: group grp, 3 nodes, N+1 ok>
>>> r = pl.balance(c, method="greedy")
>>> r
<Plan greedy: score 3.3169 -> 2.5311, 2 moves, 20 GiB, 2 jobsets, 1 day(s)>
>>> r.to_frame()[["step", "instance", "move_text"]].values.tolist()
[[1, 'i2', 'r:nodeC f'], [2, 'i1', 'r:nodeC']]
>>> r.summary()["verified"], r.summary()["n1_after"]
(True, 0)
"""

from __future__ import annotations

import os
from pathlib import Path

from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.domain.schedule import Timing
from planner.engine.state import LoadOptions
from planner.report.story import JOBS_PER_DAY, WINDOW, Scheduled, cpsat_options, schedule_days, side_by_side
from planner.results import CompareResult, ParetoResult, PlanResult, ReportResult, ScheduleResult, ScoreResult

ClusterLike = Cluster | str | Path


def fast() -> bool:
    """True when ``PLANNER_FAST=1`` (CI and quick runs: short solver time limits)."""
    return os.environ.get("PLANNER_FAST") == "1"


def load(source: ClusterLike) -> Cluster:
    """Read a cluster: htools text, a RAPI JSON dump (file or directory) or an ``https://`` RAPI URL.

    >>> len(load("tests/data/n1quirk.data").nodes)
    3
    """
    if isinstance(source, Cluster):
        return source
    from planner.api import load as api_load

    return api_load(source)


def score(cluster: ClusterLike, group: str | None = None) -> ScoreResult:
    """hbal's initial score of a group, its metrics and node table.

    >>> s = score("tests/data/n1quirk.data")
    >>> round(s.score, 8), list(s.to_frame()["name"])
    (3.31686197, ['nodeA', 'nodeB', 'nodeC'])
    """
    from planner.engine.summary import group_report, load_selected

    c = load(cluster)
    gs = load_selected(c, group)
    return ScoreResult(group_report(gs), c, gs)


def _time_limit(cluster: Cluster, time_limit: float | None) -> float:
    if time_limit is not None:
        return time_limit
    if fast():
        return 5.0
    from planner.cli.progress import default_time_limit

    return default_time_limit(len(cluster.instances))


def balance(cluster: ClusterLike, method: str = "cpsat", max_gb: float | str | None = None,
            max_moves: int | None = None, target_score: float | str | None = None, time_limit: float | None = None,
            seed: int = 1, workers: int = 2, group: str | None = None, partial_evacuation: bool = False,
            jobs_per_day: int | None = JOBS_PER_DAY, window: str | None = WINDOW) -> PlanResult:
    """Plan a rebalancing, verified, scheduled and packed into days.

    ``method``: ``"cpsat"`` (the optimiser) or ``"greedy"`` (hbal's algorithm, move for move).
    CP-SAT budgets: ``max_gb`` (GiB copied), ``max_moves``, ``target_score`` (the fewest GiB reaching
    it); ``max_gb="greedy"`` / ``target_score="greedy"`` take greedy's GiB or final score.
    ``time_limit`` (seconds) defaults by cluster size, 5 s with ``PLANNER_FAST=1``.

    >>> r = balance("tests/data/n1quirk.data", target_score="greedy", time_limit=2)
    >>> r.plan.final_score <= 2.53114473, r.summary()["verified"]
    (True, True)
    """
    c = load(cluster)
    lo = LoadOptions(group=group)
    if method == "greedy":
        from planner.report.story import planned

        return PlanResult(planned(c, "greedy", None, lo, jobs_per_day=jobs_per_day, window=window))
    if method != "cpsat":
        raise PlannerError(None, None, f"method must be 'cpsat' or 'greedy', not '{method}'")
    if "greedy" in (max_gb, target_score):
        g = balance(c, "greedy", group=group, jobs_per_day=jobs_per_day, window=window).plan
        max_gb = g.gb_copied if max_gb == "greedy" else max_gb
        target_score = g.final_score if target_score == "greedy" else target_score
    from planner.report.story import planned

    opts = cpsat_options(_time_limit(c, time_limit), seed, workers, max_gb=max_gb, max_moves=max_moves,
                         target_score=target_score, evacuate=not partial_evacuation)
    return PlanResult(planned(c, "cpsat", opts, lo, jobs_per_day=jobs_per_day, window=window))


def sequence(cluster: ClusterLike, target: ClusterLike, group: str | None = None,
             jobs_per_day: int | None = JOBS_PER_DAY, window: str | None = WINDOW) -> PlanResult:
    """A safe ordered plan from ``cluster`` to ``target``'s placement (any htools file or Cluster).

    >>> r = sequence("tests/data/cycle.data", "tests/data/cycle-target.data")
    >>> r.summary()["verified"], r.plan.extra["stuck"]
    (True, {})
    """
    from planner.api import sequence_to

    c, lo = load(cluster), LoadOptions(group=group)
    plan, final = sequence_to(c, load(target), lo)
    return PlanResult(schedule_days(Scheduled(plan, c, final, lo), None, "parallel", jobs_per_day, window))


def schedule(result: PlanResult, jobsets: str = "parallel", jobs_per_day: int | None = JOBS_PER_DAY,
             window: str | None = WINDOW, bandwidth: float = 100.0, migration_seconds: float = 60.0,
             replace_overhead: float = 480.0, max_per_node: int = 1, time_limit: float = 2.0) -> ScheduleResult:
    """(Re)schedule a plan: ``jobsets="parallel"`` (safe parallel jobsets) or ``"hbal"`` (hbal's), with
    the given durations, then pack into days of ``jobs_per_day`` jobs inside ``window``.

    >>> r = balance("tests/data/n1quirk.data", method="greedy")
    >>> s = schedule(r, jobs_per_day=1)
    >>> s.summary()["days"], list(s.to_frame()["jobs"])
    (2, [1, 1])
    """
    t = Timing(bandwidth, replace_overhead, migration_seconds, max_per_node)
    return ScheduleResult(schedule_days(result.scheduled, t, jobsets, jobs_per_day, window, time_limit))


def _path_of(cluster: ClusterLike, c: Cluster) -> str | None:
    p = str(cluster) if not isinstance(cluster, Cluster) else c.origin
    return p if Path(p).is_file() and not p.endswith(".json") else None


def compare(cluster: ClusterLike, goal: str = "dominant", time_limit: float | None = None, with_hbal: bool = True,
            seed: int = 1, group: str | None = None, jobs_per_day: int | None = JOBS_PER_DAY,
            window: str | None = WINDOW) -> CompareResult:
    """Greedy (hbal's plan) and CP-SAT side by side, and real hbal when installed (``with_hbal``).

    ``goal="dominant"``: CP-SAT's default objective (no worse than greedy on score, GiB, moves,
    jobsets and hours); ``"gb"``: the fewest GiB reaching greedy's score; ``"score"``: the best
    score copying at most greedy's GiB.

    >>> r = compare("tests/data/n1quirk.data", time_limit=2, with_hbal=False)
    >>> list(r.to_frame()["method"]), r["cpsat"].plan.final_score <= r["greedy"].plan.final_score
    (['greedy', 'cpsat'], True)
    >>> list(r.to_frame()["verified"])
    [True, True]
    """
    c = load(cluster)
    plans = side_by_side(c, _time_limit(c, time_limit), goal, seed, LoadOptions(group=group),
                         _path_of(cluster, c) if with_hbal else None, jobs_per_day, window)
    return CompareResult({k: PlanResult(s) for k, s in plans.items()})


def pareto(cluster: ClusterLike, by: str = "moves", points: tuple[int, ...] = (0, 5, 10, 20, 40),
           time_limit: float | None = None, with_hbal: bool = True, group: str | None = None) -> ParetoResult:
    """Best score for at most k moves (``by="moves"``) or k GiB (``by="gb"``): greedy's and hbal's
    prefixes against one CP-SAT solve per budget (``time_limit`` seconds each, 3 s with ``PLANNER_FAST=1``).

    >>> r = pareto("tests/data/n1quirk.data", points=(0, 1, 2), time_limit=1, with_hbal=False)
    >>> list(r.to_frame()["moves"]), sorted(set(r.curves["method"]))
    ([0, 1, 2], ['cpsat', 'greedy'])
    """
    from planner.report.compare import pareto as run_pareto
    from planner.report.compare import run_hbal
    from planner.report.story import pareto_curves

    if by not in ("moves", "gb"):
        raise PlannerError(None, None, f"by must be 'moves' or 'gb', not '{by}'")
    c, lo = load(cluster), LoadOptions(group=group)
    tl = time_limit if time_limit is not None else (3.0 if fast() else 10.0)
    pts = run_pareto(c, lo, list(points), by, tl)
    g = balance(c, "greedy", group=group, jobs_per_day=None, window=None).plan
    path = _path_of(cluster, c) if with_hbal else None
    h = run_hbal(path, c, group) if path else None
    return ParetoResult(pts, pareto_curves(pts, g, h), by)


def report(cluster: ClusterLike, html: str | Path | None = None, goal: str = "gb", time_limit: float | None = None,
           with_hbal: bool = True, seed: int = 1, group: str | None = None, jobs_per_day: int | None = JOBS_PER_DAY,
           window: str | None = WINDOW) -> ReportResult:
    """The self-contained HTML report (what ``planner report FILE --html OUT`` writes); saved to
    ``html`` when given.

    >>> r = report("tests/data/n1quirk.data", time_limit=1, with_hbal=False)
    >>> r.summary()["score before"], "<img" in r.html, "https://" in r.html
    (3.31686197, True, False)
    """
    from planner.report.page import build

    c = load(cluster)
    source = str(cluster) if not isinstance(cluster, Cluster) else c.origin
    data, plans = build(c, source, _time_limit(c, time_limit), goal, seed, with_hbal, jobs_per_day, window,
                        LoadOptions(group=group))
    out = ReportResult(data, {k: PlanResult(s) for k, s in plans.items()})
    if html is not None:
        out.save(html)
    return out


def sweep(scenario: str | Path, vary: list[str] | tuple[str, ...], workers: int | None = None,
          dask: str | None = None, time_limit: float | None = None, methods: tuple[str, ...] | None = None,
          seed: int | None = None, deterministic: bool = True):
    """A scenario (YAML) answered at every point of a grid: ``vary=["changes.0.count=0,1,2"]``; on a
    process pool (``workers``) or Dask (``dask="local"`` / ``"tcp://HOST:PORT"``); the same frame on
    any of them (``deterministic=False``: wall-second time limits, load-dependent answers).

    >>> r = sweep("scenarios/policy-change.yaml", ["changes.0.vcpu_ratio=1,4"], workers=1)
    >>> r.to_frame()["cap_mimic_after"].tolist(), r.summary()["errors"]
    ([11, 12], 0)
    """
    from planner.api import sweep as run

    return run(scenario, vary, workers, dask, time_limit, methods, seed, deterministic=deterministic)
