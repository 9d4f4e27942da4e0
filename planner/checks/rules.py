"""hbal's placement rules (htools 3.0.2), one function per rule, each returning ``Violation | None``.

**Hard** rules are physical limits and hbal never breaks them, not even with
``--ignore-soft-errors``: memory (``unallocated <= 0`` on a new primary), disk
(``free disk <= 0``), exclusive-storage spindles, migration tags, and the structural rules
(distinct nodes, online targets, same group, movable template).  **Soft** rules are policy:
``--min-disk``, spindle ratio, vCPU ratio, exclusion tags, "do not create a new N+1 failure",
secondary memory, the forthcoming-capacity checks and ``auto_balance=N``.  Soft rules are
skipped when the placement is *forced*: ``--ignore-soft-errors``, or the instance leaves an
offline node (htools-core §5.2 table, §5.3 offline relaxation; htools-tools §1.4, §5).

The rules read a :class:`NodeUsage`, a small accounting of one node that is computed
independently of the planners (:func:`node_usages` from scratch, :func:`add_role` /
:func:`remove_role` incrementally).  Memory follows hbal: ``recorded_free = trunc(t_mem) -
n_mem - i_mem``, ``x_mem`` is fixed at load, ``unallocated = recorded_free - max(0, x_mem)``.
N+1 uses hbal's two formulas (§3.2): ``f_mem < r_mem`` until a move touches the node, then
``unallocated <= r_mem``.

>>> from planner.io.htools_text import parse_text
>>> c = parse_text(open("tests/data/n1quirk.data").read())
>>> u = node_usages(c)
>>> [(x.name, x.unallocated, x.r_mem, x.fail_n1) for x in u]
[('nodeA', 1024, 1500, False), ('nodeB', 4000, 3072, False), ('nodeC', 8192, 0, False)]
>>> i1 = c.instances[0]
>>> same = add_role(remove_role(u[0], i1, PRIMARY, ()), i1, PRIMARY, ())  # r:T refreshes the primary
>>> same.unallocated, same.fail_n1  # unchanged memory, but now the <= formula (htools-core §3.3)
(1024, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from planner.checks.usage import (  # noqa: F401  (re-exported: the rules' vocabulary)
    PRIMARY,
    SECONDARY,
    NodeUsage,
    RuleConfig,
    add_role,
    instance_exclusion_tags,
    node_usages,
    remove_role,
)
from planner.domain.model import MOVABLE_TEMPLATES, Instance


@dataclass(frozen=True, slots=True)
class Violation:
    """A broken rule: which one, where, and whether hbal would break it even when forced.

    >>> str(Violation("disk", "node-2 would have -512 MiB free disk", True, "node-2", "inst-7"))
    'disk: node-2 would have -512 MiB free disk'
    """

    rule: str
    message: str
    hard: bool
    node: str = ""
    instance: str = ""

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


# ------------------------------------------------------------------------- step-level rules

@dataclass(frozen=True)
class MoveCheck:
    """One move of one instance: (primary, secondary) before and after, node usages before it."""

    instance: Instance
    kind: str  #: f, fa, r, rf, fr, frf
    old: tuple[int, int]
    new: tuple[int, int]
    nodes: Sequence[NodeUsage]
    force: bool = False  #: soft rules off (``--ignore-soft-errors`` or leaving an offline node)

    @property
    def target(self) -> int:
        return self.new[1] if self.kind in ("r", "fr") else self.new[0]

    def name(self, k: int) -> str:
        return self.nodes[k].name

    def fail(self, rule: str, msg: str, node: int = -1, hard: bool = True) -> Violation:
        return Violation(rule, msg, hard, self.name(node) if node >= 0 else "", self.instance.name)


#: The migrations (source, destination) each move kind performs, as keys of (P, S, T).
MIGRATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "f": (("P", "S"),), "fa": (("P", "T"),), "r": (), "rf": (("P", "T"),), "fr": (("P", "S"),),
    "frf": (("P", "S"), ("S", "T")),
}


def movable(m: MoveCheck) -> Violation | None:
    """hbal moves only drbd and external-mirror (not diskless) instances of one group, with auto_balance."""
    i, p, s = m.instance, m.old[0], m.old[1]
    if i.disk_template not in MOVABLE_TEMPLATES:
        return m.fail("movable", f"{i.disk_template} instances are never moved")
    if s >= 0 and m.nodes[p].group != m.nodes[s].group:
        return m.fail("movable", f"{i.name} is split between node groups")
    if not i.auto_balance and not m.force:
        return m.fail("movable", f"{i.name} has auto_balance=N", hard=False)
    return None


def same_group(m: MoveCheck) -> Violation | None:
    """A move stays inside the node group of the instance's primary."""
    g = m.nodes[m.old[0]].group
    for k in m.new:
        if k >= 0 and m.nodes[k].group != g:
            return m.fail("same_group", f"{m.name(k)} is not in the group of {m.name(m.old[0])}", k)
    return None


