"""The CP-SAT planner: the whole group's placement as one constraint program (see solve.py)."""

from __future__ import annotations

import math
import time

from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.domain.plan import Plan
from planner.engine.load import load_group
from planner.engine.state import GroupState, LoadOptions
from planner.planners.cpsat.data import evacuation_needs, gb_lower_bound
from planner.planners.cpsat.options import CpsatOptions
from planner.planners.cpsat.solve import solve
from planner.planners.cpsat.target import solve_target

BIG_GROUP = 1000  #: instances from which the greedy hint gets half the time
THRIFTY_UNTIL = 0.4  #: under --target-score, the thrifty greedies run until this share of the time
#: under --max-gb / --max-moves the solve runs until this share of the time (sequencing and the
#: polish take about 1 s on 20 nodes); without budgets the polish and swaps get 10 % + swap_share
BUDGET_SOLVE_END = 0.94


def _prefix(steps: list, max_gb: float | None, max_moves: int | None) -> list:
    """The longest prefix of ``steps`` within the budgets."""
    out, gb = [], 0.0
    for n, s in enumerate(steps):
        gb += s.gb_copied
        if (max_gb is not None and gb > max_gb + 1e-9) or (max_moves is not None and n >= max_moves):
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
        seconds = max(0.2, min(0.1 * opts.time_limit, deadline - time.perf_counter()))
        g = greedy(gs, GreedyOptions(max_gb=left_gb, max_length=left_moves, time_limit=seconds))
        if g.steps:
            steps, final = steps + g.steps, g.final_score
        fp = failover_pairs(gs, deadline) if opts.failover_cycles else []
        if fp:
            steps, final = steps + fp, fp[-1].score
        if not fp or time.perf_counter() >= deadline:
            return steps, final


def _thrifty_hint(cluster: Cluster, load_opts: LoadOptions, opts: CpsatOptions, g: Plan, gs: GroupState,
                  deadline: float):
    """Under ``--target-score``: the cheapest (GiB) of hbal's greedy and the thrifty greedies
    (:mod:`planner.planners.thrifty`) as far as each reaches the target (skewed-medium: 7 180 GiB
    instead of hbal's 14 370); hbal's greedy's hint when none of them reaches it."""
    from planner.planners.thrifty import reaching, thrifty_prefix

    target = float(opts.target_score) + 5e-9
    base = reaching(g, target)
    got = thrifty_prefix(lambda: load_group(cluster, load_opts), target, deadline)
    if got is None or (base is not None and base[1] <= got[1]) or (opts.max_gb is not None and got[1] > opts.max_gb):
        return opts.hint
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
    elif opts.max_gb is not None and gb > opts.max_gb + 1e-9:
        why = f"--max-gb {opts.max_gb:g} cannot empty the offline nodes: their replicas alone are {gb:g} GiB"
    if why:
        raise PlannerError(gs.cluster.origin, None, why + " (--partial-evacuation leaves the rest there)")


