"""Per-node accounting for the rules, computed from a Cluster and a placement only.

Written independently of the planners (``planner.engine.state``/``nodeops``), so that the verifier can
check their plans: :func:`node_usages` from scratch, :func:`add_role` / :func:`remove_role`
incrementally.  Memory follows hbal: ``recorded_free = trunc(t_mem) - n_mem - i_mem``, ``x_mem``
fixed at load, ``unallocated = recorded_free - max(0, x_mem)``; N+1 uses hbal's two formulas
(htools-core §3.2): ``f_mem < r_mem`` until a move touches the node, then ``unallocated <= r_mem``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from planner.domain.model import Cluster, Instance

PRIMARY, SECONDARY = "primary", "secondary"


@dataclass(frozen=True)
class RuleConfig:
    """hbal options that change the rules: ``--min-disk``, ``--max-cpu``, ``--exclusion-tags``, ``-O``."""

    min_disk: float = 0.0
    max_cpu: float | None = None
    exclusion_tags: tuple[str, ...] = ()
    offline_nodes: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeUsage:
    """What one node holds under a placement, as hbal accounts it (MiB; read-only dicts)."""

    idx: int
    name: str
    group: str
    offline: bool
    t_mem: float
    n_mem: int
    f_mem: int  #: reported free memory at load (hbal never changes it)
    x_mem: int  #: missing memory, fixed at load
    i_mem: int  #: memory of memory-using primaries
    f_dsk: int
    lo_dsk: int
    t_cpu: float
    u_cpu: int  #: nos_cpu + vCPUs of not-ADMIN_offline primaries
    vcpu_ratio: float
    excl_stor: bool
    f_spindles: int
    inst_spindles: float
    hi_spindles: float
    peers: dict[int, int]  #: primary node index -> memory it would fail over here
    p_tags: dict[str, int]  #: exclusion tag -> number of primaries carrying it
    mig_tags: frozenset[str]
    rmig_tags: frozenset[str]
    touched: bool = False  #: a move changed it: N+1 then uses the ``<=`` formula
    f_mem_forth: int = 0
    f_dsk_forth: int = 0
    u_cpu_forth: int = 0
    f_spindles_forth: int = 0
    inst_spindles_forth: float = 0.0

    @property
    def recorded_free(self) -> int:
        return math.trunc(self.t_mem) - self.n_mem - self.i_mem

    @property
    def unallocated(self) -> int:
        return self.recorded_free - max(0, self.x_mem)

    @property
    def r_mem(self) -> int:
        return max(self.peers.values(), default=0)

    @property
    def fail_n1(self) -> bool:
        """hbal's N+1 flag: load formula until touched, then the move formula."""
        return self.unallocated <= self.r_mem if self.touched else self.f_mem < self.r_mem


# ------------------------------------------------------------------------------ accounting

def _tag_bodies(tags: Sequence[str], prefix: str) -> list[str]:
    return [t[len(prefix):] for t in tags if t.startswith(prefix) and len(t) > len(prefix)]


def instance_exclusion_tags(cluster: Cluster, config: RuleConfig = RuleConfig()) -> list[tuple[str, ...]]:
    """Per instance, its exclusion tags (cluster tags ``htools:iextags:P`` and ``--exclusion-tags``)."""
    prefixes = [t + ":" for t in config.exclusion_tags] + _tag_bodies(cluster.cluster_tags, "htools:iextags:")
    return [tuple(t for t in i.tags if any(t.startswith(p) for p in prefixes)) for i in cluster.instances]


def _disk_roles(i: Instance, role: str) -> int:
    """Disk a role takes on a node: local-storage primaries, drbd secondaries."""
    return i.dsk if (i.uses_local_storage if role == PRIMARY else i.disk_template == "drbd") else 0


def _free_spindles(u: NodeUsage, value: int, i: Instance, sign: int) -> int:
    """htools' ``calcNewFreeSpindles``: any template, unknown spindles force -1 when adding."""
    if not u.excl_stor:
        return value
    if i.spindles is None:
        return -1 if sign > 0 else value
    return value - sign * i.spindles


def add_role(u: NodeUsage, i: Instance, role: str, excl: tuple[str, ...], pnode: int = -1) -> NodeUsage:
    """``u`` with ``i`` added as primary or as secondary (``pnode``: its primary then)."""
    return _change(u, i, role, excl, pnode, 1)


def remove_role(u: NodeUsage, i: Instance, role: str, excl: tuple[str, ...], pnode: int = -1) -> NodeUsage:
    """``u`` with ``i`` removed from its primary or secondary role (``pnode``: its primary)."""
    return _change(u, i, role, excl, pnode, -1)


