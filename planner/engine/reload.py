"""Re-load a group after a few instances moved, rebuilding only the nodes they touch.

A full :meth:`GroupState.reload` runs hbal's whole load pipeline again: on 200 nodes and 6000
instances that is a quarter of a large-neighbourhood search's time, though an iteration moves a
few dozen instances.  :func:`reload_moved` loads only the nodes those instances leave or join,
the same way and in the same order as the full load (so the scores are equal to the last bit),
and shares every other node and instance state with the state it starts from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from planner.domain.model import Cluster
from planner.engine.n1 import build_peers, update_mem_stat
from planner.engine.nodeops import set_pri, set_sec
from planner.engine.state import GroupState, InstState, NodeState, new_node_state

#: node fields the load sets from tags, policy and options, not from the placement
_BEFORE = ("location_tags", "mig_tags", "rmig_tags")
_AFTER_PEERS = ("vcpu_ratio", "hi_cpu", "hi_spindles")
_AFTER_MEM = ("lo_dsk", "offline")


def _moved_state(prev: GroupState, cluster: Cluster, k: int) -> InstState:
    i = cluster.instances[k]
    nodes = prev.all_nodes
    loc = len(nodes[i.pnode].location_tags & nodes[i.snode].location_tags) if i.snode >= 0 else 0
    return replace(prev.instances[k], inst=i, pnode=i.pnode, snode=i.snode, location_score=loc)


def _load_node(old: NodeState, cluster: Cluster, insts: list[InstState], on: list[int]) -> NodeState:
    """Node ``old.idx`` loaded afresh with the instances ``on`` (indices, ascending) on it."""
    ns = new_node_state(old.idx, cluster.nodes[old.idx], old.alias)
    for f in _BEFORE:
        setattr(ns, f, getattr(old, f))
    for k in on:  # the full load's order: every instance in index order, as primary or secondary
        st = insts[k]
        if st.pnode == old.idx:
            set_pri(ns, st)
        else:
            set_sec(ns, st)
    build_peers(ns, insts)
    for f in _AFTER_PEERS:
        setattr(ns, f, getattr(old, f))
    update_mem_stat(ns, insts)
    for f in _AFTER_MEM:
        setattr(ns, f, getattr(old, f))
    return ns


def reload_moved(prev: GroupState, cluster: Cluster, moved: Iterable[int]) -> GroupState:
    """``reload_group(prev, cluster)``, where ``cluster`` is ``prev.cluster`` with only the instances
    ``moved`` placed elsewhere in the group (as :func:`planner.domain.placement.apply_placement` makes it).

    The result shares the untouched node and instance states with ``prev``: treat both as read-only
    (a planner that moves instances in place works on its own full reload).

    >>> from planner.io.htools_text import read_text
    >>> from planner.domain.placement import apply_placement
    >>> from planner.engine.score import compute_score
    >>> from planner.engine.load import load_group, reload_group
    >>> c = read_text("tests/data/tiny-skewed.data")
    >>> gs = load_group(c)
    >>> c2 = apply_placement(c, {0: (1, 2)})
    >>> compute_score(reload_moved(gs, c2, [0]).nodes) == compute_score(reload_group(gs, c2).nodes)
    True
    """
    insts = list(prev.instances)
    touched: set[int] = set()
    changed: set[int] = set()
    for k in moved:
        old, i = prev.instances[k], cluster.instances[k]
        if (old.pnode, old.snode) != (i.pnode, i.snode):
            insts[k] = _moved_state(prev, cluster, k)
            changed.add(k)
            touched |= {old.pnode, old.snode, i.pnode, i.snode}
    touched.discard(-1)
    all_nodes = list(prev.all_nodes)
    for t in touched:
        old = prev.all_nodes[t]
        on = {k for k in old.plist_forth | old.slist_forth if k not in changed}
        on |= {k for k in changed if t in (insts[k].pnode, insts[k].snode)}
        all_nodes[t] = _load_node(old, cluster, insts, sorted(on))
    nodes = [all_nodes[n.idx] for n in prev.nodes]
    return replace(prev, cluster=cluster, nodes=nodes, instances=insts, all_nodes=all_nodes)