def plan(cluster: Cluster, load_opts: LoadOptions, opts: CpsatOptions, greedy_share: float = 0.3) -> Plan:
    """Plan one group with CP-SAT, hinted by a time-limited greedy run, and sequence it safely."""
    from planner.execution.sequence import sequence
    from planner.planners.greedy import GreedyOptions
    from planner.planners.greedy import balance as greedy

    t0 = time.perf_counter()
    gs_hint = load_group(cluster, load_opts)
    check_budgets(gs_hint, opts)
    free_run = opts.max_gb is None and opts.max_moves is None and opts.target_score is None
    swap_share = opts.swap_share if free_run else 0.0
    if len(gs_hint.group_instances) >= BIG_GROUP:
        if free_run and opts.hint is None:
            from planner.planners.cpsat.big import big_plan

            return big_plan(cluster, load_opts, opts)
        greedy_share = max(greedy_share, 0.5)  # hbal's order is the best start on big groups
    initial = None
    hint_for = None
    g = None
    if opts.hint is None:
        g = greedy(gs_hint, GreedyOptions(time_limit=opts.time_limit * greedy_share))
        initial = g.initial_score
        opts.hint = hint_from(g.steps, gs_hint, opts.max_gb, opts.max_moves)
        hint_for = lambda budget: hint_from(g.steps, gs_hint, budget, opts.max_moves)  # noqa: E731
    gs = load_group(cluster, load_opts)
    forced_gb = gb_lower_bound(gs)
    if opts.target_score is not None and forced_gb == 0 and opts.max_moves is None and g is not None:
        opts.hint = _thrifty_hint(cluster, load_opts, opts, g, gs, t0 + opts.time_limit * THRIFTY_UNTIL)
    end = (0.9 - swap_share if free_run else BUDGET_SOLVE_END) if opts.polish else 1.0
    left = opts.time_limit * end - (time.perf_counter() - t0)
    if opts.target_score is not None:
        probing = opts.max_gb is None and opts.probe_share > 0 and forced_gb > 0
        res = solve_target(gs, CpsatOptions(**{**opts.__dict__,
                                               "time_limit": left * (1 - opts.probe_share if probing else 1)}))
        target = float(opts.target_score) + 5e-9
        if probing and res.exact_score <= target:
            from planner.planners.cpsat.probe import probe_budgets

            res = probe_budgets(gs, opts, res, target, t0 + opts.time_limit * 0.95, hint_for)
    else:
        res = solve(gs, CpsatOptions(**{**opts.__dict__, "time_limit": left}))
    seq_gs = load_group(cluster, load_opts)
    from planner.engine.fastscore import Scorer

    initial = Scorer(seq_gs.nodes).score_with({}) if initial is None else initial
    seq = sequence(seq_gs, res.placement)
    steps, final = seq.steps, seq.final_score if seq.steps else initial
    within = _prefix(steps, opts.max_gb, opts.max_moves)
    cut = len(steps) - len(within)  # temporary moves, or a longer way than the model counted
    if cut:  # the budgets hold; ``seq_gs`` is past the cut, so no polish from it
        steps, final = within, within[-1].score if within else initial
    if opts.polish and opts.target_score is None and not cut:
        polish_end = 0.95 - swap_share if free_run else 0.98
        steps, final = _polish(seq_gs, steps, final, opts, t0 + polish_end * opts.time_limit)
    if swap_share > 0 and not cut:  # compound moves a single-move search cannot make, then single moves again
        from planner.planners.swaps import swap_search

        sw = swap_search(seq_gs, t0 + opts.time_limit * 0.97)
        if sw:
            g3 = greedy(seq_gs, GreedyOptions(time_limit=max(0.5, t0 + opts.time_limit - time.perf_counter())))
            steps, final = steps + sw + g3.steps, (g3.final_score if g3.steps else sw[-1].score)
    kept_greedy = False
    if g is not None and opts.target_score is None:  # never worse than greedy's own steps in the budget
        prefix = _prefix(g.steps, opts.max_gb, opts.max_moves)
        if prefix and prefix[-1].score < final - 1e-12:
            steps, final, kept_greedy = prefix, prefix[-1].score, True
    status = "optimal" if res.status == "OPTIMAL" and not kept_greedy else "feasible"
    if res.interrupted:
        status = "interrupted"
    solved = math.isfinite(res.objective) and math.isfinite(res.bound)
    gap = abs(res.objective - res.bound) / max(1.0, abs(res.objective)) if solved else None
    return Plan("cpsat", initial, final, steps, status=status,
                wall_s=time.perf_counter() - t0, group=gs.group_name, bound=res.bound if solved else None, gap=gap,
                gb_lower_bound=forced_gb,
                extra={"target_reached": None if opts.target_score is None
                       else final <= float(opts.target_score) + 5e-9, "planned_score": res.exact_score,
                       "solutions": res.solutions, "rounds": res.rounds,
                       "stuck": {} if kept_greedy else seq.stuck, "surrogate_objective": res.objective,
                       "kept_greedy_prefix": kept_greedy, "cut_to_budget": cut})
