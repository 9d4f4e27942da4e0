"""Vectorised evaluation of every candidate move of one greedy step (numpy).

For each candidate instance and move kind the touched nodes' new values follow hbal's node
primitives (``nodeops``) in array form: feasibility is decided exactly (same checks, same order
of hard/soft rules), the score approximately, from per-metric shifted sums (error ~1e-12).  The
greedy then re-scores the few candidates near the best exactly.

Only used for groups where the simple model holds (:func:`supported`): no forthcoming instances,
no exclusion / location / desired-location / migration tags, no exclusive storage, movable
instances are DRBD.  Other groups use the exact evaluator alone.
"""

from __future__ import annotations

import numpy as np

from planner.engine.moves import MoveOptions, mirror_type, possible_moves
from planner.engine.score import WEIGHTS
from planner.engine.state import GroupState, InstState, NodeState

KIND_CODE = {"f": 0, "r": 1, "rf": 2, "frf": 3, "fr": 4}
_SD = ("pmem", "pdsk", "prem", "vcpu", "l0", "l1", "l2", "l3", "spin", "pmemf")
# weights of the sd metrics; pdsk, vcpu and spindles also stand for their identical "forth" twins
_W = dict(zip(_SD, (WEIGHTS[0], WEIGHTS[1] + WEIGHTS[14], WEIGHTS[3], WEIGHTS[6] + WEIGHTS[15],
                    WEIGHTS[7], WEIGHTS[8], WEIGHTS[9], WEIGHTS[10], WEIGHTS[12] + WEIGHTS[16],
                    WEIGHTS[13]), strict=True))


def supported(gs: GroupState) -> bool:
    """True when the vectorised model covers every feature this group uses."""
    for n in gs.nodes:
        if n.excl_stor or n.location_tags or n.mig_tags or n.rmig_tags or n.p_tags or n.instance_map:
            return False
    for k in gs.group_instances:
        st = gs.instances[k]
        i = st.inst
        if i.forthcoming or st.excl_tags or st.dsrd_loc_tags:
            return False
        if st.movable and i.auto_balance and mirror_type(st) != "internal":
            return False
        if i.disk_template != "drbd" and st.snode >= 0:
            return False
    return True


class Nodes:
    """Node fields as arrays over the group's nodes (positions in file order)."""

    def __init__(self, nodes: list[NodeState], pos: dict[int, int]) -> None:
        f = lambda attr: np.array([getattr(n, attr) for n in nodes], dtype=float)  # noqa: E731
        self.tmem, self.tdsk, self.tcpu = f("t_mem"), f("t_dsk"), f("t_cpu")
        self.speed, self.hisp, self.lodsk, self.vratio = f("cpu_speed"), f("hi_spindles"), f("lo_dsk"), \
            f("vcpu_ratio")
        self.unalloc = np.array([n.unallocated for n in nodes], dtype=float)
        self.fdsk, self.ucpu, self.instsp, self.fmemf = f("f_dsk"), f("u_cpu"), f("inst_spindles"), \
            f("f_mem_forth")
        self.rmem = f("r_mem")
        self.fail = np.array([n.fail_n1 for n in nodes], dtype=bool)
        self.online = np.array([not n.offline for n in nodes], dtype=bool)
        self.npri = np.array([len(n.plist) for n in nodes], dtype=float)
        self.nsec = np.array([len(n.slist) for n in nodes], dtype=float)
        self.load = [np.array([n.util_load[k] for n in nodes], dtype=float) for k in range(4)]
        size = len(nodes)
        self.peers = np.zeros((size, size + 1))  # last column: best peer outside the group
        for r, n in enumerate(nodes):
            for p, v in n.peers.items():
                c = pos.get(p)
                if c is None:
                    self.peers[r, size] = max(self.peers[r, size], v)
                else:
                    self.peers[r, c] = v
        order = np.argsort(-self.peers, axis=1, kind="stable")
        rows = np.arange(size)
        self.top1_arg = order[:, 0]
        self.top1 = self.peers[rows, order[:, 0]]
        self.top2 = self.peers[rows, order[:, 1]] if size >= 1 else self.top1


