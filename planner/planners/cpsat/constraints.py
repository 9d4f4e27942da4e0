"""The CP-SAT model's variables and hard constraints, one function per constraint.

Every constraint states at the target placement what hbal's node primitives check when an
instance is added (``Node.addPriEx`` / ``addSecExEx``): memory, disk, N+1, vCPU and spindle
ratios.  Soft hbal rules (ratios, N+1) are kept "no worse than now" on nodes that already
break them, so that a currently unhappy cluster still has a feasible plan.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from planner.planners.cpsat.data import ModelData


def wsum(items: list[tuple[object, float]]) -> cp_model.LinearExprT:
    """Σ coef·var of (var, coef) pairs."""
    return cp_model.LinearExpr.weighted_sum([x for x, _ in items], [c for _, c in items])


@dataclass
class Vars:
    """The model, one literal per (instance, candidate), and per-node linear terms."""

    model: cp_model.CpModel
    lits: list[list[cp_model.IntVar]]
    terms: dict[str, dict[int, list[tuple[cp_model.IntVar, int]]]] = field(default_factory=dict)
    peers: dict[tuple[int, int], list[tuple[cp_model.IntVar, int]]] = field(default_factory=dict)
    rmem: dict[int, cp_model.IntVar] = field(default_factory=dict)
    rmem_hi: dict[int, int] = field(default_factory=dict)
    penalties: list[tuple[cp_model.IntVar, float]] = field(default_factory=list)  #: (var, score per unit)

    def expr(self, name: str, node: int, const: float = 0) -> cp_model.LinearExprT:
        """``const`` + Σ coef·literal of a per-node term."""
        items = self.terms.get(name, {}).get(node, [])
        if not items:
            return const
        return wsum(items) + const


def build_vars(data: ModelData) -> Vars:
    """Literals, exactly one candidate per instance, and the per-node sums they feed."""
    m = cp_model.CpModel()
    v = Vars(m, [])
    terms: dict[str, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    peers: dict[tuple[int, int], list] = defaultdict(list)
    for i, (st, cl) in enumerate(zip(data.movable, data.cands, strict=True)):
        row = [m.new_bool_var(f"x{i}_{c}") for c in range(len(cl))]
        m.add_exactly_one(row)
        v.lits.append(row)
        inst = st.inst
        local = inst.uses_local_storage
        for lit, c in zip(row, cl, strict=True):
            t = terms
            t["pri"][c.p].append((lit, 1))
            t["tot"][c.p].append((lit, 1))
            if inst.uses_memory:
                t["mem"][c.p].append((lit, inst.mem))
            t["fmemf"][c.p].append((lit, inst.mem))
            if inst.not_offline:
                t["vcpu"][c.p].append((lit, inst.vcpus))
            if local:
                t["dsk"][c.p].append((lit, inst.dsk))
                t["sp"][c.p].append((lit, inst.spindle_use))
            if c.s >= 0:
                t["tot"][c.s].append((lit, 1))
                t["dsk"][c.s].append((lit, inst.dsk))
                t["sp"][c.s].append((lit, inst.spindle_use))
                if inst.uses_sec_mem and inst.mem:
                    peers[(c.s, c.p)].append((lit, inst.mem))
    v.terms = {k: dict(d) for k, d in terms.items()}
    v.peers = dict(peers)
    return v


def add_memory(data: ModelData, v: Vars) -> None:
    """Running primaries fit: unallocated memory stays > 0 (hard), or no lower than now."""
    for n, b in enumerate(data.base):
        if b.online:
            v.model.add(v.expr("mem", n) <= b.mem_cap - min(1, data.nodes[n].unallocated))


def add_disk(data: ModelData, v: Vars) -> None:
    """Free disk stays > 0 and above the --min-disk reserve, or no lower than now."""
    for n, b in enumerate(data.base):
        if b.online:
            v.model.add(v.expr("dsk", n) <= b.dsk_free - min(max(1, b.lo_dsk), data.nodes[n].f_dsk))


def add_reserved_memory(data: ModelData, v: Vars) -> None:
    """r_mem of each node = its largest peer sum (exact, ``add_max_equality``)."""
    by_node: dict[int, list] = defaultdict(list)
    for (s, p), items in v.peers.items():
        by_node[s].append((p, items))
    for n, b in enumerate(data.base):
        if not b.online:
            continue
        exprs = []
        for p, items in by_node.get(n, []):
            const = b.peers.get(p, 0)
            exprs.append(wsum(items) + const)
        fixed = [val for p, val in b.peers.items() if all(p != q for q, _ in by_node.get(n, []))]
        hi = sum(c for _, items in by_node.get(n, []) for _, c in items) + max(b.peers.values(), default=0)
        r = v.model.new_int_var(0, max(hi, 0), f"rmem{n}")
        v.model.add_max_equality(r, exprs + fixed + [0])
        v.rmem[n] = r
        v.rmem_hi[n] = max(hi, 0)


def add_n1(data: ModelData, v: Vars, keep_failing: bool = True, soft: bool = False) -> None:
    """N+1: unallocated memory > reserved memory on every online node (hbal's ``<=`` rule).

    With ``keep_failing`` nodes failing N+1 now are left out (hbal lets them stay failing).  With
    ``soft`` a node may fail, at hbal's price: its number of instances (``n1_cnt``).
    """
    for n, b in enumerate(data.base):
        if not (b.online and n in v.rmem) or (keep_failing and b.fail_n1 and not soft):
            continue
        if not soft:
            v.model.add(v.expr("mem", n) + v.rmem[n] <= b.mem_cap - 1)
            continue
        fails = v.model.new_bool_var(f"n1fail{n}")
        big = sum(c for _, c in v.terms.get("mem", {}).get(n, [])) + v.rmem_hi.get(n, 0) + abs(b.mem_cap) + 1
        v.model.add(v.expr("mem", n) + v.rmem[n] <= b.mem_cap - 1 + big * fails)
        cnt_hi = b.tot + len(v.terms.get("tot", {}).get(n, []))
        cost = v.model.new_int_var(0, cnt_hi, f"n1cnt{n}")
        v.model.add(cost >= v.expr("tot", n, b.tot) - cnt_hi * (1 - fails))
        v.penalties.append((cost, 1.0))


def add_vcpu_ratio(data: ModelData, v: Vars) -> None:
    """vCPUs ≤ floor(ratio × pCPUs), or no more than now where already above (soft in hbal)."""
    for n, b in enumerate(data.base):
        if b.online:
            cap = max(b.hi_cpu, data.nodes[n].u_cpu)
            v.model.add(v.expr("vcpu", n, b.ucpu) <= cap)


def add_spindle_ratio(data: ModelData, v: Vars) -> None:
    """Spindle use ≤ spindle ratio × spindles, or no more than now (soft in hbal)."""
    for n, b in enumerate(data.base):
        if b.online:
            cap = max(b.hi_sp, data.nodes[n].inst_spindles)
            v.model.add(v.expr("sp", n, round(b.inst_sp)) <= int(cap))


def add_budget(data: ModelData, v: Vars, max_gb: float | None, max_moves: int | None) -> None:
    """--max-gb and --max-moves."""
    if max_gb is not None:
        items = [(lit, round(c.gb * 1024)) for row, cl in zip(v.lits, data.cands, strict=True)
                 for lit, c in zip(row, cl, strict=True) if c.gb]
        if items:
            v.model.add(wsum(items) <= int(max_gb * 1024))
    if max_moves is not None:
        items = [(lit, c.steps) for row, cl in zip(v.lits, data.cands, strict=True)
                 for lit, c in zip(row, cl, strict=True) if c.steps]
        if items:
            v.model.add(wsum(items) <= max_moves)


def hint_choice(v: Vars, choice: list[int]) -> None:
    """Hint the candidate literals only: each instance's ``choice`` on, its others off."""
    for row, c in zip(v.lits, choice, strict=True):
        for k, lit in enumerate(row):
            v.model.add_hint(lit, k == c)


def add_count_floors(data: ModelData, v: Vars) -> None:
    """Every online node's primary and replica counts at their integer floor or ceiling (the
    smallest std-dev integer counts allow); nothing when some instance may stay on an offline node
    (the totals are then not fixed)."""
    online = [n for n, b in enumerate(data.base) if b.online]
    if not online or any(not data.base[x].online for cl in data.cands for c in cl for x in (c.p, c.s) if x >= 0):
        return
    pri = sum(data.base[n].pri for n in online) + len(data.movable)
    tot = sum(data.base[n].tot for n in online) + sum(1 + (cl[0].s >= 0) for cl in data.cands)
    for n in online:
        b = data.base[n]
        v.model.add_linear_constraint(v.expr("pri", n, b.pri), pri // len(online), -(-pri // len(online)))
        v.model.add_linear_constraint(v.expr("tot", n, b.tot), tot // len(online), -(-tot // len(online)))


def largest_peer(data: ModelData) -> int:
    """The most memory one movable DRBD instance asks its secondary to reserve (MiB)."""
    return max((st.inst.mem for st, cl in zip(data.movable, data.cands, strict=True)
                if st.inst.uses_sec_mem and cl[0].s >= 0), default=0)


def add_reserve_level(data: ModelData, v: Vars, level: int) -> None:
    """No node reserves more than ``level`` MiB of memory for any one peer (or more than its fixed
    instances already make it)."""
    for n, r in v.rmem.items():
        v.model.add(r <= max(level, max(data.base[n].peers.values(), default=0)))


#: gb_cost's units per GiB: MiB × 1000 (so that one hbal move, 1 unit, breaks ties between equal GiB)
GB_COST_UNIT = 1024 * 1000


def gb_cost(data: ModelData, v: Vars) -> cp_model.LinearExprT:
    """MiB copied ×1000 + hbal moves: "fewest GB, then fewest moves" as one integer objective
    (divide by ``GB_COST_UNIT`` for GiB)."""
    per_mib = GB_COST_UNIT // 1024
    items = [(lit, round(c.gb * 1024) * per_mib + c.steps) for row, cl in zip(v.lits, data.cands, strict=True)
             for lit, c in zip(row, cl, strict=True) if c.gb or c.steps]
    return wsum(items) if items else 0


def add_all(data: ModelData, v: Vars, max_gb: float | None = None, max_moves: int | None = None,
            keep_failing: bool = True, soft_n1: bool = False) -> None:
    add_memory(data, v)
    add_disk(data, v)
    add_reserved_memory(data, v)
    add_n1(data, v, keep_failing, soft_n1)
    add_vcpu_ratio(data, v)
    add_spindle_ratio(data, v)
    add_budget(data, v, max_gb, max_moves)
