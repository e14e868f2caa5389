"""The emulator package's import graph: no cycle between its modules (imports under
TYPE_CHECKING and inside functions count like any other), and nothing of the harvester."""

from __future__ import annotations

import ast
from pathlib import Path

import emulator

ROOT = Path(emulator.__file__).parent
MODULES = {
    ".".join(("emulator", *path.relative_to(ROOT).with_suffix("").parts)).removesuffix(".__init__"): path
    for path in ROOT.rglob("*.py")
}


def imports(name: str) -> set[str]:
    """Every module `name` imports anywhere in its source: `from a import b` counts as a.b when
    that is a module, else as a."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names}
    return found


def test_no_import_cycle_between_emulator_modules():
    graph = {name: sorted(imports(name) & MODULES.keys() - {name}) for name in MODULES}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(name):], name]))
        if name not in done:
            for imported in graph[name]:
                visit(imported, [*path, name])
            done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert "emulator.server" in graph and len(graph) > 40  # the walk saw the whole package


def test_the_emulator_imports_nothing_of_the_harvester():
    found = {name: sorted(i for i in imports(name) if i.split(".")[0] == "harvester") for name in MODULES}
    assert not {name: hits for name, hits in found.items() if hits}
