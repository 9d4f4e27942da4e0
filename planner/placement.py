"""Apply a placement (instance → primary, secondary) to a Cluster, moving resources along.

Free memory and free disk of the nodes are updated the way the real nodes would report them
after the moves, so that the written file scores as the plan said (hbal's own ``-S`` keeps
``f_mem`` as loaded, which makes its saved state score differently).

>>> from planner.io.htools_text import read_text
>>> c = read_text("tests/data/n1quirk.data")
>>> c2 = apply_placement(c, {0: (0, 2)})
>>> [n.f_dsk for n in c2.nodes], c2.instances[0].snode
([50000, 60000, 90000], 2)
"""

from __future__ import annotations

from dataclasses import replace

from planner.model import Cluster, Instance


def _usage(inst: Instance, pnode: int, snode: int) -> list[tuple[int, int, int]]:
    """(node, memory, disk) each placement of ``inst`` takes on its nodes, as free-memory and
    free-disk reports see it."""
    if inst.forthcoming:
        return []
    out = [(pnode, inst.mem if inst.uses_memory else 0, inst.dsk if inst.uses_local_storage else 0)]
    if snode >= 0 and inst.disk_template == "drbd":
        out.append((snode, 0, inst.dsk))
    return out


def apply_placement(cluster: Cluster, placement: dict[int, tuple[int, int]]) -> Cluster:
    """A copy of ``cluster`` with instance ``i`` at ``placement[i]`` = (primary, secondary)."""
    dmem = [0] * len(cluster.nodes)
    ddsk = [0] * len(cluster.nodes)
    insts = list(cluster.instances)
    for i, (p, s) in placement.items():
        old = insts[i]
        if (old.pnode, old.snode) == (p, s):
            continue
        for n, m, d in _usage(old, old.pnode, old.snode):
            dmem[n] += m
            ddsk[n] += d
        for n, m, d in _usage(old, p, s):
            dmem[n] -= m
            ddsk[n] -= d
        insts[i] = replace(old, pnode=p, snode=s)
    nodes = tuple(
        replace(n, f_mem=n.f_mem + dmem[k], f_dsk=n.f_dsk + ddsk[k]) if (dmem[k] or ddsk[k]) else n
        for k, n in enumerate(cluster.nodes))
    return replace(cluster, nodes=nodes, instances=tuple(insts))
