"""The sandbox stands apart from the consumer it tests (issue 13 item 1, issue 15 item 3)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

import connect_sandbox

PACKAGE: Final = Path(connect_sandbox.__file__).resolve().parent
#: The consumer's rules, field tables, mapping and delivery: the sandbox must not reuse them.
FORBIDDEN: Final = ("consumer.signals", "consumer.mapping", "consumer.pipeline")
#: What a stand-in of an outside API may share with the project: log set-up, the error base.
SHARED: Final = frozenset({"consumer.logs", "consumer.errors"})


def imported_modules(root: Path) -> dict[str, set[str]]:
    """Every module each file under ``root`` imports (function-level and TYPE_CHECKING too)."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[path.relative_to(root).as_posix()] = names
    return found


def _consumer_imports(root: Path) -> dict[str, list[str]]:
    return {
        file: sorted(n for n in names if n == "consumer" or n.startswith("consumer."))
        for file, names in imported_modules(root).items()
    }


def test_no_sandbox_module_imports_the_consumers_rules_mapping_or_pipeline() -> None:
    """No module under connect_sandbox imports consumer.signals, .mapping or .pipeline."""
    offending = {
        file: [n for n in names if n.startswith(FORBIDDEN)]
        for file, names in _consumer_imports(PACKAGE).items()
    }
    assert {f: n for f, n in offending.items() if n} == {}


def test_the_sandbox_shares_only_logs_and_errors_with_the_consumer() -> None:
    """From consumer/ the sandbox uses only consumer.logs and consumer.errors."""
    shared = {
        file: [n for n in names if n not in SHARED and n.rpartition(".")[0] not in SHARED]
        for file, names in _consumer_imports(PACKAGE).items()
    }
    assert {f: n for f, n in shared.items() if n} == {}


def test_the_scan_sees_nested_and_aliased_imports(tmp_path: Path) -> None:
    """The scan finds imports inside functions and under TYPE_CHECKING (it can fail)."""
    (tmp_path / "m.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from consumer.signals.rules import validate_input\n"
        "def f():\n    import consumer.pipeline.engine as e\n"
    )
    (names,) = _consumer_imports(tmp_path).values()
    assert "consumer.signals.rules" in names
    assert "consumer.pipeline.engine" in names
