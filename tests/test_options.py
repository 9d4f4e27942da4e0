"""Options are frozen and never changed under the caller; the CP-SAT timeline is declared once."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import pytest

from planner.api import balance, load
from planner.domain.plan import Plan, PlanStatus
from planner.engine.moves import MoveOptions
from planner.engine.state import LoadOptions
from planner.planners.cpsat import CpsatOptions, LnsOptions
from planner.planners.cpsat.timeline import TIMELINES, declared, share
from planner.planners.greedy import GreedyOptions
from tests.helpers import DATA


@pytest.mark.parametrize("opts", [CpsatOptions(), LnsOptions(), GreedyOptions(), LoadOptions(), MoveOptions()],
                         ids=lambda o: type(o).__name__)
def test_options_are_frozen(opts) -> None:
    field = dataclasses.fields(opts)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(opts, field, getattr(opts, field))


def _moves(plan: Plan) -> list[tuple[str, str, str, str]]:
    return [(s.instance, s.move, s.to_primary, s.to_secondary) for s in plan.steps]


def test_one_options_object_planned_twice_gives_the_same_plan() -> None:
    """The hint and the progress callback used to be written into the caller's object: the second
    run then started from the first run's hint.  One worker on a cluster solved to optimality:
    both runs are the same solve."""
    c = load(DATA / "tiny-skewed.data")
    opts = CpsatOptions(time_limit=10, workers=1, seed=3)
    before = replace(opts)
    first, _ = balance(c, "cpsat", opts)
    assert opts == before and opts.hint is None
    second, _ = balance(c, "cpsat", opts)
    assert _moves(first) == _moves(second) and first.final_score == second.final_score
    assert first.status == second.status == PlanStatus.OPTIMAL


def test_the_json_timing_shows_the_declared_timeline_and_the_measured_phases() -> None:
    c = load(DATA / "tiny-skewed.data")
    plan, _ = balance(c, "cpsat", CpsatOptions(time_limit=4, workers=1, max_gb=2.0))
    timing = plan.to_json()["extra"]["timing"]
    assert timing["mode"] == "budget"
    assert [r["phase"] for r in timing["declared"]] == [p.name for p in TIMELINES["budget"]]
    measured = [r["phase"] for r in timing["phases"]]
    assert measured[0] == "greedy hint" and measured[-1] == "verify" and "sequencing" in measured
    # the solve ends at its declared share (0.94 of 4 s) plus what a phase overruns by, never at the limit
    solve_end = next(r["at_s"] for r in timing["phases"] if r["phase"] == "solve")
    assert solve_end <= 4 * share("budget", "solve") + 1.0


def test_declared_rows_are_in_order_within_each_scope() -> None:
    for mode, phases in TIMELINES.items():
        run = [p.until for p in phases if p.of == "run"]
        assert all(0 < u <= 1 for u in run), mode
        rows = declared(mode, 60.0)
        assert all(r["until_s"] == pytest.approx(60.0 * r["until_share"], abs=0.01) for r in rows if "until_s" in r)


def test_plan_status_round_trips_through_json() -> None:
    p = Plan("x", 1.0, 1.0, [], status="interrupted")
    assert p.status is PlanStatus.INTERRUPTED
    q = Plan.from_json(p.to_json())
    assert q.status is PlanStatus.INTERRUPTED and p.to_json()["status"] == "interrupted"
    with pytest.raises(ValueError):
        Plan("x", 1.0, 1.0, [], status="OPTIMAL")  # one casing


def test_ignore_soft_errors_is_a_plan_fact_not_an_extra_key() -> None:
    c = load(DATA / "n1quirk.data")
    plan, _ = balance(c, "greedy", GreedyOptions(moves=MoveOptions(ignore_soft_errors=True)))
    assert plan.ignore_soft_errors and "ignore_soft_errors" not in plan.extra
    assert Plan.from_json(plan.to_json()).ignore_soft_errors
