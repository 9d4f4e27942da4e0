"""Today's CP-SAT plan: greedy hint, solve (global, LNS, fewest GB), sequencing, polish, swaps.

The phases and their time shares are :mod:`planner.planners.cpsat.timeline`'s; the options object
is never changed (the hint travels in a ``replace``d copy), so one object planned twice gives the
same plan twice.
"""

from __future__ import annotations

import math
from dataclasses import replace

import planner.planners.cpsat.timeline as tl
from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.domain.plan import Plan, PlanStatus
from planner.domain.tolerance import TARGET_EPS, improves, reaches, within
from planner.engine.load import load_group
from planner.engine.state import GroupState, LoadOptions
from planner.planners.cpsat.data import evacuation_needs, gb_lower_bound
from planner.planners.cpsat.options import CpsatOptions
from planner.planners.cpsat.solve import solve
from planner.planners.cpsat.target import solve_target

BIG_GROUP = 1000  #: instances from which the greedy hint gets half the time


def _prefix(steps: list, max_gb: float | None, max_moves: int | None) -> list:
    """The longest prefix of ``steps`` within the budgets."""
    out, gb = [], 0.0
    for n, s in enumerate(steps):
        gb += s.gb_copied
        if not within(gb, max_gb) or (max_moves is not None and n >= max_moves):
            break
        out.append(s)
    return out


def hint_from(steps: list, gs: GroupState, max_gb: float | None, max_moves: int | None):
    """The placement after the longest prefix of ``steps`` within the budgets (``gs``: any state of
    the group, for the names)."""
    by_name = {gs.instances[k].inst.name: k for k in gs.group_instances}
    idx = {n.name: n.idx for n in gs.all_nodes}
    return {by_name[s.instance]: (idx[s.to_primary], idx[s.to_secondary] if s.to_secondary else -1)
            for s in _prefix(steps, max_gb, max_moves)}


def _polish(gs: GroupState, steps: list, final: float, opts: CpsatOptions, deadline: float) -> tuple[list, float]:
    """Exact hbal steps within the budget left, then zero-copy failover pairs and triangles (none
    under ``--max-moves``), again while they gain: ``gs`` moves along; (steps, final score)."""
    from planner.planners.failovers import failover_pairs
    from planner.planners.greedy import GreedyOptions
    from planner.planners.greedy import balance as greedy

    while True:
        left_gb = None if opts.max_gb is None else opts.max_gb - sum(s.gb_copied for s in steps)
        left_moves = -1 if opts.max_moves is None else max(0, opts.max_moves - len(steps))
        seconds = max(0.2, min(tl.POLISH_GREEDY * opts.time_limit, deadline - time.perf_counter()))
        g = greedy(gs, GreedyOptions(max_gb=left_gb, max_length=left_moves, time_limit=seconds))
        if g.steps:
            steps, final = steps + g.steps, g.final_score
        fp = failover_pairs(gs, deadline) if opts.failover_cycles else []
        if fp:
            steps, final = steps + fp, fp[-1].score
        if not fp or time.perf_counter() >= deadline:
            return steps, final


def _thrifty_hint(cluster: Cluster, load_opts: LoadOptions, opts: CpsatOptions, g: Plan, gs: GroupState,
                  hint, deadline: float):
    """Under ``--target-score``: the cheapest (GiB) of hbal's greedy and the thrifty greedies
    (:mod:`planner.planners.thrifty`) as far as each reaches the target (skewed-medium: 7 180 GiB
    instead of hbal's 14 370); ``hint`` (hbal's greedy's) when none of them reaches it."""
    from planner.planners.thrifty import reaching, thrifty_prefix

    target = float(opts.target_score) + TARGET_EPS
    base = reaching(g, target)
    got = thrifty_prefix(lambda: load_group(cluster, load_opts), target, deadline)
    if got is None or (base is not None and base[1] <= got[1]) or not within(got[1], opts.max_gb):
        return hint
    return hint_from(got[0], gs, None, None)


