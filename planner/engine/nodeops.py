"""Node primitives of htools 3.0.2 (``Node.hs``): add/remove an instance as primary or secondary.

Load-time ``set_pri``/``set_sec`` change the node in place.  The move primitives
(``remove_pri``, ``remove_sec``, ``add_pri_ex``, ``add_sec_ex_ex``) return a new node, or a
failure code string (``"FailMem"``, ``"FailDisk"``, …) for the ``add`` ones; the node passed
in is never changed.  Memory and N+1 follow hbal exactly, including the ``<=`` N+1 formula
used whenever a node is touched (htools-core §3.2).
"""

from __future__ import annotations

from planner.engine.state import InstState, NodeState, fdiv, frac, mset_add, mset_del


def _pdsk(n: NodeState, free_sp: int, free_dsk: int) -> float:
    return frac(free_sp, n.t_spindles) if n.excl_stor else frac(free_dsk, n.t_dsk)


def _spindle_use(n: NodeState, value: float, st: InstState, add: bool) -> float:
    if n.excl_stor:
        return 0.0
    if not st.inst.uses_local_storage:
        return value
    return value + st.inst.spindle_use if add else value - st.inst.spindle_use


def _free_spindles(n: NodeState, value: int, st: InstState, add: bool) -> int:
    if not n.excl_stor:
        return 0
    s = st.inst.spindles
    if s is None:
        return -1 if add else value
    return value - s if add else value + s


def dsrd_score(n: NodeState, st: InstState) -> int:
    """Unsatisfied desired locations of an instance whose primary is ``n``."""
    return len(st.dsrd_loc_tags) - len(st.dsrd_loc_tags & n.location_tags)


def _loc_excl_pairs(n: NodeState, st: InstState) -> list[tuple[str, str]]:
    return [(loc, e) for loc in sorted(n.location_tags) for e in st.excl_tags]


def _add_util(dst: list, u, sign: float = 1.0) -> None:
    for k in range(4):
        dst[k] += sign * u[k]


# ----------------------------------------------------------------------------------- load time

def set_pri(n: NodeState, st: InstState) -> None:
    """``Node.setPri``: register a primary while loading (memory and disk are not touched)."""
    i = st.inst
    if not i.forthcoming:
        n.plist.add(st.idx)
        if i.not_offline:
            n.u_cpu += i.vcpus
        n.p_cpu = fdiv(n.u_cpu, n.t_cpu)
        _add_util(n.util_load, st.util)
        n.inst_spindles = _spindle_use(n, n.inst_spindles, st, True)
        n.location_score += st.location_score + dsrd_score(n, st)
        mset_add(n.instance_map, _loc_excl_pairs(n, st))
    mset_add(n.p_tags, st.excl_tags)
    n.plist_forth.add(st.idx)
    if i.not_offline:
        n.u_cpu_forth += i.vcpus
    n.p_cpu_forth = fdiv(n.u_cpu_forth, n.t_cpu)
    _add_util(n.util_load_forth, st.util)
    if not i.uses_memory:
        n.f_mem_forth -= i.mem
    n.p_mem_forth = fdiv(n.f_mem_forth, n.t_mem)
    n.inst_spindles_forth = _spindle_use(n, n.inst_spindles_forth, st, True)
    if i.forthcoming:
        _forth_only_disk(n, st)


def _forth_only_disk(n: NodeState, st: InstState) -> None:
    if st.inst.uses_local_storage:
        n.f_dsk_forth -= st.inst.dsk
    n.f_spindles_forth = _free_spindles(n, n.f_spindles_forth, st, True)
    n.p_dsk_forth = _pdsk(n, n.f_spindles_forth, n.f_dsk_forth)


def set_sec(n: NodeState, st: InstState) -> None:
    """``Node.setSec``: register a secondary while loading."""
    i = st.inst
    if not i.forthcoming:
        n.slist.add(st.idx)
        n.util_load[2] += st.util[2]
        n.inst_spindles = _spindle_use(n, n.inst_spindles, st, True)
    n.slist_forth.add(st.idx)
    n.util_load_forth[2] += st.util[2]
    n.inst_spindles_forth = _spindle_use(n, n.inst_spindles_forth, st, True)
    if i.forthcoming:
        _forth_only_disk(n, st)


# ----------------------------------------------------------------------------------- moves

