"""planner's score equals real hbal's "Initial score" (8 decimals) and its N+1 bad-node count."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.api import load, score_cluster
from planner.domain.errors import PlannerError
from tests.conftest import bench_files, hbal_initial, local_files, needs_hbal, suite_files


def _cases() -> list:
    cases = []
    for f in local_files() + suite_files() + bench_files():
        try:
            c = load(f)
        except PlannerError:
            continue  # invalid files are tested in test_htools_text
        groups = c.nonempty_groups()
        if not c.instances:
            continue  # hbal: "Cluster is empty, exiting." (no score to compare)
        for g in groups:
            gid = g.name if len(groups) > 1 else None
            cases.append(pytest.param(f, gid, id=f"{f.name}[{g.name}]"))
    return cases


@needs_hbal
@pytest.mark.parametrize("path,group", _cases())
def test_initial_score_matches_hbal(path: Path, group: str | None) -> None:
    ref = hbal_initial(path, group)
    assert ref is not None, "hbal printed no initial score"
    rep = score_cluster(load(path), group)
    assert abs(rep.score - ref[0]) < 5e-9, f"hbal {ref[0]:.8f}, planner {rep.score:.8f}"
    assert len(rep.n1_fail_nodes) == ref[1]


def test_parity_cases_found() -> None:
    """The parity test must not silently test nothing: the shipped files always count."""
    assert len(_cases()) >= len(local_files())
