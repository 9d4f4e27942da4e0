"""Range checks of a parsed cluster: values hbal may tolerate but that cannot describe a real cluster.

One function per rule; each raises :class:`PlannerError` naming the file, the line (text format) or
the record (RAPI) and the field.  :func:`validate` runs them all; both loaders call it.

>>> from planner.domain.model import Cluster, Group, Node
>>> g = Group("g", "u")
>>> n = Node("n1", 0.0, 0, 0, 100.0, 50, 4.0, False, False, "u")
>>> c = Cluster((g,), (n,), (), (), (), False, None, "c.data")
>>> try:
...     validate(c, lambda kind, k: (3 + k, f"{kind} line"))
... except PlannerError as e:
...     print(e)
c.data:3: node line: field 't_mem': node 'n1' must have a total above 0, not 0
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import fields

from planner.domain.errors import PlannerError, PlannerWarning
from planner.domain.model import Cluster, ISpec

#: the largest integer a float holds exactly; bigger sizes or counts cannot be real
ABSURD = 2**53

#: (kind, index) → (line or None, label): where a record came from, for the message
Locate = Callable[[str, int], tuple[int | None, str]]

_NODE_TOTALS = ("t_mem", "t_dsk", "t_cpu")
_NODE_COUNTS = ("n_mem", "f_mem", "f_dsk", "spindles", "free_spindles", "nos_cpu")
_INST_COUNTS = ("mem", "dsk", "vcpus", "spindle_use")


def _fail(c: Cluster, locate: Locate, kind: str, k: int, field: str | None, msg: str) -> PlannerError:
    line, label = locate(kind, k)
    what = f"field '{field}': {msg}" if field else msg
    return PlannerError(c.origin, line, f"{label}: {what}")


def bad_name(name: str) -> str | None:
    """Why ``name`` cannot name a record, or None.

    >>> bad_name("a\\x00"), bad_name("ok")
    ("'a\\\\x00' holds a control character", None)
    """
    if not name:
        return "is empty"
    bad = next((ch for ch in name if ord(ch) < 32 or ord(ch) == 127), None)
    return None if bad is None else f"'{name.encode('unicode_escape').decode()}' holds a control character"


def check_names(c: Cluster, locate: Locate) -> None:
    """Group, node and instance names are not empty and hold no NUL or other control character."""
    for kind, recs in (("group", c.groups), ("node", c.nodes), ("instance", c.instances)):
        for k, r in enumerate(recs):
            why = bad_name(r.name)
            if why:
                raise _fail(c, locate, kind, k, "name", f"the {kind} name {why}")
    for k, g in enumerate(c.groups):
        why = bad_name(g.uuid)
        if why:
            raise _fail(c, locate, "group", k, "uuid", f"the group UUID {why}")


def check_unique_groups(c: Cluster, locate: Locate) -> None:
    """No group line given twice (same name or same UUID)."""
    seen: set[tuple[str, str]] = set()
    for k, g in enumerate(c.groups):
        for key, field in ((g.uuid, "uuid"), (g.name, "name")):
            if (field, key) in seen:
                raise _fail(c, locate, "group", k, field, f"group {field} '{key}' given twice")
            seen.add((field, key))


def warn_duplicate_instances(c: Cluster, locate: Locate) -> None:
    """An instance name given twice: a warning only (hbal reads such files, and Ganeti's own test files
    hroller-full.data and multiple-tags.data have them); commands whose plans name instances refuse them."""
    first: dict[str, int] = {}
    for k, i in enumerate(c.instances):
        if i.name in first:
            line, label = locate("instance", k)
            where = f"{c.origin}:{line}" if line is not None else c.origin
            warnings.warn(f"{where}: {label}: field 'name': duplicate instance name '{i.name}' (a plan cannot "
                          "name it unambiguously)", PlannerWarning, stacklevel=4)
            return
        first[i.name] = k


def _range(c: Cluster, locate: Locate, kind: str, k: int, field: str, v: float, low: float, who: str) -> None:
    if not math.isfinite(v) or v > ABSURD:
        raise _fail(c, locate, kind, k, field, f"{who}: {v:g} is too large to be real (over 2^53)")
    if v < low:
        raise _fail(c, locate, kind, k, field, f"{who}: must not be negative, not {v:g}")


def check_node_totals(c: Cluster, locate: Locate) -> None:
    """An online node has memory, disk and CPUs above 0 (else every score is nan), and a CPU speed above 0."""
    for k, n in enumerate(c.nodes):
        if n.offline:
            continue
        for field in (*_NODE_TOTALS, "cpu_speed"):
            v = getattr(n, field)
            if not v > 0:
                raise _fail(c, locate, "node", k, field, f"node '{n.name}' must have a total above 0, not {v:g}")


def check_node_sizes(c: Cluster, locate: Locate) -> None:
    """Node sizes and counts are neither negative nor absurd; free memory is at most the total."""
    for k, n in enumerate(c.nodes):
        for field in (*_NODE_TOTALS, *_NODE_COUNTS, "cpu_speed"):
            _range(c, locate, "node", k, field, getattr(n, field), 0, f"node '{n.name}'")
        if n.f_mem > n.t_mem:
            raise _fail(c, locate, "node", k, "f_mem",
                        f"node '{n.name}' has more free memory ({n.f_mem}) than total ({n.t_mem:g})")


def check_instance_sizes(c: Cluster, locate: Locate) -> None:
    """Instance memory, disk, vCPUs and spindles are neither negative nor absurd."""
    for k, i in enumerate(c.instances):
        for field in _INST_COUNTS:
            _range(c, locate, "instance", k, field, getattr(i, field), 0, f"instance '{i.name}'")
        if i.spindles is not None:
            _range(c, locate, "instance", k, "spindles", i.spindles, 0, f"instance '{i.name}'")


def check_policy_ratios(c: Cluster, locate: Locate) -> None:
    """The vCPU and spindle ratios of every policy are finite and not negative."""
    for k, p in enumerate(c.ipolicies):
        for field in ("vcpu_ratio", "spindle_ratio"):
            _range(c, locate, "policy", k, field, getattr(p, field), 0, "policy")


def _spec_over(a: ISpec, b: ISpec) -> str | None:
    """The first field where ``a`` is above ``b``."""
    return next((f.name for f in fields(ISpec) if getattr(a, f.name) > getattr(b, f.name)), None)


def check_policy_specs(c: Cluster, locate: Locate) -> None:
    """Policy specs are not negative or absurd; each min spec is at most its max (the std spec may lie
    outside: Ganeti's hspace-tiered-ipolicy.data has one, and hspace reads it)."""
    for k, p in enumerate(c.ipolicies):
        specs = [("std", p.std)] + [(w, s) for pair in p.minmax for w, s in zip(("min", "max"), pair, strict=True)]
        for what, s in specs:
            for f in fields(ISpec):
                _range(c, locate, "policy", k, what, getattr(s, f.name), 0, f"{f.name}")
        for lo, hi in p.minmax:
            over = _spec_over(lo, hi)
            if over:
                raise _fail(c, locate, "policy", k, "minmax",
                            f"min spec {over} {getattr(lo, over)} is above the max spec's {getattr(hi, over)}")


RULES = (check_names, check_unique_groups, warn_duplicate_instances, check_node_totals, check_node_sizes,
         check_instance_sizes, check_policy_ratios, check_policy_specs)


def validate(cluster: Cluster, locate: Locate) -> Cluster:
    """Run every rule on ``cluster`` (raises :class:`PlannerError` at the first broken one); returns it."""
    for rule in RULES:
        rule(cluster, locate)
    return cluster
