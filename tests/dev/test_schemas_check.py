"""``make schemas-check`` registers the schemas and refuses a BACKWARD-incompatible edit."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import httpx
import pytest

from dev.schemas_check import check

pytestmark = pytest.mark.integration

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def _client(url: str) -> httpx.Client:
    return httpx.Client(
        base_url=url, headers={"content-type": "application/vnd.schemaregistry.v1+json"}
    )


def test_every_schema_registers_and_a_rerun_is_clean(
    schema_registry_url: str, tmp_path: Path
) -> None:
    """All eleven schemas register under their record subjects, and a second run passes too."""
    prefix = f"check-{uuid.uuid4().hex[:8]}."
    with _client(schema_registry_url) as client:
        assert check(client, SCHEMAS, prefix) == []
        assert check(client, SCHEMAS, prefix) == []
        subjects = [s for s in client.get("/subjects").json() if s.startswith(prefix)]
    assert len(subjects) == len(list(SCHEMAS.glob("*.avsc"))) == 11


def test_incompatible_edit_fails_and_compatible_edit_passes(
    schema_registry_url: str, tmp_path: Path
) -> None:
    """A new field without a default is refused; the same field with a default is accepted."""
    prefix = f"edit-{uuid.uuid4().hex[:8]}."
    work = tmp_path / "schemas"
    work.mkdir()
    shutil.copy(SCHEMAS / "order_event.avsc", work)
    path = work / "order_event.avsc"
    original = json.loads(path.read_text())
    with _client(schema_registry_url) as client:
        assert check(client, work, prefix) == []
        broken = dict(
            original,
            fields=[*original["fields"], {"name": "loyaltyTier", "type": "string", "doc": "x"}],
        )
        path.write_text(json.dumps(broken))
        problems = check(client, work, prefix)
        assert len(problems) == 1
        assert "order_event.avsc" in problems[0]
        assert "not BACKWARD compatible" in problems[0]
        fixed = dict(
            original,
            fields=[
                *original["fields"],
                {"name": "loyaltyTier", "type": ["null", "string"], "default": None, "doc": "x"},
            ],
        )
        path.write_text(json.dumps(fixed))
        assert check(client, work, prefix) == []
        versions = client.get(
            f"/subjects/{prefix}io.connectsignals.events.OrderEvent/versions"
        ).json()
    assert versions == [1, 2]
