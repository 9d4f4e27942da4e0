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

from planner.domain.model import Cluster, Instance


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
    dsp = [0] * len(cluster.nodes)
    unknown_sp: set[int] = set()
    insts = list(cluster.instances)
    for i, (p, s) in placement.items():
        old = insts[i]
        if (old.pnode, old.snode) == (p, s):
            continue
        for n, m, d in _usage(old, old.pnode, old.snode):
            dmem[n] += m
            ddsk[n] += d
            dsp[n] += old.spindles or 0
        for n, m, d in _usage(old, p, s):
            dmem[n] -= m
            ddsk[n] -= d
            dsp[n] -= old.spindles or 0
            if old.spindles is None:
                unknown_sp.add(n)  # hbal: an instance of unknown spindles leaves -1 free spindles
        insts[i] = replace(old, pnode=p, snode=s)

    def moved(k: int, n):
        if not (dmem[k] or ddsk[k] or dsp[k] or k in unknown_sp):
            return n
        fsp = n.free_spindles
        if n.excl_stor:
            fsp = -1 if k in unknown_sp else fsp + dsp[k]
        return replace(n, f_mem=n.f_mem + dmem[k], f_dsk=n.f_dsk + ddsk[k], free_spindles=fsp)

    nodes = tuple(moved(k, n) for k, n in enumerate(cluster.nodes))
    return replace(cluster, nodes=nodes, instances=tuple(insts))


def placement_after(cluster: Cluster, steps) -> dict[int, tuple[int, int]]:
    """Each moved instance's (primary, secondary) after ``steps`` (Plan steps, by name)."""
    inst = {i.name: k for k, i in enumerate(cluster.instances)}
    node = {n.name: k for k, n in enumerate(cluster.nodes)}
    out: dict[int, tuple[int, int]] = {}
    for s in steps:
        out[inst[s.instance]] = (node[s.to_primary], node[s.to_secondary] if s.to_secondary else -1)
    return out
