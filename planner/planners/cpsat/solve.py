"""Solve the CP-SAT model: majorize–minimize rounds for balance, then fewest GB and moves.

Round 1 linearises the score around the hint (the greedy plan's placement, so the solver never
starts worse than greedy); each later round re-linearises around the previous solution.  Every
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
from planner.planners.cpsat.constraints import Vars, add_all, build_vars, wsum
from planner.planners.cpsat.data import ModelData, build_data
from planner.planners.cpsat.objective import UNIT, build_objective
from planner.score import compute_score
from planner.state import GroupState


@dataclass
class CpsatOptions:
    time_limit: float = 30.0
    seed: int = 1
    workers: int = 2
    max_gb: float | None = None
    max_moves: int | None = None
    rounds: int = 3
    gb_phase: bool = True
    tolerance: float = 0.002  #: phase 2 keeps the surrogate within this share of phase 1
    evacuate: bool = True  #: instances on offline nodes must leave them
    k_targets: int = 16
    hint: dict[int, tuple[int, int]] | None = None  #: instance → (primary, secondary) cluster indices
    on_solution: Callable[[str, float, float, float], None] | None = None  #: (phase, wall, obj, bound)


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
    from planner.state import LoadOptions, load_group

    c = apply_placement(gs.cluster, placement)
    return compute_score(load_group(c, LoadOptions(group=gs.group_uuid)).nodes)


def _restrict_evacuation(data: ModelData) -> None:
    """Drop candidates that keep an instance on an offline node (when it has any other)."""
    for k, cl in enumerate(data.cands):
        keep = [c for c in cl if all(x < 0 or data.base[x].online for x in (c.p, c.s))]
        if keep and len(keep) < len(cl):
            cur = cl[data.current[k]]
            data.cands[k] = keep
            data.current[k] = keep.index(cur) if cur in keep else 0


def _solver(opts: CpsatOptions, seconds: float) -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    s.parameters.num_workers = opts.workers
    s.parameters.random_seed = opts.seed
    s.parameters.max_time_in_seconds = max(0.5, seconds)
    return s


def solve(gs: GroupState, opts: CpsatOptions) -> SolveResult:
    """Best placement found within the time limit (raises PlannerError when none is feasible)."""
    t0 = time.perf_counter()
    data = build_data(gs, opts.k_targets, extra=opts.hint)
    if opts.evacuate:
        _restrict_evacuation(data)
    pos = data.pos
    ref = list(data.current)
    if opts.hint:
        for k, st in enumerate(data.movable):
            if st.idx in opts.hint:
                hp, hs = opts.hint[st.idx]
                want = (pos[hp], pos[hs] if hs >= 0 else -1)
                ref[k] = next((c for c, cand in enumerate(data.cands[k]) if (cand.p, cand.s) == want), ref[k])
    stop = {"flag": False, "solver": None}

    def on_sigint(signum, frame):  # noqa: ARG001
        stop["flag"] = True
        if stop["solver"] is not None:
            stop["solver"].stop_search()

    old = signal.signal(signal.SIGINT, on_sigint) if _main_thread() else None
    best: SolveResult | None = None
    rounds: list[dict] = []
    try:
        n_phases = opts.rounds + (1 if opts.gb_phase else 0)
        for r in range(opts.rounds):
            if stop["flag"]:
                break
            budget = (opts.time_limit - (time.perf_counter() - t0)) / max(1, n_phases - r)
            v = build_vars(data)
            add_all(data, v, opts.max_gb, opts.max_moves)
            obj, const = build_objective(data, v, ref)
            v.model.minimize(obj)
            for row, c in zip(v.lits, ref, strict=True):
                for k, lit in enumerate(row):
                    v.model.add_hint(lit, k == c)
            solver = _solver(opts, budget)
            stop["solver"] = solver
            cb = _Callback(f"balance {r + 1}", t0, opts.on_solution)
            status = solver.solve(v.model, cb)
            name = solver.status_name(status)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                if best is None and status == cp_model.INFEASIBLE:
                    raise PlannerError(gs.cluster.origin, None, _infeasible_reason(data, opts))
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
                full = [solver.value(v.model.get_int_var_from_proto_index(k))
                        for k in range(len(v.model.proto.variables))]
                best_model = (v, obj, solver.objective_value, full)
            ref = choice
        if best is not None and opts.gb_phase and not stop["flag"]:
            v, obj, val, full = best_model
            v.model.add(obj <= int(val * (1 + opts.tolerance)) + 1)
            gb = [(lit, round(c.gb * 1024) * 1000 + c.steps) for row, cl in zip(v.lits, data.cands, strict=True)
                  for lit, c in zip(row, cl, strict=True) if c.gb or c.steps]
            v.model.minimize(wsum(gb) if gb else 0)
            v.model.clear_hints()
            for k, value in enumerate(full):
                v.model.add_hint(v.model.get_int_var_from_proto_index(k), value)
            solver = _solver(opts, opts.time_limit - (time.perf_counter() - t0))
            stop["solver"] = solver
            cb = _Callback("fewest GB", t0, opts.on_solution)
            status = solver.solve(v.model, cb)
            rounds.append({"phase": "fewest GB", "status": solver.status_name(status)})
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                rounds.pop()
                pl = placement_of(data, _choice(data, v, solver))
                score = exact_score(gs, pl)
                rounds.append({"phase": "fewest GB", "status": solver.status_name(status),
                               "objective": solver.objective_value, "bound": solver.best_objective_bound,
                               "exact_score": score, "wall_s": solver.wall_time, "solutions": cb.count})
                if score <= best.exact_score * (1 + opts.tolerance) + 1e-9:
                    best.placement, best.exact_score = pl, score
                best.solutions += cb.count
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
    if opts.evacuate and any(not b.online and b.tot for b in data.base):
        parts.append("offline nodes must be emptied")
    if stuck:
        parts.append(f"stuck: {', '.join(stuck[:5])}")
    return "; ".join(parts)


__all__ = ["CpsatOptions", "SolveResult", "solve", "exact_score"]
