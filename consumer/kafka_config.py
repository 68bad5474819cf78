"""The edge where settings become librdkafka configuration keys.

Nowhere else in the package are librdkafka keys spelled. The consumer is always manual-commit
(``enable.auto.commit=false``, offsets stored by the pipeline) with cooperative-sticky
assignment; the dead-letter producer is idempotent with ``acks=all``.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

from consumer import __version__
from consumer.config import Settings
from consumer.logs import kafka_logger

__all__ = [
    "admin_config",
    "common_config",
    "consumer_config",
    "dlq_topic_config",
    "producer_config",
]


def common_config(settings: Settings) -> dict[str, Any]:
    """Bootstrap servers, client id and security settings shared by every client."""
    s = settings
    conf: dict[str, Any] = {
        "bootstrap.servers": s.kafka_bootstrap_servers,
        "client.id": f"signals-consumer-{__version__}@{socket.gethostname()}",
        "security.protocol": s.kafka_security_protocol,
        "logger": kafka_logger(),  # librdkafka's lines become structured JSON events
    }
    if s.kafka_sasl_mechanism:
        conf["sasl.mechanism"] = s.kafka_sasl_mechanism
    if s.kafka_sasl_mechanism in {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}:
        conf["sasl.username"] = s.kafka_sasl_username
        if s.kafka_sasl_password is not None:
            conf["sasl.password"] = s.kafka_sasl_password.get_secret_value()
    if s.kafka_sasl_mechanism == "OAUTHBEARER" and s.kafka_oauth_token_endpoint_url:
        conf["sasl.oauthbearer.method"] = "oidc"
        conf["sasl.oauthbearer.token.endpoint.url"] = s.kafka_oauth_token_endpoint_url
        if s.kafka_oauth_client_id:
            conf["sasl.oauthbearer.client.id"] = s.kafka_oauth_client_id
        if s.kafka_oauth_client_secret is not None:
            secret = s.kafka_oauth_client_secret.get_secret_value()
            conf["sasl.oauthbearer.client.secret"] = secret
        if s.kafka_oauth_scope:
            conf["sasl.oauthbearer.scope"] = s.kafka_oauth_scope
    tls = {
        "ssl.ca.location": s.kafka_ssl_ca_location,
        "ssl.certificate.location": s.kafka_ssl_certificate_location,
        "ssl.key.location": s.kafka_ssl_key_location,
    }
    conf.update({key: str(path) for key, path in tls.items() if path is not None})
    if s.kafka_ssl_key_password is not None:
        conf["ssl.key.password"] = s.kafka_ssl_key_password.get_secret_value()
    return conf


def consumer_config(
    settings: Settings, group_id: str | None = None, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A manual-commit, cooperative-sticky consumer of ``group_id`` (default: the setting)."""
    s = settings
    conf = common_config(s)
    conf.update(
        {
            "group.id": group_id or s.kafka_group_id,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": s.kafka_auto_offset_reset,
            "partition.assignment.strategy": "cooperative-sticky",
            "session.timeout.ms": s.kafka_session_timeout_ms,
            "max.poll.interval.ms": s.kafka_max_poll_interval_ms,
            "fetch.wait.max.ms": s.kafka_fetch_max_wait_ms,
            "queued.max.messages.kbytes": s.kafka_queued_max_kbytes,
            "max.partition.fetch.bytes": s.kafka_max_partition_fetch_bytes,
            "fetch.queue.backoff.ms": s.kafka_fetch_queue_backoff_ms,
            "enable.partition.eof": False,
        }
    )
    if s.kafka_group_instance_id and group_id in (None, s.kafka_group_id):
        conf["group.instance.id"] = s.kafka_group_instance_id
    conf.update(extra or {})
    return conf


def producer_config(settings: Settings, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The dead-letter producer: idempotent, ``acks=all``, ordered per partition."""
    conf = common_config(settings)
    conf.update(
        {
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "compression.type": "lz4",
            "message.timeout.ms": 120_000,
            # the dead-letter topic is created with the same max.message.bytes (dlq_topic_config)
            "message.max.bytes": settings.dlq_max_message_bytes,
        }
    )
    conf.update(extra or {})
    return conf


def dlq_topic_config(settings: Settings) -> dict[str, str]:
    """Topic configuration of the dead-letter topic when the consumer creates it."""
    return {"max.message.bytes": str(settings.dlq_max_message_bytes)}


def admin_config(settings: Settings) -> dict[str, Any]:
    """An admin client (topic creation, group offsets)."""
    return common_config(settings)
