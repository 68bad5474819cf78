"""Creating the dead-letter topic when it is missing (the broker never auto-creates it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consumer.errors import ConfigurationError
from consumer.logs import get_logger

__all__ = ["ensure_topic"]


def ensure_topic(
    admin: Any,
    name: str,
    partitions: int,
    *,
    config: Mapping[str, str] | None = None,
    timeout_s: float = 15.0,
) -> bool:
    """Create ``name`` with ``partitions`` (and topic ``config``, e.g.
    ``kafka_config.dlq_topic_config``) unless it exists; True when it was created.

    Raises :class:`ConfigurationError` naming ``SIGNALS_KAFKA_BOOTSTRAP_SERVERS`` when the
    metadata request fails (the brokers cannot be reached with the configured address and
    security), and naming ``SIGNALS_DLQ_TOPIC`` when the topic itself cannot be created.
    """
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.cimpl import NewTopic

    log = get_logger("topics")
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except Exception as exc:
        raise ConfigurationError(
            f"cannot reach the Kafka brokers within {timeout_s:g} s (check the address and the "
            f"security settings (SIGNALS_KAFKA_SECURITY_PROTOCOL, SIGNALS_KAFKA_SASL_*)): {exc}",
            setting="SIGNALS_KAFKA_BOOTSTRAP_SERVERS",
        ) from exc
    if name in metadata.topics and metadata.topics[name].error is None:
        return False
    try:
        topic = NewTopic(
            name, num_partitions=partitions, replication_factor=-1, config=dict(config or {})
        )
        futures = admin.create_topics([topic], request_timeout=timeout_s)
        futures[name].result(timeout=timeout_s)
    except Exception as exc:
        error = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
        if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
            return False
        raise ConfigurationError(
            f"cannot create the dead-letter topic {name!r}: {exc}", setting="SIGNALS_DLQ_TOPIC"
        ) from exc
    log.info("dlq_topic_created", topic=name, partitions=partitions)
    return True
