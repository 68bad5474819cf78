"""The doctor's Kafka questions answered by a confluent-kafka ``AdminClient`` (read-only).

Metadata, ``describe_topics`` and ``describe_consumer_groups`` with
``include_authorized_operations`` (the broker's ACL answer for this principal), and
``create_topics(validate_only=True)``: the broker checks the creation, authorisation included,
and creates nothing. No group is joined, nothing is produced or committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consumer.ops.doctor import Cluster, GroupAccess, TopicAccess

__all__ = ["AdminProbe"]


def _operations(described: Any) -> frozenset[str] | None:
    ops = getattr(described, "authorized_operations", None)
    return None if ops is None else frozenset(op.name for op in ops)


class AdminProbe:
    """:class:`consumer.ops.doctor.KafkaProbe` over an ``AdminClient``; ``timeout_s`` bounds
    every request."""

    def __init__(self, admin: Any, timeout_s: float) -> None:
        self._admin, self._timeout_s = admin, timeout_s

    def cluster(self) -> Cluster:
        """Metadata; raises ``KafkaException`` when no broker answers in time."""
        metadata = self._admin.list_topics(timeout=self._timeout_s)
        return Cluster(metadata.cluster_id, len(metadata.brokers), frozenset(metadata.topics))

    def topic(self, name: str) -> TopicAccess:
        """Describe ``name``; ``exists`` False on UNKNOWN_TOPIC_OR_PART."""
        from confluent_kafka import KafkaError, KafkaException, TopicCollection

        futures = self._admin.describe_topics(
            TopicCollection([name]),
            request_timeout=self._timeout_s,
            include_authorized_operations=True,
        )
        try:
            described = futures[name].result(timeout=self._timeout_s)
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if isinstance(error, KafkaError) and error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                return TopicAccess(exists=False)
            raise
        return TopicAccess(True, len(described.partitions), _operations(described))

    def group(self, group_id: str) -> GroupAccess:
        """Describe ``group_id`` (an unknown group is described as ``dead``, no members)."""
        futures = self._admin.describe_consumer_groups(
            [group_id], request_timeout=self._timeout_s, include_authorized_operations=True
        )
        described = futures[group_id].result(timeout=self._timeout_s)
        state = getattr(described.state, "name", str(described.state))
        return GroupAccess(state, len(described.members), _operations(described))

    def creatable(self, name: str, partitions: int, config: Mapping[str, str]) -> str | None:
        """None when the broker would create the topic (``validate_only``), else its reason."""
        from confluent_kafka import KafkaException
        from confluent_kafka.cimpl import NewTopic

        topic = NewTopic(
            name, num_partitions=partitions, replication_factor=-1, config=dict(config)
        )
        futures = self._admin.create_topics(
            [topic], request_timeout=self._timeout_s, validate_only=True
        )
        try:
            futures[name].result(timeout=self._timeout_s)
        except KafkaException as exc:
            return str(exc.args[0] if exc.args else exc)
        return None
