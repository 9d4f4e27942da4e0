"""The smallest (or cheapest) purchase of catalog nodes with which a forecast fits, found by CP-SAT.

Existing instances stay where they are; the forecast's new instances are placed by the model
(:class:`planner.capacity.purchase_model.FitModel`) on the existing nodes and on the nodes bought,
with every hard rule, hail's strict N+1 and the ipolicy kept.  Every answer is rebuilt as a cluster
and checked by :func:`planner.checks.placements.check_new_instances` (hbal's placement rules, one
new instance after the other) and hbal's N+1 flags.

>>> from planner.io.htools_text import read_text
>>> from planner.scenario.catalog import load_catalog
>>> cat = load_catalog()
>>> c = read_text("scenarios/new-node-small-5n-73i-mimic.data")
>>> p = optimal_purchase(c, cat, [(cat.flavor("mimic"), 40)], PurchaseOptions(models=("mimic-128",), time_limit=10))
>>> p.bought, p.status, p.verified
({'mimic-128': 2}, 'OPTIMAL', True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from planner.capacity.purchase_model import FitModel, FitSolution
from planner.checks.placements import check_new_instances, policy_violation
from planner.domain.errors import PlannerError
from planner.domain.model import Cluster, Instance
from planner.engine.summary import score_group
from planner.scenario.catalog import Catalog, Flavor, NodeModel
from planner.scenario.changes import add_nodes, place_new


@dataclass(frozen=True)
class PurchaseOptions:
    """Which models may be bought (in order of preference), how many at most, and what to minimise."""

    models: tuple[str, ...]
    max_per_model: tuple[tuple[str, int], ...] = ()
    objective: str = "nodes"  #: "nodes" (fewest) or "price" (cheapest; every model needs a price)
    time_limit: float = 30.0
    seed: int = 1
    workers: int = 2
    group: str | None = None  #: the node group to grow (default: the first)


@dataclass
class Purchase:
    """The purchase, the cluster with it and the forecast placed, and the proof's status."""

    bought: dict[str, int]
    price: float | None
    status: str
    bound: float | None
    gap: float | None
    first_s: float | None
    wall_s: float
    cluster: Cluster
    new_instances: list[Instance] = field(default_factory=list)
    verified: bool = False
    solution: FitSolution | None = None

    @property
    def nodes(self) -> int:
        return sum(self.bought.values())


def prototype(f: Flavor, spindle_use: int) -> Instance:
    """A new running instance of flavor ``f`` (nodes not chosen yet)."""
    return Instance(f.name, f.memory, f.disk, f.vcpus, "running", True, -1, -1, f.disk_template,
                    spindle_use=spindle_use, spindles=f.spindles)


def _check_forecast(c: Cluster, group: str, protos: list[Instance], models: list[NodeModel]) -> None:
    pol = c.group_policy(c.group_by_uuid(group))
    for i in protos:
        v = policy_violation(i, pol)
        if v is not None:
            raise PlannerError("<purchase>", None, f"flavor {v.message}")
        if not any(m.memory - m.os_memory > i.mem and m.disk > i.dsk
                   for m in models):
            raise PlannerError("<purchase>", None, f"flavor {i.name} ({i.mem} MiB, {i.dsk} MiB disk) is bigger "
                               "than any allowed model can hold")


def alone(m: NodeModel, forecast: list[tuple[Flavor, int]], vcpu_ratio: float) -> int:
    """Nodes of ``m`` that hold the whole forecast by themselves, generously: twice its memory (N+1
    reserves at most as much again), its disks with 10 % to spare, its vCPUs, plus one."""
    mem = sum(f.memory * n for f, n in forecast)
    dsk = sum(f.disk * n * (2 if f.disk_template == "drbd" else 1) for f, n in forecast)
    cpu = sum(f.vcpus * n for f, n in forecast)
    need = [2 * mem / max(m.memory - m.os_memory, 1), 1.1 * dsk / max(m.disk, 1)]
    if vcpu_ratio > 0:
        need.append(cpu / (vcpu_ratio * m.cpus))
    return math.ceil(max(need)) + 1


def slots(opts: PurchaseOptions, models: list[NodeModel], forecast, vcpu_ratio: float,
          baseline: tuple[int, float | None] | None, scale: int = 1) -> dict[str, int]:
    """Candidates per model: no optimal purchase buys more (the cheapest single-model purchase,
    the greedy's or :func:`alone`'s, bounds its count or price), capped by ``opts.max_per_model``."""
    cap = dict(opts.max_per_model)
    each = {m.name: alone(m, forecast, vcpu_ratio) * scale for m in models}
    if opts.objective == "price":
        total = min(m.price * each[m.name] for m in models)
        if baseline is not None and baseline[1] is not None:
            total = min(total, baseline[1])
        bound = {m.name: math.floor(total / m.price) if m.price else each[m.name] for m in models}
    else:
        nodes = min(each.values()) if baseline is None else min(min(each.values()), baseline[0])
        bound = {m.name: nodes for m in models}
    return {m.name: min(cap.get(m.name, bound[m.name]), bound[m.name]) for m in models}


def _named(c: Cluster, forecast: list[tuple[Flavor, int]], pairs, protos, index) -> list[Instance]:
    taken = {i.name for i in c.instances}
    out, k = [], {}
    for f, p, s, count in sorted(pairs):
        for _ in range(count):
            n = k.get(f, 0)
            while (name := f"{forecast[f][0].name}-{n + 1:04d}") in taken:
                n += 1
            k[f] = n + 1
            taken.add(name)
            i = protos[f]
            out.append(Instance(name, i.mem, i.dsk, i.vcpus, "running", True, index[p], index[s] if s >= 0 else -1,
                                i.disk_template, spindle_use=i.spindle_use,
                                spindles=i.spindles if c.nodes[index[p]].excl_stor else None))
    return out


