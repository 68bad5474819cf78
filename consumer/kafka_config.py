"""The edge where settings become librdkafka configuration keys.

Nowhere else in the package are librdkafka keys spelled. The consumer is always manual-commit
(``enable.auto.commit=false``, offsets stored by the pipeline) with cooperative-sticky
assignment; the dead-letter producer is idempotent with ``acks=all``.

Other librdkafka properties come from ``SIGNALS_KAFKA_PROPERTIES`` (and ``..._FILE``), applied
last to every client, except the keys the commit protocol owns (:data:`OWNED_KEYS`) and those
that have their own setting (:data:`SETTING_OF_KEY`). :func:`check_kafka_config` lets librdkafka
check the final configuration at load time.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from consumer import __version__
from consumer.errors import ConfigurationError
from consumer.logs import kafka_logger
from consumer.settings_sources import read_properties_file

if TYPE_CHECKING:  # config.load_settings calls check_kafka_config: no import circle
    from consumer.config import Settings

__all__ = [
    "OWNED_KEYS",
    "SETTING_OF_KEY",
    "admin_config",
    "check_kafka_config",
    "common_config",
    "consumer_config",
    "dlq_topic_config",
    "kafka_properties",
    "producer_config",
    "reader_config",
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
    if s.kafka_sasl_mechanism == "GSSAPI":
        conf["sasl.kerberos.service.name"] = s.kafka_sasl_kerberos_service_name
        if s.kafka_sasl_kerberos_principal:
            conf["sasl.kerberos.principal"] = s.kafka_sasl_kerberos_principal
        if s.kafka_sasl_kerberos_keytab is not None:
            conf["sasl.kerberos.keytab"] = str(s.kafka_sasl_kerberos_keytab)
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
    conf = {
        **common_config(s),
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
    if s.kafka_group_instance_id and group_id in (None, s.kafka_group_id):
        conf["group.instance.id"] = s.kafka_group_instance_id
    return {**conf, **kafka_properties(s), **(extra or {})}


def reader_config(settings: Settings) -> dict[str, Any]:
    """The offsets thread's own consumer of the group: it reads committed offsets and
    watermarks and never joins (so no ``group.instance.id``, which only a member may hold)."""
    conf = consumer_config(settings)
    conf.pop("group.instance.id", None)
    return conf


def producer_config(settings: Settings, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The dead-letter producer: idempotent, ``acks=all``, ordered per partition."""
    return {
        **common_config(settings),
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
        "message.timeout.ms": 120_000,
        # the dead-letter topic is created with the same max.message.bytes (dlq_topic_config)
        "message.max.bytes": settings.dlq_max_message_bytes,
        **kafka_properties(settings),
        **(extra or {}),
    }


def dlq_topic_config(settings: Settings) -> dict[str, str]:
    """Topic configuration of the dead-letter topic when the consumer creates it."""
    return {"max.message.bytes": str(settings.dlq_max_message_bytes)}


def admin_config(settings: Settings) -> dict[str, Any]:
    """An admin client (topic creation, group offsets)."""
    return {**common_config(settings), **kafka_properties(settings)}


# --- librdkafka properties passed through, and librdkafka's own checks ------------------------

#: Keys the commit protocol and the dead-letter guarantees own: never taken from properties.
OWNED_KEYS: dict[str, str] = {
    "enable.auto.commit": "the pipeline commits only finished offsets itself",
    "enable.auto.offset.store": "the pipeline commits only finished offsets itself",
    "auto.commit.interval.ms": "the pipeline commits only finished offsets itself",
    "partition.assignment.strategy": "the rebalance handling is written for cooperative-sticky",
    "group.protocol": "the rebalance handling is written for the classic group protocol",
    "group.remote.assignor": "the rebalance handling is written for the classic group protocol",
    "enable.partition.eof": "the poll loop expects no end-of-partition events",
    "isolation.level": "only committed records are consumed",
    "enable.idempotence": "the dead-letter producer must be idempotent (no letter lost or doubled)",
    "acks": "the dead-letter producer waits for all in-sync replicas",
    "max.in.flight.requests.per.connection": "the idempotent dead-letter producer sets it",
    "transactional.id": "the consumer does not use transactions",
    "message.max.bytes": "the dead-letter producer's record size has its own setting",
}

