"""The shared kit of the CP-SAT phases: solvers, callbacks, reading a choice, hints, exact scores.

Every phase (global solve, levels, LNS, target, probe) builds its model with constraints.py and
objective.py and uses these helpers; none of them imports another phase.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.engine.load import reload_group
from planner.engine.score import compute_score
from planner.engine.state import GroupState
from planner.planners.cpsat.constraints import Vars, add_all, build_vars, gb_cost, hint_choice
from planner.planners.cpsat.data import ModelData, build_data
from planner.planners.cpsat.objective import build_objective
from planner.planners.cpsat.options import LNS_ONLY_FROM, PRESOLVE_LIMIT, CpsatOptions

#: the CP-SAT statuses that come with a solution
SOLVED = frozenset({cp_model.OPTIMAL, cp_model.FEASIBLE})


def found(status) -> bool:
    """Whether a CP-SAT solve ended with a solution (optimal or feasible).

    >>> found(cp_model.FEASIBLE), found(cp_model.INFEASIBLE), found(cp_model.UNKNOWN)
    (True, False, False)
    """
    return status in SOLVED


class IncumbentCallback(cp_model.CpSolverSolutionCallback):
    def __init__(self, phase: str, t0: float, fn) -> None:
        super().__init__()
        self.phase, self.t0, self.fn, self.count = phase, t0, fn, 0

    def on_solution_callback(self) -> None:
        self.count += 1
        if self.fn:
            self.fn(self.phase, time.perf_counter() - self.t0, self.objective_value, self.best_objective_bound)


def choice_of(data: ModelData, v: Vars, solver: cp_model.CpSolver) -> list[int]:
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
    from planner.domain.placement import apply_placement

    c = apply_placement(gs.cluster, placement)
    return compute_score(reload_group(gs, c).nodes)


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
    time.limit(s.parameters, seconds, 1)
    s.parameters.stop_after_first_solution = True
    if not found(time.solve(s, m2)):
        return None
    return [s.value(m2.get_int_var_from_proto_index(k)) for k in range(len(m2.proto.variables))]


def objective_at(v: Vars, obj, choice: list[int]) -> float | None:
    """The value of ``obj`` (model units) at the candidates ``choice``, or None if infeasible."""
    m2 = v.model.clone()
    for row, c in zip(v.lits, choice, strict=True):
        m2.add(m2.get_bool_var_from_proto_index(row[c].index) == 1)
    m2.minimize(obj)
    s = cp_model.CpSolver()
    time.limit(s.parameters, 10, 1)
    if not found(time.solve(s, m2)):
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


def make_solver(opts: CpsatOptions, seconds: float, size: int = 0, search: bool = False) -> cp_model.CpSolver:
    """A seeded, time-limited solver; presolve is skipped on big models (it can take the whole limit).

    With ``search`` (and ``opts.lns_only``) on models of ``LNS_ONLY_FROM`` literals or more, both
    workers run CP-SAT's own LNS from the hint and none works on the bound: on
    new-node-small-6n's 2 100-literal model at hbal's GB, 8 s solves over 7 seeds end at 2.053–2.136
    (mean 2.098) instead of 2.081–2.191 (mean 2.127).  Small models keep the default, which proves
    optimality."""
    s = cp_model.CpSolver()
    s.parameters.cp_model_presolve = size < PRESOLVE_LIMIT
    s.parameters.random_seed = opts.seed
    time.limit(s.parameters, max(0.5, seconds), opts.workers)
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
    time.limit(fixed.parameters, float("inf"), 1)  # every choice fixed: no limit
    for k, value in enumerate(full):
        v.model.add_hint(v.model.get_int_var_from_proto_index(k), value)
    m2 = v.model.clone()
    for row, c in zip(v.lits, choice, strict=True):
        m2.add(m2.get_bool_var_from_proto_index(row[c].index) == 1)
    if not found(time.solve(fixed, m2)):
        return None
    val = fixed.objective_value
    v.model.add(obj <= int(val * (1 + opts.tolerance)) + 1)
    v.model.minimize(gb_cost(data, v))
    solver = make_solver(opts, seconds - (time.perf_counter() - t0), sum(map(len, v.lits)))
    stop["solver"] = solver
    cb = IncumbentCallback("fewest GB", stop["t0"], opts.on_solution)
    status = time.solve(solver, v.model, cb)
    info = {"phase": "fewest GB", "status": solver.status_name(status), "solutions": cb.count,
            "wall_s": solver.wall_time}
    if not found(status):
        return None
    return choice_of(data, v, solver), info


def choice_for(data: ModelData, placement: dict[int, tuple[int, int]]) -> list[int]:
    """Candidate indices of a placement (cluster node indices) in ``data``."""
    out = []
    for k, st in enumerate(data.movable):
        p, s = placement.get(st.idx, (st.pnode, st.snode))
        want = (data.pos[p], data.pos[s] if s >= 0 else -1)
        out.append(next((c for c, cand in enumerate(data.cands[k]) if (cand.p, cand.s) == want), data.current[k]))
    return out


def reference_choice(data: ModelData, opts: CpsatOptions) -> list[int]:
    ref = list(data.current)
    if opts.hint:
        for k, st in enumerate(data.movable):
            if st.idx in opts.hint:
                hp, hs = opts.hint[st.idx]
                want = (data.pos[hp], data.pos[hs] if hs >= 0 else -1)
                ref[k] = next((c for c, cand in enumerate(data.cands[k]) if (cand.p, cand.s) == want), ref[k])
    return ref
