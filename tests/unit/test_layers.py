"""The product line's import rules (docs/architecture.md), checked on the source by AST scan.

| importer                              | may not import                                      |
|---------------------------------------|-----------------------------------------------------|
| anything in ``consumer/``             | ``bench``, ``dev``, ``tests``                       |
| anything in ``consumer/`` but the     | ``connect_sandbox`` (``sandbox_cmd`` loads it       |
| ``sandbox`` command                   | lazily, when the ``sandbox`` extra is installed)    |
| the runtime: ``consumer/`` but        | ``consumer.cli``, ``consumer.commands``             |
| ``cli.py``, ``__main__.py``,          |                                                     |
| ``commands/``                         |                                                     |
| ``connect_sandbox/``                  | ``consumer`` beyond its errors and logs (it has its |
|                                       | own reading of Connect's rules); ``bench``,         |
|                                       | ``dev``, ``tests``                                  |

Imports inside functions count for these rules. The import graph of ``consumer/`` (each edge to
the most specific module named) has no circle: neither at import time (module-level imports) nor
once function-local imports, which run on the first call, are counted too; an import under
``if TYPE_CHECKING:`` never runs and is left out of both.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
ABOVE_THE_RUNTIME = ("bench", "dev", "tests")
ENTRY_POINTS = ("consumer.cli", "consumer.__main__", "consumer.commands")
#: (importer, imported): the only ways from consumer/ into the sandbox package.
SANDBOX_ENTRY = {("consumer.commands.sandbox_cmd", "connect_sandbox")}
#: What a stand-in of Connect may share with the runtime: the error types and the logging setup
#: (it validates with its own reading of the reference, so a consumer mistake is not repeated).
SANDBOX_MAY_USE = ("consumer.errors", "consumer.logs")


When = Literal["load", "call", "typing"]


@dataclass(frozen=True, slots=True)
class Import:
    """One imported name: who imports it, where, and when it runs.

    ``when`` is ``load`` (module level: at import time), ``call`` (inside a function: on its
    first call) or ``typing`` (under ``if TYPE_CHECKING:``: never at run time).
    """

    importer: str
    target: str
    line: int
    when: When

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.target}"


def _within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _modules(package: str) -> dict[str, Path]:
    """Every module of a top-level package by dotted name (a package by its ``__init__``)."""
    found: dict[str, Path] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module of ``from <base> import ...`` (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    keep = len(parts) - node.level + (1 if is_package else 0)
    return ".".join(parts[:keep] + ([node.module] if node.module else []))


def _scan(
    module: str, is_package: bool, nodes: Iterable[ast.AST], known: Collection[str], when: When
) -> Iterator[Import]:
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (Import(module, a.name, node.lineno, when) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, is_package, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield Import(module, sub if sub in known else base, node.lineno, when)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            inner: When = "typing" if when == "typing" else "call"
            yield from _scan(module, is_package, ast.iter_child_nodes(node), known, inner)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _scan(module, is_package, node.body, known, "typing")
            yield from _scan(module, is_package, node.orelse, known, when)
        else:
            yield from _scan(module, is_package, ast.iter_child_nodes(node), known, when)


@cache
def imports_of(package: str) -> tuple[Import, ...]:
    """Every import statement in ``package``, function-local ones included."""
    known = _modules(package)
    found: list[Import] = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += _scan(module, path.name == "__init__.py", tree.body, known, "load")
    return tuple(found)


def _owner(target: str, known: Iterable[str]) -> str | None:
    """The most specific known module that ``target`` names (``a.b.Name`` -> ``a.b``)."""
    names = set(known)
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in names:
            return ".".join(parts[:end])
    return None


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with a circle in them (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def import_graph(package: str, when: Collection[When]) -> dict[str, set[str]]:
    """Module -> the package's modules it imports by the statements of the given kinds."""
    known = _modules(package)
    graph: dict[str, set[str]] = {name: set() for name in known}
    for imp in imports_of(package):
        owner = _owner(imp.target, known)
        if imp.when in when and owner is not None and owner != imp.importer:
            graph[imp.importer].add(owner)
    return graph


def test_the_scanner_sees_lazy_and_module_level_imports() -> None:
    """The scan finds the CLI's entry import and the sandbox command's function-local import."""
    found = {(i.importer, i.target, i.when) for i in imports_of("consumer")}
    assert ("consumer.__main__", "consumer.cli", "load") in found
    assert any(
        imp == "consumer.commands.sandbox_cmd"
        and _within(t, ["connect_sandbox"])
        and when == "call"
        for imp, t, when in found
    )
    assert ("consumer.mapping.mapper", "consumer.mapping.custom", "typing") in found


def test_circles_finds_every_loop_and_nothing_else() -> None:
    """Tarjan's components: a loop of three and a self-import are found, a chain is not."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}, "e": {"a"}, "f": set()}
    assert circles(graph) == [["a", "b", "c"], ["d"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_runtime_imports_nothing_that_sits_above_it() -> None:
    """Nothing in consumer/ imports bench, dev or tests, nor the sandbox outside its command."""
    broken = [
        str(i)
        for i in imports_of("consumer")
        if _within(i.target, ABOVE_THE_RUNTIME)
        or (
            _within(i.target, ["connect_sandbox"])
            and (i.importer, i.target.partition(".")[0]) not in SANDBOX_ENTRY
        )
    ]
    assert broken == []


def test_the_runtime_imports_neither_the_cli_nor_the_commands() -> None:
    """The runtime (pipeline, ops, connect, ...) never imports consumer.cli or consumer.commands."""
    broken = [
        str(i)
        for i in imports_of("consumer")
        if not _within(i.importer, ENTRY_POINTS) and _within(i.target, ENTRY_POINTS)
    ]
    assert broken == []


def test_the_sandbox_shares_only_connects_rules_with_the_runtime() -> None:
    """connect_sandbox/ uses consumer/ only for its errors and logs, and no dev tools."""
    broken = [
        str(i)
        for i in imports_of("connect_sandbox")
        if (_within(i.target, ["consumer"]) and not _within(i.target, SANDBOX_MAY_USE))
        or _within(i.target, ABOVE_THE_RUNTIME)
    ]
    assert broken == []


def test_no_circle_at_import_time() -> None:
    """No set of consumer/ modules imports itself around by module-level imports."""
    assert circles(import_graph("consumer", ["load"])) == []


def test_no_circle_hidden_by_function_local_imports() -> None:
    """Counting the imports inside functions too, consumer/ still has no circle."""
    assert circles(import_graph("consumer", ["load", "call"])) == []
