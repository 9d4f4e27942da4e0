"""Large-neighbourhood search on top of CP-SAT: re-optimise a few nodes at a time.

Each iteration picks a few nodes, frees the instances on them (and a few random others), folds
every other instance into the node constants at the incumbent placement, and solves that small
model with the score re-linearised around the incumbent (so the surrogate is accurate where it
matters).  GB and moves are still counted from the original placement.  A result is kept when
hbal's exact score improves.  Seeded: the same seed gives the same neighbourhoods.
"""

from __future__ import annotations

import random
import time

from ortools.sat.python import cp_model

from planner.placement import apply_placement
from planner.planners.cpsat.constraints import add_all, build_vars, gb_cost
from planner.planners.cpsat.data import (
    ModelData,
    _steps,
    gb_between,
    make_candidates,
    node_bases,
)
from planner.planners.cpsat.objective import build_objective
from planner.state import GroupState, LoadOptions, load_group

Placement = dict[int, tuple[int, int]]
#: groups with at most this many online nodes offer every (primary, secondary) pair
ALL_PAIRS_UPTO = 8


def sub_data(orig: GroupState, inc: GroupState, free: list[int], focus: list[int]) -> ModelData:
    """The model data for the ``free`` instances, others fixed where ``inc`` has them.

    Candidates: the incumbent pair, the original pair, the failover, and hbal's move shapes from
    the incumbent toward the ``focus`` positions.
    """
    pos = {n.idx: p for p, n in enumerate(inc.nodes)}
    online = [p for p, n in enumerate(inc.nodes) if not n.offline]
    movable, cands, current = [], [], []
    for k in free:
        st, so = inc.instances[k], orig.instances[k]
        pc, sc = pos[st.pnode], pos[st.snode] if st.snode >= 0 else -1
        po, s_o = pos[so.pnode], pos[so.snode] if so.snode >= 0 else -1
        pairs = [(pc, sc), (po, s_o)]
        if sc >= 0 and len(online) <= ALL_PAIRS_UPTO:
            pairs += [(a, b) for a in online for b in online if a != b]
        elif sc < 0:
            pairs += [(t, -1) for t in focus if t != pc]
        else:
            pairs.append((sc, pc))
            for x in focus:
                if x not in (pc, sc):
                    pairs += [(pc, x), (x, pc), (sc, x), (x, sc)]
        movable.append(st)
        cands.append(make_candidates(orig.nodes, so, (po, s_o), pairs, online, {(pc, sc), (po, s_o)}, set()))
        current.append(0)
    return ModelData(inc, inc.nodes, pos, node_bases(inc, set(free)), movable, cands, current)


def _pick(inc: GroupState, rng: random.Random, size: int, movable: list[int]) -> tuple[list, list]:
    """A few nodes (one of them among the most loaded) and the instances on them."""
    online = [p for p, n in enumerate(inc.nodes) if not n.offline]
    by_load = sorted(online, key=lambda p: -(len(inc.nodes[p].plist) + len(inc.nodes[p].slist)))
    nodes = {rng.choice(by_load[: max(1, len(by_load) // 3)])}
    while len(nodes) < min(len(online), rng.choice((2, 3, 3, 4))):
        nodes.add(rng.choice(online))
    idx = {n.idx for p, n in enumerate(inc.nodes) if p in nodes}
    mov = set(movable)
    hits = [k for k in mov if inc.instances[k].pnode in idx or inc.instances[k].snode in idx]
    rng.shuffle(hits)
    free = hits[: size - size // 5]
    taken = set(free)
    rest = [k for k in movable if k not in taken]
    free += rng.sample(rest, min(len(rest), size // 5))
    focus = sorted(nodes | set(rng.sample(online, min(len(online), 4))))
    return sorted(free), focus


def _gb(orig: GroupState, pl: Placement) -> float:
    return sum(gb_between(orig.instances[k], orig.instances[k].pnode, orig.instances[k].snode, *pl[k]) for k in pl)


def lns(orig: GroupState, start: Placement, deadline: float, seed: int, workers: int, max_gb: float | None,
        max_moves: int | None, soft_n1: bool, score_of, on_improve=None,
        size: int = 40, target: float | None = None, sub_seconds: float = 1.5) -> tuple[Placement, float, int]:
    """Improve the placement ``start`` (all movable instances) until ``deadline``.

    Without ``target`` the score is minimised.  With ``target`` the GB copied is, keeping the
    exact score at most ``target`` (the sub-model keeps the surrogate below its value at the
    incumbent, shifted by the incumbent's slack to the target).
    """
    rng = random.Random(seed)
    best = dict(start)
    best_score = score_of(best)
    movable = sorted(best)
    cluster, group = orig.cluster, orig.group_uuid
    it = 0
    while time.perf_counter() < deadline - 0.3:
        it += 1
        inc = load_group(apply_placement(cluster, best), LoadOptions(group=group))
        free, focus = _pick(inc, rng, size, movable)
        if not free:
            break
        data = sub_data(orig, inc, free, focus)
        freed = set(free)
        fixed = {k: best[k] for k in movable if k not in freed}
        fixed_gb = _gb(orig, fixed)
        fixed_moves = sum(_steps(orig.instances[k].pnode, orig.instances[k].snode, *pl)[0] for k, pl in fixed.items())
        v = build_vars(data)
        add_all(data, v, None if max_gb is None else max_gb - fixed_gb,
                None if max_moves is None else max_moves - fixed_moves, soft_n1=soft_n1)
        obj, _ = build_objective(data, v, data.current, exact_sd=False)
        if target is None:
            v.model.minimize(obj)
        else:
            from planner.planners.cpsat.objective import UNIT
            from planner.planners.cpsat.solve import objective_at

            at_ref = objective_at(v, obj, data.current)
            if at_ref is None:
                continue
            v.model.add(obj <= int(at_ref + (target - best_score) * UNIT))
            v.model.minimize(gb_cost(data, v))
        for row in v.lits:
            for c, lit in enumerate(row):
                v.model.add_hint(lit, c == 0)
        s = cp_model.CpSolver()
        s.parameters.num_workers = workers
        s.parameters.random_seed = seed + it
        s.parameters.max_time_in_seconds = max(0.3, min(sub_seconds, deadline - time.perf_counter()))
        s.parameters.cp_model_presolve = False  # small models: presolve costs more than it saves
        s.parameters.linearization_level = 0
        if s.solve(v.model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        order = [n.idx for n in data.nodes]
        cand = dict(best)
        for k, row, cl in zip(free, v.lits, data.cands, strict=True):
            c = cl[next((j for j, lit in enumerate(row) if s.boolean_value(lit)), 0)]
            cand[k] = (order[c.p], order[c.s] if c.s >= 0 else -1)
        if cand == best:
            continue
        sc = score_of(cand)
        better = (sc < best_score - 1e-12 if target is None
                  else sc <= target + 1e-12 and _gb(orig, cand) < _gb(orig, best) - 1e-9)
        if better:
            best, best_score = cand, sc
            if on_improve:
                on_improve(sc)
    return best, best_score, it
