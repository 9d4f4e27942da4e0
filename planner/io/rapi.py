"""Read a cluster from Ganeti's RAPI JSON, as htools 3.0.2's RAPI backend (``Backend/Rapi.hs``) does.

Sources: a dump directory holding ``groups.json``, ``nodes.json``, ``instances.json`` and
``info.json`` (or a path to one of them, or a ``file:///dir`` URL), or a live
``http(s)://host[:port]`` base URL, read with four GETs (never anything else).  The result is
the :class:`~planner.domain.model.Cluster` the text backend would give for the same data, including
``hbal``'s default ``--static-kvm-node-memory=4096`` (``Loader.updateMissing``) when the
cluster's default hypervisor is ``kvm``.  Every bad input gives a one-line PlannerError.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from planner.domain import model
from planner.domain.errors import PlannerError
from planner.domain.model import Cluster, Group, Instance, IPolicy, ISpec, Node
from planner.io.rapi_http import HttpOptions, RapiHttp, tls_verify_setting
from planner.io.validate import validate

__all__ = ["RESOURCES", "parse_rapi", "read_rapi", "tls_verify_setting"]

#: (dump file, RAPI path), in the order htools reads them.
RESOURCES = (("groups.json", "/2/groups?bulk=1"), ("nodes.json", "/2/nodes?bulk=1"),
             ("instances.json", "/2/instances?bulk=1"), ("info.json", "/2/info"))
DEFAULT_GROUP_UUID = "00000000-0000-0000-0000-000000000000"
HYPERVISORS = ("kvm", "xen-pvm", "chroot", "xen-hvm", "lxc", "fake")
STATIC_KVM_NODE_MEMORY = 4096  #: hbal's ``--static-kvm-node-memory`` default
_SPEC_KEYS = ("memory-size", "cpu-count", "disk-size", "disk-count", "nic-count", "spindle-use")
_WANT = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false",
         "list": "a list", "strs": "a list of strings", "ints": "a list of integers",
         "optints": "a list of integers or nulls"}
_REQUIRED: Any = object()
Fail = Callable[[str], PlannerError]


def _conv(v: Any, kind: str, err: Fail) -> Any:
    """Haskell ``readJSON`` for the types used (numbers are exact; Int rounds half to even).

    >>> _conv(Decimal("2.5"), "int", ValueError), _conv(Decimal("3.5"), "int", ValueError)
    (2, 4)
    >>> _conv([1, None], "optints", ValueError), _conv(3, "float", ValueError)
    ((1, None), 3.0)
    """
    number = isinstance(v, int | Decimal) and not isinstance(v, bool)
    if kind == "int" and number:
        return v if isinstance(v, int) else int(round(v))
    if kind == "float" and number:
        return float(v)
    if isinstance(v, {"str": str, "bool": bool, "list": list}.get(kind, ())):
        return v
    if kind in ("strs", "ints", "optints") and isinstance(v, list):
        one = "str" if kind == "strs" else "int"
        return tuple(None if x is None and kind == "optints" else _conv(x, one, err) for x in v)
    raise err(f"expected {_WANT[kind]}, got {json.dumps(v, default=str)[:40]}")


class _Obj:
    """A JSON object plus where it is, for one-line error messages."""

    def __init__(self, data: Any, where: str, fail: Fail) -> None:
        if not isinstance(data, dict):
            raise fail(f"{where}: expected a JSON object")
        self.d, self.where, self.fail = data, where, fail

    def err(self, msg: str) -> PlannerError:
        return self.fail(f"{self.where}: {msg}")

    def need(self, key: str) -> Any:
        """A field that must be present (any value, null included)."""
        if key not in self.d:
            raise self.err(f"missing field '{key}'")
        return self.d[key]

    def get(self, key: str, kind: str, default: Any = _REQUIRED) -> Any:
        """A field; missing or null gives ``default`` (an error when there is none)."""
        v = self.d.get(key)
        if v is None:
            if default is not _REQUIRED:
                return default
            raise self.err(f"field '{key}' is null" if key in self.d else f"missing field '{key}'")
        return _conv(v, kind, lambda m: self.err(f"field '{key}': {m}"))

    def choice(self, key: str, allowed: tuple[str, ...], kind: str = "str") -> Any:
        v = self.get(key, kind)
        for x in v if kind == "strs" else (v,):
            if x not in allowed:
                raise self.err(f"field '{key}': invalid value '{x}'")
        return v

    def sub(self, key: str) -> _Obj:
        return _Obj(self.need(key), f"{self.where}: {key}", self.fail)


def _ispec(o: _Obj) -> ISpec:
    return ISpec(*(o.get(k, "int") for k in _SPEC_KEYS))


def _ipolicy(o: _Obj, owner: str) -> IPolicy:
    mm = tuple((_ispec(m.sub("min")), _ispec(m.sub("max")))
               for k, x in enumerate(o.get("minmax", "list"))
               for m in [_Obj(x, f"{o.where}: minmax[{k}]", o.fail)])
    return IPolicy(owner, _ispec(o.sub("std")), mm, o.choice("disk-templates", model.DISK_TEMPLATES, "strs"),
                   o.get("vcpu-ratio", "float"), o.get("spindle-ratio", "float"))


def _entries(data: Any, label: str, kind: str, fail: Fail) -> list[tuple[_Obj, str]]:
    """The objects of a list resource, each with its name and a ``label: kind 'name'`` location."""
    if not isinstance(data, list):
        raise fail(f"{label}: expected a JSON list")
    out = []
    for k, x in enumerate(data):
        o = _Obj(x, f"{label}: {kind} #{k}", fail)
        name = o.get("name", "str")
        o.where = f"{label}: {kind} '{name}'"
        out.append((o, name))
    return out


def _group(o: _Obj, name: str) -> tuple[Group, IPolicy]:
    uuid, apol = o.get("uuid", "str"), o.choice("alloc_policy", model.ALLOC_POLICIES)
    pol = _ipolicy(o.sub("ipolicy"), name)  # networks are not read (treated as empty)
    return Group(name, uuid, apol, o.get("tags", "strs")), pol


def _node(o: _Obj, name: str, uuids: set[str]) -> Node:
    offline, drained = o.get("offline", "bool"), o.get("drained", "bool")
    vm_capable = o.get("vm_capable", "bool", True)
    nd = o.sub("ndparams")
    excl = nd.get("exclusive_storage", "bool")
    guuid = o.get("group.uuid", "str", DEFAULT_GROUP_UUID)
    if guuid not in uuids:
        raise o.err(f"field 'group.uuid': unknown group '{guuid}'")
    live = not offline and vm_capable  # live fields are read only then; else zeros

    def lv(key: str, kind: str, zero: Any, optional: bool = False) -> Any:
        return o.get(key, kind, zero if optional else _REQUIRED) if live else zero

    sptotal = lv("sptotal", "int", 0) if excl else nd.get("spindle_count", "int")
    spfree = lv("spfree", "int", 0, True)
    mtotal, mnode, mfree = lv("mtotal", "float", 0.0), lv("mnode", "int", 0), lv("mfree", "int", 0)
    dtotal, dfree = lv("dtotal", "float", 0.0, True), lv("dfree", "int", 0, True)
    ctotal, cnos = lv("ctotal", "float", 0.0), lv("cnos", "int", 0)
    return Node(name, mtotal, mnode, mfree, dtotal, dfree, ctotal, not live or drained, False, guuid,
                sptotal, o.get("tags", "strs"), excl, spfree, cnos, 1.0)


def _instance(o: _Obj, name: str, node_idx: dict[str, int]) -> Instance:
    def lookup(key: str, v: Any) -> int:
        v = _conv(v, "str", lambda m: o.err(f"field '{key}': {m}"))
        if v not in node_idx:
            raise o.err(f"field '{key}': unknown node '{v}'")
        return node_idx[v]

    disk, sizes = o.get("disk_usage", "int"), o.get("disk.sizes", "ints")
    spl = o.get("disk.spindles", "optints")
    be = o.sub("beparams")
    oper = o.need("oper_ram")
    if isinstance(oper, int | Decimal) and not isinstance(oper, bool):
        mem = o.get("oper_ram", "int")
    else:  # ``memory `mplus` maxmem``: a missing or bad ``memory`` falls back to ``maxmem``
        try:
            mem = be.get("memory", "int")
        except PlannerError:
            mem = be.get("maxmem", "int")
    vcpus, pnode = be.get("vcpus", "int"), lookup("pnode", o.need("pnode"))
    snodes = o.get("snodes", "list")
    snode = lookup("snodes", snodes[0]) if snodes else -1
    status, tags = o.choice("status", model.STATUSES), o.get("tags", "strs")
    auto_balance, dt = be.get("auto_balance", "bool"), o.choice("disk_template", model.DISK_TEMPLATES)
    spindle_use = be.get("spindle_use", "int")
    forthcoming = o.d.get("forthcoming") is True  # anything but a boolean means "not forthcoming"
    disks = list(zip(sizes, spl, strict=False))  # Haskell's zipWith: the shorter list wins
    spindles = None if any(s is None for _, s in disks) else sum(s for _, s in disks)
    return Instance(name, mem, disk, vcpus, status, auto_balance, pnode, snode, dt, tags,
                    spindle_use, spindles, forthcoming)


def _decode(body: bytes | str, label: str, fail: Fail) -> Any:
    def reject(c: str) -> Any:
        raise ValueError(f"{c} is not valid JSON")

    try:
        return json.loads(body, parse_float=Decimal, parse_constant=reject)
    except json.JSONDecodeError as e:
        raise fail(f"{label}: invalid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    except (ValueError, RecursionError) as e:
        raise fail(f"{label}: invalid JSON: {' '.join(str(e).split())}") from None


def parse_rapi(groups: bytes | str, nodes: bytes | str, instances: bytes | str, info: bytes | str,
               source: str = "<rapi>", labels: tuple[str, ...] = tuple(r[0] for r in RESOURCES)) -> Cluster:
    """Build a :class:`Cluster` from the four RAPI bodies (``labels`` name them in messages)."""
    def fail(msg: str) -> PlannerError:
        return PlannerError(source, None, msg)

    lg, ln, li, lc = labels
    gl = [_group(o, name) for o, name in _entries(_decode(groups, lg, fail), lg, "group", fail)]
    uuids = {g.uuid for g, _ in gl}
    nodes_ = [_node(o, name, uuids) for o, name in _entries(_decode(nodes, ln, fail), ln, "node", fail)]
    node_idx: dict[str, int] = {}
    for k, n in enumerate(nodes_):
        if n.name in node_idx:
            raise fail(f"{ln}: duplicate node name '{n.name}'")
        node_idx[n.name] = k
    insts = tuple(_instance(o, name, node_idx)
                  for o, name in _entries(_decode(instances, li, fail), li, "instance", fail))
    c = _Obj(_decode(info, lc, fail), lc, fail)
    master, ctags = c.get("master", "str"), c.get("tags", "strs")
    cpol, hv = _ipolicy(c.sub("ipolicy"), ""), c.choice("default_hypervisor", HYPERVISORS)
    if master not in node_idx:
        raise c.err(f"master node '{master}' unknown")
    nodes_[node_idx[master]] = replace(nodes_[node_idx[master]], master=True)
    if hv == "kvm":  # Loader.setStaticKvmNodeMem, applied by hbal's updateMissing to every node
        nodes_ = [replace(n, n_mem=STATIC_KVM_NODE_MEMORY) for n in nodes_]
    out = Cluster(tuple(g for g, _ in gl), tuple(nodes_), insts, ctags, (cpol, *(p for _, p in gl)), True, None,
                  source)
    records = {"group": (lg, out.groups), "node": (ln, out.nodes), "instance": (li, out.instances)}

    def locate(kind: str, k: int) -> tuple[int | None, str]:
        if kind == "policy":
            return None, f"{lc}: ipolicy" if k == 0 else f"{lg}: group '{out.groups[k - 1].name}' ipolicy"
        label, recs = records[kind]
        return None, f"{label}: {kind} '{recs[k].name}'"

    return validate(out, locate)


def _dump_dir(s: str) -> Path:
    """The directory of a dump given as a directory, one of its files, or a ``file://`` URL."""
    if s.startswith("file://"):
        u = urlparse(s)
        if u.netloc not in ("", "localhost"):
            raise PlannerError(s, None, f"file URL for a remote host '{u.netloc}' is not supported")
        s = unquote(u.path)
    p = Path(s)
    if p.is_dir():
        return p
    if p.name in {r[0] for r in RESOURCES}:
        return p.parent
    if not p.exists():
        raise PlannerError(s, None, "no such file or directory")
    raise PlannerError(s, None, "not a RAPI dump: expected a directory holding groups.json, "
                       "nodes.json, instances.json and info.json, or one of those files")


