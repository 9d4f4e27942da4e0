"""The count floors and reserved-memory levels the small groups' global solve starts from."""

from __future__ import annotations

import pytest

from planner.api import load
from planner.domain.placement import apply_placement
from planner.engine.load import load_group, reload_group
from planner.planners.cpsat.kit import model_data, placement_of
from planner.planners.cpsat.levels import level_start
from planner.planners.cpsat.options import CpsatOptions
from tests.helpers import BENCH, NO_BENCH


def _level_plan(name: str, max_gb: float):
    path = BENCH / name
    if not path.exists():
        pytest.skip(NO_BENCH)
    cluster = load(str(path))
    gs = load_group(cluster)
    opts = CpsatOptions(max_gb=max_gb, time_limit=20)
    data = model_data(gs, opts, None)
    got = level_start(data, opts, list(data.current), 15.0, False)
    assert got is not None
    choice, level = got
    after = reload_group(gs, apply_placement(cluster, placement_of(data, choice)))
    return cluster, gs, after, level


def _check_floors_and_level(gs, after, level: int, max_gb: float) -> None:
    online = [n for n in after.nodes if not n.offline]
    pri = [len(n.plist) for n in online]
    tot = [len(n.plist) + len(n.slist) for n in online]
    for counts in (pri, tot):  # integer floor: every count within one of the others
        assert max(counts) - min(counts) <= 1
    assert max(max(n.peers.values(), default=0) for n in online) <= level
    copied = 0.0  # GiB: each replica on a node the instance was not on before
    for k in gs.group_instances:
        a, b = gs.instances[k], after.instances[k]
        new = {b.pnode, b.snode} - {a.pnode, a.snode} - {-1}
        copied += len(new) * a.inst.dsk / 1024
    assert copied <= max_gb + 1e-9


def test_a_level_plan_on_six_nodes_puts_no_two_big_instances_on_one_pair() -> None:
    # 6 online nodes, 30 (primary, secondary) pairs; the largest instance has 8 GiB
    _, gs, after, level = _level_plan("new-node-small-6n-2new-70i.data", 2160)
    assert level == 8192
    _check_floors_and_level(gs, after, level, 2160)


def test_the_level_rises_where_pigeonholes_force_a_shared_pair() -> None:
    # 22 instances of 8 GiB on 5 nodes (20 pairs): some pair holds two, so no level below 16 GiB
    cluster, gs, after, level = _level_plan("new-node-small-5n-73i-mimic.data", 750)
    big = [i for i in cluster.instances if i.mem == 8192 and i.disk_template == "drbd"]
    assert len(big) == 22 and max(i.mem for i in cluster.instances) == 8192
    assert level == 16384
    _check_floors_and_level(gs, after, level, 750)
