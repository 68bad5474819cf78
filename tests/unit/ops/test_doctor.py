"""The doctor (signals-consumer check): one line per check, the failing part named (issue 16.7)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from consumer.avro.registry import SchemaRegistry
from consumer.avro.schemas import ReaderSchemas
from consumer.config import Settings
from consumer.ops.doctor import Check, Cluster, GroupAccess, TopicAccess, failed, run_checks
from consumer.ops.doctor_connect import TYPENAME_QUERY, check_connect
from tests.unit.ops.fakes import ops_settings

ALL = frozenset({"READ", "WRITE", "DESCRIBE", "CREATE"})
READER = ReaderSchemas.load().names()[0]


@dataclass
class FakeKafka:
    """A KafkaProbe answering from fields; ``down`` makes metadata fail like dead brokers."""

    topics: dict[str, TopicAccess] = field(
        default_factory=lambda: {"t": TopicAccess(True, 3, ALL), "dlq": TopicAccess(True, 3, ALL)}
    )
    group_ops: frozenset[str] | None = ALL
    down: bool = False
    refusal: str | None = None
    asked_to_create: list[str] = field(default_factory=list)

    def cluster(self) -> Cluster:
        if self.down:
            raise RuntimeError("KafkaError{code=_TRANSPORT}")
        return Cluster("c1", 1, frozenset(self.topics))

    def topic(self, name: str) -> TopicAccess:
        return self.topics.get(name, TopicAccess(exists=False))

    def group(self, group_id: str) -> GroupAccess:
        return GroupAccess("STABLE", 2, self.group_ops)

    def creatable(self, name: str, partitions: int, config: Mapping[str, str]) -> str | None:
        self.asked_to_create.append(name)
        return self.refusal


def _registry(settings: Settings, handler: Callable[[httpx.Request], httpx.Response]) -> Any:
    return SchemaRegistry(settings, transport=httpx.MockTransport(handler))


def _subjects(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/subjects":
        return httpx.Response(200, json=["t-value"])
    record = {"type": "record", "name": READER, "fields": []}
    return httpx.Response(200, json={"schema": json.dumps(record)})


def _connect_ok(settings: Settings) -> Check:
    return Check("connect API key", "ok", "accepted")


def _run(kafka: FakeKafka, settings: Settings | None = None, registry: Any = None) -> list[Check]:
    s = settings or ops_settings(topics=["t"])
    return run_checks(
        s, kafka=kafka, registry=registry or _registry(s, _subjects), connect=_connect_ok
    )


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_everything_reachable_passes_with_one_line_per_check() -> None:
    """A healthy setup fails nothing and reports brokers, topic, group, DLQ, registry, key."""
    checks = _run(FakeKafka())
    names = _by_name(checks)
    assert not failed(checks)
    assert names["topic t"].status == "ok"
    assert names["dead-letter topic dlq"].status == "ok"
    assert names[f"reader schema {READER.rpartition('.')[2]}"].detail == "subject t-value"
    assert names["schema registry"].status == "ok"


def test_unreachable_brokers_name_the_bootstrap_setting_and_skip_the_kafka_checks() -> None:
    """Dead brokers fail one line naming SIGNALS_KAFKA_BOOTSTRAP_SERVERS; the rest are skipped."""
    checks = _run(FakeKafka(down=True))
    assert checks[0].status == "fail"
    assert checks[0].setting == "SIGNALS_KAFKA_BOOTSTRAP_SERVERS"
    assert [c.status for c in checks[1:4]] == ["skip", "skip", "skip"]


def test_a_missing_topic_fails_naming_signals_topics() -> None:
    """A configured topic that does not exist is a failure naming SIGNALS_TOPICS."""
    check = _by_name(_run(FakeKafka(), ops_settings(topics=["t", "gone"])))["topic gone"]
    assert (check.status, check.setting) == ("fail", "SIGNALS_TOPICS")


def test_a_pattern_without_a_match_fails() -> None:
    """A topic pattern that matches no topic fails naming SIGNALS_TOPIC_PATTERN."""
    checks = _run(FakeKafka(), ops_settings(topic_pattern="^web\\."))
    assert [c.setting for c in checks if c.status == "fail"] == ["SIGNALS_TOPIC_PATTERN"]


def test_denied_read_on_the_group_fails() -> None:
    """ACLs that leave READ off the group fail naming SIGNALS_KAFKA_GROUP_ID."""
    checks = _run(FakeKafka(group_ops=frozenset({"DESCRIBE"})))
    assert [c.setting for c in checks if c.status == "fail"] == ["SIGNALS_KAFKA_GROUP_ID"]


def test_an_unwritable_dead_letter_topic_fails_and_nothing_is_produced() -> None:
    """A DLQ topic without WRITE fails naming SIGNALS_DLQ_TOPIC (the ACL answer, no produce)."""
    kafka = FakeKafka()
    kafka.topics["dlq"] = TopicAccess(True, 3, frozenset({"READ", "DESCRIBE"}))
    checks = _run(kafka)
    assert [c.setting for c in checks if c.status == "fail"] == ["SIGNALS_DLQ_TOPIC"]


def test_without_acl_answers_the_dead_letter_topic_is_not_verified_writable() -> None:
    """A broker that reports no operations gives a warning, not a pass or a failure."""
    kafka = FakeKafka()
    kafka.topics["dlq"] = TopicAccess(True, 3, None)
    check = _by_name(_run(kafka))["dead-letter topic dlq"]
    assert check.status == "warn"
    assert "writable not verified" in check.detail


def test_a_missing_dead_letter_topic_passes_when_it_could_be_created() -> None:
    """A missing DLQ topic is fine when a validate-only creation passes; a refusal fails."""
    kafka = FakeKafka()
    del kafka.topics["dlq"]
    assert _by_name(_run(kafka))["dead-letter topic dlq"].status == "ok"
    assert kafka.asked_to_create == ["dlq"]
    kafka.refusal = "TOPIC_AUTHORIZATION_FAILED"
    check = _by_name(_run(kafka))["dead-letter topic dlq"]
    assert (check.status, check.setting) == ("fail", "SIGNALS_DLQ_TOPIC")


def test_a_registry_that_does_not_answer_fails_naming_its_url() -> None:
    """A registry answering 404 to /subjects (a wrong URL) fails naming the registry URL."""
    s = ops_settings(topics=["t"])
    registry = _registry(s, lambda request: httpx.Response(404, text="no such page"))
    checks = _run(FakeKafka(), s, registry)
    assert [c.setting for c in checks if c.status == "fail"] == ["SIGNALS_SCHEMA_REGISTRY_URL"]


def test_a_reader_schema_without_a_subject_is_a_warning() -> None:
    """A reader record no subject holds warns (its events cannot have arrived) but passes."""
    s = ops_settings(topics=["t"])
    registry = _registry(s, lambda request: httpx.Response(200, json=[]))
    checks = _run(FakeKafka(), s, registry)
    assert not failed(checks)
    assert {c.status for c in checks if c.name.startswith("reader schema")} == {"warn"}


# --- Connect -------------------------------------------------------------------------------------


def _connect(handler: Callable[[httpx.Request], httpx.Response]) -> Check:
    s = ops_settings(connect_url="http://connect.test/graphql")
    return check_connect(s, timeout_s=1.0, transport=httpx.MockTransport(handler))


def test_the_key_is_proved_with_a_typename_query_only() -> None:
    """The only request is the query { __typename } with the key; its data answer passes."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"__typename": "Query"}})

    assert _connect(answer).status == "ok"
    assert [json.loads(r.content)["query"] for r in seen] == [TYPENAME_QUERY]
    assert seen[0].headers["x-api-key"] == "k"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"errors": [{"message": "Unauthorized", "extensions": {"code": "401"}}]}),
        (401, {"message": "no"}),
        (200, {"errors": [{"message": "x", "extensions": {"code": "UNAUTHENTICATED"}}]}),
    ],
)
def test_a_refused_key_fails_naming_the_api_key(status: int, body: dict[str, Any]) -> None:
    """Connect's refusals (HTTP 401, or code 401/UNAUTHENTICATED at HTTP 200) name the key."""
    check = _connect(lambda request: httpx.Response(status, json=body))
    assert (check.status, check.setting) == ("fail", "SIGNALS_CONNECT_API_KEY")


def test_an_endpoint_that_is_not_graphql_fails_naming_the_url() -> None:
    """An HTML page or a refused connection fails naming SIGNALS_CONNECT_URL."""
    page = _connect(lambda request: httpx.Response(200, text="<html>hello</html>"))
    assert (page.status, page.setting) == ("fail", "SIGNALS_CONNECT_URL")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    assert _connect(refuse).setting == "SIGNALS_CONNECT_URL"


def test_an_unreachable_region_host_names_the_region() -> None:
    """Without SIGNALS_CONNECT_URL the host is SIGNALS_CONNECT_REGION's: a failure names it."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    s = ops_settings(connect_region="eu")
    check = check_connect(s, timeout_s=1.0, transport=httpx.MockTransport(refuse))
    assert (check.status, check.setting) == ("fail", "SIGNALS_CONNECT_REGION")


def test_a_missing_key_fails_without_a_request() -> None:
    """No SIGNALS_CONNECT_API_KEY: a failure naming it."""
    check = check_connect(Settings(connect_api_key=None), timeout_s=1.0)
    assert (check.status, check.setting) == ("fail", "SIGNALS_CONNECT_API_KEY")
