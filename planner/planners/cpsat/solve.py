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
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from planner.errors import PlannerError
from planner.planners.cpsat.constraints import Vars, add_all, build_vars, gb_cost, hint_choice
from planner.planners.cpsat.data import ModelData, build_data
from planner.planners.cpsat.levels import add_levels, level_start
from planner.planners.cpsat.lns import INDUCED_SIZE, is_induced, is_small, lns, lns_plan
from planner.planners.cpsat.objective import UNIT, build_objective
from planner.score import compute_score
from planner.state import GroupState

#: models with more candidate literals than this are solved without presolve
PRESOLVE_LIMIT = 5000
#: models with at least this many candidate literals: balance solves search only (see ``_solver``)
LNS_ONLY_FROM = 1000


@dataclass
class CpsatOptions:
    time_limit: float = 30.0
    seed: int = 1
    workers: int = 2
    max_gb: float | None = None
    max_moves: int | None = None
    probe_share: float = 0.6  #: target mode with offline nodes: time share for probing GB budgets
    slack_share: float = 0.3  #: target mode: time share for lowering the hint's score at its GB first
    target_score: float | None = None  #: fewest GB whose exact score is at most this
    rounds: int = 1  #: global majorize-minimize rounds before LNS
    lns: bool = True
    global_share: float | None = None  #: share of the time for the global solve(s) (None: by group size)
    gb_share: float = 0.2  #: share of the time for the fewest-GB phase
    gb_phase: bool = True
    tolerance: float = 0.005  #: phase 2 keeps the score within this share of phase 1
    evacuate: bool = True  #: instances on offline nodes must leave them
    k_targets: int = 16
    exact_sd: bool = True  #: global solve: exact std-devs (one product each) or linearised
    lns_only: bool = True  #: whole-model solves: both workers search (CP-SAT's LNS), none proves bounds
    levels: bool = True  #: small groups: first look for a plan with counts at their floor and no doubled peer
    lns_size: int | None = None  #: instances freed per LNS iteration (None: by group size)
    lns_seconds: float | None = None  #: time limit of one LNS sub-solve (None: by group size)
    polish: bool = True  #: after sequencing, exact hbal-greedy steps within the budget left
    swap_share: float = 0.15  #: without budgets: time kept for secondary swaps at the end
    cycles: bool = True  #: zero-copy failover pairs/triangles (LNS and polish); off when probing for a target
    induced: bool = True  #: LNS on 9–40-node groups: induced neighbourhoods; off when probing for a target
    hint: dict[int, tuple[int, int]] | None = None  #: instance → (primary, secondary) cluster indices
    on_solution: Callable[[str, float, float, float], None] | None = None  #: (phase, wall, obj, bound)

    @property
    def failover_cycles(self) -> bool:
        """Whether failover pairs/triangles may be added: not under ``--max-moves`` (they are moves)."""
        return self.cycles and self.max_moves is None


@dataclass
class SolveResult:
    placement: dict[int, tuple[int, int]]  #: instance index → cluster node indices
    exact_score: float
    status: str
    objective: float
    bound: float
    solutions: int
    rounds: list[dict] = field(default_factory=list)
    interrupted: bool = False


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, phase: str, t0: float, fn) -> None:
        super().__init__()
        self.phase, self.t0, self.fn, self.count = phase, t0, fn, 0

    def on_solution_callback(self) -> None:
        self.count += 1
        if self.fn:
            self.fn(self.phase, time.perf_counter() - self.t0, self.objective_value, self.best_objective_bound)


def _choice(data: ModelData, v: Vars, solver: cp_model.CpSolver) -> list[int]:
    return [next((c for c, lit in enumerate(row) if solver.boolean_value(lit)), 0) for row in v.lits]


def placement_of(data: ModelData, choice: list[int]) -> dict[int, tuple[int, int]]:
    order = [n.idx for n in data.nodes]
    out = {}
    for st, cl, c in zip(data.movable, data.cands, choice, strict=True):
        cand = cl[c]
        out[st.idx] = (order[cand.p], order[cand.s] if cand.s >= 0 else -1)
    return out


def exact_score(gs: GroupState, placement: dict[int, tuple[int, int]]) -> float:
    """hbal's score of the group with these placements (a re-load, as hbal would see it)."""
    from planner.placement import apply_placement

    c = apply_placement(gs.cluster, placement)
    return compute_score(gs.reload(c).nodes)


def _restrict_evacuation(data: ModelData) -> None:
    """Drop candidates that keep an instance on an offline node (when it has any other)."""
    for k, cl in enumerate(data.cands):
        keep = [c for c in cl if all(x < 0 or data.base[x].online for x in (c.p, c.s))]
        if keep and len(keep) < len(cl):
            cur = cl[data.current[k]]
            data.cands[k] = keep
            data.current[k] = keep.index(cur) if cur in keep else 0


def model_data(gs: GroupState, opts: CpsatOptions, extra: dict[int, tuple[int, int]] | None) -> ModelData:
    """The group's candidates (``extra``: pairs to include), without staying on offline nodes when
    ``opts.evacuate``."""
    data = build_data(gs, opts.k_targets, extra=extra)
    if opts.evacuate:
        _restrict_evacuation(data)
    return data


def complete_hint(v: Vars, choice: list[int], seconds: float = 5.0) -> list[int] | None:
    """Values of every variable for the candidates ``choice`` (a full hint), or None if infeasible."""
    m2 = v.model.clone()
    for row, c in zip(v.lits, choice, strict=True):
        m2.add(m2.get_bool_var_from_proto_index(row[c].index) == 1)
    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    s.parameters.max_time_in_seconds = seconds
    s.parameters.stop_after_first_solution = True
    if s.solve(m2) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [s.value(m2.get_int_var_from_proto_index(k)) for k in range(len(m2.proto.variables))]


