"""From an ordered safe plan to a parallel schedule: jobs, durations, jobsets, makespan, days.

A **job** is one step of the plan (one hbal move: its ``gnt-instance`` commands run in order).
The plan's order is safe: every state along it passes the rules.  Two jobs may run in another
order, or at the same time, only when that cannot produce a state the order did not check.
Per node, a job's effect is one of

* ``neutral``: the node keeps its roles (the primary of a ``replace-disks``, the resync source);
* ``release``: the node only loses a secondary (the old secondary of ``r``/``r f``): its usage
  only falls, during and after the job;
* ``gain``: the node only gains a secondary (the new secondary of ``r``/``f r``): its usage only
  rises;
* ``mixed``: anything else (migrations change memory and N+1 both ways).

On one node, consecutive ``release`` jobs commute with each other, so do consecutive ``gain``
jobs (every state they can produce lies between two checked states, and every rule is monotone
in them), and ``neutral`` jobs commute with everything; all other pairs keep the plan's order.
On top of that a node runs at most ``max_per_node`` jobs at a time (``release`` jobs excepted:
the old secondary only drops its volume).  Offline nodes (being emptied) take part in neither:
no rule holds on them and they run nothing.

:func:`schedule` builds the precedence graph, a list schedule in plan order, then (small enough
plans) a CP-SAT schedule minimising the makespan, hinted by the list schedule; jobsets are the
same graph layered as early as possible.

>>> from planner.domain.plan import Step, jobs_in
>>> sorted(effects(Step("i", "r", "a", "b", "a", "c", 10.0)).items())
[('a', 'neutral'), ('b', 'release'), ('c', 'gain')]
>>> Timing().duration(Step("i", "rf", "a", "b", "c", "a", 10.0))  # 60 + 480 + 10 GiB at 100 MB/s
643.0
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.domain.plan import Step, jobs_in
from planner.domain.schedule import Schedule, Timing

NEUTRAL, RELEASE, GAIN, MIXED = "neutral", "release", "gain", "mixed"
CPSAT_MAX_JOBS = 1500  #: larger plans keep the list schedule


def effects(step: Step) -> dict[str, str]:
    """Per node the job touches, what happens to it (see the module text)."""
    p0, s0, s = step.from_primary, step.from_secondary, step.to_secondary
    out = dict.fromkeys(step.nodes(), MIXED)
    if step.move == "r":
        out.update({p0: NEUTRAL, s0: RELEASE, s: GAIN})
    elif step.move == "rf":
        out[s0] = RELEASE
    elif step.move == "fr":
        out[s] = GAIN
    elif step.move == "fa":
        out[p0] = RELEASE
    return out


@dataclass
class Graph:
    """Precedence: job j starts after the jobs ``preds[j]`` and after every job of the groups
    ``gpreds[j]`` (a group: consecutive commuting jobs on one node)."""

    preds: list[list[int]]
    gpreds: list[list[int]]
    groups: list[list[int]]
    demand: list[list[str]]  #: nodes whose job slots the job takes

    def member(self) -> dict[int, list[int]]:
        """Job → the groups it belongs to."""
        out: dict[int, list[int]] = {}
        for x, grp in enumerate(self.groups):
            for j in grp:
                out.setdefault(j, []).append(x)
        return out


def job_effects(steps: list[Step], job: list[int]) -> dict[str, str]:
    """Per node, what a job of several steps (one instance, in order) does to it."""
    seen: dict[str, set[str]] = {}
    for k in job:
        for n, e in effects(steps[k]).items():
            seen.setdefault(n, set()).add(e)
    out = {}
    for n, es in seen.items():
        es = es - {NEUTRAL}
        out[n] = NEUTRAL if not es else es.pop() if len(es) == 1 and MIXED not in es else MIXED
    return out


def precedence(steps: list[Step], offline: frozenset[str] = frozenset(),
               jobs: list[list[int]] | None = None) -> Graph:
    """The order constraints (between ``jobs``, default one per step) that keep every reachable
    state one the plan's order checked."""
    jobs = jobs if jobs is not None else [[k] for k in range(len(steps))]
    preds: list[list[int]] = [[] for _ in jobs]
    gpreds: list[list[int]] = [[] for _ in jobs]
    groups: list[list[int]] = []
    demand: list[list[str]] = []
    cur: dict[str, tuple[int, str]] = {}  #: node → (open group, its kind)
    prev: dict[str, int] = {}  #: node → the group before the open one
    last_of: dict[str, int] = {}
    for j, job in enumerate(jobs):
        name = steps[job[0]].instance
        if name in last_of:
            preds[j].append(last_of[name])
        last_of[name] = j
        eff = {n: e for n, e in job_effects(steps, job).items() if n not in offline}
        demand.append([n for n, e in eff.items() if e != RELEASE])
        for n, e in eff.items():
            if e == NEUTRAL:
                continue
            g, kind = cur.get(n, (-1, ""))
            if g >= 0 and e == kind and e != MIXED:
                groups[g].append(j)
            else:
                if g >= 0:
                    prev[n] = g
                groups.append([j])
                cur[n] = (len(groups) - 1, e)
            if n in prev:
                gpreds[j].append(prev[n])
    return Graph(preds, gpreds, groups, demand)


