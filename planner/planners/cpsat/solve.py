"""Solve the CP-SAT model: majorize–minimize rounds for balance, then fewest GB and moves.

Round 1 linearises the score around the hint (the greedy plan's placement, so the solver never
starts worse than greedy); each later round re-linearises around the previous solution.  On small
groups (every pair a candidate) the rounds first get a start with the counts at their integer floor
and a reserved-memory level (:func:`level_start`), and keep those constraints.  Every
solution is scored exactly (hbal's score) and the best kept.  Phase 2 holds the surrogate within a
tolerance of the best round and minimises GB copied, then moves.  Seeded, time-limited,
``num_workers`` suited to 2 cores; SIGINT stops the search and keeps the best plan so far.
"""

from __future__ import annotations

import signal

from ortools.sat.python import cp_model

from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.domain.errors import PlannerError
from planner.domain.tolerance import GAIN_EPS
from planner.engine.state import GroupState
from planner.planners.cpsat.constraints import add_all, build_vars
from planner.planners.cpsat.data import ModelData
from planner.planners.cpsat.kit import (
    IncumbentCallback,
    choice_for,
    choice_of,
    complete_hint,
    exact_score,
    found,
    gb_phase,
    hint_all,
    make_solver,
    model_data,
    placement_of,
    reference_choice,
)
from planner.planners.cpsat.levels import add_levels, level_start
from planner.planners.cpsat.lns import INDUCED_SIZE, is_induced, is_small, lns, lns_plan
from planner.planners.cpsat.objective import UNIT, build_objective
from planner.planners.cpsat.options import CpsatOptions, LnsOptions, SolveResult
from planner.planners.cpsat.timeline import LEVELS_OF_GLOBAL


