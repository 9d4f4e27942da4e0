"""A scenario's changes, one function each: every one takes a Cluster and returns a new one.

Node indices stay consistent: new nodes are appended, removed nodes renumber the instances' nodes.
Free memory and disk follow the instances as the nodes would report them
(:func:`planner.domain.placement.apply_placement`).

>>> from planner.io.htools_text import read_text
>>> c = read_text("tests/data/n1quirk.data")
>>> [n.name for n in drain(c, ["nodeB"]).nodes if n.offline]
['nodeB']
"""

from __future__ import annotations

from dataclasses import replace

from planner.capacity.hspace import capacity
from planner.capacity.options import CapacityOptions, Spec
from planner.domain.model import DEFAULT_IPOLICY, Cluster, Instance, IPolicy, Node
from planner.domain.placement import apply_placement
from planner.scenario.catalog import Flavor, NodeModel


class ChangeError(ValueError):
    """A change that cannot apply to this cluster (unknown node, node still in use, ...)."""


def node_indices(c: Cluster, names: list[str]) -> list[int]:
    """Indices of the named nodes (exact name, or the unique name starting with ``name.``)."""
    out = []
    for w in names:
        hits = [k for k, n in enumerate(c.nodes) if n.name == w] or \
            [k for k, n in enumerate(c.nodes) if n.name.startswith(w + ".")]
        if len(hits) != 1:
            raise ChangeError(f"unknown node '{w}'")
        out.append(hits[0])
    return out


def instance_indices(c: Cluster, names: list[str]) -> list[int]:
    by = {i.name: k for k, i in enumerate(c.instances)}
    missing = [w for w in names if w not in by]
    if missing:
        raise ChangeError(f"unknown instance '{missing[0]}'")
    return [by[w] for w in names]


def new_node(model: NodeModel, name: str, group_uuid: str) -> Node:
    """An empty node of ``model``: all memory but the OS's free, all disk free."""
    return Node(name, float(model.memory), model.os_memory, model.memory - model.os_memory, float(model.disk),
                model.disk, float(model.cpus), False, False, group_uuid, model.spindles, (), False, 0, 1, 1.0)


def add_nodes(c: Cluster, model: NodeModel, count: int, group: str | None = None,
              names: list[str] | None = None) -> Cluster:
    """``count`` empty nodes of ``model`` appended to ``group`` (default: the first group)."""
    if group is None:
        g = c.groups[0]
    else:
        try:
            g = c.find_group(group)
        except KeyError:
            raise ChangeError(f"unknown group '{group}'") from None
    taken = {n.name for n in c.nodes}
    if names is None:
        names, k = [], 1
        while len(names) < count:
            cand = f"new-{model.name}-{k:02d}"
            if cand not in taken:
                names.append(cand)
            k += 1
    clash = [n for n in names if n in taken]
    if clash:
        raise ChangeError(f"node '{clash[0]}' exists already")
    return replace(c, nodes=c.nodes + tuple(new_node(model, n, g.uuid) for n in names))


def drain(c: Cluster, names: list[str]) -> Cluster:
    """Mark nodes offline (htools loads drained nodes so): a rebalance must empty them."""
    ks = set(node_indices(c, names))
    return replace(c, nodes=tuple(replace(n, offline=True) if k in ks else n for k, n in enumerate(c.nodes)))


def fail(c: Cluster, names: list[str]) -> Cluster:
    """Nodes lost: offline, and each DRBD instance whose primary was there fails over to its
    secondary (the lost node stays its secondary); the others stay on the lost node, down."""
    ks = set(node_indices(c, names))
    over = {k: (i.snode, i.pnode) for k, i in enumerate(c.instances)
            if i.pnode in ks and i.disk_template == "drbd" and i.snode >= 0 and i.snode not in ks}
    moved = apply_placement(c, over)
    insts = tuple(replace(i, status="ERROR_nodedown") if i.pnode in ks and i.uses_memory else i
                  for i in moved.instances)
    return replace(drain(moved, names), instances=insts)


def remove_nodes(c: Cluster, names: list[str]) -> Cluster:
    """Remove empty nodes (a node still holding instances must be drained and rebalanced first)."""
    ks = node_indices(c, names)
    for k in ks:
        used = [i.name for i in c.instances if k in (i.pnode, i.snode)]
        if used:
            raise ChangeError(f"node '{c.nodes[k].name}' still holds {len(used)} instance(s) "
                              f"({used[0]}, ...): drain it instead")
    gone = set(ks)
    new_idx, j = {}, 0
    for k in range(len(c.nodes)):
        if k not in gone:
            new_idx[k], j = j, j + 1
    insts = tuple(replace(i, pnode=new_idx[i.pnode], snode=new_idx[i.snode] if i.snode >= 0 else -1)
                  for i in c.instances)
    return replace(c, nodes=tuple(n for k, n in enumerate(c.nodes) if k not in gone), instances=insts)


