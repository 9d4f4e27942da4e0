"""Read and write the htools text format (``hscan``, ``hbal -S``, ``hspace -S``), as htools 3.0.2 does.

Parsing follows ``HTools/Backend/Text.hs``: Haskell ``lines``, sections split on empty lines
(their number matters), ``|``-separated fields with trailing defaults, Haskell ``read`` for
numbers.  Writing an unchanged cluster gives back the input bytes: every record keeps its source
line, used again while the record is unchanged; changed records are written the way hbal
serialises them.

>>> text = "g|u|preferred||\\n\\nn1|1024|0|1024|95367|95367|4|N|u|1\\n\\n\\n\\n"
>>> c = parse_text(text, "t.data")
>>> c.nodes[0].name, c.nodes[0].t_mem, c.nodes[0].nos_cpu, c.has_policy_section
('n1', 1024.0, 1, True)
>>> write_text(c) == text
True
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

from planner.domain.errors import PlannerError, PlannerWarning
from planner.domain.model import (
    ALLOC_POLICIES,
    DISK_TEMPLATES,
    STATUSES,
    Cluster,
    Group,
    Instance,
    IPolicy,
    ISpec,
    Node,
)
from planner.io.validate import bad_name, validate

_INT = re.compile(r"\s*-?[0-9]+\Z")
_DOUBLE = re.compile(r"\s*-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?\Z")


@dataclass
class TextSource:
    """What a parsed file looked like, so that unchanged records are written back verbatim."""

    records: dict[tuple[str, int], tuple[object, str]] = field(default_factory=dict)
    extra_sections: list[list[str]] = field(default_factory=list)
    trailing_newline: bool = True
    empty_last_section: bool = False


def sep_split(sep: str, items: list[str]) -> list[list[str]]:
    """Ganeti's ``sepSplit``: split a list on a separator element.

    >>> sep_split("", ["a", "", "b"])
    [['a'], ['b']]
    >>> sep_split("", ["a", ""])
    [['a'], []]
    >>> sep_split("", [])
    []
    """
    out: list[list[str]] = []
    cur: list[str] = []
    if not items:
        return out
    for it in items:
        if it == sep:
            out.append(cur)
            cur = []
        else:
            cur.append(it)
    out.append(cur)
    return out


def split_fields(line: str, sep: str = "|") -> list[str]:
    """Split a line like ``sepSplit``: ``"a|b|"`` → ``['a', 'b', '']``, ``""`` → ``[]``.

    >>> split_fields("a|b|")
    ['a', 'b', '']
    >>> split_fields("")
    []
    """
    return line.split(sep) if line else []


def haskell_lines(text: str) -> list[str]:
    """Haskell's ``lines``: a final newline does not make an extra line; ``\\r`` is kept.

    >>> haskell_lines("a\\nb\\n"), haskell_lines("a\\n\\n"), haskell_lines("")
    (['a', 'b'], ['a', ''], [])
    """
    if not text:
        return []
    parts = text.split("\n")
    if text.endswith("\n"):
        parts.pop()
    return parts


class _Ctx:
    """Where we are in the file, for error messages."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.line = 0
        self.kind = ""

    def fail(self, msg: str) -> PlannerError:
        return PlannerError(self.source, self.line or None, f"{self.kind}: {msg}" if self.kind else msg)

    def int_(self, s: str, what: str) -> int:
        if not _INT.match(s):
            raise self.fail(f"field '{what}': cannot parse '{s}' as an integer")
        return int(s)

    def double(self, s: str, what: str) -> float:
        if not _DOUBLE.match(s):
            raise self.fail(f"field '{what}': cannot parse '{s}' as a number")
        return float(s)

    def yn(self, s: str, what: str) -> bool:
        if s not in ("Y", "N"):
            raise self.fail(f"field '{what}': expected Y or N, got '{s}'")
        return s == "Y"

    def choice(self, s: str, allowed: tuple[str, ...], what: str) -> str:
        if s not in allowed:
            raise self.fail(f"field '{what}': invalid value '{s}'")
        return s


def _commas(s: str) -> tuple[str, ...]:
    return tuple(split_fields(s, ","))


def _parse_group(f: list[str], ctx: _Ctx) -> Group:
    if len(f) < 4:
        raise ctx.fail(f"expected at least 4 fields, got {len(f)}")
    return Group(f[0], f[1], ctx.choice(f[2], ALLOC_POLICIES, "alloc_policy"), _commas(f[3]),
                 _commas(f[4]) if len(f) > 4 else ())