def optimal_purchase(c: Cluster, catalog: Catalog, forecast: list[tuple[Flavor, int]], opts: PurchaseOptions,
                     baseline: Cluster | None = None) -> Purchase:
    """The fewest (or cheapest) nodes of ``opts.models`` with which every forecast instance fits;
    ``baseline``: a cluster with a known feasible purchase (the greedy's), used as hint and bound."""
    if not c.groups:
        raise PlannerError(c.origin, None, "the cluster has no node group")
    group = c.find_group(opts.group).uuid if opts.group else c.groups[0].uuid
    models = [catalog.model(m) for m in opts.models]
    if opts.objective == "price" and any(m.price is None for m in models):
        raise PlannerError("<purchase>", None, "objective price needs a price for every allowed model")
    su = c.group_policy(c.group_by_uuid(group)).std.spindle_use
    protos = [prototype(f, su) for f, _ in forecast]
    _check_forecast(c, group, protos, models)
    base = None
    if baseline is not None:
        new = baseline.nodes[len(c.nodes):]
        by_model = {m.name: sum(1 for n in new if n.name.startswith(f"new-{m.name}-")) for m in models}
        price = sum(k * (catalog.model(m).price or 0.0) for m, k in by_model.items())
        base = (len(new), price)
    ratio = c.group_policy(c.group_by_uuid(group)).vcpu_ratio
    for scale in (1, 2, 4):
        per_model = slots(opts, models, forecast, ratio, base, scale)
        cs, fm, model_of = _model(c, group, models, per_model, protos, forecast, opts, catalog)
        if baseline is not None:
            _hint(fm, cs, c, baseline, protos)
        sol = fm.solve(opts.time_limit, opts.seed, opts.workers)
        if sol.status != "INFEASIBLE" or all(per_model[m] >= dict(opts.max_per_model).get(m, 10**9)
                                             for m in per_model):
            break
    if not sol.feasible:
        why = "does not fit" if sol.status == "INFEASIBLE" else f"found no placement in {opts.time_limit:g} s"
        raise PlannerError("<purchase>", None, f"the forecast {why} with up to "
                           + ", ".join(f"{v} {k}" for k, v in per_model.items()) + " nodes bought")
    return _result(c, cs, catalog, forecast, protos, sol, model_of, group)


def _model(c: Cluster, group: str, models: list[NodeModel], per_model: dict[str, int], protos, forecast,
           opts: PurchaseOptions, catalog: Catalog):
    cs, candidates, model_of = c, [], {}
    for m in models:
        before = len(cs.nodes)
        cs = add_nodes(cs, m, per_model[m.name], c.group_by_uuid(group).name)
        for k in range(before, len(cs.nodes)):
            candidates.append(k)
            model_of[k] = m.name
    fm = FitModel(cs, group, protos, candidates, model_of)
    fm.require([n for _, n in forecast])
    prices = {k: catalog.model(model_of[k]).price for k in candidates} if opts.objective == "price" else None
    fm.minimise_purchase(prices)
    return cs, fm, model_of


def _hint(fm: FitModel, cs: Cluster, c: Cluster, baseline: Cluster, protos: list[Instance]) -> None:
    pos = {n.name: k for k, n in enumerate(cs.nodes)}
    bought = {pos[n.name] for n in baseline.nodes[len(c.nodes):] if n.name in pos}
    pairs: dict[tuple[int, int, int], int] = {}
    flavor_of = {p.name: f for f, p in enumerate(protos)}
    for i in baseline.instances[len(c.instances):]:
        f = flavor_of.get(i.name.rsplit("-", 1)[0])
        if f is None:
            continue
        key = (f, pos[baseline.nodes[i.pnode].name], pos[baseline.nodes[i.snode].name] if i.snode >= 0 else -1)
        pairs[key] = pairs.get(key, 0) + 1
    fm.hint(bought, pairs)


def _result(c: Cluster, cs: Cluster, catalog: Catalog, forecast, protos, sol: FitSolution, model_of,
            group: str) -> Purchase:
    bought = {m: sum(1 for k in sol.bought if model_of[k] == m) for m in dict.fromkeys(model_of.values())}
    grown = c
    for m, n in bought.items():
        if n:
            grown = add_nodes(grown, catalog.model(m), n, c.group_by_uuid(group).name)
    pos = {n.name: k for k, n in enumerate(grown.nodes)}
    index = {k: pos[n.name] for k, n in enumerate(cs.nodes) if n.name in pos}
    new = _named(grown, forecast, sol.pairs, protos, index)
    final = place_new(grown, new)
    was_bad = set(score_group(c, c.group_by_uuid(group).name).n1_fail_nodes)
    verified = check_new_instances(grown, new) is None and \
        not set(score_group(final, c.group_by_uuid(group).name).n1_fail_nodes) - was_bad
    price = sum(n * (catalog.model(m).price or 0.0) for m, n in bought.items()) \
        if all(catalog.model(m).price is not None for m in bought) else None
    return Purchase({m: n for m, n in bought.items() if n}, price, sol.status, sol.bound, sol.gap, sol.first_s,
                    sol.wall_s, final, new, verified, sol)
