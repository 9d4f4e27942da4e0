"""A scenario's purchase and runway questions answered on the cluster its changes lead to.

>>> from planner.scenario.spec import load_scenario
>>> a = answer_purchase(load_scenario("scenarios/buy-for-growth.yaml"), methods=())
>>> a.optimal.verified, a.optimal.nodes <= a.greedy.nodes
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.scenario.build import build
from planner.scenario.buy import Purchase, PurchaseOptions, optimal_purchase
from planner.scenario.catalog import Catalog
from planner.scenario.purchase import GreedyPurchase, greedy_purchase
from planner.scenario.runway import Runway, runway
from planner.scenario.spec import Scenario
from planner.scenario.whatif import rebalance


@dataclass
class PurchaseAnswer:
    """The CP-SAT purchase, the greedy baseline beside it, and the rebalance of the grown cluster."""

    optimal: Purchase
    greedy: GreedyPurchase | None
    greedy_error: str | None = None
    rebalance: list[dict] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per method of buying: nodes, models, price, status, gap, seconds."""
        o, g = self.optimal, self.greedy
        rows = [{"method": "cpsat", "nodes": o.nodes, "bought": _text(o.bought), "price": o.price,
                 "status": o.status, "gap": o.gap, "first_s": o.first_s, "wall_s": o.wall_s, "verified": o.verified}]
        if g is not None:
            rows.append({"method": "greedy", "nodes": g.nodes, "bought": _text({g.model: g.nodes} if g.nodes else {}),
                         "price": g.price, "status": "baseline", "gap": None, "first_s": None, "wall_s": None,
                         "verified": True})
        return pd.DataFrame(rows)

    def to_json(self) -> dict:
        o = self.optimal
        return {"bought": o.bought, "nodes": o.nodes, "price": o.price, "status": o.status, "bound": o.bound,
                "gap": o.gap, "first_s": o.first_s, "wall_s": o.wall_s, "verified": o.verified,
                "new_instances": {i.name: [o.cluster.nodes[i.pnode].name] + (
                    [o.cluster.nodes[i.snode].name] if i.snode >= 0 else []) for i in o.new_instances},
                "greedy": None if self.greedy is None else {"model": self.greedy.model, "nodes": self.greedy.nodes,
                                                            "price": self.greedy.price},
                "greedy_error": self.greedy_error, "rebalance": self.rebalance}


def _text(bought: dict[str, int]) -> str:
    return ", ".join(f"{n} x {m}" for m, n in bought.items()) or "nothing"


def _forecast(catalog: Catalog, counts: dict[str, int], where: str):
    try:
        return [(catalog.flavor(k), n) for k, n in counts.items() if n > 0]
    except KeyError as e:
        raise PlannerError(where, None, e.args[0]) from None


def answer_purchase(s: Scenario, time_limit: float | None = None, methods: tuple[str, ...] = ("greedy", "cpsat"),
                    models: tuple[str, ...] = (), base: tuple[Cluster, Catalog] | None = None) -> PurchaseAnswer:
    """Answer ``s.questions.purchase`` (the scenario's changes applied first)."""
    q = s.questions.purchase
    if q is None:
        raise PlannerError(s.source, None, "questions.purchase: the scenario asks no purchase question")
    b = build(s, models, base)
    for m in q.models:
        if m not in b.catalog.models:
            raise PlannerError(s.source, None, f"questions.purchase.models: unknown node model '{m}'")
    forecast = _forecast(b.catalog, q.counts(), f"{s.source}: questions.purchase")
    greedy, why = None, None
    try:
        cap = dict(q.max).get(q.models[0], 64)
        greedy = greedy_purchase(b.after, b.catalog.model(q.models[0]), forecast, max_nodes=min(cap, 64))
    except PlannerError as e:
        why = e.message
    opts = PurchaseOptions(tuple(q.models), tuple(q.max.items()), q.objective, time_limit or q.time_limit,
                           s.questions.seed)
    best = optimal_purchase(b.after, b.catalog, forecast, opts, greedy.cluster if greedy else None)
    rows = rebalance(best.cluster, methods, s.questions.time_limit, s.questions.seed, s.schedule)[0] if methods else []
    return PurchaseAnswer(best, greedy, why, rows)


def answer_runway(s: Scenario, purchase: PurchaseAnswer | None = None, models: tuple[str, ...] = (),
                  base: tuple[Cluster, Catalog] | None = None) -> Runway:
    """Answer ``s.questions.runway`` on the changed cluster (with ``purchase``'s nodes when given)."""
    q = s.questions.runway
    if q is None:
        raise PlannerError(s.source, None, "questions.runway: the scenario asks no runway question")
    b = build(s, models, base)
    c = b.after
    if purchase is not None:
        from planner.scenario.changes import add_nodes

        for m, n in purchase.optimal.bought.items():
            c = add_nodes(c, b.catalog.model(m), n)
    growth = _forecast(b.catalog, q.growth, f"{s.source}: questions.runway")
    return runway(c, growth, q.months, q.time_limit, seed=s.questions.seed)
