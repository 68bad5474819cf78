"""Settings become librdkafka keys only in consumer.kafka_config."""

from __future__ import annotations

from consumer.config import Settings
from consumer.kafka_config import admin_config, consumer_config, producer_config, reader_config


def test_consumer_is_manual_commit_cooperative_sticky_with_static_membership() -> None:
    """The consumer never auto-commits, uses cooperative-sticky and the pod's instance id."""
    conf = consumer_config(Settings(kafka_group_instance_id="pod-0"), extra={"x.y": 1})
    assert conf["enable.auto.commit"] is False
    assert conf["partition.assignment.strategy"] == "cooperative-sticky"
    assert conf["group.instance.id"] == "pod-0"
    assert conf["x.y"] == 1


def test_fetch_bounds_become_librdkafka_keys() -> None:
    """The pre-fetch queue, per-partition fetch size and queue back-off become librdkafka keys."""
    conf = consumer_config(
        Settings(
            kafka_queued_max_kbytes=2048,
            kafka_max_partition_fetch_bytes=65_536,
            kafka_fetch_queue_backoff_ms=5,
        )
    )
    assert conf["queued.max.messages.kbytes"] == 2048
    assert conf["max.partition.fetch.bytes"] == 65_536
    assert conf["fetch.queue.backoff.ms"] == 5
    defaults = consumer_config(Settings())
    assert defaults["fetch.queue.backoff.ms"] == 20  # not librdkafka's 1000: see config.py


def test_other_groups_never_borrow_the_static_instance_id() -> None:
    """A replay or tool group must not steal the live member's group.instance.id."""
    conf = consumer_config(Settings(kafka_group_instance_id="pod-0"), group_id="replay-1")
    assert "group.instance.id" not in conf


def test_the_offsets_reader_reads_the_group_without_its_instance_id() -> None:
    """The offsets thread's consumer reads the pod's group but never holds its instance id."""
    conf = reader_config(Settings(kafka_group_id="g", kafka_group_instance_id="pod-0"))
    assert conf["group.id"] == "g"
    assert "group.instance.id" not in conf


def test_dlq_producer_is_idempotent_with_acks_all() -> None:
    """The dead-letter producer is idempotent and waits for all in-sync replicas."""
    conf = producer_config(Settings())
    assert conf["enable.idempotence"] is True
    assert conf["acks"] == "all"


def test_security_settings_pass_through() -> None:
    """SASL SCRAM credentials and TLS files reach librdkafka under their own keys."""
    settings = Settings.model_validate(
        {
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_mechanism": "SCRAM-SHA-512",
            "kafka_sasl_username": "u",
            "kafka_sasl_password": "p",
            "kafka_ssl_ca_location": "/ca.pem",
        }
    )
    conf = admin_config(settings)
    assert conf["security.protocol"] == "SASL_SSL"
    assert conf["sasl.mechanism"] == "SCRAM-SHA-512"
    assert (conf["sasl.username"], conf["sasl.password"]) == ("u", "p")
    assert conf["ssl.ca.location"] == "/ca.pem"


def test_oauthbearer_uses_oidc_client_credentials() -> None:
    """OAUTHBEARER with a token endpoint configures librdkafka's OIDC method."""
    settings = Settings.model_validate(
        {
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_mechanism": "OAUTHBEARER",
            "kafka_oauth_token_endpoint_url": "https://idp/token",
            "kafka_oauth_client_id": "cid",
            "kafka_oauth_client_secret": "secret",
        }
    )
    conf = consumer_config(settings)
    assert conf["sasl.oauthbearer.method"] == "oidc"
    assert conf["sasl.oauthbearer.client.secret"] == "secret"
