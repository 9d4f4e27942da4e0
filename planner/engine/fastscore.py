"""Exact hbal scores of candidate moves, with per-node values cached between evaluations.

A move touches 2–3 nodes; only their 20-value vectors are recomputed, and the score is then
summed exactly as hbal sums it (so equal to hbal's to the last bit).

>>> from planner.api import load, group_state
>>> gs = group_state(load("tests/data/n1quirk.data"))
>>> round(Scorer(gs.nodes).score_with({}), 8)
3.31686197
"""

from __future__ import annotations

from planner.domain.plan import Step
from planner.engine.moves import step_of
from planner.engine.score import node_vector, total, values_from_vectors
from planner.engine.state import GroupState, NodeState


class Scorer:
    """Scores a group's node list with some nodes replaced, exactly as hbal's ``compCV``."""

    def __init__(self, nodes: list[NodeState]) -> None:
        self.order = [n.idx for n in nodes]
        self.offline = {n.idx: n.offline for n in nodes}
        self.vec = {n.idx: node_vector(n) for n in nodes}

    def score_with(self, changed: dict[int, NodeState]) -> float:
        """The group's exact score if the nodes in ``changed`` had those states."""
        on: list[tuple] = []
        off: list[tuple] = []
        for k in self.order:
            n = changed.get(k)
            v = node_vector(n) if n is not None else self.vec[k]
            (off if self.offline[k] else on).append(v)
        return total(values_from_vectors(on, off))

    def commit(self, changed: dict[int, NodeState]) -> None:
        """Make ``changed`` part of the current state."""
        for k, n in changed.items():
            self.vec[k] = node_vector(n)


def take_moves(gs: GroupState, nodes: dict[int, NodeState], scorer: Scorer, moves: list, steps: list[Step],
               on_step=None) -> None:
    """Make ``moves`` [(instance, MoveResult), …], each found from the state the ones before it
    leave, part of the state: ``nodes``, the instances and ``scorer`` move along, and each move's
    Step (with the exact score after it) is appended to ``steps``."""
    trial: dict = {}
    for st, res in moves:
        trial.update(res.nodes)
        steps.append(step_of(gs, st, res, scorer.score_with(trial)))
        if on_step:
            on_step(len(steps), steps[-1])
        st.pnode, st.snode, st.location_score = res.pnode, res.snode, res.location_score
    nodes.update(trial)
    scorer.commit(trial)
