"""What the CP-SAT model is built from: candidate placements per instance and per-node constants.

A DRBD instance that may move gets one candidate per (primary, secondary) pair it may end on:
its current pair, the failover, and hbal's move shapes (``r``, ``rf``, ``fr``, ``frf``) toward a
set of target nodes (all online nodes on small groups, the most promising K otherwise), plus any
pair given as a hint.  Per-node constants hold everything the movable instances do not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.engine.moves import mirror_type
from planner.engine.state import GroupState, InstState, NodeState


@dataclass
class Candidate:
    """One possible final placement of one instance (group node positions; s = -1: none)."""

    p: int
    s: int
    gb: float  #: GiB copied to get there (each new node gets a full copy of the disk)
    steps: int  #: hbal moves needed (0, 1 or 2)
    migrations: int


@dataclass
class NodeBase:
    """A node's quantities with every movable instance taken off it."""

    online: bool
    t_mem: float
    t_dsk: float
    t_cpu: float
    speed: float
    mem_cap: int  #: unallocated memory with no movable primary (MiB)
    dsk_free: int  #: free disk with no movable instance (MiB)
    ucpu: int
    hi_cpu: int
    inst_sp: float
    hi_sp: float
    fmem_forth: int
    pri: int
    tot: int
    load: list[float]
    peers: dict[int, int]  #: fixed instances' reserved memory by primary position
    fail_n1: bool
    lo_dsk: int


@dataclass
class ModelData:
    gs: GroupState
    nodes: list[NodeState]
    pos: dict[int, int]
    base: list[NodeBase]
    movable: list[InstState]
    cands: list[list[Candidate]]
    current: list[int] = field(default_factory=list)  #: index of the current pair in cands[i]


def gb_between(st: InstState, p0: int, s0: int, p: int, s: int) -> float:
    new = {x for x in (p, s) if x >= 0} - {p0, s0}
    return len(new) * st.inst.dsk / 1024 if st.inst.uses_local_storage or mirror_type(st) == "internal" \
        else 0.0


def move_counts(p0: int, s0: int, p: int, s: int) -> tuple[int, int]:
    """(hbal moves, migrations) from (p0, s0) to (p, s)."""
    if (p, s) == (p0, s0):
        return 0, 0
    if s0 < 0:
        return 1, 1
    if (p, s) == (s0, p0):
        return 1, 1
    if p == p0:
        return 1, 0
    if s == p0 or p == s0:
        return 1, 1
    if s == s0:
        return 1, 2
    return 2, 2


def make_candidates(nodes: list[NodeState], st: InstState, origin: tuple[int, int], pairs: list[tuple[int, int]],
                    online: list[int], keep: set, offline_ok: set) -> list[Candidate]:
    """The allowed, distinct ``pairs`` as candidates, GB and moves counted from ``origin``.

    Pairs in ``keep`` are always allowed; others may use an offline node only if it is in
    ``offline_ok``, and must pass migration tags and hbal's soft caps.
    """
    tagged = any(n.mig_tags for n in nodes)
    seen, out = set(), []
    for pr in pairs:
        if pr in seen or (pr not in keep and any(x >= 0 and x not in online and x not in offline_ok for x in pr)):
            continue
        seen.add(pr)
        if pr != origin and ((tagged and not migration_ok(nodes, *origin, *pr))
                             or not caps_ok(nodes, st, *origin, *pr)):
            continue
        n_steps, migs = move_counts(*origin, *pr)
        out.append(Candidate(pr[0], pr[1], gb_between(st, *origin, *pr), n_steps, migs))
    return out


def migrations_of(p0: int, s0: int, p: int, s: int) -> list[tuple[int, int]]:
    """(from, to) node pairs of every migration/failover hbal's moves from (p0, s0) to (p, s) make."""
    from planner.execution.sequence import decompose, walk

    out, cp, cs = [], p0, s0
    for kind, t in decompose(p0, s0, p, s)[0]:
        if kind in ("f", "fr"):
            out.append((cp, cs))
        elif kind in ("fa", "rf"):
            out.append((cp, t))
        elif kind == "frf":
            out += [(cp, cs), (cs, t)]
        cp, cs = walk(cp, cs, [(kind, t)])
    return out


def migration_ok(nodes: list[NodeState], p0: int, s0: int, p: int, s: int) -> bool:
    """hbal's migration tags allow every migration on the way (positions in ``nodes``)."""
    return all(nodes[a].mig_tags <= nodes[b].rmig_tags for a, b in migrations_of(p0, s0, p, s))


def caps_ok(nodes: list[NodeState], st: InstState, p0: int, s0: int, p: int, s: int) -> bool:
    """hbal refuses any new role on a node already over its spindle cap (local storage) or, for a
    primary, over its vCPU ratio (soft checks, forced only when leaving an offline node)."""
    if (p0 >= 0 and nodes[p0].offline) or (s0 >= 0 and nodes[s0].offline):
        return True
    old = {p0: "p", s0: "s"}
    for n, role in ((p, "p"), (s, "s")):
        if n < 0 or old.get(n) == role:
            continue
        node = nodes[n]
        if st.inst.uses_local_storage and not node.excl_stor and node.inst_spindles > node.hi_spindles:
            return False
        if role == "p" and node.p_cpu > node.vcpu_ratio:
            return False
    return True


