"""The dev schema registry's REST API behaves like Confluent's (ids, versions, errors, config)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from dev.registry.app import create_app
from dev.registry.store import SchemaStore

__all__: list[str] = []


def _schema(*fields: dict[str, Any]) -> str:
    return json.dumps({"type": "record", "name": "Cart", "namespace": "t", "fields": list(fields)})


V1 = _schema({"name": "id", "type": "string"})
V2 = _schema({"name": "id", "type": "string"}, {"name": "qty", "type": "int", "default": 1})
BAD = _schema({"name": "id", "type": "string"}, {"name": "qty", "type": "int"})


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(SchemaStore(tmp_path / "registry.json")))


def _register(client: TestClient, subject: str, schema: str) -> Any:
    return client.post(f"/subjects/{subject}/versions", json={"schema": schema})


def test_same_schema_text_gets_the_same_global_id(client: TestClient) -> None:
    """Registering identical schema text (any whitespace, any subject) returns the same id."""
    first = _register(client, "a-value", V1)
    again = _register(client, "a-value", json.dumps(json.loads(V1), indent=4))
    other = _register(client, "b-value", V1)
    assert first.status_code == 200
    assert first.json() == again.json() == other.json() == {"id": 1}
    assert _register(client, "a-value", V2).json() == {"id": 2}
    assert client.get("/subjects/a-value/versions").json() == [1, 2]
    assert client.get("/subjects").json() == ["a-value", "b-value"]


def test_get_schema_by_id_and_versions(client: TestClient) -> None:
    """Schemas are served by id, by version number and as latest; unknowns get 4040x codes."""
    _register(client, "s", V1)
    _register(client, "s", V2)
    assert json.loads(client.get("/schemas/ids/2").json()["schema"]) == json.loads(V2)
    latest = client.get("/subjects/s/versions/latest").json()
    assert (latest["subject"], latest["version"], latest["id"]) == ("s", 2, 2)
    assert client.get("/subjects/s/versions/1").json()["id"] == 1
    assert client.get("/schemas/ids/1/versions").json() == [{"subject": "s", "version": 1}]
    missing = client.get("/schemas/ids/99")
    assert (missing.status_code, missing.json()["error_code"]) == (404, 40403)
    assert client.get("/subjects/nope/versions/latest").json()["error_code"] == 40401
    assert client.get("/subjects/s/versions/7").json()["error_code"] == 40402
    invalid = client.get("/subjects/s/versions/abc")
    assert (invalid.status_code, invalid.json()["error_code"]) == (422, 42202)


def test_incompatible_schema_is_refused_with_409(client: TestClient) -> None:
    """Under BACKWARD a new required field is refused with error_code 409."""
    _register(client, "s", V1)
    refused = _register(client, "s", BAD)
    assert refused.status_code == 409
    assert refused.json()["error_code"] == 409
    assert "incompatible" in refused.json()["message"]
    assert client.get("/subjects/s/versions").json() == [1]


def test_compatibility_endpoint(client: TestClient) -> None:
    """POST /compatibility/... reports is_compatible (with messages when verbose)."""
    _register(client, "s", V1)
    ok = client.post("/compatibility/subjects/s/versions/latest", json={"schema": V2})
    assert ok.json() == {"is_compatible": True}
    bad = client.post("/compatibility/subjects/s/versions/1?verbose=true", json={"schema": BAD})
    assert bad.json()["is_compatible"] is False
    assert bad.json()["messages"]
    unknown = client.post("/compatibility/subjects/x/versions/latest", json={"schema": V2})
    assert unknown.json()["error_code"] == 40401


def test_invalid_schema_is_422(client: TestClient) -> None:
    """Unparseable or invalid Avro is refused with 42201."""
    for body in ({"schema": "{not json"}, {"schema": '{"type": "record", "name": "X"}'}):
        resp = client.post("/subjects/s/versions", json=body)
        assert (resp.status_code, resp.json()["error_code"]) == (422, 42201)
    proto = client.post("/subjects/s/versions", json={"schema": "x", "schemaType": "PROTOBUF"})
    assert proto.json()["error_code"] == 42201


def test_lookup_finds_the_version_of_a_schema(client: TestClient) -> None:
    """POST /subjects/{s} returns subject, version and id; an unregistered schema is 40403."""
    _register(client, "s", V1)
    _register(client, "s", V2)
    found = client.post("/subjects/s", json={"schema": V1}).json()
    assert (found["subject"], found["version"], found["id"]) == ("s", 1, 1)
    assert client.post("/subjects/s", json={"schema": BAD}).json()["error_code"] == 40403
    assert client.post("/subjects/none", json={"schema": V1}).json()["error_code"] == 40401


def test_config_global_and_per_subject(client: TestClient) -> None:
    """Compatibility levels are read and set globally and per subject; NONE allows anything."""
    assert client.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    _register(client, "s", V1)
    assert client.get("/config/s").json()["error_code"] == 40408
    assert client.get("/config/s?defaultToGlobal=true").json() == {"compatibilityLevel": "BACKWARD"}
    assert client.put("/config/s", json={"compatibility": "none"}).json() == {
        "compatibility": "NONE"
    }
    assert _register(client, "s", BAD).status_code == 200
    assert client.delete("/config/s").json() == {"compatibilityLevel": "NONE"}
    bad_level = client.put("/config", json={"compatibility": "SIDEWAYS"})
    assert (bad_level.status_code, bad_level.json()["error_code"]) == (422, 42203)
    assert client.put("/config", json={"compatibility": "FULL"}).json() == {"compatibility": "FULL"}
    assert client.get("/config").json() == {"compatibilityLevel": "FULL"}


def test_delete_subject_soft_then_permanent(client: TestClient) -> None:
    """A soft delete hides the subject but keeps ids; permanent delete needs a soft one first."""
    _register(client, "s", V1)
    assert client.delete("/subjects/s?permanent=true").json()["error_code"] == 40405
    assert client.delete("/subjects/s").json() == [1]
    assert client.get("/subjects/s/versions").json()["error_code"] == 40401
    assert client.get("/subjects").json() == []
    assert client.get("/subjects?deleted=true").json() == ["s"]
    assert client.get("/schemas/ids/1").status_code == 200
    assert client.delete("/subjects/s").json()["error_code"] == 40404
    assert client.delete("/subjects/s?permanent=true").json() == [1]
    assert client.delete("/subjects/s").json()["error_code"] == 40401


def test_state_survives_a_restart(tmp_path: Path) -> None:
    """A new store over the same file serves the same ids and continues numbering."""
    path = tmp_path / "registry.json"
    first = TestClient(create_app(SchemaStore(path)))
    _register(first, "s", V1)
    _register(first, "t", V2)
    second = TestClient(create_app(SchemaStore(path)))
    assert _register(second, "s", V1).json() == {"id": 1}
    assert second.get("/subjects/t/versions/latest").json()["id"] == 2
    third = _schema({"name": "other", "type": "long", "default": 0})
    assert _register(second, "u", third).json() == {"id": 3}
