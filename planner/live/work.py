"""A plan as work for Ganeti: jobsets of jobs (one instance's consecutive steps), each a list of units.

A unit is one RAPI request, so one Ganeti job: a move ``r:T f`` is two units (replace-disks, then
migrate) run one after the other.  Units are keyed ``jobset.job.n`` (1-based), the key the journal uses.

>>> from planner.domain.plan import Plan, Step
>>> p = Plan("hand", 1.0, 0.5, [Step("i1", "fa", "n1", "", "n2", "", 0.0), Step("i2", "fa", "n3", "", "n1", "", 0.0)],
...          jobsets=[[0], [1]])
>>> [(u.key, u.request.path) for js in work_of(p) for job in js.jobs for u in job]
[('1.1.1', '/2/instances/i1/migrate'), ('2.1.1', '/2/instances/i2/migrate')]
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.domain.plan import Plan, Step, jobs_in
from planner.live.client import Request, requests_for


@dataclass(frozen=True)
class Unit:
    key: str
    jobset: int  #: 1-based
    instance: str
    operation: str  #: migrate / failover / replace-disks
    target: str
    gb: float  #: disk data this request copies (the replace-disks of a move carries the move's GB)
    step: int  #: index of the plan step it belongs to
    last_of_step: bool
    request: Request

    def to_json(self) -> dict:
        return {"key": self.key, "jobset": self.jobset, "instance": self.instance, "operation": self.operation,
                "target": self.target, "gb": self.gb, "step": self.step}


@dataclass(frozen=True)
class JobsetWork:
    number: int  #: 1-based
    steps: list[int]
    jobs: list[list[Unit]]  #: independent jobs; the units of one job run in order

    @property
    def units(self) -> list[Unit]:
        return [u for job in self.jobs for u in job]


def _units(step: Step, k: int, prefix: str, start: int, jobset: int) -> list[Unit]:
    reqs = requests_for(step.move, step.instance, step.target, step.running)
    has_copy = any(r.path.endswith("replace-disks") for r in reqs)
    out = []
    for n, r in enumerate(reqs):
        op = r.path.rsplit("/", 1)[1]
        gb = step.gb_copied if (op == "replace-disks" if has_copy else n == 0) else 0.0
        target = r.body.get("target_node") or r.body.get("remote_node") or ""
        out.append(Unit(f"{prefix}.{start + n}", jobset, step.instance, op, target, gb, k, n == len(reqs) - 1, r))
    return out


def work_of(plan: Plan) -> list[JobsetWork]:
    """The plan's jobsets (its schedule's when it has one) as units, in running order."""
    sets = plan.schedule.jobsets if plan.schedule is not None else plan.jobsets
    out = []
    for j, idx in enumerate(sets, start=1):
        jobs = []
        for b, job in enumerate(jobs_in(list(idx), plan.steps), start=1):
            units: list[Unit] = []
            for k in job:
                units += _units(plan.steps[k], k, f"{j}.{b}", len(units) + 1, j)
            jobs.append(units)
        out.append(JobsetWork(j, list(idx), jobs))
    return out
