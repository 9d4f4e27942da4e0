"""htools' cluster statistics as hspace/hail use them: incremental score updates
(``compClusterStatistics``/``updateClusterStatistics``/``compCVfromStats``) and ``CStats``.

The incremental score is what hail compares between candidate pairs; it can differ from a full
recomputation in the last bits, so it is reproduced formula for formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.engine.score import METRICS, WEIGHTS, node_vector
from planner.engine.state import NodeState, fdiv


def _sd_stat(xs: list[float]) -> list:
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
    return ["sd", n, s, fdiv(v, n)]


def _map_stat(ms: list[dict]) -> list:
    out: dict = {}
    for m in ms:
        for k, v in m.items():
            out[k] = out.get(k, 0) + v
    return ["map", out]


def by_identity(cache: dict, obj, compute):
    """``compute(obj)``, once per object (``cache`` keeps the object, so its id stays its own).

    >>> cache, calls = {}, []
    >>> xs = [1, 2]
    >>> by_identity(cache, xs, lambda o: calls.append(o) or sum(o)), by_identity(cache, xs, sum), len(calls)
    (3, 3, 1)
    """
    hit = cache.get(id(obj))
    if hit is None or hit[0] is not obj:
        hit = cache[id(obj)] = (obj, compute(obj))
    return hit[1]


def cluster_stats(nodes: list[NodeState]) -> list[list]:
    """``compClusterStatistics`` over ``nodes`` (index order, offline included)."""
    on = [node_vector(n) for n in nodes if not n.offline]
    off = [node_vector(n) for n in nodes if n.offline]
    out = []
    for k, m in enumerate(METRICS):
        col = [v[k] for v in (on if m.online else off)]
        if m.stat == "sd":
            out.append(_sd_stat(col))
        elif m.stat == "sum":
            s = 0.0
            for x in col:
                s += x
            out.append(["sum", s])
        else:
            out.append(_map_stat(col))
    return out


def update_stats(stats: list[list], old: NodeState, new: NodeState,
                 old_vec: tuple | None = None, new_vec: tuple | None = None) -> list[list]:
    """``updateClusterStatistics``: replace ``old``'s contribution with ``new``'s."""
    ov = old_vec if old_vec is not None else node_vector(old)
    nv = new_vec if new_vec is not None else node_vector(new)
    online = not old.offline
    out = []
    for k, m in enumerate(METRICS):
        st = stats[k]
        if m.online != online:
            out.append(st)
            continue
        x, y = ov[k], nv[k]
        kind = st[0]
        if kind == "sum":
            out.append(["sum", st[1] + (y - x)])
        elif kind == "sd":
            n, s, var = st[1], st[2], st[3]
            ds = y - x
            dss = y * y - x * x
            dnnvar = (n * dss - 2 * s * ds) - ds * ds
            v2 = var + dnnvar / (n * n)
            out.append(["sd", n, s + ds, v2 if 0 <= v2 else 0.0])
        else:
            mm = dict(st[1])
            for kk, vv in x.items():
                mm[kk] = mm.get(kk, 0) - vv
            for kk, vv in y.items():
                mm[kk] = mm.get(kk, 0) + vv
            out.append(["map", mm])
    return out


def stat_value(st: list) -> float:
    if st[0] == "sum":
        return st[1]
    if st[0] == "sd":
        return math.sqrt(st[3]) if st[3] >= 0 else math.nan
    m = st[1]
    return float(sum(m.values()) - len(m))


def stats_score(stats: list[list]) -> float:
    """``compCVfromStats``: Σ weight × value, left to right."""
    s = 0.0
    for w, st in zip(WEIGHTS, stats, strict=True):
        s += w * stat_value(st)
    return s


def full_score(nodes: list[NodeState]) -> float:
    """``compCV`` over ``nodes`` (0 when none is online)."""
    if all(n.offline for n in nodes):
        return 0.0
    return stats_score(cluster_stats(nodes))


@dataclass(frozen=True)
class CStats:
    """hspace's cluster totals (``Cluster.CStats``), memory/disk in MiB."""

    fmem: int
    fdsk: int
    fspn: int
    amem: int
    adsk: int
    acpu: int
    mmem: int
    mdsk: int
    mcpu: int
    imem: int
    idsk: int
    ispn: int
    icpu: int
    tmem: float
    tdsk: float
    tspn: float
    tcpu: float
    vcpu: int
    ncpu: float
    xmem: int
    nmem: int
    score: float
    ninst: int


def avail_mem(n: NodeState) -> int:
    return max(0, n.unallocated - n.r_mem)


def avail_disk(n: NodeState) -> int:
    return 0 if n.f_dsk < n.lo_dsk else n.f_dsk - n.lo_dsk


def avail_cpu(n: NodeState) -> int:
    return n.hi_cpu - n.u_cpu if n.hi_cpu >= n.u_cpu else 0


def total_resources(nodes: list[NodeState]) -> CStats:
    """``totalResources``: the CStats of all nodes (offline included) and the score."""
    acc = dict(fmem=0, fdsk=0, fspn=0, amem=0, adsk=0, acpu=0, mmem=0, mdsk=0, mcpu=0, imem=0, idsk=0,
               ispn=0, icpu=0, tmem=0.0, tdsk=0.0, tspn=0.0, tcpu=0.0, vcpu=0, ncpu=0.0, xmem=0, nmem=0,
               ninst=0)
    for n in nodes:
        am, ad, ac = avail_mem(n), avail_disk(n), avail_cpu(n)
        acc["fmem"] += n.unallocated
        acc["fdsk"] += n.f_dsk
        acc["fspn"] += n.f_spindles
        acc["amem"] += am
        acc["adsk"] += ad
        acc["acpu"] += ac
        acc["mmem"] = max(acc["mmem"], am)
        acc["mdsk"] = max(acc["mdsk"], ad)
        acc["mcpu"] = max(acc["mcpu"], ac)
        acc["imem"] += n.i_mem
        acc["idsk"] += math.trunc(n.t_dsk) - n.f_dsk
        acc["ispn"] += n.t_spindles - n.f_spindles
        acc["icpu"] += n.u_cpu
        acc["tmem"] += n.t_mem
        acc["tdsk"] += n.t_dsk
        acc["tspn"] += float(n.t_spindles)
        acc["tcpu"] += n.t_cpu
        acc["vcpu"] += n.hi_cpu
        acc["ncpu"] += fdiv(n.u_cpu, n.vcpu_ratio)
        acc["xmem"] += n.x_mem
        acc["nmem"] += n.n_mem
        acc["ninst"] += len(n.plist)
    return CStats(score=full_score(nodes), **acc)
