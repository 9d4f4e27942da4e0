"""CP-SAT placement of new instances on existing nodes and on candidate nodes that may be bought.

Existing instances stay where they are.  Variables: ``x[f, p, s]``, the number of new DRBD
instances of flavor ``f`` with primary ``p`` and secondary ``s``; ``y[f, p]`` for templates without
a secondary; ``b[n]`` for each candidate node (bought or not).  Every constraint holds on the final
state with hail's strict inequalities, so it holds after every single addition too (each
resource only grows), whatever order the instances are added in.  One function per rule:

* :func:`memory`: a node's unallocated memory after its new primaries stays > 0;
* :func:`n1`: ... and above what any one peer would fail over to it (existing plus new
  secondaries), hail's strict ``addPri``/``addSec`` N+1 checks;
* :func:`disk`: free disk stays > 0 and >= the min-disk reserve;
* :func:`vcpus`: vCPUs of primaries <= vcpu_ratio x CPUs;
* :func:`spindles`: spindle use <= spindle_ratio x spindles (free spindles >= 0 with exclusive storage);
* :func:`forthcoming`: the same limits counted hail's "forth" way (stopped and forthcoming
  instances included);
* :func:`secondary_memory`: a new secondary's memory below the node's forth free memory;
* :func:`bought_only`: a candidate node holds nothing unless bought; candidates of one model are
  bought in order (symmetry).

>>> from planner.io.htools_text import parse_text
>>> from planner.domain.model import Instance
>>> c = parse_text(open("tests/data/n1quirk.data").read())
>>> proto = [Instance("f", 512, 1024, 1, "running", True, -1, -1, "drbd")]
>>> m = FitModel(c, "uuid-1", proto, candidates=[])
>>> m.require([3])
>>> m.solve(5.0).counts
[3]
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from planner.domain.model import Cluster, Instance
from planner.engine.load import load_group
from planner.engine.state import LoadOptions, NodeState


@dataclass
class FitSolution:
    """What one solve found: per-flavor counts, bought candidates, the new instances' node pairs."""

    status: str
    counts: list[int]
    bought: list[int]  #: cluster indices of the candidate nodes bought
    pairs: list[tuple[int, int, int, int]]  #: (flavor index, primary, secondary or -1, how many)
    objective: float | None
    bound: float | None
    wall_s: float
    first_s: float | None  #: seconds to the first feasible solution
    found: list[tuple[float, float]] = field(default_factory=list)  #: (seconds, objective) per solution
    interrupted: bool = False  #: Ctrl-C stopped the search: the best solution until then

    @property
    def feasible(self) -> bool:
        return self.status in ("OPTIMAL", "FEASIBLE")

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.bound is None:
            return None
        return 0.0 if abs(self.objective - self.bound) < 1e-9 else abs(self.objective - self.bound) / max(
            abs(self.objective), 1e-9)


#: a solve that ends unproven before this share of its time limit was stopped early (Ctrl-C)
EARLY = 0.9


class SolutionTimes(cp_model.CpSolverSolutionCallback):
    """The seconds and objective of each solution CP-SAT finds (``FitSolution.found``)."""

    def __init__(self, t0: float) -> None:
        super().__init__()
        self.t0, self.found = t0, []

    def on_solution_callback(self) -> None:
        self.found.append((time.monotonic() - self.t0, self.ObjectiveValue()))


def _uses_disk(i: Instance, role_secondary: bool) -> bool:
    return role_secondary or i.uses_local_storage