def node_bases(gs: GroupState, movable: set[int]) -> list[NodeBase]:
    """Per-node constants with the movable instances removed."""
    pos = {n.idx: k for k, n in enumerate(gs.nodes)}
    out = []
    for n in gs.nodes:
        mem = n.unallocated
        dsk = n.f_dsk
        ucpu, isp, fmf = n.u_cpu, n.inst_spindles, n.f_mem_forth
        pri, tot = len(n.plist), len(n.plist) + len(n.slist)
        load = list(n.util_load)
        peers = {pos.get(p, -1 - p): v for p, v in n.peers.items()}
        for k in n.plist & movable:
            i = gs.instances[k]
            mem += i.inst.mem if i.inst.uses_memory else 0
            dsk += i.inst.dsk if i.inst.uses_local_storage else 0
            ucpu -= i.inst.vcpus if i.inst.not_offline else 0
            isp -= i.inst.spindle_use if i.inst.uses_local_storage else 0
            fmf += i.inst.mem
            pri -= 1
            tot -= 1
            for j in range(4):
                load[j] -= i.util[j]
        for k in n.slist & movable:
            i = gs.instances[k]
            dsk += i.inst.dsk
            isp -= i.inst.spindle_use
            tot -= 1
            load[2] -= i.util[2]
            pp = pos[i.pnode]
            if i.inst.uses_sec_mem:
                peers[pp] = peers.get(pp, 0) - i.inst.mem
        out.append(NodeBase(
            online=not n.offline, t_mem=n.t_mem, t_dsk=n.t_dsk, t_cpu=n.t_cpu, speed=n.cpu_speed,
            mem_cap=mem, dsk_free=dsk, ucpu=ucpu, hi_cpu=n.hi_cpu, inst_sp=isp, hi_sp=n.hi_spindles,
            fmem_forth=fmf, pri=pri, tot=tot, load=load, peers={p: v for p, v in peers.items() if v > 0},
            fail_n1=n.fail_n1, lo_dsk=n.lo_dsk))
    return out


def target_nodes(gs: GroupState, k: int) -> list[int]:
    """The K most promising target positions: most free memory, disk, fewest instances."""
    online = [p for p, n in enumerate(gs.nodes) if not n.offline]
    if len(online) <= k:
        return online
    picks: list[int] = []
    keys = [lambda n: -n.unallocated / max(n.t_mem, 1), lambda n: -n.f_dsk / max(n.t_dsk, 1),
            lambda n: len(n.plist) + len(n.slist), lambda n: len(n.plist)]
    ranked = [sorted(online, key=lambda p, f=f: f(gs.nodes[p])) for f in keys]
    r = 0
    while len(picks) < k:
        for order in ranked:
            if r < len(order) and order[r] not in picks and len(picks) < k:
                picks.append(order[r])
        r += 1
    return sorted(picks)


def build_data(gs: GroupState, k_targets: int = 16, all_pairs_upto: int = 8,
               extra: dict[int, tuple[int, int]] | None = None) -> ModelData:
    """Candidates for every movable instance of the group (``extra``: more pairs, cluster indices)."""
    pos = {n.idx: p for p, n in enumerate(gs.nodes)}
    online = [p for p, n in enumerate(gs.nodes) if not n.offline]
    movable = [gs.instances[k] for k in gs.group_instances
               if gs.instances[k].movable and gs.instances[k].inst.auto_balance
               and mirror_type(gs.instances[k]) != "none" and not gs.instances[k].inst.forthcoming]
    movable = [st for st in movable if (st.snode < 0) == (mirror_type(st) == "external")]
    targets = online if len(online) <= all_pairs_upto else target_nodes(gs, k_targets)
    cands: list[list[Candidate]] = []
    current: list[int] = []
    for st in movable:
        p0 = pos[st.pnode]
        s0 = pos[st.snode] if st.snode >= 0 else -1
        pairs: list[tuple[int, int]] = [(p0, s0)]
        if s0 < 0:
            pairs += [(t, -1) for t in online if t != p0]
        elif len(online) <= all_pairs_upto:
            pairs += [(a, b) for a in online for b in online if a != b]
        else:
            if s0 in online:
                pairs.append((s0, p0))
            for x in targets:
                if x in (p0, s0):
                    continue
                pairs += [(p0, x), (x, p0)]
                if s0 in online:
                    pairs += [(s0, x), (x, s0)]
        if extra and st.idx in extra:
            ep, es = extra[st.idx]
            pairs.append((pos[ep], pos[es] if es >= 0 else -1))
        cands.append(make_candidates(gs.nodes, st, (p0, s0), pairs, online, {(p0, s0)}, {p0, s0}))
        current.append(0)
    base = node_bases(gs, {st.idx for st in movable})
    return ModelData(gs, gs.nodes, pos, base, movable, cands, current)


def evacuation_needs(gs: GroupState) -> tuple[int, float]:
    """(instances, GiB) any plan that empties the offline nodes must move and copy: each movable
    instance with a replica there moves at least once, and every DRBD replica there is copied once.

    >>> from planner.api import load
    >>> from planner.engine.load import load_group
    >>> evacuation_needs(load_group(load("tests/data/offline.data")))  # a1, a2, a3 touch nA
    (3, 2.9296875)
    """
    off = {n.idx for n in gs.nodes if n.offline}
    count, total = 0, 0.0
    for k in gs.group_instances:
        st = gs.instances[k]
        there = [x for x in (st.pnode, st.snode) if x in off]
        if st.movable and there:
            count += 1
            if st.inst.disk_template == "drbd":
                total += len(there) * st.inst.dsk / 1024
    return count, total


def gb_lower_bound(gs: GroupState) -> float:
    """GiB any plan that empties the offline nodes must copy: every movable replica there, once."""
    return evacuation_needs(gs)[1]
