"""hbal's moves (``Cluster/Moves.hs: applyMoveEx``) and which moves hbal tries (``possibleMoves``).

A move is (kind, target): ``f`` failover, ``fa`` failover to any node T (external storage),
``r`` replace secondary with T, ``rf`` replace secondary with T then fail over to it,
``fr`` fail over then replace secondary with T, ``frf`` replace primary with T (3 steps).
:func:`apply_move` returns the touched nodes' new states and the instance's new placement,
or the failure code of the first check that fails.  Nothing is changed in place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from planner.domain.model import EXTERNAL_MIRROR_TEMPLATES
from planner.domain.plan import Step
from planner.engine.nodeops import add_pri_ex, add_sec_ex_ex, check_migration, remove_pri, remove_sec
from planner.engine.state import InstState, NodeState

KINDS = ("f", "fa", "r", "rf", "fr", "frf")


@dataclass(frozen=True, slots=True)
class MoveResult:
    kind: str
    target: int  #: cluster node index named in the move text (-1 for ``f``)
    pnode: int
    snode: int
    location_score: int
    nodes: dict[int, NodeState]  #: new states of the touched nodes, by cluster node index


@dataclass(frozen=True)
class MoveOptions:
    """hbal's options that decide which moves are candidates."""

    disk_moves: bool = True  #: False with --no-disk-moves
    instance_moves: bool = True  #: False with --no-instance-moves
    restricted_migration: bool = False
    ignore_soft_errors: bool = False


def mirror_type(st: InstState) -> str:
    t = st.inst.disk_template
    if t == "drbd":
        return "internal"
    return "external" if t in EXTERNAL_MIRROR_TEMPLATES else "none"


def _loc(nodes: dict[int, NodeState], p: int, s: int) -> int:
    return len(nodes[p].location_tags & nodes[s].location_tags)


def apply_move(nodes: dict[int, NodeState], st: InstState, kind: str, target: int,  # noqa: C901 (hbal's applyMoveEx, case by case)
               force: bool = False) -> MoveResult | str:
    """hbal's ``applyMoveEx force``: the result of moving ``st`` or a failure code."""
    p, s = st.pnode, st.snode
    pn = nodes[p]
    off_p = pn.offline
    if kind == "fa":
        tn = nodes[target]
        if not check_migration(pn, tn):
            return "FailMig"
        new_t = add_pri_ex(off_p or force, tn, st)
        if isinstance(new_t, str):
            return new_t
        return MoveResult(kind, target, target, s, st.location_score, {p: remove_pri(pn, st), target: new_t})
    sn = nodes[s]
    int_p = remove_pri(pn, st)
    int_s = remove_sec(sn, st, p)
    if kind == "f":
        if not check_migration(pn, sn):
            return "FailMig"
        new_p = add_pri_ex(off_p or force, int_s, st)
        if isinstance(new_p, str):
            return new_p
        new_s = add_sec_ex_ex(off_p, off_p or force, int_p, st, s)
        if isinstance(new_s, str):
            return new_s
        return MoveResult(kind, -1, s, p, st.location_score, {p: new_s, s: new_p})
    tn = nodes[target]
    if kind == "r":
        ni = replace(st, snode=target, location_score=_loc(nodes, p, target))
        new_t = add_sec_ex_ex(False, sn.offline or force, tn, ni, p)
        if isinstance(new_t, str):
            return new_t
        new_p = add_pri_ex(True, int_p, ni)
        if isinstance(new_p, str):
            return new_p
        return MoveResult(kind, target, p, target, ni.location_score, {p: new_p, target: new_t, s: int_s})
    if kind == "rf":
        ni = replace(st, pnode=target, snode=p, location_score=len(tn.location_tags & int_p.location_tags))
        if not check_migration(pn, tn):
            return "FailMig"
        new_p = add_pri_ex(force, tn, ni)
        if isinstance(new_p, str):
            return new_p
        new_s = add_sec_ex_ex(False, sn.offline or force, int_p, ni, target)
        if isinstance(new_s, str):
            return new_s
        return MoveResult(kind, target, target, p, ni.location_score, {target: new_p, p: new_s, s: int_s})
    if kind == "fr":
        ni = replace(st, pnode=s, snode=target, location_score=len(int_s.location_tags & tn.location_tags))
        if not check_migration(pn, sn):
            return "FailMig"
        new_p = add_pri_ex(off_p or force, int_s, ni)
        if isinstance(new_p, str):
            return new_p
        new_s = add_sec_ex_ex(False, off_p or force, tn, ni, s)
        if isinstance(new_s, str):
            return new_s
        return MoveResult(kind, target, s, target, ni.location_score, {target: new_s, s: new_p, p: int_p})
    if kind == "frf":
        ni = replace(st, pnode=target, location_score=len(tn.location_tags & int_s.location_tags))
        if not (check_migration(pn, sn) and check_migration(sn, tn)):
            return "FailMig"
        tmp = add_pri_ex(off_p or force, int_s, ni)
        if isinstance(tmp, str):
            return tmp
        tmp2 = remove_pri(tmp, ni)
        new_p = add_pri_ex(off_p or force, tn, ni)
        if isinstance(new_p, str):
            return new_p
        new_s = add_sec_ex_ex(False, off_p or force, tmp2, ni, target)
        if isinstance(new_s, str):
            return new_s
        return MoveResult(kind, target, target, s, ni.location_score, {p: int_p, s: new_s, target: new_p})
    raise ValueError(f"unknown move kind {kind!r}")


def possible_moves(st: InstState, use_secondary: bool, opts: MoveOptions, p_offline: bool) -> tuple[str, ...]:
    """Move kinds hbal tries for each target node (``possibleMoves``), in hbal's order."""
    mt = mirror_type(st)
    if mt == "none":
        return ()
    if mt == "external":
        return ("fa",) if opts.instance_moves else ()
    if not opts.disk_moves:
        return ()
    if not opts.instance_moves:
        return ("r",)
    if opts.restricted_migration and not p_offline:
        return ("r",)
    if use_secondary and not opts.restricted_migration:
        return ("r", "rf", "frf", "fr")
    if use_secondary:
        return ("r", "rf", "fr")
    return ("r", "rf")


def candidate_moves(st: InstState, online: list[int], nodes: dict[int, NodeState],
                    opts: MoveOptions) -> list[tuple[str, int]]:
    """Every (kind, target) hbal evaluates for one instance, in hbal's order."""
    use_sec = st.snode in online and opts.instance_moves
    out: list[tuple[str, int]] = []
    if mirror_type(st) == "internal" and use_sec:
        out.append(("f", -1))
    kinds = possible_moves(st, use_sec, opts, nodes[st.pnode].offline)
    if kinds:
        for t in online:
            if t != st.pnode and t != st.snode:
                out.extend((k, t) for k in kinds)
    return out


def step_of(gs, st: InstState, res: MoveResult, score: float) -> Step:
    """The Plan step for moving ``st`` as ``res`` says (names from the group state ``gs``)."""
    name = lambda k: gs.all_nodes[k].name if k >= 0 else ""  # noqa: E731
    disk = st.inst.dsk / 1024 if res.kind in ("r", "rf", "fr", "frf") else 0.0
    return Step(st.inst.name, res.kind, name(st.pnode), name(st.snode), name(res.pnode), name(res.snode),
                disk, score, st.inst.is_running)
