"""The Plan: one type for every planner — ordered steps, jobsets, status, timings.

A step is one hbal move of one instance (``f``, ``fa``, ``r``, ``rf``, ``fr``, ``frf`` with a
target node).  Jobsets follow hbal's rule (``Cluster.splitJobs``): grouped **backwards from the
last move**; a move joins the jobset after it when it shares no node with it.

>>> s = [Step("i1", "r", "a", "b", "a", "c", 10.0, 1.0), Step("i2", "f", "d", "e", "e", "d", 0.0, 0.5)]
>>> backward_jobsets(s)
[[0, 1]]
>>> Plan("greedy", 2.0, 0.5, s).gb_copied
10.0
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from planner.domain.schedule import Schedule
from planner.domain.step import MOVE_KINDS, SUBMOVES, Step, backward_jobsets, jobs_in

__all__ = ["MOVE_KINDS", "SUBMOVES", "Plan", "PlanStatus", "Step", "backward_jobsets", "jobs_in"]


class PlanStatus(StrEnum):
    """How a planner ended (one casing; equal to its lower-case string, so JSON stays as before).

    >>> PlanStatus("optimal") is PlanStatus.OPTIMAL, PlanStatus.NO_SOLUTION == "no-solution"
    (True, True)
    """

    OPTIMAL = "optimal"  #: proved optimal (CP-SAT)
    FEASIBLE = "feasible"  #: a plan, not proved optimal
    BALANCED = "balanced"  #: nothing to do: already within --min-score of the optimum
    TIMEOUT = "timeout"  #: stopped at the time limit with the plan so far
    INTERRUPTED = "interrupted"  #: stopped by Ctrl-C with the plan so far
    INFEASIBLE = "infeasible"  #: proved that no plan meets the constraints
    NO_SOLUTION = "no-solution"  #: no move found


@dataclass
class Plan:
    """The result of any planner: every plan a user sees has been through the verifier."""

    method: str
    initial_score: float
    final_score: float
    steps: list[Step]
    jobsets: list[list[int]] = field(default_factory=list)
    status: PlanStatus = PlanStatus.FEASIBLE
    wall_s: float = 0.0
    group: str = ""
    bound: float | None = None
    gap: float | None = None
    gb_lower_bound: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    schedule: Schedule | None = None  #: set once scheduled
    ignore_soft_errors: bool = False  #: planned with hbal's --ignore-soft-errors: verify the same way

    def __post_init__(self) -> None:
        self.status = PlanStatus(self.status)
        if not self.jobsets and self.steps:
            self.jobsets = backward_jobsets(self.steps)

    @property
    def gb_copied(self) -> float:
        return sum(s.gb_copied for s in self.steps)

    @property
    def migrations(self) -> int:
        return sum(s.migrations for s in self.steps)

    @property
    def disk_copies(self) -> int:
        return sum(s.disk_copies for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        steps = [{k: v for k, v in asdict(s).items()} for s in self.steps]
        out = {
            "method": self.method, "group": self.group, "initial_score": self.initial_score,
            "final_score": self.final_score, "steps": steps, "jobsets": self.jobsets,
            "status": self.status, "wall_s": self.wall_s, "gb_copied": self.gb_copied,
            "migrations": self.migrations, "disk_copies": self.disk_copies,
        }
        for k in ("bound", "gap", "gb_lower_bound"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        if self.ignore_soft_errors:
            out["ignore_soft_errors"] = True
        if self.extra:
            out["extra"] = self.extra
        if self.schedule is not None:
            out["schedule"] = self.schedule.to_json()
        return out

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        fields = Step.__dataclass_fields__
        steps = [Step(**{k: v for k, v in s.items() if k in fields}) for s in data.get("steps", [])]
        return cls(
            method=data.get("method", "?"), initial_score=data.get("initial_score", float("nan")),
            final_score=data.get("final_score", float("nan")), steps=steps,
            jobsets=data.get("jobsets") or [], status=data.get("status", "feasible"),
            wall_s=data.get("wall_s", 0.0), group=data.get("group", ""), bound=data.get("bound"),
            gap=data.get("gap"), gb_lower_bound=data.get("gb_lower_bound"), extra=data.get("extra", {}),
            schedule=Schedule.from_json(data["schedule"]) if data.get("schedule") else None,
            ignore_soft_errors=bool(data.get("ignore_soft_errors")
                                    or (data.get("extra") or {}).get("ignore_soft_errors")),
        )

    def to_frame(self):
        """One row per step (pandas), with its jobset number."""
        import pandas as pd

        sets = self.schedule.jobsets if self.schedule is not None else self.jobsets
        js = {k: j + 1 for j, ks in enumerate(sets) for k in ks}
        rows = []
        for k, s in enumerate(self.steps):
            row = asdict(s)
            row.update(step=k + 1, jobset=js.get(k), move_text=s.move_text())
            if self.schedule is not None:
                row.update(start_s=self.schedule.starts[k], end_s=self.schedule.ends[k])
            rows.append(row)
        return pd.DataFrame(rows)
