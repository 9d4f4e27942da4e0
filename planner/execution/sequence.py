"""From a target placement to an ordered list of safe hbal moves.

Each instance's change (old primary/secondary → new) is decomposed into hbal moves (``f``, ``r``,
``rf``, ``fr``, ``frf``; two moves when both nodes change).  Moves are applied one at a time with
hbal's own node primitives (every hard check, and the soft ones: no new N+1 failure, vCPU and
spindle ratios), and a multi-command move is also checked between its ``gnt-instance`` commands
(a ``replace-disks`` holds the disk on the old and the new secondary until it ends): a move is
only taken when it is safe from the current state.

Instances are tried in rounds until none can move.  Then a **cycle** is broken by a temporary
hop: one blocked instance fails over or moves its secondary to a node with slack, when that lets
another instance move; the extra GiB are reported.  Instances that still cannot move are
reported with the check that failed, never forced.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from planner.domain.plan import SUBMOVES, Step
from planner.engine.fastscore import Scorer
from planner.engine.moves import MoveResult, apply_move, step_of
from planner.engine.state import GroupState, InstState, NodeState

Way = list[tuple[str, int]]
MAX_HOPS_PER_INSTANCE = 2
HOP_NODES = 8  #: nodes with the most free disk tried as a temporary secondary


def decompose(p0: int, s0: int, p: int, s: int) -> list[Way]:
    """Ways to go from (p0, s0) to (p, s) with hbal moves, cheapest first; each a list of
    (kind, target).

    >>> decompose(1, 2, 2, 1)
    [[('f', -1)]]
    >>> decompose(1, 2, 3, 4)
    [[('r', 4), ('frf', 3)], [('r', 3), ('fr', 4)]]
    >>> walk(1, 2, [('r', 3), ('fr', 4)])
    (3, 4)
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
        return [[("frf", p)], [("f", -1), ("rf", p)]]
    return [[("r", s), ("frf", p)], [("r", p), ("fr", s)]]


def walk(p0: int, s0: int, way: Way) -> tuple[int, int]:
    """Where hbal's moves in ``way`` take an instance at (p0, s0): ``f`` swaps the two, ``r t``
    replaces the secondary, ``rf t`` = ``r t`` then ``f``, ``fr t`` = ``f`` then ``r t``,
    ``frf t`` = ``f``, ``r t``, ``f``; ``fa t`` moves an externally mirrored primary.

    >>> walk(1, 2, [("r", 3), ("frf", 4)])
    (4, 3)
    """
    p, s = p0, s0
    for kind, t in way:
        for op in "a" if kind == "fa" else kind:  # a move is its letters in turn (fa: a new primary)
            if op == "f":
                p, s = s, p
            elif op == "r":
                s = t
            else:
                p = t
    return p, s


@dataclass
class SequenceResult:
    steps: list[Step]
    final_score: float
    stuck: dict[str, str] = field(default_factory=dict)  #: instance → why it could not move
    nodes: dict[int, NodeState] = field(default_factory=dict)
    hops: list[str] = field(default_factory=list)  #: temporary moves made to break cycles
    hop_gb: float = 0.0  #: GiB copied by those temporary moves


def _moved(sim: InstState, res: MoveResult) -> InstState:
    return replace(sim, pnode=res.pnode, snode=res.snode, location_score=res.location_score)


def _transient(nodes: dict[int, NodeState], st: InstState, kind: str, t: int, force: bool) -> str | None:
    """Why a state between the commands of a multi-command move is unsafe, or None.

    The commands are checked as hbal checks the whole move: soft rules are off when the
    instance leaves an offline node (its primary for ``fr``/``frf``, its secondary for ``rf``).
    """
    subs = SUBMOVES[kind]
    if len(subs) == 1:
        return None
    force = force or (kind in ("fr", "frf") and nodes[st.pnode].offline) or \
        (kind == "rf" and nodes[st.snode].offline)
    trial, sim = dict(nodes), st
    for sub in subs:
        res = apply_move(trial, sim, sub, -1 if sub == "f" else t, force)
        if isinstance(res, str):
            return f"between commands ({sub}): {res}"
        trial.update(res.nodes)
        sim = _moved(sim, res)
    return None


@dataclass
class _Trial:
    """The moves of one way, checked from a state but not applied yet."""

    moves: list[tuple[InstState, MoveResult, dict[int, NodeState]]]  #: (before, result, changed so far)
    changed: dict[int, NodeState]
    final: InstState


@dataclass(frozen=True)
class Blocked:
    """Why a move of a way is not safe: the move (kind, target cluster node index, -1 for the
    secondary) and the check that failed.

    >>> Blocked("r", 3, "N+1 fails").text(lambda k: f"node{k}")
    'r to node3: N+1 fails'
    >>> Blocked("f", -1, "memory").text(lambda k: f"node{k}")
    'f to secondary: memory'
    """

    kind: str
    target: int
    why: str

    def text(self, name) -> str:
        """The reason with the target node named by ``name(index)``."""
        return f"{self.kind} to {name(self.target) if self.target >= 0 else 'secondary'}: {self.why}"


