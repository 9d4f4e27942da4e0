"""The fast batch greedy: every plan it makes replays in the independent verifier to the score it
claims, respects its GiB budget and target, and ends no worse than it started."""

from __future__ import annotations

import pytest

from planner.api import load
from planner.planners.fast import FastOptions, fast_balance
from planner.state import LoadOptions, load_group
from planner.verify import verify
from tests.conftest import BENCH, DATA


def _files():
    out = [DATA / "offline.data", DATA / "n1quirk.data"]
    out += [BENCH / n for n in ("new-node-small-6n-2new-70i.data", "evacuate-small-5n-64i-drained.data",
                                "skewed-medium-20n-400i.data") if (BENCH / n).exists()]
    return out


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.stem)
@pytest.mark.parametrize("mode", ["plain", "budget", "target"])
def test_fast_plans_verify_and_keep_their_limits(path, mode: str) -> None:
    c = load(path)
    gs = load_group(c, LoadOptions())
    opts = FastOptions(time_limit=20)
    if mode == "budget":
        opts.max_gb, opts.cost_weight = 200.0, 5.0
    plan = fast_balance(gs, opts)
    if mode == "target":
        goal = (plan.initial_score + plan.final_score) / 2
        plan = fast_balance(load_group(c, LoadOptions()), FastOptions(time_limit=20, target=goal))
        assert plan.final_score <= goal or not plan.steps
        assert all(s.score > goal for s in plan.steps[:-1])  # it stopped as soon as it got there
    r = verify(c, plan)
    assert r.ok, r.message()
    assert r.replay_score == pytest.approx(plan.final_score, abs=5e-9)
    assert plan.final_score <= plan.initial_score
    if mode == "budget":
        assert plan.gb_copied <= 200.0 + 1e-9
