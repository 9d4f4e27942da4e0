"""Check that running a plan as scheduled is as safe as running it in order.

The planners' scheduler (:mod:`planner.execution.schedule`) lets jobs overlap or change order; this check,
written apart from it, accepts a schedule when

* every step is in exactly one jobset, and the plan replayed jobset after jobset (and in order
  of start time) passes the verifier with the states between commands checked; steps of one
  instance in a jobset are one job, run in order;
* two jobs that can run at once (same jobset, or overlapping in time) and share a node leave
  that node's role unchanged (one of them), or both only drop a secondary there, or both only
  add one there: every state they can produce lies between two states the replay checked;
* no node runs more than ``max_per_node`` such jobs at once (jobs only dropping a secondary on it
  are not counted);
* offline nodes (the cluster's, and ``-O``) are exempt: no rule holds on them.

>>> from planner.domain.plan import Step
>>> on_node(Step("i", "fr", "a", "b", "b", "c", 1.0), "c"), on_node(Step("i", "fr", "a", "b", "b", "c", 1.0), "a")
('gain', 'other')
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from planner.domain.model import Cluster
from planner.domain.plan import SUBMOVES, Plan, Step
from planner.engine.state import LoadOptions, resolve_names


def _placements(st: Step) -> list[tuple[str, str]]:
    p, s = st.from_primary, st.from_secondary
    out = [(p, s)]
    for sub in SUBMOVES.get(st.move, ()):
        p, s = {"f": (s, p), "r": (p, st.target), "fa": (st.target, "")}[sub]
        out.append((p, s))
    return out


def on_node(st: Step, node: str) -> str:
    """What a job does to ``node``: const, release (drops a secondary), gain (adds one) or other."""
    roles = ["P" if p == node else "S" if s == node else "-" for p, s in _placements(st)]
    if len(set(roles)) == 1:
        return "const"
    if "P" not in roles and roles[0] == "S" and roles[-1] == "-":
        return "release"
    if "P" not in roles and roles[0] == "-" and roles[-1] == "S":
        return "gain"
    return "other"


def _touched(st: Step) -> set[str]:
    return {n for pl in _placements(st) for n in pl if n}


def _clash(a: Step, b: Step, exempt: frozenset[str]) -> str | None:
    for n in sorted(_touched(a) & _touched(b) - exempt):
        ka, kb = on_node(a, n), on_node(b, n)
        if "const" not in (ka, kb) and not (ka == kb and ka in ("release", "gain")):
            return f"{a.instance} ({ka}) and {b.instance} ({kb}) run at once on {n}"
    return None


def _concurrency(steps: list[Step], groups: list[list[int]], cap: int, exempt: frozenset[str]) -> str | None:
    """Pairwise clashes and per-node load inside each group of jobs running at once.

    Steps of one instance in a group are one job (its commands run one after another)."""
    for grp in groups:
        load: dict[str, set[str]] = {}
        for x, j in enumerate(grp):
            for k in grp[x + 1:]:
                why = steps[j].instance != steps[k].instance and _clash(steps[j], steps[k], exempt)
                if why:
                    return why
            for n in _touched(steps[j]) - exempt:
                if on_node(steps[j], n) != "release":
                    load.setdefault(n, set()).add(steps[j].instance)
                    if len(load[n]) > cap:
                        return f"{n} runs more than {cap} job(s) at once"
    return None


def _overlapping(starts: list[float], ends: list[float]) -> list[list[int]]:
    """For each job, itself and the jobs running at some moment of its run that started before it."""
    order = sorted(range(len(starts)), key=lambda j: (starts[j], j))
    out, active = [], []
    for j in order:
        active = [k for k in active if ends[k] > starts[j] + 1e-6]
        out.append(active + [j])
        active.append(j)
    return out


@dataclass(frozen=True)
class ScheduleCheck:
    ok: bool
    message: str


def verify_schedule(cluster: Cluster, plan: Plan, opts: LoadOptions | None = None,
                    ignore_soft_errors: bool = False) -> ScheduleCheck:
    """Accept or reject ``plan.schedule`` (see the module text)."""
    from planner.checks.verify import verify

    sched = plan.schedule
    if sched is None:
        return ScheduleCheck(False, "the plan has no schedule")
    n = len(plan.steps)
    flat = sorted(j for js in sched.jobsets for j in js)
    if flat != list(range(n)) or len(sched.starts) != n or len(sched.ends) != n:
        return ScheduleCheck(False, "the schedule does not cover every step exactly once")
    cap = max(1, sched.timing.max_per_node)
    # a step's jobs start after the ones it follows in the plan when they share an instance
    orders = {"jobset": [j for js in sched.jobsets for j in js],
              "start time": sorted(range(n), key=lambda j: (sched.starts[j], j))}
    for name, order in orders.items():
        res = verify(cluster, replace(plan, steps=[plan.steps[j] for j in order], schedule=None), None,
                     ignore_soft_errors, opts=opts, transient=True)
        if not res.ok:
            return ScheduleCheck(False, f"in {name} order, {res.message()}")
    opts = opts or LoadOptions()
    exempt = frozenset(n.name for n in cluster.nodes if n.offline) | frozenset(
        resolve_names(opts.offline_nodes, [n.name for n in cluster.nodes], "node"))
    for name, groups in (("jobset", sched.jobsets), ("time", _overlapping(sched.starts, sched.ends))):
        why = _concurrency(plan.steps, groups, cap, exempt)
        if why:
            return ScheduleCheck(False, f"{name}: {why}")
    return ScheduleCheck(True, f"schedule verified: {len(sched.jobsets)} jobsets, "
                               f"every order and overlap safe (max {cap} job(s) per node)")
