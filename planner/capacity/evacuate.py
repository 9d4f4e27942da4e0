"""Global N+1 as htools 3.0.2 has it (``GlobalN1.canEvacuateNode``): can a node be emptied directly?

A node is *directly evacuatable* when, in this order and each step seeing the previous ones,

1. every DRBD primary fails over to its secondary (``applyMoveEx True … Failover``: soft rules
   ignored, so only memory/disk/migration tags can refuse);
2. every instance of a movable template (diskless, sharedfile, rbd, ext, gluster) fails over to
   the best-scoring other node of the group (``FailoverToAny``, ties to the later node);
3. every other instance (plain, file, blockdev), largest memory first, is re-created on the
   best-scoring other node of the group that passes the group's ipolicy (ties to the later node).

Quirks kept: the "other nodes" include offline ones, and hcheck 3.0.2 crashes (``IntMap.!``) when
a DRBD primary's secondary lies outside the node's group (:class:`EvacuationCrash`).
``online_only=True`` (used by ``planner failures``) refuses offline targets instead.

>>> from planner.io.htools_text import read_text
>>> from planner.engine.load import load_group
>>> gs = load_group(read_text("tests/data/n1quirk.data"))
>>> nodes = {n.idx: n for n in gs.nodes}
>>> order = load_order(gs)
>>> pol = gs.cluster.group_policy(gs.cluster.groups[0])
>>> [evacuate_node(nodes, gs.instances, n.idx, order[n.idx], pol).ok for n in gs.nodes]  # as hcheck: GN1_FAIL=1
[True, False, True]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.domain.model import Instance, IPolicy, ISpec
from planner.domain.plan import Step
from planner.engine.fastscore import Scorer
from planner.engine.moves import apply_move
from planner.engine.nodeops import add_pri_ex
from planner.engine.state import GroupState, InstState, NodeState

#: ``diskTemplateMovable``: re-homed by a failover to any node (step 2)
MOVABLE = frozenset({"diskless", "sharedfile", "rbd", "ext", "gluster"})


class EvacuationCrash(Exception):
    """hcheck 3.0.2 dies here: a DRBD instance of the node has its secondary outside the group."""


def _cmp_fails(inst: Instance, spec: ISpec, excl_stor: bool, sign: int) -> bool:
    """``instCompareISpec``: True when ``inst`` is beyond ``spec`` (sign -1: below a min, +1: above a max)."""
    def beyond(a: int, b: int) -> bool:
        return (a - b) * sign > 0

    if beyond(inst.mem, spec.mem_size) or beyond(inst.dsk, spec.disk_size) or beyond(inst.vcpus, spec.cpu_count):
        return True
    if excl_stor:
        if inst.spindles is None or beyond(inst.spindles, spec.spindle_use):
            return True
    elif beyond(inst.spindle_use, spec.spindle_use):
        return True
    return inst.disk_template != "diskless" and beyond(1, spec.disk_count)


def matches_policy(inst: Instance, pol: IPolicy, excl_stor: bool) -> bool:
    """``Instance.instMatchesPolicy`` for a one-disk instance (the text format's).

    >>> from dataclasses import replace
    >>> from planner.domain.model import DEFAULT_IPOLICY
    >>> i = Instance("i", 1024, 2048, 1, "running", True, 0, -1, "plain")
    >>> matches_policy(i, DEFAULT_IPOLICY, False), matches_policy(replace(i, mem=65536), DEFAULT_IPOLICY, False)
    (True, False)
    """
    ok = not pol.minmax or any(not _cmp_fails(inst, lo, excl_stor, -1) and not _cmp_fails(inst, hi, excl_stor, 1)
                               for lo, hi in pol.minmax)
    return ok and inst.disk_template in pol.disk_templates


def load_order(gs: GroupState) -> dict[int, list[int]]:
    """Each group node's primaries in htools' ``pList`` order after loading (highest index first)."""
    out: dict[int, list[int]] = {n.idx: [] for n in gs.nodes}
    for st in reversed(gs.instances):
        if st.pnode in out and not st.inst.forthcoming:
            out[st.pnode].append(st.idx)
    return out


def replay_order(order: dict[int, list[int]], steps: list[Step], gs: GroupState) -> dict[int, list[int]]:
    """``pList`` orders after ``steps`` (a moved instance leaves its old list, heads its new one)."""
    out = {k: list(v) for k, v in order.items()}
    by_name = {st.inst.name: st.idx for st in gs.instances}
    node_idx = {n.name: n.idx for n in gs.nodes}
    for s in steps:
        old, new = node_idx[s.from_primary], node_idx[s.to_primary]
        if old != new:
            k = by_name[s.instance]
            out[old].remove(k)
            out[new].insert(0, k)
    return out


@dataclass
class Evacuation:
    """What emptying one node did: each instance's fate, in the order they were handled."""

    node: int
    ok: bool = True
    failovers: list[tuple[int, int]] = field(default_factory=list)  #: (instance, new primary) DRBD
    relocated: list[tuple[int, int]] = field(default_factory=list)  #: (instance, node) movable templates
    recreated: list[tuple[int, int]] = field(default_factory=list)  #: (instance, node) plain/file/blockdev
    failed: list[tuple[int, str]] = field(default_factory=list)  #: (instance, reason)
    nodes: dict[int, NodeState] = field(default_factory=dict)  #: the group's nodes afterwards


def evacuate_node(nodes: dict[int, NodeState], insts: list[InstState], node: int, order: list[int],
                  policy: IPolicy, keep_going: bool = False, online_only: bool = False,
                  recreate: bool = True) -> Evacuation:
    """``canEvacuateNode`` on the group ``nodes`` (cluster index → state); ``order`` is the node's
    ``pList``.  ``keep_going`` records every failure instead of stopping at the first;
    ``recreate=False`` (a node that died) counts plain/file/blockdev instances as lost."""
    ev = Evacuation(node, nodes=dict(nodes))
    drbd = [k for k in order if insts[k].inst.disk_template == "drbd"]
    movable = [k for k in order if insts[k].inst.disk_template in MOVABLE]
    others = [k for k in order if k not in drbd and k not in movable]
    for k in drbd:
        if not _failover(ev, insts[k], online_only) and not keep_going:
            return ev
    escape = [k for k in ev.nodes if k != node and not (online_only and ev.nodes[k].offline)]
    for k in movable:
        if not _rehome(ev, insts[k], escape, None) and not keep_going:
            return ev
    for k in sorted(others, key=lambda k: -insts[k].inst.mem):
        st = insts[k]
        done = (_rehome(ev, st, escape, policy) if recreate
                else _fail(ev, st, f"not mirrored ({st.inst.disk_template}): its disks were on the node"))
        if not done and not keep_going:
            return ev
    return ev


def _fail(ev: Evacuation, st: InstState, why: str) -> bool:
    ev.ok = False
    ev.failed.append((st.idx, why))
    return False


def _failover(ev: Evacuation, st: InstState, online_only: bool) -> bool:
    if st.snode not in ev.nodes:
        if st.snode < 0 or online_only:
            return _fail(ev, st, "no secondary" if st.snode < 0 else "secondary in another group")
        raise EvacuationCrash(f"instance {st.inst.name}: secondary outside the node's group")
    if online_only and ev.nodes[st.snode].offline:
        return _fail(ev, st, "secondary offline")
    res = apply_move(ev.nodes, st, "f", -1, True)
    if isinstance(res, str):
        return _fail(ev, st, "secondary lacks memory" if res == "FailMem" else f"secondary refuses ({res})")
    ev.nodes.update(res.nodes)
    ev.failovers.append((st.idx, st.snode))
    return True


def _rehome(ev: Evacuation, st: InstState, escape: list[int], policy: IPolicy | None) -> bool:
    """Step 2 (``policy`` None: failover to any) or 3 (re-create): the best-scoring node wins."""
    scorer = Scorer(list(ev.nodes.values()))
    best: tuple[float, int, dict[int, NodeState]] | None = None
    reasons: set[str] = set()
    for t in escape:
        if policy is None:
            res = apply_move(ev.nodes, st, "fa", t, True)
            changed = res if isinstance(res, str) else res.nodes
        elif not matches_policy(st.inst, policy, ev.nodes[t].excl_stor):
            changed = "FailPolicy"
        else:
            new = add_pri_ex(True, ev.nodes[t], st)
            changed = new if isinstance(new, str) else {t: new}
        if isinstance(changed, str):
            reasons.add(changed)
            continue
        s = scorer.score_with(changed)
        if best is None or not best[0] < s:
            best = (s, t, changed)
    if best is None:
        what = "not mirrored: no node can re-create it" if policy is not None else "no node can take it"
        return _fail(ev, st, f"{what} ({', '.join(sorted(reasons)) or 'no other node'})")
    ev.nodes.update(best[2])
    (ev.recreated if policy is not None else ev.relocated).append((st.idx, best[1]))
    return True
