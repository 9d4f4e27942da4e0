"""The vectorised step evaluator agrees with hbal's exact primitives on every candidate move:
the same feasible set, and scores within 1e-7 — well inside the greedy's re-scoring tolerance
(1e-6; a std-dev near 0 amplifies rounding through the square root)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.api import group_state, load
from planner.engine.fastscore import Scorer
from planner.engine.moves import MoveOptions, apply_move, candidate_moves
from planner.engine.vector import KIND_CODE, StepEvaluator, evaluate, supported
from planner.planners.greedy import candidate_instances
from tests.helpers import DATA, bench_files

FILES = [DATA / "n1quirk.data", DATA / "offline.data", DATA / "tiny-skewed.data"] + \
    [f for f in bench_files() if "small" in f.name or "medium" in f.name]
OPTIONS = {"default": MoveOptions(), "no-disk-moves": MoveOptions(disk_moves=False),
           "restricted": MoveOptions(restricted_migration=True), "force": MoveOptions(ignore_soft_errors=True)}


@pytest.mark.parametrize("opt", list(OPTIONS))
@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_vector_matches_exact(path: Path, opt: str) -> None:
    gs = group_state(load(path))
    assert supported(gs)
    opts = OPTIONS[opt]
    nodes = {n.idx: n for n in gs.nodes}
    online = [n.idx for n in gs.nodes if not n.offline]
    cands = candidate_instances(gs, nodes, False)[:60]  # keep the exact side quick on medium files
    ev = StepEvaluator(gs, nodes, opts, cands)
    a, _, row, kind, tpos = evaluate(ev, opts.ignore_soft_errors)
    names = {v: k for k, v in KIND_CODE.items()}
    vec = {(cands[r].idx, names[int(k)], ev.order[t] if t >= 0 else -1): x
           for x, r, k, t in zip(a, row, kind, tpos, strict=True)}
    scorer = Scorer(gs.nodes)
    exact = {}
    for st in cands:
        for k, t in candidate_moves(st, online, nodes, opts):
            res = apply_move(nodes, st, k, t, opts.ignore_soft_errors)
            if not isinstance(res, str):
                exact[(st.idx, k, t)] = scorer.score_with(res.nodes)
    assert set(vec) == set(exact)
    assert max((abs(vec[k] - exact[k]) for k in exact), default=0.0) < 1e-7
