"""Fixtures of the sandbox unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connect_sandbox.dialect import ErrorDialect
from tests.sandbox.helpers import Client, sandbox_client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    """A premium-tier sandbox on a fresh SQLite file, served in-process."""
    with sandbox_client(tmp_path / "sandbox.db") as made:
        yield made


@pytest.fixture
def indexed(tmp_path: Path) -> Iterator[Client]:
    """Like ``client``, answering refusals in the ``indexed`` dialect (BAD_USER_INPUT)."""
    with sandbox_client(tmp_path / "indexed.db", error_dialect=ErrorDialect.INDEXED) as made:
        yield made
