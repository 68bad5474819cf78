"""--until-idle against a subscribed topic that does not exist stops (it waited for ever)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.test_pipeline import pipeline_settings, run_until_idle


def test_until_idle_stops_when_no_subscribed_topic_exists(
    kafka_bootstrap: str, schema_registry_url: str, kafka_admin: Any, sandbox: Any
) -> None:
    """librdkafka never joins the group for a missing topic; the run still ends with exit 0."""
    topic = f"test-missing-{uuid.uuid4().hex[:12]}"
    settings = pipeline_settings(kafka_bootstrap, schema_registry_url, sandbox, topic)
    try:
        pipeline = run_until_idle(settings, idle_s=2.0)  # asserts exit code 0 within 90 s
        assert pipeline.consumed == 0
        assert pipeline.topic_unavailable is not None
        assert topic in pipeline.topic_unavailable
    finally:
        kafka_admin.delete_topics([settings.dlq_topic], operation_timeout=10)
