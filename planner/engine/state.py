"""hbal's working state: node records with everything the score and the moves need.

:func:`planner.engine.load.load_group` runs htools' load pipeline (``Loader.mergeData``,
``updateMissing``, ``setNodeStatus``, ``selectGroup``) on a :class:`~planner.domain.model.Cluster`,
giving a :class:`GroupState`: the group's :class:`NodeState` records (mutable, copied on write by
the moves) and per-instance placement.

>>> from planner.engine.load import load_group
>>> from planner.io.htools_text import parse_text
>>> c = parse_text(open("tests/data/n1quirk.data").read())
>>> st = load_group(c)
>>> [(n.name, n.fail_n1, n.r_mem) for n in st.nodes]
[('nodeA', False, 1500), ('nodeB', False, 3072), ('nodeC', False, 0)]
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field

from planner.domain.errors import PlannerError
from planner.domain.model import Cluster, Instance, Node


def fdiv(a: float, b: float) -> float:
    """IEEE division as Haskell does it: x/0 is ±inf, 0/0 is nan.

    >>> fdiv(1, 0), fdiv(-1, 0), math.isnan(fdiv(0, 0))
    (inf, -inf, True)
    """
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def frac(f: float, t: float) -> float:
    """Free fraction ``f/t``, 1.0 when ``t`` is 0 (htools' ``computePDsk``)."""
    return 1.0 if t == 0 else f / t


def mset_add(m: dict, keys) -> None:
    for k in keys:
        m[k] = m.get(k, 0) + 1


def mset_del(m: dict, keys) -> None:
    for k in keys:
        c = m.get(k)
        if c is None:
            continue
        if c <= 1:
            del m[k]
        else:
            m[k] = c - 1


@dataclass(slots=True)
class NodeState:
    """One node as hbal's ``Node`` record (memory/disk in MiB)."""

    idx: int
    name: str
    alias: str
    t_mem: float
    n_mem: int
    f_mem: int
    t_dsk: float
    f_dsk: int
    t_cpu: float
    n_cpu: int
    t_spindles: int
    f_spindles: int
    cpu_speed: float
    excl_stor: bool
    offline: bool
    i_mem: int = 0
    x_mem: int = 0
    p_mem: float = 0.0
    u_cpu: int = 0
    p_cpu: float = 0.0
    p_dsk: float = 0.0
    plist: set = field(default_factory=set)
    slist: set = field(default_factory=set)
    peers: dict = field(default_factory=dict)
    r_mem: int = 0
    p_rem: float = 0.0
    fail_n1: bool = True
    lo_dsk: int = 0
    vcpu_ratio: float = 4.0
    hi_cpu: int = 0
    hi_spindles: float = 0.0
    inst_spindles: float = 0.0
    util_load: list = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])
    p_tags: dict = field(default_factory=dict)
    location_tags: frozenset = frozenset()
    mig_tags: frozenset = frozenset()
    rmig_tags: frozenset = frozenset()
    location_score: int = 0
    instance_map: dict = field(default_factory=dict)
    f_mem_forth: int = 0
    p_mem_forth: float = 0.0
    f_dsk_forth: int = 0
    p_dsk_forth: float = 0.0
    u_cpu_forth: int = 0
    p_cpu_forth: float = 0.0
    f_spindles_forth: int = 0
    inst_spindles_forth: float = 0.0
    plist_forth: set = field(default_factory=set)
    slist_forth: set = field(default_factory=set)
    util_load_forth: list = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])

    def clone(self) -> NodeState:
        """A copy whose containers can be changed without touching this one."""
        c = object.__new__(NodeState)
        for name, value in zip(NodeState.__slots__, _node_fields(self), strict=True):  # 2× copy.copy's speed
            setattr(c, name, value)
        c.plist, c.slist = set(self.plist), set(self.slist)
        c.plist_forth, c.slist_forth = set(self.plist_forth), set(self.slist_forth)
        c.peers, c.p_tags, c.instance_map = dict(self.peers), dict(self.p_tags), dict(self.instance_map)
        c.util_load, c.util_load_forth = list(self.util_load), list(self.util_load_forth)
        return c

    # --- memory helpers (Node.hs) ------------------------------------------------------
    @property
    def recorded_free(self) -> int:
        return math.trunc(self.t_mem) - self.n_mem - self.i_mem

    @property
    def unallocated(self) -> int:
        return self.recorded_free - max(0, self.x_mem)


_node_fields = operator.attrgetter(*NodeState.__slots__)


