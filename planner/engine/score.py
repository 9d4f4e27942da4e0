"""hbal's cluster score: 20 weighted metrics over the nodes of a group (``Cluster/Metrics.hs``).

Computed exactly as hbal 3.0.2 sums it (left folds in node-index order), so scores agree to
the last bit.  "cv" metrics are population standard deviations, not coefficients of variation.

>>> population_sd([1.0, 0.875])
0.0625
>>> conflicts({"a": 2, "b": 1})
1
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from planner.engine.state import NodeState, fdiv


def conflicts(mset: dict) -> int:
    """Σ counts − number of keys of a multiset (hbal's tag conflicts)."""
    return sum(mset.values()) - len(mset)


def population_sd(xs) -> float:
    """``getStdDevStatistics`` then ``sqrt``: mean by a left fold, then Σ(x−mean)²/N."""
    n = 0.0
    s = 0.0
    for x in xs:
        n += 1
        s += x
    mean = fdiv(s, n)
    v = 0.0
    for x in xs:
        d = x - mean
        v += d * d
    return math.sqrt(fdiv(v, n))


def _sum(xs: Iterable[float]) -> float:
    s = 0.0
    for x in xs:
        s += x
    return s


def _map_stat(maps: Iterable[dict]) -> float:
    merged: dict = {}
    for m in maps:
        for k, v in m.items():
            merged[k] = merged.get(k, 0) + v
    return float(sum(merged.values()) - len(merged))


# ---- per-node values, one function per metric (htools' compDetailedCVNode) ------------------

def free_mem(n: NodeState) -> float:
    return n.p_mem


def free_disk(n: NodeState) -> float:
    return n.p_dsk


def n1_count(n: NodeState) -> float:
    return float(len(n.plist) + len(n.slist)) if n.fail_n1 else 0.0


def reserved_mem(n: NodeState) -> float:
    return n.p_rem


def instance_count(n: NodeState) -> float:
    return float(len(n.plist) + len(n.slist))


def primary_count(n: NodeState) -> float:
    return float(len(n.plist))


def vcpu_ratio(n: NodeState) -> float:
    return fdiv(n.p_cpu, n.cpu_speed)


def load(k: int) -> Callable[[NodeState], float]:
    def f(n: NodeState) -> float:
        return n.util_load[k]  # utilPool is (1,1,1,1) for every backend planner reads
    return f


def pri_tags(n: NodeState) -> float:
    return float(conflicts(n.p_tags))


def spindles(n: NodeState) -> float:
    return fdiv(n.inst_spindles, n.hi_spindles)


def free_mem_forth(n: NodeState) -> float:
    return n.p_mem_forth


def free_disk_forth(n: NodeState) -> float:
    return n.p_dsk_forth


def vcpu_ratio_forth(n: NodeState) -> float:
    return fdiv(n.p_cpu_forth, n.cpu_speed)


def spindles_forth(n: NodeState) -> float:
    return fdiv(n.inst_spindles_forth, n.hi_spindles)


def location(n: NodeState) -> float:
    return float(n.location_score)


@dataclass(frozen=True)
class Metric:
    name: str
    weight: float
    value: Callable[[NodeState], object]
    stat: str  # "sd", "sum", "map"
    online: bool = True


METRICS: tuple[Metric, ...] = (
    Metric("free_mem_cv", 0.5, free_mem, "sd"),
    Metric("free_disk_cv", 0.5, free_disk, "sd"),
    Metric("n1_cnt", 1, n1_count, "sum"),
    Metric("reserved_mem_cv", 1, reserved_mem, "sd"),
    Metric("offline_all_cnt", 4, instance_count, "sum", online=False),
    Metric("offline_pri_cnt", 16, primary_count, "sum", online=False),
    Metric("vcpu_ratio_cv", 0.5, vcpu_ratio, "sd"),
    Metric("cpu_load_cv", 1, load(0), "sd"),
    Metric("mem_load_cv", 1, load(1), "sd"),
    Metric("disk_load_cv", 1, load(2), "sd"),
    Metric("net_load_cv", 1, load(3), "sd"),
    Metric("pri_tags_score", 2, pri_tags, "sum"),
    Metric("spindles_cv", 0.5, spindles, "sd"),
    Metric("free_mem_cv_forth", 0.5, free_mem_forth, "sd"),
    Metric("free_disk_cv_forth", 0.5, free_disk_forth, "sd"),
    Metric("vcpu_ratio_cv_forth", 0.5, vcpu_ratio_forth, "sd"),
    Metric("spindles_cv_forth", 0.5, spindles_forth, "sd"),
    Metric("location_score", 1, location, "sum"),
    Metric("location_exclusion_score", 1, lambda n: n.instance_map, "map"),
    Metric("reserved_mem_rtotal", 0.25, reserved_mem, "sum"),
)
METRIC_NAMES = tuple(m.name for m in METRICS)
WEIGHTS = tuple(float(m.weight) for m in METRICS)


def node_vector(n: NodeState) -> tuple:
    """A node's 20 per-node values (hbal's ``compDetailedCVNode``)."""
    return tuple(m.value(n) for m in METRICS)


def values_from_vectors(online: list[tuple], offline: list[tuple]) -> list[float]:
    """Aggregate per-node vectors (each list in node-index order) into the 20 metric values.

    With no online node the list is empty (hbal then scores 0).
    """
    if not online:
        return []
    on_cols = list(zip(*online, strict=True))
    off_cols = list(zip(*offline, strict=True)) if offline else [()] * len(METRICS)
    out = []
    for k, m in enumerate(METRICS):
        col = on_cols[k] if m.online else off_cols[k]
        if m.stat == "sd":
            out.append(population_sd(col))
        elif m.stat == "sum":
            out.append(_sum(col))
        else:
            out.append(_map_stat(col))
    return out


def metric_values(nodes: list[NodeState]) -> list[float]:
    """The 20 unweighted metric values (hbal's ``compDetailedCV``) in table order."""
    return values_from_vectors([node_vector(n) for n in nodes if not n.offline],
                               [node_vector(n) for n in nodes if n.offline])


def total(values: list[float]) -> float:
    """Σ weight × value, summed left to right from 0 as hbal does."""
    s = 0.0
    for w, v in zip(WEIGHTS, values, strict=False):
        s += w * v
    return s


def compute_score(nodes: list[NodeState]) -> float:
    """hbal's ``compCV`` over a group's nodes (offline included, in index order)."""
    return total(metric_values(nodes))


@dataclass(frozen=True)
class ScoreReport:
    """A scored group: the total, each metric, and the N+1 verdict."""

    group: str
    score: float
    metrics: dict[str, float]
    n1_fail_nodes: tuple[str, ...]
    n1_bad_instances: int
    optimal: float

    def weighted(self) -> dict[str, float]:
        return {m.name: m.weight * self.metrics[m.name] for m in METRICS if m.name in self.metrics}

    def to_json(self) -> dict:
        return {"score": self.score, "metrics": self.metrics, "n1_fail_nodes": list(self.n1_fail_nodes),
                "group": self.group}
