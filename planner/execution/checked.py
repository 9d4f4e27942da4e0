"""A plan's schedule, checked by the independent schedule check (``checks.verify_schedule``).

Lives in ``execution`` (not ``planners``) so that a planner may schedule its candidates.
"""

from __future__ import annotations

from planner.domain.model import Cluster
from planner.engine.load import load_group
from planner.engine.state import LoadOptions


def schedule_plan(cluster: Cluster, plan, timing=None, jobsets: str = "parallel", time_limit: float = 2.0,
                  seed: int = 1, workers: int = 2, load_opts: LoadOptions | None = None,
                  ignore_soft_errors: bool | None = None):
    """Give ``plan`` a safe parallel schedule (checked by :func:`planner.checks.verify_schedule.verify_schedule`).

    ``jobsets="parallel"`` replaces the plan's jobsets by the schedule's unless those are no worse
    (:func:`no_worse`: hbal's rule, or an earlier schedule's); ``"hbal"`` keeps them.
    A schedule the check rejects (a plan whose order is unsafe between a move's commands, as
    hbal's can be) falls back to one job at a time, with a warning in ``plan.extra``.  Soft rules
    are skipped when ``ignore_soft_errors`` (default: as the plan was made, ``plan.ignore_soft_errors``).
    """
    from planner.checks.verify_schedule import verify_schedule
    from planner.execution.schedule import schedule, sequential

    ignore = plan.ignore_soft_errors if ignore_soft_errors is None else ignore_soft_errors
    gs = load_group(cluster, load_opts or LoadOptions())
    offline = frozenset(n.name for n in gs.nodes if n.offline)
    plan.schedule = schedule(plan.steps, timing, time_limit, seed, workers, offline)
    chk = verify_schedule(cluster, plan, load_opts, ignore)
    if not chk.ok:
        plan.extra["schedule_warning"] = chk.message
        plan.schedule = sequential(plan.steps, timing)
        chk = verify_schedule(cluster, plan, load_opts, ignore)
    plan.extra["schedule_verified"] = chk.ok
    plan.extra["schedule_check"] = chk.message
    if jobsets == "parallel" and chk.ok and not no_worse(plan.jobsets, plan.schedule.jobsets, plan.steps, timing):
        plan.jobsets = plan.schedule.jobsets
    return plan


def _disjoint(jobsets: list[list[int]], steps) -> bool:
    """Every jobset's jobs on disjoint nodes, in plan order (hbal's rule: safe to run them at once)."""
    from planner.domain.step import jobs_in

    for js in jobsets:
        if js != sorted(js):
            return False
        seen: set[str] = set()
        for job in jobs_in(js, steps):
            nodes = {n for k in job for n in steps[k].nodes()}
            if nodes & seen:
                return False
            seen |= nodes
    return True


def no_worse(old: list[list[int]], new: list[list[int]], steps, timing=None) -> bool:
    """``old`` jobsets are kept over ``new`` when there are no more of them and, run one after another,
    they take no longer (hbal's rule often packs a plan's moves as well as a short parallel schedule).

    >>> from planner.domain.plan import Step
    >>> steps = [Step("i1", "r", "a", "b", "a", "c", 10.0, 1.0), Step("i2", "r", "d", "e", "d", "f", 10.0, 1.0)]
    >>> no_worse([[0, 1]], [[0], [1]], steps), no_worse([[0], [1]], [[0, 1]], steps), no_worse([], [[0, 1]], steps)
    (True, False, False)
    """
    from planner.domain.schedule import jobsets_seconds

    if not old or sorted(k for js in old for k in js) != list(range(len(steps))) or not _disjoint(old, steps):
        return False
    return len(old) <= len(new) and jobsets_seconds(steps, old, timing) <= jobsets_seconds(steps, new, timing)