def _ready(j: int, g: Graph, ends: list[float], gend: list[float]) -> float:
    return max([0.0] + [ends[i] for i in g.preds[j]] + [gend[x] for x in g.gpreds[j]])


def list_schedule(g: Graph, dur: list[float], cap: int) -> list[float]:
    """Starts of a schedule in plan order: each job as early as its predecessors and slots allow."""
    lanes: dict[str, list[float]] = {}
    ends = [0.0] * len(dur)
    gend = [0.0] * len(g.groups)
    member = g.member()
    starts = []
    for j in range(len(dur)):
        t = _ready(j, g, ends, gend)
        for n in g.demand[j]:
            t = max(t, lanes.setdefault(n, [0.0] * cap)[0])
        starts.append(t)
        ends[j] = t + dur[j]
        for n in g.demand[j]:
            heapq.heapreplace(lanes[n], ends[j])
        for x in member.get(j, ()):
            gend[x] = max(gend[x], ends[j])
    return starts


def layers(g: Graph, cap: int) -> list[list[int]]:
    """Jobsets: the precedence graph layered as early as possible, at most ``cap`` jobs per node."""
    lay = [0] * len(g.preds)
    glay = [-1] * len(g.groups)
    use: list[dict[str, int]] = []
    member = g.member()
    for j in range(len(g.preds)):
        k = max([0] + [lay[i] + 1 for i in g.preds[j]] + [glay[x] + 1 for x in g.gpreds[j]])
        while k < len(use) and any(use[k].get(n, 0) >= cap for n in g.demand[j]):
            k += 1
        if k == len(use):
            use.append({})
        for n in g.demand[j]:
            use[k][n] = use[k].get(n, 0) + 1
        lay[j] = k
        for x in member.get(j, ()):
            glay[x] = max(glay[x], k)
    out: list[list[int]] = [[] for _ in use]
    for j, k in enumerate(lay):
        out[k].append(j)
    return out


def _layer_of(sets: list[list[int]]) -> list[int]:
    out = [0] * sum(len(js) for js in sets)
    for k, js in enumerate(sets):
        for j in js:
            out[j] = k
    return out


def _cpsat(g: Graph, dur: list[int], cap: int, hint: list[float], lb: int,
           time_limit: float, seed: int, workers: int) -> tuple[list[float], str] | None:
    from ortools.sat.python import cp_model

    horizon = int(max(s + d for s, d in zip(hint, dur, strict=True))) + 1
    m = cp_model.CpModel()
    n = len(dur)
    s = [m.new_int_var(0, horizon, f"s{j}") for j in range(n)]
    iv = [m.new_fixed_size_interval_var(s[j], dur[j], f"i{j}") for j in range(n)]
    gend = [m.new_int_var(0, horizon, f"g{x}") for x in range(len(g.groups))]
    for x, grp in enumerate(g.groups):
        for j in grp:
            m.add(gend[x] >= s[j] + dur[j])
    by_node: dict[str, list[int]] = {}
    for j in range(n):
        for i in g.preds[j]:
            m.add(s[j] >= s[i] + dur[i])
        for x in g.gpreds[j]:
            m.add(s[j] >= gend[x])
        for node in g.demand[j]:
            by_node.setdefault(node, []).append(j)
    for js in by_node.values():
        if len(js) > cap:
            if cap == 1:
                m.add_no_overlap([iv[j] for j in js])
            else:
                m.add_cumulative([iv[j] for j in js], [1] * len(js), cap)
    span = m.new_int_var(0, horizon, "makespan")
    m.add_max_equality(span, [s[j] + dur[j] for j in range(n)])
    m.add(span >= lb)
    m.minimize(span)
    for j, t in enumerate(hint):
        m.add_hint(s[j], int(t))
    solver = cp_model.CpSolver()
    time.limit(solver.parameters, time_limit, workers)
    solver.parameters.random_seed = seed
    st = time.solve(solver, m)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [float(solver.value(v)) for v in s], f"cpsat {solver.status_name(st)}"