def remove_pri(t: NodeState, st: InstState) -> NodeState:
    """``Node.removePri``: never fails."""
    i = st.inst
    n = t.clone()
    if not i.forthcoming:
        n.plist.discard(st.idx)
        if i.uses_memory:
            n.i_mem -= i.mem
        free = n.unallocated
        n.p_mem = fdiv(free, n.t_mem)
        n.fail_n1 = free <= n.r_mem
        if i.uses_local_storage:
            n.f_dsk += i.dsk
        n.f_spindles = _free_spindles(t, t.f_spindles, st, False)
        n.inst_spindles = _spindle_use(t, t.inst_spindles, st, False)
        n.p_dsk = _pdsk(n, n.f_spindles, n.f_dsk)
        if i.not_offline:
            n.u_cpu -= i.vcpus
        n.p_cpu = fdiv(n.u_cpu, n.t_cpu)
        _add_util(n.util_load, st.util, -1.0)
        n.location_score -= st.location_score + dsrd_score(t, st)
        mset_del(n.instance_map, _loc_excl_pairs(t, st))
    mset_del(n.p_tags, st.excl_tags)
    n.plist_forth.discard(st.idx)
    n.f_mem_forth += i.mem
    if i.uses_local_storage:
        n.f_dsk_forth += i.dsk
    n.f_spindles_forth = _free_spindles(t, t.f_spindles_forth, st, False)
    n.inst_spindles_forth = _spindle_use(t, t.inst_spindles_forth, st, False)
    n.p_mem_forth = fdiv(n.f_mem_forth, n.t_mem)
    n.p_dsk_forth = _pdsk(n, n.f_spindles_forth, n.f_dsk_forth)
    if i.not_offline:
        n.u_cpu_forth -= i.vcpus
    n.p_cpu_forth = fdiv(n.u_cpu_forth, n.t_cpu)
    _add_util(n.util_load_forth, st.util, -1.0)
    return n


def remove_sec(t: NodeState, st: InstState, pnode: int) -> NodeState:
    """``Node.removeSec``; ``pnode`` is the instance's primary (the peer to release)."""
    i = st.inst
    n = t.clone()
    if not i.forthcoming:
        n.slist.discard(st.idx)
        if i.uses_local_storage:
            n.f_dsk += i.dsk
        n.f_spindles = _free_spindles(t, t.f_spindles, st, False)
        n.inst_spindles = _spindle_use(t, t.inst_spindles, st, False)
        old_peem = t.peers.get(pnode, 0)
        new_peem = old_peem - i.mem if i.uses_sec_mem else old_peem
        if new_peem > 0:
            n.peers[pnode] = new_peem
        else:
            n.peers.pop(pnode, None)
        if old_peem >= t.r_mem:
            n.r_mem = max(n.peers.values(), default=0)
        n.p_rem = fdiv(n.r_mem, n.t_mem)
        n.fail_n1 = n.unallocated <= n.r_mem
        n.p_dsk = _pdsk(n, n.f_spindles, n.f_dsk)
        n.util_load[2] -= st.util[2]
    n.slist_forth.discard(st.idx)
    if i.uses_local_storage:
        n.f_dsk_forth += i.dsk
    n.f_spindles_forth = _free_spindles(t, t.f_spindles_forth, st, False)
    n.inst_spindles_forth = _spindle_use(t, t.inst_spindles_forth, st, False)
    n.p_dsk_forth = _pdsk(n, n.f_spindles_forth, n.f_dsk_forth)
    n.util_load_forth[2] -= st.util[2]
    return n


def _pri_forth_violation(t: NodeState, st: InstState, mem_f: int, dsk_f: int, sp_f: int,
                         isp_f: float, pcpu_f: float) -> str | None:
    local = st.inst.uses_local_storage
    if mem_f <= 0:
        return "FailMem"
    if local and (dsk_f <= 0 or dsk_f < t.lo_dsk):
        return "FailDisk"
    if local and t.excl_stor and sp_f < 0:
        return "FailSpindles"
    if local and isp_f > t.hi_spindles:
        return "FailDisk"
    if t.vcpu_ratio >= 0 and t.vcpu_ratio < pcpu_f:
        return "FailCPU"
    return None