def node_state(nd: Nodes, idx) -> dict:
    """The fields of nodes ``idx`` (an index array, any shape) as a dict of arrays."""
    return {"unalloc": nd.unalloc[idx], "fdsk": nd.fdsk[idx], "ucpu": nd.ucpu[idx],
            "instsp": nd.instsp[idx], "fmemf": nd.fmemf[idx], "rmem": nd.rmem[idx], "fail": nd.fail[idx],
            "npri": nd.npri[idx], "nsec": nd.nsec[idx], "l0": nd.load[0][idx], "l1": nd.load[1][idx],
            "l2": nd.load[2][idx], "l3": nd.load[3][idx], "idx": idx}


class Insts:
    """Candidate instance fields as (I, 1) columns."""

    def __init__(self, sts: list[InstState], pos: dict[int, int]) -> None:
        col = lambda xs, dt=float: np.array(xs, dtype=dt).reshape(-1, 1)  # noqa: E731
        self.mem = col([s.inst.mem for s in sts])
        self.dsk = col([s.inst.dsk for s in sts])
        self.usemem = col([s.inst.uses_memory for s in sts], bool)
        self.need = col([s.inst.mem if s.inst.uses_sec_mem else 0 for s in sts])
        self.vcpus = col([s.inst.vcpus if s.inst.not_offline else 0 for s in sts])
        self.spuse = col([s.inst.spindle_use for s in sts])
        self.util = [col([s.util[k] for s in sts]) for k in range(4)]
        self.p = col([pos[s.pnode] for s in sts], int)
        self.s = col([pos[s.snode] for s in sts], int)


def rem_pri(n: dict, i: Insts) -> dict:
    m = dict(n)
    m["unalloc"] = n["unalloc"] + np.where(i.usemem, i.mem, 0.0)
    m["fdsk"] = n["fdsk"] + i.dsk
    m["ucpu"] = n["ucpu"] - i.vcpus
    m["instsp"] = n["instsp"] - i.spuse
    for k in range(4):
        m[f"l{k}"] = n[f"l{k}"] - i.util[k]
    m["npri"] = n["npri"] - 1
    m["fmemf"] = n["fmemf"] + i.mem
    m["fail"] = m["unalloc"] <= n["rmem"]
    return m


def rem_sec(n: dict, i: Insts, nd: Nodes, ppos) -> dict:
    """Remove the secondary whose primary is at group position ``ppos``."""
    m = dict(n)
    m["fdsk"] = n["fdsk"] + i.dsk
    m["instsp"] = n["instsp"] - i.spuse
    m["l2"] = n["l2"] - i.util[2]
    m["nsec"] = n["nsec"] - 1
    row = n["idx"]
    new_pe = nd.peers[row, ppos] - i.need
    others = np.where(nd.top1_arg[row] == ppos, nd.top2[row], nd.top1[row])
    m["rmem"] = np.maximum(others, np.where(new_pe > 0, new_pe, 0.0))
    m["fail"] = n["unalloc"] <= m["rmem"]
    return m