def check_budgets(gs: GroupState, opts: CpsatOptions) -> None:
    """Refuse at once a budget that cannot empty the offline nodes (the model would only prove it,
    or time out on a big group)."""
    if not opts.evacuate:
        return
    count, gb = evacuation_needs(gs)
    why = None
    if opts.max_moves is not None and count > opts.max_moves:
        why = f"--max-moves {opts.max_moves} cannot empty the offline nodes: {count} instances must leave them"
    elif not within(gb, opts.max_gb):
        why = f"--max-gb {opts.max_gb:g} cannot empty the offline nodes: their replicas alone are {gb:g} GiB"
    if why:
        raise PlannerError(gs.cluster.origin, None, why + " (--partial-evacuation leaves the rest there)")


class _Clock:
    """Measured wall seconds per phase, beside the declared timeline (``plan.extra["timing"]``)."""

    def __init__(self, mode: str, time_limit: float) -> None:
        self.t0 = self.last = time.perf_counter()
        self.mode, self.time_limit = mode, time_limit
        self.phases: list[dict] = []

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.phases.append({"phase": phase, "wall_s": round(now - self.last, 3), "at_s": round(now - self.t0, 3)})
        self.last = now

    def json(self) -> dict:
        return {"mode": self.mode, "time_limit": self.time_limit,
                "declared": tl.declared(self.mode, self.time_limit), "phases": self.phases}


def plan(cluster: Cluster, load_opts: LoadOptions, opts: CpsatOptions, greedy_share: float = tl.GREEDY_HINT,
         greedy_run: Plan | None = None) -> Plan:
    """Plan one group with CP-SAT, hinted by a time-limited greedy run (or ``greedy_run``, hbal's
    greedy already run on this group), and sequence it safely, for ``opts.objective`` "score" or with
    budgets (the default objective without budgets: :func:`planner.planners.cpsat.plan`)."""
    return _solve_and_sequence(cluster, load_opts, opts, greedy_share, greedy_run)


