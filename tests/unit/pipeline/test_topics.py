"""ensure_topic names the real cause: unreachable brokers or a dead-letter topic problem."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from consumer.errors import ConfigurationError
from consumer.pipeline.topics import ensure_topic


class _DeadBrokers:
    """An admin client whose metadata request times out, as when no broker answers."""

    def list_topics(self, timeout: float) -> Any:
        raise KafkaException(KafkaError(KafkaError._TRANSPORT, "Failed to get metadata"))

    def create_topics(self, topics: list[Any], request_timeout: float) -> dict[str, Any]:
        raise AssertionError("no topic is created when the brokers cannot be reached")


class _RefusesCreate:
    """An admin client that answers metadata but refuses to create the topic (``code``)."""

    def __init__(self, code: int = KafkaError.TOPIC_AUTHORIZATION_FAILED) -> None:
        self.code = code

    def list_topics(self, timeout: float) -> Any:
        return type("Metadata", (), {"topics": {}})()

    def create_topics(self, topics: list[Any], request_timeout: float) -> dict[str, Any]:
        failed: Future[None] = Future()
        failed.set_exception(KafkaException(KafkaError(self.code, "refused")))
        return {topic.topic: failed for topic in topics}


def test_unreachable_brokers_name_the_bootstrap_servers_not_the_dlq_topic() -> None:
    """A failed metadata request says the brokers cannot be reached and names the bootstrap."""
    with pytest.raises(ConfigurationError) as caught:
        ensure_topic(_DeadBrokers(), "dlq", 3, timeout_s=0.1)
    assert caught.value.setting == "SIGNALS_KAFKA_BOOTSTRAP_SERVERS"
    assert "cannot reach the Kafka brokers" in str(caught.value)
    assert "dead-letter" not in str(caught.value)


def test_a_topic_that_cannot_be_created_still_names_the_dlq_topic() -> None:
    """A refused create_topics is a dead-letter topic problem and names SIGNALS_DLQ_TOPIC."""
    with pytest.raises(ConfigurationError) as caught:
        ensure_topic(_RefusesCreate(), "dlq", 3, timeout_s=0.1)
    assert caught.value.setting == "SIGNALS_DLQ_TOPIC"
    assert "dead-letter topic 'dlq'" in str(caught.value)


def test_a_topic_another_member_created_meanwhile_is_not_an_error() -> None:
    """TOPIC_ALREADY_EXISTS from create_topics (a race with another pod) means not created."""
    assert ensure_topic(_RefusesCreate(KafkaError.TOPIC_ALREADY_EXISTS), "dlq", 3) is False
