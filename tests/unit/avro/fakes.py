"""Fakes for the decoder tests: a schema registry behind httpx.MockTransport, messages, frames."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastavro
import httpx

from consumer.avro.registry import SchemaRegistry
from consumer.config import Settings
from tests.unit.pipeline.fakes import FakeMessage

__all__ = [
    "SCHEMAS_DIR",
    "Clock",
    "Message",
    "RegistryStub",
    "body",
    "frame",
    "our_schemas",
    "settings",
]

SCHEMAS_DIR = Path(__file__).resolve().parents[3] / "schemas"
_ID = re.compile(r"/schemas/ids/(\d+)(/subjects)?$")
_VERSION = re.compile(r"/subjects/([^/]+)/versions/(\d+)$")


def settings(**over: Any) -> Settings:
    """Settings for unit tests (a fake registry URL, a default app key)."""
    base: dict[str, Any] = {
        "schema_registry_url": "http://registry.test",
        "default_app_key": "app-key-1",
        "schemas_dir": SCHEMAS_DIR,
        # a 40403 is unknown at once here; the follower retry window: test_registry_follower.py
        "schema_not_found_retry_s": 0,
    }
    base.update(over)
    return Settings(**base)


def our_schemas() -> dict[str, dict[str, Any]]:
    """The .avsc files of schemas/ by record name (as JSON, unparsed)."""
    out = {}
    for path in sorted(SCHEMAS_DIR.glob("*.avsc")):
        schema = json.loads(path.read_text())
        out[schema["name"]] = schema
    return out


def body(schema: Any, record: Any) -> bytes:
    """The Avro binary body of ``record`` written with ``schema``."""
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(schema), record)
    return buf.getvalue()


def frame(schema_id: int, schema: Any, record: Any) -> bytes:
    """A Confluent-framed value: magic byte 0, the schema id, the Avro body."""
    return b"\x00" + schema_id.to_bytes(4, "big") + body(schema, record)


def Message(value: bytes | None, _topic: str = "events") -> FakeMessage:
    """A consumed record holding ``value`` (the pipeline tests' fake)."""
    return FakeMessage(_topic, 0, 0, value)


@dataclass
class Clock:
    """A monotonic clock the test moves by hand."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class RegistryStub:
    """The registry's REST routes the client uses, answering from ``schemas`` (id -> schema).

    ``status`` forces every answer to that HTTP status; ``error`` is raised instead of answering
    (an httpx transport error); ``calls`` records the paths asked for.
    """

    schemas: dict[int, Any] = field(default_factory=dict)
    subjects: dict[int, list[str]] = field(default_factory=dict)
    versions: dict[tuple[str, int], Any] = field(default_factory=dict)
    references: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    schema_types: dict[int, str] = field(default_factory=dict)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    error: Exception | None = None
    calls: list[str] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The MockTransport handler."""
        path = request.url.path
        self.calls.append(path)
        self.auth.append(request.headers.get("authorization"))
        if self.error is not None:
            raise self.error
        if self.status is not None:
            return httpx.Response(self.status, text="forced", headers=self.headers)
        by_id = _ID.search(path)
        if by_id:
            schema_id = int(by_id.group(1))
            if schema_id not in self.schemas:
                return _missing(40403, f"Schema {schema_id} not found")
            if by_id.group(2):
                return httpx.Response(200, json=self.subjects.get(schema_id, []))
            answer: dict[str, Any] = {"schema": _text(self.schemas[schema_id])}
            if schema_id in self.references:
                answer["references"] = self.references[schema_id]
            if schema_id in self.schema_types:
                answer["schemaType"] = self.schema_types[schema_id]
            return httpx.Response(200, json=answer)
        version = _VERSION.search(path)
        if version:
            key = (version.group(1), int(version.group(2)))
            if key not in self.versions:
                return _missing(40402, "Version not found.")
            return httpx.Response(200, json={"schema": _text(self.versions[key])})
        return httpx.Response(404, json={"error_code": 404, "message": "HTTP 404 Not Found"})

    def registry(
        self, config: Settings | None = None, *, clock: Callable[[], float] | None = None
    ) -> SchemaRegistry:
        """A SchemaRegistry whose HTTP client talks to this stub."""
        kwargs: dict[str, Any] = {"transport": httpx.MockTransport(self.handle)}
        if clock is not None:
            kwargs["clock"] = clock
        return SchemaRegistry(config or settings(), **kwargs)


def _text(schema: Any) -> str:
    return schema if isinstance(schema, str) else json.dumps(schema)


def _missing(code: int, message: str) -> httpx.Response:
    return httpx.Response(404, json={"error_code": code, "message": message})