#: librdkafka key -> the setting that sets it (refused in properties, named in errors).
SETTING_OF_KEY: dict[str, str] = {
    "bootstrap.servers": "SIGNALS_KAFKA_BOOTSTRAP_SERVERS",
    "group.id": "SIGNALS_KAFKA_GROUP_ID",
    "group.instance.id": "SIGNALS_KAFKA_GROUP_INSTANCE_ID",
    "security.protocol": "SIGNALS_KAFKA_SECURITY_PROTOCOL",
    "sasl.mechanism": "SIGNALS_KAFKA_SASL_MECHANISM",
    "sasl.mechanisms": "SIGNALS_KAFKA_SASL_MECHANISM",
    "sasl.username": "SIGNALS_KAFKA_SASL_USERNAME",
    "sasl.password": "SIGNALS_KAFKA_SASL_PASSWORD",
    "sasl.oauthbearer.token.endpoint.url": "SIGNALS_KAFKA_OAUTH_TOKEN_ENDPOINT_URL",
    "sasl.oauthbearer.client.id": "SIGNALS_KAFKA_OAUTH_CLIENT_ID",
    "sasl.oauthbearer.client.secret": "SIGNALS_KAFKA_OAUTH_CLIENT_SECRET",
    "sasl.oauthbearer.scope": "SIGNALS_KAFKA_OAUTH_SCOPE",
    "sasl.kerberos.service.name": "SIGNALS_KAFKA_SASL_KERBEROS_SERVICE_NAME",
    "sasl.kerberos.principal": "SIGNALS_KAFKA_SASL_KERBEROS_PRINCIPAL",
    "sasl.kerberos.keytab": "SIGNALS_KAFKA_SASL_KERBEROS_KEYTAB",
    "ssl.ca.location": "SIGNALS_KAFKA_SSL_CA_LOCATION",
    "ssl.certificate.location": "SIGNALS_KAFKA_SSL_CERTIFICATE_LOCATION",
    "ssl.key.location": "SIGNALS_KAFKA_SSL_KEY_LOCATION",
    "ssl.key.password": "SIGNALS_KAFKA_SSL_KEY_PASSWORD",
    "session.timeout.ms": "SIGNALS_KAFKA_SESSION_TIMEOUT_MS",
    "max.poll.interval.ms": "SIGNALS_KAFKA_MAX_POLL_INTERVAL_MS",
    "fetch.wait.max.ms": "SIGNALS_KAFKA_FETCH_MAX_WAIT_MS",
    "queued.max.messages.kbytes": "SIGNALS_KAFKA_QUEUED_MAX_KBYTES",
    "max.partition.fetch.bytes": "SIGNALS_KAFKA_MAX_PARTITION_FETCH_BYTES",
    "fetch.queue.backoff.ms": "SIGNALS_KAFKA_FETCH_QUEUE_BACKOFF_MS",
    "auto.offset.reset": "SIGNALS_KAFKA_AUTO_OFFSET_RESET",
}

_PROPERTIES = "SIGNALS_KAFKA_PROPERTIES"
_KEY = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+")


def kafka_properties(settings: Settings) -> dict[str, str]:
    """``SIGNALS_KAFKA_PROPERTIES_FILE`` then ``SIGNALS_KAFKA_PROPERTIES``; refuses owned keys.

    Raises :class:`~consumer.errors.ConfigurationError` naming the variable and the key: a key
    the commit protocol owns (:data:`OWNED_KEYS`, with why), or one that has its own setting
    (:data:`SETTING_OF_KEY`, naming it).
    """
    merged: dict[str, tuple[str, str]] = {}
    path = settings.kafka_properties_file
    if path is not None:
        variable = f"{_PROPERTIES}_FILE"
        try:
            from_file = read_properties_file(path)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"{variable}: {path}: {exc}", setting=variable) from exc
        merged.update({key: (value, variable) for key, value in from_file.items()})
    merged.update({key: (v, _PROPERTIES) for key, v in settings.kafka_properties.items()})
    for key, (_value, variable) in merged.items():
        if key in OWNED_KEYS:
            raise ConfigurationError(
                f"{variable}: {key!r} cannot be set: {OWNED_KEYS[key]}", setting=variable
            )
        if key in SETTING_OF_KEY:
            raise ConfigurationError(
                f"{variable}: {key!r} has its own setting, use {SETTING_OF_KEY[key]}",
                setting=variable,
            )
    return {key: value for key, (value, _variable) in merged.items()}


def _refusal(message: str, properties: Mapping[str, str]) -> ConfigurationError:
    """librdkafka's refusal as a ConfigurationError naming the first setting it mentions."""
    names: dict[str, str] = {}
    for key in _KEY.findall(message):
        if key in properties:
            names.setdefault(key, _PROPERTIES)
        elif key in SETTING_OF_KEY:
            names.setdefault(key, SETTING_OF_KEY[key])
    if "SASL mechanism" in message:  # librdkafka names no key for an unsupported mechanism
        names.setdefault("sasl.mechanism", SETTING_OF_KEY["sasl.mechanism"])
    explained = ", ".join(f"{key} is {name}" for key, name in names.items())
    text = f"librdkafka refuses the configuration: {message}"
    setting = next(iter(names.values()), _PROPERTIES if properties else "settings")
    return ConfigurationError(text + (f" ({explained})" if explained else ""), setting=setting)


def check_kafka_config(settings: Settings) -> None:
    """Build a consumer and a producer from the final configuration, without brokers.

    librdkafka checks every key, value and cross-setting rule (``max.poll.interval.ms`` >=
    ``session.timeout.ms``, a SASL mechanism this build supports, readable TLS files, ...) when
    a client is created; without ``bootstrap.servers`` it connects to nothing. A refusal becomes
    a :class:`~consumer.errors.ConfigurationError` naming the setting, so ``config`` and every
    command stop with exit 3 before anything starts.
    """
    from confluent_kafka import Consumer, KafkaException, Producer

    properties = kafka_properties(settings)
    for make, conf in (
        (Consumer, consumer_config(settings)),
        (Producer, producer_config(settings)),
    ):
        conf.pop("bootstrap.servers", None)
        try:
            client = make(conf)
        except KafkaException as exc:
            raise _refusal(exc.args[0].str(), properties) from None
        if isinstance(client, Consumer):
            client.close()
