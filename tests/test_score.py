"""The score, metric by metric, on hand-computed examples (htools-core §4.7)."""

from __future__ import annotations

import math

import pytest

from planner.api import load, score_cluster
from planner.engine.load import load_group
from planner.engine.n1 import optimal_score
from planner.engine.score import METRIC_NAMES, WEIGHTS, population_sd, total
from planner.engine.state import LoadOptions, common_suffix
from tests.helpers import DATA


def test_weights_are_hbals() -> None:
    assert WEIGHTS == (0.5, 0.5, 1, 1, 4, 16, 0.5, 1, 1, 1, 1, 2, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 0.25)
    assert len(METRIC_NAMES) == 20


def test_plain_two_nodes_by_hand() -> None:
    """2 nodes, one plain 128 MiB / 1 GiB / 1 vCPU instance on node2."""
    m = score_cluster(load(DATA / "plain-two-nodes.data")).metrics
    assert m["free_mem_cv"] == pytest.approx(0.0625, abs=1e-15)
    # the sd of two values is half their gap: (1 - 94343/95367) / 2
    assert m["free_disk_cv"] == pytest.approx(512 / 95367, abs=1e-15)
    assert m["vcpu_ratio_cv"] == pytest.approx(0.125)  # [1/4, 2/4]
    for k in ("cpu_load_cv", "mem_load_cv", "disk_load_cv", "net_load_cv"):
        assert m[k] == 0.5
    assert m["spindles_cv"] == pytest.approx(0.015625)  # [0, 1] / 32
    rep = score_cluster(load(DATA / "plain-two-nodes.data"))
    assert f"{rep.score:.8f}" == "2.20849373"


def test_ext_loads_by_hand() -> None:
    """Memory and vCPU ratios equal, loads 4 vs 2: sd 1 in each of the 4 load metrics."""
    rep = score_cluster(load(DATA / "ext-loads.data"))
    assert rep.score == 4.0
    assert [k for k, v in rep.metrics.items() if v] == ["cpu_load_cv", "mem_load_cv", "disk_load_cv",
                                                       "net_load_cv"]


def test_offline_counts_and_question_node() -> None:
    """nA offline with primaries a1, a2 and the secondary of a3; nQ is a '?' node (offline, empty)."""
    rep = score_cluster(load(DATA / "offline.data"))
    assert rep.metrics["offline_all_cnt"] == 3 and rep.metrics["offline_pri_cnt"] == 2
    assert 4 * 3 + 16 * 2 < rep.score < 4 * 3 + 16 * 2 + 1


def test_tags_and_location_by_hand() -> None:
    """Three svc:web instances: two primaries share n1 (1 conflict); i1 has both nodes in
    rack:a (location 1); (rack:a, svc:web) is used by 3 primaries (exclusion 3 - 1 = 2)."""
    m = score_cluster(load(DATA / "tags-location.data")).metrics
    assert (m["pri_tags_score"], m["location_score"], m["location_exclusion_score"]) == (1, 1, 2)


def test_exclusion_tags_option_adds_colon() -> None:
    c = load(DATA / "tags-location.data")
    plain = score_cluster(c).metrics["pri_tags_score"]
    c2 = c.replace(cluster_tags=("htools:nlocation:rack",))
    assert score_cluster(c2).metrics["pri_tags_score"] == 0
    assert score_cluster(c2, opts=LoadOptions(exclusion_tags=("svc",))).metrics["pri_tags_score"] == plain
    assert score_cluster(c2, opts=LoadOptions(exclusion_tags=("sv",))).metrics["pri_tags_score"] == 0


def test_n1_quirk_load_time_flag() -> None:
    """nodeA: f_mem 2048 < r_mem 1500 is false at load, although unallocated 1024 <= 1500."""
    gs = load_group(load(DATA / "n1quirk.data"))
    a = gs.nodes[0]
    assert (a.f_mem, a.r_mem, a.unallocated, a.fail_n1) == (2048, 1500, 1024, False)


def test_optimal_score_and_empty_group() -> None:
    gs = load_group(load(DATA / "two-groups.data"), LoadOptions(group="g2"))
    total_mem = 3 * 16384.0
    drbd = 4096 + 512 + 0  # w2 has auto_balance=N (reserves 0), w6 is forthcoming
    assert optimal_score(gs.nodes) == pytest.approx(0.25 * (drbd / (total_mem - 16384) - drbd / total_mem))
    assert score_cluster(load(DATA / "two-groups.data"), "empty").score == 0.0


def test_total_sums_left_to_right() -> None:
    vals = [0.1] * 20
    s = 0.0
    for w in WEIGHTS:
        s += w * 0.1
    assert total(vals) == s


def test_population_sd_edge_cases() -> None:
    assert population_sd([3.0]) == 0.0
    assert math.isnan(population_sd([]))
    assert math.isnan(population_sd([1.0, math.inf]))


def test_common_suffix() -> None:
    assert common_suffix(["n1.example.com", "web.example.com"]) == ".example.com"
    gs = load_group(load(DATA / "plain-two-nodes.data"))
    assert [n.alias for n in gs.nodes] == ["node1", "node2"]
