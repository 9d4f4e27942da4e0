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
Where the vectorised model covers the group, every cycle is scored in numpy (error ~1e-12) and
only those that may lower the score are checked exactly, when taken: the same steps as checking
each exactly, from the loaded evacuate-medium in 0.13 s instead of 5.8 (pairs and triangles).

>>> from planner.api import load, group_state
>>> gs = group_state(load("tests/data/n1quirk.data"))
>>> failover_pairs(gs, float("inf"))
[]
"""

from __future__ import annotations

from collections import defaultdict
from itertools import product

import numpy as np

from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.domain.plan import Step
from planner.domain.tolerance import GAIN_EPS
from planner.engine.fastscore import Scorer, take_moves
from planner.engine.moves import MoveOptions, apply_move
from planner.engine.state import GroupState
from planner.engine.vector import StepEvaluator, supported
from planner.planners.greedy import TOLERANCE

#: triangles by default up to this many online nodes (200 nodes: 11 075 of them against 507 pairs)
TRIANGLES_UPTO = 40
#: cycles of four by default up to this many online nodes (20 nodes / 400 instances: 28 000 of them)
QUADS_UPTO = 24


def _node_cycles(succ: dict[int, list[int]], longest: int) -> list[tuple[int, ...]]:
    """Directed cycles of 3 to ``longest`` distinct nodes along ``succ``, each once (from its lowest
    node).

    >>> _node_cycles({1: [2], 2: [3, 1], 3: [1, 4], 4: [1]}, 4)
    [(1, 2, 3), (1, 2, 3, 4)]
    """
    out: list[tuple[int, ...]] = []

    def walk(path: tuple[int, ...]) -> None:
        for w in succ.get(path[-1], ()):
            if w == path[0] and len(path) >= 3:
                out.append(path)
            elif w > path[0] and w not in path and len(path) < longest:
                walk((*path, w))

    for u in sorted(succ):
        walk((u,))
    return out


def failover_cycles(gs: GroupState, nodes: dict, triangles: bool, quads: bool = False,
            only: set[int] | None = None) -> list[tuple]:
    """Movable DRBD instances whose failovers together keep every primary count: two on the same
    two online nodes opposite ways (u→v, v→u), with ``triangles`` three around three nodes
    (u→v, v→w, w→u), with ``quads`` also four around four; with ``only``, those through one of
    these nodes."""
    by: dict[tuple[int, int], list] = defaultdict(list)
    for k in gs.group_instances:
        st = gs.instances[k]
        if (st.movable and st.inst.auto_balance and st.inst.disk_template == "drbd" and st.snode in nodes
                and not nodes[st.pnode].offline and not nodes[st.snode].offline):
            by[(st.pnode, st.snode)].append(st)
    out: list[tuple] = [(a, b) for (u, v), group in by.items() if u < v and (only is None or {u, v} & only)
                        for a in group for b in by.get((v, u), ())]
    if triangles or quads:
        succ: dict[int, list[int]] = defaultdict(list)
        for u, v in by:
            succ[u].append(v)
        for ring in _node_cycles(succ, 4 if quads else 3):
            if only is not None and not only.intersection(ring):
                continue
            out += product(*(by[(u, ring[(j + 1) % len(ring)])] for j, u in enumerate(ring)))
    return out


def _fields(sts: list) -> dict:
    """The instance fields a failover moves, as arrays over ``sts``."""
    col = lambda f: np.array([f(st) for st in sts], dtype=float)  # noqa: E731
    out = {"mem": col(lambda s: s.inst.mem if s.inst.uses_memory else 0), "memf": col(lambda s: s.inst.mem),
           "need": col(lambda s: s.inst.mem if s.inst.uses_sec_mem else 0),
           "cpu": col(lambda s: s.inst.vcpus if s.inst.not_offline else 0)}
    for k in (0, 1, 3):
        out[f"l{k}"] = col(lambda s, k=k: s.util[k])
    return out


def approx_scores(gs: GroupState, nodes: dict, cycles: list[tuple]):
    """Approximate scores (numpy, error ~1e-12) of each cycle's failovers taken together, for groups
    the vectorised model covers (:func:`planner.engine.vector.supported`).

    Around a cycle each node n_j gives up the primary of X_j (u→v: it keeps its secondary, with
    peer n_j+1) and takes the primary of X_j−1 (whose secondary, with peer n_j−1, it gave up).
    Disk, spindles, disk load and the counts do not move; memory, vCPUs, the other loads and the
    peer loads (hence reserved memory and N+1) do.
    """
    ev = StepEvaluator(gs, nodes, MoveOptions(), [])
    out = np.full(len(cycles), np.inf)
    sts = list({st.idx: st for c in cycles for st in c}.values())
    fields, row_of = _fields(sts), {st.idx: r for r, st in enumerate(sts)}
    at_of = np.array([ev.pos[st.pnode] for st in sts])
    for size in sorted({len(c) for c in cycles}):
        rows = [r for r, c in enumerate(cycles) if len(c) == size]
        ids = [np.array([row_of[cycles[r][j].idx] for r in rows]) for j in range(size)]
        x = [{k: a[i] for k, a in fields.items()} for i in ids]
        at = [at_of[i] for i in ids]
        rows_at = np.arange(len(rows))
        touched = []
        for j in range(size):
            a, c = x[j], x[j - 1]  # out: X_j; in: X_j-1
            old = ev.state(at[j])
            new = dict(old)
            new["unalloc"] = old["unalloc"] + a["mem"] - c["mem"]
            new["fmemf"] = old["fmemf"] + a["memf"] - c["memf"]
            new["ucpu"] = old["ucpu"] - a["cpu"] + c["cpu"]
            for k in ("l0", "l1", "l3"):
                new[k] = old[k] - a[k] + c[k]
            peers = ev.nd.peers[at[j]].copy()
            peers[rows_at, at[(j + 1) % size]] += a["need"]
            peers[rows_at, at[j - 1]] -= c["need"]
            new["rmem"] = np.maximum(peers, 0.0).max(axis=1)
            new["fail"] = new["unalloc"] <= new["rmem"]
            touched.append((old, new))
        out[rows] = ev.score(touched)
    return out


def try_cycle(nodes: dict, scorer: Scorer, score: float, cycle: tuple):
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
    return (moves, changed, new) if new < score - GAIN_EPS else None


def failover_pairs(gs: GroupState, deadline: float, on_step=None, triangles: bool | None = None,
                   quads: bool | None = None) -> list[Step]:
    """Improve ``gs`` in place with failover pairs (and triangles, and cycles of four: by default up
    to ``TRIANGLES_UPTO`` and ``QUADS_UPTO`` online nodes) until ``deadline`` or none lowers the score."""
    online = sum(not n.offline for n in gs.nodes)
    vector = supported(gs)  # cycles scored in numpy first (cycles of four only then, by default)
    triangles = online <= TRIANGLES_UPTO if triangles is None else triangles
    quads = triangles and online <= QUADS_UPTO and vector if quads is None else quads
    nodes = {n.idx: n for n in gs.nodes}
    scorer = Scorer(gs.nodes)
    score = scorer.score_with({})
    steps: list[Step] = []
    dirty: set[int] | None = None  # nodes changed by the last pass (None: check every candidate)
    while time.perf_counter() < deadline:
        cycles = failover_cycles(gs, nodes, triangles, quads, dirty)  # none changed since a pass without gain: skip
        if vector:  # scored in numpy; the loop below checks each exactly before taking it
            approx = approx_scores(gs, nodes, cycles)
            found = [(a, cyc) for a, cyc in zip(approx.tolist(), cycles, strict=True)
                     if a < score - GAIN_EPS + TOLERANCE]
        else:
            found = []
            for cyc in cycles:
                got = try_cycle(nodes, scorer, score, cyc)
                if got:
                    found.append((got[2], cyc))
                if time.perf_counter() > deadline:
                    break
        used: set[int] = set()  # nodes changed in this pass: pairs on them are re-checked next pass
        for _, cyc in sorted(found, key=lambda f: f[0]):
            if any(st.pnode in used for st in cyc):
                continue
            got = try_cycle(nodes, scorer, score, cyc)  # on the state the pass has reached
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
