"""A scenario's clusters: the starting one (file, RAPI or generated) and the one after its changes.

Semantic errors (unknown model, flavor, node or instance; a node both added and removed) name the
scenario file and the field: ``scenarios/x.yaml: changes.1.drain: unknown node 'n9'``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.scenario import changes as ch
from planner.scenario.catalog import Catalog, load_catalog
from planner.scenario.generate import generate
from planner.scenario.spec import Scenario


@dataclass
class Built:
    before: Cluster
    after: Cluster
    catalog: Catalog
    notes: list[str] = field(default_factory=list)  #: what the changes could not do fully


def _fail(s: Scenario, path: str, msg: str) -> PlannerError:
    return PlannerError(s.source, None, f"{path}: {msg}")


def start(s: Scenario, catalog: Catalog) -> Cluster:
    """The cluster the scenario starts from."""
    from planner.io.htools_text import read_text
    from planner.io.rapi import read_rapi

    src = s.cluster
    if src.generate is not None:
        try:
            return generate(src.generate, catalog)
        except KeyError as e:
            raise _fail(s, "cluster.generate", e.args[0]) from None
    if src.rapi is not None:
        return read_rapi(src.rapi if "://" in src.rapi else s.resolve(src.rapi))
    p = s.resolve(src.file)
    if not p.exists():
        raise _fail(s, "cluster.file", f"no such file: {p}")
    return read_rapi(p) if p.is_dir() or p.suffix == ".json" else read_text(p)


def build(s: Scenario, models: tuple[str, ...] = (), base: tuple[Cluster, Catalog] | None = None) -> Built:
    """Load the catalog (the shipped one, the scenario's ``models`` files, then ``models``), the
    starting cluster, and apply the changes in order.  ``base``: the starting cluster and catalog
    already loaded (a sweep loads them once for all its points)."""
    catalog = base[1] if base else load_catalog(*(s.resolve(m) for m in s.models), *models)
    for k, name in enumerate(s.questions.capacity):
        if name not in catalog.flavors:
            raise _fail(s, f"questions.capacity.{k}", f"unknown flavor '{name}'")
    before = base[0] if base else start(s, catalog)
    c, notes, added = before, [], set()
    for k, change in enumerate(s.changes):
        path = f"changes.{k}.{change.action}"
        try:
            c = _apply(c, change, catalog, notes, added)
        except (ch.ChangeError, KeyError) as e:
            raise _fail(s, path, e.args[0]) from None
    return Built(before, c, catalog, notes)


def _apply(c: Cluster, change, catalog: Catalog, notes: list[str], added: set[str]) -> Cluster:
    a, args = change.action, change.args
    if a in ("add_nodes", "add_instances") and args.count == 0:  # none, but the name must exist
        catalog.model(args.model) if a == "add_nodes" else catalog.flavor(args.flavor)
        return c
    if a == "add_nodes":
        n0 = len(c.nodes)
        c = ch.add_nodes(c, catalog.model(args.model), args.count, args.group, args.names)
        added.update(n.name for n in c.nodes[n0:])
        return c
    if a in ("drain", "fail", "remove_nodes"):
        both = [n for n in args if n in added]
        if both and a != "drain":
            raise ch.ChangeError(f"node '{both[0]}' is both added and {'removed' if a == 'remove_nodes' else 'failed'}")
        return {"drain": ch.drain, "fail": ch.fail, "remove_nodes": ch.remove_nodes}[a](c, args)
    if a == "add_instances":
        c, placed = ch.add_instances(c, catalog.flavor(args.flavor), args.count)
        if placed < args.count:
            notes.append(f"add_instances: only {placed} of {args.count} '{args.flavor}' instances fit")
        return c
    if a == "remove_instances":
        return ch.remove_instances(c, args)
    if a == "resize":
        return ch.resize(c, args.instances, args.memory, args.disk, args.vcpus)
    return ch.change_policy(c, **args.model_dump())