def add_instances(c: Cluster, flavor: Flavor, count: int, prefix: str | None = None) -> tuple[Cluster, int]:
    """Up to ``count`` new instances of ``flavor`` placed by hail's allocation (hspace's standard
    mode, existing placement frozen); returns the cluster and how many fit."""
    spec = Spec(flavor.memory, flavor.disk, flavor.vcpus, flavor.spindles)
    res = capacity(c, CapacityOptions(standard=spec, limit=count, run_tiered=False,
                                      disk_template=flavor.disk_template)).standard
    new = [] if res is None else list(res.new)
    taken = {i.name for i in c.instances}
    out, k = [], 1
    for st in new:
        while (name := f"{prefix or flavor.name}-{k:04d}") in taken:
            k += 1
        taken.add(name)
        out.append(Instance(name, flavor.memory, flavor.disk, flavor.vcpus, "running", True, st.pnode,
                            st.snode if flavor.disk_template == "drbd" else -1, flavor.disk_template,
                            spindle_use=st.inst.spindle_use, spindles=None))
    return place_new(c, out), len(out)


def place_new(c: Cluster, instances: list[Instance]) -> Cluster:
    """``instances`` (already placed: pnode/snode set) added, their resources taken from their nodes."""
    return replace(_account(c, instances, -1), instances=c.instances + tuple(instances))


def remove_instances(c: Cluster, names: list[str]) -> Cluster:
    """Instances deleted: their memory and disk freed on their nodes."""
    ks = set(instance_indices(c, names))
    freed = _account(c, [c.instances[k] for k in ks], +1)
    return replace(freed, instances=tuple(i for k, i in enumerate(c.instances) if k not in ks))


def _account(c: Cluster, instances: list[Instance], sign: int) -> Cluster:
    """Free memory and disk of the nodes with ``instances`` given back (+1) or taken (-1)."""
    mem = [0] * len(c.nodes)
    dsk = [0] * len(c.nodes)
    for i in instances:
        if i.forthcoming:
            continue
        mem[i.pnode] += i.mem if i.uses_memory else 0
        dsk[i.pnode] += i.dsk if i.uses_local_storage else 0
        if i.snode >= 0 and i.disk_template == "drbd":
            dsk[i.snode] += i.dsk
    nodes = tuple(replace(n, f_mem=n.f_mem + sign * mem[k], f_dsk=n.f_dsk + sign * dsk[k]) if mem[k] or dsk[k]
                  else n for k, n in enumerate(c.nodes))
    return replace(c, nodes=nodes)


def resize(c: Cluster, names: list[str], memory: int | None, disk: int | None, vcpus: int | None) -> Cluster:
    """Instances resized in place (their nodes' free memory and disk follow)."""
    ks = instance_indices(c, names)
    freed = _account(c, [c.instances[k] for k in ks], +1)
    grown = [replace(c.instances[k], mem=memory or c.instances[k].mem, dsk=disk or c.instances[k].dsk,
                     vcpus=vcpus or c.instances[k].vcpus) for k in ks]
    rest = replace(freed, instances=tuple(i for k, i in enumerate(c.instances) if k not in set(ks)))
    placed = place_new(rest, grown)
    order = {i.name: i for i in placed.instances}
    return replace(placed, instances=tuple(order[i.name] for i in c.instances))


def change_policy(c: Cluster, vcpu_ratio: float | None = None, spindle_ratio: float | None = None,
                  disk_templates: list[str] | None = None, max_memory: int | None = None,
                  max_disk: int | None = None, max_vcpus: int | None = None) -> Cluster:
    """The cluster policy and every group's policy changed in the fields given."""
    def changed(p: IPolicy) -> IPolicy:
        mm = tuple((lo, replace(hi, mem_size=max_memory or hi.mem_size, disk_size=max_disk or hi.disk_size,
                                cpu_count=max_vcpus or hi.cpu_count)) for lo, hi in p.minmax)
        return replace(p, vcpu_ratio=vcpu_ratio or p.vcpu_ratio, spindle_ratio=spindle_ratio or p.spindle_ratio,
                       disk_templates=tuple(disk_templates) if disk_templates else p.disk_templates, minmax=mm)
    own = [p for p in c.ipolicies if not p.owner] or [DEFAULT_IPOLICY]
    groups = [replace(c.group_policy(g), owner=g.name) for g in c.groups]
    return replace(c, ipolicies=tuple(changed(p) for p in own[:1] + groups), has_policy_section=True)
