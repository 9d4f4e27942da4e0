"""The default CP-SAT objective: never worse than hbal's greedy on any axis (issue 23).

Expected scores are real hbal 3.0.2's (``hbal -t FILE``): greedy-optimal.data 0.08593750 after one
failover (two instances on two nodes: the only better-spread placement, by hand), tiny-skewed.data
0.23720994 after 3 moves copying 4.88 GiB.
"""

from __future__ import annotations

import pytest

from planner.api import balance, load
from planner.domain.dominance import dominance
from planner.domain.plan import Plan, Step
from planner.planners.cpsat import CpsatOptions
from planner.planners.cpsat.dominant import RULE, choose
from tests.helpers import DATA

OPTS = CpsatOptions(time_limit=6, workers=1, seed=1)


def _axes(p: Plan) -> tuple:
    return (round(p.final_score, 8), p.gb_copied, len(p.steps), len(p.jobsets))


def test_where_greedy_is_optimal_the_default_is_greedys_plan_on_every_axis() -> None:
    c = load(DATA / "greedy-optimal.data")
    g, _ = balance(c, "greedy")
    d, _ = balance(c, "cpsat", OPTS)
    assert round(g.final_score, 8) == 0.0859375  # hbal: "t1 a:b => b:a 0.08593750 a=f"
    assert _axes(d) == _axes(g) == (0.0859375, 0.0, 1, 1)
    assert d.extra["objective"]["rule"] == RULE and dominance(d, g).dominates


def test_the_default_dominates_greedy_and_says_which_rule_chose_it() -> None:
    c = load(DATA / "tiny-skewed.data")
    g, _ = balance(c, "greedy")
    assert round(g.final_score, 8) == 0.23720994 and len(g.steps) == 3  # hbal's plan
    d, _ = balance(c, "cpsat", OPTS)
    o = d.extra["objective"]
    assert o["why"] == "dominates" and o["chosen"] != "greedy (hbal)"
    assert all(v["ok"] for v in o["dominance"].values())
    assert d.final_score <= 0.23720994 and d.gb_copied < g.gb_copied and len(d.steps) <= 3
    assert o["curve"] and all("ask" in p for p in o["curve"])  # the other points, and how to ask for them


def test_objective_score_keeps_the_lowest_score_plan() -> None:
    """--objective score: today's behaviour, the brute-force optimum of tiny-skewed (0.2138964, see test_cpsat)."""
    d, _ = balance(load(DATA / "tiny-skewed.data"), "cpsat", CpsatOptions(time_limit=10, workers=1, objective="score"))
    assert "objective" not in d.extra and d.final_score == pytest.approx(0.2138964, abs=1e-7)


def _plan(score: float, *moves: tuple[float, str]) -> Plan:
    steps = [Step(f"i{k}", "r", "a", "b", "a", n, gb, score) for k, (gb, n) in enumerate(moves)]
    return Plan("x", 5.0, score, steps)


def test_a_candidate_worse_on_any_axis_is_refused_and_greedy_kept() -> None:
    g = _plan(2.0, (10.0, "c"), (10.0, "d"))
    more_moves = _plan(1.0, (1.0, "c"), (1.0, "d"), (1.0, "e"))  # better score and GB, one move more
    worse_score = _plan(2.1, (1.0, "c"))
    chosen, why = choose(g, [more_moves, worse_score])
    assert chosen is g and why.endswith("greedy kept")
    cheap, cheaper = _plan(2.0, (5.0, "c")), _plan(2.0, (2.0, "c"))
    assert choose(g, [more_moves, cheap, cheaper])[0] is cheaper  # the one copying least


def test_an_unfinished_greedy_baseline_is_continued_to_hbals_stopping_point() -> None:
    """A greedy cut short by its share is continued by the pool greedy, never kept as a truncated prefix:
    from the baseline's end hbal's own greedy finds no further move (the stopping rule of a finished run),
    and the joined plan replays with hbal's rules."""
    from planner.checks.verify import verify
    from planner.engine.load import load_group
    from planner.engine.state import LoadOptions
    from planner.planners.cpsat.dominant import baseline
    from planner.planners.greedy import balance as greedy
    from tests.helpers import bench

    c = bench("new-node-medium-20n-2new-400i.data")
    gs = load_group(c, LoadOptions())
    g, how = baseline(gs, 0.5)  # 0.15 s for hbal's greedy: not enough to finish on 400 instances
    assert how.startswith("an estimate of hbal's plan") and g.status != "timeout", how
    assert verify(c, g).ok
    assert greedy(gs).steps == []  # gs is at the baseline's end


def test_an_evacuation_first_searches_near_the_forced_minimum() -> None:
    """A drained node's replicas must be copied once (the forced minimum, counted before any move): the
    default's first search is the lowest score within 1.02 x that (below the greedy's GB here)."""
    from planner.engine.load import load_group
    from planner.engine.state import LoadOptions
    from planner.planners.cpsat import gb_lower_bound
    from tests.helpers import bench

    c = bench("evacuate-medium-20n-400i-drained.data")
    forced = gb_lower_bound(load_group(c, LoadOptions()))
    assert forced == 3140.0  # awk over the file: 41 DRBD instances on the offline node, 3140 GiB of disk
    g, _ = balance(c, "greedy")
    assert g.gb_copied == 3320.0  # hbal's plan copies 3320 GiB (benchmarks/README, hbal column)
    d, _ = balance(c, "cpsat", CpsatOptions(time_limit=12, workers=1, seed=1))  # 0.45 x 12 s: the first search
    o = d.extra["objective"]
    assert list(o["candidates"])[0] == f"lowest score at {round(1.02 * forced, 3):g} GB", list(o["candidates"])
    assert dominance(d, g).dominates


def test_the_thrifty_greedy_is_a_first_candidate_of_its_own() -> None:
    """On a balance file the thrifty greedy (largest score drop per GiB) reaches hbal's score early: it is
    a verified, scheduled candidate, and the default copies no more than it (hbal copies 5090 GiB here,
    benchmarks/README's hbal column; the issue asks for at most 0.65 x that)."""
    from planner.planners.cpsat.dominant import THRIFTY
    from tests.helpers import bench

    c = bench("new-node-medium-20n-2new-400i.data")
    g, _ = balance(c, "greedy")
    assert g.gb_copied == 5090.0 and len(g.steps) == 80
    d, _ = balance(c, "cpsat", CpsatOptions(time_limit=20, workers=1, seed=1))
    o = d.extra["objective"]
    assert all(v["ok"] for v in o["candidates"][THRIFTY].values())
    thrifty_gb = next(p["gb"] for p in [*o["curve"], {"name": o["chosen"], "gb": d.gb_copied}]
                      if p["name"] == THRIFTY)
    assert dominance(d, g).strictly_better and d.gb_copied <= thrifty_gb <= 0.65 * 5090
    assert o["first_dominating_s"] is not None and d.extra["verified"]
