"""Big groups without a budget: a plan in seconds, then better ones until the time limit.

On 1000+ instances the whole-group CP-SAT model is too big to help within minutes, and hbal's
greedy (the best of every move, every step) takes about a second a step on 6000 instances.  So:

1. a **candidate-pool greedy** (hbal's moves and checks, but between full evaluations only the
   most promising instances are re-scored): a first plan within a few seconds, then on until it
   stalls; first with no new primary taking a node below 1/8 of its memory unallocated (else new
   nodes fill with big primaries and N+1 then bars every secondary from them), then without;
2. **failover pairs** (:mod:`planner.planners.failovers`), **secondary swaps**
   (:mod:`planner.planners.swaps`) and the greedy again, while they gain;
3. **CP-SAT LNS** (:func:`planner.planners.cpsat.lns.lns`) from the state reached, a few nodes at a
   time with the score re-linearised each time, its result sequenced safely and appended.

Every step is an hbal move from the state it is applied to, so the plan so far is a plan at any
moment: Ctrl-C keeps it.
"""

from __future__ import annotations

import planner.planners.cpsat.timeline as tl
from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.domain.model import Cluster
from planner.domain.plan import Plan, PlanStatus, Step
from planner.domain.tolerance import GAIN_EPS
from planner.engine.fastscore import Scorer
from planner.engine.load import load_group, reload_group
from planner.engine.state import GroupState, LoadOptions
from planner.planners.cpsat.data import gb_lower_bound
from planner.planners.cpsat.options import CpsatOptions, LnsOptions

FIRST_PLAN_S = 6.0  #: the plan reached after this many seconds is recorded as the first plan
LNS_MIN_S = 5.0  #: LNS runs when at least this much time is left
LNS_SIZE, LNS_SUB_S = 25, 0.5  #: many small neighbourhoods (measured better than 40 instances, 1.5 s)
#: swaps stop here at the latest: LNS gains more (xlarge: 4.27 at 0.85, 4.17 at 0.7, 4.05 at 0.55)
SWAPS_SHARE = tl.BIG_SWAPS_END
ROUND_GAIN = 1e-6  #: a round of failovers + swaps + greedy gaining less than this ends the loop
RESERVE = 0.125  #: first greedy phase: new primaries leave this share of a node's memory unallocated


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
        self.first: dict = {}
        self.on_first = None

    def add(self, _k: int, step: Step) -> None:
        self.steps.append(step)
        self.score = step.score
        if not self.first and time.perf_counter() - self.t0 >= FIRST_PLAN_S:
            self.mark_first()

    def mark_first(self) -> None:
        """The plan so far is the first plan (a prefix of the final one)."""
        if not self.first and self.steps:
            self.first = {"wall_s": round(time.perf_counter() - self.t0, 2), "score": self.score,
                          "moves": len(self.steps)}
            if self.on_first:
                self.on_first("first plan", self.first["wall_s"], self.score, float("nan"))

    def greedy(self, seconds: float, phase: str, reserve: float = 0.0) -> int:
        from planner.planners.greedy import GreedyOptions, balance

        n = len(self.steps)
        balance(self.gs, GreedyOptions(time_limit=max(0.5, seconds), pool=pool_size(self.gs), reserve=reserve),
                on_step=self.add)
        self.note(phase, n)
        return len(self.steps) - n

    def swaps(self, deadline: float) -> int:
        from planner.planners.swaps import swap_search

        n = len(self.steps)
        swap_search(self.gs, deadline, on_step=self.add)
        self.note("swaps", n)
        return len(self.steps) - n

    def failovers(self, deadline: float) -> int:
        from planner.planners.failovers import failover_pairs

        n = len(self.steps)
        failover_pairs(self.gs, deadline, on_step=self.add)
        self.note("failover pairs", n)
        return len(self.steps) - n

    def note(self, phase: str, n: int) -> None:
        self.log.append({"phase": phase, "moves": len(self.steps) - n, "exact_score": self.score,
                         "wall_s": round(time.perf_counter() - self.t0, 2)})


def _lns_steps(cluster: Cluster, run: _Run, opts: CpsatOptions, deadline: float) -> None:
    """CP-SAT LNS from the state reached, its changes sequenced safely and appended to ``run``."""
    from planner.domain.placement import apply_placement
    from planner.execution.sequence import sequence
    from planner.planners.cpsat.lns import lns

    gs = run.gs
    here = {k: (gs.instances[k].pnode, gs.instances[k].snode) for k in gs.group_instances
            if gs.instances[k].movable}
    now = reload_group(gs, apply_placement(cluster, here))
    n = len(run.steps)
    margin = max(1.0, tl.BIG_MARGIN * opts.time_limit)  # sequencing and the verifier's replay come after
    lo = LnsOptions(seed=opts.seed, workers=opts.workers, size=opts.lns_size or LNS_SIZE, sub_seconds=LNS_SUB_S)
    pl, sc, its = lns(now, here, deadline - margin, lo)
    if sc < run.score - GAIN_EPS:
        seq = sequence(now, {k: v for k, v in pl.items() if v != here[k]})  # lns only reads ``now``
        scores = [s.score for s in seq.steps]
        if scores and min(scores) < run.score - GAIN_EPS:  # the best prefix (a sequence may end stuck)
            for step in seq.steps[:scores.index(min(scores)) + 1]:
                run.add(0, step)
    run.note(f"LNS ({its} iterations)", n)


def big_plan(cluster: Cluster, load_opts: LoadOptions, opts: CpsatOptions) -> Plan:
    """The plan for a big group with no budget or target (see the module docstring)."""
    t0 = time.perf_counter()
    gs = load_group(cluster, load_opts)
    forced = gb_lower_bound(gs)
    run = _Run(gs, t0)
    initial = run.score
    deadline = t0 + opts.time_limit
    run.on_first = opts.on_solution
    status = PlanStatus.FEASIBLE
    try:
        run.greedy(tl.BIG_RESERVE_END * opts.time_limit, "greedy (memory reserve)", RESERVE)
        run.greedy(tl.BIG_GREEDY_END * opts.time_limit - (time.perf_counter() - t0), "greedy")
        run.mark_first()
        swaps_end = min(deadline - LNS_MIN_S, t0 + SWAPS_SHARE * opts.time_limit)
        while time.perf_counter() < swaps_end:
            before = run.score
            if not run.failovers(swaps_end) + run.swaps(swaps_end):
                break
            run.greedy(swaps_end - time.perf_counter(), "greedy")
            if opts.on_solution:
                opts.on_solution("swaps", time.perf_counter() - t0, run.score, float("nan"))
            if run.score > before - ROUND_GAIN:
                break
        if deadline - time.perf_counter() >= LNS_MIN_S and opts.lns:
            _lns_steps(cluster, run, opts, deadline)
    except KeyboardInterrupt:
        status = PlanStatus.INTERRUPTED
    return Plan("cpsat", initial, run.score, list(run.steps), status=status if run.steps else PlanStatus.NO_SOLUTION,
                wall_s=time.perf_counter() - t0, group=gs.group_name, gb_lower_bound=forced,
                extra={"first_plan": run.first, "rounds": run.log, "planned_score": run.score, "solutions": 0,
                       "pipeline": "pool greedy + swaps + LNS",
                       "timing": {"mode": "big", "time_limit": opts.time_limit,
                                  "declared": tl.declared("big", opts.time_limit), "phases": run.log}})
