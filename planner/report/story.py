"""A plan with everything a reader needs: planned, verified, scheduled, packed into days, summarised.

This is what the report page, ``planner report`` and the ``planner`` façade share: greedy (hbal's
plan) and CP-SAT side by side on one cluster, each scheduled and laid out day by day.

>>> from planner.api import load
>>> s = planned(load("tests/data/n1quirk.data"), "greedy")
>>> row = summary_row(s)
>>> row["moves"], round(row["final_score"], 8), row["days"], row["n1_after"]
(2, 2.53114472, 1, 0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.domain.model import Cluster
from planner.domain.plan import Plan
from planner.domain.schedule import Timing, jobsets_seconds
from planner.engine.state import LoadOptions
from planner.execution.dayplan import Day, pack, parse_window

#: the day plan every summary uses unless told otherwise: how the default cluster's operators ran it
JOBS_PER_DAY = 10
WINDOW = "09:00-17:00"


@dataclass
class Scheduled:
    """A verified plan, the cluster before and after it, its schedule's durations and its day plan."""

    plan: Plan
    cluster: Cluster
    final: Cluster
    load_opts: LoadOptions
    days: list[Day] = field(default_factory=list)
    window: tuple[int, int] = (0, 24 * 3600)
    window_text: str | None = None
    jobs_per_day: int | None = None

    @property
    def durations(self) -> list[float]:
        t = self.plan.schedule.timing if self.plan.schedule is not None else Timing()
        return [t.duration(s) for s in self.plan.steps]


def cpsat_options(time_limit: float, seed: int = 1, workers: int = 2, **budgets):
    """CP-SAT options from keyword arguments (``max_gb``, ``max_moves``, ``target_score``, ``evacuate``)."""
    from planner.planners.cpsat import CpsatOptions

    return CpsatOptions(time_limit=time_limit, seed=seed, workers=workers, **budgets)


def schedule_days(s: Scheduled, timing: Timing | None = None, jobsets: str | None = None,
                  jobs_per_day: int | None = JOBS_PER_DAY, window: str | None = WINDOW,
                  time_limit: float = 2.0) -> Scheduled:
    """Schedule ``s.plan`` (hbal's jobsets for greedy and hbal plans, the safe parallel ones otherwise)
    and pack its jobsets into days."""
    from planner.planners.verified import schedule_plan

    mode = jobsets or ("hbal" if s.plan.method in ("greedy", "hbal") else "parallel")
    schedule_plan(s.cluster, s.plan, timing, mode, time_limit, load_opts=s.load_opts)
    s.window, s.window_text, s.jobs_per_day = parse_window(window), window, jobs_per_day
    s.days = pack(s.plan.jobsets, s.durations, jobs_per_day, s.window, s.plan.steps)
    return s


def planned(cluster: Cluster, method: str = "cpsat", opts=None, load_opts: LoadOptions | None = None,
            timing: Timing | None = None, jobs_per_day: int | None = JOBS_PER_DAY, window: str | None = WINDOW,
            ) -> Scheduled:
    """Plan (verified), schedule and lay out in days."""
    from planner.planners.verified import balance

    lo = load_opts or LoadOptions()
    plan, final = balance(cluster, method, opts, lo)
    s = Scheduled(plan, cluster, final, lo)
    return schedule_days(s, timing, None, jobs_per_day, window)


def hbal_planned(path: str, cluster: Cluster, load_opts: LoadOptions, timeout: float = 60.0,
                 timing: Timing | None = None, jobs_per_day: int | None = JOBS_PER_DAY,
                 window: str | None = WINDOW) -> Scheduled | None:
    """The real ``hbal -C`` plan of ``path`` (None when hbal is not installed), scheduled like greedy's."""
    from planner.planners.verified import apply_placement_of
    from planner.report.compare import run_hbal

    plan = run_hbal(path, cluster, load_opts.group, timeout)
    if plan is None:
        return None
    s = Scheduled(plan, cluster, apply_placement_of(cluster, plan), load_opts)
    return schedule_days(s, timing, "hbal", jobs_per_day, window)


#: what CP-SAT aims at beside greedy (:func:`side_by_side`), and how a report says it
GOALS = {"dominant": "the default objective: no worse than greedy on score, GiB, moves, jobsets and hours",
         "gb": "the fewest GiB reaching greedy's score", "score": "the best score within greedy's GiB"}