def _change(u: NodeUsage, i: Instance, role: str, excl: tuple[str, ...], pnode: int, sign: int) -> NodeUsage:
    d = _disk_roles(i, role)
    sp = 0.0 if u.excl_stor or not i.uses_local_storage else float(i.spindle_use)
    kw: dict = {"f_dsk_forth": u.f_dsk_forth - sign * d,
                "f_spindles_forth": _free_spindles(u, u.f_spindles_forth, i, sign),
                "inst_spindles_forth": 0.0 if u.excl_stor else u.inst_spindles_forth + sign * sp}
    if role == PRIMARY:
        tags = dict(u.p_tags)
        for t in excl:
            tags[t] = tags.get(t, 0) + sign
            if tags[t] <= 0:
                del tags[t]
        kw.update(p_tags=tags, f_mem_forth=u.f_mem_forth - sign * i.mem,
                  u_cpu_forth=u.u_cpu_forth + sign * (i.vcpus if i.not_offline else 0))
    if i.forthcoming:  # hbal changes only the "forth" fields (and keeps the N+1 flag)
        return replace(u, **kw)
    kw.update(touched=True, f_dsk=u.f_dsk - sign * d, f_spindles=_free_spindles(u, u.f_spindles, i, sign),
              inst_spindles=0.0 if u.excl_stor else u.inst_spindles + sign * sp)
    if role == PRIMARY:
        kw.update(i_mem=u.i_mem + sign * (i.mem if i.uses_memory else 0),
                  u_cpu=u.u_cpu + sign * (i.vcpus if i.not_offline else 0))
    else:
        peers = dict(u.peers)
        peers[pnode] = peers.get(pnode, 0) + sign * (i.mem if i.uses_sec_mem else 0)
        if sign < 0 and peers[pnode] <= 0:
            del peers[pnode]
        kw["peers"] = peers
    return replace(u, **kw)


def node_usages(cluster: Cluster, config: RuleConfig = RuleConfig(),
                placement: dict[int, tuple[int, int]] | None = None) -> list[NodeUsage]:
    """Every node's usage with the instances at ``placement`` (default: where the cluster has them).

    Nodes whose real (not forthcoming) primaries or secondaries differ from the cluster's are
    marked touched.
    """
    ct = cluster.cluster_tags
    mig_prefixes = [p + ":" for p in _tag_bodies(ct, "htools:migration:")]
    allow = [(a, b) for a, sep, b in (s.partition("::") for s in _tag_bodies(ct, "htools:allowmigration:"))
             if sep and "::" not in b]
    excl = instance_exclusion_tags(cluster, config)
    out: list[NodeUsage] = []
    for k, n in enumerate(cluster.nodes):
        pol = cluster.group_policy(cluster.group_by_uuid(n.group))
        mig = frozenset(t for t in n.tags if any(t.startswith(p) for p in mig_prefixes))
        out.append(NodeUsage(
            k, n.name, n.group, n.offline or n.name in config.offline_nodes, n.t_mem, n.n_mem, n.f_mem,
            0, 0, n.f_dsk, math.floor(config.min_disk * n.t_dsk), n.t_cpu, n.nos_cpu,
            pol.vcpu_ratio if config.max_cpu is None else config.max_cpu, n.excl_stor, n.free_spindles,
            0.0, pol.spindle_ratio * n.spindles, {}, {}, mig, mig | {a for a, b in allow if b in mig},
            f_mem_forth=n.f_mem, f_dsk_forth=n.f_dsk, u_cpu_forth=n.nos_cpu,
            f_spindles_forth=n.free_spindles))
    # load: the file's free values already include every instance; register the roles only
    for j, i in enumerate(cluster.instances):
        for node, role in ((i.pnode, PRIMARY), (i.snode, SECONDARY)):
            if node >= 0:
                out[node] = add_role(out[node], i, role, excl[j], i.pnode)
    for k, n in enumerate(cluster.nodes):
        u = out[k]
        forth = [(i, r) for i in cluster.instances if i.forthcoming
                 for r in (PRIMARY, SECONDARY) if (i.pnode, i.snode)[r == SECONDARY] == k]
        fsp = n.free_spindles
        for i, _ in forth:
            fsp = _free_spindles(u, fsp, i, 1)
        load = replace(u, touched=False, f_dsk=n.f_dsk, f_spindles=n.free_spindles, f_spindles_forth=fsp,
                       f_dsk_forth=n.f_dsk - sum(_disk_roles(i, r) for i, r in forth),
                       f_mem_forth=n.f_mem - sum(i.mem for i in cluster.instances
                                                 if i.pnode == k and not i.uses_memory))
        out[k] = replace(load, x_mem=load.recorded_free - n.f_mem)
    if not placement:
        return out
    for j, (p, s) in placement.items():
        i = cluster.instances[j]
        if (p, s) == (i.pnode, i.snode):
            continue
        out[i.pnode] = remove_role(out[i.pnode], i, PRIMARY, excl[j])
        if i.snode >= 0:
            out[i.snode] = remove_role(out[i.snode], i, SECONDARY, excl[j], i.pnode)
        out[p] = add_role(out[p], i, PRIMARY, excl[j])
        if s >= 0:
            out[s] = add_role(out[s], i, SECONDARY, excl[j], p)
    return out
