"""hspace's stderr tables: the ``-p[FIELDS]`` node list (``Cluster.printNodes``) and the ``-v -v``
allocation map (``printAllocationMap``), column for column.

>>> from planner.capacity.simulate import simulate_cluster
>>> from planner.capacity.hspace import capacity, CapacityOptions
>>> r = capacity(simulate_cluster(["p,2,100g,4g,2"]), CapacityOptions(disk_template="plain", limit=1))
>>> print(node_table(r.nodes, ["name", "pcnt", "fmem"]), end="")
 Name        pcnt f_mem
 node-01-001    0  4096
 node-01-002    0  4096
"""

from __future__ import annotations

from planner.capacity.output import hs_fixed
from planner.capacity.stats import avail_mem
from planner.domain.errors import PlannerError
from planner.engine.state import InstState, NodeState

DEFAULT_FIELDS = ("status", "name", "tmem", "nmem", "imem", "xmem", "fmem", "umem", "rmem", "tdsk", "fdsk",
                  "tcpu", "ucpu", "pcnt", "scnt", "pfmem", "pfdsk", "rcpu", "cload", "mload", "dload", "nload")

_HEADERS = {
    "idx": ("Index", True), "name": ("Name", False), "fqdn": ("Name", False), "status": ("F", False),
    "tmem": ("t_mem", True), "nmem": ("n_mem", True), "xmem": ("x_mem", True), "fmem": ("f_mem", True),
    "umem": ("u_mem", True), "amem": ("a_mem", True), "imem": ("i_mem", True), "rmem": ("r_mem", True),
    "tdsk": ("t_dsk", True), "fdsk": ("f_dsk", True), "tcpu": ("pcpu", True), "ucpu": ("vcpu", True),
    "pcnt": ("pcnt", True), "scnt": ("scnt", True), "plist": ("primaries", True),
    "slist": ("secondaries", True), "pfmem": ("p_fmem", True), "pfdsk": ("p_fdsk", True),
    "rcpu": ("r_cpu", True), "cload": ("lCpu", True), "mload": ("lMem", True), "dload": ("lDsk", True),
    "nload": ("lNet", True), "ptags": ("PrimaryTags", False), "peermap": ("PeerMap", False),
    "spindle_count": ("NodeSpindles", True), "hi_spindles": ("MaxSpindles", True),
    "inst_spindles": ("InstSpindles", True),
}


def _w(fmt: str, v: str) -> str:
    return v.rjust(int(fmt))


def _hs_list(xs) -> str:
    return "[" + ",".join(str(x) for x in sorted(xs, reverse=True)) + "]"


def _hs_double(x: float) -> str:
    from planner.capacity.output import hs_show

    return hs_show(float(x))