def side_by_side(cluster: Cluster, time_limit: float, goal: str = "dominant", seed: int = 1,
                 load_opts: LoadOptions | None = None, hbal_path: str | None = None,
                 jobs_per_day: int | None = JOBS_PER_DAY, window: str | None = WINDOW,
                 timing: Timing | None = None) -> dict[str, Scheduled]:
    """Greedy, then CP-SAT aiming at ``goal`` against it: ``"dominant"`` the default objective (no
    worse than greedy on score, GB, moves, jobsets and hours), ``"gb"`` the fewest GiB reaching greedy's
    score, ``"score"`` the best score copying at most greedy's GiB; then real hbal when
    ``hbal_path`` is given and hbal is installed."""
    from planner.domain.errors import PlannerError

    if goal not in GOALS:
        raise PlannerError(None, None, f"goal must be one of {', '.join(GOALS)}, not '{goal}'")
    lo = load_opts or LoadOptions()
    kw = {"timing": timing, "jobs_per_day": jobs_per_day, "window": window}
    out = {"greedy": planned(cluster, "greedy", None, lo, **kw)}
    g = out["greedy"].plan
    budget = {"gb": {"target_score": g.final_score}, "score": {"max_gb": g.gb_copied}}.get(goal, {})
    out["cpsat"] = planned(cluster, "cpsat", cpsat_options(time_limit, seed, **budget), lo, **kw)
    if hbal_path is not None:
        h = hbal_planned(hbal_path, cluster, lo, **kw)
        if h is not None:
            out["hbal"] = h
    return out


def summary_row(s: Scheduled) -> dict:
    """The numbers a reader compares: scores, N+1, moves, GiB, jobsets, hours, days."""
    from planner.engine.summary import score_group

    p = s.plan
    after = score_group(s.final, s.load_opts.group, s.load_opts)
    status = getattr(p.status, "value", p.status)
    hours = jobsets_seconds(p.steps, p.jobsets, p.schedule.timing if p.schedule else None) / 3600
    return {"method": p.method, "status": str(status), "initial_score": p.initial_score,
            "final_score": p.final_score, "n1_after": len(after.n1_fail_nodes), "moves": len(p.steps),
            "gb_copied": p.gb_copied, "migrations": p.migrations, "jobsets": len(p.jobsets), "hours": hours,
            "days": len(s.days), "verified": p.extra.get("verified"), "plan_s": p.wall_s}


def usage_states(cluster: Cluster, finals: dict[str, Cluster], load_opts: LoadOptions | None = None) -> dict:
    """``before`` and each final state as :func:`planner.report.frames.usage_frame` frames (for
    :func:`planner.report.plots.node_usage`)."""
    from planner.engine.summary import load_selected
    from planner.report.frames import usage_frame

    lo = load_opts or LoadOptions()
    states = {"before": usage_frame(load_selected(cluster, lo.group, lo))}
    for name, final in finals.items():
        states[name] = usage_frame(load_selected(final, lo.group, lo))
    return states


def pareto_curves(points, greedy: Plan, hbal: Plan | None = None):
    """One long frame (method, moves, gb, score) for :func:`planner.report.plots.pareto`: greedy's and
    hbal's prefixes, and the CP-SAT solves of :func:`planner.report.compare.pareto`'s ``points``."""
    import pandas as pd

    from planner.report.frames import curve_frame

    curves = [curve_frame("greedy", greedy.initial_score, greedy.steps)]
    if hbal is not None:
        curves.append(curve_frame("hbal", hbal.initial_score, hbal.steps))
    cp = points.dropna(subset=["cpsat_score"])
    curves.append(pd.DataFrame({"method": "cpsat", "moves": cp["cpsat_moves"], "gb": cp["cpsat_gb"],
                                "score": cp["cpsat_score"]}))
    return pd.concat(curves, ignore_index=True)


def whatif_usage(w, title: str | None = None):
    """A what-if's per-node memory/disk/vCPU use after its changes and after each rebalance (a Figure);
    ``w``: a :class:`planner.scenario.whatif.WhatIf`."""
    from planner.engine.state import LoadOptions
    from planner.report.plots import node_usage

    return node_usage(usage_states(w.built.after, dict(w.finals), LoadOptions()), title or w.scenario.name)