def drbd_distinct_nodes(m: MoveCheck) -> Violation | None:
    """Primary and secondary differ, and a move's target is a node the instance is not on yet."""
    p, s = m.new
    if p == s:
        return m.fail("drbd_distinct_nodes", f"{m.name(p)} would be both primary and secondary", p)
    t = m.target
    if m.kind != "f" and t in m.old:
        return m.fail("drbd_distinct_nodes", f"target {m.name(t)} already holds {m.instance.name}", t)
    return None


def target_online(m: MoveCheck) -> Violation | None:
    """No instance is placed on an offline node, unless it was already there (evacuation)."""
    p, s = m.old
    runs = [m.new[0]] + ([s] if m.kind == "frf" else [])  # frf runs on S in between
    bad = [(k, f"run {m.instance.name}") for k in runs if k != p and m.nodes[k].offline]
    k = m.new[1]
    bad += [(k, "hold a secondary")] if k >= 0 and k not in (p, s) and m.nodes[k].offline else []
    if bad:
        k, what = bad[0]
        return m.fail("target_online", f"{m.name(k)} is offline and cannot {what}", k)
    return None


def migration_tags(m: MoveCheck) -> Violation | None:
    """Each migration S→T needs migtags(S) ⊆ rmigtags(T) (``htools:migration``; hard, never forced)."""
    keys = {"P": m.old[0], "S": m.old[1], "T": m.target}
    for a, b in MIGRATIONS[m.kind]:
        src, dst = m.nodes[keys[a]], m.nodes[keys[b]]
        missing = src.mig_tags - dst.rmig_tags
        if missing:
            return m.fail("migration_tags", f"{dst.name} may not receive from {src.name} "
                          f"(tags {', '.join(sorted(missing))})", dst.idx)
    return None


STEP_RULES: tuple[Callable[[MoveCheck], Violation | None], ...] = (
    movable, same_group, drbd_distinct_nodes, target_online, migration_tags)


# --------------------------------------------------------------------- per-placement rules

@dataclass(frozen=True)
class Placing:
    """One node receiving the instance in one role, as an hbal primitive (addPriEx / addSecExEx) does."""

    instance: Instance
    excl_tags: tuple[str, ...]
    role: str
    before: NodeUsage  #: the node without the instance
    after: NodeUsage
    force: bool = False
    ignore_disks: bool = False  #: ``f`` off an offline primary keeps the disk there


def _v(p: Placing, rule: str, msg: str, hard: bool) -> Violation:
    return Violation(rule, f"{p.after.name} {msg}", hard, p.after.name, p.instance.name)


def _uses_disk(p: Placing) -> bool:
    return p.role == SECONDARY or p.instance.uses_local_storage


def memory(p: Placing) -> Violation | None:
    """A new primary keeps unallocated memory > 0 (hard FailMem)."""
    if p.role == PRIMARY and not p.instance.forthcoming and p.after.unallocated <= 0:
        return _v(p, "memory", f"would have {p.after.unallocated} MiB unallocated memory", True)
    return None


def disk(p: Placing) -> Violation | None:
    """Free disk > 0 (hard FailDisk), and not below ``--min-disk`` (soft); only drbd has secondaries."""
    if p.instance.forthcoming or not _uses_disk(p):
        return None
    if p.role == SECONDARY and p.instance.disk_template != "drbd":
        return _v(p, "disk", f"cannot hold a secondary of a {p.instance.disk_template} instance", True)
    if p.after.f_dsk <= 0 and not p.ignore_disks:
        return _v(p, "disk", f"would have {p.after.f_dsk} MiB free disk", True)
    if p.after.f_dsk < p.after.lo_dsk and not p.force:
        return _v(p, "disk", f"would have {p.after.f_dsk} MiB free disk, below the {p.after.lo_dsk} MiB "
                  "min-disk reserve", False)
    return None


def exclusive_spindles(p: Placing) -> Violation | None:
    """With exclusive storage, free spindles stay >= 0 (hard FailSpindles)."""
    if not p.instance.forthcoming and _uses_disk(p) and p.after.excl_stor and p.after.f_spindles < 0:
        return _v(p, "exclusive_spindles", f"would have {p.after.f_spindles} free spindles", True)
    return None


