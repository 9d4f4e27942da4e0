"""hbal's load pipeline (``Loader.mergeData``, ``updateMissing``, ``setMaster``...): a Cluster → GroupState."""

from __future__ import annotations

import math
from dataclasses import replace

from planner.domain.errors import PlannerError
from planner.domain.model import MOVABLE_TEMPLATES, Cluster
from planner.engine.n1 import build_peers, update_mem_stat
from planner.engine.nodeops import set_pri, set_sec
from planner.engine.state import (
    GroupState,
    InstState,
    LoadOptions,
    common_suffix,
    new_node_state,
    resolve_names,
    strip_suffix,
    tag_values,
)


def load_group(cluster: Cluster, opts: LoadOptions | None = None) -> GroupState:
    """Run hbal's load pipeline and select a node group (``-G``)."""
    opts = opts or LoadOptions()
    try:
        return _load_group(cluster, opts)
    except PlannerError as e:
        if e.source is None:
            raise PlannerError(cluster.origin, None, e.message) from None
        raise


def _load_group(cluster: Cluster, opts: LoadOptions) -> GroupState:

    ct = cluster.cluster_tags
    excl_prefixes = [t + ":" for t in opts.exclusion_tags] + tag_values(ct, "htools:iextags:")
    dsrd_prefixes = tag_values(ct, "htools:desiredlocation:")
    loc_prefixes = [p + ":" for p in tag_values(ct, "htools:nlocation:")]
    mig_prefixes = [p + ":" for p in tag_values(ct, "htools:migration:")]
    allow = []
    for body in tag_values(ct, "htools:allowmigration:"):
        a, sep, b = body.partition("::")
        if sep and "::" not in b:
            allow.append((a, b))
    inames = [i.name for i in cluster.instances]
    selected = resolve_names(opts.select_instances, inames, "instance")
    excluded = resolve_names(opts.exclude_instances, inames, "instance")
    offline_extra = resolve_names(opts.offline_nodes, [n.name for n in cluster.nodes], "node")
    suffix = common_suffix([n.name for n in cluster.nodes] + inames)

    nodes = [new_node_state(k, n, strip_suffix(n.name, suffix)) for k, n in enumerate(cluster.nodes)]
    for ns, n in zip(nodes, cluster.nodes, strict=True):
        ns.location_tags = frozenset(t for t in n.tags if any(t.startswith(p) for p in loc_prefixes))
        mt = frozenset(t for t in n.tags if any(t.startswith(p) for p in mig_prefixes))
        ns.mig_tags = mt
        ns.rmig_tags = mt | {a for a, b in allow if b in mt}
    zero = (0.0, 0.0, 0.0, 0.0)
    insts: list[InstState] = []
    for k, i in enumerate(cluster.instances):
        util = zero if opts.ignore_dynu else (opts.util or {}).get(i.name, (1.0, 1.0, 1.0, 1.0))
        movable = (i.disk_template in MOVABLE_TEMPLATES and i.name not in excluded
                   and (not selected or i.name in selected))
        loc = (len(nodes[i.pnode].location_tags & nodes[i.snode].location_tags) if i.snode >= 0 else 0)
        insts.append(InstState(
            i, k, i.pnode, i.snode, strip_suffix(i.name, suffix), util,
            tuple(t for t in i.tags if any(t.startswith(p) for p in excl_prefixes)),
            frozenset(t for t in i.tags if any(t.startswith(p) for p in dsrd_prefixes)), loc, movable))
    for st in insts:
        set_pri(nodes[st.pnode], st)
        if st.snode >= 0:
            set_sec(nodes[st.snode], st)
    for ns, n in zip(nodes, cluster.nodes, strict=True):
        build_peers(ns, insts)
        pol = cluster.group_policy(cluster.group_by_uuid(n.group))
        ns.vcpu_ratio = pol.vcpu_ratio
        ns.hi_cpu = math.floor(pol.vcpu_ratio * ns.t_cpu)
        ns.hi_spindles = pol.spindle_ratio * ns.t_spindles
    for st in insts:
        if st.snode >= 0 and cluster.nodes[st.pnode].group != cluster.nodes[st.snode].group:
            st.movable = False
    for ns in nodes:
        update_mem_stat(ns, insts)
        if opts.max_cpu is not None:
            ns.vcpu_ratio = opts.max_cpu
            ns.hi_cpu = math.floor(opts.max_cpu * ns.t_cpu)
        ns.lo_dsk = math.floor(opts.min_disk * ns.t_dsk)
        if ns.name in offline_extra:
            ns.offline = True
    group = _select_group(cluster, opts.group)
    members = [k for k, n in enumerate(cluster.nodes) if n.group == group.uuid]
    gnodes = [nodes[k] for k in members]
    gset = set(members)
    ginst = [st.idx for st in insts if st.pnode in gset]
    return GroupState(cluster, group.name, group.uuid, gnodes, {k: p for p, k in enumerate(members)},
                      insts, ginst, nodes, opts)


def _select_group(cluster: Cluster, ident: str | None):
    if ident is not None:
        try:
            return cluster.find_group(ident)
        except KeyError:
            names = ", ".join(g.name for g in cluster.groups)
            raise PlannerError(None, None, f"node group '{ident}' not found (groups: {names})") from None
    groups = cluster.nonempty_groups()
    if len(groups) > 1:
        names = ", ".join(g.name for g in groups)
        raise PlannerError(None, None, f"multiple node groups ({names}): choose one with --group")
    if not groups:
        if cluster.groups:
            return cluster.groups[0]
        raise PlannerError(None, None, "the cluster has no node group")
    return groups[0]


def reload_group(gs: GroupState, cluster: Cluster) -> GroupState:
    """``cluster`` (``gs.cluster`` with instances moved) loaded as ``gs`` was."""
    return load_group(cluster, replace(gs.load_opts or LoadOptions(), group=gs.group_uuid))
