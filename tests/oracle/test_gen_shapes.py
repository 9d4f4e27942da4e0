"""The unseen cluster shapes of benchmarks/gen_shapes.py are what real hbal calls valid clusters of the
bench's kind: no policy-violating node, the N+1 verdict the shape asks for, and hbal's own initial score
equal to planner's (issue 23 reports the default plan on them beside the shipped files)."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest

from planner.api import load, score_cluster
from tests.helpers import ROOT, needs_hbal, run_hbal

sys.path.insert(0, str(ROOT / "benchmarks"))
import gen_shapes  # noqa: E402

SHAPES = [p.format(size="medium") for p in gen_shapes.SHAPES]


@needs_hbal
@pytest.mark.parametrize("name", SHAPES)
def test_generated_shape_is_valid_for_hbal(tmp_path: Path, name: str) -> None:
    build = next(b for p, b in gen_shapes.SHAPES.items() if p.format(size="medium") == name)
    nodes, insts, groups = build(random.Random(f"{name}-7"), lambda x: max(2, round(x * 0.25)))
    path = tmp_path / f"{name}.data"
    path.write_text(gen_shapes.text(nodes, insts, groups))
    group = gen_shapes.GROUP.get(name)
    out = run_hbal("-t", str(path), "-l", "0", *(["-G", group] if group else [])).stdout
    assert "might be too restricted" not in out, out[-400:]  # hbal's line when nodes violate the policy
    hbal_score = float(re.search(r"Initial score: (\S+)", out).group(1))
    bad = int(re.search(r"Initial check done: (\d+) bad nodes", out).group(1))
    ours = score_cluster(load(path), group)
    assert round(ours.score, 8) == pytest.approx(hbal_score, abs=1e-8)
    assert len(ours.n1_fail_nodes) == bad
    assert (bad > 0) == name.startswith("n1broken"), (name, bad)
    if name.startswith("drained2"):
        assert sum(n.offline for n in nodes) == 2 and any(nodes[i.p].offline for i in insts)
