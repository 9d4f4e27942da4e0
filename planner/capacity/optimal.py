"""How many more instances fit, optimally: CP-SAT beside hspace's greedy count.

The existing placement is frozen; the new instances of one flavor, or of a mix in whole units
(``{"small": 3, "large": 1}``: units of 3 small and 1 large, as many units as fit), are placed by
:class:`planner.capacity.purchase_model.FitModel` with every hard rule, hail's strict N+1 and the
ipolicy kept, hinted with hspace's own allocation so the answer is never below it.  The placement
found is checked by :func:`planner.checks.placements.check_new_instances`.  DRBD and the
templates without local disks are modelled; for ``plain``/``file`` instances hspace's *global*
N+1 (every node evacuable) is not, so those are refused rather than over-counted.

>>> from planner.io.htools_text import read_text
>>> from planner.capacity.options import Spec
>>> r = optimal_fit(read_text("tests/data/runway-3n.data"), [("g1", Spec(1024, 10240, 1), "drbd", 1)])
>>> r.count, r.greedy, r.status, r.verified
(6, 6, 'OPTIMAL', True)
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.capacity.hspace import capacity
from planner.capacity.options import CapacityOptions, Spec
from planner.capacity.purchase_model import FitModel
from planner.checks.placements import check_new_instances
from planner.domain.errors import PlannerError
from planner.domain.model import Cluster, Instance

#: templates whose hspace count adds a global N+1 check that the model does not have
GLOBAL_N1 = ("plain", "file", "blockdev")


@dataclass(frozen=True)
class FitOptions:
    time_limit: float = 10.0
    seed: int = 1
    workers: int = 2
    group: str | None = None


@dataclass
class FitResult:
    """``count`` new instances (``units`` of the mix), against hspace's ``greedy`` count."""

    count: int
    per_flavor: dict[str, int]
    units: int
    greedy: int
    status: str
    bound: float | None
    gap: float | None
    wall_s: float
    verified: bool
    placed: list[Instance]

    def row(self) -> dict:
        return {"greedy": self.greedy, "optimal": self.count, "more": self.count - self.greedy,
                "more %": round(100.0 * (self.count - self.greedy) / self.greedy, 1) if self.greedy else None,
                "status": self.status, "bound": self.bound, "gap": self.gap, "seconds": round(self.wall_s, 2),
                "verified": self.verified}


def _greedy(c: Cluster, spec: Spec, template: str) -> list:
    try:
        res = capacity(c, CapacityOptions(standard=spec, run_tiered=False, disk_template=template)).standard
    except PlannerError:
        return []
    return [] if res is None else list(res.new)


def optimal_fit(c: Cluster, flavors: list[tuple[str, Spec, str, int]], opts: FitOptions | None = None) -> FitResult:
    """The most new instances of ``flavors`` ((name, spec, disk template, weight) each) that fit."""
    opts = opts or FitOptions()
    bad = [t for _, _, t, _ in flavors if t in GLOBAL_N1]
    if bad:
        raise PlannerError("--optimal", None, f"the {bad[0]} template's global N+1 check is not modelled; "
                           "use hspace's count for it")
    g = c.find_group(opts.group).uuid if opts.group else c.groups[0].uuid
    su = c.group_policy(c.group_by_uuid(g)).std.spindle_use
    protos = [Instance(n, s.mem, s.dsk, s.cpu, "running", True, -1, -1, t, spindle_use=su, spindles=s.spn)
              for n, s, t, _ in flavors]
    fm = FitModel(c, g, protos, [])
    units = fm.m.NewIntVar(0, 10**6, "units")
    for f, (_, _, _, w) in enumerate(flavors):
        fm.m.Add(fm.counts[f] == w * units)
    fm.m.Maximize(units)
    greedy = 0
    if len(flavors) == 1:
        new = _greedy(c, flavors[0][1], flavors[0][2])
        greedy = len(new)
        pairs: dict[tuple[int, int, int], int] = {}
        for st in new:
            key = (0, st.pnode, st.snode if flavors[0][2] == "drbd" else -1)
            pairs[key] = pairs.get(key, 0) + 1
        fm.hint(set(), pairs)
        fm.m.AddHint(units, greedy)
    sol = fm.solve(opts.time_limit, opts.seed, opts.workers)
    if not sol.feasible:
        why = "interrupted (Ctrl-C) before a first answer" if sol.interrupted else \
            f"no answer within {opts.time_limit:g} s ({sol.status})"
        raise PlannerError("--optimal", None, why)
    placed = []
    for f, p, s, n in sol.pairs:
        i = protos[f]
        placed += [Instance(f"{i.name}-fit{len(placed) + k}", i.mem, i.dsk, i.vcpus, "running", True, p, s,
                            i.disk_template, spindle_use=i.spindle_use,
                            spindles=i.spindles if c.nodes[p].excl_stor else None) for k in range(n)]
    u = int(sol.objective or 0)
    per = {n: w * u for n, _, _, w in flavors}
    status = f"{sol.status}, stopped by Ctrl-C" if sol.interrupted else sol.status
    return FitResult(sum(per.values()), per, u, greedy, status, sol.bound, sol.gap, sol.wall_s,
                     check_new_instances(c, placed) is None, placed)
