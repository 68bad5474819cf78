"""Shared helpers for the sandbox unit tests: an in-process app on a temporary SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from connect_sandbox import Sandbox, SandboxConfig, create_app
from connect_sandbox.dialect import ErrorDialect
from connect_sandbox.faults import Faults
from connect_sandbox.validation import IMPORTABLE_TYPES
from consumer.signals.graphql_literal import build_mutation, encode_input

__all__ = [
    "API_KEY",
    "APP_KEY",
    "GOLDEN",
    "Client",
    "golden_input",
    "mutation",
    "sandbox_client",
]

API_KEY = "unit-api-key"
APP_KEY = "app-default"  # the app key of the golden inputs
GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def golden_input(signal_type: str, **content: Any) -> dict[str, Any]:
    """The golden API input of ``signal_type`` (tests/golden), signalContent fields replaced."""
    data: dict[str, Any] = json.loads((GOLDEN / f"{signal_type}.json").read_text())["input"]
    data["signalContent"] = {**data["signalContent"], **content}
    return data


def mutation(inputs: Sequence[Mapping[str, Any]]) -> str:
    """A ``createSignals`` mutation with ``inputs`` inline, written by the consumer's encoder."""
    return build_mutation([encode_input(item) for item in inputs])


class Client:
    """A TestClient bound to one :class:`Sandbox`, with GraphQL helpers."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.http = TestClient(create_app(sandbox))

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        api_key: str | None = API_KEY,
        path: str = "/graphql",
    ) -> tuple[int, dict[str, Any]]:
        """POST a GraphQL document; (HTTP status, decoded body)."""
        headers = {} if api_key is None else {"x-api-key": api_key}
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        response = self.http.post(path, json=body, headers=headers)
        return response.status_code, response.json()

    def create(self, inputs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Send ``inputs`` as one mutation and return the body (HTTP 200 asserted)."""
        status, body = self.post(mutation(inputs))
        assert status == 200, body
        return body

    def ids(self, inputs: Sequence[Mapping[str, Any]]) -> list[str]:
        """Send ``inputs``; the signalIds (the mutation must be accepted)."""
        body = self.create(inputs)
        assert "errors" not in body, body
        ids: list[str] = body["data"]["createSignals"]["signalIds"]
        return ids

    def feed(self, **who: str) -> list[dict[str, Any]]:
        """The activityFeed query for a contact (``email=...``, ``contactKey=...``)."""
        args = ", ".join(f"{name}: {json.dumps(value)}" for name, value in who.items())
        status, body = self.post(
            f"{{ activityFeed({args}) {{ signalId signalType sessionId signalContent }} }}"
        )
        assert status == 200, body
        assert "errors" not in body, body
        feed: list[dict[str, Any]] = body["data"]["activityFeed"]
        return feed

    def stats(self) -> dict[str, Any]:
        """GET /admin/stats."""
        stats: dict[str, Any] = self.http.get("/admin/stats").json()
        return stats


@contextmanager
def sandbox_client(
    db_path: Path,
    *,
    tier: str = "premium",
    benchmark: bool = False,
    record_latency: bool = False,
    faults: Faults | None = None,
    app_keys: Sequence[str] = (APP_KEY, "sandbox-app"),
    clock: Any = None,
    error_dialect: ErrorDialect = ErrorDialect.REALISTIC,
) -> Iterator[Client]:
    """A :class:`Client` on a sandbox using ``db_path``; the database is closed afterwards."""
    config = SandboxConfig(
        db_path=db_path,
        api_keys=frozenset({API_KEY}),
        app_keys=frozenset(app_keys),
        tier=tier,
        benchmark=benchmark,
        record_latency=record_latency,
        seed=7,
        faults=faults or Faults(),
        error_dialect=error_dialect,
    )
    sandbox = Sandbox(config) if clock is None else Sandbox(config, clock=clock)
    try:
        yield Client(sandbox)
    finally:
        sandbox.close()


assert {p.stem for p in GOLDEN.glob("*.json")} == IMPORTABLE_TYPES, "one golden input per type"
