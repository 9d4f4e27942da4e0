"""Answer a scenario: the cluster before and after its changes, capacity per flavor, the rebalance.

>>> w = whatif(load_scenario("scenarios/drain-node.yaml"), time_limit=3, methods=("greedy",))
>>> w.before.n1_fail_nodes, w.after_nodes_offline
((), 1)
>>> w.rebalance_frame()["method"].tolist()
['greedy']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from planner.capacity.alloc import AllocError
from planner.capacity.hspace import capacity
from planner.capacity.options import CapacityOptions, Spec
from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.domain.plan import Plan
from planner.domain.schedule import Timing, jobsets_seconds
from planner.engine.score import ScoreReport
from planner.engine.summary import score_group
from planner.execution.dayplan import pack, parse_window
from planner.planners.cpsat import CpsatOptions
from planner.planners.verified import balance, schedule_plan
from planner.scenario.build import Built, build
from planner.scenario.catalog import Catalog
from planner.scenario.spec import Scenario, load_scenario

__all__ = ["WhatIf", "whatif", "load_scenario"]


@dataclass
class WhatIf:
    """A scenario's answers; ``to_frame()`` / ``to_json()`` for notebooks and scripts."""

    scenario: Scenario
    built: Built
    before: ScoreReport
    after: ScoreReport
    after_nodes_offline: int
    capacity: list[dict] = field(default_factory=list)  #: flavor, greedy before/after
    plans: dict[str, Plan] = field(default_factory=dict)
    rebalance: list[dict] = field(default_factory=list)
    finals: dict[str, Cluster] = field(default_factory=dict)  #: method → the cluster after its plan

    def summary_frame(self) -> pd.DataFrame:
        rows = []
        for label, r in (("before", self.before), ("after", self.after)):
            rows.append({"state": label, "score": r.score, "n1_fail_nodes": len(r.n1_fail_nodes),
                         "n1_bad_instances": r.n1_bad_instances})
        return pd.DataFrame(rows)

    def capacity_frame(self) -> pd.DataFrame:
        """One row per flavor: hspace's count before and after the changes, and after each plan."""
        return pd.DataFrame(self.capacity)

    def rebalance_frame(self) -> pd.DataFrame:
        cols = ["method", "final_score", "moves", "gb_copied", "jobsets", "hours", "days", "status"]
        return pd.DataFrame(self.rebalance, columns=cols)

    def to_frame(self) -> pd.DataFrame:
        """The rebalance comparison (one row per method)."""
        return self.rebalance_frame()

    def to_json(self) -> dict:
        return {"scenario": self.scenario.name, "source": self.scenario.source, "notes": self.built.notes,
                "before": self.before.to_json(), "after": self.after.to_json(),
                "capacity": self.capacity, "rebalance": self.rebalance}

    def __repr__(self) -> str:
        return (f"WhatIf({self.scenario.name or self.scenario.source}: score {self.before.score:.4f} → "
                f"{self.after.score:.4f}, {len(self.rebalance)} plan(s))")


def flavor_capacity(c: Cluster, spec: Spec, template: str) -> int:
    """hspace's standard-allocation count of one flavor (placement frozen, N+1 kept)."""
    try:
        res = capacity(c, CapacityOptions(standard=spec, run_tiered=False, disk_template=template)).standard
    except (PlannerError, AllocError):  # AllocError: too few online nodes to place one (hspace fails)
        return 0
    return 0 if res is None else res.allocated


def whatif(scenario: Scenario, time_limit: float | None = None, methods: tuple[str, ...] | None = None,
           seed: int | None = None, models: tuple[str, ...] = (),
           base: tuple[Cluster, Catalog] | None = None) -> WhatIf:
    """Build the scenario's clusters and answer its questions (``models``: extra catalog files/dirs;
    ``base``: the starting cluster and catalog, already loaded)."""
    b = build(scenario, models, base)
    q = scenario.questions
    before = score_group(b.before) if b.before.instances or b.before.nodes else None
    after = score_group(b.after)
    w = WhatIf(scenario, b, before or after, after, sum(n.offline for n in b.after.nodes))
    finals: dict[str, Cluster] = {}
    if q.rebalance:
        finals = _rebalance(w, b.after, methods or tuple(q.methods), time_limit or q.time_limit,
                            q.seed if seed is None else seed)
        w.finals = finals
    for name in q.capacity:
        f = b.catalog.flavor(name)
        spec = Spec(f.memory, f.disk, f.vcpus, f.spindles)
        x, y = flavor_capacity(b.before, spec, f.disk_template), flavor_capacity(b.after, spec, f.disk_template)
        row = {"flavor": name, "before": x, "after": y, "change": y - x}
        row |= {f"after {m} plan": flavor_capacity(fc, spec, f.disk_template) for m, fc in finals.items()}
        w.capacity.append(row)
    return w


def _rebalance(w: WhatIf, c: Cluster, methods: tuple[str, ...], time_limit: float, seed: int) -> dict[str, Cluster]:
    rows, w.plans, finals = rebalance(c, methods, time_limit, seed, w.scenario.schedule)
    w.rebalance += rows
    return finals


def rebalance(c: Cluster, methods: tuple[str, ...], time_limit: float, seed: int, sched) -> tuple[list, dict, dict]:
    """Each method's verified plan of ``c``, scheduled and packed into days of ``sched`` (a
    ScheduleSpec): (summary rows, plans, final clusters) by method."""
    window = parse_window(sched.window)
    timing = Timing()
    rows, plans, finals = [], {}, {}
    for m in methods:
        opts = CpsatOptions(time_limit=time_limit, seed=seed) if m == "cpsat" else None
        plan, finals[m] = balance(c, m, opts)
        schedule_plan(c, plan, timing, "hbal" if m == "greedy" else "parallel")
        durations = [timing.duration(s) for s in plan.steps]
        days = pack(plan.jobsets, durations, sched.jobs_per_day, window, plan.steps)
        plans[m] = plan
        rows.append({"method": m, "final_score": plan.final_score, "moves": len(plan.steps),
                     "gb_copied": plan.gb_copied, "jobsets": len(plan.jobsets),
                     "hours": jobsets_seconds(plan.steps, plan.jobsets, timing) / 3600,
                     "days": len(days), "status": str(plan.status)})
    return rows, plans, finals
