"""A GB-thrifty greedy: each step takes the move with the largest score drop per GiB copied.

hbal's greedy takes the move that lowers the score most, whatever it copies, so it spends most of
its GiB early (skewed-medium: 54 % of its 14 370 GiB in the first 20 of 204 moves).  Dividing each
move's gain by ``GiB copied + move_gb`` (``move_gb``: a fixed price per move, so failovers do not
divide by zero and a long chain of tiny moves is not free) reaches hbal's final score with far
fewer GiB on the balance files: skewed-medium 7 180 GiB instead of 14 370 (``move_gb`` = 100 ×
the median disk), new-node-medium 1 880 instead of 5 090 (30 ×).  Which price is best depends on
the cluster, so :func:`thrifty_prefix` tries a few and keeps the cheapest run that reaches a
target.  Moves are hbal's, checked by hbal's rules, scored exactly.
"""

from __future__ import annotations

import statistics

from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.domain.plan import Plan, Step
from planner.domain.tolerance import GAIN_EPS
from planner.engine.fastscore import Scorer, take_moves
from planner.engine.moves import apply_move
from planner.engine.state import GroupState

#: the prices per move tried, as multiples of the group's median instance disk, the most often
#: cheapest first: later runs stop once they copy more than the cheapest so far
PRICES = (100, 30, 300, 10)


def thrifty(gs: GroupState, move_gb: float, deadline: float, stop_at: float | None = None,
            max_gb: float | None = None) -> Plan:
    """Greedy by score drop per ``GiB + move_gb``, on ``gs`` (moved along) until no move
    lowers the score, ``deadline``, the score is at most ``stop_at``, or more than ``max_gb``
    GiB are copied."""
    import numpy as np

    from planner.engine.vector import KIND_CODE
    from planner.planners.greedy import GreedyOptions, evaluate_all

    kinds = {v: k for k, v in KIND_CODE.items()}
    t0 = time.perf_counter()
    nodes = {n.idx: n for n in gs.nodes}
    order = [n.idx for n in gs.nodes]
    scorer = Scorer(gs.nodes)
    score = initial = scorer.score_with({})
    steps: list[Step] = []
    copied = 0.0
    while time.perf_counter() < deadline and (stop_at is None or score > stop_at) and \
            (max_gb is None or copied <= max_gb):
        found = evaluate_all(gs, nodes, GreedyOptions())
        if found is None:
            break
        cands, (a, _, row, kind, tpos) = found
        gb = np.where(kind == KIND_CODE["f"], 0.0, np.array([st.inst.dsk / 1024 for st in cands])[row])
        gain = np.where(a < score - GAIN_EPS, (score - a) / (gb + move_gb), -np.inf)
        best = None
        for j in np.argsort(-gain, kind="stable")[:10]:  # the best few ratios, re-scored exactly
            if gain[j] == -np.inf:
                break
            st = cands[row[j]]
            res = apply_move(nodes, st, kinds[int(kind[j])], order[tpos[j]] if tpos[j] >= 0 else -1)
            if isinstance(res, str):
                continue
            new = scorer.score_with(res.nodes)
            ratio = (score - new) / (gb[j] + move_gb)
            if new < score - GAIN_EPS and (best is None or ratio > best[0]):
                best = (ratio, st, res, new)
        if best is None:
            break
        take_moves(gs, nodes, scorer, [(best[1], best[2])], steps)
        score = best[3]
        copied += steps[-1].gb_copied
    gs.put_nodes(nodes)
    return Plan("thrifty", initial, score, steps, wall_s=time.perf_counter() - t0, group=gs.group_name)


def reaching(plan: Plan, target: float) -> tuple[list[Step], float] | None:
    """The shortest prefix of ``plan`` whose score is at most ``target``, and its GiB; or None."""
    gb = 0.0
    for n, s in enumerate(plan.steps):
        gb += s.gb_copied
        if s.score is not None and s.score <= target:
            return plan.steps[: n + 1], gb
    return None


def thrifty_prefix(load, target: float, deadline: float, prices=PRICES,
                   first_share: float = 0.5) -> tuple[list[Step], float] | None:
    """The cheapest (GiB) thrifty prefix reaching ``target`` over ``prices``; ``load()`` gives a
    fresh group state for each run, which stops once it copies more than the cheapest so far.  The
    first run gets half the time, the others share the rest (skewed-medium's runs take 2.2–3.0 s
    each: with an even split of about 10 s the best price sometimes ran out of time, leaving a
    hint at 0.9 × hbal's GiB instead of 0.5); ``first_share=1`` lets the first run use all of it.  None
    when none reaches it (or the group is not vectorisable)."""
    from planner.engine.vector import supported

    first = load()
    if not supported(first) or not first.group_instances:
        return None
    median = statistics.median(first.instances[k].inst.dsk / 1024 for k in first.group_instances)
    best, took = None, 0.0
    for n, price in enumerate(prices):
        gs = first if n == 0 else load()
        rest = deadline - time.perf_counter()
        # after the first run, each gets at least 1.25 x what that one took (an even split can stop every
        # later run just short of the target), as long as time is left
        left = rest * first_share if n == 0 else min(rest, max(rest / (len(prices) - n), 1.25 * took))
        t0 = time.perf_counter()
        run = thrifty(gs, price * median, t0 + left, stop_at=target, max_gb=None if best is None else best[1])
        took = took or time.perf_counter() - t0
        got = reaching(run, target)
        if got is not None and (best is None or got[1] < best[1]):
            best = got
    return best
