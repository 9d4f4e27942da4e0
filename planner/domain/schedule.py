"""Schedule data: how long operations take, and a plan's start/end times, jobsets and makespans.

>>> Timing().duration(Step("i", "r", "a", "b", "a", "c", 45.0))
941.0
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from planner.domain.step import Step, jobs_in


@dataclass(frozen=True)
class Timing:
    """How long operations take.  Defaults fit the known case: 10–40 GiB copies took 10–15 min."""

    bandwidth_mb_s: float = 100.0  #: DRBD resync rate of one replace-disks
    replace_overhead_s: float = 480.0  #: fixed cost of a replace-disks (create, sync start, cleanup)
    migration_s: float = 60.0  #: one live migration or failover
    max_per_node: int = 1  #: concurrent jobs a node takes (old secondaries excepted)

    def duration(self, step: Step) -> float:
        """Whole seconds for one step: its migrations, then its disk copy."""
        copy = step.disk_copies * (self.replace_overhead_s + step.gb_copied * 1024 / self.bandwidth_mb_s)
        return float(math.ceil(step.migrations * self.migration_s + copy - 1e-9))


def jobsets_seconds(steps: list[Step], jobsets: list[list[int]], timing: Timing | None = None) -> float:
    """Wall time when the jobsets run one after another, each as long as its longest job."""
    timing = timing or Timing()
    return sum(max(sum(timing.duration(steps[k]) for k in job) for job in jobs_in(js, steps)) for js in jobsets)



@dataclass
class Schedule:
    """Start and end seconds per job, the jobsets, and the makespans compared."""

    starts: list[float]  #: per step
    ends: list[float]
    jobsets: list[list[int]]  #: step indexes; consecutive steps of one instance are one job
    makespan_s: float  #: free-running schedule (each job starts when it may)
    jobsets_s: float  #: jobsets run one after another, each as long as its longest job
    serial_s: float  #: one job at a time
    status: str  #: how the schedule was found (list / cpsat OPTIMAL / cpsat FEASIBLE)
    timing: Timing = field(default_factory=Timing)
    solve_s: float = 0.0

    def to_json(self) -> dict:
        return {"starts": self.starts, "ends": self.ends, "jobsets": self.jobsets,
                "makespan_s": self.makespan_s, "jobsets_s": self.jobsets_s, "serial_s": self.serial_s,
                "status": self.status, "timing": asdict(self.timing), "solve_s": self.solve_s}

    @classmethod
    def from_json(cls, d: dict) -> Schedule:
        return cls(d["starts"], d["ends"], d["jobsets"], d["makespan_s"], d["jobsets_s"], d["serial_s"],
                   d["status"], Timing(**d.get("timing", {})), d.get("solve_s", 0.0))