def spindle_ratio(p: Placing) -> Violation | None:
    """Σ spindle use of local-storage roles <= spindle_ratio × spindles (soft, reported as FailDisk)."""
    a = p.after
    if not (p.force or p.instance.forthcoming) and _uses_disk(p) and a.inst_spindles > a.hi_spindles:
        return _v(p, "spindle_ratio", f"would use {a.inst_spindles:g} spindles, over {a.hi_spindles:g}",
                  False)
    return None


def secondary_memory(p: Placing) -> Violation | None:
    """A new secondary needs its failover memory < the node's unallocated memory (soft, ``>=`` fails)."""
    i = p.instance
    if p.role != SECONDARY or p.force or i.forthcoming:
        return None
    need = i.mem if i.uses_sec_mem else 0
    if need >= p.before.unallocated:
        return _v(p, "secondary_memory", f"has {p.before.unallocated} MiB unallocated, "
                  f"{i.name} needs {need} MiB", False)
    return None


def n1(p: Placing) -> Violation | None:
    """A node that does not fail N+1 must not start failing (soft; hbal's flags, htools-core §3.2)."""
    if p.force or p.instance.forthcoming:
        return None
    a = p.after
    if a.unallocated <= a.r_mem and not p.before.fail_n1:
        return _v(p, "n1", f"would fail N+1: {a.unallocated} MiB unallocated <= {a.r_mem} MiB reserved",
                  False)
    return None


def _ratio(u: int, t: float) -> float:
    return u / t if t else math.copysign(math.inf, u) if u else math.nan


def vcpu_ratio(p: Placing) -> Violation | None:
    """(nos_cpu + vCPUs of primaries) / t_cpu <= the group's vcpu_ratio after adding a primary (soft)."""
    a = p.after
    if p.role != PRIMARY or p.force or p.instance.forthcoming or a.vcpu_ratio < 0:
        return None
    r = _ratio(a.u_cpu, a.t_cpu)
    if a.vcpu_ratio < r:
        return _v(p, "vcpu_ratio", f"would have {a.u_cpu} vCPUs on {a.t_cpu:g} CPUs "
                  f"(ratio {r:.3f} > {a.vcpu_ratio:g})", False)
    return None


def exclusion_tags(p: Placing) -> Violation | None:
    """No two primaries with the same exclusion tag on one node (soft FailTags)."""
    if p.role != PRIMARY or p.force or p.instance.forthcoming:
        return None
    clash = sorted(t for t in p.excl_tags if t in p.before.p_tags)
    if clash:
        return _v(p, "exclusion_tags", f"already runs a primary tagged {', '.join(clash)}", False)
    return None


def forthcoming_capacity(p: Placing) -> Violation | None:
    """hbal's "forth" checks, counting forthcoming instances too (soft; last in hbal's order)."""
    if p.force:
        return None
    a, b, i = p.after, p.before, p.instance
    if p.role == PRIMARY and a.f_mem_forth <= 0:
        return _v(p, "forthcoming_capacity", f"would have {a.f_mem_forth} MiB free memory", False)
    if _uses_disk(p):
        if a.f_dsk_forth <= 0 or a.f_dsk_forth < a.lo_dsk:
            return _v(p, "forthcoming_capacity", f"would have {a.f_dsk_forth} MiB free disk", False)
        if a.excl_stor and a.f_spindles_forth < 0:
            return _v(p, "forthcoming_capacity", f"would have {a.f_spindles_forth} free spindles", False)
        if a.inst_spindles_forth > a.hi_spindles:
            return _v(p, "forthcoming_capacity", f"would use {a.inst_spindles_forth:g} spindles", False)
    if p.role == PRIMARY and a.vcpu_ratio >= 0 and a.vcpu_ratio < _ratio(a.u_cpu_forth, a.t_cpu):
        return _v(p, "forthcoming_capacity", f"would have {a.u_cpu_forth} vCPUs", False)
    need = i.mem if i.uses_sec_mem else 0
    if p.role == SECONDARY and need >= b.f_mem_forth:
        return _v(p, "forthcoming_capacity", f"has {b.f_mem_forth} MiB free memory, needs {need}", False)
    return None


#: In hbal's order of checks (htools-core §5.2); the first violation wins.
PLACEMENT_RULES: tuple[Callable[[Placing], Violation | None], ...] = (
    memory, disk, exclusive_spindles, spindle_ratio, secondary_memory, n1, vcpu_ratio,
    exclusion_tags, forthcoming_capacity)


def check_move(m: MoveCheck) -> Violation | None:
    """The first step-level violation of a move, if any."""
    return next((v for rule in STEP_RULES if (v := rule(m)) is not None), None)


def check_placing(p: Placing) -> Violation | None:
    """The first violation of one primitive placement, if any."""
    return next((v for rule in PLACEMENT_RULES if (v := rule(p)) is not None), None)
