"""The split global N+1 test (node side + one answer per target) against htools' whole fold.

``drbd_evacuable`` keeps answers per node and per target; ``evacuate_fold`` is ``canEvacuateNode``
step by step.  Both are asked about every DRBD-only node of the shipped, suite and bench files, as
loaded and after hspace has filled them (the tight states where failovers start to fail).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from planner.api import load
from planner.capacity.alloc import Ctx
from planner.capacity.globaln1 import drbd_evacuable, evacuate_fold
from planner.capacity.hspace import CapacityOptions, capacity, load_all
from planner.engine.moves import apply_move
from tests.helpers import DATA, bench_files, local_files, require, suite_files

FILES = require([*local_files(), *suite_files()[:40], *bench_files(max_bytes=60_000)], 10, "cluster files")


def _answers(groups, nodes, insts, memo) -> list[tuple[int, bool, bool]]:
    ctx = Ctx(tuple(None for _ in nodes), groups)
    nl = {n.idx: n for n in nodes}
    out = []
    for n in nodes:
        grp = {k: m for k, m in nl.items() if groups[k] == groups[n.idx]}
        if not all(insts[k].inst.disk_template == "drbd" and insts[k].snode in grp for k in n.plist):
            continue
        out.append((n.idx, drbd_evacuable(memo, grp, insts, n), evacuate_fold(ctx, grp, insts, n)))
    return out


def _crowded(nodes, insts) -> tuple[list, list]:
    """Every third DRBD instance failed over by force: nodes past N+1, some not evacuable."""
    nl, ii = {n.idx: n for n in nodes}, list(insts)
    for k in range(0, len(ii), 3):
        st = ii[k]
        if st.inst.disk_template != "drbd" or st.snode < 0:
            continue
        r = apply_move(nl, st, "f", -1, force=True)
        if not isinstance(r, str):
            nl.update(r.nodes)
            ii[k] = replace(st, pnode=r.pnode, snode=r.snode, location_score=r.location_score)
    return [nl[k] for k in sorted(nl)], ii


def _groups(cluster) -> tuple[str, ...]:
    return tuple(n.group for n in cluster.nodes)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_split_equals_fold(path) -> None:
    cluster = load(path)
    opts = CapacityOptions(disk_template="drbd", run_tiered=False, capacity_checks=False)
    try:
        nodes, insts = load_all(cluster, opts)
        full = capacity(cluster, opts).standard
    except Exception as e:  # noqa: BLE001 (files hspace itself refuses: only the loaded state is checked)
        pytest.skip(f"{path.name}: {e}")
    memo: dict = {}
    filled = (list(full.nodes), [*insts, *full.new])
    states = [(list(nodes), list(insts)), filled, _crowded(*filled)]
    got = [a for ns, ii in states for a in _answers(_groups(cluster), ns, ii, memo)]
    bad = [(k, fast, slow) for k, fast, slow in got if fast != slow]
    assert not bad, f"{path.name}: node, split, fold: {bad}"


def test_both_answers_occur() -> None:
    """The comparison above is not vacuous: crowded clusters have nodes that cannot be evacuated."""
    seen = set()
    for name in ("n1quirk.data", "runway-3n.data", "failures-basic.data"):
        cluster = load(DATA / name)
        opts = CapacityOptions(disk_template="drbd", run_tiered=False, capacity_checks=False)
        full = capacity(cluster, opts).standard
        nodes, insts = load_all(cluster, opts)
        seen |= {fast for _, fast, _ in _answers(_groups(cluster), *_crowded(full.nodes, [*insts, *full.new]), {})}
    assert seen == {True, False}
