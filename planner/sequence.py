"""From a target placement to an ordered list of safe hbal moves.

Each instance's change (old primary/secondary → new) is decomposed into hbal moves (``f``, ``r``,
``rf``, ``fr``, ``frf``; two moves when both nodes change).  Moves are then applied one at a time
with hbal's own node primitives (every hard check, and the soft ones: no new N+1 failure, vCPU
and spindle ratios): a move is only taken when it is safe from the current state.  Instances that
cannot move safely in any order are reported, never forced.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from planner.moves import apply_move, step_of
from planner.plan import Step
from planner.planners.fastscore import Scorer
from planner.state import GroupState, InstState, NodeState


def decompose(p0: int, s0: int, p: int, s: int) -> list[list[tuple[str, int]]]:
    """Ways to go from (p0, s0) to (p, s) with hbal moves, cheapest first; each a list of
    (kind, target).

    >>> decompose(1, 2, 2, 1)
    [[('f', -1)]]
    >>> decompose(1, 2, 3, 4)
    [[('r', 4), ('frf', 3)], [('r', 3), ('rf', 4), ('f', -1)]]
    """
    if (p, s) == (p0, s0):
        return [[]]
    if s0 < 0:  # external mirror: fail over to any node
        return [[("fa", p)]]
    if (p, s) == (s0, p0):
        return [[("f", -1)]]
    if p == p0:
        return [[("r", s)]]
    if s == p0:
        return [[("rf", p)]]
    if p == s0:
        return [[("fr", s)]]
    if s == s0:
        return [[("frf", p)], [("f", -1), ("fr", p), ("f", -1)]]
    return [[("r", s), ("frf", p)], [("r", p), ("rf", s), ("f", -1)]]


@dataclass
class SequenceResult:
    steps: list[Step]
    final_score: float
    stuck: dict[str, str] = field(default_factory=dict)  #: instance → why it could not move
    nodes: dict[int, NodeState] = field(default_factory=dict)


def _try_way(gs: GroupState, nodes: dict[int, NodeState], scorer: Scorer, st: InstState,
             way: list[tuple[str, int]], force: bool) -> list[Step] | str:
    """Apply all moves of ``way`` if each is safe in turn (then commit them), else say why not."""
    trial = dict(nodes)
    sim = replace(st)
    changed: dict[int, NodeState] = {}
    out = []
    for kind, t in way:
        res = apply_move(trial, sim, kind, t, force)
        if isinstance(res, str):
            return f"{kind} to {gs.all_nodes[t].name if t >= 0 else 'secondary'}: {res}"
        trial.update(res.nodes)
        changed.update(res.nodes)
        out.append(step_of(gs, sim, res, scorer.score_with(changed)))
        sim.pnode, sim.snode, sim.location_score = res.pnode, res.snode, res.location_score
    nodes.update(changed)
    scorer.commit(changed)
    st.pnode, st.snode, st.location_score = sim.pnode, sim.snode, sim.location_score
    return out


def sequence(gs: GroupState, target: dict[int, tuple[int, int]], force: bool = False) -> SequenceResult:
    """Order the moves to ``target`` (instance index → cluster node indices) safely.

    Updates the instance placements in ``gs`` to what was reached.
    """
    nodes = {n.idx: n for n in gs.nodes}
    scorer = Scorer(gs.nodes)
    score = scorer.score_with({})
    pending: dict[int, list[list[tuple[str, int]]]] = {}
    for k, (p, s) in target.items():
        st = gs.instances[k]
        if (st.pnode, st.snode) != (p, s):
            pending[k] = decompose(st.pnode, st.snode, p, s)
    steps: list[Step] = []
    last_fail: dict[int, str] = {}
    progress = True
    while pending and progress:  # rounds: each pending instance tries its change, in order
        progress = False
        for k in list(pending):
            st = gs.instances[k]
            for way in pending[k]:
                done = _try_way(gs, nodes, scorer, st, way, force)
                if isinstance(done, str):
                    last_fail[k] = done
                    continue
                steps.extend(done)
                del pending[k]
                progress = True
                break
    stuck = {gs.instances[k].inst.name: last_fail.get(k, "no safe move") for k in pending}
    for k, n in nodes.items():
        gs.all_nodes[k] = n
    gs.nodes = [nodes[n.idx] for n in gs.nodes]
    return SequenceResult(steps, steps[-1].score if steps else score, stuck, nodes)
