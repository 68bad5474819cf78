"""``signals-consumer check``: test the effective configuration against what it points at.

Every check reads, none writes: nothing is produced, committed or sent, no group is joined and
no topic is created. One :class:`Check` per line; the first matching row decides::

    check            ok when                                  fails (names the setting) when
    ---------------  ---------------------------------------  -----------------------------------
    kafka brokers    a metadata request answers in time       it does not (address or security:
                                                              SIGNALS_KAFKA_BOOTSTRAP_SERVERS);
                                                              the other Kafka checks are skipped
    topic T          T exists and READ is allowed (or the     T is missing, or READ is denied
                     broker reports no ACL operations: warn)  (SIGNALS_TOPICS)
    topic pattern    at least one topic matches               none matches (SIGNALS_TOPIC_PATTERN)
    consumer group   READ on the group is allowed (describe,  READ is denied
                     never a join)                            (SIGNALS_KAFKA_GROUP_ID)
    dead-letter      it exists and WRITE is allowed by the    WRITE is denied, or it is missing
    topic            ACLs; or it is missing and a             and cannot be created
                     ``validate_only`` creation passes         (SIGNALS_DLQ_TOPIC)
    schema registry  ``GET /subjects`` answers                it does not
                                                              (SIGNALS_SCHEMA_REGISTRY_URL)
    reader schema R  a subject holds record R (warn if none:  the schemas cannot be loaded
                     its events cannot have arrived yet)      (SIGNALS_SCHEMAS_DIR)
    connect API key  ``{ __typename }`` answers data          the key is refused (HTTP 401/403 or
                                                              code 401/UNAUTHENTICATED/...:
                                                              SIGNALS_CONNECT_API_KEY), or no
                                                              GraphQL answer (SIGNALS_CONNECT_URL)

Why the Connect check is harmless: :mod:`consumer.ops.doctor_connect`.

The dead-letter topic is never written to: WRITE is read from the broker's ACL answer
(``authorized_operations`` of a topic description). A broker without an authorizer reports
every operation; one that reports none gives ``warn`` ("writable not verified").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from consumer.avro.schemas import ReaderSchemas
from consumer.config import Settings
from consumer.errors import ConfigurationError
from consumer.text import clip

__all__ = [
    "Check",
    "Cluster",
    "GroupAccess",
    "KafkaProbe",
    "SubjectSource",
    "TopicAccess",
    "failed",
    "run_checks",
    "why",
]

Status = Literal["ok", "warn", "fail", "skip"]

_DETAIL_MAX = 300
_PATTERN_TOPICS_MAX = 50


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report: what was checked, how it went, why, and the setting to fix."""

    name: str
    status: Status
    detail: str
    setting: str | None = None


@dataclass(frozen=True, slots=True)
class Cluster:
    """What a metadata request tells: the cluster id, the brokers, the topic names."""

    cluster_id: str | None
    brokers: int
    topics: frozenset[str]


@dataclass(frozen=True, slots=True)
class TopicAccess:
    """A topic as described: ``operations`` None when the broker reports no ACL operations."""

    exists: bool
    partitions: int = 0
    operations: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class GroupAccess:
    """A consumer group as described (no join): state, member count, allowed operations."""

    state: str
    members: int
    operations: frozenset[str] | None = None


class KafkaProbe(Protocol):
    """The read-only Kafka questions the doctor asks (:mod:`consumer.ops.doctor_kafka`)."""

    def cluster(self) -> Cluster:
        """Metadata; raises when the brokers cannot be reached."""
        ...

    def topic(self, name: str) -> TopicAccess:
        """Describe one topic (with its authorized operations)."""
        ...

    def group(self, group_id: str) -> GroupAccess:
        """Describe one consumer group (with its authorized operations)."""
        ...

    def creatable(self, name: str, partitions: int, config: Mapping[str, str]) -> str | None:
        """None when creating the topic would succeed (validate only), else the reason."""
        ...


