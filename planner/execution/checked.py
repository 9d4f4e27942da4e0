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

    ``jobsets="parallel"`` replaces hbal's jobsets by the schedule's; ``"hbal"`` keeps them.
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
    if jobsets == "parallel" and chk.ok:
        plan.jobsets = plan.schedule.jobsets
    return plan
