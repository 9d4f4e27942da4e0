"""What the loss of a node (or of a rack, or of a node list) does, and what restoring N+1 costs.

For each failure the failed nodes are marked offline and emptied as hcheck's global N+1 would
(:func:`planner.capacity.evacuate.evacuate_node`, soft rules ignored), except that a node that
died cannot be copied from: DRBD primaries fail over to their secondary when it is online and has
the memory, movable external-storage instances restart on the best-scoring online node, and
plain/file/blockdev instances are lost.  The report gives each instance's fate, the N+1 state and
score after the loss, and the cost of a CP-SAT plan (verified) that moves everything off the
failed nodes again: moves, GiB copied, hours (the schedule's makespan), and N+1 after it.

>>> from planner.io.htools_text import read_text
>>> r = failures(read_text("tests/data/failures-basic.data"), FailureOptions(restore=False))
>>> [(c.label, len(c.failovers), [i for i, _ in c.lost]) for c in r.cases]
[('fa', 2, ['plainA']), ('fb', 1, ['off1', 'onB']), ('fc', 0, ['plainC'])]
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from planner.capacity.evacuate import evacuate_node, load_order
from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.domain.placement import apply_placement
from planner.engine.load import load_group
from planner.engine.n1 import bad_nodes
from planner.engine.score import compute_score
from planner.engine.state import LoadOptions


@dataclass(frozen=True)
class FailureOptions:
    """Which failures to study and how hard to look for the repair plan."""

    load: LoadOptions = field(default_factory=LoadOptions)
    fail: tuple[str, ...] = ()  #: extra failures: a node tag (e.g. ``rack:a``) or ``n1,n2``
    nodes: bool = True  #: also every online node on its own
    restore: bool = True  #: plan the repair (CP-SAT)
    time_limit: float = 3.0
    seed: int = 1
    workers: int = 2


@dataclass(frozen=True)
class RestoreCost:
    """The verified CP-SAT plan that empties the failed nodes again."""

    moves: int
    gb: float
    hours: float
    status: str
    final_score: float
    n1_fail_after: tuple[str, ...]


@dataclass
class FailureCase:
    """One failure in one node group."""

    label: str
    group: str
    failed: tuple[str, ...]
    score_before: float
    failovers: list[tuple[str, str]] = field(default_factory=list)  #: (instance, new primary)
    relocated: list[tuple[str, str]] = field(default_factory=list)  #: (instance, new primary)
    lost: list[tuple[str, str]] = field(default_factory=list)  #: (instance, why it cannot move)
    n1_fail_after: tuple[str, ...] = ()
    score_after: float = 0.0
    restore: RestoreCost | None = None
    #: (surviving node, free memory minus the memory it must keep for N+1, MiB) after the loss
    headroom: tuple[tuple[str, int], ...] = ()

    def row(self) -> dict:
        r = self.restore
        return {"failed": self.label, "group": self.group, "failovers": len(self.failovers),
                "relocated": len(self.relocated), "lost": len(self.lost),
                "n1_fail_after": len(self.n1_fail_after), "score_before": self.score_before,
                "score_after": self.score_after, "restore_moves": r.moves if r else None,
                "restore_gb": r.gb if r else None, "restore_hours": r.hours if r else None,
                "restore_n1_fail": len(r.n1_fail_after) if r else None, "restore_status": r.status if r else None}


@dataclass
class FailureReport:
    cases: list[FailureCase]

    def to_frame(self):
        """One row per failure and group."""
        import pandas as pd

        return pd.DataFrame([c.row() for c in self.cases])

    def headroom_frame(self):
        """One row per failure and surviving node: ``failed``, ``node``, ``headroom_mb`` (< 0: N+1 broken)."""
        import pandas as pd

        rows = [{"failed": c.label, "node": n, "headroom_mb": h} for c in self.cases for n, h in c.headroom]
        return pd.DataFrame(rows, columns=["failed", "node", "headroom_mb"])

    def to_json(self) -> list[dict]:
        out = []
        for c in self.cases:
            d = c.row()
            d.update(failed_nodes=list(c.failed), failover_to=dict(c.failovers), relocated_to=dict(c.relocated),
                     lost_instances=dict(c.lost), n1_fail_nodes=list(c.n1_fail_after),
                     restore_n1_fail_nodes=list(c.restore.n1_fail_after) if c.restore else None)
            out.append(d)
        return out


def failure_sets(cluster: Cluster, opts: FailureOptions) -> list[tuple[str, tuple[int, ...]]]:
    """(label, node indices) for every failure asked for."""
    out = [(n.name, (k,)) for k, n in enumerate(cluster.nodes) if opts.nodes and not n.offline]
    names = {n.name: k for k, n in enumerate(cluster.nodes)}
    for spec in opts.fail:
        parts = [p for p in spec.split(",") if p]
        if parts and all(p in names for p in parts):
            out.append((spec, tuple(sorted(names[p] for p in parts))))
            continue
        tagged = tuple(k for k, n in enumerate(cluster.nodes) if spec in n.tags)
        if not tagged:
            raise PlannerError(cluster.origin, None, f"--fail {spec}: neither a node list nor a node tag")
        out.append((spec, tagged))
    return out


def failures(cluster: Cluster, opts: FailureOptions | None = None, on_case=None) -> FailureReport:
    """Study every failure of ``opts`` (``on_case(k, total, label)`` is called before each)."""
    opts = opts or FailureOptions()
    sets = failure_sets(cluster, opts)
    cases = []
    for k, (label, failed) in enumerate(sets):
        if on_case:
            on_case(k, len(sets), label)
        for uuid in sorted({cluster.nodes[f].group for f in failed}):
            cases.append(_one(cluster, label, [f for f in failed if cluster.nodes[f].group == uuid], uuid, opts))
    return FailureReport(cases)


def _one(cluster: Cluster, label: str, failed: list[int], uuid: str, opts: FailureOptions) -> FailureCase:
    lo = replace(opts.load, group=uuid)
    before = load_group(cluster, lo)
    off = set(failed)
    down = cluster.replace(nodes=tuple(replace(n, offline=True) if k in off else n
                                       for k, n in enumerate(cluster.nodes)))
    gs = load_group(down, lo)
    case = FailureCase(label, gs.group_name, tuple(cluster.nodes[f].name for f in failed),
                       compute_score(before.nodes))
    nodes = {n.idx: n for n in gs.nodes}
    order = load_order(gs)
    pol = cluster.group_policy(cluster.group_by_uuid(uuid))
    placement: dict[int, tuple[int, int]] = {}
    name = lambda k: cluster.nodes[k].name  # noqa: E731
    for f in failed:
        ev = evacuate_node(nodes, gs.instances, f, order[f], pol, keep_going=True, online_only=True,
                           recreate=False)
        nodes = ev.nodes
        for k, to in ev.failovers:
            placement[k] = (to, f)
            case.failovers.append((cluster.instances[k].name, name(to)))
        for k, to in ev.relocated:
            placement[k] = (to, cluster.instances[k].snode)
            case.relocated.append((cluster.instances[k].name, name(to)))
        case.lost += [(cluster.instances[k].name, _why(why, cluster.instances[k].snode, off)) for k, why in ev.failed]
    after = apply_placement(down, placement)
    gs_after = load_group(after, lo)
    case.n1_fail_after = tuple(n.name for n in bad_nodes(gs_after))
    case.score_after = compute_score(gs_after.nodes)
    case.headroom = tuple((n.name, n.f_mem - n.r_mem) for n in gs_after.nodes if not n.offline)
    touches = any(i.pnode in off or i.snode in off for i in after.instances)
    if opts.restore and touches:
        case.restore = _restore(after, lo, opts)
    return case


def _why(reason: str, snode: int, failed: set[int]) -> str:
    return "secondary failed too" if reason == "secondary offline" and snode in failed else reason


def _restore(after: Cluster, lo: LoadOptions, opts: FailureOptions) -> RestoreCost:
    from planner.planners.cpsat import CpsatOptions
    from planner.planners.verified import balance, schedule_plan

    method = "cpsat"
    try:
        plan, final = balance(after, "cpsat", CpsatOptions(time_limit=opts.time_limit, seed=opts.seed,
                                                           workers=opts.workers), lo)
    except PlannerError:  # no CP-SAT plan in the time given: hbal's greedy repair, verified as well
        method = "greedy"
        plan, final = balance(after, "greedy", None, lo)
    schedule_plan(after, plan, load_opts=lo, seed=opts.seed, workers=opts.workers)
    hours = plan.schedule.makespan_s / 3600 if plan.schedule else 0.0
    status = str(plan.status) if method == "cpsat" else "greedy (no CP-SAT plan in the time limit)"
    return RestoreCost(len(plan.steps), plan.gb_copied, hours, status, plan.final_score,
                       tuple(n.name for n in bad_nodes(load_group(final, lo))))
