"""Purchases for a forecast: the greedy baseline (add the first allowed model one node at a time
until hail's allocation, hspace's standard mode, places every forecast instance with N+1), and the
CP-SAT purchase (:mod:`planner.scenario.buy`).

>>> from planner.io.htools_text import read_text
>>> from planner.scenario.catalog import load_catalog
>>> cat = load_catalog("models")
>>> c = read_text("scenarios/new-node-small-5n-73i-mimic.data")
>>> greedy_purchase(c, cat.model("mimic-128"), [(cat.flavor("mimic"), 1)]).nodes
0
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.engine.summary import score_group
from planner.scenario.catalog import Flavor, NodeModel
from planner.scenario.changes import add_instances, add_nodes


@dataclass(frozen=True)
class GreedyPurchase:
    """``nodes`` of ``model`` bought; ``cluster``: with them and the forecast placed."""

    model: str
    nodes: int
    price: float | None
    cluster: Cluster


def place_forecast(c: Cluster, forecast: list[tuple[Flavor, int]]) -> Cluster | None:
    """``c`` with every forecast instance placed by hail's allocation (flavors in order) and N+1
    kept on every node, or None when some instance does not fit."""
    for flavor, count in forecast:
        c, placed = add_instances(c, flavor, count)
        if placed < count:
            return None
    if any(score_group(c, g.name).n1_fail_nodes for g in c.groups):
        return None
    return c


def greedy_purchase(c: Cluster, model: NodeModel, forecast: list[tuple[Flavor, int]],
                    max_nodes: int = 64) -> GreedyPurchase:
    """The fewest nodes of ``model`` (one at a time) with which :func:`place_forecast` succeeds."""
    for n in range(max_nodes + 1):
        done = place_forecast(add_nodes(c, model, n) if n else c, forecast)
        if done is not None:
            return GreedyPurchase(model.name, n, None if model.price is None else n * model.price, done)
    raise PlannerError("<purchase>", None, f"the forecast does not fit with {max_nodes} more {model.name} nodes")
