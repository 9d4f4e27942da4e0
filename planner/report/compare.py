"""Greedy vs CP-SAT vs real hbal, side by side; Pareto curves of score against moves or GB.

>>> round(est_hours(Plan("x", 1.0, 0.5, [Step("i", "r", "a", "b", "a", "c", 45.0)])), 4)
0.2614
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pandas as pd

from planner.domain.errors import PlannerError
from planner.domain.model import Cluster
from planner.domain.plan import Plan, Step
from planner.domain.schedule import Timing, jobsets_seconds
from planner.engine.state import LoadOptions

MOVE_LINE = re.compile(r"^\s+\d+\. (\S+)\s+(\S+)\s+=> (\S+)\s+(\S+) a=(.*)$")
_KIND = {"f": "f", "fa": "fa", "r": "r", "r f": "rf", "f r": "fr", "f r f": "frf"}


def est_hours(plan: Plan, timing: Timing | None = None) -> float:
    """Wall time when the jobsets run one after another, each as long as its longest job
    (durations: :class:`planner.execution.schedule.Timing`)."""
    return jobsets_seconds(plan.steps, plan.jobsets, timing) / 3600


def parse_hbal_moves(out: str, cluster: Cluster) -> list[Step]:
    """Steps from hbal's move lines (names are aliases: the common suffix is added back)."""
    from planner.engine.state import common_suffix

    suffix = common_suffix([n.name for n in cluster.nodes] + [i.name for i in cluster.instances])
    full = lambda a: a + suffix if a else ""  # noqa: E731
    by_name = {i.name: i for i in cluster.instances}
    steps = []
    for line in out.splitlines():
        m = MOVE_LINE.match(line)
        if not m:
            continue
        name, old, new, score, text = m.groups()
        op, _, os_ = old.partition(":")
        np_, _, ns = new.partition(":")
        kind = _KIND[re.sub(r":\S+", "", text).strip()]
        inst = by_name[full(name)]
        gb = inst.dsk / 1024 if kind in ("r", "rf", "fr", "frf") else 0.0
        steps.append(Step(full(name), kind, full(op), full(os_), full(np_), full(ns), gb, float(score),
                          inst.is_running))
    return steps


def run_hbal(path: str, cluster: Cluster, group: str | None = None, timeout: float = 300.0) -> Plan | None:
    """Real `hbal -t FILE -C` as a Plan (partial when stopped at ``timeout``), or None if absent."""
    hbal = shutil.which("hbal")
    if hbal is None:
        return None
    t0 = time.perf_counter()
    args = [hbal, "-t", path, "-C"] + (["-G", group] if group else [])
    status = "feasible"
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as p:
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            status = "timeout"
    m = re.search(r"Initial score: (\S+)", out)
    steps = parse_hbal_moves(out, cluster)
    initial = float(m.group(1)) if m else float("nan")
    final = steps[-1].score if steps else initial
    return Plan("hbal", initial, final, steps, status=status, wall_s=time.perf_counter() - t0)


def summary(plan: Plan, timing: Timing | None = None) -> dict:
    free = plan.schedule.makespan_s / 3600 if plan.schedule is not None else None
    return {"method": plan.method, "status": plan.status, "initial_score": plan.initial_score,
            "final_score": plan.final_score, "moves": len(plan.steps), "gb_copied": plan.gb_copied,
            "migrations": plan.migrations, "jobsets": len(plan.jobsets), "est_hours": est_hours(plan, timing),
            "free_running_hours": free, "plan_s": plan.wall_s}


