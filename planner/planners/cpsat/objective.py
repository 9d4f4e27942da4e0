"""The balance objective: hbal's score, made linear around a reference placement.

hbal's score is Σ w·sd(values over online nodes) + sums.  For each sd term, Σ_n (v_n − m)² with m
the reference mean bounds N·variance from above, and sqrt is concave, so

    sd ≤ sd_ref + (Σ_n (v_n − m)² − S_ref) / (2·N·sd_ref)

is a majorizer: minimising it never increases the true score (majorize–minimize).  Each square is
modelled by tangent cuts; for instance counts the cuts at every integer make it exact.  The
reserved-memory total, offline penalties and the location score are linear and exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ortools.sat.python import cp_model

from planner.planners.cpsat.constraints import Vars, wsum
from planner.planners.cpsat.data import ModelData

COUNT_SCALE = 10_000


@dataclass(frozen=True)
class Term:
    name: str  #: key of the per-node sum in Vars.terms (or "rmem")
    weight: float
    sign: int  #: x = base ± sum
    base: str  #: NodeBase field with the constant part
    divisor: str  #: NodeBase field (or "one", "cpu")


def terms_for(data: ModelData) -> list[Term]:
    """The sd terms of hbal's score, with merged weights where metrics coincide."""
    utils = {st.util for st in data.movable}
    fixed_utils = {data.gs.instances[k].util for k in data.gs.group_instances}
    load_w = 3.0 if utils | fixed_utils <= {(1.0, 1.0, 1.0, 1.0)} else 0.0
    tot_w = 1.0 if load_w else 0.0
    out = [
        Term("mem", 0.5, -1, "mem_cap", "t_mem"),
        Term("fmemf", 0.5, -1, "fmem_forth", "t_mem"),
        Term("dsk", 1.0, -1, "dsk_free", "t_dsk"),
        Term("rmem", 1.0, 1, "", "t_mem"),
        Term("vcpu", 1.0, 1, "ucpu", "cpu"),
        Term("sp", 1.0, 1, "inst_sp", "hi_sp"),
    ]
    if load_w:
        out += [Term("pri", load_w, 1, "pri", "one"), Term("tot", tot_w, 1, "tot", "one")]
    return out


def divisor(b, term: Term) -> float:
    if term.divisor == "one":
        return 1.0
    if term.divisor == "cpu":
        return b.t_cpu * b.speed
    return float(getattr(b, term.divisor))


def values_at(data: ModelData, choice: list[int]) -> dict[str, list[float]]:
    """Per-node raw sums (same keys as Vars.terms, plus "rmem") for a choice of candidates."""
    n = len(data.base)
    raw = {k: [0.0] * n for k in ("pri", "tot", "mem", "fmemf", "vcpu", "dsk", "sp")}
    peers = [dict(b.peers) for b in data.base]
    for st, cl, c in zip(data.movable, data.cands, choice, strict=True):
        cand = cl[c]
        i = st.inst
        raw["pri"][cand.p] += 1
        raw["tot"][cand.p] += 1
        raw["mem"][cand.p] += i.mem if i.uses_memory else 0
        raw["fmemf"][cand.p] += i.mem
        raw["vcpu"][cand.p] += i.vcpus if i.not_offline else 0
        if i.uses_local_storage:
            raw["dsk"][cand.p] += i.dsk
            raw["sp"][cand.p] += i.spindle_use
        if cand.s >= 0:
            raw["tot"][cand.s] += 1
            raw["dsk"][cand.s] += i.dsk
            raw["sp"][cand.s] += i.spindle_use
            if i.uses_sec_mem:
                peers[cand.s][cand.p] = peers[cand.s].get(cand.p, 0) + i.mem
    raw["rmem"] = [float(max(p.values(), default=0)) for p in peers]
    return raw


def x_value(data: ModelData, raw: dict[str, list[float]], term: Term, n: int) -> float:
    b = data.base[n]
    base = getattr(b, term.base) if term.base else 0.0
    return base + term.sign * raw[term.name][n]


def surrogate_terms(data: ModelData, ref: list[int]) -> list[tuple[Term, float, float, float]]:
    """For each term at the reference choice: (term, mean m, sd_ref, N)."""
    raw = values_at(data, ref)
    online = [n for n, b in enumerate(data.base) if b.online]
    out = []
    for t in terms_for(data):
        vals = []
        for n in online:
            d = divisor(data.base[n], t)
            if d == 0:
                break
            vals.append(x_value(data, raw, t, n) / d)
        if len(vals) != len(online) or not vals:
            continue
        m = sum(vals) / len(vals)
        sd = math.sqrt(sum((x - m) ** 2 for x in vals) / len(vals))
        out.append((t, m, sd, float(len(vals))))
    return out


def _breakpoints(lo: float, hi: float, c: float, spread: float, integer: bool) -> list[float]:
    """Where the tangents of (x − c)² touch: dense near the centre, sparse further out.

    For integer x, every integer within ±6 of the centre (the square is exact there).
    """
    pts = {lo, hi}
    if integer:
        pts.update(float(k) for k in range(math.floor(c) - 6, math.ceil(c) + 7))
        pts.update(c + d for d in (-40, -20, -12, -9, 9, 12, 20, 40))
        pts = {float(round(p)) for p in pts}
    else:
        pts.add(c)
        for f in (0.5, 1, 2, 4, 8):
            pts.update((c - f * spread, c + f * spread))
    return sorted(p for p in pts if lo <= p <= hi)