def _read_dir(d: Path) -> list[bytes]:
    try:
        return [(d / fname).read_bytes() for fname, _ in RESOURCES]
    except OSError as e:
        raise PlannerError(str(d), None, f"{Path(e.filename or '?').name}: {e.strerror}") from None


def _fetch(base: str, opts: HttpOptions) -> list[bytes]:
    """GET the four resources (read-only); every failure becomes a one-line PlannerError."""
    with RapiHttp(base, opts) as http:
        return [http.get_bytes(path) for _, path in RESOURCES]


def read_rapi(source: str | Path, *, timeout: float = 60.0, verify: bool | str | None = None,
              http: HttpOptions | None = None) -> Cluster:
    """Read a RAPI dump directory/file, a ``file://`` URL or a live ``http(s)://`` base URL.

    ``timeout`` (seconds) and ``verify`` (TLS: True, False or a CA file; default from
    ``PLANNER_RAPI_VERIFY``, else True) apply to live URLs only; ``http`` replaces both.
    """
    s = str(source)
    if s.startswith(("http://", "https://")):
        base = s.rstrip("/")
        opts = http or HttpOptions(timeout=timeout, verify=verify)
        return parse_rapi(*_fetch(base, opts), source=base, labels=tuple(r[1] for r in RESOURCES))
    d = _dump_dir(s)
    return parse_rapi(*_read_dir(d), source=str(d))
