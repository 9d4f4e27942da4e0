"""How many more instances fit after a repack: capacity against the data moved.

For each GB budget (0 = today's placement; ``None`` = no budget, the default objective's plan),
the existing instances are rebalanced by the CP-SAT planner within that budget
(``--max-gb``: the lowest score that copies at most that much), the plan is replayed by the
independent verifier and given its checked parallel schedule (moves, GB, jobsets, hours), and on
the state it reaches hspace's count (and, with ``optimal``, CP-SAT's optimal fit, verified) is
taken again.  The rebalance minimises hbal's score, which counts N+1 failures and the spread of
memory, disk and vCPUs, so it frees the room a packing needs; it is a two-stage answer (rebalance,
then fit), not one joint model, so a repack row has no bound on the count.

>>> from planner.io.htools_text import read_text
>>> from planner.capacity.options import Spec
>>> c = read_text("tests/data/runway-3n.data")
>>> rows = repack_curve(c, Spec(1024, 10240, 1), "drbd", RepackOptions(budgets=(0.0,), time_limit=2.0))
>>> [(r.budget, r.moves, r.gb, r.greedy) for r in rows]
[(0.0, 0, 0.0, 6)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from planner.capacity.hspace import capacity
from planner.capacity.options import CapacityOptions, Spec
from planner.domain.errors import PlannerError
from planner.domain.model import Cluster

_UNITS = {"": 1.0, "g": 1.0, "gb": 1.0, "gib": 1.0, "t": 1024.0, "tb": 1024.0, "tib": 1024.0}


def parse_budgets(text: str) -> tuple[float | None, ...]:
    """``0,500G,2T,all`` as GiB budgets (``all``: no budget), 0 first, each once, in order.

    >>> parse_budgets("2T,500g,all")
    (0.0, 500.0, 2048.0, None)
    >>> parse_budgets("-1")
    Traceback (most recent call last):
    planner.domain.errors.PlannerError: --repack-budget: '-1': want a size such as 0, 500G, 2T or all
    """
    out: set[float] = {0.0}
    free = False
    for part in (p.strip() for p in text.split(",")):
        if part.lower() == "all":
            free = True
            continue
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]*)", part)
        if not m or m.group(2).lower() not in _UNITS:
            raise PlannerError("--repack-budget", None, f"'{part}': want a size such as 0, 500G, 2T or all")
        out.add(float(m.group(1)) * _UNITS[m.group(2).lower()])
    return tuple(sorted(out)) + ((None,) if free else ())


@dataclass(frozen=True)
class RepackOptions:
    budgets: tuple[float | None, ...] = (0.0, None)  #: GiB; None: no budget (the default objective)
    time_limit: float = 30.0  #: CP-SAT seconds per rebalance (and per optimal fit)
    seed: int = 1
    workers: int = 2
    optimal: bool = False  #: also CP-SAT's optimal fit on each state


@dataclass
class RepackRow:
    """One budget: the rebalance's cost and the counts on the state it reaches."""

    budget: float | None
    moves: int
    gb: float
    jobsets: int
    hours: float
    score: float
    greedy: int  #: hspace's count on the repacked state
    optimal: int | None = None
    status: str = ""
    verified: bool = True  #: the plan replayed by the verifier, and the optimal fit checked

    def to_dict(self, today: int) -> dict:
        return {"budget_gb": "none" if self.budget is None else self.budget, "moves": self.moves,
                "gb": self.gb, "jobsets": self.jobsets, "hours": round(self.hours, 2),
                "score": round(self.score, 8), "greedy": self.greedy, "more": self.greedy - today,
                "optimal": self.optimal, "status": self.status, "verified": self.verified}


def _count(c: Cluster, spec: Spec, template: str) -> int:
    res = capacity(c, CapacityOptions(standard=spec, run_tiered=False, disk_template=template)).standard
    return 0 if res is None else res.allocated


def _rebalance(c: Cluster, budget: float | None, opts: RepackOptions):
    """The verified, scheduled CP-SAT plan within ``budget`` GiB and the cluster it reaches."""
    from planner.engine.state import LoadOptions
    from planner.execution.checked import schedule_plan
    from planner.planners.cpsat import CpsatOptions
    from planner.planners.verified import balance

    co = CpsatOptions(time_limit=opts.time_limit, seed=opts.seed, workers=opts.workers, max_gb=budget)
    plan, final = balance(c, "cpsat", co, LoadOptions())
    schedule_plan(c, plan, seed=opts.seed, workers=opts.workers)
    return plan, final


def repack_curve(c: Cluster, spec: Spec, template: str, opts: RepackOptions | None = None,
                 progress=None) -> list[RepackRow]:
    """A row per budget of ``opts.budgets`` (see the module docstring); ``progress(k, n)`` after each."""
    from planner.capacity.optimal import FitOptions, optimal_fit
    from planner.engine.summary import score_group

    opts = opts or RepackOptions()
    rows: list[RepackRow] = []
    for k, budget in enumerate(opts.budgets):
        if budget == 0:
            final, row = c, RepackRow(0.0, 0, 0.0, 0, 0.0, score_group(c).score, 0, status="today's placement")
        else:
            try:
                plan, final = _rebalance(c, budget, opts)
            except PlannerError as e:
                rows.append(RepackRow(budget, 0, 0.0, 0, 0.0, float("nan"), -1, status=f"no plan: {e.message}",
                                      verified=False))
                continue
            hours = plan.schedule.makespan_s / 3600 if plan.schedule else 0.0
            row = RepackRow(budget, len(plan.steps), plan.gb_copied, len(plan.jobsets), hours, plan.final_score,
                            0, status=str(plan.status), verified=bool(plan.extra.get("schedule_verified", True)))
        row.greedy = _count(final, spec, template)
        if opts.optimal:
            r = optimal_fit(final, [("repack", spec, template, 1)],
                            FitOptions(time_limit=opts.time_limit, seed=opts.seed, workers=opts.workers))
            row.optimal, row.verified = r.count, row.verified and r.verified
            row.status = f"{row.status}; fit {r.status.lower()}"
        rows.append(row)
        if progress:
            progress(k + 1, len(opts.budgets))
    return rows