def lower_bound(g: Graph, dur: list[float], cap: int) -> float:
    """No schedule is shorter: the longest precedence chain, or the busiest node's work / cap."""
    ends = [0.0] * len(dur)
    gend = [0.0] * len(g.groups)
    member = g.member()
    work: dict[str, float] = {}
    for j, d in enumerate(dur):
        ends[j] = _ready(j, g, ends, gend) + d
        for x in member.get(j, ()):
            gend[x] = max(gend[x], ends[j])
        for n in g.demand[j]:
            work[n] = work.get(n, 0.0) + d
    return max([0.0, *ends] + [w / cap for w in work.values()])


def sequential(steps: list[Step], timing: Timing | None = None) -> Schedule:
    """One job at a time, in plan order: always as safe as the plan."""
    timing = timing or Timing()
    dur = [timing.duration(s) for s in steps]
    ends = [sum(dur[: j + 1]) for j in range(len(dur))]
    starts = [e - d for e, d in zip(ends, dur, strict=True)]
    return Schedule(starts, ends, [[j] for j in range(len(steps))], sum(dur), sum(dur), sum(dur), "sequential",
                    timing)


def schedule(steps: list[Step], timing: Timing | None = None, time_limit: float = 5.0, seed: int = 1,
             workers: int = 2, offline: frozenset[str] = frozenset()) -> Schedule:
    """A safe parallel schedule of ``steps`` (kept in plan order when nothing better is found)."""
    timing = timing or Timing()
    t0 = time.perf_counter()
    jobs = jobs_in(list(range(len(steps))), steps)
    g = precedence(steps, offline, jobs)
    sdur = [timing.duration(s) for s in steps]
    dur = [sum(sdur[k] for k in job) for job in jobs]
    cap = max(1, timing.max_per_node)
    starts, status = list_schedule(g, dur, cap), "list"
    lb = lower_bound(g, dur, cap)
    cpsat_ok = len(jobs) <= CPSAT_MAX_JOBS and time_limit > 0
    if max((a + d for a, d in zip(starts, dur, strict=True)), default=0.0) <= lb + 1e-6:
        status = "list (optimal)"
    elif cpsat_ok:
        res = _cpsat(g, [math.ceil(d) for d in dur], cap, starts, math.ceil(lb), time_limit, seed, workers)
        if res is not None and max(a + d for a, d in zip(res[0], dur, strict=True)) < \
                max(a + d for a, d in zip(starts, dur, strict=True)):
            starts, status = res
    sets = layers(g, cap)
    unit_lb = lower_bound(g, [1.0] * len(jobs), cap)
    if len(sets) > unit_lb and cpsat_ok:
        res = _cpsat(g, [1] * len(jobs), cap, [float(k) for k in _layer_of(sets)], math.ceil(unit_lb), time_limit,
                     seed, workers)
        if res is not None and max(res[0]) + 1 < len(sets):
            sets = [[j for j in range(len(jobs)) if res[0][j] == k] for k in range(int(max(res[0])) + 1)]
            sets = [js for js in sets if js]
    barrier, t = [0.0] * len(jobs), 0.0
    for js in sets:  # the jobsets run one after another are a schedule too
        for j in js:
            barrier[j] = t
        t += max(dur[j] for j in js)
    if t < max((a + d for a, d in zip(starts, dur, strict=True)), default=0.0):
        starts, status = barrier, "jobsets"
    step_start = [0.0] * len(steps)
    for j, job in enumerate(jobs):
        t = starts[j]
        for k in job:
            step_start[k] = t
            t += sdur[k]
    ends = [a + d for a, d in zip(step_start, sdur, strict=True)]
    return Schedule(step_start, ends, [[k for j in js for k in jobs[j]] for js in sets], max(ends, default=0.0),
                    sum(max(dur[j] for j in js) for js in sets), sum(sdur), status, timing,
                    time.perf_counter() - t0)
