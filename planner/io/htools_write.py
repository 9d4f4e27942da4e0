"""Write the htools text format as hbal's ``-S`` does: an unchanged cluster gives back the input bytes.

Every record read keeps its source line (:class:`planner.io.htools_text.TextSource`), used again
while the record is unchanged; changed records are written the way hbal serialises them
(``serializeNode``, ``serializeInstance``); ``canonical`` writes every line anew.

>>> from planner.io.htools_text import parse_text
>>> c = parse_text("g|u|preferred||\\n\\nn1|1024|0|1024|95367|95367|4|N|u|1\\n\\n\\n\\n", "t.data")
>>> write_text(c, canonical=True).splitlines()[2]
'n1|1024|0|1024|95367|95367|4|N|u|1||N|0|1|1.0'
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from planner.domain.errors import PlannerError
from planner.domain.model import Cluster, Group, Instance, IPolicy, ISpec, Node
from planner.io.htools_text import TextSource


def fmt_double(x: float) -> str:
    """Haskell ``printf "%f"`` without precision (``showFFloat Nothing``): 1.0 → '1.0'.

    >>> fmt_double(1.0), fmt_double(4.25), fmt_double(32.0)
    ('1.0', '4.25', '32.0')
    """
    r = repr(float(x))
    if "e" in r or "E" in r:
        r = f"{x:f}".rstrip("0")
        r = r + "0" if r.endswith(".") else r
    return r


def format_group(g: Group) -> str:
    return f"{g.name}|{g.uuid}|{g.alloc_policy}|{','.join(g.tags)}|{','.join(g.networks)}"


def format_node(n: Node) -> str:
    """A node line as hbal's ``serializeNode`` writes it."""
    flag = "Y" if n.offline else ("M" if n.master else "N")
    return (f"{n.name}|{n.t_mem:.0f}|{n.n_mem}|{n.f_mem}|{n.t_dsk:.0f}|{n.f_dsk}|{n.t_cpu:.0f}|{flag}|"
            f"{n.group}|{n.spindles}|{','.join(n.tags)}|{'Y' if n.excl_stor else 'N'}|"
            f"{n.free_spindles}|{n.nos_cpu}|{fmt_double(n.cpu_speed)}")


def format_instance(i: Instance, node_names: list[str]) -> str:
    """An instance line as hbal's ``serializeInstance`` writes it."""
    snode = node_names[i.snode] if i.snode >= 0 else ""
    sp = "-" if i.spindles is None else str(i.spindles)
    return (f"{i.name}|{i.mem}|{i.dsk}|{i.vcpus}|{i.status}|{'Y' if i.auto_balance else 'N'}|"
            f"{node_names[i.pnode]}|{snode}|{i.disk_template}|{','.join(i.tags)}|{i.spindle_use}|"
            f"{sp}|{'Y' if i.forthcoming else 'N'}")


def _fmt_spec(s: ISpec) -> str:
    return f"{s.mem_size},{s.cpu_count},{s.disk_size},{s.disk_count},{s.nic_count},{s.spindle_use}"


def format_policy(p: IPolicy) -> str:
    mm = ";".join(f"{_fmt_spec(a)};{_fmt_spec(b)}" for a, b in p.minmax)
    return (f"{p.owner}|{_fmt_spec(p.std)}|{mm}|{','.join(p.disk_templates)}|"
            f"{fmt_double(p.vcpu_ratio)}|{fmt_double(p.spindle_ratio)}")


def htools_policies(cluster: Cluster) -> list[IPolicy]:
    """The policy lines htools writes: the cluster's, then each group's by name, in group order.

    A file without a policy section gets htools' defaults, as ``hbal -S`` writes them.
    """
    own = [p for p in cluster.ipolicies if not p.owner]
    top = own[0] if own else IPolicy()
    return [top] + [replace(cluster.group_policy(g), owner=g.name) for g in cluster.groups]


def write_text(cluster: Cluster, canonical: bool = False) -> str:
    """Serialise a cluster.  Unchanged records keep their source line unless ``canonical``."""
    src: TextSource = cluster.source if isinstance(cluster.source, TextSource) else TextSource()
    names = [n.name for n in cluster.nodes]

    def emit(kind: str, recs, fmt) -> list[str]:
        out = []
        for k, r in enumerate(recs):
            old = None if canonical else src.records.get((kind, k))
            out.append(old[1] if old is not None and old[0] == r else fmt(r))
        return out

    sections = [
        emit("group line", cluster.groups, format_group),
        emit("node line", cluster.nodes, format_node),
        emit("instance line", cluster.instances, lambda i: format_instance(i, names)),
        list(cluster.cluster_tags),
    ]
    if canonical:
        sections.append([format_policy(p) for p in htools_policies(cluster)])
    elif cluster.has_policy_section:
        sections.append(emit("policy line", cluster.ipolicies, format_policy))
    if not canonical:
        sections.extend(src.extra_sections)  # sections past the fifth: htools ignores them
    lines: list[str] = []
    for k, sec in enumerate(sections):
        if k:
            lines.append("")
        lines.extend(sec)
    text = "\n".join(lines)
    return text + "\n" if src.trailing_newline or not isinstance(cluster.source, TextSource) else text


def save_text(cluster: Cluster, path: str | Path, inputs: tuple[str | Path, ...] = ()) -> None:
    """Write ``cluster`` to ``path``, refusing to overwrite any of ``inputs``."""
    p = Path(path)
    for i in inputs:
        if p.exists() and Path(i).exists() and os.path.samefile(p, i):  # hard and symbolic links too
            raise PlannerError(str(path), None, "refusing to overwrite an input file")
    p.write_text(write_text(cluster), encoding="utf-8", errors="surrogateescape")
