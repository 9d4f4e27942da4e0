"""The cluster data model: what a Ganeti cluster state file or RAPI dump says, nothing derived.

Records are frozen dataclasses, kept in file order (hbal iterates in that order, so indices
matter).  Instances refer to nodes by index; ``-1`` means "no secondary".

>>> n = Node("n1", 4096.0, 0, 2048, 100000.0, 50000, 8.0, False, False, "uuid-1")
>>> n.spindles, n.nos_cpu, n.cpu_speed
(1, 1, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

#: Instance run states accepted by htools 3.0.2.
STATUSES = (
    "ADMIN_down", "ADMIN_offline", "ERROR_down", "ERROR_up", "ERROR_nodedown",
    "ERROR_nodeoffline", "running", "USER_down", "ERROR_wrongnode",
)
#: Disk templates accepted by htools 3.0.2.
DISK_TEMPLATES = ("diskless", "file", "sharedfile", "plain", "blockdev", "drbd", "rbd", "ext", "gluster")
ALLOC_POLICIES = ("preferred", "last_resort", "unallocable")

MOVABLE_TEMPLATES = frozenset({"drbd", "blockdev", "sharedfile", "gluster", "rbd", "ext"})
LOCAL_STORAGE_TEMPLATES = frozenset({"drbd", "plain"})
EXTERNAL_MIRROR_TEMPLATES = frozenset({"diskless", "sharedfile", "blockdev", "rbd", "ext", "gluster"})
MEMORY_USING_STATUSES = frozenset({"ERROR_up", "ERROR_nodedown", "ERROR_nodeoffline", "running",
                                   "ERROR_wrongnode"})
RUNNING_STATUSES = frozenset({"running", "ERROR_up"})


@dataclass(frozen=True, slots=True)
class ISpec:
    """One instance spec: memory, vCPUs, disk size, disk count, NIC count, spindle use."""

    mem_size: int
    cpu_count: int
    disk_size: int
    disk_count: int
    nic_count: int
    spindle_use: int


DEFAULT_MIN_SPEC = ISpec(128, 1, 1024, 1, 1, 1)
DEFAULT_MAX_SPEC = ISpec(32768, 8, 1048576, 16, 8, 12)


@dataclass(frozen=True, slots=True)
class IPolicy:
    """An instance policy; ``owner`` is "" for the cluster policy, else a group name or UUID."""

    owner: str = ""
    std: ISpec = DEFAULT_MIN_SPEC
    minmax: tuple[tuple[ISpec, ISpec], ...] = ((DEFAULT_MIN_SPEC, DEFAULT_MAX_SPEC),)
    disk_templates: tuple[str, ...] = DISK_TEMPLATES
    vcpu_ratio: float = 4.0
    spindle_ratio: float = 32.0


DEFAULT_IPOLICY = IPolicy()


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    uuid: str
    alloc_policy: str = "preferred"
    tags: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Node:
    """A node as the text format gives it (memory and disk in MiB)."""

    name: str
    t_mem: float
    n_mem: int
    f_mem: int
    t_dsk: float
    f_dsk: int
    t_cpu: float
    offline: bool
    master: bool
    group: str  #: group UUID
    spindles: int = 1
    tags: tuple[str, ...] = ()
    excl_stor: bool = False
    free_spindles: int = 0
    nos_cpu: int = 1
    cpu_speed: float = 1.0


@dataclass(frozen=True, slots=True)
class Instance:
    """An instance; ``pnode``/``snode`` are node indices (``snode == -1``: none)."""

    name: str
    mem: int
    dsk: int
    vcpus: int
    status: str
    auto_balance: bool
    pnode: int
    snode: int
    disk_template: str
    tags: tuple[str, ...] = ()
    spindle_use: int = 1
    spindles: int | None = None
    forthcoming: bool = False

    @property
    def uses_memory(self) -> bool:
        """True when the instance's memory counts on its primary (running-like, not forthcoming)."""
        return not self.forthcoming and self.status in MEMORY_USING_STATUSES

    @property
    def uses_sec_mem(self) -> bool:
        """True when the instance reserves memory on its secondary (N+1)."""
        return self.status != "ADMIN_offline" and self.auto_balance

    @property
    def uses_local_storage(self) -> bool:
        return self.disk_template in LOCAL_STORAGE_TEMPLATES

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def not_offline(self) -> bool:
        return self.status != "ADMIN_offline"


@dataclass(frozen=True)
class Cluster:
    """A whole cluster: groups, nodes, instances, cluster tags and instance policies.

    ``source`` keeps what is needed to write an unchanged file back byte for byte
    (see :mod:`planner.io.htools_text`); it plays no part in equality.
    """

    groups: tuple[Group, ...]
    nodes: tuple[Node, ...]
    instances: tuple[Instance, ...]
    cluster_tags: tuple[str, ...] = ()
    ipolicies: tuple[IPolicy, ...] = ()
    has_policy_section: bool = True
    source: Any = field(default=None, compare=False, repr=False)
    origin: str = field(default="<input>", compare=False)  #: file or URL it was read from

    # --- look-ups -------------------------------------------------------------------
    def node_index(self, name: str) -> int:
        """Index of the node called ``name`` (KeyError if unknown)."""
        return self._node_idx()[name]

    def _node_idx(self) -> dict[str, int]:
        cache = self.__dict__.get("_nidx")
        if cache is None:
            cache = {n.name: i for i, n in enumerate(self.nodes)}
            object.__setattr__(self, "_nidx", cache)
        return cache

    def group_by_uuid(self, uuid: str) -> Group:
        for g in self.groups:
            if g.uuid == uuid:
                return g
        raise KeyError(uuid)

    def find_group(self, ident: str) -> Group:
        """The group with this name or UUID."""
        for g in self.groups:
            if ident in (g.name, g.uuid):
                return g
        raise KeyError(ident)

    def group_policy(self, group: Group) -> IPolicy:
        """The policy hbal applies to a group's nodes (the built-in default if it has none)."""
        for p in self.ipolicies:
            if p.owner and p.owner in (group.name, group.uuid):
                return p
        return DEFAULT_IPOLICY

    def nonempty_groups(self) -> list[Group]:
        """Groups with at least one node, in file order (hbal's candidates for selection)."""
        used = {n.group for n in self.nodes}
        return [g for g in self.groups if g.uuid in used]

    def replace(self, **kw: Any) -> Cluster:
        return replace(self, **kw)
