"""hcheck 3.0.2, exactly: per-group health counts, an optional hbal simulation, the same output.

Per non-empty node group (``Program/Hcheck.hs: perGroupChecks``): online nodes failing N+1,
nodes with conflicting primaries (exclusion tags), primaries on offline nodes, **the number of
offline nodes** (``OFFLINE_SEC``, a quirk), nodes not directly evacuatable (global N+1,
:mod:`planner.capacity.evacuate`, unless ``capacity=False``) and the group score.  The cluster
needs rebalancing when any count is non-zero (the score does not count).  Then, unless
``simulate=False``, hbal's greedy runs on each group whose score is ≥ optimum + ``min_score``,
and the same counts are taken again.  Quirks kept: the final ``NEED_REBALANCE`` repeats the
initial verdict, an empty cluster prints its verdict as ``CLUSTER_N1_FAIL``, the exit code is 1
exactly when the simulation ran, and a DRBD instance whose secondary is in another group stops
the output where hcheck crashes (:class:`~planner.capacity.evacuate.EvacuationCrash`).

>>> from planner.io.htools_text import read_text
>>> r = check(read_text("tests/data/n1quirk.data"))
>>> [ln for ln in r.machine_lines() if "CLUSTER" in ln][:6]  # doctest: +NORMALIZE_WHITESPACE
['HCHECK_INIT_CLUSTER_N1_FAIL=0', 'HCHECK_INIT_CLUSTER_CONFLICT_TAGS=0', 'HCHECK_INIT_CLUSTER_OFFLINE_PRI=0',
 'HCHECK_INIT_CLUSTER_OFFLINE_SEC=0', 'HCHECK_INIT_CLUSTER_GN1_FAIL=1', 'HCHECK_INIT_CLUSTER_NEED_REBALANCE=1']
>>> r.exit_code
1
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from planner.capacity.evacuate import EvacuationCrash, evacuate_node, load_order, replay_order
from planner.domain.model import Cluster
from planner.domain.plan import Plan
from planner.engine.load import load_group
from planner.engine.n1 import bad_nodes, optimal_score
from planner.engine.score import compute_score
from planner.engine.state import GroupState, LoadOptions
from planner.planners.greedy import GreedyOptions, balance

KEYS = ("N1_FAIL", "CONFLICT_TAGS", "OFFLINE_PRI", "OFFLINE_SEC", "GN1_FAIL")
DESCRIPTIONS = {
    "N1_FAIL": "Nodes not N+1 happy", "CONFLICT_TAGS": "Nodes with conflicting instances",
    "OFFLINE_PRI": "Instances having the primary node offline",
    "OFFLINE_SEC": "Instances having a secondary node offline", "GN1_FAIL": "Nodes not directly evacuateable",
    "SCORE": "Group score", "NEED_REBALANCE": "Cluster is not healthy",
}


@dataclass(frozen=True)
class CheckOptions:
    """hcheck's options: loading (``-O``, ``--exclusion-tags``…), balancing, and its own three."""

    load: LoadOptions = field(default_factory=LoadOptions)
    greedy: GreedyOptions = field(default_factory=GreedyOptions)
    simulate: bool = True  #: False with --no-simulation
    capacity: bool = True  #: False with --no-capacity-checks


@dataclass(frozen=True)
class GroupStats:
    """One group's counts (``None`` where hcheck 3.0.2 crashes) and score."""

    index: int
    name: str
    uuid: str
    counts: dict[str, int | None]
    score: float
    n1_fail_nodes: tuple[str, ...] = ()
    not_evacuatable: tuple[str, ...] = ()


@dataclass
class CheckResult:
    """Both phases' statistics and the verdict; renders hcheck's two output styles."""

    group_uuids: list[tuple[int, str]]  #: every group of the file (``HCHECK_GROUP_UUID_<idx>``)
    initial: list[GroupStats]
    final: list[GroupStats]
    keys: tuple[str, ...]
    simulate: bool  #: the simulation was asked for (not --no-simulation)
    plans: dict[str, Plan] = field(default_factory=dict)  #: group name → the simulated hbal plan

    @property
    def need_rebalance(self) -> bool:
        """Any count > 0 (raises :class:`EvacuationCrash` where hcheck crashes)."""
        return sum(_value(v) for v in _sums(self.initial, self.keys)) > 0

    @property
    def simulated(self) -> bool:
        return self.simulate and self.need_rebalance

    @property
    def exit_code(self) -> int:
        """hcheck's: 1 when the simulation ran, else 0."""
        return 1 if self.simulated else 0

    def machine_lines(self) -> Iterator[str]:
        """``--machine-readable`` output, line by line (raises where hcheck crashes)."""
        for idx, uuid in self.group_uuids:
            yield f"HCHECK_GROUP_UUID_{idx}={_quoted(uuid)}"
        for phase, stats in (("INIT", self.initial), ("FINAL", self.final)):
            for g in stats:
                for k in (*self.keys, "SCORE"):
                    yield f"HCHECK_{phase}_GROUP_{g.index}_{k}={_quoted(_group_value(g, k))}"
            for k, v in self._cluster_values(stats, True):
                yield f"HCHECK_{phase}_CLUSTER_{k}={_quoted(v)}"
        yield "HCHECK_OK=1"

    def human_lines(self, verbose: int = 1) -> Iterator[str]:
        """hcheck's text output at verbosity ``verbose`` (1 = default, 0 = ``-q``)."""
        if verbose < 1:
            return
        if not self.simulate:
            yield "Running in no-simulation mode."
        else:
            yield ("Cluster needs rebalancing." if self.need_rebalance
                   else "No need to rebalance cluster, no problems found.")
        phases = [("initially", self.initial)] + ([("after rebalancing", self.final)] if self.simulated else [])
        for when, stats in phases:
            for g in stats:
                yield ""
                yield f"Statistics for group {g.name} {when}"
                for k in (*self.keys, "SCORE"):
                    yield f"    {DESCRIPTIONS[k]}: {_group_value(g, k)}"
            yield ""
            yield f"Cluster statistics {when}"
            for k, v in self._cluster_values(stats, False):
                yield f"    {DESCRIPTIONS[k]}: {v}"

    def _cluster_values(self, stats: list[GroupStats], machine: bool) -> Iterator[tuple[str, str]]:
        """``zip keys values``: with no group the verdict lands on the first key (hcheck's quirk)."""
        values = [lambda s=s: str(_value(s)) for s in _sums(stats, self.keys)]
        values.append(lambda: _bool(self.need_rebalance, machine))
        for k, v in zip((*self.keys, "NEED_REBALANCE"), values, strict=False):
            yield k, v()

    def to_frame(self):
        """One row per group and phase: the counts, the score, the failing node names."""
        import pandas as pd

        rows = []
        for phase, stats in (("initial", self.initial), ("final", self.final)):
            for g in stats:
                rows.append({"phase": phase, "group": g.name, **{k.lower(): g.counts[k] for k in self.keys},
                             "score": g.score, "n1_fail_nodes": ",".join(g.n1_fail_nodes),
                             "not_evacuatable": ",".join(g.not_evacuatable)})
        return pd.DataFrame(rows)


