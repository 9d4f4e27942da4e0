"""``--vary KEY=V1,V2,...``: a dotted path into a scenario's YAML and the values it takes in a sweep.

A path's parts are mapping keys and list indices (``changes.0.add_nodes.count``); inside a change the
action may be left out when the change has one mapping action (``changes.0.count`` is
``changes.0.add_nodes.count`` when change 0 is an ``add_nodes``).  Values are YAML scalars or flow
collections, separated by commas outside brackets (``changes.1.drain=[n1,n2],[n3]``).

>>> v = parse_vary("changes.0.count=0,1,2")
>>> v.key, v.values
('changes.0.count', (0, 1, 2))
>>> parse_vary("changes.1.drain=[a,b],[c]").values
(['a', 'b'], ['c'])
>>> data = {"cluster": {"file": "x.data"}, "changes": [{"add_nodes": {"model": "m", "count": 1}}]}
>>> with_value(data, "changes.0.count", 4)["changes"][0]
{'add_nodes': {'model': 'm', 'count': 4}}
>>> data["changes"][0]["add_nodes"]["count"]
1
>>> with_value(data, "changes.3.count", 4)
Traceback (most recent call last):
...
KeyError: 'changes.3: no such item (changes has 1)'
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

import yaml

from planner.domain.errors import PlannerError
from planner.scenario.spec import ACTIONS, Scenario, loads_scenario


@dataclass(frozen=True)
class Vary:
    """One swept key and its values, in the order given."""

    key: str
    values: tuple

    @property
    def label(self) -> str:
        return f"--vary {self.key}"


def _split(text: str) -> list[str]:
    """``text`` split on commas outside brackets and braces."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return [*out, cur]


def parse_vary(text: str) -> Vary:
    """``KEY=V1,V2,...`` (raises PlannerError naming the option)."""
    key, eq, rest = text.partition("=")
    key = key.strip()
    label = f"--vary {key or text}"
    if not eq or not key:
        raise PlannerError(label, None, "want KEY=V1,V2,... (a dotted path into the scenario, then values)")
    if any(not p for p in key.split(".")):
        raise PlannerError(label, None, "empty part in the dotted path")
    items = [s.strip() for s in _split(rest)]
    if not items or any(not s for s in items):
        raise PlannerError(label, None, "empty value (want V1,V2,...)")
    values = []
    for s in items:
        try:
            values.append(yaml.safe_load(s))
        except yaml.YAMLError:
            raise PlannerError(label, None, f"value {s!r} is not a YAML value") from None
    return Vary(key, tuple(values))


def _step(node: object, part: str, where: str) -> tuple[object, str]:
    """The child ``part`` of ``node`` (for a change: the action's field when ``part`` is not an action)."""
    if isinstance(node, list):
        if not part.lstrip("-").isdigit():
            raise KeyError(f"{where}: a list, want an index, not '{part}'")
        k = int(part)
        if not 0 <= k < len(node):
            raise KeyError(f"{where}.{part}: no such item ({where or 'list'} has {len(node)})")
        return k, part
    if not isinstance(node, dict):
        raise KeyError(f"{where}: a value, not a mapping: cannot go on to '{part}'")
    return part, part


def _resolve(data: dict, key: str) -> tuple[object, object, str]:
    """The container holding ``key``'s last part, that part (key or index) and the full path."""
    parts = key.split(".")
    node: object = data
    where = ""
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        if isinstance(node, dict) and part not in node and part not in ACTIONS and where.startswith("changes."):
            acts = [a for a in ACTIONS if isinstance(node.get(a), dict)]
            if len(node) == 1 and acts:  # the action left out: changes.0.count → changes.0.add_nodes.count
                node, where = node[acts[0]], f"{where}.{acts[0]}"
        k, part = _step(node, part, where)
        where = f"{where}.{part}" if where else part
        if last:
            return node, k, where
        if isinstance(node, dict) and k not in node:
            node[k] = {}
        node = node[k]
    raise KeyError(key)  # pragma: no cover  (parts is never empty)


def with_value(data: dict, key: str, value: object) -> dict:
    """A deep copy of the scenario ``data`` with ``key`` set to ``value`` (KeyError: the path is bad)."""
    out = copy.deepcopy(data)
    node, k, _ = _resolve(out, key)
    node[k] = copy.deepcopy(value)
    return out


def full_path(data: dict, key: str) -> str:
    """``key`` with the action spelled out (``changes.0.count`` → ``changes.0.add_nodes.count``)."""
    return _resolve(copy.deepcopy(data), key)[2]


def point_data(data: dict, values: dict[str, object]) -> dict:
    """The scenario data of one point: ``values`` (key → value) set in order."""
    for key, value in values.items():
        data = with_value(data, key, value)
    return data


def validate(data: dict, source: str) -> Scenario:
    """The scenario of ``data`` (PlannerError ``source: path: message`` when the schema refuses it)."""
    return loads_scenario(yaml.safe_dump(data, sort_keys=False), source)


def check_varies(data: dict, source: str, varies: list[Vary]) -> None:
    """Each path exists and each value passes the scenario schema on its own; PlannerError
    ``--vary KEY: ...`` (one line) for the first that does not."""
    seen = set()
    for v in varies:
        if v.key in seen:
            raise PlannerError(v.label, None, "given twice")
        seen.add(v.key)
        for value in v.values:
            try:
                validate(with_value(data, v.key, value), source)
            except KeyError as e:
                raise PlannerError(v.label, None, e.args[0]) from None
            except PlannerError as e:
                raise PlannerError(v.label, None, f"value {value!r}: {e.message}") from None


def grid(varies: list[Vary]) -> list[dict[str, object]]:
    """The cross product of the values, first key slowest (point k is ``grid(...)[k]``).

    >>> grid([Vary("a", (1, 2)), Vary("b", ("x", "y"))])
    [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    """
    keys = [v.key for v in varies]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(v.values for v in varies))]
