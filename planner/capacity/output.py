"""hspace's output: ``--machine-readable`` HTS_* keys and the human report, character for character.

>>> hs_fixed(0.125, 2), hs_fixed(2.675, 2), hs_show(1.0), hs_show(0.05), hs_show(12345678.0)
('0.12', '2.68', '1.0', '5.0e-2', '1.2345678e7')
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_EVEN, Decimal

from planner.capacity.hspace import CapacityResult, PhaseResult
from planner.capacity.stats import CStats


def hs_fixed(x: float, prec: int) -> str:
    """Haskell ``printf "%.Nf"`` (rounds the shortest decimal digits half to even)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    d = Decimal(repr(x)).quantize(Decimal(1).scaleb(-prec), rounding=ROUND_HALF_EVEN)
    s = f"{d:f}"
    return s if prec else s.split(".")[0]


def hs_show(x: float) -> str:
    """Haskell ``show`` of a Double."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1, x) < 0 else "0.0"
    if 0.1 <= abs(x) < 1e7:
        r = repr(x)
        if "e" in r:
            r = f"{x:.17f}".rstrip("0")
        return r if "." in r else r + ".0"
    m, e = f"{x:e}".split("e")
    digits = repr(abs(x))
    mant = re.sub(r"e.*", "", f"{float(repr(x)):.16e}")
    del m, mant
    sig = Decimal(repr(abs(x))).normalize()
    t = sig.as_tuple()
    ds = "".join(map(str, t.digits))
    exp = len(ds) + t.exponent - 1
    body = ds[0] + "." + (ds[1:] or "0")
    del digits, e
    return ("-" if x < 0 else "") + f"{body}e{exp}"


def quote(v: str) -> str:
    """``ensureQuoted``."""
    return v if all(c.isalnum() or c == "." for c in v) else f"'{v}'"


def _eff(i: float, t: float) -> float:
    try:
        return i / t
    except ZeroDivisionError:
        return math.nan if i == 0 else math.copysign(math.inf, i)


def stats_keys(kind: str, cs: CStats) -> list[tuple[str, str]]:
    f8 = lambda x: hs_fixed(x, 8)  # noqa: E731
    return [(f"{kind}_{k}", v) for k, v in [
        ("SCORE", f8(cs.score)), ("INST_CNT", str(cs.ninst)), ("MEM_FREE", str(cs.fmem)),
        ("MEM_AVAIL", str(cs.amem)), ("MEM_RESVD", str(cs.fmem - cs.amem)), ("MEM_INST", str(cs.imem)),
        ("MEM_OVERHEAD", str(cs.xmem + cs.nmem)), ("MEM_EFF", f8(_eff(cs.imem, cs.tmem))),
        ("DSK_FREE", str(cs.fdsk)), ("DSK_AVAIL", str(cs.adsk)), ("DSK_RESVD", str(cs.fdsk - cs.adsk)),
        ("DSK_INST", str(cs.idsk)), ("DSK_EFF", f8(_eff(cs.idsk, cs.tdsk))), ("SPN_FREE", str(cs.fspn)),
        ("SPN_INST", str(cs.ispn)), ("SPN_EFF", f8(_eff(cs.ispn, cs.tspn))), ("CPU_INST", str(cs.icpu)),
        ("CPU_EFF", f8(_eff(cs.icpu, float(cs.vcpu)))), ("MNODE_MEM_AVAIL", str(cs.mmem)),
        ("MNODE_DSK_AVAIL", str(cs.mdsk))]]


def _spec_keys(prefix: str, ph: PhaseResult, rqn: int) -> list[tuple[str, str]]:
    s = ph.spec
    return [(f"{prefix}_MEM", str(s.mem)), (f"{prefix}_DSK", str(s.dsk)), (f"{prefix}_CPU", str(s.cpu)),
            (f"{prefix}_SPN", str(s.spn)), (f"{prefix}_RQN", str(rqn)), (f"{prefix}_DISK_TEMPLATE", ph.template)]


def _km(ini: CStats, fin: CStats) -> list[tuple[str, str]]:
    rows = {
        "USED": (ini.icpu, ini.ncpu, ini.imem, ini.idsk, ini.ispn),
        "POOL": (fin.icpu - ini.icpu, fin.ncpu - ini.ncpu, fin.imem - ini.imem, fin.idsk - ini.idsk,
                 fin.ispn - ini.ispn),
        "UNAV": (fin.vcpu - fin.icpu, fin.tcpu - fin.ncpu, math.trunc(fin.tmem) - fin.imem,
                 math.trunc(fin.tdsk) - fin.idsk, math.trunc(fin.tspn) - fin.ispn),
    }
    out = []
    for k, (c, n, m, d, s) in rows.items():
        out += [(f"KM_{k}_CPU", str(c)), (f"KM_{k}_NPU", hs_show(n)), (f"KM_{k}_MEM", str(m)),
                (f"KM_{k}_DSK", str(d)), (f"KM_{k}_SPN", str(s))]
    return out


def tspec_text(ph: PhaseResult) -> str:
    return " ".join(f"{m},{d},{c},{s}={n}" for (m, d, c, s), n in ph.tiers)


def machine_sections(r: CapacityResult) -> dict[str, list[tuple[str, str]]]:
    """hspace's ``HTS_*`` keys (without the prefix) in the order it prints them, by section:
    ``head`` (cluster, INI), ``tspec``/``tres`` (tiered), ``sspec``/``sres`` (standard), ``end``."""
    ini = r.initial
    out: dict[str, list[tuple[str, str]]] = {}
    out["head"] = [("CLUSTER_MEM", hs_fixed(ini.tmem, 0)), ("CLUSTER_DSK", hs_fixed(ini.tdsk, 0)),
                   ("CLUSTER_CPU", hs_fixed(ini.tcpu, 0)), ("CLUSTER_VCPU", str(ini.vcpu)),
                   ("CLUSTER_SPN", hs_fixed(ini.tspn, 0)), ("CLUSTER_NODES", str(r.node_count))]
    out["head"] += stats_keys("INI", ini)
    if r.tiered:
        t = r.tiered
        out["tspec"] = _spec_keys("TSPEC_INI", t, r.required_nodes)
        out["tres"] = stats_keys("TRL", t.stats) + [("TSPEC", tspec_text(t))] + _km(ini, t.stats)
    if r.standard:
        s = r.standard
        out["sspec"] = _spec_keys("SPEC", s, r.required_nodes)
        fin_inst = r.initial_instances + s.allocated
        out["sres"] = stats_keys("FIN", s.stats) + [
            ("ALLOC_USAGE", hs_fixed(_eff(r.initial_instances, fin_inst), 8)),
            ("ALLOC_INSTANCES", str(s.allocated)), ("ALLOC_FAIL_REASON", s.fail_reason.upper())]
        out["sres"] += [(f"ALLOC_{m.upper()}_CNT", str(n)) for m, n in s.reasons]
    out["end"] = [("OK", "1")]
    return out


def machine_keys(r: CapacityResult) -> list[tuple[str, str]]:
    """Every ``HTS_*`` key hspace --machine-readable prints, in order (without the prefix)."""
    return [kv for sec in machine_sections(r).values() for kv in sec]


def keys_text(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"HTS_{k}={quote(v)}\n" for k, v in pairs)


def machine_text(r: CapacityResult) -> str:
    return keys_text(machine_keys(r))


def _res(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{a} {b}" for a, b in pairs)


def _spec_res(spec, spn: bool) -> str:
    p = [("MEM", str(spec[0])), ("DSK", str(spec[1])), ("CPU", str(spec[2]))]
    return _res(p + [("SPN", str(spec[3]))] if spn else p)


def _scores_eff(r: CapacityResult, ph: PhaseResult) -> list[str]:
    cs = ph.stats
    out = [f"  - most likely failure reason: {ph.fail_reason}",
           f"  - initial cluster score: {hs_fixed(r.initial.score, 8)}",
           f"  -   final cluster score: {hs_fixed(cs.score, 8)}"]
    fmt = [("memory", _eff(cs.imem, cs.tmem)), ("disk", _eff(cs.idsk, cs.tdsk)),
           ("vcpu", _eff(cs.icpu, float(cs.vcpu)))]
    if any(n.excl_stor for n in ph.nodes):
        fmt.append(("spindles", _eff(cs.ispn, cs.tspn)))
    w = max(len(a) for a, _ in fmt)
    out += [f"  - {a:>{w}} usage efficiency: {hs_fixed(v * 100, 2):>5}%" for a, v in fmt]
    return out


def human_sections(r: CapacityResult) -> dict[str, str]:
    """hspace's default (stdout) report by section: ``head``, ``tspec``, ``tres``, ``sspec``, ``sres``."""
    ini = r.initial
    spn = r.excl_storage
    cl = [("MEM", hs_fixed(ini.tmem, 0)), ("DSK", hs_fixed(ini.tdsk, 0)), ("CPU", hs_fixed(ini.tcpu, 0)),
          ("VCPU", str(ini.vcpu))] + ([("SPN", hs_fixed(ini.tspn, 0))] if spn else [])
    n = ini.ninst
    out = {"head": [f"The cluster has {r.node_count} nodes and the following resources:", f"  {_res(cl)}.",
                    f"There are {n if n > 0 else 'no'} initial instances on the cluster."]}
    for ph, key, descr in ((r.tiered, "t", "Tiered (initial size)"), (r.standard, "s", "Standard (fixed-size)")):
        if ph is None:
            continue
        s = ph.spec
        ex = any(x.excl_stor for x in ph.nodes)
        out[key + "spec"] = [f"{descr} instance spec is:",
                             f"  {_spec_res((s.mem, s.dsk, s.cpu, s.spn), ex)}, using disk template '{ph.template}'."]
        if ph is r.tiered:
            res = ["Tiered allocation results:"]
            if not ph.tiers:
                res.append("  - no instances allocated")
            res += [f"  - {c:3d} instances of spec {_spec_res(sp, spn)}" for sp, c in ph.tiers]
        else:
            res = ["Normal (fixed-size) allocation results:", f"  - {ph.allocated:3d} instances allocated"]
        out[key + "res"] = res + _scores_eff(r, ph)
    return {k: "".join(line + "\n" for line in v) for k, v in out.items()}


def human_text(r: CapacityResult) -> str:
    """hspace's default (stdout) report."""
    return "".join(human_sections(r).values())
