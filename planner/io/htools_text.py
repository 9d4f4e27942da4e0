"""Read the htools text format (``hscan``, ``hbal -S``, ``hspace -S``), as htools 3.0.2 does.

Parsing follows ``HTools/Backend/Text.hs``: Haskell ``lines``, sections split on empty lines
(their number matters), ``|``-separated fields with trailing defaults, Haskell ``read`` for
numbers.  Each record keeps its source line (:class:`TextSource`), so that writing an unchanged
cluster (:mod:`planner.io.htools_write`) gives back the input bytes.

>>> from planner.io.htools_write import write_text
>>> text = "g|u|preferred||\\n\\nn1|1024|0|1024|95367|95367|4|N|u|1\\n\\n\\n\\n"
>>> c = parse_text(text, "t.data")
>>> c.nodes[0].name, c.nodes[0].t_mem, c.nodes[0].nos_cpu, c.has_policy_section
('n1', 1024.0, 1, True)
>>> write_text(c) == text
True
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
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
