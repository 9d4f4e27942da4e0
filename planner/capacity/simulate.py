"""hspace's ``--simulate`` clusters (``Backend/Simu.hs``).

>>> c = simulate_cluster(["u,1,100g,4g,2", "p,2,8t,64g,16"])
>>> [(g.name, g.alloc_policy) for g in c.groups], [n.name for n in c.nodes]
([('group-01', 'preferred'), ('group-02', 'unallocable')], ['node-01-001', 'node-01-002', 'node-02-001'])
"""

from __future__ import annotations

from planner.capacity.options import parse_size
from planner.domain.errors import PlannerError
from planner.domain.model import Cluster, Group, Node

_POL = {"p": "preferred", "a": "last_resort", "u": "unallocable", "preferred": "preferred",
        "last_resort": "last_resort", "unallocable": "unallocable"}


def _group(k: int, desc: str) -> tuple[Group, list[Node]]:
    f = desc.split(",")
    if len(f) not in (5, 6, 7):
        raise PlannerError(None, None, "Invalid cluster specification, expected 6 comma-separated sections "
                           "(allocation policy, node count, disk size, memory size, number of CPUs, spindles) "
                           f"but got {len(f)}: '{desc}'")
    if f[0] not in _POL:
        raise PlannerError(None, None, f"bad allocation policy {f[0]!r} in --simulate {desc!r}")
    try:
        count, cpu = int(f[1]), int(f[4])
        spindles = int(f[5]) if len(f) > 5 else 1
    except ValueError:
        raise PlannerError(None, None, f"bad number in --simulate {desc!r}") from None
    excl = len(f) > 6 and f[6] == "True"
    if len(f) > 6 and f[6] not in ("True", "False"):
        raise PlannerError(None, None, f"bad exclusive storage {f[6]!r} in --simulate {desc!r}")
    dsk, mem = parse_size(f[2], "disk size"), parse_size(f[3], "memory size")
    uuid = f"fake-uuid-{k:02d}"
    nodes = [Node(f"node-{k:02d}-{j:03d}", float(mem), 0, mem, float(dsk), dsk, float(cpu), False,
                  k == 1 and j == 1, uuid, spindles, (), excl, 0, 1, 1.0) for j in range(1, count + 1)]
    return Group(f"group-{k:02d}", uuid, _POL[f[0]]), nodes


def simulate_cluster(descs: list[str]) -> Cluster:
    """One empty group per description; groups numbered in reverse command-line order."""
    groups, nodes = [], []
    for k, d in enumerate(reversed(descs), start=1):
        g, ns = _group(k, d)
        groups.append(g)
        nodes += ns
    return Cluster(tuple(groups), tuple(nodes), (), has_policy_section=False, origin="<simulate>")