class FitModel:
    """New instances of ``protos`` (one prototype Instance per flavor; pnode/snode ignored) placed on
    the online nodes of group ``group`` of ``cluster``; ``candidates`` (cluster indices, in buying
    order per model) are nodes that count only if bought.  ``drop``: rule names to leave out (what
    a runway uses to find the resource that runs out first)."""

    def __init__(self, cluster: Cluster, group: str, protos: list[Instance], candidates: list[int],
                 model_of: dict[int, str] | None = None, drop: frozenset[str] = frozenset()) -> None:
        self.cluster, self.protos, self.drop = cluster, protos, drop
        self.gs = load_group(cluster, LoadOptions(group=group))
        #: nodes that may take new instances: online, not already failing N+1
        self.nodes: list[NodeState] = [n for n in self.gs.nodes if not n.offline and not n.fail_n1]
        self.candidates = [k for k in candidates if any(n.idx == k for n in self.nodes)]
        self.model_of = model_of or {}
        self.m = cp_model.CpModel()
        self.x: dict[tuple[int, int, int], cp_model.IntVar] = {}
        self.b = {k: self.m.NewBoolVar(f"b{k}") for k in self.candidates}
        self.counts = [self.m.NewIntVar(0, 10**6, f"n{f}") for f in range(len(protos))]
        self._variables()
        self.as_primary: dict[int, list] = {}
        self.as_secondary: dict[int, list] = {}
        for key in self.x:
            self.as_primary.setdefault(key[1], []).append(key)
            if key[2] >= 0:
                self.as_secondary.setdefault(key[2], []).append(key)
        for rule in RULES:
            if rule.__name__ not in drop:
                rule(self)
        for f in range(len(protos)):
            self.m.Add(self.counts[f] == sum(v for (g, _, _), v in self.x.items() if g == f))

    def _cap(self, n: NodeState, i: Instance) -> int:
        return max(0, min(n.unallocated, n.f_mem) // max(i.mem, 1)) if i.uses_memory else 10**4

    def _variables(self) -> None:
        for f, i in enumerate(self.protos):
            for p in self.nodes:
                cap = self._cap(p, i)
                if cap <= 0:
                    continue
                if i.disk_template != "drbd":
                    self.x[f, p.idx, -1] = self.m.NewIntVar(0, cap, f"y{f}_{p.idx}")
                    continue
                for s in self.nodes:
                    if s.idx != p.idx:
                        self.x[f, p.idx, s.idx] = self.m.NewIntVar(0, cap, f"x{f}_{p.idx}_{s.idx}")

    # --- linear pieces --------------------------------------------------------------------------
    def primaries(self, k: int, attr: str) -> cp_model.LinearExpr:
        return sum(getattr(self.protos[key[0]], attr) * self.x[key] for key in self.as_primary.get(k, ()))

    def secondaries_from(self, k: int, peer: int) -> cp_model.LinearExpr:
        return sum(self.protos[key[0]].mem * self.x[key] for key in self.as_secondary.get(k, ())
                   if key[1] == peer and self.protos[key[0]].uses_sec_mem)

    def _local(self, k: int):
        yield from (key for key in self.as_primary.get(k, ()) if _uses_disk(self.protos[key[0]], False))
        yield from self.as_secondary.get(k, ())

    def disk_use(self, k: int) -> cp_model.LinearExpr:
        return sum(self.protos[key[0]].dsk * self.x[key] for key in self._local(k))

    def spindle_use(self, k: int, attr: str) -> cp_model.LinearExpr:
        return sum(int(getattr(self.protos[key[0]], attr) or 0) * self.x[key] for key in self._local(k))

    # --- asking and solving -----------------------------------------------------------------------
    def require(self, want: list[int]) -> None:
        """Place exactly ``want[f]`` new instances of each flavor."""
        for f, n in enumerate(want):
            self.m.Add(self.counts[f] == n)

    def minimise_purchase(self, prices: dict[int, float] | None = None) -> None:
        """Fewest candidate nodes bought, or the cheapest (``prices``: candidate → price, whole units)."""
        if prices:
            self.m.Minimize(sum(round(prices[k]) * v for k, v in self.b.items()))
        else:
            self.m.Minimize(sum(self.b.values()))

    def hint(self, bought: set[int], pairs: dict[tuple[int, int, int], int]) -> None:
        for k, v in self.b.items():
            self.m.AddHint(v, k in bought)
        for key, v in self.x.items():
            self.m.AddHint(v, pairs.get(key, 0))

    def solve(self, time_limit: float, seed: int = 1, workers: int = 2) -> FitSolution:
        s = cp_model.CpSolver()
        s.parameters.max_time_in_seconds = time_limit
        s.parameters.random_seed = seed
        s.parameters.num_workers = workers
        t0 = time.monotonic()
        cb = SolutionTimes(t0) if self.m.HasObjective() else None
        st = s.Solve(self.m, cb) if cb else s.Solve(self.m)  # CP-SAT takes Ctrl-C: it stops, keeps the best
        wall, name = time.monotonic() - t0, s.StatusName(st)
        found = cb.found if cb else []
        # unproven before the time limit: the search was stopped (Ctrl-C, caught by CP-SAT itself)
        early = name in ("FEASIBLE", "UNKNOWN") and wall < EARLY * time_limit
        if name not in ("OPTIMAL", "FEASIBLE"):
            return FitSolution(name, [], [], [], None, None, wall, None, found, early)
        pairs = [(f, p, sk, s.Value(v)) for (f, p, sk), v in self.x.items() if s.Value(v) > 0]
        has_obj = self.m.HasObjective()
        return FitSolution(name, [s.Value(c) for c in self.counts], [k for k, v in self.b.items() if s.Value(v)],
                           pairs, s.ObjectiveValue() if has_obj else None, s.BestObjectiveBound() if has_obj else None,
                           wall, found[0][0] if found else wall, found, early)


def _at_most(fm: FitModel, expr, rhs: int) -> None:
    """``expr`` (a sum of non-negative terms) <= ``rhs``; a negative ``rhs`` leaves the node out
    of that use (hail only checks a node that receives something)."""
    if not (isinstance(expr, int) and expr == 0):
        fm.m.Add(expr <= max(rhs, 0))


def _roles(fm: FitModel, k: int):
    return sum(fm.x[key] for key in fm.as_primary.get(k, []) + fm.as_secondary.get(k, []))


def memory(fm: FitModel) -> None:
    """A node's unallocated memory after its new primaries stays > 0 (hail's FailMem)."""
    for n in fm.nodes:
        _at_most(fm, fm.primaries(n.idx, "mem"), min(n.unallocated, n.f_mem) - 1)


def n1(fm: FitModel) -> None:
    """For every node n and every peer p: (what p fails over to n, old + new) + new primary memory
    of n <= unallocated(n) - 1, and the old reserved memory likewise (hail's strict N+1); a node
    whose unallocated memory is already <= its reserved memory takes no new role at all."""
    for n in fm.nodes:
        base = min(n.unallocated, n.f_mem) - 1
        if base < n.r_mem:
            _at_most(fm, _roles(fm, n.idx), -1)
            continue
        prim = fm.primaries(n.idx, "mem")
        _at_most(fm, prim, base - n.r_mem)
        for p in sorted({key[1] for key in fm.as_secondary.get(n.idx, ())}):
            sec = fm.secondaries_from(n.idx, p)
            if not (isinstance(sec, int) and sec == 0):
                fm.m.Add(prim + sec <= base - n.peers.get(p, 0))


def disk(fm: FitModel) -> None:
    """Free disk after the new roles stays > 0 and >= the node's min-disk reserve."""
    for n in fm.nodes:
        _at_most(fm, fm.disk_use(n.idx), n.f_dsk - max(1, n.lo_dsk))


def vcpus(fm: FitModel) -> None:
    """(used + new primaries' vCPUs) / CPUs <= the group's vcpu_ratio (when the ratio applies)."""
    for n in fm.nodes:
        if n.vcpu_ratio >= 0:
            _at_most(fm, fm.primaries(n.idx, "vcpus"), math.floor(n.vcpu_ratio * n.t_cpu + 1e-9) - n.u_cpu)


def spindles(fm: FitModel) -> None:
    """Spindle use within spindle_ratio x spindles; with exclusive storage, free spindles >= 0."""
    for n in fm.nodes:
        if n.excl_stor:
            _at_most(fm, fm.spindle_use(n.idx, "spindles"), n.f_spindles)
        else:
            _at_most(fm, fm.spindle_use(n.idx, "spindle_use"), math.floor(n.hi_spindles - n.inst_spindles + 1e-9))


def forthcoming(fm: FitModel) -> None:
    """hail's "forth" checks, where stopped and forthcoming instances count too: memory of new
    primaries < the forth free memory, disk, spindles and vCPUs likewise."""
    for n in fm.nodes:
        prim = fm.primaries(n.idx, "mem")
        _at_most(fm, prim, n.f_mem_forth - 1)
        _at_most(fm, fm.disk_use(n.idx), n.f_dsk_forth - max(1, n.lo_dsk))
        if n.excl_stor:
            _at_most(fm, fm.spindle_use(n.idx, "spindles"), n.f_spindles_forth)
        else:
            _at_most(fm, fm.spindle_use(n.idx, "spindle_use"),
                     math.floor(n.hi_spindles - n.inst_spindles_forth + 1e-9))
        if n.vcpu_ratio >= 0:
            _at_most(fm, fm.primaries(n.idx, "vcpus"), math.floor(n.vcpu_ratio * n.t_cpu + 1e-9) - n.u_cpu_forth)


def secondary_memory(fm: FitModel) -> None:
    """A new secondary's failover memory < the node's forth free memory left by its new primaries."""
    for n in fm.nodes:
        prim = fm.primaries(n.idx, "mem")
        for f, i in enumerate(fm.protos):
            keys = [k for k in fm.as_secondary.get(n.idx, ()) if k[0] == f]
            if not keys or not i.uses_sec_mem:
                continue
            has = fm.m.NewBoolVar(f"sec{f}_{n.idx}")
            fm.m.Add(sum(fm.x[k] for k in keys) == 0).OnlyEnforceIf(has.Not())
            fm.m.Add(prim + i.mem <= n.f_mem_forth - 1).OnlyEnforceIf(has)


def bought_only(fm: FitModel) -> None:
    """A candidate holds nothing unless bought; a model's candidates are bought in order."""
    for k, b in fm.b.items():
        for key in fm.as_primary.get(k, []) + fm.as_secondary.get(k, []):
            fm.m.Add(fm.x[key] == 0).OnlyEnforceIf(b.Not())
    by_model: dict[str, list[int]] = {}
    for k in fm.candidates:
        by_model.setdefault(fm.model_of.get(k, ""), []).append(k)
    for ks in by_model.values():
        for a, b in zip(ks, ks[1:], strict=False):
            fm.m.Add(fm.b[a] >= fm.b[b])


#: every rule, in the order they are added; a FitModel's ``drop`` names rules to leave out
RULES = (memory, n1, secondary_memory, disk, vcpus, spindles, forthcoming, bought_only)
