"""Imports point downwards only (docs/design.md): protocol ← domain ← wire ← store ← engine ← server / client
← command line, the client never reaches into the server, store or engine, and no module imports itself
back through others (an import cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "localkis"

RANK = {"protocol": 0, "domain": 1, "wire": 2, "store": 3, "engine": 4, "client": 5, "server": 5,
        "cli": 6, "admincli": 6, "__main__": 6,
        "testing": 6, "pytest_plugin": 7, "replaysession": 6}
# Packages a layer of the same rank must not import.
FORBIDDEN = {"client": {"server", "store", "engine"}, "server": {"client"}}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(name: str) -> set[str]:
    """The localkis modules `name` imports (anywhere in its text, function-level imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("localkis"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("localkis"))
    return {m for m in found if m in MODULES and m != name}


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


GRAPH = {name: imports(name) for name in MODULES}


def test_every_module_is_in_a_layer() -> None:
    assert {layer(n) for n in MODULES} - {"", "data"} <= set(RANK)


def test_no_module_imports_a_higher_layer() -> None:
    wrong = [(n, m) for n, deps in GRAPH.items() for m in deps
             if layer(n) in RANK and layer(m) in RANK and RANK[layer(m)] > RANK[layer(n)]]
    assert wrong == []


def test_the_client_and_the_server_stay_apart() -> None:
    wrong = [(n, m) for n, deps in GRAPH.items() for m in deps if layer(m) in FORBIDDEN.get(layer(n), set())]
    assert wrong == []


def test_there_is_no_import_cycle() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in GRAPH[node]:
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    assert cycles == []