def show_field(n: NodeState, field: str) -> str:
    """``Node.showField``."""
    simple = {
        "idx": lambda: _w("4", str(n.idx)), "name": lambda: n.alias, "fqdn": lambda: n.name,
        "status": lambda: "-" if n.offline else ("*" if n.fail_n1 else " "),
        "tmem": lambda: _w("5", hs_fixed(n.t_mem, 0)), "nmem": lambda: _w("5", str(n.n_mem)),
        "xmem": lambda: _w("5", str(n.x_mem)), "fmem": lambda: _w("5", str(n.f_mem)),
        "umem": lambda: _w("5", str(n.unallocated)), "imem": lambda: _w("5", str(n.i_mem)),
        "rmem": lambda: _w("5", str(n.r_mem)), "amem": lambda: _w("5", str(avail_mem(n))),
        "tdsk": lambda: _w("5", hs_fixed(n.t_dsk / 1024, 0)), "fdsk": lambda: _w("5", str(n.f_dsk // 1024)),
        "tcpu": lambda: _w("4", hs_fixed(n.t_cpu, 0)), "ucpu": lambda: _w("4", str(n.u_cpu)),
        "pcnt": lambda: _w("3", str(len(n.plist))), "scnt": lambda: _w("3", str(len(n.slist))),
        "plist": lambda: _hs_list(n.plist), "slist": lambda: _hs_list(n.slist),
        "pfmem": lambda: _w("6", hs_fixed(n.p_mem, 4)), "pfdsk": lambda: _w("6", hs_fixed(n.p_dsk, 4)),
        "rcpu": lambda: _w("5", hs_fixed(n.p_cpu, 2)),
        "cload": lambda: _w("5", hs_fixed(n.util_load[0], 3)), "mload": lambda: _w("5", hs_fixed(n.util_load[1], 3)),
        "dload": lambda: _w("5", hs_fixed(n.util_load[2], 3)), "nload": lambda: _w("5", hs_fixed(n.util_load[3], 3)),
        "ptags": lambda: ",".join(f"{k}={v}" for k, v in sorted(n.p_tags.items())),
        "peermap": lambda: "[" + ",".join(f"({k},{v})" for k, v in sorted(n.peers.items())) + "]",
        "spindle_count": lambda: str(n.t_spindles), "hi_spindles": lambda: _hs_double(n.hi_spindles),
        "inst_spindles": lambda: _hs_double(n.inst_spindles),
    }
    f = simple.get(field)
    return f() if f else "<unknown field>"


def parse_fields(text: str | None) -> list[str] | None:
    """``-p`` argument as hspace's ``oPrintNodes`` splits it: None (no ``-p``), [] (defaults), ``+a,b``.

    >>> parse_fields(None), parse_fields(""), parse_fields("name,pcnt"), parse_fields("+ptags")
    (None, [], ['name', 'pcnt'], ['+', 'ptags'])
    """
    if text is None:
        return None
    if text.startswith("+"):
        return ["+", *text[1:].split(",")]
    return text.split(",") if text else []


def check_fields(fields: list[str] | None) -> None:
    """A ``-p`` field list with unknown names → PlannerError (hspace prints ``<unknown field>``)."""
    for f in fields or []:
        if f != "+" and f not in _HEADERS:
            raise PlannerError("-p", None, f"unknown node field '{f}' (known: {', '.join(_HEADERS)})")


def format_table(rows: list[list[str]], numeric: list[bool]) -> list[str]:
    """``formatTable`` + ``printTable ""``: columns padded (numbers right), one leading space."""
    widths = [max(len(r[k]) for r in rows) for k in range(len(numeric))]
    out = []
    for r in rows:
        cells = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(r, widths, numeric, strict=True)]
        out.append(" " + " ".join(cells))
    return out


def node_table(nodes: list[NodeState] | tuple[NodeState, ...], fields: list[str]) -> str:
    """``Cluster.printNodes``: ``[]`` the default fields, ``["+", ...]`` defaults plus more."""
    fs = list(DEFAULT_FIELDS) if not fields else (list(DEFAULT_FIELDS) + fields[1:] if fields[0] == "+" else fields)
    head = [_HEADERS.get(f, ("<unknown field>", False)) for f in fs]
    rows = [[h for h, _ in head]] + [[show_field(n, f) for f in fs] for n in sorted(nodes, key=lambda n: n.idx)]
    return "".join(line + "\n" for line in format_table(rows, [num for _, num in head]))


def allocation_map(nodes: list[NodeState] | tuple[NodeState, ...], new: tuple[InstState, ...]) -> str:
    """``printAllocationMap``'s lines: name, primary, secondary, mem, dsk, vcpus, spindles (exclusive storage)."""
    excl = any(n.excl_stor for n in nodes)
    by_idx = {n.idx: n for n in nodes}
    rows = []
    for st in new:
        i = st.inst
        sn = by_idx[st.snode].alias if st.snode >= 0 else ""
        spn = ("?" if i.spindles is None else str(i.spindles)) if excl else ""
        rows.append([i.name, by_idx[st.pnode].alias, sn, str(i.mem), str(i.dsk), str(i.vcpus), spn])
    if not rows:
        return ""
    return "".join(line + "\n" for line in format_table(rows, [False, False, False, True, True, True, True]))