#: objective units per unit of score (integers keep CP-SAT's objective exact)
UNIT = 1e10
#: resolution of fractions (free memory, disk, vCPU ratio…) inside the model
RES = 100_000


def _scaled(v: Vars, data: ModelData, t: Term, n: int) -> tuple[object, float, float, float] | None:
    """The node's value as an integer expression y with value = y·g; returns (y, g, lo, hi)."""
    b = data.base[n]
    d = divisor(b, t)
    if d == 0:
        return None
    if t.name == "rmem":
        if n not in v.rmem:
            return None
        return v.rmem[n], 1.0 / d, 0.0, float(v.rmem_hi[n])
    items = v.terms.get(t.name, {}).get(n, [])
    if not items:
        return None
    f = 1.0 if t.divisor == "one" else RES / d
    coefs = [(lit, round(t.sign * c * f)) for lit, c in items]
    base = round(getattr(b, t.base) * f)
    span_neg = sum(c for _, c in coefs if c < 0)
    span_pos = sum(c for _, c in coefs if c > 0)
    y = v.model.new_int_var(base + span_neg, base + span_pos, f"y_{t.name}{n}")
    v.model.add(y == wsum(coefs) + base)
    g = 1.0 if t.divisor == "one" else 1.0 / RES
    return y, g, float(base + span_neg), float(base + span_pos)


def _sd_term(m: cp_model.CpModel, t: Term, squares: list[tuple[object, float]], count: float,
             hi_sq: float) -> tuple[object, int]:
    """sd = sqrt(Σ squares / N) exactly: an integer sd (units 1/R) with N·sd² ≥ Σ squares·R²."""
    r = 10_000 if t.divisor == "one" else 1_000_000
    sd_hi = int(math.sqrt(hi_sq / count) * r) + 2
    sd = m.new_int_var(0, sd_hi, f"sd_{t.name}")
    sq = m.new_int_var(0, sd_hi * sd_hi, f"sd2_{t.name}")
    m.add_multiplication_equality(sq, [sd, sd])
    m.add(int(count) * sq >= wsum([(q, 1) for q, _ in squares]))
    return sd, round(UNIT * t.weight / r)


def build_objective(data: ModelData, v: Vars, ref: list[int], gb_weight: float = 1e-6,  # noqa: C901 (one term per metric kind)
                    step_weight: float = 1e-7, exact_sd: bool = True) -> tuple[cp_model.LinearExprT, float]:
    """The score in integer units (1/UNIT of score) and a constant part (score units):
    score ≈ objective / UNIT + constant.

    With ``exact_sd`` each std-dev is modelled exactly around the reference mean (one product per
    metric); otherwise it is linearised around ``ref`` (majorize–minimize)."""
    m = v.model
    coefs: list[tuple[object, int]] = []
    const = 0.0
    for t, mean, sd, count in surrogate_terms(data, ref):
        sd_ref = max(sd, 1e-3 if t.divisor != "one" else 0.02)  # sqrt is steep at 0: tangent nearby
        w = 1.0 if exact_sd else t.weight / (2 * count * sd_ref)
        r2 = (10_000 if t.divisor == "one" else 1_000_000) ** 2
        if not exact_sd:
            const += t.weight * sd_ref - w * count * sd_ref * sd_ref
        squares: list[tuple[object, float]] = []
        hi_sq = 0.0
        for n, b in enumerate(data.base):
            if not b.online:
                continue
            sc = _scaled(v, data, t, n)
            if sc is None or sc[3] <= sc[2]:
                continue
            y, g, lo, hi = sc
            c = mean / g
            k = (r2 if exact_sd else UNIT * w) * g * g
            cuts = [(round(k * 2 * (bp - c)), round(k * ((bp - c) ** 2 - 2 * (bp - c) * bp)))
                    for bp in _breakpoints(lo, hi, c, sd_ref / g, t.divisor == "one")]
            # q's bound from the rounded cuts themselves (rounding can lift a cut above the square)
            top = max([k * max((lo - c) ** 2, (hi - c) ** 2)] + [a * x + b for a, b in cuts for x in (lo, hi)])
            q = m.new_int_var(0, int(top) + 1, f"q_{t.name}{n}")
            hi_sq += top / r2 if exact_sd else 0.0
            for a, b in cuts:
                m.add(q >= a * y + b)
            squares.append((q, 1))
        if not squares:
            continue
        if exact_sd:
            coefs.append(_sd_term(m, t, squares, count, hi_sq))
        else:
            coefs.extend(squares)
    for n, r in v.rmem.items():
        coefs.append((r, round(UNIT * 0.25 / data.base[n].t_mem)))
    for var, price in v.penalties:
        coefs.append((var, round(UNIT * price)))
    for row, cl in zip(v.lits, data.cands, strict=True):
        for lit, cand in zip(row, cl, strict=True):
            pen = 0.0
            if cand.p >= 0 and not data.base[cand.p].online:
                pen += 4 + 16
            if cand.s >= 0 and not data.base[cand.s].online:
                pen += 4
            pen += gb_weight * cand.gb + step_weight * cand.steps
            if pen:
                coefs.append((lit, round(UNIT * pen)))
    for b in data.base:
        if not b.online:
            const += 4 * b.tot + 16 * b.pri
    return wsum(coefs), const
