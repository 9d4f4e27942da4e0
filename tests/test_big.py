"""Big-group planning: the candidate-pool greedy and the first-plan pipeline (planners/cpsat/big.py).

The pool greedy is not hbal's order, so it is checked by properties hbal's algorithm guarantees:
every step is an hbal move that the independent verifier replays, its first step is hbal's first
step (both evaluate every candidate), and it stops only where no hbal move improves the score.
"""

from __future__ import annotations

import pytest

from planner.api import check_verified
from planner.checks.verify import verify
from planner.domain.plan import Plan
from planner.engine.fastscore import Scorer
from planner.engine.load import load_group
from planner.engine.state import LoadOptions
from planner.planners.cpsat import CpsatOptions
from planner.planners.cpsat.big import big_plan
from planner.planners.greedy import GreedyOptions, Table, balance, best_step_vector
from tests.helpers import bench

FILE = "new-node-medium-20n-2new-400i.data"



def test_pool_greedy_starts_like_hbal_and_stops_at_a_local_minimum() -> None:
    c = bench(FILE)
    hbal_first = balance(load_group(c, LoadOptions()), GreedyOptions(max_length=1)).steps[0]
    gs = load_group(c, LoadOptions())
    plan = balance(gs, GreedyOptions(pool=40))
    assert (plan.steps[0].instance, plan.steps[0].move) == (hbal_first.instance, hbal_first.move)
    assert len(plan.steps) > 40  # more steps than one pool: the pool was refreshed
    res = verify(c, plan)
    assert res.ok and res.replay_score_matches, res.message()
    # no hbal move from the final state lowers the score (above 0.1 hbal takes any gain)
    assert plan.final_score > 0.1
    nodes = {n.idx: n for n in gs.nodes}
    found = best_step_vector(gs, Table(nodes, plan.final_score), Scorer(gs.nodes), GreedyOptions())
    assert found is None or found[2] >= plan.final_score


def test_big_plan_records_a_verified_first_plan_and_improves_on_it() -> None:
    c = bench("skewed-medium-20n-400i.data")
    plan = big_plan(c, LoadOptions(), CpsatOptions(time_limit=16))
    check_verified(c, plan, LoadOptions())  # raises on a bad plan
    first = plan.extra["first_plan"]
    assert 0 < first["moves"] <= len(plan.steps)  # how soon it comes: benchmarks/bench_large.py
    prefix = Plan("cpsat", plan.initial_score, first["score"], plan.steps[:first["moves"]])
    res = verify(c, prefix)
    assert res.ok and res.replay_score == pytest.approx(first["score"], abs=1e-9)
    assert plan.final_score <= first["score"] and plan.final_score < 1.27  # hbal's full run: 1.27082900
    assert [r["phase"] for r in plan.extra["rounds"]][:2] == ["greedy (memory reserve)", "greedy"]


def test_big_plan_interrupted_keeps_the_plan_so_far() -> None:
    c = bench("skewed-medium-20n-400i.data")

    def stop(phase: str, *_args) -> None:  # as Ctrl-C would, once the first plan exists
        if phase == "first plan":
            raise KeyboardInterrupt

    plan = big_plan(c, LoadOptions(), CpsatOptions(time_limit=16, on_solution=stop))
    assert plan.status == "interrupted" and plan.steps
    assert len(plan.steps) == plan.extra["first_plan"]["moves"]
    check_verified(c, plan, LoadOptions())
