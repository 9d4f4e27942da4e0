"""Large-neighbourhood search on top of CP-SAT: re-optimise a few nodes at a time.

Each iteration picks a few nodes, frees the instances on them (and a few random others), folds
every other instance into the node constants at the incumbent placement, and solves that small
model with the score re-linearised around the incumbent (so the surrogate is accurate where it
matters).  GB and moves are still counted from the original placement.  A result is kept when
hbal's exact score improves.  After a few iterations without a gain (when asked), the
incumbent is tried with failover pairs and triangles (:mod:`planner.planners.failovers`), which
copy nothing and which the sub-models rarely find.  Seeded: the same seed gives the same
neighbourhoods.
"""

from __future__ import annotations

import random

from ortools.sat.python import cp_model

from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.domain.placement import apply_placement
from planner.domain.tolerance import GAIN_EPS, SCORE_EPS, improves
from planner.engine.load import reload_group
from planner.engine.reload import reload_moved
from planner.engine.score import compute_score
from planner.engine.state import GroupState
from planner.planners.cpsat.constraints import add_all, build_vars, gb_cost, hint_choice
from planner.planners.cpsat.data import (
    ModelData,
    gb_between,
    make_candidates,
    move_counts,
    node_bases,
)
from planner.planners.cpsat.kit import choice_of, found, objective_at, placement_of
from planner.planners.cpsat.objective import UNIT, build_objective
from planner.planners.cpsat.options import LnsOptions
from planner.planners.cpsat.timeline import GLOBAL_BIG, GLOBAL_SMALL

Placement = dict[int, tuple[int, int]]
#: groups with at most this many online nodes offer every (primary, secondary) pair
ALL_PAIRS_UPTO = 8
#: LNS iterations without a gain before the incumbent is tried with failover pairs and triangles
STALL = 3
#: bigger groups with at most this many online nodes use induced neighbourhoods (:func:`pick_induced`)
INDUCED_UPTO = 40
#: instances per induced neighbourhood (evacuate-medium at hbal's GB, eight seeds: mean 1.3680 with 8,
#: 1.3722 with 15, 1.3695 with 6; skewed-medium 0.82 × hbal's score instead of 0.835–0.863)
INDUCED_SIZE = 8
#: share of induced neighbourhoods drawn from a node that reserves memory for two instances of a peer
HOT_SHARE = 0.5


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


def is_small(data: ModelData) -> bool:
    """Whether the group is small enough that every (primary, secondary) pair is a candidate."""
    return sum(b.online for b in data.base) <= ALL_PAIRS_UPTO


def is_induced(data: ModelData, opts) -> bool:
    """Whether the balance LNS draws induced neighbourhoods: groups too big for every pair and
    with at most ``INDUCED_UPTO`` online nodes, unless ``opts.induced`` is off."""
    return opts.induced and ALL_PAIRS_UPTO < sum(b.online for b in data.base) <= INDUCED_UPTO