def solve(gs: GroupState, opts: CpsatOptions) -> SolveResult:  # noqa: C901 (phases in turn; to split with the CP-SAT timeline)
    """Best placement found within the time limit (raises PlannerError when none is feasible)."""
    t0 = time.perf_counter()
    data = model_data(gs, opts, opts.hint)
    ref = reference_choice(data, opts)
    stop = {"flag": False, "solver": None, "t0": t0}

    def on_sigint(signum, frame):  # noqa: ARG001
        stop["flag"] = True
        if stop["solver"] is not None:
            stop["solver"].stop_search()

    old = signal.signal(signal.SIGINT, on_sigint) if _main_thread() else None
    best: SolveResult | None = None
    rounds: list[dict] = []
    soft_n1 = False
    try:
        share, size, sub_s = lns_plan(data, opts)
        global_time = opts.time_limit * (share if opts.lns else 1 - opts.gb_share * opts.gb_phase)
        levelled = None
        small = is_small(data)
        induced = is_induced(data, opts)
        if opts.levels and small:
            levelled = level_start(data, opts, ref, global_time * LEVELS_OF_GLOBAL, soft_n1)
            rounds.append({"phase": "levels", "level": levelled[1] if levelled else None})
            if levelled is not None:
                ref = levelled[0]
        r = -1
        while r + 1 < opts.rounds:
            r += 1
            if stop["flag"]:
                break
            budget = (global_time - (time.perf_counter() - t0)) / max(1, opts.rounds - r)
            t_round = time.perf_counter()
            v = build_vars(data)
            add_all(data, v, opts.max_gb, opts.max_moves, soft_n1=soft_n1)
            if levelled is not None:
                add_levels(data, v, levelled[1])
            obj, const = build_objective(data, v, ref, exact_sd=opts.exact_sd)
            v.model.minimize(obj)
            hint_all(v, ref)
            solver = make_solver(opts, budget - (time.perf_counter() - t_round), sum(map(len, v.lits)), search=small)
            stop["solver"] = solver
            cb = IncumbentCallback(f"balance {r + 1}", t0, opts.on_solution)
            status = time.solve(solver, v.model, cb)
            name = solver.status_name(status)
            if not found(status):
                if best is None and status == cp_model.INFEASIBLE:
                    if not soft_n1:  # like hbal moving off offline nodes: N+1 becomes a cost
                        soft_n1 = True
                        rounds.append({"phase": f"balance {r + 1}", "status": name, "note": "N+1 made soft"})
                        r -= 1
                        continue
                    raise PlannerError(gs.cluster.origin, None, _infeasible_reason(data, opts))
                if best is None and complete_hint(v, ref) is not None:
                    # no solution in the time slice: the (feasible) hint is the incumbent, LNS goes on
                    pl = placement_of(data, ref)
                    best = SolveResult(pl, exact_score(gs, pl), "FEASIBLE", float("nan"), float("nan"), 0, rounds)
                    best_choice = ref
                    rounds.append({"phase": f"balance {r + 1}", "status": name, "note": "hint kept"})
                break
            choice = choice_of(data, v, solver)
            pl = placement_of(data, choice)
            score = exact_score(gs, pl)
            objective = solver.objective_value / UNIT + const
            bound = solver.best_objective_bound / UNIT + const
            rounds.append({"phase": f"balance {r + 1}", "status": name, "objective": objective, "bound": bound,
                           "exact_score": score, "wall_s": solver.wall_time, "solutions": cb.count})
            if best is None or score < best.exact_score:
                best = SolveResult(pl, score, name, objective, bound, cb.count, rounds)
                best_choice = choice
            ref = choice
        if best is not None and not stop["flag"] and opts.lns and best.status != "OPTIMAL":
            # under --max-gb the fewest-GB phase cannot lower the score: a quarter of its share
            gb_share = (opts.gb_share / 4 if opts.max_gb is not None else opts.gb_share) if opts.gb_phase else 0
            deadline = t0 + opts.time_limit * (1 - gb_share)

            def improved(sc: float) -> None:
                if opts.on_solution:
                    opts.on_solution("LNS", time.perf_counter() - t0, sc, float("nan"))

            t_lns = time.perf_counter()
            lo = LnsOptions.of(opts, soft_n1=soft_n1, size=(opts.lns_size or INDUCED_SIZE) if induced else size,
                               sub_seconds=sub_s, cycles=opts.failover_cycles, induced=induced)
            pl, sc, its = lns(gs, best.placement, deadline, lo, improved)
            rounds.append({"phase": "LNS", "iterations": its, "exact_score": sc,
                           "wall_s": time.perf_counter() - t_lns})
            if sc < best.exact_score:
                best.placement, best.exact_score = pl, sc
                data = model_data(gs, opts, pl)
                best_choice = choice_for(data, pl)
        if best is not None and opts.gb_phase and not stop["flag"]:
            left = opts.time_limit - (time.perf_counter() - t0)
            out = gb_phase(data, best_choice, opts, left, soft_n1, time.perf_counter(), stop)
            if out is not None:
                ch, info = out
                pl = placement_of(data, ch)
                score = exact_score(gs, pl)
                info["exact_score"] = score
                rounds.append(info)
                # under --max-gb the budget is paid for: no score is traded for GB below it
                tol = 0.0 if opts.max_gb is not None else opts.tolerance
                if score <= best.exact_score * (1 + tol) + GAIN_EPS:
                    best.placement, best.exact_score = pl, score
                best.solutions += info["solutions"]
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)
    if best is None:
        raise PlannerError(gs.cluster.origin, None, "CP-SAT found no plan within the time limit "
                           f"({opts.time_limit:.0f} s): try a longer --time-limit")
    best.interrupted = stop["flag"]
    best.rounds = rounds
    return best


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _infeasible_reason(data: ModelData, opts: CpsatOptions) -> str:
    stuck = [st.inst.name for st, cl in zip(data.movable, data.cands, strict=True)
             if all(not data.base[x].online for c in cl for x in (c.p,) if x >= 0)]
    parts = ["no placement satisfies the constraints"]
    if opts.max_moves is not None:
        parts.append(f"--max-moves {opts.max_moves}")
    if opts.max_gb is not None:
        parts.append(f"--max-gb {opts.max_gb:g}")
    if opts.evacuate and any(n.offline and (n.plist or n.slist) for n in data.nodes):
        parts.append("offline nodes must be emptied")
    if stuck:
        parts.append(f"stuck: {', '.join(stuck[:5])}")
    return "; ".join(parts)


__all__ = ["CpsatOptions", "SolveResult", "solve", "exact_score"]