_NODE_DEFAULTS = ["1", "", "N", "0", "1", "1.0"]


def _parse_node(f: list[str], ctx: _Ctx, group_uuids: set[str]) -> Node:
    if len(f) < 9:
        raise ctx.fail(f"expected at least 9 fields, got {len(f)}")
    f = f[:15] + _NODE_DEFAULTS[max(0, len(f) - 9):]
    name, flag, guuid = f[0], f[7], f[8]
    why = bad_name(name)
    if why:  # before any instance refers to it (else: "unknown node", naming the instance's line)
        raise ctx.fail(f"field 'name': the node name {why}")
    if guuid not in group_uuids:
        raise ctx.fail(f"field 'group': unknown group '{guuid}' for node '{name}'")
    if "?" in f[1:7]:
        return Node(name, 0.0, 0, 0, 0.0, 0, 0.0, True, False, guuid, 0, (), False, 0, 0, 1.0)
    return Node(
        name, ctx.double(f[1], "t_mem"), ctx.int_(f[2], "n_mem"), ctx.int_(f[3], "f_mem"),
        ctx.double(f[4], "t_dsk"), ctx.int_(f[5], "f_dsk"), ctx.double(f[6], "t_cpu"),
        flag == "Y", flag == "M", guuid, ctx.int_(f[9], "spindles"), _commas(f[10]),
        ctx.yn(f[11], "exclusive_storage"), ctx.int_(f[12], "free_spindles"),
        ctx.int_(f[13], "nos_cpu"), ctx.double(f[14], "cpu_speed"),
    )


_INST_DEFAULTS = ["1", "-", "N"]


def _parse_instance(f: list[str], ctx: _Ctx, node_idx: dict[str, int]) -> Instance:
    if len(f) < 10:
        raise ctx.fail(f"expected at least 10 fields, got {len(f)}")
    f = f[:13] + _INST_DEFAULTS[max(0, len(f) - 10):]
    name = f[0]
    mem, dsk, vcpus = ctx.int_(f[1], "memory"), ctx.int_(f[2], "disk"), ctx.int_(f[3], "vcpus")
    status = ctx.choice(f[4], STATUSES, "status")
    auto_balance = ctx.yn(f[5], "auto_balance")
    if f[6] not in node_idx:
        raise ctx.fail(f"field 'primary': unknown node '{f[6]}' for instance '{name}'")
    pnode = node_idx[f[6]]
    if f[7] == "":
        snode = -1
    elif f[7] in node_idx:
        snode = node_idx[f[7]]
    else:
        raise ctx.fail(f"field 'secondary': unknown node '{f[7]}' for instance '{name}'")
    template = ctx.choice(f[8], DISK_TEMPLATES, "disk_template")
    if template == "drbd" and snode == pnode:
        raise ctx.fail(f"instance '{name}': drbd primary and secondary are the same node")
    if template == "drbd" and snode < 0:
        raise ctx.fail(f"instance '{name}': drbd instance without a secondary node")
    spindles = None if f[11] == "-" else ctx.int_(f[11], "spindles")
    return Instance(name, mem, dsk, vcpus, status, auto_balance, pnode, snode, template,
                    _commas(f[9]), ctx.int_(f[10], "spindle_use"), spindles,
                    ctx.yn(f[12], "forthcoming"))


def _parse_ispec(s: str, ctx: _Ctx, what: str) -> ISpec:
    parts = split_fields(s, ",")
    if len(parts) != 6:
        raise ctx.fail(f"field '{what}': expected 6 comma-separated values, got {len(parts)}")
    return ISpec(*(ctx.int_(p, what) for p in parts))


def _parse_policy(f: list[str], ctx: _Ctx, groups: tuple[Group, ...]) -> IPolicy:
    if len(f) < 6:
        raise ctx.fail(f"expected at least 6 fields, got {len(f)}")
    owner = f[0]
    if owner and not any(owner in (g.name, g.uuid) for g in groups):
        raise ctx.fail(f"field 'owner': unknown group '{owner}'")
    specs = split_fields(f[2], ";")
    if len(specs) % 2:
        raise ctx.fail("field 'minmax': odd number of specs")
    minmax = tuple((_parse_ispec(specs[k], ctx, "min"), _parse_ispec(specs[k + 1], ctx, "max"))
                   for k in range(0, len(specs), 2))
    templates = tuple(ctx.choice(t, DISK_TEMPLATES, "disk_templates") for t in _commas(f[3]))
    return IPolicy(owner, _parse_ispec(f[1], ctx, "std"), minmax, templates,
                   ctx.double(f[4], "vcpu_ratio"), ctx.double(f[5], "spindle_ratio"))