class SubjectSource(Protocol):
    """The registry questions (:class:`consumer.avro.registry.SchemaRegistry`)."""

    def list_subjects(self) -> list[str]:
        """Every subject; raises when the registry does not answer."""
        ...

    def latest_schema(self, subject: str) -> Any:
        """The latest Avro schema of ``subject`` as JSON, or None."""
        ...


def failed(checks: Iterable[Check]) -> bool:
    """True when any check failed (the command then exits non-zero)."""
    return any(check.status == "fail" for check in checks)


def why(exc: BaseException) -> str:
    """``Type: message`` of a probe failure, clipped for the report."""
    return clip(f"{type(exc).__name__}: {exc}", _DETAIL_MAX)


def _read(ops: frozenset[str] | None, op: str) -> tuple[Status, str]:
    if ops is None:
        return "warn", f"{op} not verified (the broker reports no ACL operations)"
    if op in ops:
        return "ok", f"{op} allowed"
    return "fail", f"{op} denied by the ACLs"


# --- Kafka -------------------------------------------------------------------------------------


def _topic_check(kafka: KafkaProbe, name: str, setting: str) -> Check:
    label = f"topic {name}"
    try:
        access = kafka.topic(name)
    except Exception as exc:  # a probe failure is reported, never raised
        return Check(label, "fail", why(exc), setting)
    if not access.exists:
        return Check(label, "fail", "does not exist", setting)
    status, detail = _read(access.operations, "READ")
    return Check(label, status, f"{access.partitions} partitions, {detail}", setting)


def _topic_checks(settings: Settings, kafka: KafkaProbe, cluster: Cluster) -> list[Check]:
    checks = [_topic_check(kafka, name, "SIGNALS_TOPICS") for name in settings.topics]
    if settings.topic_pattern:
        regex = re.compile(settings.topic_pattern)
        matched = sorted(t for t in cluster.topics if regex.search(t) and not t.startswith("__"))
        label = f"topic pattern {settings.topic_pattern}"
        if not matched:
            checks.append(Check(label, "fail", "matches no topic", "SIGNALS_TOPIC_PATTERN"))
        else:
            shown = ", ".join(matched[:5]) + (", ..." if len(matched) > 5 else "")
            checks.append(Check(label, "ok", f"matches {len(matched)}: {shown}"))
            checks.extend(
                _topic_check(kafka, name, "SIGNALS_TOPIC_PATTERN")
                for name in matched[:_PATTERN_TOPICS_MAX]
            )
    if not checks:
        checks.append(
            Check("topics", "fail", "none configured", "SIGNALS_TOPICS or SIGNALS_TOPIC_PATTERN")
        )
    return checks


def _group_check(settings: Settings, kafka: KafkaProbe) -> Check:
    label = f"consumer group {settings.kafka_group_id}"
    try:
        group = kafka.group(settings.kafka_group_id)
    except Exception as exc:
        return Check(label, "fail", why(exc), "SIGNALS_KAFKA_GROUP_ID")
    status, detail = _read(group.operations, "READ")
    return Check(
        label,
        status,
        f"{group.state.lower()}, {group.members} members, {detail}",
        "SIGNALS_KAFKA_GROUP_ID",
    )


def _dlq_check(settings: Settings, kafka: KafkaProbe, config: Mapping[str, str]) -> Check:
    name, setting = settings.dlq_topic, "SIGNALS_DLQ_TOPIC"
    label = f"dead-letter topic {name}"
    try:
        access = kafka.topic(name)
        if access.exists:
            status, detail = _read(access.operations, "WRITE")
            if status == "warn":
                detail = "exists, writable not verified (no ACL operations reported)"
            return Check(label, status, f"{detail}; nothing produced", setting)
        refusal = kafka.creatable(name, settings.dlq_partitions, config)
    except Exception as exc:
        return Check(label, "fail", why(exc), setting)
    if refusal is not None:
        return Check(label, "fail", f"missing and cannot be created: {refusal}", setting)
    return Check(label, "ok", "missing; `run` creates it (validated only, nothing created)")


