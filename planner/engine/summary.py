"""A group's score report as hbal's initial check prints it: total, the 20 metrics, N+1.

>>> from planner.io.htools_text import read_text
>>> r = score_group(read_text("tests/data/n1quirk.data"))
>>> round(r.score, 8), r.n1_fail_nodes
(3.31686197, ())
"""

from __future__ import annotations

from dataclasses import replace

from planner.domain.model import Cluster
from planner.engine.load import load_group
from planner.engine.n1 import bad_instances, bad_nodes, optimal_score
from planner.engine.score import METRIC_NAMES, ScoreReport, metric_values, total
from planner.engine.state import GroupState, LoadOptions


def group_report(gs: GroupState) -> ScoreReport:
    """Score a loaded group and report N+1 as hbal's initial check does."""
    values = metric_values(gs.nodes)
    return ScoreReport(
        group=gs.group_name,
        score=total(values),
        metrics=dict(zip(METRIC_NAMES, values, strict=False)) if values else dict.fromkeys(METRIC_NAMES, 0.0),
        n1_fail_nodes=tuple(n.name for n in bad_nodes(gs)),
        n1_bad_instances=len(bad_instances(gs)),
        optimal=optimal_score(gs.nodes),
    )


def load_selected(cluster: Cluster, group: str | None = None, opts: LoadOptions | None = None) -> GroupState:
    """Load a group as hbal does (``-G``), leaving the caller's options untouched."""
    opts = opts or LoadOptions()
    return load_group(cluster, replace(opts, group=group) if group is not None else opts)


def score_group(cluster: Cluster, group: str | None = None, opts: LoadOptions | None = None) -> ScoreReport:
    """hbal's initial score of one group of ``cluster``."""
    return group_report(load_selected(cluster, group, opts))
