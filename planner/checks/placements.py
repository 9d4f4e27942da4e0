"""New instances added to a cluster, checked one by one with hbal's placement rules.

Independent of the allocators that chose the nodes (hail's port in ``planner.capacity``, the CP-SAT
purchase and fit models): each new instance must be inside its group's ipolicy, on online nodes of
one group (a DRBD instance on two distinct ones), and its primary and secondary roles must pass
:func:`~planner.checks.rules.check_placing` (memory, disk, spindles, vCPU ratio, secondary memory,
"no new N+1 failure") on the usage left by the instances before it.

>>> from planner.io.htools_text import parse_text
>>> from planner.domain.model import Instance
>>> c = parse_text(open("tests/data/n1quirk.data").read())
>>> ok = Instance("new1", 512, 1024, 1, "running", True, 2, 1, "drbd")
>>> check_new_instances(c, [ok]) is None
True
>>> big = Instance("new2", 9000, 1024, 1, "running", True, 2, 1, "drbd")
>>> check_new_instances(c, [big]).rule
'memory'
"""

from __future__ import annotations

from collections.abc import Sequence

from planner.checks.rules import (
    PRIMARY,
    SECONDARY,
    Placing,
    RuleConfig,
    Violation,
    add_role,
    check_placing,
    node_usages,
)
from planner.domain.model import Cluster, Instance, IPolicy, ISpec


def _outside(i: Instance, lo: ISpec, hi: ISpec) -> str | None:
    for what, v, a, b in (("memory", i.mem, lo.mem_size, hi.mem_size), ("disk", i.dsk, lo.disk_size, hi.disk_size),
                          ("vCPUs", i.vcpus, lo.cpu_count, hi.cpu_count),
                          ("spindle use", i.spindle_use, lo.spindle_use, hi.spindle_use)):
        if not a <= v <= b:
            return f"{what} {v} outside the ipolicy's {a}..{b}"
    return None


def policy_violation(i: Instance, pol: IPolicy) -> Violation | None:
    """The instance's template is allowed and its spec lies inside one min/max pair of ``pol``."""
    if i.disk_template not in pol.disk_templates:
        return Violation("ipolicy", f"{i.name}: disk template {i.disk_template} not allowed", True, "", i.name)
    why = [_outside(i, lo, hi) for lo, hi in pol.minmax]
    if pol.minmax and all(why):
        return Violation("ipolicy", f"{i.name}: {why[0]}", True, "", i.name)
    return None


def _structure(c: Cluster, i: Instance) -> Violation | None:
    nodes = [i.pnode] + ([i.snode] if i.snode >= 0 else [])
    bad = next((k for k in nodes if not 0 <= k < len(c.nodes)), None)
    if bad is not None:
        return Violation("unknown_node", f"{i.name}: node index {bad} does not exist", True, "", i.name)
    if (i.disk_template == "drbd") != (i.snode >= 0):
        return Violation("secondary", f"{i.name}: a {i.disk_template} instance with snode {i.snode}", True, "", i.name)
    if i.snode == i.pnode:
        return Violation("drbd_distinct_nodes", f"{i.name}: primary and secondary are both "
                         f"{c.nodes[i.pnode].name}", True, c.nodes[i.pnode].name, i.name)
    for k in nodes:
        if c.nodes[k].offline:
            return Violation("target_online", f"{c.nodes[k].name} is offline", True, c.nodes[k].name, i.name)
    if len({c.nodes[k].group for k in nodes}) > 1:
        return Violation("same_group", f"{i.name}: primary and secondary in different groups", True, "", i.name)
    return None


def check_new_instances(cluster: Cluster, new: Sequence[Instance],
                        config: RuleConfig | None = None) -> Violation | None:
    """The first rule broken by adding ``new`` (placed: ``pnode``/``snode`` are indices into
    ``cluster.nodes``) to ``cluster`` in order, or None when every placement is allowed."""
    usage = node_usages(cluster, config or RuleConfig())
    for i in new:
        v = _structure(cluster, i) or policy_violation(i, cluster.group_policy(
            cluster.group_by_uuid(cluster.nodes[i.pnode].group)))
        if v is not None:
            return v
        for node, role in ((i.pnode, PRIMARY), (i.snode, SECONDARY)):
            if node < 0:
                continue
            before = usage[node]
            after = add_role(before, i, role, (), i.pnode)
            v = check_placing(Placing(i, (), role, before, after))
            if v is not None:
                return v
            usage[node] = after
    return None
