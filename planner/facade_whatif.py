"""The capacity functions behind ``import planner as pl``: ``capacity``, ``whatif``, ``failures``,
``purchase``, ``runway``.

>>> import planner as pl
>>> r = pl.failures("tests/data/failures-basic.data", restore=False)
>>> r.to_frame()[["failed", "failovers", "lost"]].values.tolist()[:1]
[['fa', 2, 1]]
"""

from __future__ import annotations

from pathlib import Path

from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.facade import ClusterLike, fast, load
from planner.results_whatif import CapacityResult, FailuresResult, PurchaseResult, RunwayResult, WhatIfResult

DEFAULT_FLAVORS = ("small", "medium", "large")


def capacity(cluster: ClusterLike, flavors: tuple[str, ...] | list[str] | str = DEFAULT_FLAVORS,
             disk_template: str | None = None, tiered: bool = False, models: tuple[str, ...] = (),
             offline: tuple[str, ...] = (), limit: int | None = None) -> CapacityResult:
    """How many more instances of each catalog flavor fit, exactly as ``hspace --standard-alloc``
    counts them (placement frozen, ipolicy and N+1 kept); ``tiered`` adds hspace's tiered run.

    ``disk_template``: None takes each flavor's own template from the catalog (``models/flavors.yaml``).

    >>> r = capacity("tests/data/n1quirk.data", flavors="small", disk_template="drbd")
    >>> r.to_frame()[["flavor", "disk_template"]].values.tolist()
    [['small', 'drbd']]
    >>> r["small"] >= 0
    True
    """
    from planner.capacity.hspace import capacity as hspace
    from planner.capacity.options import CapacityOptions, Spec
    from planner.scenario.catalog import load_catalog

    c = load(cluster)
    names = (flavors,) if isinstance(flavors, str) else tuple(flavors)
    catalog = load_catalog(*models)
    runs, templates = {}, {}
    for name in names:
        f = catalog.flavor(name)
        template = disk_template or f.disk_template
        spec = Spec(f.memory, f.disk, f.vcpus, f.spindles)
        opts = CapacityOptions(disk_template=template, standard=spec, tiered=spec if tiered else None,
                               run_tiered=tiered, limit=limit, offline=tuple(offline))
        runs[name], templates[name] = hspace(c, opts), template
    return CapacityResult(runs, templates)


def whatif(scenario: str | Path, time_limit: float | None = None, methods: tuple[str, ...] | None = None,
           seed: int | None = None, models: tuple[str, ...] = ()) -> WhatIfResult:
    """Answer a YAML what-if scenario (``scenarios/*.yaml``): before/after score and N+1, capacity per
    flavor, and the rebalance the change needs with each method (verified, scheduled, in days).

    >>> r = whatif("scenarios/drain-node.yaml", time_limit=2, methods=("greedy",))
    >>> list(r.to_frame()["method"]), r.summary()["N+1 failing after"]
    (['greedy'], 0)
    """
    from planner.scenario.spec import load_scenario
    from planner.scenario.whatif import whatif as answer

    tl = time_limit if time_limit is not None else (3.0 if fast() else None)
    return WhatIfResult(answer(load_scenario(str(scenario)), tl, methods, seed, models))


def failures(cluster: ClusterLike, fail: tuple[str, ...] | list[str] = (), every_node: bool = True,
             restore: bool = True, time_limit: float | None = None, seed: int = 1) -> FailuresResult:
    """What each node's loss does (and each ``fail`` entry's: a node tag such as ``rack:a``, or
    ``"n1,n2"``): DRBD failovers, instances that cannot move and why, N+1 and score after, the
    verified CP-SAT repair's cost (``restore``).

    >>> r = failures("tests/data/failures-basic.data", restore=False)
    >>> r.summary()["failures"] == len(r.to_frame()), list(r.headroom_frame().columns)
    (True, ['failed', 'node', 'headroom_mb'])
    """
    from planner.capacity.failures import FailureOptions
    from planner.capacity.failures import failures as study

    c = load(cluster)
    if not isinstance(c, Cluster):
        raise PlannerError(str(cluster), None, "not a cluster")
    tl = time_limit if time_limit is not None else (2.0 if fast() else 3.0)
    opts = FailureOptions(fail=tuple(fail), nodes=every_node, restore=restore, time_limit=tl, seed=seed)
    return FailuresResult(study(c, opts))


def purchase(scenario: str | Path, time_limit: float | None = None, rebalance: bool = False,
             models: tuple[str, ...] = ()) -> PurchaseResult:
    """A scenario's purchase question: the fewest (or cheapest) catalog nodes with which its forecast
    fits with N+1 (CP-SAT, verified), beside the greedy baseline; ``rebalance`` plans the grown cluster.

    >>> r = purchase("scenarios/buy-for-growth.yaml", time_limit=10)
    >>> r.summary()["verified"], r.summary()["nodes"] <= r.summary()["greedy nodes"]
    (True, True)
    """
    from planner.scenario.questions import answer_purchase
    from planner.scenario.spec import load_scenario

    s = load_scenario(str(scenario))
    return PurchaseResult(answer_purchase(s, time_limit, tuple(s.questions.methods) if rebalance else (), models))


def runway(scenario: str | Path, after_purchase: bool = False, models: tuple[str, ...] = ()) -> RunwayResult:
    """A scenario's runway question: month by month, does the growth still fit with N+1, and what
    runs out first (as the cluster is, or with the purchase answer's nodes).

    >>> r = runway("scenarios/buy-for-growth.yaml")
    >>> r.summary()["months that fit"], r.summary()["runs out"]
    (1, 'disk')
    """
    from planner.scenario.questions import answer_purchase, answer_runway
    from planner.scenario.spec import load_scenario

    s = load_scenario(str(scenario))
    bought = answer_purchase(s, methods=(), models=models) if after_purchase else None
    return RunwayResult(answer_runway(s, bought, models))
