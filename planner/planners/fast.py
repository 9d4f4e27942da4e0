"""A fast greedy for first plans and CP-SAT hints on big groups (not hbal's move order).

Each round scores every candidate hbal move in numpy (:func:`planner.planners.greedy.evaluate_all`),
keeps each instance's best improving move, and applies as many **node-disjoint** ones as it can,
best first: moves that share no node cannot change each other's checks, so each is still an hbal
move checked (exactly, by :func:`planner.moves.apply_move`) from the state it is applied to.  The
batch is kept when hbal's exact score falls; otherwise only its best move.  With ``cost_weight``
a move's value is its gain per GiB copied (plus ``cost_weight`` GiB per move), which spends a GiB
budget where it buys the most balance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from planner.moves import apply_move, step_of
from planner.plan import Plan, Step
from planner.planners.fastscore import Scorer
from planner.planners.greedy import GreedyOptions, evaluate_all
from planner.planners.vector import KIND_CODE
from planner.state import GroupState

KINDS = {v: k for k, v in KIND_CODE.items()}


@dataclass
class FastOptions:
    time_limit: float = 10.0
    max_gb: float | None = None  #: GiB the plan may copy in all
    target: float | None = None  #: stop as soon as the score is at most this
    cost_weight: float | None = None  #: value = gain / (GiB + cost_weight) instead of gain
    max_batch: int | None = None  #: moves per round (default: half the online nodes)
    greedy: GreedyOptions = field(default_factory=GreedyOptions)


def _choose(gs: GroupState, cands, arrays, score: float, opts: FastOptions, budget: float | None):
    """Per instance its most valuable improving move, most valuable first: (row, kind, tpos, gb)."""
    a, _key, row, kind, tpos = arrays
    gb = np.array([st.inst.dsk / 1024 for st in cands])[row] * (kind != KIND_CODE["f"])
    gain = score - a
    ok = gain > 1e-12
    if budget is not None:
        ok &= gb <= budget + 1e-9
    value = gain / (gb + opts.cost_weight) if opts.cost_weight is not None else gain
    value = np.where(ok, value, -np.inf)
    order = np.lexsort((-value, row))  # by row, best value first within a row
    first = np.ones(len(order), dtype=bool)
    first[1:] = row[order][1:] != row[order][:-1]
    best = order[first & np.isfinite(value[order])]
    best = best[np.argsort(-value[best], kind="stable")]
    return [(int(row[j]), KINDS[int(kind[j])], int(tpos[j]), float(gb[j])) for j in best]


def fast_balance(gs: GroupState, opts: FastOptions | None = None, on_step=None) -> Plan:
    """Balance ``gs`` (placements updated in place) with node-disjoint batches of hbal moves."""
    opts = opts or FastOptions()
    t0 = time.perf_counter()
    nodes = {n.idx: n for n in gs.nodes}
    order = [n.idx for n in gs.nodes]
    scorer = Scorer(gs.nodes)
    score = initial = scorer.score_with({})
    limit = opts.max_batch or max(1, sum(not n.offline for n in gs.nodes) // 2)
    force = opts.greedy.moves.ignore_soft_errors
    steps: list[Step] = []
    gb_used = 0.0
    while time.perf_counter() - t0 < opts.time_limit and (opts.target is None or score > opts.target):
        found = evaluate_all(gs, nodes, opts.greedy)
        if found is None:
            break
        cands, arrays = found
        budget = None if opts.max_gb is None else opts.max_gb - gb_used
        picks = _choose(gs, cands, arrays, score, opts, budget)
        if not picks:
            break
        used: set[int] = set()
        batch = []
        changed: dict = {}
        left = budget
        for r, kind, tp, gb in picks:
            st = cands[r]
            target = order[tp] if tp >= 0 else -1
            touch = {st.pnode, st.snode, target} - {-1}
            if touch & used or (left is not None and gb > left + 1e-9):
                continue
            res = apply_move({**nodes, **changed}, st, kind, target, force)
            if isinstance(res, str):
                continue
            used |= touch | {res.pnode, res.snode}
            changed.update(res.nodes)
            batch.append((st, res, dict(changed)))
            left = None if left is None else left - gb
            if len(batch) >= limit:
                break
        if not batch:
            break
        if scorer.score_with(changed) >= score:  # the batch interacts badly: its best move alone
            batch = batch[:1]
            if scorer.score_with(batch[0][1].nodes) >= score:
                break
        done: dict = {}
        for st, res, ch in batch:
            step = step_of(gs, st, res, scorer.score_with(ch))
            steps.append(step)
            gb_used += step.gb_copied
            if on_step:
                on_step(len(steps), step)
            st.pnode, st.snode, st.location_score = res.pnode, res.snode, res.location_score
            done = ch
            if opts.target is not None and step.score <= opts.target:
                break
        nodes.update(done)
        scorer.commit(done)
        score = scorer.score_with({})
    for k, n in nodes.items():
        gs.all_nodes[k] = n
    gs.nodes = [nodes[n.idx] for n in gs.nodes]
    return Plan("fast", initial, score, steps, status="feasible" if steps else "no-solution",
                wall_s=time.perf_counter() - t0, group=gs.group_name)
