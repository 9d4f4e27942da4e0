"""Every plan a user sees: planned, then replayed by the independent verifier (and scheduled, checked).

>>> from planner.io.htools_text import read_text
>>> plan, final = balance(read_text("tests/data/n1quirk.data"))
>>> [(s.instance, s.move_text()) for s in plan.steps], round(plan.final_score, 8)
([('i2', 'r:nodeC f'), ('i1', 'r:nodeC')], 2.53114472)
"""

from __future__ import annotations

from planner.checks.verify import PlanRejected, check_verified  # noqa: F401 (PlanRejected re-exported)
from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.engine.load import load_group
from planner.engine.state import LoadOptions


def check_plannable(cluster: Cluster) -> None:
    """Refuse input a plan cannot name unambiguously (duplicate instance names)."""
    seen: set[str] = set()
    for i in cluster.instances:
        if i.name in seen:
            raise PlannerError(cluster.origin, None, f"duplicate instance name '{i.name}': "
                               "gnt-instance commands would be ambiguous")
        seen.add(i.name)


def balance(cluster: Cluster, method: str = "greedy", opts=None, load_opts: LoadOptions | None = None,
            on_step=None):
    """Plan a rebalancing of one group; returns ``(plan, final_cluster)``.

    ``method`` is "greedy" (hbal's algorithm; ``opts``: GreedyOptions) or "cpsat"
    (``opts``: CpsatOptions).
    """
    check_plannable(cluster)
    load_opts = load_opts or LoadOptions()
    if method == "greedy":
        from planner.planners.greedy import GreedyOptions
        from planner.planners.greedy import balance as greedy_balance

        opts = opts or GreedyOptions()
        plan = greedy_balance(load_group(cluster, load_opts), opts, on_step=on_step)
        ignore = opts.moves.ignore_soft_errors
    elif method == "cpsat":
        from planner.planners.cpsat import CpsatOptions
        from planner.planners.cpsat import plan as cpsat_plan

        plan = cpsat_plan(cluster, load_opts, opts or CpsatOptions())
        ignore = False  # CP-SAT plans keep every soft rule
    else:
        raise PlannerError(cluster.origin, None, f"unknown planning method '{method}'")
    check_verified(cluster, plan, load_opts, ignore)
    return plan, apply_placement_of(cluster, plan)


def sequence_to(cluster: Cluster, target: Cluster, load_opts: LoadOptions | None = None):
    """A safe ordered Plan from ``cluster`` to the placement of ``target`` (same instances, by name).

    Instances whose change has no safe order are left where they are and named in
    ``plan.extra["stuck"]``; the plan is verified like every other.
    """
    import time

    from planner.domain.plan import Plan
    from planner.engine.fastscore import Scorer
    from planner.execution.sequence import sequence

    check_plannable(cluster)
    load_opts = load_opts or LoadOptions()
    t0 = time.perf_counter()
    gs = load_group(cluster, load_opts)
    node_idx = {n.name: k for k, n in enumerate(cluster.nodes)}
    inst_idx = {i.name: k for k, i in enumerate(cluster.instances)}
    goal: dict[int, tuple[int, int]] = {}
    in_group = set(gs.group_instances)
    for i in target.instances:
        k = inst_idx.get(i.name)
        if k is None:
            raise PlannerError(target.origin, None, f"instance '{i.name}' is not in {cluster.origin}")
        names = [target.nodes[x].name if x >= 0 else None for x in (i.pnode, i.snode)]
        for nm in names:
            if nm is not None and nm not in node_idx:
                raise PlannerError(target.origin, None, f"instance '{i.name}': node '{nm}' is not in {cluster.origin}")
        p, s = (node_idx[nm] if nm is not None else -1 for nm in names)
        if k in in_group and (p, s) != (cluster.instances[k].pnode, cluster.instances[k].snode):
            goal[k] = (p, s)
    initial = Scorer(gs.nodes).score_with({})
    seq = sequence(gs, goal)
    plan = Plan("sequence", initial, seq.final_score, seq.steps, wall_s=time.perf_counter() - t0,
                group=gs.group_name, extra={"stuck": seq.stuck, "hops": seq.hops, "hop_gb": seq.hop_gb})
    check_verified(cluster, plan, load_opts)
    return plan, apply_placement_of(cluster, plan)


def apply_placement_of(cluster: Cluster, plan):
    """The cluster after ``plan``."""
    from planner.domain.placement import apply_placement, placement_after

    return apply_placement(cluster, placement_after(cluster, plan.steps))


from planner.execution.checked import schedule_plan  # noqa: E402, F401  (the checked schedule, re-exported)
