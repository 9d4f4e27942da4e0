"""N+1 redundancy: peers, reserved memory, the load-time flag, and hbal's optimal score.

A node must be able to absorb the memory of the DRBD instances whose primary is its worst
single peer (``r_mem``).  htools 3.0.2 computes the load-time flag as ``f_mem < r_mem``
and, once a node is touched by a move, ``unallocated <= r_mem`` (htools-core §3.2).
"""

from __future__ import annotations

from planner.engine.state import GroupState, InstState, NodeState, fdiv


def build_peers(n: NodeState, insts: list[InstState]) -> None:
    """``Node.buildPeers``: peer map, reserved memory and the load-time N+1 flag."""
    peers: dict[int, int] = {}
    for k in sorted(n.slist):
        st = insts[k]
        mem = st.inst.mem if st.inst.uses_sec_mem and not st.inst.forthcoming else 0
        peers[st.pnode] = peers.get(st.pnode, 0) + mem
    n.peers = peers
    n.r_mem = max(peers.values(), default=0)
    n.p_rem = fdiv(n.r_mem, n.t_mem)
    n.fail_n1 = n.f_mem < n.r_mem


def update_mem_stat(n: NodeState, insts: list[InstState]) -> None:
    """``Loader.updateMemStat``: memory of running primaries, missing memory, free fraction."""
    n.i_mem = sum(insts[k].inst.mem for k in n.plist if insts[k].inst.uses_memory)
    n.x_mem = n.recorded_free - n.f_mem
    n.p_mem = fdiv(n.unallocated, n.t_mem)


def optimal_score(nodes: list[NodeState]) -> float:
    """hbal's ``optimalCVScore``: the lowest reachable reserved-memory term (a stop threshold).

    >>> from types import SimpleNamespace as N
    >>> optimal_score([N(t_mem=4000.0, peers={1: 3000}), N(t_mem=4000.0, peers={0: 3000}),
    ...                N(t_mem=4000.0, peers={}), N(t_mem=4000.0, peers={})])
    0.03125
    """
    if len(nodes) < 2:
        return 0.0
    total = 0.0
    for n in nodes:
        total += n.t_mem
    t1 = total - max(n.t_mem for n in nodes)
    if t1 <= 0:
        return 0.0
    d = float(sum(sum(n.peers.values()) for n in nodes))
    return 0.25 * (d / t1 - d / total)


def bad_nodes(group: GroupState) -> list[NodeState]:
    """Online nodes of the group failing N+1 (hbal's initial check)."""
    return [n for n in group.nodes if not n.offline and n.fail_n1]


def bad_instances(group: GroupState) -> set[int]:
    """Instances with a primary or secondary on a failing node."""
    out: set[int] = set()
    for n in bad_nodes(group):
        out |= n.plist | n.slist
    return out