def compare(path: str, cluster: Cluster, lo: LoadOptions, cpsat_opts=None, with_hbal: bool = True,
            hbal_timeout: float = 300.0, timing: Timing | None = None) -> tuple[pd.DataFrame, dict[str, Plan]]:
    """One row per planner (greedy, cpsat, hbal when installed and asked for); greedy and hbal
    run hbal's jobsets, CP-SAT its safe parallel schedule's."""
    from planner.planners.cpsat import CpsatOptions
    from planner.planners.verified import balance, schedule_plan

    plans = {"greedy": balance(cluster, "greedy", None, lo)[0],
             "cpsat": balance(cluster, "cpsat", cpsat_opts or CpsatOptions(), lo)[0]}
    schedule_plan(cluster, plans["greedy"], timing, "hbal", load_opts=lo)
    schedule_plan(cluster, plans["cpsat"], timing, "parallel", load_opts=lo)
    if with_hbal:
        h = run_hbal(path, cluster, lo.group, hbal_timeout)
        if h is not None:
            plans["hbal"] = h
    rows = [{**summary(p, timing), "vs_greedy": check_marks(p, plans["greedy"], timing)} for p in plans.values()]
    return pd.DataFrame(rows), plans


def check_marks(plan: Plan, greedy: Plan, timing: Timing | None = None) -> str:
    """The dominance check against greedy, one ✓/✗ per axis (score, GB, moves, jobsets, hours).

    >>> g = Plan("greedy", 3.0, 2.0, [Step("i1", "r", "a", "b", "a", "c", 10.0, 2.0)])
    >>> check_marks(Plan("cpsat", 3.0, 1.9, []), g)
    'score✓ GB✓ moves✓ jobsets✓ hours✓'
    """
    from planner.domain.dominance import dominance

    return " ".join(f"{a.name}{'✓' if a.ok else '✗'}" for a in dominance(plan, greedy, timing).axes)


def pareto(cluster: Cluster, lo: LoadOptions, ks: list[int], by: str = "moves", time_limit: float = 10.0,
           ) -> pd.DataFrame:
    """Best score for at most k moves (or k GiB): greedy's prefixes against CP-SAT with that budget.

    Where k cannot empty the offline nodes, CP-SAT evacuates partly, as a greedy prefix does: the
    instances left there cost hbal's offline penalties in the score (noted in the row)."""
    from planner.engine.load import load_group
    from planner.planners.cpsat import CpsatOptions
    from planner.planners.cpsat.data import evacuation_needs
    from planner.planners.verified import balance

    greedy = balance(cluster, "greedy", None, lo)[0]
    need = evacuation_needs(load_group(cluster, lo))[0 if by == "moves" else 1]
    rows = []
    for k in ks:
        if by == "moves":
            prefix = greedy.steps[:k]
        else:
            prefix, gb = [], 0.0
            for s in greedy.steps:
                if gb + s.gb_copied > k + 1e-9:
                    break
                prefix.append(s)
                gb += s.gb_copied
        g_score = prefix[-1].score if prefix else greedy.initial_score
        partial = need > k + 1e-9
        opts = CpsatOptions(time_limit=time_limit, evacuate=not partial,
                            **({"max_moves": k} if by == "moves" else {"max_gb": float(k)}))
        row = {by: k, "greedy_score": g_score, "greedy_gb": sum(s.gb_copied for s in prefix)}
        if partial:
            row["note"] = f"partial evacuation (emptying the offline nodes needs {need:g} {by.replace('gb', 'GiB')})"
        try:
            c = balance(cluster, "cpsat", opts, lo)[0]
            row.update(cpsat_score=c.final_score, cpsat_gb=c.gb_copied, cpsat_moves=len(c.steps))
        except PlannerError as e:  # e.g. fewer moves than emptying the offline nodes needs
            row.update(cpsat_score=float("nan"), cpsat_gb=float("nan"), cpsat_moves=0, note=str(e).split(": ")[-1])
        rows.append(row)
    return pd.DataFrame(rows)


def default_check(cluster: Cluster, lo: LoadOptions, time_limit: float = 10.0) -> pd.DataFrame:
    """The default objective's plan beside greedy's whole plan, with the dominance check per axis."""
    from planner.planners.cpsat import CpsatOptions
    from planner.planners.verified import balance

    g = balance(cluster, "greedy", None, lo)[0]
    d = balance(cluster, "cpsat", CpsatOptions(time_limit=time_limit), lo)[0]
    o = d.extra.get("objective", {})
    return pd.DataFrame([{**summary(p), "vs_greedy": check_marks(p, g)} for p in (g, d)]).assign(
        chosen=["", o.get("chosen", "")])
