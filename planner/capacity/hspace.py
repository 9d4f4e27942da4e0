"""hspace's run: load, group checks, tiered then standard allocation (``Program/Hspace.hs``).

>>> from planner.capacity.simulate import simulate_cluster
>>> r = capacity(simulate_cluster(["p,4,8t,64g,16"]), CapacityOptions(disk_template="drbd", limit=8))
>>> r.standard.allocated, r.standard.fail_reason
(8, 'FailMem')
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from planner.capacity.alloc import AllocError, Ctx, alloc_nodes
from planner.capacity.globaln1 import redundant
from planner.capacity.iterate import Interrupted, Proto, Run, iterate, tiered
from planner.capacity.options import CapacityOptions, Spec
from planner.capacity.stats import CStats, total_resources
from planner.domain.errors import PlannerError
from planner.domain.model import DEFAULT_IPOLICY, Cluster, IPolicy
from planner.engine.load import load_group
from planner.engine.state import InstState, LoadOptions, NodeState


@dataclass(frozen=True)
class PhaseResult:
    """One allocation run (tiered or standard)."""

    spec: Spec  #: the starting spec
    template: str
    allocated: int
    tiers: tuple[tuple[tuple[int, int, int, int], int], ...]  #: ((mem, dsk, cpu, spn), count) in order
    reasons: tuple[tuple[str, int], ...]  #: failure counts, most frequent first (hspace's sortReasons)
    stats: CStats
    nodes: tuple[NodeState, ...]
    new: tuple[InstState, ...]  #: the allocated instances, in order

    @property
    def fail_reason(self) -> str:
        return self.reasons[0][0] if self.reasons else "interrupted (Ctrl-C)"


@dataclass(frozen=True)
class CapacityResult:
    """What hspace prints: cluster totals, initial stats, the two runs."""

    node_count: int
    initial_instances: int
    initial: CStats
    excl_storage: bool
    template: str
    required_nodes: int
    tiered: PhaseResult | None
    standard: PhaseResult | None
    bad_nodes: tuple[str, ...]
    bad_groups: tuple[str, ...]
    nodes: tuple[NodeState, ...]  #: the initial node states
    interrupted: bool = False  #: Ctrl-C: the runs hold what was allocated (and checked) until then


def cluster_policy(cluster: Cluster) -> IPolicy:
    for p in cluster.ipolicies:
        if not p.owner:
            return p
    return DEFAULT_IPOLICY


def load_all(cluster: Cluster, opts: CapacityOptions):
    """All nodes (every group) and instances, loaded as htools does (``-O``, ``--max-cpu``)."""
    if not cluster.groups:
        raise PlannerError(cluster.origin, None, "the cluster has no node group")
    lo = LoadOptions(group=cluster.groups[0].uuid, offline_nodes=opts.offline, max_cpu=opts.max_cpu,
                     min_disk=opts.min_disk or 0.0)
    gs = load_group(cluster, lo)
    return gs.all_nodes, gs.instances


def _spec_of(st: InstState) -> tuple[int, int, int, int]:
    i = st.inst
    return (i.mem, i.dsk, i.vcpus, i.spindles if i.spindles is not None else 0)


def _tiers(ixes: list[InstState]):
    out: list[list] = []
    for st in ixes:
        sp = _spec_of(st)
        if out and out[-1][0] == sp:
            out[-1][1] += 1
        else:
            out.append([sp, 1])
    return tuple((a, b) for a, b in out)


def _phase(spec: Spec, template: str, run: Run, with_pos: bool) -> PhaseResult:
    reasons = tuple(sorted(run.errs, key=lambda e: -e[1]))
    return PhaseResult(spec, template, len(run.ixes), _tiers(run.ixes), reasons, total_resources(run.nodes),
                       tuple(run.nodes), tuple(run.ixes))


def capacity(cluster: Cluster, opts: CapacityOptions | None = None, progress=None) -> CapacityResult:
    """hspace on ``cluster``: the tiered run, then the standard run, both from the initial state.

    No node to allocate on is hspace's "failure during allocation" (a :class:`PlannerError` here)."""
    try:
        return _capacity(cluster, opts, progress)
    except AllocError as e:
        raise PlannerError(cluster.origin, None, f"failure during allocation: {e}") from None


