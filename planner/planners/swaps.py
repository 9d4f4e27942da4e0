"""Secondary swaps: the compound move a single-move greedy cannot make.

Instances A (primary pA, secondary sA) and B (pB, sB) exchange secondaries: A goes to sB, B to sA.
Primary and secondary counts stay the same, so the count terms of the score do not move; what
moves is each node's reserved memory (``r_mem`` = the largest sum of secondary memory for one
peer primary), the largest term left on big clusters after a greedy stalls: swapping sorts the
secondaries by memory size so that few nodes carry the big ones.

Every swap is screened in numpy (the change of Σ r_mem/t_mem, from each node's top three peer
sums), and the best few are checked exactly as two hbal ``r`` moves, in either order, with
hbal's own primitives; a swap is taken only when hbal's exact score falls.
"""

from __future__ import annotations

import numpy as np

from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.domain.plan import Step
from planner.domain.tolerance import GAIN_EPS
from planner.engine.fastscore import Scorer, take_moves
from planner.engine.moves import apply_move
from planner.engine.state import GroupState, NodeState

CHECK = 30  #: exactly checked candidates per instance
MAX_MOVERS = 8  #: secondaries a node may swap away at once to lower its reserved memory


def _arrays(gs: GroupState, nodes: dict[int, NodeState], pos: dict[int, int]):
    sts = [gs.instances[k] for k in gs.group_instances]
    sts = [st for st in sts if st.movable and st.inst.auto_balance and st.inst.disk_template == "drbd"
           and st.snode in pos and not nodes[st.pnode].offline and not nodes[st.snode].offline]
    p = np.array([pos[st.pnode] for st in sts], dtype=int)
    s = np.array([pos[st.snode] for st in sts], dtype=int)
    m = np.array([st.inst.mem if st.inst.uses_sec_mem else 0 for st in sts], dtype=float)
    return sts, p, s, m


def _peer_matrix(order: list[int], nodes: dict[int, NodeState], pos: dict[int, int]):
    n = len(order)
    mat = np.zeros((n, n))
    for r, k in enumerate(order):
        for peer, mem in nodes[k].peers.items():
            if peer in pos:
                mat[r, pos[peer]] = mem
    top = np.argsort(-mat, axis=1)[:, :3]
    return mat, top, np.take_along_axis(mat, top, axis=1)


def _max_without(top, topv, rows, a, b):
    """Per row, the largest peer sum whose peer is neither ``a`` nor ``b`` (top three suffice)."""
    out = np.zeros(len(rows))
    done = np.zeros(len(rows), dtype=bool)
    for j in range(top.shape[1]):
        idx, val = top[rows, j], topv[rows, j]
        take = ~done & (idx != a) & (idx != b)
        out[take] = val[take]
        done |= take
    return out


def screen_swaps(i: int, p, s, m, mat, top, topv, tmem) -> np.ndarray:
    """Change of Σ r_mem/t_mem if instance ``i`` swaps secondaries with each other instance."""
    pa, sa, ma = p[i], s[i], m[i]
    same = p == pa
    ra, rb = topv[sa, 0], topv[s, 0]  # each row's largest peer sum
    # node sa: loses A (peer pa), gains B (peer pb); its largest other peer sum, peer pb excluded
    rest = [(int(t), float(v)) for t, v in zip(top[sa], topv[sa], strict=True) if t != pa] + [(-1, 0.0)] * 2
    excl_a = np.where(p == rest[0][0], rest[1][1], rest[0][1])
    new_a = np.maximum.reduce([excl_a, np.where(same, mat[sa, pa] - ma + m, mat[sa, pa] - ma),
                               np.where(same, 0.0, mat[sa, p] + m)])
    # node sb: loses B (peer pb), gains A (peer pa)
    excl_b = _max_without(top, topv, s, pa, p)
    new_b = np.maximum.reduce([excl_b, np.where(same, mat[s, p] - m + ma, mat[s, p] - m),
                               np.where(same, 0.0, mat[s, pa] + ma)])
    delta = (new_a - ra) / tmem[sa] + (new_b - rb) / tmem[s]
    bad = (s == sa) | (p == sa) | (s == pa) | (np.arange(len(p)) == i)
    return np.where(bad, np.inf, delta)


def _best(delta: np.ndarray) -> np.ndarray:
    """Indices of the ``CHECK`` lowest values, lowest first (ties by index)."""
    if len(delta) <= CHECK:
        return np.argsort(delta, kind="stable")
    part = np.argpartition(delta, CHECK)[:CHECK]
    return part[np.lexsort((part, delta[part]))]