def _check_way(nodes: dict[int, NodeState], st: InstState, way: Way, force: bool) -> _Trial | Blocked:
    """Check every move of ``way`` in turn from ``nodes`` (nothing is changed), or say why not."""
    trial, sim = dict(nodes), st
    changed: dict[int, NodeState] = {}
    moves = []
    for kind, t in way:
        res = apply_move(trial, sim, kind, t, force)
        if isinstance(res, str):
            return Blocked(kind, t, res)
        why = _transient(trial, sim, kind, t, force)
        if why is not None:
            return Blocked(kind, t, why)
        trial.update(res.nodes)
        changed.update(res.nodes)
        moves.append((sim, res, dict(changed)))
        sim = _moved(sim, res)
    return _Trial(moves, changed, sim)


class _Sequencer:
    def __init__(self, gs: GroupState, force: bool) -> None:
        self.gs, self.force = gs, force
        self.nodes = {n.idx: n for n in gs.nodes}
        self.scorer = Scorer(gs.nodes)
        self.steps: list[Step] = []

    def name(self, k: int) -> str:
        return self.gs.all_nodes[k].name if k >= 0 else "secondary"

    def commit(self, k: int, tr: _Trial) -> list[Step]:
        out = [step_of(self.gs, before, res, self.scorer.score_with(ch)) for before, res, ch in tr.moves]
        self.nodes.update(tr.changed)
        self.scorer.commit(tr.changed)
        st = self.gs.instances[k]
        st.pnode, st.snode, st.location_score = tr.final.pnode, tr.final.snode, tr.final.location_score
        self.steps.extend(out)
        return out

    def first_way(self, nodes: dict[int, NodeState], k: int, ways: list[Way]) -> _Trial | str:
        why = "no safe move"
        for way in ways:
            tr = _check_way(nodes, self.gs.instances[k], way, self.force)
            if not isinstance(tr, Blocked):
                return tr
            why = tr.text(self.name)
        return why

    def hop_moves(self, st: InstState, goal: tuple[int, int]) -> list[tuple[str, int]]:
        """Temporary moves for a blocked instance: a failover, then a secondary on a node with slack."""
        out: list[tuple[str, int]] = []
        if st.snode >= 0:
            out.append(("f", -1))
            busy = {st.pnode, st.snode, *goal}
            free = sorted((n for n in self.nodes.values() if not n.offline and n.idx not in busy),
                          key=lambda n: -n.f_dsk)
            out += [("r", n.idx) for n in free[:HOP_NODES]]
        return out

    def hop(self, pending: dict[int, list[Way]], target: dict[int, tuple[int, int]],
            hops: dict[int, int]) -> Step | None:
        """Break a cycle: the first safe temporary move that lets some pending instance move."""
        order = sorted(pending, key=lambda k: (hops.get(k, 0), self.gs.instances[k].inst.dsk))
        for k in order:
            if hops.get(k, 0) >= MAX_HOPS_PER_INSTANCE:
                continue
            st = self.gs.instances[k]
            for kind, t in self.hop_moves(st, target[k]):
                tr = _check_way(self.nodes, st, [(kind, t)], self.force)
                if isinstance(tr, Blocked):
                    continue
                after = {**self.nodes, **tr.changed}
                own = decompose(tr.final.pnode, tr.final.snode, *target[k])
                if isinstance(self.first_way(after, k, own), str) and all(
                        isinstance(self.first_way(after, o, pending[o]), str) for o in pending if o != k):
                    continue  # helps nobody
                hops[k] = hops.get(k, 0) + 1
                (step,) = self.commit(k, tr)
                pending[k] = own
                return step
        return None


def sequence(gs: GroupState, target: dict[int, tuple[int, int]], force: bool = False) -> SequenceResult:
    """Order the moves to ``target`` (instance index → cluster node indices) safely.

    Updates the instance placements in ``gs`` to what was reached.
    """
    sq = _Sequencer(gs, force)
    score = sq.scorer.score_with({})
    pending: dict[int, list[Way]] = {}
    for k, (p, s) in target.items():
        st = gs.instances[k]
        if (st.pnode, st.snode) != (p, s):
            pending[k] = decompose(st.pnode, st.snode, p, s)
    last_fail: dict[int, str] = {}
    hops: dict[int, int] = {}
    hop_steps: list[Step] = []
    while pending:
        progress = False
        for k in list(pending):  # a round: each pending instance tries its change, in order
            tr = sq.first_way(sq.nodes, k, pending[k])
            if isinstance(tr, str):
                last_fail[k] = tr
                continue
            sq.commit(k, tr)
            del pending[k]
            progress = True
        if not progress:
            step = sq.hop(pending, target, hops)
            if step is None:
                break
            hop_steps.append(step)
    stuck = {gs.instances[k].inst.name: last_fail.get(k, "no safe move") for k in pending}
    for k, pos in target.items():  # a safety net: a way that ends elsewhere is a bug, never a silent plan
        st = gs.instances[k]
        if k not in pending and (st.pnode, st.snode) != pos:
            stuck[st.inst.name] = f"ended at {(st.pnode, st.snode)} instead of {pos} (planner bug)"
    gs.put_nodes(sq.nodes)
    steps = sq.steps
    return SequenceResult(steps, steps[-1].score if steps else score, stuck, sq.nodes,
                          [f"{s.instance} {s.move_text()}" for s in hop_steps], sum(s.gb_copied for s in hop_steps))
