"""htools' global N+1 test (``GlobalN1.hs``): can every node be evacuated?

DRBD primaries fail over, shared-storage instances fail over to the best node of the group,
plain/file/blockdev instances are re-created elsewhere in the group, largest memory first.

A node with DRBD primaries only is evacuable when each failover succeeds.  A forced failover's
checks on the evacuated node read that node only, and those on the target read the target and the
failovers before it *to that target* only, so the test splits into one answer for the node and one
per target node; both are kept per run (an allocation changes two nodes, so almost every answer is
reused by the next candidate).  ``tests/test_globaln1.py`` checks the split against the whole fold.
"""

from __future__ import annotations

from dataclasses import replace

from planner.capacity.alloc import Ctx, allocate_on_single
from planner.engine.fastscore import Scorer
from planner.engine.moves import apply_move
from planner.engine.nodeops import add_pri_ex, add_sec_ex_ex, check_migration, remove_pri, remove_sec
from planner.engine.state import InstState, NodeState

#: answers kept per run before the oldest are dropped (each keeps its node states alive)
MEMO_SIZE = 50_000

#: ``diskTemplateMovable``: what the global N+1 test fails over to any node of the group (blockdev is
#: not movable here, diskless is); the rest (plain, file, blockdev) is re-created elsewhere
GLOBAL_MOVABLE = frozenset({"diskless", "sharedfile", "rbd", "ext", "gluster"})


def can_evacuate(ctx: Ctx, nl: dict[int, NodeState], insts: list[InstState], n: NodeState) -> bool:
    """``canEvacuateNode`` over the node map ``nl`` (cluster index → node)."""
    if all(insts[k].inst.disk_template == "drbd" and insts[k].snode in nl for k in n.plist):
        return drbd_evacuable(ctx.evac, nl, insts, n)
    return evacuate_fold(ctx, nl, insts, n)


def drbd_evacuable(memo: dict, nl: dict[int, NodeState], insts: list[InstState], n: NodeState) -> bool:
    """``canEvacuateNode`` for a node whose primaries are all DRBD: the node's side, then each target's."""
    plist = sorted(n.plist, reverse=True)
    sts = [insts[k] for k in plist]
    if not _memo(memo, ("n", n, *sts), lambda: _node_side(n, sts)):
        return False
    by_t: dict[int, list[InstState]] = {}
    for st in sts:
        by_t.setdefault(st.snode, []).append(st)
    return all(_memo(memo, ("t", n, nl[t], *ss), lambda t=t, ss=ss: _target_side(n, nl[t], ss))
               for t, ss in by_t.items())


def _memo(memo: dict, objs: tuple, compute) -> bool:
    key = tuple(id(o) for o in objs)
    hit = memo.get(key)
    if hit is None:
        if len(memo) >= MEMO_SIZE:
            memo.pop(next(iter(memo)))
        hit = memo[key] = (objs, compute())  # the objects stay alive, so their ids stay theirs
    return hit[1]


def _node_side(n: NodeState, sts: list[InstState]) -> bool:
    """The evacuated node takes each instance back as a forced secondary (``applyMoveEx True``)."""
    cur = n
    for st in sts:
        r = add_sec_ex_ex(n.offline, True, remove_pri(cur, st), st, st.snode)
        if isinstance(r, str):
            return False
        cur = r
    return True


def _target_side(n: NodeState, t: NodeState, sts: list[InstState]) -> bool:
    """The target takes over each of ``n``'s instances it is secondary of, in order, as forced primary."""
    if not check_migration(n, t):
        return False
    cur = t
    for st in sts:
        r = add_pri_ex(True, remove_sec(cur, st, n.idx), st)
        if isinstance(r, str):
            return False
        cur = r
    return True


def evacuate_fold(ctx: Ctx, nl: dict[int, NodeState], insts: list[InstState], n: NodeState) -> bool:
    """``canEvacuateNode`` step by step over every instance of ``n`` (any disk template)."""
    nl = dict(nl)
    insts = list(insts)
    plist = sorted(n.plist, reverse=True)  # htools' pList: newest first
    drbd = [k for k in plist if insts[k].inst.disk_template == "drbd"]
    other = [k for k in plist if insts[k].inst.disk_template != "drbd"]
    shared = [k for k in other if insts[k].inst.disk_template in GLOBAL_MOVABLE]
    fixed = [k for k in other if insts[k].inst.disk_template not in GLOBAL_MOVABLE]
    for k in drbd:
        st = insts[k]
        r = apply_move(nl, st, "f", -1, force=True)
        if isinstance(r, str):
            return False
        nl.update(r.nodes)
        insts[k] = replace(st, pnode=r.pnode, snode=r.snode, location_score=r.location_score)
    grp = ctx.groups[n.idx]
    escape = [k for k in sorted(nl) if ctx.groups[k] == grp and k != n.idx]
    for k in shared:
        best = None
        st = insts[k]
        for t in escape:
            r = apply_move(nl, st, "fa", t, force=True)
            if isinstance(r, str):
                continue
            trial = dict(nl)
            trial.update(r.nodes)
            cv = Scorer([trial[j] for j in sorted(trial) if ctx.groups[j] == grp]).score_with({})
            if best is None or not best[0] < cv:
                best = (cv, r)
        if best is None:
            return False
        nl.update(best[1].nodes)
        insts[k] = replace(st, pnode=best[1].pnode, snode=best[1].snode)
    fixed.sort(key=lambda k: -insts[k].inst.mem)
    for k in fixed:
        order = sorted(nl)
        nodes = [nl[j] for j in order]
        pos = {j: p for p, j in enumerate(order)}
        scorer = Scorer(nodes)
        coll = []
        for t in escape:
            r = allocate_on_single(ctx, _Indexed(nodes, pos), insts[k], t, force=True, scorer=scorer)
            if not isinstance(r, str):
                coll.append(r)
        if not coll:
            return False
        best = sorted(reversed(coll), key=lambda s: s[0])[0]
        nl.update(best[1])
    return True


class _Indexed:
    """A node list addressed by cluster index (for a subset of the nodes)."""

    def __init__(self, nodes: list[NodeState], pos: dict[int, int]) -> None:
        self.nodes, self.pos = nodes, pos

    def __getitem__(self, k: int) -> NodeState:
        return self.nodes[self.pos[k]]


def redundant(ctx: Ctx, nodes: list[NodeState], insts: list[InstState], group: str | None = None) -> bool:
    """``redundant`` (``redundantGrp`` when ``group`` is given): every checked node evacuable."""
    nl = {n.idx: n for n in nodes if group is None or ctx.groups[n.idx] == group}
    for n in nl.values():
        if ctx.accept_existing and n.offline:
            continue
        if ctx.groups[n.idx] in ctx.ignore_groups:
            continue
        if not can_evacuate(ctx, nl, insts, n):
            return False
    return True