def objective_at(v: Vars, obj, choice: list[int]) -> float | None:
    """The value of ``obj`` (model units) at the candidates ``choice``, or None if infeasible."""
    m2 = v.model.clone()
    for row, c in zip(v.lits, choice, strict=True):
        m2.add(m2.get_bool_var_from_proto_index(row[c].index) == 1)
    m2.minimize(obj)
    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    s.parameters.max_time_in_seconds = 10
    if s.solve(m2) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return s.objective_value


def hint_all(v: Vars, choice: list[int]) -> None:
    """Hint the solver with ``choice``: every variable when that placement is feasible."""
    v.model.clear_hints()
    full = complete_hint(v, choice)
    if full is None:
        hint_choice(v, choice)
        return
    for k, value in enumerate(full):
        v.model.add_hint(v.model.get_int_var_from_proto_index(k), value)


def _solver(opts: CpsatOptions, seconds: float, size: int = 0, search: bool = False) -> cp_model.CpSolver:
    """A seeded, time-limited solver; presolve is skipped on big models (it can take the whole limit).

    With ``search`` (and ``opts.lns_only``) on models of ``LNS_ONLY_FROM`` literals or more, both
    workers run CP-SAT's own LNS from the hint and none works on the bound: on
    new-node-small-6n's 2 100-literal model at hbal's GB, 8 s solves over 7 seeds end at 2.053–2.136
    (mean 2.098) instead of 2.081–2.191 (mean 2.127).  Small models keep the default, which proves
    optimality."""
    s = cp_model.CpSolver()
    s.parameters.cp_model_presolve = size < PRESOLVE_LIMIT
    s.parameters.num_workers = opts.workers
    s.parameters.random_seed = opts.seed
    s.parameters.max_time_in_seconds = max(0.5, seconds)
    s.parameters.use_lns_only = search and opts.lns_only and size >= LNS_ONLY_FROM
    return s


def gb_phase(data: ModelData, choice: list[int], opts: CpsatOptions, seconds: float, soft_n1: bool, t0: float,
             stop: dict) -> tuple[list[int], dict] | None:
    """Fewest GB (then moves) with the linearised score held within ``opts.tolerance`` of ``choice``'s."""
    v = build_vars(data)
    add_all(data, v, opts.max_gb, opts.max_moves, soft_n1=soft_n1)
    obj, _ = build_objective(data, v, choice, exact_sd=False)
    full = complete_hint(v, choice, seconds=max(1.0, seconds / 4))
    if full is None:
        return None
    v.model.minimize(obj)
    fixed = cp_model.CpSolver()
    fixed.parameters.num_workers = 1
    for k, value in enumerate(full):
        v.model.add_hint(v.model.get_int_var_from_proto_index(k), value)
    m2 = v.model.clone()
    for row, c in zip(v.lits, choice, strict=True):
        m2.add(m2.get_bool_var_from_proto_index(row[c].index) == 1)
    if fixed.solve(m2) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    val = fixed.objective_value
    v.model.add(obj <= int(val * (1 + opts.tolerance)) + 1)
    v.model.minimize(gb_cost(data, v))
    solver = _solver(opts, seconds - (time.perf_counter() - t0), sum(map(len, v.lits)))
    stop["solver"] = solver
    cb = _Callback("fewest GB", stop["t0"], opts.on_solution)
    status = solver.solve(v.model, cb)
    info = {"phase": "fewest GB", "status": solver.status_name(status), "solutions": cb.count,
            "wall_s": solver.wall_time}
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return _choice(data, v, solver), info


def choice_for(data: ModelData, placement: dict[int, tuple[int, int]]) -> list[int]:
    """Candidate indices of a placement (cluster node indices) in ``data``."""
    out = []
    for k, st in enumerate(data.movable):
        p, s = placement.get(st.idx, (st.pnode, st.snode))
        want = (data.pos[p], data.pos[s] if s >= 0 else -1)
        out.append(next((c for c, cand in enumerate(data.cands[k]) if (cand.p, cand.s) == want), data.current[k]))
    return out


def _hint_choice(data: ModelData, opts: CpsatOptions) -> list[int]:
    ref = list(data.current)
    if opts.hint:
        for k, st in enumerate(data.movable):
            if st.idx in opts.hint:
                hp, hs = opts.hint[st.idx]
                want = (data.pos[hp], data.pos[hs] if hs >= 0 else -1)
                ref[k] = next((c for c, cand in enumerate(data.cands[k]) if (cand.p, cand.s) == want), ref[k])
    return ref


def solve(gs: GroupState, opts: CpsatOptions) -> SolveResult:
    """Best placement found within the time limit (raises PlannerError when none is feasible)."""
    t0 = time.perf_counter()
    data = model_data(gs, opts, opts.hint)
    ref = _hint_choice(data, opts)
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
            levelled = level_start(data, opts, ref, global_time * 0.5, soft_n1)
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
            solver = _solver(opts, budget - (time.perf_counter() - t_round), sum(map(len, v.lits)), search=small)
            stop["solver"] = solver
            cb = _Callback(f"balance {r + 1}", t0, opts.on_solution)
            status = solver.solve(v.model, cb)
            name = solver.status_name(status)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
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
            choice = _choice(data, v, solver)
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
            pl, sc, its = lns(gs, best.placement, deadline, opts.seed, opts.workers, opts.max_gb, opts.max_moves,
                              soft_n1, improved,
                              size=(opts.lns_size or INDUCED_SIZE) if induced else size, sub_seconds=sub_s,
                              cycles=opts.failover_cycles, induced=induced)
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
                if score <= best.exact_score * (1 + tol) + 1e-9:
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
