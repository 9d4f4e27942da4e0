"""The package's import rules: no cycles, no upward imports, no private names across modules.

The allowed layer order is written once, here.  A module may import its own layer and the layers
before it; every import counts, function-local ones included (they hide cycles, not remove them).
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "planner"

#: lowest first; a module may import only from its own layer or an earlier one
LAYERS: list[tuple[str, ...]] = [
    ("planner.domain",),
    ("planner.io",),
    ("planner.engine",),
    ("planner.checks",),
    ("planner.execution",),
    ("planner.planners",),
    ("planner.capacity",),
    ("planner.scenario",),
    ("planner.live",),
    ("planner.report",),
    ("planner.api",),
    ("planner.cli",),
    ("planner",),  # the package façade
]

#: layers a given layer must not import although they are lower (independence rules)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "planner.checks": ("planner.io", "planner.execution", "planner.planners"),
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(mod: str) -> int:
    best, best_len = None, -1
    for k, names in enumerate(LAYERS):
        for n in names:
            if (mod == n or mod.startswith(n + ".")) and len(n) > best_len:
                best, best_len = k, len(n)
    assert best is not None, f"{mod} is in no layer: add it to LAYERS"
    return best


def imports_of(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import in the file."""
    tree = ast.parse(path.read_text())
    out = []
    this = module_name(path)
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("planner")]
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                base = this.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                mod = ".".join(base + ([mod] if mod else []))
            if mod.startswith("planner"):
                out.append((mod, [a.name for a in node.names], node.lineno))
    return out


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PKG.rglob("*.py")}


def graph() -> dict[str, set[str]]:
    mods = all_modules()
    g: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        for target, names, _ in imports_of(p):
            for name in names or [None]:
                sub = f"{target}.{name}" if name else None
                dep = sub if sub in mods else target
                if dep in mods and dep != m:
                    g[m].add(dep)
    return g


def test_every_module_has_a_layer():
    for m in all_modules():
        layer_of(m)


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the import graph, as a list of modules that starts and ends with the same one."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(g.get(m, ())):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state and (c := visit(d)):
                return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(g):
        if m not in state and (c := visit(m)):
            return c
    return None


def test_no_import_cycles():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_upward_imports():
    bad = []
    for m, p in all_modules().items():
        lm = layer_of(m)
        for target, _, line in imports_of(p):
            lt = layer_of(target)
            if lt > lm:
                bad.append(f"{p.relative_to(PKG.parent)}:{line}: {m} imports {target} (a higher layer)")
            for low, banned in FORBIDDEN.items():
                if m.startswith(low) and any(target == b or target.startswith(b + ".") for b in banned):
                    bad.append(f"{p.relative_to(PKG.parent)}:{line}: {m} must not import {target}")
    assert not bad, "\n".join(bad)


def test_no_private_names_across_modules():
    bad = []
    for m, p in all_modules().items():
        for target, names, line in imports_of(p):
            for n in names:
                if n.startswith("_") and target != m:
                    bad.append(f"{p.relative_to(PKG.parent)}:{line}: imports {target}.{n}")
    tests = Path(__file__).resolve().parent
    for p in tests.rglob("*.py"):
        for target, names, line in imports_of_test(p):
            for n in names:
                if n.startswith("_"):
                    bad.append(f"{p.relative_to(tests.parent)}:{line}: imports {target}.{n}")
    assert not bad, "\n".join(bad)


def imports_of_test(path: Path) -> list[tuple[str, list[str], int]]:
    """What a test file takes from planner: imported names, and ``module._name`` attribute uses."""
    tree = ast.parse(path.read_text())
    out = [(n.module or "", [a.name for a in n.names], n.lineno) for n in ast.walk(tree)
           if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("planner")]
    modules = {a.asname or a.name: f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
               and (n.module or "").startswith("planner") for a in n.names}
    modules |= {a.asname or a.name: a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
                for a in n.names if a.name.startswith("planner")}
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in modules \
                and n.attr.startswith("_") and not n.attr.startswith("__"):
            out.append((modules[n.value.id], [n.attr], n.lineno))
    return out


def test_the_checks_can_fail():
    """The cycle finder and the layer order are not vacuous."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert layer_of("planner.checks.verify") < layer_of("planner.planners.greedy")
    assert layer_of("planner.engine.score") < layer_of("planner.checks.rules")
