"""The stage order of ``analyzer/`` and the absence of module cycles, read from the source.

Every ``import`` and ``from ... import`` statement of every module under ``analyzer/`` counts,
wherever it stands: at the top, inside a function, or under ``TYPE_CHECKING``. A module
belongs to the component named by its longest matching prefix in :data:`COMPONENTS`; an import
from one component into another must be listed in :data:`ALLOWED`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "analyzer"

#: The layers at the bottom: anything above may import them.
BOTTOM = frozenset({"facts", "model", "stream", "errors", "progress", "yamlsrc", "version"})
#: The stages the pipeline runs (each imports only what is below the stages, or as listed).
STAGES = frozenset({"report", "policy", "collectors", "analyzers", "vfs", "sources"})
#: Domain libraries: kernel knowledge as data, kernel image decoders, package databases, codecs.
DOMAIN = frozenset({"kernel", "kerneldecode", "packages", "codecs"})
#: What each component may import besides itself.
ALLOWED: dict[str, frozenset[str]] = {
    "analyzer": frozenset({"pipeline", "fleet", "triage", "diff"}) | STAGES | DOMAIN | BOTTOM,
    "cli": frozenset({"pipeline", "fleet", "triage", "diff"}) | STAGES | DOMAIN | BOTTOM,
    "fleet": frozenset({"pipeline", "userfiles"}) | STAGES | DOMAIN | BOTTOM,
    "triage": frozenset({"userfiles"}) | STAGES | DOMAIN | BOTTOM,
    "diff": STAGES | DOMAIN | BOTTOM,
    "pipeline": frozenset({"attribution", "userfiles"}) | STAGES | DOMAIN | BOTTOM,
    "attribution": frozenset({"userfiles"}) | BOTTOM,
    "userfiles": frozenset({"errors"}),
    "report": BOTTOM,
    "policy": frozenset({"kernel", "packages"}) | BOTTOM,
    "collectors": frozenset({"vfs"}) | DOMAIN | BOTTOM,
    "analyzers": frozenset({"kerneldecode", "packages", "codecs"}) | BOTTOM,
    "vfs": BOTTOM,
    "sources": frozenset({"codecs"}) | BOTTOM,
    "kernel": frozenset({"model", "errors", "yamlsrc"}),
    "kerneldecode": frozenset({"codecs", "stream", "errors"}),
    "packages": frozenset({"model", "stream", "errors"}),
    "codecs": frozenset({"errors"}),
    "facts": frozenset({"kernel", "packages", "stream", "model", "errors"}),
    "stream": frozenset({"model", "errors"}),
    "model": frozenset({"errors"}),
    "errors": frozenset(),
    "progress": frozenset(),
    "yamlsrc": frozenset({"model"}),
    "version": frozenset(),
}
#: Module prefix -> component (the longest matching prefix wins).
COMPONENTS: dict[str, str] = {
    "analyzer": "analyzer",
    "analyzer.__main__": "cli",
    "analyzer.cli": "cli",
    **{f"analyzer.{name}": name for name in ALLOWED if name not in ("analyzer", "cli")},
}


def modules() -> dict[str, Path]:
    """Every module under ``analyzer/`` by dotted name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _named(name: str, package: bool, node: ast.AST, known: set[str]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = name.split(".") if package else name.split(".")[:-1]
            parts = parts[: len(parts) - node.level + 1]
            base = ".".join([*parts, base] if base else parts)
        for alias in node.names:
            yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base


def _owner(target: str, known: set[str]) -> str:
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target


def imports_of(name: str, source: str, package: bool, known: set[str]) -> set[str]:
    """The modules of ``known`` that module ``name`` (its ``source``) imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        for target in _named(name, package, node, known):
            owner = _owner(target, known)
            if owner and owner != name:
                found.add(owner)
    return found


def imports(known: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of ``analyzer`` it imports (a name inside a module: that module)."""
    names = set(known)
    return {
        name: imports_of(name, path.read_text(), path.name == "__init__.py", names)
        for name, path in known.items()
    }


def against_the_order(graph: dict[str, set[str]]) -> list[str]:
    """Every import from one component into another that :data:`ALLOWED` does not list."""
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if component(target) != component(module)
        and component(target) not in ALLOWED.get(component(module), frozenset())
    )


def component(module: str) -> str:
    """The component ``module`` belongs to (``unplaced`` for a package missing from the order)."""
    prefix = module
    while prefix not in COMPONENTS or (prefix == "analyzer" != module):
        prefix = prefix.rpartition(".")[0]
        if not prefix:
            return "unplaced"
    return COMPONENTS[prefix]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    found.append(sorted(members))
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    """The import graph of ``analyzer/``."""
    return imports(modules())


def test_every_component_is_placed(graph: dict[str, set[str]]) -> None:
    assert [module for module in graph if component(module) not in ALLOWED] == []
    assert component("analyzer.newstage.module") == "unplaced"


def test_imports_follow_the_stage_order(graph: dict[str, set[str]]) -> None:
    assert against_the_order(graph) == []


def test_no_module_cycle(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_an_import_inside_a_function_or_for_typing_counts() -> None:
    known = {"analyzer.vfs", "analyzer.vfs.tree", "analyzer.analyzers.elf", "analyzer.cli"}
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from analyzer.analyzers.elf import ElfAnalyzer\n"
        "def main():\n"
        "    from ..cli import main\n"
    )
    found = imports_of("analyzer.vfs.tree", source, False, known)
    assert found == {"analyzer.analyzers.elf", "analyzer.cli"}
    assert against_the_order({"analyzer.vfs.tree": found}) == [
        "analyzer.vfs.tree -> analyzer.analyzers.elf",
        "analyzer.vfs.tree -> analyzer.cli",
    ]


def test_a_cycle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"]]