def lns_plan(data: ModelData, opts, small: bool | None = None) -> tuple[float, int, float]:
    """(global solve's share of the time, instances per LNS iteration, seconds per LNS sub-solve).

    Groups small enough for every (primary, secondary) pair gain most from the global solve (5–6
    nodes: 2.29 → 2.14 in 9 s), bigger ones hardly at all (20 nodes / 400 instances: 1.5194 →
    1.5175 in 9 s), so they leave the time to many small LNS iterations (skewed-medium at hbal's
    GB, three seeds: 0.93 / 0.97 / 0.93 × hbal's score with 30 %, 40 instances / 1.5 s; 0.90 /
    0.92 / 0.92 with 5 %, 15 instances / 0.5 s).
    """
    if small is None:  # by group size; ``small=True`` gives the small groups' plan to any group
        small = is_small(data)
    share = opts.global_share if opts.global_share is not None else (GLOBAL_SMALL if small else GLOBAL_BIG)
    size = opts.lns_size or (min(40, max(15, len(data.movable) // 4)) if small else 15)
    sub_s = opts.lns_seconds or (1.5 if small else 0.5)
    return share, size, sub_s


def _pick(inc: GroupState, rng: random.Random, size: int, movable: list[int],
          moved: list[int] | None = None) -> tuple[list, list]:
    """A few nodes (one of them among the most loaded) and the instances on them, plus a fifth
    drawn from ``moved`` when given (under a GB budget: instances whose copies can be given back)."""
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
    rest = [k for k in (moved or movable) if k not in taken]
    free += rng.sample(rest, min(len(rest), size // 5))
    focus = sorted(nodes | set(rng.sample(online, min(len(online), 4))))
    return sorted(free), focus


def is_hot(inc: GroupState, p: int) -> bool:
    """Whether node ``p`` reserves more memory than its largest secondary needs (a peer holds two)."""
    n = inc.nodes[p]
    return n.r_mem > max((inc.instances[k].inst.mem for k in n.slist), default=0)


def pick_induced(inc: GroupState, rng: random.Random, size: int, movable: list[int]) -> tuple[list, list]:
    """Nodes drawn at random (the first, ``HOT_SHARE`` of the time, one of the :func:`is_hot` nodes)
    until about ``size`` instances have both their nodes among them (or one offline), and those
    instances: every failover cycle among these nodes is open at once, which :func:`_pick`'s
    instances around a few nodes rarely give (evacuate-medium at hbal's GB: mean 1.3680 over eight
    seeds with 8 instances, 1.3722 over ten with 15, against 1.3812 over six with _pick; starting
    from a hot node half the time, 1.3667 over fourteen seeds instead of 1.3685)."""
    on_idx = {n.idx for n in inc.nodes if not n.offline}
    online = [p for p, n in enumerate(inc.nodes) if not n.offline]
    rng.shuffle(online)
    if rng.random() < HOT_SHARE:
        hot = [p for p in online if is_hot(inc, p)]
        if hot:
            first = rng.choice(hot)
            online.remove(first)
            online.insert(0, first)
    nodes: set[int] = set()
    free: list[int] = []
    for p in online:
        nodes.add(inc.nodes[p].idx)
        free = [k for k in movable if all(x in nodes or x not in on_idx
                                          for x in (inc.instances[k].pnode, inc.instances[k].snode))]
        if len(free) >= size:
            break
    if len(free) > 2 * size:
        free = rng.sample(free, 2 * size)
    return sorted(free), sorted(p for p, n in enumerate(inc.nodes) if n.idx in nodes)


def gb_moved(orig: GroupState, pl: Placement) -> float:
    return sum(gb_between(orig.instances[k], orig.instances[k].pnode, orig.instances[k].snode, *pl[k]) for k in pl)


def _failover_cycles(orig: GroupState, best: Placement, score: float, inc: GroupState, deadline: float):
    """The incumbent improved by failover pairs and triangles (0 GB): (placement, score, state),
    or the incumbent itself."""
    from planner.planners.failovers import failover_pairs

    if not failover_pairs(inc, deadline):  # moves ``inc`` along when it finds some
        return best, score, inc
    cand = {k: (inc.instances[k].pnode, inc.instances[k].snode) for k in best}
    st = reload_group(orig, apply_placement(orig.cluster, cand))
    sc = compute_score(st.nodes)
    if improves(sc, score):
        return cand, sc, st
    return best, score, reload_group(orig, apply_placement(orig.cluster, best))


def _sub_model(orig: GroupState, inc: GroupState, best: Placement, free: list[int], focus: list[int],
               budgets: tuple, target: float | None, best_score: float):
    """The sub-model of one neighbourhood: (data, vars), or None when it has no start."""
    max_gb, max_moves, soft_n1 = budgets
    data = sub_data(orig, inc, free, focus)
    freed = set(free)
    fixed = {k: pl for k, pl in best.items() if k not in freed}
    fixed_moves = sum(move_counts(orig.instances[k].pnode, orig.instances[k].snode, *pl)[0] for k, pl in fixed.items())
    v = build_vars(data)
    add_all(data, v, None if max_gb is None else max_gb - gb_moved(orig, fixed),
            None if max_moves is None else max_moves - fixed_moves, soft_n1=soft_n1)
    obj, _ = build_objective(data, v, data.current, exact_sd=False)
    if target is None:
        v.model.minimize(obj)
    else:
        at_ref = objective_at(v, obj, data.current)
        if at_ref is None:
            return None
        v.model.add(obj <= int(at_ref + (target - best_score) * UNIT))
        v.model.minimize(gb_cost(data, v))
    hint_choice(v, data.current)
    return data, v


def _sub_solve(built, seed: int, seconds: float, workers: int) -> Placement | None:
    """Solve a sub-model: freed instance → chosen (primary, secondary) node indices, or None."""
    data, v = built
    s = cp_model.CpSolver()
    time.limit(s.parameters, seconds, workers)
    s.parameters.random_seed = seed
    s.parameters.cp_model_presolve = False  # small models: presolve costs more than it saves
    s.parameters.linearization_level = 0
    if not found(time.solve(s, v.model)):
        return None
    return placement_of(data, choice_of(data, v, s))


def lns(orig: GroupState, start: Placement, deadline: float, lo: LnsOptions,
        on_improve=None) -> tuple[Placement, float, int]:
    """Improve the placement ``start`` (all movable instances) until ``deadline``.

    Without ``lo.target`` the score is minimised.  With it the GB copied is, keeping the
    exact score at most ``lo.target`` (the sub-model keeps the surrogate below its value at the
    incumbent, shifted by the incumbent's slack to the target).  With ``lo.cycles``, failover pairs
    and triangles are tried on the incumbent after ``STALL`` iterations without a gain.  With
    ``lo.induced``, the neighbourhoods are :func:`pick_induced`'s, else :func:`_pick`'s.  Returns
    (placement, exact score, iterations).
    """
    seed, size, target, cycles = lo.seed, lo.size, lo.target, lo.cycles
    rng = random.Random(seed)
    best = dict(start)
    inc = reload_group(orig, apply_placement(orig.cluster, best))  # the incumbent, loaded: rebuilt only when it changes
    best_score = compute_score(inc.nodes)
    movable = sorted(best)
    budgeted = lo.max_gb is not None or target is not None
    it = stall = 0
    cycles_tried = not cycles
    while time.perf_counter() < deadline - 0.3:
        it += 1
        if not cycles_tried and stall >= STALL:  # zero-copy failover cycles from the incumbent
            cycles_tried = True
            cand, sc, inc = _failover_cycles(orig, best, best_score, inc,
                                             min(deadline - 0.3, time.perf_counter() + 2.0))
            if improves(sc, best_score):
                best, best_score, stall = cand, sc, 0
                if on_improve:
                    on_improve(sc)
        stall += 1
        if lo.induced:
            free, focus = pick_induced(inc, rng, size, movable)
        else:  # under a budget or target, a fifth of the freed instances hold copies to give back
            moved = [k for k in movable if best[k] != (orig.instances[k].pnode, orig.instances[k].snode)]
            free, focus = _pick(inc, rng, size, movable, moved if budgeted else None)
        if not free:
            break
        built = _sub_model(orig, inc, best, free, focus, (lo.max_gb, lo.max_moves, lo.soft_n1), target, best_score)
        seconds = max(0.3, min(lo.sub_seconds, deadline - time.perf_counter()))
        chosen = None if built is None else _sub_solve(built, seed + it, seconds, lo.workers)
        if chosen is None:
            continue
        delta = {k: pl for k, pl in chosen.items() if pl != best[k]}
        if not delta:
            continue
        cand = {**best, **delta}
        st = reload_moved(inc, apply_placement(inc.cluster, delta), delta)  # the touched nodes, loaded again
        sc = compute_score(st.nodes)  # hbal's exact score of the candidate
        better = (improves(sc, best_score) if target is None
                  else sc <= target + SCORE_EPS and gb_moved(orig, cand) < gb_moved(orig, best) - GAIN_EPS)
        if better:
            best, best_score, inc, stall, cycles_tried = cand, sc, st, 0, not cycles
            if on_improve:
                on_improve(sc)
    return best, best_score, it
