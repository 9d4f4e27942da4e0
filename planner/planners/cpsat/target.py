"""Fewest GB whose exact score reaches a target (``--target-score``), on the model of solve.py."""

from __future__ import annotations

from dataclasses import replace

from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.domain.tolerance import SCORE_EPS, TARGET_EPS
from planner.engine.state import GroupState
from planner.planners.cpsat.constraints import GB_COST_UNIT, add_all, build_vars, gb_cost
from planner.planners.cpsat.kit import (
    IncumbentCallback,
    choice_for,
    choice_of,
    exact_score,
    found,
    hint_all,
    make_solver,
    model_data,
    objective_at,
    placement_of,
    reference_choice,
)
from planner.planners.cpsat.lns import gb_moved, lns, lns_plan
from planner.planners.cpsat.objective import UNIT, build_objective
from planner.planners.cpsat.options import PRESOLVE_LIMIT, CpsatOptions, LnsOptions, SolveResult
from planner.planners.cpsat.solve import solve
from planner.planners.cpsat.timeline import TARGET_ROUNDS_BIG, TARGET_ROUNDS_SMALL

#: models under PRESOLVE_LIMIT literals: the whole-model rounds end at this share of the time (after
#: the slack phase's 30 %), and the GB-mode LNS then frees this many instances for this many seconds
#: a sub-solve.  new-node-small-6n at hbal's score, 30 s, seeds 1–4: 0.648/0.681/0.681/0.676 of
#: hbal's GB (20 LNS iterations) instead of 0.769/0.718/0.778/0.787 with 80 % and 17 instances /
#: 1.5 s (3 iterations); skewed-small 0.50–0.54 instead of 0.52–0.60, new-node-small-5n unchanged
FULL_MODEL_SHARE_SMALL = TARGET_ROUNDS_SMALL
SMALL_LNS = (10, 0.7)


def _rounds_share(big: bool, lns_on: bool, ref_reaches: bool) -> float:
    """Until which share of the time whole-model rounds may start (the rest goes to the GB LNS).

    Big models (``PRESOLVE_LIMIT`` literals or more) run none when the reference already reaches
    the target, else rounds until one plan does.  (Before, a round ran or not depending on whether
    the slack phase ended a fraction of a second early; seeds 1–2 gave the same either way:
    new-node-medium 1 700–1 880 GiB, skewed-medium 7 000–7 070.)

    >>> _rounds_share(True, True, True), _rounds_share(True, True, False), _rounds_share(False, False, True)
    (0.0, 0.8, 1.0)
    """
    if not lns_on:
        return 1.0
    if big:
        return 0.0 if ref_reaches else TARGET_ROUNDS_BIG
    return FULL_MODEL_SHARE_SMALL


def make_slack(gs: GroupState, data, ref: list[int], opts: CpsatOptions, deadline: float):
    """The hint's score lowered by the balance LNS without copying more than the hint does: the
    slack to the target that the fewest-GB rounds then trade for GB.  (new-node-small-6n, 30 s runs:
    0.69–0.78 of hbal's GB, mean 0.73 over 7, with 30 % of the time here; 0.70–0.86, mean 0.76 over
    9, without; the other balance files unchanged.)  Returns (data, ref) around the new placement."""
    start = placement_of(data, ref)
    budget = gb_moved(gs, start) if opts.max_gb is None else min(opts.max_gb, gb_moved(gs, start))
    _, size, sub_s = lns_plan(data, opts)
    lo = LnsOptions.of(opts, size=size, sub_seconds=sub_s, cycles=opts.failover_cycles)
    pl, _, _ = lns(gs, start, deadline, replace(lo, max_gb=budget))
    if pl == start:
        return data, ref
    data = model_data(gs, opts, pl)
    return data, choice_for(data, pl)


