"""Generated clusters: node models × counts per group, filled with a flavor mix by hail's allocation.

>>> from planner.scenario.catalog import load_catalog
>>> from planner.scenario.spec import Generate
>>> g = Generate.model_validate({"groups": [{"name": "g1", "nodes": [{"model": "small-128", "count": 3}]}],
...                              "fill": {"flavors": {"small": 1}, "memory_used": 0.3, "seed": 1}})
>>> c = generate(g, load_catalog())
>>> len(c.nodes), len(c.instances) > 0, {i.disk_template for i in c.instances}
(3, True, {'drbd'})
"""

from __future__ import annotations

import random

from planner.domain.model import Cluster, Group
from planner.scenario.catalog import Catalog
from planner.scenario.changes import add_instances, new_node
from planner.scenario.spec import Generate


def empty_cluster(gen: Generate, catalog: Catalog) -> Cluster:
    """The generated groups and nodes, no instances (node names ``node-GG-NNN`` as hspace's)."""
    groups, nodes = [], []
    for gk, g in enumerate(gen.groups, start=1):
        uuid = f"gen-uuid-{gk:02d}"
        groups.append(Group(g.name, uuid))
        k = 1
        for nc in g.nodes:
            model = catalog.model(nc.model)
            for _ in range(nc.count):
                nodes.append(new_node(model, f"node-{gk:02d}-{k:03d}", uuid))
                k += 1
    return Cluster(tuple(groups), tuple(nodes), (), has_policy_section=False, origin="<generated>")


def used_share(c: Cluster) -> float:
    """Share of the online nodes' memory (less the OS's) that instances use."""
    online = [n for n in c.nodes if not n.offline]
    total = sum(n.t_mem - n.n_mem for n in online)
    free = sum(n.f_mem for n in online)
    return 1.0 - free / total if total else 1.0


def fill(c: Cluster, flavors: dict[str, float], memory_used: float, catalog: Catalog, seed: int = 1,
         batch: int = 16) -> Cluster:
    """Add instances of the weighted flavor mix (seeded draws) until ``memory_used`` of the memory is
    used or no flavor fits any more; each batch is placed by hail's allocation (N+1 kept)."""
    rng = random.Random(seed)
    names = sorted(flavors)
    left = dict(flavors)
    while left and used_share(c) < memory_used:
        name = rng.choices(sorted(left), [left[n] for n in sorted(left)])[0]
        c, placed = add_instances(c, catalog.flavor(name), batch, prefix=f"inst-{name}")
        if placed < batch:
            del left[name]
    assert names  # the mix was validated non-empty
    return c


def generate(gen: Generate, catalog: Catalog) -> Cluster:
    c = empty_cluster(gen, catalog)
    if gen.fill is not None:
        c = fill(c, gen.fill.flavors, gen.fill.memory_used, catalog, gen.fill.seed)
    return c
