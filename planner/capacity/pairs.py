"""hail's DRBD pair search (``tryAlloc`` over ``allocateOnPair``), fast and bit-exact.

Every candidate (primary, secondary) pair is scored by ``updateClusterStatisticsTwice`` then
``compCVfromStats``; :class:`PairScorer` keeps, per pair, the primary's and the secondary's metric
vectors after the allocation and recomputes them only for the nodes that changed since the last
step (two per allocation), then scores all pairs at once with numpy.  The arithmetic is htools'
formula for formula, in the same order, on IEEE doubles, so every score equals the one-pair-at-a-
time computation to the last bit (tests/oracle/test_hspace_parity.py compares with real hspace).

>>> from planner.capacity.simulate import simulate_cluster
>>> from planner.capacity.hspace import capacity, CapacityOptions
>>> opts = CapacityOptions(disk_template="drbd", run_tiered=False)  # hspace --simulate p,3,1t,16g,8: 48
>>> capacity(simulate_cluster(["p,3,1t,16g,8"]), opts).standard.allocated
48
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from planner.capacity.stats import by_identity, stat_value
from planner.engine.nodeops import add_pri_ex, add_sec_ex_ex
from planner.engine.score import METRICS, WEIGHTS, node_vector
from planner.engine.state import InstState, NodeState

_MAP = next(k for k, m in enumerate(METRICS) if m.stat == "map")
_NUM = [k for k in range(len(METRICS)) if k != _MAP]
_NO = -1


def _vec(n: NodeState) -> list[float]:
    v = node_vector(n)
    return [float(v[k]) for k in _NUM]


def usable(nodes: list[NodeState]) -> bool:
    """The fast path holds when no node has location-exclusion pairs (the map metric stays constant)."""
    return not any(n.instance_map for n in nodes)


class PairScorer:
    """The per-pair state of one run (one candidate list, one instance spec)."""

    def __init__(self, cands: list[tuple[int, list[int]]], nodes: list[NodeState], modes: tuple[str, ...]) -> None:
        self.modes = modes
        self.P = np.array([p for p, ss in cands for _ in ss], dtype=np.int64)
        self.S = np.array([s for _, ss in cands for s in ss], dtype=np.int64)
        self.slices = []
        k = 0
        for p, ss in cands:
            self.slices.append((p, k, k + len(ss)))
            k += len(ss)
        self.loc = [len(nodes[p].location_tags & nodes[s].location_tags) for p, s in zip(self.P, self.S, strict=True)]
        m = len(self.P)
        self.by_p: dict[int, list[int]] = {}
        self.by_s: dict[int, list[int]] = {}
        for j in range(m):
            self.by_p.setdefault(int(self.P[j]), []).append(j)
            self.by_s.setdefault(int(self.S[j]), []).append(j)
        self.ov = np.zeros((len(nodes), len(_NUM)))
        self.yp = np.zeros((m, len(_NUM)))
        self.ys = np.zeros((m, len(_NUM)))
        self.perr = np.full(m, _NO, dtype=np.int64)
        self.serr = np.full(m, _NO, dtype=np.int64)
        self.seen: list[NodeState | None] = [None] * len(nodes)

    def _inst(self, st: InstState, j: int) -> InstState:
        return replace(st, pnode=int(self.P[j]), snode=int(self.S[j]), location_score=self.loc[j])

    def refresh(self, nodes: list[NodeState], st: InstState, cache: dict | None = None) -> None:
        """Recompute what the nodes changed since the last call touch (``cache``: node vectors by node)."""
        code = {m: k for k, m in enumerate(self.modes)}
        for k, n in enumerate(nodes):
            if self.seen[k] is n:
                continue
            self.seen[k] = n
            self.ov[k] = _vec(n) if cache is None else by_identity(cache, n, _vec)
            done: dict[int, tuple[int, list[float] | None]] = {}
            for j in self.by_p.get(k, ()):
                loc = self.loc[j]
                if loc not in done:
                    r = add_pri_ex(False, n, self._inst(st, j))
                    done[loc] = (code[r], None) if isinstance(r, str) else (_NO, _vec(r))
                err, v = done[loc]
                self.perr[j] = err
                if v is not None:
                    self.yp[j] = v
            need = st.inst.mem if st.inst.uses_sec_mem else 0
            sec: dict[int, tuple[int, list[float] | None]] = {}
            for j in self.by_s.get(k, ()):
                # addSecExEx reads the instance, not its pair, and its primary only through the reserved
                # memory max(rMem, peers[p] + mem): one call per distinct value
                pdx = int(self.P[j])
                r_mem = max(n.r_mem, n.peers.get(pdx, 0) + need)
                if r_mem not in sec:
                    r = add_sec_ex_ex(False, False, n, st, pdx)
                    sec[r_mem] = (code[r], None) if isinstance(r, str) else (_NO, _vec(r))
                err, v = sec[r_mem]
                self.serr[j] = err
                if v is not None:
                    self.ys[j] = v

    def scores(self, stats: list[list]) -> np.ndarray:
        """Every pair's ``compCVfromStats (updateClusterStatisticsTwice stats ...)``."""
        out = np.zeros(len(self.P))
        xp, xs = self.ov[self.P], self.ov[self.S]
        col = {k: c for c, k in enumerate(_NUM)}
        for k, (w, st) in enumerate(zip(WEIGHTS, stats, strict=True)):
            if k == _MAP or not METRICS[k].online:  # map: constant (checked by usable); offline: untouched
                out = out + w * stat_value(st)
                continue
            c = col[k]
            if st[0] == "sum":
                s1 = st[1] + (self.yp[:, c] - xp[:, c])
                out = out + w * (s1 + (self.ys[:, c] - xs[:, c]))
                continue
            n, s, var = st[1], st[2], st[3]
            s1, v1 = _sd_step(n, s, var, xp[:, c], self.yp[:, c])
            _, v2 = _sd_step(n, s1, v1, xs[:, c], self.ys[:, c])
            out = out + w * np.sqrt(v2)
        return out

    def failures(self, counts: dict[str, int]) -> np.ndarray:
        """Add each failing pair's mode to ``counts``; the mask of pairs that allocate."""
        err = np.where(self.perr != _NO, self.perr, self.serr)
        for code, cnt in zip(*np.unique(err[err != _NO], return_counts=True), strict=True):
            counts[self.modes[int(code)]] = counts.get(self.modes[int(code)], 0) + int(cnt)
        return err == _NO

    def solution(self, nodes: list[NodeState], st: InstState, j: int, score: float) -> tuple:
        """The allocation of pair ``j`` as ``try_alloc`` returns it."""
        ni = self._inst(st, j)
        p, s = int(self.P[j]), int(self.S[j])
        new_p = add_pri_ex(False, nodes[p], ni)
        new_s = add_sec_ex_ex(False, False, nodes[s], ni, p)
        return (score, {p: new_p, s: new_s}, ni)


def _sd_step(n: float, s, var, x, y):
    """``updateClusterStatistics`` for one sd metric (htools' incremental variance)."""
    ds = y - x
    dss = y * y - x * x
    dnnvar = (n * dss - 2 * s * ds) - ds * ds
    v2 = var + dnnvar / (n * n)
    return s + ds, np.where(v2 >= 0, v2, 0.0)

