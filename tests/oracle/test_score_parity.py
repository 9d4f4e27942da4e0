"""planner's score equals real hbal's "Initial score" (8 decimals) and its N+1 bad-node count."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.api import load, score_cluster
from tests.helpers import group_params, hbal_initial, needs_hbal, real_cases

CASES = group_params(("local", "suite", "bench"))


@needs_hbal
@pytest.mark.parametrize("path,group", CASES)
def test_initial_score_matches_hbal(path: Path, group: str | None) -> None:
    ref = hbal_initial(path, group)
    assert ref is not None, "hbal printed no initial score"
    rep = score_cluster(load(path), group)
    assert abs(rep.score - ref[0]) < 5e-9, f"hbal {ref[0]:.8f}, planner {rep.score:.8f}"
    assert len(rep.n1_fail_nodes) == ref[1]


def test_parity_cases_found() -> None:
    """The parity test must not silently test nothing: every group of every loadable file is a case."""
    n = len(real_cases(CASES))
    local = len(real_cases(group_params(("local",))))
    assert local >= 15 and n >= local
