"""Failover pairs and triangles: zero-copy compound moves a single-move greedy cannot make.

Instance A runs on u with its secondary on v, instance B on v with its secondary on u.  Failing
over both keeps every node's primary and replica counts (so the count terms of hbal's score, the
largest part once they sit at their integer floor, do not move) but trades their memory, vCPUs
and reserved-memory peers between u and v.  Three instances around three nodes (u→v, v→w, w→u)
do the same.  A single failover breaks the count floor, so hbal's greedy never takes one there;
these copy nothing (``gnt-instance migrate``/``failover`` only).

Each is checked as hbal ``f`` moves, each from the state the one before leaves, and taken only
when hbal's exact score falls.  Each pass scores every candidate, then takes them best first,
each re-checked on the state reached, none sharing a node with one taken before in the pass; the
next pass scores only those on the nodes it changed, and a full pass confirms when none is left.

>>> from planner.api import load, group_state
>>> gs = group_state(load("tests/data/n1quirk.data"))
>>> failover_pairs(gs, float("inf"))
[]
"""

from __future__ import annotations

import time
from collections import defaultdict

from planner.moves import apply_move
from planner.plan import Step
from planner.planners.fastscore import Scorer, take_moves
from planner.state import GroupState

#: triangles by default up to this many online nodes (200 nodes: 11 075 of them against 507 pairs)
TRIANGLES_UPTO = 40


def _cycles(gs: GroupState, nodes: dict, triangles: bool) -> list[tuple]:
    """Movable DRBD instances whose failovers together keep every primary count: two on the same
    two online nodes opposite ways (u→v, v→u), and with ``triangles`` three around three nodes
    (u→v, v→w, w→u)."""
    by: dict[tuple[int, int], list] = defaultdict(list)
    for k in gs.group_instances:
        st = gs.instances[k]
        if (st.movable and st.inst.auto_balance and st.inst.disk_template == "drbd" and st.snode in nodes
                and not nodes[st.pnode].offline and not nodes[st.snode].offline):
            by[(st.pnode, st.snode)].append(st)
    out: list[tuple] = [(a, b) for (u, v), group in by.items() if u < v for a in group for b in by.get((v, u), ())]
    if triangles:
        succ: dict[int, list[int]] = defaultdict(list)
        for u, v in by:
            succ[u].append(v)
        for (u, v), g1 in by.items():
            for w in succ[v]:
                if u < v and u < w and w != u and (w, u) in by:  # each cycle once, from its lowest node
                    out += [(a, b, c) for a in g1 for b in by[(v, w)] for c in by[(w, u)]]
    return out


def _try(nodes: dict, scorer: Scorer, score: float, cycle: tuple):
    """The failovers as hbal moves, each from the state the one before leaves, if they lower the
    exact score: (moves, changed, score) or None."""
    moves, changed = [], {}
    for st in cycle:
        res = apply_move({**nodes, **changed}, st, "f", st.snode)
        if isinstance(res, str):
            return None
        moves.append((st, res))
        changed.update(res.nodes)
    new = scorer.score_with(changed)
    return (moves, changed, new) if new < score - 1e-9 else None


def failover_pairs(gs: GroupState, deadline: float, on_step=None, triangles: bool | None = None) -> list[Step]:
    """Improve ``gs`` in place with failover pairs (and triangles: by default up to
    ``TRIANGLES_UPTO`` online nodes) until ``deadline`` or none lowers the score."""
    if triangles is None:
        triangles = sum(not n.offline for n in gs.nodes) <= TRIANGLES_UPTO
    nodes = {n.idx: n for n in gs.nodes}
    scorer = Scorer(gs.nodes)
    score = scorer.score_with({})
    steps: list[Step] = []
    dirty: set[int] | None = None  # nodes changed by the last pass (None: check every candidate)
    while time.perf_counter() < deadline:
        found = []
        for cyc in _cycles(gs, nodes, triangles):
            if dirty is not None and not any(st.pnode in dirty or st.snode in dirty for st in cyc):
                continue  # no gain on the last pass and none of its nodes changed since
            got = _try(nodes, scorer, score, cyc)
            if got:
                found.append((got[2], cyc))
            if time.perf_counter() > deadline:
                break
        used: set[int] = set()  # nodes changed in this pass: pairs on them are re-checked next pass
        for _, cyc in sorted(found, key=lambda f: f[0]):
            if any(st.pnode in used for st in cyc):
                continue
            got = _try(nodes, scorer, score, cyc)  # on the state the pass has reached
            if not got:
                continue
            moves, changed, score = got
            take_moves(gs, nodes, scorer, moves, steps, on_step)
            used |= set(changed)
        if not used and dirty is None:
            break
        dirty = used or None  # nothing on the changed nodes: one full pass to confirm
    gs.put_nodes(nodes)
    return steps
