"""Big groups without a budget: a plan in seconds, then better ones until the time limit.

On 1000+ instances the whole-group CP-SAT model is too big to help within minutes, and hbal's
greedy (the best of every move, every step) takes about a second a step on 6000 instances.  So:

1. a **candidate-pool greedy** (hbal's moves and checks, but between full evaluations only the
   most promising instances are re-scored): a first plan within a few seconds, then on until it
   stalls;
2. **secondary swaps** (:mod:`planner.planners.swaps`) and the greedy again, while they gain;
3. **CP-SAT LNS** (:func:`planner.planners.cpsat.lns.lns`) from the state reached, a few nodes at a
   time with the score re-linearised each time, its result sequenced safely and appended.

Every step is an hbal move from the state it is applied to, so the plan so far is a plan at any
moment: Ctrl-C keeps it.
"""

from __future__ import annotations

import time

from planner.model import Cluster
from planner.plan import Plan, Step
from planner.planners.cpsat.data import gb_lower_bound
from planner.planners.cpsat.solve import CpsatOptions
from planner.planners.fastscore import Scorer
from planner.state import GroupState, LoadOptions, load_group

FIRST_PLAN_S = 6.0  #: seconds of greedy before the first plan is recorded
LNS_MIN_S = 5.0  #: LNS runs when at least this much time is left


def pool_size(gs: GroupState) -> int:
    """Instances the pool greedy re-scores between full evaluations (two per online node)."""
    return max(100, 2 * sum(not n.offline for n in gs.nodes))


class _Run:
    """The plan so far: steps applied to ``gs`` in place, and the score they reach."""

    def __init__(self, gs: GroupState, t0: float) -> None:
        self.gs, self.t0 = gs, t0
        self.steps: list[Step] = []
        self.score = Scorer(gs.nodes).score_with({})
        self.log: list[dict] = []

    def add(self, _k: int, step: Step) -> None:
        self.steps.append(step)
        self.score = step.score

    def greedy(self, seconds: float, phase: str) -> int:
        from planner.planners.greedy import GreedyOptions, balance

        n = len(self.steps)
        balance(self.gs, GreedyOptions(time_limit=max(0.5, seconds), pool=pool_size(self.gs)), on_step=self.add)
        self._note(phase, n)
        return len(self.steps) - n

    def swaps(self, deadline: float) -> int:
        from planner.planners.swaps import swap_search

        n = len(self.steps)
        swap_search(self.gs, deadline, on_step=self.add)
        self._note("swaps", n)
        return len(self.steps) - n

    def _note(self, phase: str, n: int) -> None:
        self.log.append({"phase": phase, "moves": len(self.steps) - n, "exact_score": self.score,
                         "wall_s": round(time.perf_counter() - self.t0, 2)})


def _lns_steps(cluster: Cluster, run: _Run, opts: CpsatOptions, deadline: float) -> None:
    """CP-SAT LNS from the state reached, its changes sequenced safely and appended to ``run``."""
    from planner.placement import apply_placement
    from planner.planners.cpsat.lns import lns
    from planner.planners.cpsat.solve import exact_score
    from planner.sequence import sequence

    gs = run.gs
    here = {k: (gs.instances[k].pnode, gs.instances[k].snode) for k in gs.group_instances
            if gs.instances[k].movable}
    now = load_group(apply_placement(cluster, here), LoadOptions(group=gs.group_uuid))
    n = len(run.steps)
    pl, sc, its = lns(now, here, deadline - 1.0, opts.seed, opts.workers, None, None, False,
                      lambda p: exact_score(now, p), None, size=opts.lns_size or 40)
    if sc < run.score - 1e-9:
        seq = sequence(gs, {k: v for k, v in pl.items() if v != here[k]})
        for step in seq.steps:
            run.add(0, step)
    run._note(f"LNS ({its} iterations)", n)


def big_plan(cluster: Cluster, load_opts: LoadOptions, opts: CpsatOptions) -> Plan:
    """The plan for a big group with no budget or target (see the module docstring)."""
    t0 = time.perf_counter()
    gs = load_group(cluster, load_opts)
    forced = gb_lower_bound(gs)
    run = _Run(gs, t0)
    initial = run.score
    deadline = t0 + opts.time_limit
    first: dict = {}
    status = "feasible"
    try:
        run.greedy(min(FIRST_PLAN_S, 0.5 * opts.time_limit), "greedy (first plan)")
        first = {"wall_s": round(time.perf_counter() - t0, 2), "score": run.score, "moves": len(run.steps)}
        if opts.on_solution:
            opts.on_solution("first plan", first["wall_s"], run.score, float("nan"))
        run.greedy(0.6 * opts.time_limit - (time.perf_counter() - t0), "greedy")
        while time.perf_counter() < deadline - LNS_MIN_S:
            before = run.score
            if not run.swaps(deadline - LNS_MIN_S):
                break
            run.greedy(deadline - LNS_MIN_S - time.perf_counter(), "greedy")
            if opts.on_solution:
                opts.on_solution("swaps", time.perf_counter() - t0, run.score, float("nan"))
            if run.score > before - 1e-6:
                break
        if deadline - time.perf_counter() >= LNS_MIN_S and opts.lns:
            _lns_steps(cluster, run, opts, deadline)
    except KeyboardInterrupt:
        status = "interrupted"
    return Plan("cpsat", initial, run.score, list(run.steps), status=status if run.steps else "no-solution",
                wall_s=time.perf_counter() - t0, group=gs.group_name, gb_lower_bound=forced,
                extra={"first_plan": first, "rounds": run.log, "planned_score": run.score, "solutions": 0,
                       "pipeline": "pool greedy + swaps + LNS"})