def swap_search(gs: GroupState, deadline: float, on_step=None) -> list[Step]:
    """Improve ``gs`` in place with secondary swaps until ``deadline`` or a pass finds none."""
    nodes = {n.idx: n for n in gs.nodes}
    order = [n.idx for n in gs.nodes]
    pos = {k: r for r, k in enumerate(order)}
    tmem = np.array([max(1.0, float(nodes[k].t_mem)) for k in order])
    scorer = Scorer(gs.nodes)
    score = scorer.score_with({})
    steps: list[Step] = []
    improved = True

    def commit(found) -> None:
        nonlocal score
        moves, _changed, new = found
        take_moves(gs, nodes, scorer, moves, steps, on_step)
        score = new

    while improved and time.perf_counter() < deadline:
        improved = False
        sts, p, s, m = _arrays(gs, nodes, pos)
        if len(sts) < 2 or len(order) < 3:
            break
        mat, top, topv = _peer_matrix(order, nodes, pos)
        rmax = mat.max(axis=1)
        heavy = np.flatnonzero((mat[s, p] >= rmax[s] - GAIN_EPS) & (m > 0))  # A sets its secondary's r_mem
        used: set[int] = set()  # secondary nodes changed in this pass: their rows are stale
        for i in heavy[np.argsort(-m[heavy], kind="stable")]:
            if time.perf_counter() > deadline:
                break
            if s[i] in used:
                continue
            delta = screen_swaps(i, p, s, m, mat, top, topv, tmem)
            for j in _best(delta):
                if not delta[j] < -GAIN_EPS:
                    break
                if s[j] in used:
                    continue
                found = _try(nodes, scorer, score, sts[i], sts[j], order[s[j]], order[s[i]])
                if found:
                    commit(found)
                    used |= {int(s[i]), int(s[j])}
                    improved = True
                    break
        for x in np.argsort(-rmax / tmem, kind="stable"):  # no single swap helps: empty a node of its big ones
            if improved or time.perf_counter() > deadline:
                break
            found = _relieve(int(x), sts, (p, s, m), (mat, top, topv, tmem), nodes, order, scorer, score)
            if found:
                commit(found)
                improved = True
    gs.put_nodes(nodes)
    return steps


def _relieve(x: int, sts, inst, grid, nodes, order, scorer: Scorer, score: float):
    """Swap every secondary of a big peer group on node ``x`` with small ones elsewhere, so that
    ``x``'s reserved memory falls: a compound no single swap reaches (each leaves the max)."""
    p, s, m = inst
    mat, top, topv, tmem = grid
    sums = mat[x]
    lower = sums[sums < sums.max() - GAIN_EPS]
    level = lower.max() if len(lower) else 0.0  # the next reserved memory down
    movers = []
    for peer in np.flatnonzero(sums > level + GAIN_EPS):  # biggest first until the group is at the level
        group = sorted(np.flatnonzero((s == x) & (p == peer) & (m > 0)), key=lambda k: -m[k])
        left = sums[peer]
        for i in group:
            if left <= level + GAIN_EPS:
                break
            movers.append(i)
            left -= m[i]
    if not movers or len(movers) > MAX_MOVERS:
        return None
    trial: dict = {}
    moves, used, taken = [], {x}, set(movers)
    for i in sorted(movers, key=lambda k: -m[k]):
        delta = screen_swaps(i, p, s, m, mat, top, topv, tmem)
        for j in _best(delta):
            if not np.isfinite(delta[j]) or s[j] in used or j in taken:
                continue
            got = _pair({**nodes, **trial}, sts[i], sts[j], order[s[j]], order[x])
            if got is None:
                continue
            for _st, res in got:
                trial.update(res.nodes)
            moves += got
            used.add(s[j])
            taken.add(j)
            break
        else:
            return None
    new = scorer.score_with(trial)
    return (moves, trial, new) if new < score - GAIN_EPS else None


def _pair(nodes, a, b, to_a: int, to_b: int):
    """Both ``r`` moves of a swap (A first, else B first), each an hbal move from the state it
    is applied to: [(instance, result), …] in order, or None."""
    for first, t1, second, t2 in ((a, to_a, b, to_b), (b, to_b, a, to_a)):
        r1 = apply_move(nodes, first, "r", t1)
        if isinstance(r1, str):
            continue
        r2 = apply_move({**nodes, **r1.nodes}, second, "r", t2)
        if not isinstance(r2, str):
            return [(first, r1), (second, r2)]
    return None


def _try(nodes, scorer: Scorer, score: float, a, b, to_a: int, to_b: int):
    """A swap whose two moves are hbal moves and that lowers hbal's exact score:
    (moves, changed, score), or None."""
    got = _pair(nodes, a, b, to_a, to_b)
    if got is None:
        return None
    changed = {**got[0][1].nodes, **got[1][1].nodes}
    new = scorer.score_with(changed)
    return (got, changed, new) if new < score - GAIN_EPS else None
