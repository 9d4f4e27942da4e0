"""What the ``planner`` façade returns: small result objects that print, show in Jupyter and plot.

Each has ``.to_frame()`` (pandas), a one-line ``repr``, ``_repr_html_`` (a compact summary table)
and, where a picture helps, ``.plot()`` returning a matplotlib Figure.

>>> r = Result()
>>> r.summary()
{}
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planner.domain.model import Cluster
from planner.domain.plan import Plan
from planner.engine.score import ScoreReport
from planner.engine.state import GroupState
from planner.report.story import Scheduled, summary_row, usage_states


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.8f}" if abs(v) < 100 and v != int(v) else f"{v:,.0f}"
    return "" if v is None else str(v)


def summary_html(rows: dict[str, Any], caption: str) -> str:
    """A two-column HTML table of ``rows`` (what ``_repr_html_`` shows)."""
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                   f"<td style='text-align:right'>{html.escape(_fmt(v))}</td></tr>" for k, v in rows.items())
    return f"<table><caption style='text-align:left'><b>{html.escape(caption)}</b></caption>{body}</table>"


class Result:
    """The shared shape: ``summary()`` (a dict), ``to_frame()``, ``repr`` and ``_repr_html_``."""

    def summary(self) -> dict[str, Any]:
        return {}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.summary()])

    def _caption(self) -> str:
        return type(self).__name__

    def _repr_html_(self) -> str:
        return summary_html(self.summary(), self._caption())


@dataclass(repr=False)
class ScoreResult(Result):
    """hbal's score of one group, and its node table (hbal ``-p``)."""

    report: ScoreReport
    cluster: Cluster
    state: GroupState

    @property
    def score(self) -> float:
        return self.report.score

    @property
    def n1_fail_nodes(self) -> tuple[str, ...]:
        return self.report.n1_fail_nodes

    def summary(self) -> dict[str, Any]:
        return {"group": self.report.group, "score": self.report.score, "optimal": self.report.optimal,
                "nodes": len(self.state.nodes), "instances": len(self.state.group_instances),
                "n1_bad_nodes": len(self.report.n1_fail_nodes), "n1_bad_instances": self.report.n1_bad_instances}

    def metrics(self) -> pd.DataFrame:
        """The 20 metrics with their weights (hbal ``-v -v -v``)."""
        from planner.engine.score import METRICS

        return pd.DataFrame([{"metric": m.name, "value": self.report.metrics.get(m.name, 0.0), "weight": m.weight,
                              "weighted": m.weight * self.report.metrics.get(m.name, 0.0)} for m in METRICS])

    def to_frame(self) -> pd.DataFrame:
        from planner.report.frames import nodes_frame

        return nodes_frame(self.state)

    def plot(self):
        from planner.report.frames import usage_frame
        from planner.report.plots import node_usage

        return node_usage({"now": usage_frame(self.state)}, title=f"score {self.score:.4f}")

    def __repr__(self) -> str:
        n1 = "N+1 ok" if not self.report.n1_fail_nodes else f"N+1 fails on {len(self.report.n1_fail_nodes)} nodes"
        return f"<Score {self.report.score:.8f}: group {self.report.group}, {len(self.state.nodes)} nodes, {n1}>"

    def _caption(self) -> str:
        return "hbal score"


@dataclass(repr=False)
class ScheduleResult(Result):
    """A plan's safe schedule and its day plan."""

    scheduled: Scheduled

    @property
    def days(self):
        return self.scheduled.days

    def summary(self) -> dict[str, Any]:
        p, s = self.scheduled.plan, self.scheduled.plan.schedule
        return {"jobs": len(p.steps), "jobsets": len(p.jobsets), "jobsets_hours": s.jobsets_s / 3600,
                "free_running_hours": s.makespan_s / 3600, "one_at_a_time_hours": s.serial_s / 3600,
                "days": len(self.days), "jobs_per_day": self.scheduled.jobs_per_day,
                "window": self.scheduled.window_text or "00:00-24:00", "checked": p.extra.get("schedule_verified")}

    def to_frame(self) -> pd.DataFrame:
        """One row per day: window times, jobsets, jobs, GiB, hours, instances."""
        from planner.report.frames import days_frame

        return days_frame(self.scheduled.plan, self.days, self.scheduled.window)

    def jobs_frame(self) -> pd.DataFrame:
        """One row per (job, node it touches) on the working-hours axis (what the Gantt chart draws)."""
        from planner.report.frames import gantt_frame

        return gantt_frame(self.scheduled.plan, self.days, self.scheduled.durations)

    def plot(self, title: str | None = None):
        from planner.report.plots import gantt

        return gantt(self.jobs_frame(), title)

    def __repr__(self) -> str:
        s = self.summary()
        return (f"<Schedule {s['jobs']} jobs in {s['jobsets']} jobsets: {s['jobsets_hours']:.1f} h, "
                f"{s['days']} day(s)>")

    def _caption(self) -> str:
        return "schedule and day plan"