def _solve_and_sequence(cluster: Cluster, load_opts: LoadOptions, opts: CpsatOptions, greedy_share: float,  # noqa: C901
                        greedy_run: Plan | None) -> Plan:
    """:func:`plan` for one objective: the phases of :mod:`planner.planners.cpsat.timeline`, in order."""
    from planner.engine.fastscore import Scorer
    from planner.execution.sequence import sequence
    from planner.planners.greedy import GreedyOptions
    from planner.planners.greedy import balance as greedy

    clock = _Clock(tl.mode_of(opts), opts.time_limit)
    t0 = clock.t0
    gs_hint = load_group(cluster, load_opts)
    check_budgets(gs_hint, opts)
    free_run = clock.mode == "free"
    swap_share = opts.swap_share if free_run else 0.0
    if len(gs_hint.group_instances) >= BIG_GROUP:
        if free_run and opts.hint is None:
            from planner.planners.cpsat.big import big_plan

            return big_plan(cluster, load_opts, opts)
        greedy_share = max(greedy_share, tl.GREEDY_HINT_BIG)  # hbal's order is the best start on big groups
    initial = None
    hint_for = None
    g = None
    hint = opts.hint
    if hint is None:
        g = greedy_run or greedy(gs_hint, GreedyOptions(time_limit=opts.time_limit * greedy_share))
        initial = g.initial_score
        hint = hint_from(g.steps, gs_hint, opts.max_gb, opts.max_moves)
        hint_for = lambda budget: hint_from(g.steps, gs_hint, budget, opts.max_moves)  # noqa: E731
        clock.lap("greedy hint")
    gs = load_group(cluster, load_opts)
    forced_gb = gb_lower_bound(gs)
    if opts.target_score is not None and forced_gb == 0 and opts.max_moves is None and g is not None:
        hint = _thrifty_hint(cluster, load_opts, opts, g, gs, hint, t0 + opts.time_limit * tl.THRIFTY_UNTIL)
        clock.lap("thrifty greedies")
    end = (tl.FREE_SOLVE_END - swap_share if free_run else tl.BUDGET_SOLVE_END) if opts.polish else 1.0
    left = opts.time_limit * end - (time.perf_counter() - t0)
    run = replace(opts, hint=hint)
    if opts.target_score is not None:
        probing = opts.max_gb is None and opts.probe_share > 0 and forced_gb > 0
        res = solve_target(gs, replace(run, time_limit=left * (1 - opts.probe_share if probing else 1)))
        target = float(opts.target_score) + TARGET_EPS
        if probing and res.exact_score <= target:
            from planner.planners.cpsat.probe import probe_budgets

            clock.lap("solve")
            res = probe_budgets(gs, run, res, target, t0 + opts.time_limit * tl.PROBE_END, hint_for)
            clock.lap("GB probes")
    else:
        res = solve(gs, replace(run, time_limit=left))
    if not clock.phases or clock.phases[-1]["phase"] != "GB probes":
        clock.lap("solve")
    seq_gs = load_group(cluster, load_opts)
    initial = Scorer(seq_gs.nodes).score_with({}) if initial is None else initial
    seq = sequence(seq_gs, res.placement)
    clock.lap("sequencing")
    steps, final = seq.steps, seq.final_score if seq.steps else initial
    within_budget = _prefix(steps, opts.max_gb, opts.max_moves)
    cut = len(steps) - len(within_budget)  # temporary moves, or a longer way than the model counted
    if cut:  # the budgets hold; ``seq_gs`` is past the cut, so no polish from it
        steps, final = within_budget, within_budget[-1].score if within_budget else initial
    if opts.polish and opts.target_score is None and not cut:
        polish_end = tl.FREE_POLISH_END - swap_share if free_run else tl.BUDGET_POLISH_END
        steps, final = _polish(seq_gs, steps, final, opts, t0 + polish_end * opts.time_limit)
        clock.lap("polish")
    if swap_share > 0 and not cut:  # compound moves a single-move search cannot make, then single moves again
        from planner.planners.swaps import swap_search

        sw = swap_search(seq_gs, t0 + opts.time_limit * tl.SWAPS_END)
        if sw:
            g3 = greedy(seq_gs, GreedyOptions(time_limit=max(0.5, t0 + opts.time_limit - time.perf_counter())))
            steps, final = steps + sw + g3.steps, (g3.final_score if g3.steps else sw[-1].score)
        clock.lap("swaps")
    kept_greedy = False
    if g is not None and opts.target_score is None:  # never worse than greedy's own steps in the budget
        prefix = _prefix(g.steps, opts.max_gb, opts.max_moves)
        if prefix and improves(prefix[-1].score, final):
            steps, final, kept_greedy = prefix, prefix[-1].score, True
    status = PlanStatus.OPTIMAL if res.status == "OPTIMAL" and not kept_greedy else PlanStatus.FEASIBLE
    if res.interrupted:
        status = PlanStatus.INTERRUPTED
    solved = math.isfinite(res.objective) and math.isfinite(res.bound)
    gap = abs(res.objective - res.bound) / max(1.0, abs(res.objective)) if solved else None
    return Plan("cpsat", initial, final, steps, status=status,
                wall_s=time.perf_counter() - t0, group=gs.group_name, bound=res.bound if solved else None, gap=gap,
                gb_lower_bound=forced_gb,
                extra={"target_reached": None if opts.target_score is None
                       else reaches(final, float(opts.target_score)), "planned_score": res.exact_score,
                       "solutions": res.solutions, "rounds": res.rounds,
                       "stuck": {} if kept_greedy else seq.stuck, "surrogate_objective": res.objective,
                       "kept_greedy_prefix": kept_greedy, "cut_to_budget": cut, "timing": clock.json()})


__all__ = ["BIG_GROUP", "check_budgets", "hint_from", "plan"]
