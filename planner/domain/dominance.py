"""Whether one plan is no worse than another on every axis an operator pays for.

The axes: final score, GiB copied, moves, jobsets (hbal's rule) and hours (the jobsets run one
after another, each as long as its longest job: :func:`planner.domain.schedule.jobsets_seconds`).

>>> from planner.domain.plan import Plan, Step
>>> base = Plan("greedy", 3.0, 2.0, [Step("i1", "r", "a", "b", "a", "c", 10.0, 2.0)])
>>> same = Plan("cpsat", 3.0, 2.0, list(base.steps))
>>> d = dominance(same, base)
>>> d.dominates, d.strictly_better
(True, False)
>>> worse = Plan("cpsat", 3.0, 1.5, [Step("i1", "r", "a", "b", "a", "c", 20.0, 1.5)])
>>> dominance(worse, base).line()
'score ✓ 1.5 ≤ 2 · GB ✗ 20 > 10 · moves ✓ 1 ≤ 1 · jobsets ✓ 1 ≤ 1 · hours ✗ 0.19 > 0.16'
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.domain.schedule import Timing, jobsets_seconds
from planner.domain.tolerance import GAIN_EPS, SCORE_EPS

AXES = ("score", "GB", "moves", "jobsets", "hours")
#: hours within this many seconds count as equal (whole-second durations)
HOURS_EPS_S = 0.5


@dataclass(frozen=True)
class Axis:
    name: str
    value: float
    base: float
    ok: bool

    def text(self) -> str:
        fmt = (lambda x: f"{x:.8g}") if self.name == "score" else (lambda x: f"{x:.2f}" if self.name == "hours"
                                                                    else f"{x:g}")
        return f"{self.name} {'✓' if self.ok else '✗'} {fmt(self.value)} {'≤' if self.ok else '>'} {fmt(self.base)}"


@dataclass(frozen=True)
class Dominance:
    """Each axis of ``plan`` against ``base``."""

    axes: tuple[Axis, ...]

    @property
    def dominates(self) -> bool:
        """No worse on every axis."""
        return all(a.ok for a in self.axes)

    @property
    def strictly_better(self) -> bool:
        """No worse on every axis and better on score or GB."""
        by = {a.name: a for a in self.axes}
        return self.dominates and (by["score"].value < by["score"].base - SCORE_EPS
                                   or by["GB"].value < by["GB"].base - GAIN_EPS)

    def ratio(self, axis: str) -> float | None:
        """``plan``'s value over ``base``'s on ``axis`` (None when ``base``'s is 0)."""
        a = next(x for x in self.axes if x.name == axis)
        return a.value / a.base if a.base else None

    def line(self) -> str:
        return " · ".join(a.text() for a in self.axes)

    def to_json(self) -> dict:
        return {a.name: {"value": a.value, "base": a.base, "ok": a.ok} for a in self.axes}


def plan_hours(plan, timing: Timing | None = None) -> float:
    """Hours of ``plan``'s jobsets run one after another."""
    return jobsets_seconds(plan.steps, plan.jobsets, timing) / 3600


def dominance(plan, base, timing: Timing | None = None) -> Dominance:
    """``plan`` against ``base`` on :data:`AXES` (ties count as no worse)."""
    h, hb = plan_hours(plan, timing), plan_hours(base, timing)
    return Dominance((
        Axis("score", plan.final_score, base.final_score, plan.final_score <= base.final_score + SCORE_EPS),
        Axis("GB", plan.gb_copied, base.gb_copied, plan.gb_copied <= base.gb_copied + GAIN_EPS),
        Axis("moves", len(plan.steps), len(base.steps), len(plan.steps) <= len(base.steps)),
        Axis("jobsets", len(plan.jobsets), len(base.jobsets), len(plan.jobsets) <= len(base.jobsets)),
        Axis("hours", h, hb, h <= hb + HOURS_EPS_S / 3600),
    ))