def _kafka_checks(
    settings: Settings, kafka: KafkaProbe, dlq_config: Mapping[str, str]
) -> list[Check]:
    try:
        cluster = kafka.cluster()
    except Exception as exc:
        skipped = [
            Check(name, "skip", "the brokers cannot be reached")
            for name in ("topics", f"consumer group {settings.kafka_group_id}", "dead-letter topic")
        ]
        return [
            Check(
                "kafka brokers",
                "fail",
                f"cannot reach {settings.kafka_bootstrap_servers} "
                f"({settings.kafka_security_protocol}): {why(exc)}",
                "SIGNALS_KAFKA_BOOTSTRAP_SERVERS",
            ),
            *skipped,
        ]
    where = f"cluster {cluster.cluster_id}" if cluster.cluster_id else "cluster id unknown"
    return [
        Check(
            "kafka brokers",
            "ok",
            f"{cluster.brokers} broker(s), {where}, {settings.kafka_security_protocol}",
        ),
        *_topic_checks(settings, kafka, cluster),
        _group_check(settings, kafka),
        _dlq_check(settings, kafka, dlq_config),
    ]


# --- schema registry ---------------------------------------------------------------------------


def _record_names(schema: Any, namespace: str = "") -> set[str]:
    """Full names of the top-level records of a writer schema (a record or a union of them)."""
    if isinstance(schema, list):
        return {name for member in schema for name in _record_names(member, namespace)}
    if not isinstance(schema, dict) or schema.get("type") != "record" or "name" not in schema:
        return set()
    name, space = str(schema["name"]), str(schema.get("namespace") or namespace)
    return {name if "." in name or not space else f"{space}.{name}"}


def _registry_checks(settings: Settings, registry: SubjectSource, topics: list[str]) -> list[Check]:
    try:
        subjects = registry.list_subjects()
    except Exception as exc:
        return [
            Check(
                "schema registry",
                "fail",
                f"{settings.schema_registry_url}: {why(exc)}",
                "SIGNALS_SCHEMA_REGISTRY_URL",
            )
        ]
    checks = [
        Check("schema registry", "ok", f"{settings.schema_registry_url}: {len(subjects)} subjects")
    ]
    try:
        readers = ReaderSchemas.load(settings.schemas_dir)
    except ConfigurationError as exc:
        return [*checks, Check("reader schemas", "fail", str(exc), exc.setting)]
    found: dict[str, list[str]] = {}
    known = set(subjects)
    for topic in topics:  # TopicNameStrategy: the record is inside the schema
        subject = f"{topic}-value"
        if subject in known:
            for name in _record_names(registry.latest_schema(subject)):
                reader = readers.find(name)
                if reader is not None:
                    found.setdefault(reader.name, []).append(subject)
    for name in readers.names():  # RecordNameStrategy / TopicRecordNameStrategy: by name
        short = name.rpartition(".")[2]
        for subject in subjects:
            if subject == name or subject.endswith((f"-{name}", f".{name}", f"-{short}")):
                found.setdefault(name, []).append(subject)
    for name in readers.names():
        held = sorted(set(found.get(name, [])), key=lambda subject: (len(subject), subject))
        label = f"reader schema {name.rpartition('.')[2]}"
        if held:
            more = f" (+{len(held) - 1} more)" if len(held) > 1 else ""
            checks.append(Check(label, "ok", f"subject {held[0]}{more}"))
        else:
            checks.append(Check(label, "warn", f"{name}: no subject holds it (no events yet)"))
    return checks


# --- all ---------------------------------------------------------------------------------------


def run_checks(
    settings: Settings,
    *,
    kafka: KafkaProbe,
    registry: SubjectSource,
    connect: Callable[[Settings], Check],
    dlq_config: Mapping[str, str] | None = None,
) -> list[Check]:
    """Every check in order: Kafka, the registry and reader schemas, the Connect key."""
    return [
        *_kafka_checks(settings, kafka, dlq_config or {}),
        *_registry_checks(settings, registry, list(settings.topics)),
        connect(settings),
    ]
