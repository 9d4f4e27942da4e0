"""Runway: month by month, does the growth so far still fit with N+1, and what runs out first.

Month ``t`` asks CP-SAT (:class:`planner.capacity.purchase_model.FitModel`, existing placement
frozen, every hard rule and hail's strict N+1 kept) to place ``t`` months of growth at once.  The
first month it cannot is the end of the runway; there each family of rules is relaxed in turn
(N+1, then memory, disk, vCPUs, spindles) and the first whose relaxation makes the month fit is
named as the resource that runs out.  Every placement reported is checked by
:func:`planner.checks.placements.check_new_instances`.

>>> from planner.io.htools_text import read_text
>>> from planner.scenario.catalog import load_catalog
>>> cat = load_catalog()
>>> r = runway(read_text("scenarios/new-node-small-5n-73i-mimic.data"), [(cat.flavor("mimic"), 5)], months=6)
>>> r.last_month, r.runs_out
(2, 'disk')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from planner.capacity.purchase_model import FitModel
from planner.checks.placements import check_new_instances
from planner.domain.model import Cluster, Instance
from planner.scenario.buy import prototype
from planner.scenario.catalog import Flavor

#: what to relax, in order, to name the resource that runs out (rule names of purchase_model)
RELAX = (("N+1", frozenset({"n1", "secondary_memory"})), ("memory", frozenset({"n1", "memory", "forthcoming"})),
         ("disk", frozenset({"disk", "forthcoming"})), ("vCPUs", frozenset({"vcpus", "forthcoming"})),
         ("spindles", frozenset({"spindles", "forthcoming"})))
GIB = 1024.0


@dataclass
class Runway:
    """One row per month tried; ``last_month``: the last month that fits (0: not even the first)."""

    rows: list[dict] = field(default_factory=list)
    last_month: int = 0
    runs_out: str | None = None  #: None: the horizon was reached
    verified: bool = True

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def _free(fm: FitModel, pairs) -> dict[str, float]:
    new_mem = sum(fm.protos[f].mem * n for f, _, _, n in pairs)
    new_dsk = sum(fm.protos[f].dsk * n * (2 if s >= 0 else 1) for f, _, s, n in pairs
                  if fm.protos[f].uses_local_storage)
    new_cpu = sum(fm.protos[f].vcpus * n for f, _, _, n in pairs)
    mem = sum(min(n.unallocated, n.f_mem) for n in fm.nodes) - new_mem
    dsk = sum(n.f_dsk for n in fm.nodes) - new_dsk
    cpu = sum(math.floor(n.vcpu_ratio * n.t_cpu + 1e-9) - n.u_cpu for n in fm.nodes if n.vcpu_ratio >= 0) - new_cpu
    return {"free_memory_gib": mem / GIB, "free_disk_gib": dsk / GIB, "free_vcpus": cpu}


def _placed(c: Cluster, fm: FitModel, pairs) -> list[Instance]:
    out = []
    for f, p, s, n in pairs:
        i = fm.protos[f]
        out += [Instance(f"{i.name}-new{len(out) + k}", i.mem, i.dsk, i.vcpus, "running", True, p, s,
                         i.disk_template, spindle_use=i.spindle_use) for k in range(n)]
    return out


def runway(c: Cluster, growth: list[tuple[Flavor, int]], months: int = 24, time_limit: float = 10.0,
           group: str | None = None, seed: int = 1, workers: int = 2) -> Runway:
    """Months of ``growth`` (flavor, instances a month) the cluster can take with N+1."""
    g = c.find_group(group).uuid if group else c.groups[0].uuid
    su = c.group_policy(c.group_by_uuid(g)).std.spindle_use
    protos = [prototype(f, su) for f, _ in growth]
    out = Runway()
    for t in range(1, months + 1):
        want = [n * t for _, n in growth]
        fm = FitModel(c, g, protos, [])
        fm.require(want)
        sol = fm.solve(time_limit, seed, workers)
        row = {"month": t, "instances": sum(want), "fits": sol.feasible, "status": sol.status}
        if sol.feasible:
            row |= _free(fm, sol.pairs)
            out.verified &= check_new_instances(c, _placed(c, fm, sol.pairs)) is None
            out.rows.append(row)
            out.last_month = t
            continue
        out.rows.append(row)
        out.runs_out = _binding(c, g, protos, want, time_limit, seed, workers) if sol.status == "INFEASIBLE" \
            else f"unknown (no answer in {time_limit:g} s)"
        break
    return out


def _binding(c: Cluster, g: str, protos, want: list[int], time_limit: float, seed: int, workers: int) -> str:
    for name, drop in RELAX:
        fm = FitModel(c, g, protos, [], drop=drop)
        fm.require(want)
        if fm.solve(time_limit, seed, workers).feasible:
            return name
    return "several resources at once"