def _check_encoding(text: str, source: str) -> None:
    """A byte-order mark or CRLF line endings: say so (hbal cannot read these files either)."""
    if text.startswith("\ufeff"):
        raise PlannerError(source, 1, "the file starts with a UTF-8 byte-order mark (BOM); hbal reads it as part "
                                      "of the first group's name: save the file without it")
    if "\r\n" in text:
        line = text[:text.index("\r\n")].count("\n") + 1
        raise PlannerError(source, line, "CRLF (Windows) line endings; the htools format ends lines with LF only "
                                         "(hbal keeps the CR in the last field): convert with dos2unix")


def _warn_blank_line(sections: list[list[str]], starts: list[int], source: str) -> None:
    """One blank line too many after the nodes makes the instance lines cluster tags (hbal reads it so too)."""
    if len(sections) > 3 and not sections[2] and any(t.count("|") >= 9 for t in sections[3]):
        warnings.warn(f"{source}:{starts[2]}: an extra blank line after the node section: the "
                      f"{len(sections[3])} lines from line {starts[3]} are read as cluster tags, not instances "
                      "(hbal reads them the same way)", PlannerWarning, stacklevel=3)


_LOCATION = {"group": (0, "group line"), "node": (1, "node line"), "instance": (2, "instance line"),
             "policy": (4, "policy line")}


def parse_text(text: str, source: str = "<input>") -> Cluster:
    """Parse htools text data into a :class:`Cluster` (raises :class:`PlannerError`); its values are
    range-checked by :func:`planner.io.validate.validate`."""
    ctx = _Ctx(source)
    _check_encoding(text, source)
    lines = haskell_lines(text)
    sections = sep_split("", lines)
    if len(sections) < 4:
        raise PlannerError(source, None, f"invalid format: {len(sections)} sections instead of 4 or more"
                           + (" (empty file)" if not lines else ""))
    src = TextSource(trailing_newline=text.endswith("\n"))
    # line numbers: 1-based start of each section
    starts, pos = [], 1
    for sec in sections:
        starts.append(pos)
        pos += len(sec) + 1

    def records(k: int, kind: str, parse):
        out = []
        ctx.kind = kind
        for j, line in enumerate(sections[k]):
            ctx.line = starts[k] + j
            rec = parse(split_fields(line))
            src.records[(kind, len(out))] = (rec, line)
            out.append(rec)
        ctx.kind, ctx.line = "", 0
        return tuple(out)

    groups = records(0, "group line", lambda f: _parse_group(f, ctx))
    uuids = {g.uuid for g in groups}
    nodes = records(1, "node line", lambda f: _parse_node(f, ctx, uuids))
    node_idx: dict[str, int] = {}
    for i, n in enumerate(nodes):
        if n.name in node_idx:
            raise PlannerError(source, starts[1] + i, f"node line: duplicate node name '{n.name}'")
        node_idx[n.name] = i
    instances = records(2, "instance line", lambda f: _parse_instance(f, ctx, node_idx))
    tags = tuple(sections[3])
    has_pol = len(sections) >= 5
    policies = records(4, "policy line", lambda f: _parse_policy(f, ctx, groups)) if has_pol else ()
    src.extra_sections = sections[5:]
    _warn_blank_line(sections, starts, source)

    def locate(kind: str, k: int) -> tuple[int | None, str]:
        sec, label = _LOCATION[kind]
        return starts[sec] + k, label

    return validate(Cluster(groups, nodes, instances, tags, policies, has_pol, src, source), locate)


def read_text(path: str | Path) -> Cluster:
    """Read a text cluster file; errors name the file and line."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise PlannerError(str(path), None, "no such file") from None
    except IsADirectoryError:
        raise PlannerError(str(path), None, "is a directory, not a cluster file") from None
    except OSError as e:
        raise PlannerError(str(path), None, f"cannot read: {e.strerror}") from None
    return parse_text(data.decode("utf-8", errors="surrogateescape"), str(path))


# --------------------------------------------------------------------------------------
# writing


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
