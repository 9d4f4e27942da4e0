"""The GB-thrifty greedy: hbal's final score with fewer GiB than real hbal copies, checked by the
independent verifier and by real hbal's score of the state reached."""

from __future__ import annotations

import re
import time

import pytest

from planner.api import load
from planner.checks.verify import verify
from planner.domain.placement import apply_placement, placement_after
from planner.domain.plan import Plan
from planner.engine.load import load_group
from planner.engine.state import LoadOptions
from planner.io.htools_write import write_text
from planner.planners.thrifty import reaching, thrifty, thrifty_prefix
from tests.helpers import BENCH, NO_BENCH, needs_hbal, run_hbal

#: real hbal 3.0.2 on the bench files (../shared/bench/hbal_results.csv, default mode): final score, GiB
HBAL = {"skewed-medium-20n-400i.data": (1.27082900, 14370.0),
        "new-node-medium-20n-2new-400i.data": (0.68830652, 5090.0)}


def _cluster(name: str):
    if not (BENCH / name).exists():
        pytest.skip(NO_BENCH)
    return load(BENCH / name)


@pytest.mark.parametrize("name", sorted(HBAL))
def test_thrifty_reaches_hbals_score_with_at_most_half_its_gib(name: str) -> None:
    c = _cluster(name)
    score, gib = HBAL[name]
    got = thrifty_prefix(lambda: load_group(c, LoadOptions()), score, time.perf_counter() + 60)
    assert got is not None
    steps, spent = got
    assert spent == pytest.approx(sum(s.gb_copied for s in steps)) and spent <= 0.55 * gib
    plan = Plan("thrifty", steps[0].score, steps[-1].score, steps)
    r = verify(c, plan)  # hbal's move rules and exact score, replayed independently
    assert r.ok and r.replay_score == pytest.approx(steps[-1].score, abs=5e-9) and r.replay_score <= score


def test_reaching_is_the_shortest_prefix_at_the_target() -> None:
    c = _cluster("new-node-medium-20n-2new-400i.data")
    plan = thrifty(load_group(c, LoadOptions()), 30 * 80.0, time.perf_counter() + 60)
    scores = [s.score for s in plan.steps]
    target = scores[len(scores) // 2]
    steps, gib = reaching(plan, target)
    assert steps[-1].score <= target and all(x > target for x in scores[: len(steps) - 1])
    assert gib == pytest.approx(sum(s.gb_copied for s in steps))
    assert reaching(plan, min(scores) - 1.0) is None


@needs_hbal
def test_real_hbal_scores_the_thrifty_state_as_claimed(tmp_path) -> None:
    c = _cluster("new-node-medium-20n-2new-400i.data")
    plan = thrifty(load_group(c, LoadOptions()), 30 * 80.0, time.perf_counter() + 60)
    out = tmp_path / "after.data"
    out.write_text(write_text(apply_placement(c, placement_after(c, plan.steps))))
    m = re.search(r"Initial score: (\S+)", run_hbal("-t", str(out), "-l", "0").stdout)
    assert m and float(m.group(1)) == pytest.approx(plan.final_score, abs=5e-9)


def test_target_score_plan_copies_less_than_half_of_hbals_gib() -> None:
    """``--target-score`` = real hbal's final score: the CP-SAT plan reaches it, verified, with at
    most half of the GiB hbal copies (its hint: the cheapest thrifty prefix)."""
    from planner.api import balance
    from planner.checks.verify import verify
    from planner.planners.cpsat import CpsatOptions

    name = "new-node-medium-20n-2new-400i.data"
    score, gib = HBAL[name]
    plan, _ = balance(_cluster(name), "cpsat", CpsatOptions(time_limit=20, target_score=score))
    assert plan.extra["target_reached"] and verify(_cluster(name), plan).ok
    assert plan.final_score <= score + 5e-9 and plan.gb_copied <= 0.5 * gib


def test_slack_step_lowers_the_hints_score_without_copying_more() -> None:
    """Target mode's first step: the balance LNS from hbal's greedy plan, held to that plan's GiB."""
    from planner.planners.cpsat import CpsatOptions, hint_from
    from planner.planners.cpsat.data import build_data
    from planner.planners.cpsat.kit import exact_score, placement_of, reference_choice
    from planner.planners.cpsat.lns import gb_moved
    from planner.planners.cpsat.target import make_slack
    from planner.planners.greedy import GreedyOptions, balance

    c = _cluster("skewed-small-6n-70i.data")
    g = balance(load_group(c, LoadOptions()), GreedyOptions())
    gs = load_group(c, LoadOptions())
    opts = CpsatOptions(time_limit=10, target_score=g.final_score, hint=hint_from(g.steps, gs, None, None))
    data = build_data(gs, opts.k_targets, extra=opts.hint)
    ref = reference_choice(data, opts)
    before = placement_of(data, ref)
    data2, ref2 = make_slack(gs, data, ref, opts, time.perf_counter() + 6)
    after = placement_of(data2, ref2)
    assert exact_score(gs, before) == pytest.approx(g.final_score, abs=1e-9)  # the hint is hbal's plan
    assert exact_score(gs, after) < g.final_score - 0.01  # slack gained ...
    assert gb_moved(gs, after) <= gb_moved(gs, before) + 1e-9  # ... for no more GiB


def test_a_run_stops_once_it_copies_more_than_allowed() -> None:
    """``max_gb``: the run stops at the first step that takes it past the budget (a later price
    cannot beat the cheapest prefix so far once it has copied more)."""
    c = _cluster("skewed-medium-20n-400i.data")
    free = thrifty(load_group(c, LoadOptions()), 100 * 30.0, time.perf_counter() + 60)
    spent = [sum(s.gb_copied for s in free.steps[: n + 1]) for n in range(len(free.steps))]
    cap = spent[len(spent) // 2]
    capped = thrifty(load_group(c, LoadOptions()), 100 * 30.0, time.perf_counter() + 60, max_gb=cap)
    assert [s.move_text() for s in capped.steps] == [s.move_text() for s in free.steps[: len(capped.steps)]]
    total = sum(s.gb_copied for s in capped.steps)
    assert total > cap and total - capped.steps[-1].gb_copied <= cap