def solve_target(gs: GroupState, opts: CpsatOptions) -> SolveResult:
    """Fewest GB whose exact score is at most ``opts.target_score``.

    The linearised score majorizes the exact one, so "linearised score ≤ target" keeps the target;
    each round re-linearises around the last plan that reached it, letting GB drop further.
    """
    t0 = time.perf_counter()
    data = model_data(gs, opts, opts.hint)
    ref = reference_choice(data, opts)
    target = float(opts.target_score) + TARGET_EPS  # scores are given to 8 decimals
    if opts.slack_share > 0 and opts.lns:
        data, ref = make_slack(gs, data, ref, opts, t0 + opts.slack_share * opts.time_limit)
    best: SolveResult | None = None
    margin = 0.0
    rounds: list[dict] = []
    modes = ["relative", "absolute"]  # the second only if the first finds nothing
    big = sum(map(len, data.cands)) >= PRESOLVE_LIMIT
    ref_score = exact_score(gs, placement_of(data, ref))  # follows ``ref``
    full_model_share = _rounds_share(big, opts.lns, ref_score <= target + SCORE_EPS)
    r = -1
    while r < 9 and time.perf_counter() - t0 < opts.time_limit * full_model_share:
        r += 1
        left = opts.time_limit - (time.perf_counter() - t0)
        if left < 1.0 or not modes:
            break
        v = build_vars(data)
        add_all(data, v, opts.max_gb, opts.max_moves)
        obj, const = build_objective(data, v, ref, exact_sd=False)
        if modes[0] == "relative":
            # the surrogate majorizes the exact score: stay below its value at the reference, moved by
            # how far the reference is from the target (a hint sitting on the target stays feasible)
            at_ref = objective_at(v, obj, ref)
            if at_ref is None:
                modes.pop(0)
                r -= 1
                continue
            v.model.add(obj <= int(at_ref + (target - ref_score - margin + 1e-9) * UNIT) + 1)
        else:
            v.model.add(obj <= int((target - margin - const + 1e-7) * UNIT))
        v.model.minimize(gb_cost(data, v))
        hint_all(v, ref)
        solver = make_solver(opts, min(left, max(3.0, opts.time_limit / 6)), sum(map(len, v.lits)))
        cb = IncumbentCallback(f"target {r + 1}", t0, opts.on_solution)
        status = time.solve(solver, v.model, cb)
        if not found(status):
            rounds.append({"phase": f"target {r + 1}", "status": solver.status_name(status), "bound": modes[0]})
            if best is None:
                modes.pop(0)
                r -= 1
                continue
            break
        ch = choice_of(data, v, solver)
        pl = placement_of(data, ch)
        sc = exact_score(gs, pl)
        gbs = sum(cl[c].gb for cl, c in zip(data.cands, ch, strict=True))
        rounds.append({"phase": f"target {r + 1}", "status": solver.status_name(status), "exact_score": sc,
                       "gb": gbs, "solutions": cb.count})
        if sc <= target + SCORE_EPS:
            if best is None or gbs < best.objective:
                best = SolveResult(pl, sc, solver.status_name(status), gbs, solver.best_objective_bound / GB_COST_UNIT,
                                   cb.count, rounds)
            ref, ref_score = ch, sc
            if big:  # one plan reaching the target is all the LNS needs
                break
        else:
            margin += sc - target
    if opts.hint is not None and best is None and ref_score <= target + SCORE_EPS:  # the hint itself reaches it
        gbs = sum(cl[c].gb for cl, c in zip(data.cands, ref, strict=True))
        best = SolveResult(placement_of(data, ref), ref_score, "FEASIBLE", gbs, 0.0, 0, rounds)
    if best is not None and opts.lns and time.perf_counter() - t0 < opts.time_limit - 1.0:
        # big groups: the small groups' balance-mode neighbourhoods (balance mode's own 15 instances /
        # 0.5 s measured mixed here: skewed-medium 0.85–0.88 of hbal's GB instead of 0.90–0.99,
        # new-node-medium 0.70–0.81 instead of 0.66–0.67); small groups: SMALL_LNS.  No failover
        # cycles either (new-node-medium 0.66 → 0.79: the time they take costs more GB than the
        # slack they give saves)
        size, sub_s = lns_plan(data, opts, small=True)[1:] if big else SMALL_LNS
        t_lns = time.perf_counter()
        pl, sc, its = lns(gs, best.placement, t0 + opts.time_limit,
                          LnsOptions.of(opts, size=size, target=target, sub_seconds=sub_s))
        rounds.append({"phase": "LNS (GB)", "iterations": its, "exact_score": sc,
                       "wall_s": time.perf_counter() - t_lns})
        if pl != best.placement:
            best.placement, best.exact_score = pl, sc
    if best is None:
        left = max(1.0, opts.time_limit - (time.perf_counter() - t0))
        res = solve(gs, replace(opts, target_score=None, time_limit=left))
        res.rounds = rounds + res.rounds + [{"phase": "target", "reached": False}]
        return res
    best.rounds = rounds + [{"phase": "target", "reached": True}]
    return best