@dataclass(slots=True)
class InstState:
    """Per-instance data the moves need besides the frozen record."""

    inst: Instance
    idx: int
    pnode: int
    snode: int
    alias: str
    util: tuple[float, float, float, float]
    excl_tags: tuple[str, ...]
    dsrd_loc_tags: frozenset
    location_score: int
    movable: bool


@dataclass(frozen=True)
class LoadOptions:
    """The hbal options that change how a cluster is loaded (frozen: variants with ``dataclasses.replace``)."""

    group: str | None = None
    exclusion_tags: tuple[str, ...] = ()
    ignore_dynu: bool = False
    offline_nodes: tuple[str, ...] = ()
    select_instances: tuple[str, ...] = ()
    exclude_instances: tuple[str, ...] = ()
    max_cpu: float | None = None
    min_disk: float = 0.0
    util: dict[str, tuple[float, float, float, float]] | None = None


@dataclass
class GroupState:
    """The selected group: its nodes (offline included) and all cluster instances' state.

    ``nodes`` holds only the group's nodes, in file order; ``node_pos`` maps a cluster node
    index to its position there.  ``instances`` covers every instance of the cluster;
    ``group_instances`` lists those whose primary is in the group (hbal's working set).
    """

    cluster: Cluster
    group_name: str
    group_uuid: str
    nodes: list[NodeState]
    node_pos: dict[int, int]
    instances: list[InstState]
    group_instances: list[int]
    all_nodes: list[NodeState]
    load_opts: LoadOptions | None = None  #: the options it was loaded with (for reloads)

    def node(self, cluster_idx: int) -> NodeState:
        return self.all_nodes[cluster_idx]

    def put_nodes(self, nodes: dict[int, NodeState]) -> None:
        """Make ``nodes`` (cluster index → state, e.g. after moves) the group's node states."""
        for k, n in nodes.items():
            self.all_nodes[k] = n
        self.nodes = [nodes[n.idx] for n in self.nodes]



def common_suffix(names: list[str]) -> str:
    """htools' ``longestDomain``: the longest ``.``-suffix of the first name shared by all.

    >>> common_suffix(["a.ex.org", "b.ex.org", "c.org"])
    '.org'
    >>> common_suffix(["a", "b.x"])
    ''
    """
    if not names:
        return ""
    first = names[0]
    cands = sorted({first[k:] for k in range(len(first)) if first[k] == "."}, key=len, reverse=True)
    for suf in cands:
        if all(n.endswith(suf) for n in names):
            return suf
    return ""


def strip_suffix(name: str, suffix: str) -> str:
    return name[: len(name) - len(suffix)] if suffix and name.endswith(suffix) else name


def tag_values(cluster_tags: tuple[str, ...], prefix: str) -> list[str]:
    return [t[len(prefix):] for t in cluster_tags if t.startswith(prefix) and len(t) > len(prefix)]


def new_node_state(k: int, n: Node, alias: str) -> NodeState:
    """``Node.create``: the record before any instance is added."""
    p_dsk = frac(n.free_spindles, n.spindles) if n.excl_stor else frac(n.f_dsk, n.t_dsk)
    p_cpu = fdiv(n.nos_cpu, n.t_cpu)
    return NodeState(
        idx=k, name=n.name, alias=alias, t_mem=n.t_mem, n_mem=n.n_mem, f_mem=n.f_mem, t_dsk=n.t_dsk,
        f_dsk=n.f_dsk, t_cpu=n.t_cpu, n_cpu=n.nos_cpu, t_spindles=n.spindles, f_spindles=n.free_spindles,
        cpu_speed=n.cpu_speed, excl_stor=n.excl_stor, offline=n.offline, u_cpu=n.nos_cpu, p_cpu=p_cpu,
        p_dsk=p_dsk, hi_cpu=math.floor(4.0 * n.t_cpu) if math.isfinite(n.t_cpu) else 0,
        hi_spindles=32.0 * n.spindles, f_mem_forth=n.f_mem, p_mem_forth=fdiv(n.f_mem, n.t_mem),
        f_dsk_forth=n.f_dsk, p_dsk_forth=p_dsk, u_cpu_forth=n.nos_cpu, p_cpu_forth=p_cpu,
        f_spindles_forth=n.free_spindles,
    )


def resolve_names(wanted: tuple[str, ...], names: list[str], what: str) -> set[str]:
    """Ganeti name look-up: the exact name, else the unique name starting with ``given + '.'``."""
    out, bad = set(), []
    for w in wanted:
        if w in names:
            out.add(w)
            continue
        hits = [n for n in names if n.startswith(w + ".")]
        if len(hits) == 1:
            out.add(hits[0])
        else:
            bad.append(w)
    if bad:
        raise PlannerError(None, None, f"unknown {what}(s): {', '.join(bad)}")
    return out