def add_pri(n: dict, i: Insts, strict) -> tuple[dict, np.ndarray]:
    """Add a primary; returns the new fields and the feasibility mask (hbal's addPriEx)."""
    m = dict(n)
    free = n["unalloc"] - np.where(i.usemem, i.mem, 0.0)
    dsk = n["fdsk"] - i.dsk
    isp = n["instsp"] + i.spuse
    ucpu = n["ucpu"] + i.vcpus
    fail = free <= n["rmem"]
    nd_lodsk, nd_hisp, nd_vr, nd_tcpu = n["lodsk"], n["hisp"], n["vratio"], n["tcpu"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pcpu = ucpu / nd_tcpu
    soft_bad = ((dsk < nd_lodsk) | (isp > nd_hisp) | (fail & ~n["fail"]) | ((nd_vr >= 0) & (nd_vr < pcpu))
                | (n["fmemf"] - i.mem <= 0))
    ok = (free > 0) & (dsk > 0) & ~(strict & soft_bad)
    m.update(unalloc=free, fdsk=dsk, instsp=isp, ucpu=ucpu, fail=fail, npri=n["npri"] + 1,
             fmemf=n["fmemf"] - i.mem)
    for k in range(4):
        m[f"l{k}"] = n[f"l{k}"] + i.util[k]
    return m, ok


def add_sec(n: dict, i: Insts, nd: Nodes, ppos, strict, ignore_disks) -> tuple[dict, np.ndarray]:
    """Add a DRBD secondary whose primary is at ``ppos`` (hbal's addSecExEx)."""
    m = dict(n)
    pe = nd.peers[n["idx"], ppos] + i.need
    rmem = np.maximum(n["rmem"], pe)
    old = n["unalloc"]
    fail = old <= rmem
    dsk = n["fdsk"] - i.dsk
    isp = n["instsp"] + i.spuse
    soft_bad = ((dsk < n["lodsk"]) | (isp > n["hisp"]) | (i.need >= old) | (fail & ~n["fail"])
                | (dsk <= 0) | (i.need >= n["fmemf"]))
    ok = (ignore_disks | (dsk > 0)) & ~(strict & soft_bad)
    m.update(rmem=rmem, fail=fail, fdsk=dsk, instsp=isp, nsec=n["nsec"] + 1, l2=n["l2"] + i.util[2])
    return m, ok


def components(n: dict, nd: Nodes) -> dict:
    """The per-node metric values of node fields ``n``."""
    idx = n["idx"]
    tmem, tdsk = nd.tmem[idx], nd.tdsk[idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "pmem": n["unalloc"] / tmem,
            "pdsk": np.where(tdsk == 0, 1.0, n["fdsk"] / np.where(tdsk == 0, 1.0, tdsk)),
            "prem": n["rmem"] / tmem,
            "vcpu": n["ucpu"] / nd.tcpu[idx] / nd.speed[idx],
            "l0": n["l0"], "l1": n["l1"], "l2": n["l2"], "l3": n["l3"],
            "spin": n["instsp"] / nd.hisp[idx],
            "pmemf": n["fmemf"] / tmem,
            "n1": np.where(n["fail"], n["npri"] + n["nsec"], 0.0),
            "cnt": n["npri"] + n["nsec"], "pri": n["npri"],
        }


class StepEvaluator:
    """All candidate moves of one step, scored approximately in a few numpy passes."""

    def __init__(self, gs: GroupState, nodes: dict[int, NodeState], opts: MoveOptions,
                 cands: list[InstState]) -> None:
        order = [n.idx for n in gs.nodes]
        self.pos = {k: p for p, k in enumerate(order)}
        self.order = order
        self.nd = nd = Nodes([nodes[k] for k in order], self.pos)
        self.cands = cands
        self.opts = opts
        self.nodes = nodes
        self.ins = Insts(cands, self.pos) if cands else None
        on = nd.online
        self.n_on = float(on.sum())
        base = components(self._with_policy(node_state(nd, np.arange(len(order)))), nd)
        self.base = base
        self.shift = {k: float(base[k][on].mean()) if on.any() else 0.0 for k in _SD}
        self.s0 = {k: float((base[k][on] - self.shift[k]).sum()) for k in _SD}
        self.q0 = {k: float(((base[k][on] - self.shift[k]) ** 2).sum()) for k in _SD}
        self.n1_0 = float(base["n1"][on].sum())
        self.prem0 = float(base["prem"][on].sum())
        self.off_all0 = float(base["cnt"][~on].sum())
        self.off_pri0 = float(base["pri"][~on].sum())
        self.keys, self.weight = list(_SD), dict(_W)
        if self.ins is not None and self._same_loads(base):
            # cpu, mem and net loads move together (hbal's default utilisation): one sd, three weights
            self.keys = [k for k in _SD if k not in ("l1", "l3")]
            self.weight["l0"] = _W["l0"] + _W["l1"] + _W["l3"]

    def _same_loads(self, base: dict) -> bool:
        u = self.ins.util
        return bool(np.array_equal(u[0], u[1]) and np.array_equal(u[0], u[3])
                    and np.array_equal(base["l0"], base["l1"]) and np.array_equal(base["l0"], base["l3"]))

    def _with_policy(self, n: dict) -> dict:
        nd, idx = self.nd, n["idx"]
        n.update(lodsk=nd.lodsk[idx], hisp=nd.hisp[idx], vratio=nd.vratio[idx], tcpu=nd.tcpu[idx])
        return n

    def state(self, idx) -> dict:
        return self._with_policy(node_state(self.nd, idx))

    def score(self, touched: list[tuple[dict, dict]]) -> np.ndarray:
        """Approximate score when each (old, new) field set replaces its node's fields.

        Per-instance nodes (P, S: shape (I, 1)) are summed first; the target node (shape (1, N)
        → (I, N)) is folded in with one fused expression per metric.  Target rows are not masked
        for offline nodes: the caller excludes those candidates.
        """
        nd, base, keys = self.nd, self.base, self.keys
        ds: dict[str, object] = dict.fromkeys(keys, 0.0)
        dq: dict[str, object] = dict.fromkeys(keys, 0.0)
        lin = 0.0  # n1 count, reserved-memory total and offline counts, already weighted
        grid = None
        for old_n, new_n in touched:
            idx = old_n["idx"]
            if old_n.get("grid"):
                grid = (idx, components(new_n, nd))
                continue
            b = components(new_n, nd)
            on = nd.online[idx]
            for k in keys:
                ak, bk = base[k][idx], b[k]
                d = bk - ak
                ds[k] = ds[k] + np.where(on, d, 0.0)
                dq[k] = dq[k] + np.where(on, d * (bk + ak - 2.0 * self.shift[k]), 0.0)
            lin = lin + np.where(on, WEIGHTS[2] * (b["n1"] - base["n1"][idx])
                                 + WEIGHTS[19] * (b["prem"] - base["prem"][idx]),
                                 WEIGHTS[4] * (b["cnt"] - base["cnt"][idx])
                                 + WEIGHTS[5] * (b["pri"] - base["pri"][idx]))
        n = self.n_on
        total = WEIGHTS[2] * self.n1_0 + WEIGHTS[19] * self.prem0 + WEIGHTS[4] * self.off_all0 \
            + WEIGHTS[5] * self.off_pri0 + lin
        if grid is not None:
            idx, b = grid
            total = total + WEIGHTS[2] * (b["n1"] - base["n1"][idx]) + WEIGHTS[19] * (b["prem"] - base["prem"][idx])
        for k in keys:
            s0, q0 = self.s0[k] + ds[k], self.q0[k] + dq[k]
            if grid is None:
                var = (q0 / n) - (s0 / n) ** 2
                total = total + self.weight[k] * np.sqrt(np.maximum(var, 0.0))
                continue
            idx, b = grid
            a, bk = base[k][idx], b[k]
            d = bk - a
            q = d * (bk + a - 2.0 * self.shift[k]) + q0
            q /= n
            d = d + s0
            d /= n
            d *= d
            q -= d
            np.maximum(q, 0.0, out=q)
            np.sqrt(q, out=q)
            q *= self.weight[k]
            total = total + q
        return total


def kinds_mask(cands: list[InstState], order: list[int], nodes: dict[int, NodeState],
               opts: MoveOptions) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Which instances try ``f`` and, per kind, which try it on every allowed target."""
    online = {k for k in order if not nodes[k].offline}
    f_ok = np.zeros((len(cands), 1), dtype=bool)
    per_kind = {k: np.zeros((len(cands), 1), dtype=bool) for k in ("r", "rf", "frf", "fr")}
    for r, st in enumerate(cands):
        use_sec = st.snode in online and opts.instance_moves
        f_ok[r, 0] = use_sec
        for k in possible_moves(st, use_sec, opts, nodes[st.pnode].offline):
            per_kind[k][r, 0] = True
    return f_ok, per_kind


_RANK = {"r": 0, "rf": 1, "frf": 2, "fr": 3}


def evaluate(ev: StepEvaluator, force: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Approximate scores of all feasible candidates: (score, order key, row, kind code, target pos).

    Infeasible or disallowed candidates are left out.  Keys follow hbal's enumeration order.
    """
    nd, i = ev.nd, ev.ins
    size = len(ev.order)
    if i is None:
        empty = np.zeros(0)
        return empty, empty.astype(int), empty.astype(int), empty.astype(int), empty.astype(int)
    f_ok, per_kind = kinds_mask(ev.cands, ev.order, {k: ev.nodes[k] for k in ev.order}, ev.opts)
    rows = np.arange(len(ev.cands)).reshape(-1, 1)
    tpos = np.arange(size).reshape(1, -1)
    P, S = i.p, i.s
    Pst, Sst, Tst = ev.state(P), ev.state(S), ev.state(tpos)
    Tst["grid"] = True  # the target row: (1, N), broadcast against the instances
    off_p, off_s = ~nd.online[P], ~nd.online[S]
    strict_p = ~(off_p | force)
    tmask = nd.online[tpos] & (tpos != P) & (tpos != S)
    out: list[tuple] = []

    def emit(kind: str, score, ok, targets) -> None:
        ok = np.broadcast_to(ok, score.shape)
        rr = np.broadcast_to(rows, score.shape)[ok]
        tt = np.broadcast_to(targets, score.shape)[ok]
        key = rr * (1 + 4 * size) + (0 if kind == "f" else 1 + tt * 4 + _RANK[kind])
        out.append((score[ok], key, rr, np.full(rr.shape, KIND_CODE[kind]), tt))

    # f: fail over to the secondary
    int_s = rem_sec(Sst, i, nd, P)
    int_p = rem_pri(Pst, i)
    new_p, ok1 = add_pri(int_s, i, strict_p)
    new_s, ok2 = add_sec(int_p, i, nd, S, strict_p, off_p)
    emit("f", ev.score([(Pst, new_s), (Sst, new_p)]), f_ok & ok1 & ok2, np.full_like(P, -1))
    # r: replace the secondary with T
    if per_kind["r"].any():
        new_t, ok1 = add_sec(Tst, i, nd, P, ~(off_s | force), False)
        p2, ok2 = add_pri(int_p, i, False)
        emit("r", ev.score([(Pst, p2), (Sst, int_s), (Tst, new_t)]), per_kind["r"] & tmask & ok1 & ok2, tpos)
    # rf: replace the secondary with T, then fail over to T
    if per_kind["rf"].any():
        new_t, ok1 = add_pri(Tst, i, np.bool_(not force))
        new_s, ok2 = add_sec(int_p, i, nd, tpos, ~(off_s | force), False)
        emit("rf", ev.score([(Tst, new_t), (Pst, new_s), (Sst, int_s)]),
             per_kind["rf"] & tmask & ok1 & ok2, tpos)
    # fr: fail over, then replace the new secondary (the old primary) with T
    if per_kind["fr"].any():
        new_p, ok1 = add_pri(int_s, i, strict_p)
        new_t, ok2 = add_sec(Tst, i, nd, S, strict_p, False)
        emit("fr", ev.score([(Tst, new_t), (Sst, new_p), (Pst, int_p)]),
             per_kind["fr"] & tmask & ok1 & ok2, tpos)
    # frf: replace the primary with T (via the secondary)
    if per_kind["frf"].any():
        tmp, ok1 = add_pri(int_s, i, strict_p)
        tmp2 = rem_pri(tmp, i)
        new_t, ok2 = add_pri(Tst, i, strict_p)
        new_s, ok3 = add_sec(tmp2, i, nd, tpos, strict_p, False)
        emit("frf", ev.score([(Pst, int_p), (Sst, new_s), (Tst, new_t)]),
             per_kind["frf"] & tmask & ok1 & ok2 & ok3, tpos)
    cols = list(zip(*out, strict=True))
    return tuple(np.concatenate(c) for c in cols)  # type: ignore[return-value]