def add_pri_ex(force: bool, t: NodeState, st: InstState) -> NodeState | str:
    """``Node.addPriEx``: the new node, or the first failing check (soft ones skipped if forced)."""
    i = st.inst
    strict = not force
    local = i.uses_local_storage
    mem_f = t.f_mem_forth - i.mem
    dsk_f = t.f_dsk_forth - i.dsk if local else t.f_dsk_forth
    sp_f = _free_spindles(t, t.f_spindles_forth, st, True)
    isp_f = _spindle_use(t, t.inst_spindles_forth, st, True)
    ucpu_f = t.u_cpu_forth + i.vcpus if i.not_offline else t.u_cpu_forth
    pcpu_f = fdiv(ucpu_f, t.t_cpu)
    if i.forthcoming:
        if strict:
            bad = _pri_forth_violation(t, st, mem_f, dsk_f, sp_f, isp_f, pcpu_f)
            if bad:
                return bad
        n = t.clone()
    else:
        i_mem = t.i_mem + i.mem if i.uses_memory else t.i_mem
        free = t.recorded_free - (i_mem - t.i_mem) - max(0, t.x_mem)
        fail_n1 = free <= t.r_mem
        dsk = t.f_dsk - i.dsk if local else t.f_dsk
        fsp = _free_spindles(t, t.f_spindles, st, True)
        isp = _spindle_use(t, t.inst_spindles, st, True)
        ucpu = t.u_cpu + i.vcpus if i.not_offline else t.u_cpu
        pcpu = fdiv(ucpu, t.t_cpu)
        if free <= 0:
            return "FailMem"
        if local and dsk <= 0:
            return "FailDisk"
        if strict and local and dsk < t.lo_dsk:
            return "FailDisk"
        if local and t.excl_stor and fsp < 0:
            return "FailSpindles"
        if strict and local and isp > t.hi_spindles:
            return "FailDisk"
        if strict and fail_n1 and not t.fail_n1:
            return "FailMem"
        if strict and t.vcpu_ratio >= 0 and t.vcpu_ratio < pcpu:
            return "FailCPU"
        if strict and any(tag in t.p_tags for tag in st.excl_tags):
            return "FailTags"
        if strict:
            bad = _pri_forth_violation(t, st, mem_f, dsk_f, sp_f, isp_f, pcpu_f)
            if bad:
                return bad
        n = t.clone()
        n.plist.add(st.idx)
        n.i_mem, n.f_dsk, n.fail_n1 = i_mem, dsk, fail_n1
        n.p_mem = fdiv(free, t.t_mem)
        n.p_dsk = _pdsk(t, fsp, dsk)
        n.u_cpu, n.p_cpu = ucpu, pcpu
        _add_util(n.util_load, st.util)
        n.inst_spindles, n.f_spindles = isp, fsp
        n.location_score += st.location_score + dsrd_score(t, st)
        mset_add(n.instance_map, _loc_excl_pairs(t, st))
    mset_add(n.p_tags, st.excl_tags)
    n.plist_forth.add(st.idx)
    n.f_mem_forth, n.f_dsk_forth = mem_f, dsk_f
    n.p_mem_forth = fdiv(mem_f, t.t_mem)
    n.p_dsk_forth = _pdsk(t, sp_f, dsk_f)
    n.u_cpu_forth, n.p_cpu_forth = ucpu_f, pcpu_f
    _add_util(n.util_load_forth, st.util)
    n.inst_spindles_forth, n.f_spindles_forth = isp_f, sp_f
    return n


def add_sec_ex_ex(ignore_disks: bool, force: bool, t: NodeState, st: InstState,  # noqa: C901 (Node.addSecExEx, check by check)
                  pdx: int) -> NodeState | str:
    """``Node.addSecExEx``: add a DRBD secondary whose primary is node ``pdx``."""
    i = st.inst
    strict = not force
    need = i.mem if i.uses_sec_mem else 0
    peem = t.peers.get(pdx, 0) + need
    dsk_f = t.f_dsk_forth - i.dsk
    sp_f = _free_spindles(t, t.f_spindles_forth, st, True)
    isp_f = _spindle_use(t, t.inst_spindles_forth, st, True)

    def forth_violation() -> str | None:
        if i.disk_template != "drbd" or dsk_f <= 0 or dsk_f < t.lo_dsk:
            return "FailDisk"
        if t.excl_stor and sp_f < 0:
            return "FailSpindles"
        if isp_f > t.hi_spindles:
            return "FailDisk"
        if need >= t.f_mem_forth:
            return "FailMem"
        return None

    if i.forthcoming:
        if strict and (bad := forth_violation()):
            return bad
        n = t.clone()
    else:
        old_mem = t.unallocated
        dsk = t.f_dsk - i.dsk
        fsp = _free_spindles(t, t.f_spindles, st, True)
        isp = _spindle_use(t, t.inst_spindles, st, True)
        r_mem = max(t.r_mem, peem)
        fail_n1 = old_mem <= r_mem
        if i.disk_template != "drbd":
            return "FailDisk"
        if not ignore_disks and dsk <= 0:
            return "FailDisk"
        if strict and dsk < t.lo_dsk:
            return "FailDisk"
        if t.excl_stor and fsp < 0:
            return "FailSpindles"
        if strict and isp > t.hi_spindles:
            return "FailDisk"
        if strict and need >= old_mem:
            return "FailMem"
        if strict and fail_n1 and not t.fail_n1:
            return "FailMem"
        if strict and (bad := forth_violation()):
            return bad
        n = t.clone()
        n.slist.add(st.idx)
        n.f_dsk = dsk
        n.peers[pdx] = peem
        n.fail_n1, n.r_mem = fail_n1, r_mem
        n.p_dsk = _pdsk(t, fsp, dsk)
        n.p_rem = fdiv(r_mem, t.t_mem)
        n.util_load[2] += st.util[2]
        n.inst_spindles, n.f_spindles = isp, fsp
    n.slist_forth.add(st.idx)
    n.f_dsk_forth = dsk_f
    n.p_dsk_forth = _pdsk(t, sp_f, dsk_f)
    n.util_load_forth[2] += st.util[2]
    n.inst_spindles_forth, n.f_spindles_forth = isp_f, sp_f
    return n


def check_migration(src: NodeState, dst: NodeState) -> bool:
    """Migration tags allow moving a running instance from ``src`` to ``dst`` (hard rule)."""
    return src.mig_tags <= dst.rmig_tags
