"""The partial re-load (:mod:`planner.engine.reload`) equals hbal's full load pipeline, field by field."""

from __future__ import annotations

import random
from dataclasses import astuple

import pytest

from planner.api import load
from planner.domain.placement import apply_placement
from planner.engine.load import load_group, reload_group
from planner.engine.reload import reload_moved
from planner.engine.score import compute_score
from planner.engine.state import GroupState, LoadOptions, NodeState
from tests.helpers import BENCH, DATA, NO_BENCH


def _node_fields(n: NodeState) -> tuple:
    return tuple(getattr(n, f) for f in NodeState.__slots__)


def _random_moves(gs: GroupState, rng: random.Random, count: int) -> dict[int, tuple[int, int]]:
    online = [n.idx for n in gs.nodes if not n.offline]
    out = {}
    for k in rng.sample(gs.group_instances, min(count, len(gs.group_instances))):
        st = gs.instances[k]
        if st.movable and st.snode >= 0 and len(online) > 1:
            out[k] = tuple(rng.sample(online, 2))
        elif st.movable and st.inst.disk_template != "plain":
            out[k] = (rng.choice(online), -1)
    return out


def _assert_same(part: GroupState, full: GroupState) -> None:
    assert [n.idx for n in part.nodes] == [n.idx for n in full.nodes]
    for a, b in zip(part.all_nodes, full.all_nodes, strict=True):
        assert _node_fields(a) == _node_fields(b), a.name
    for a, b in zip(part.instances, full.instances, strict=True):
        assert astuple(a) == astuple(b), a.inst.name
    assert compute_score(part.nodes) == compute_score(full.nodes)  # the same float, not just close


CASES = [(DATA / "tags-location.data", None), (DATA / "offline.data", None), (DATA / "cycle.data", None),
         (BENCH / "skewed-small-6n-70i.data", "first-offline"), (BENCH / "new-node-medium-20n-2new-400i.data", None),
         (BENCH / "evacuate-small-5n-64i-drained.data", None)]


@pytest.mark.parametrize(("path", "offline"), CASES, ids=[p.stem for p, _ in CASES])
def test_partial_reload_equals_the_full_load_along_a_chain(path, offline) -> None:
    """A chain of random re-placements, each re-loaded partially from the previous partial state,
    stays equal to a full load of the same cluster (nodes, instances, and hbal's score)."""
    if not path.exists():
        pytest.skip(NO_BENCH)
    c = load(path)
    lo = LoadOptions(offline_nodes=(c.nodes[0].name,)) if offline else LoadOptions()
    state = load_group(c, lo)
    rng = random.Random(7)
    for _ in range(12):
        delta = _random_moves(state, rng, rng.choice((1, 3, 10)))
        cluster = apply_placement(state.cluster, delta)
        state = reload_moved(state, cluster, delta)
        _assert_same(state, reload_group(state, cluster))