def _value(v: int | None) -> int:
    if v is None:
        raise EvacuationCrash("an instance's secondary is outside its primary's group "
                              "(hcheck 3.0.2 crashes here: IntMap.!)")
    return v


def _sums(stats: list[GroupStats], keys: tuple[str, ...]) -> list[int | None]:
    if not stats:
        return []
    out = []
    for k in keys:
        vals = [g.counts[k] for g in stats]
        out.append(None if None in vals else sum(vals))
    return out


def _group_value(g: GroupStats, key: str) -> str:
    return f"{g.score:.8f}" if key == "SCORE" else str(_value(g.counts[key]))


def _bool(b: bool, machine: bool) -> str:
    return ("1" if b else "0") if machine else str(b)


def _quoted(v: str) -> str:
    """htools' ``ensureQuoted``: single quotes unless the value is only letters, digits and dots."""
    return v if re.fullmatch(r"[A-Za-z0-9.]*", v) else f"'{v}'"


def group_stats(index: int, gs: GroupState, capacity: bool, order: dict[int, list[int]]) -> GroupStats:
    """``perGroupChecks`` on a loaded group; ``order`` gives each node's primaries in pList order."""
    offline = [n for n in gs.nodes if n.offline]
    counts: dict[str, int | None] = {
        "N1_FAIL": len(bad_nodes(gs)),
        "CONFLICT_TAGS": sum(1 for n in gs.nodes if sum(n.p_tags.values()) > len(n.p_tags)),
        "OFFLINE_PRI": sum(len(n.plist) for n in offline),
        "OFFLINE_SEC": len(offline),
    }
    bad: list[str] = []
    if capacity:
        counts["GN1_FAIL"] = _gn1(gs, order, bad)
    return GroupStats(index, gs.group_name, gs.group_uuid, counts, compute_score(gs.nodes),
                      tuple(n.name for n in bad_nodes(gs)), tuple(bad))


def _gn1(gs: GroupState, order: dict[int, list[int]], bad: list[str]) -> int | None:
    nodes = {n.idx: n for n in gs.nodes}
    pol = gs.cluster.group_policy(gs.cluster.group_by_uuid(gs.group_uuid))
    try:
        for n in gs.nodes:
            if not evacuate_node(nodes, gs.instances, n.idx, order[n.idx], pol).ok:
                bad.append(n.name)
    except EvacuationCrash:
        return None
    return len(bad)


def _simulate(gs: GroupState, opts: GreedyOptions) -> Plan | None:
    """``maybeSimulateGroupRebalance``: hbal's loop when the score is ≥ optimum + min_score."""
    if compute_score(gs.nodes) < opts.min_score + optimal_score(gs.nodes):
        return None
    return balance(gs, opts)


def check(cluster: Cluster, opts: CheckOptions | None = None) -> CheckResult:
    """Run hcheck on ``cluster`` (every group; hcheck has no ``-G``)."""
    opts = opts or CheckOptions()
    keys = KEYS if opts.capacity else KEYS[:-1]
    index = {g.uuid: k for k, g in enumerate(cluster.groups)}
    used = sorted({n.group for n in cluster.nodes}, key=lambda u: index[u])
    states = [load_group(cluster, replace(opts.load, group=u)) for u in used]
    orders = [load_order(gs) for gs in states]
    initial = [group_stats(index[gs.group_uuid], gs, opts.capacity, o) for gs, o in zip(states, orders, strict=True)]
    res = CheckResult([(k, g.uuid) for k, g in enumerate(cluster.groups)], initial, initial, keys, opts.simulate)
    try:
        if not res.simulated:
            return res
    except EvacuationCrash:
        return res  # the output stops where hcheck's does
    final = []
    for gs, order, st in zip(states, orders, initial, strict=True):
        plan = _simulate(gs, opts.greedy)
        if plan is None:
            final.append(st)
            continue
        res.plans[gs.group_name] = plan
        final.append(group_stats(st.index, gs, opts.capacity, replay_order(order, plan.steps, gs)))
    res.final = final
    return res