@dataclass(repr=False)
class PlanResult(Result):
    """A verified plan with the cluster before and after it, its schedule and day plan."""

    scheduled: Scheduled

    @property
    def plan(self) -> Plan:
        return self.scheduled.plan

    @property
    def final(self) -> Cluster:
        return self.scheduled.final

    @property
    def schedule(self) -> ScheduleResult:
        return ScheduleResult(self.scheduled)

    def summary(self) -> dict[str, Any]:
        return summary_row(self.scheduled)

    def to_frame(self) -> pd.DataFrame:
        """One row per move: jobset, instance, hbal's move text, GiB, score after it, start/end."""
        return self.plan.to_frame()

    def commands(self) -> str:
        """The jobsets and their ``gnt-instance`` commands, as ``hbal -C`` prints them."""
        from planner.report.text import alias_of, commands_text

        return commands_text(self.plan, alias_of(self.scheduled.cluster))

    def script(self) -> str:
        """A runnable ``/bin/sh`` script (jobs of a jobset in parallel when the schedule allows)."""
        from planner.report.text import alias_of, script_text

        sched = self.plan.schedule
        return script_text(self.plan, alias_of(self.scheduled.cluster), parallel=sched is not None
                           and sched.status != "sequential")

    def plot(self, kind: str = "nodes", title: str | None = None):
        """``kind="nodes"``: per-node memory/disk/vCPU before and after; ``"gantt"``: the schedule."""
        if kind == "gantt":
            return self.schedule.plot(title)
        from planner.report.plots import node_usage

        s = self.scheduled
        return node_usage(usage_states(s.cluster, {self.plan.method: s.final}, s.load_opts), title)

    def __repr__(self) -> str:
        p = self.plan
        return (f"<Plan {p.method}: score {p.initial_score:.4f} -> {p.final_score:.4f}, {len(p.steps)} moves, "
                f"{p.gb_copied:.0f} GiB, {len(p.jobsets)} jobsets, {len(self.scheduled.days)} day(s)>")

    def _caption(self) -> str:
        return f"{self.plan.method} plan"


@dataclass(repr=False)
class CompareResult(Result):
    """Greedy (hbal's plan), CP-SAT and, when installed, real hbal on one cluster."""

    plans: dict[str, PlanResult] = field(default_factory=dict)

    def __getitem__(self, method: str) -> PlanResult:
        return self.plans[method]

    def summary(self) -> dict[str, Any]:
        g, c = self.plans["greedy"].plan, self.plans["cpsat"].plan
        return {"greedy_score": g.final_score, "cpsat_score": c.final_score, "greedy_gb": g.gb_copied,
                "cpsat_gb": c.gb_copied, "gb_saved": g.gb_copied - c.gb_copied,
                "hours_saved": self.plans["greedy"].summary()["hours"] - self.plans["cpsat"].summary()["hours"]}

    def to_frame(self) -> pd.DataFrame:
        """One row per method: scores, N+1 after, moves, GiB, jobsets, hours, days."""
        return pd.DataFrame([p.summary() for p in self.plans.values()])

    def plot(self, title: str | None = None):
        from planner.report.plots import node_usage

        first = next(iter(self.plans.values())).scheduled
        finals = {k: p.final for k, p in self.plans.items()}
        return node_usage(usage_states(first.cluster, finals, first.load_opts), title)

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.4f}")

    def __repr__(self) -> str:
        return "<Compare " + "; ".join(f"{k}: {p.plan.final_score:.4f} / {p.plan.gb_copied:.0f} GiB"
                                       for k, p in self.plans.items()) + ">"


@dataclass(repr=False)
class ParetoResult(Result):
    """Best score under a budget of moves or GiB: greedy's and hbal's prefixes, CP-SAT per budget."""

    points: pd.DataFrame
    curves: pd.DataFrame
    by: str = "moves"

    def to_frame(self) -> pd.DataFrame:
        """One row per budget k: greedy's prefix score and GiB, CP-SAT's score, GiB and moves."""
        return self.points

    def summary(self) -> dict[str, Any]:
        p = self.points.dropna(subset=["cpsat_score"])
        return {"budget": self.by, "points": len(self.points),
                "cpsat_better_or_equal": int((p["cpsat_score"] <= p["greedy_score"] + 1e-9).sum()),
                "methods": ", ".join(dict.fromkeys(self.curves["method"]))}

    def plot(self, title: str | None = None):
        from planner.report.plots import pareto

        return pareto(self.curves, title)

    def __repr__(self) -> str:
        s = self.summary()
        return f"<Pareto by {self.by}: {s['points']} budgets, CP-SAT <= greedy on {s['cpsat_better_or_equal']}>"


@dataclass(repr=False)
class ReportResult(Result):
    """The report page (self-contained HTML) and the plans it shows."""

    data: Any  #: planner.report.html.ReportData
    plans: dict[str, PlanResult] = field(default_factory=dict)

    @property
    def html(self) -> str:
        from planner.report.html import render

        return render(self.data)

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (its folder is made when missing)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(self.html)
        return p

    def summary(self) -> dict[str, Any]:
        return dict(self.data.summary)

    def to_frame(self) -> pd.DataFrame:
        """One row per method, as in the page."""
        return pd.DataFrame(self.data.methods)

    def __repr__(self) -> str:
        s = self.data.summary
        return f"<Report {self.data.title}: {s['moves']} moves, {s['GiB copied']:.0f} GiB, {s['days']} day(s)>"

    def _caption(self) -> str:
        return self.data.title
