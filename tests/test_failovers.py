"""Failover pairs: zero-copy compound moves after hbal's greedy, checked by the independent verifier
and by real hbal's score of the state they reach."""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest

from planner.api import load
from planner.checks.verify import verify
from planner.domain.placement import apply_placement
from planner.domain.plan import Plan
from planner.engine.load import load_group
from planner.engine.state import LoadOptions
from planner.io.htools_write import write_text
from planner.planners.failovers import failover_pairs
from planner.planners.greedy import GreedyOptions, balance
from tests.helpers import BENCH, NO_BENCH, needs_hbal, run_hbal

FILE = "skewed-medium-20n-400i.data"


def _after_greedy():
    if not (BENCH / FILE).exists():
        pytest.skip(NO_BENCH)
    c = load(BENCH / FILE)
    gs = load_group(c, LoadOptions())
    return c, gs, balance(gs, GreedyOptions())


def _primaries(gs) -> Counter:
    return Counter(gs.instances[k].pnode for k in gs.group_instances)


@pytest.mark.parametrize("triangles", [False, True])
def test_failover_cycles_after_greedy_copy_nothing_keep_counts_and_verify(triangles: bool) -> None:
    c, gs, g = _after_greedy()
    before = _primaries(gs)
    fp = failover_pairs(gs, time.perf_counter() + 30, triangles=triangles)
    assert fp and all(s.move == "f" and s.gb_copied == 0 for s in fp)
    if not triangles:
        assert len(fp) % 2 == 0
        for a, b in zip(fp[::2], fp[1::2], strict=True):  # each pair: the same two nodes, opposite ways
            assert (a.from_primary, a.from_secondary) == (b.from_secondary, b.from_primary)
    assert _primaries(gs) == before  # primary counts unchanged, so the count terms are too
    assert fp[-1].score < g.final_score - 1e-3  # hbal's greedy had stopped: no single move helped
    plan = Plan("failover pairs", g.initial_score, fp[-1].score, g.steps + fp)
    r = verify(c, plan)
    assert r.ok and r.replay_score == pytest.approx(plan.final_score, abs=5e-9), r.message()


@needs_hbal
def test_real_hbal_scores_the_failover_state_as_claimed(tmp_path) -> None:
    c, gs, _ = _after_greedy()
    fp = failover_pairs(gs, time.perf_counter() + 30)
    placement = {k: (gs.instances[k].pnode, gs.instances[k].snode) for k in gs.group_instances}
    out = tmp_path / "after.data"
    out.write_text(write_text(apply_placement(c, placement)))
    m = re.search(r"Initial score: (\S+)", run_hbal("-t", str(out), "-l", "0").stdout)
    assert m and float(m.group(1)) == pytest.approx(fp[-1].score, abs=5e-9)


def test_failover_cycles_leave_auto_balance_n_instances_alone() -> None:
    from dataclasses import replace

    c, _, _ = _after_greedy()
    pinned = {i.name for k, i in enumerate(c.instances) if k % 2 == 0}
    c = c.replace(instances=tuple(replace(i, auto_balance=i.name not in pinned) for i in c.instances))
    gs = load_group(c, LoadOptions())
    balance(gs, GreedyOptions())
    fp = failover_pairs(gs, time.perf_counter() + 30, triangles=False)
    assert fp and not {s.instance for s in fp} & pinned  # hbal never moves auto_balance=N instances


@pytest.mark.parametrize("name", [FILE, "evacuate-medium-20n-400i-drained.data"])
def test_numpy_cycle_scores_match_the_exact_failovers(name: str) -> None:
    """The numpy filter only skips cycles: its score of each pair, triangle and cycle of four must
    equal the exact score of the failovers done one by one through hbal's node primitives."""
    from planner.engine.fastscore import Scorer
    from planner.planners.failovers import approx_scores, failover_cycles, try_cycle

    if not (BENCH / name).exists():
        pytest.skip(NO_BENCH)
    gs = load_group(load(BENCH / name), LoadOptions())
    nodes = {n.idx: n for n in gs.nodes}
    short = failover_cycles(gs, nodes, triangles=True)
    quads = [c for c in failover_cycles(gs, nodes, triangles=True, quads=True) if len(c) == 4]
    cycles = short + quads[:: max(1, len(quads) // 1000)]  # ~1000 cycles of four: ~0.2 ms each to check
    approx = approx_scores(gs, nodes, cycles)
    scorer = Scorer(gs.nodes)
    exact = [try_cycle(nodes, scorer, float("inf"), c) for c in cycles]
    checked = [(a, e[2]) for a, e in zip(approx, exact, strict=True) if e is not None]
    assert len(checked) > 1000 and {len(c) for c in cycles} == {2, 3, 4}
    assert all(len({st.pnode for st in c}) == len(c) for c in cycles)  # distinct nodes around each cycle
    assert max(abs(a - e) for a, e in checked) < 1e-9


def test_induced_neighbourhood_frees_exactly_the_instances_among_its_nodes() -> None:
    """Every instance freed has both nodes among the drawn ones (or one offline), every instance with
    both nodes among them is freed (up to twice the size), and they are about ``size``."""
    import random

    from planner.planners.cpsat.lns import pick_induced

    name = "evacuate-medium-20n-400i-drained.data"
    if not (BENCH / name).exists():
        pytest.skip(NO_BENCH)
    gs = load_group(load(BENCH / name), LoadOptions())
    movable = [k for k in gs.group_instances if gs.instances[k].movable]
    offline = {n.idx for n in gs.nodes if n.offline}
    for seed in range(5):
        free, focus = pick_induced(gs, random.Random(seed), 15, movable)
        nodes = {gs.nodes[p].idx for p in focus}
        inside = {k for k in movable
                  if all(x in nodes or x in offline or x < 0 for x in (gs.instances[k].pnode, gs.instances[k].snode))}
        assert set(free) == inside or (len(free) == 30 and set(free) <= inside)
        assert len(free) >= 15 and not nodes & offline


def test_hot_nodes_are_those_reserving_for_two_instances_of_one_peer() -> None:
    """A node is hot when, summed per primary over its secondaries (instances that reserve memory),
    some primary needs more than the node's largest single secondary: counted here from the
    instance list, not from the node's reserve."""
    from planner.planners.cpsat.lns import is_hot

    name = "evacuate-medium-20n-400i-drained.data"
    if not (BENCH / name).exists():
        pytest.skip(NO_BENCH)
    c = load(BENCH / name)
    gs = load_group(c, LoadOptions())
    hot = 0
    for p, node in enumerate(gs.nodes):
        if node.offline:
            continue
        peers: Counter = Counter()
        largest = 0
        for inst in c.instances:
            if inst.snode == node.idx:
                largest = max(largest, inst.mem)
                if inst.uses_sec_mem:
                    peers[inst.pnode] += inst.mem
        expected = max(peers.values(), default=0) > largest
        assert is_hot(gs, p) == expected, node.name
        hot += expected
    assert 0 < hot < sum(not n.offline for n in gs.nodes)