def _capacity(cluster: Cluster, opts: CapacityOptions | None, progress) -> CapacityResult:
    opts = opts or CapacityOptions()
    nodes, insts = load_all(cluster, opts)
    ipol = cluster_policy(cluster)
    if not ipol.disk_templates:
        raise PlannerError(cluster.origin, None, "null list of disk templates received from cluster")
    template = opts.disk_template or ipol.disk_templates[0]
    req = 2 if template == "drbd" else 1
    su = opts.spindle_use if opts.spindle_use is not None else ipol.std.spindle_use
    groups = tuple(n.group for n in cluster.nodes)
    policies = tuple(cluster.group_policy(cluster.group_by_uuid(g)) for g in groups)
    ctx = Ctx(policies, groups, opts.accept_existing, frozenset(), opts.capacity_checks, redundant)
    bad = [n for n in nodes if not n.offline and n.fail_n1]
    alloc_pol = {g.uuid: g.alloc_policy for g in cluster.groups}
    bad_grps: list[str] = []
    if opts.independent_groups:
        bad_grps = [g.uuid for g in cluster.groups if not redundant(ctx, nodes, insts, g.uuid)]
    if not opts.accept_existing:
        for n in bad:
            alloc_pol[groups[n.idx]] = "unallocable"
    if opts.independent_groups:
        for g in bad_grps:
            alloc_pol[g] = "unallocable"
        ctx = Ctx(policies, groups, opts.accept_existing, frozenset(bad_grps), opts.capacity_checks, redundant)
    remaining = any(p != "unallocable" for p in alloc_pol.values())
    stop = not (opts.accept_existing or (opts.independent_groups and remaining) or not bad)
    targets = alloc_nodes(nodes, lambda g: alloc_pol[g] != "unallocable", groups, req)
    init = Run([("FailN1", 1)], nodes, insts, [])
    tres = sres = None
    interrupted = False
    if opts.run_tiered:
        tspecs = [opts.tiered] if opts.tiered else [Spec(hi.mem_size, hi.disk_size, hi.cpu_count, hi.spindle_use)
                                                     for _, hi in ipol.minmax]
        if not tspecs:
            raise PlannerError(cluster.origin, None, "Empty list of specs received from the cluster")
        run = init
        if not stop:
            run = Run([], nodes, insts, [])
            try:
                for ts in tspecs:
                    if opts.limit is not None and opts.limit <= len(run.ixes):
                        break
                    lim = None if opts.limit is None else opts.limit - len(run.ixes)
                    run = tiered(ctx, run.nodes, run.insts, lim,
                                 Proto(ts.mem, ts.dsk, ts.cpu, ts.spn, template, su), targets, run.ixes, progress)
            except Interrupted as e:
                run, interrupted = e.run, True
        tres = _phase(tspecs[0], template, run, True)
    if opts.run_standard and not interrupted:
        s = opts.standard or Spec(ipol.std.mem_size, ipol.std.disk_size, ipol.std.cpu_count, ipol.std.spindle_use)
        try:
            run = init if stop else iterate(ctx, nodes, insts, opts.limit,
                                            Proto(s.mem, s.dsk, s.cpu, s.spn, template, su), targets, [],
                                            progress=progress)
        except Interrupted as e:
            run, interrupted = e.run, True
        sres = _phase(s, template, run, False)
    name = {g.uuid: g.name for g in cluster.groups}
    return CapacityResult(len(nodes), len(insts), total_resources(nodes), any(n.excl_stor for n in nodes),
                          template, req, tres, sres, tuple(n.name for n in bad),
                          tuple(name[g] for g in bad_grps), tuple(nodes), interrupted)


def allocated_cluster(cluster: Cluster, phase: PhaseResult) -> Cluster:
    """``cluster`` after the run, as hspace's ``-S`` saves it: every node's free memory, disk and
    spindles and its offline flag (``-O``) from the run's final node states, the new instances added
    (named ``new-0``, ``new-1``, ... as hspace names them)."""
    new = tuple(replace(st.inst, pnode=st.pnode, snode=st.snode) for st in phase.new)
    nodes = tuple(replace(n, f_mem=ns.f_mem, f_dsk=ns.f_dsk, free_spindles=ns.f_spindles, offline=ns.offline)
                  for n, ns in zip(cluster.nodes, phase.nodes, strict=True))
    return cluster.replace(nodes=nodes, instances=cluster.instances + new, source=None)
