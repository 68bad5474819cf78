"""SchemaRegistry: caches, negative cache, error classification, auth, references."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from consumer.avro.registry import MAX_SCHEMA_ID
from consumer.connect.backoff import MAX_RETRY_AFTER_S
from consumer.errors import (
    ConfigurationError,
    IncompatibleSchemaError,
    RegistryUnavailable,
    RetryableError,
    UnknownSchemaError,
)

from .fakes import Clock, RegistryStub, our_schemas, settings

CART = our_schemas()["AddToCartEvent"]


def test_schema_is_fetched_once_and_cached_forever() -> None:
    """A known id is fetched once; later look-ups come from the cache without a request."""
    stub = RegistryStub({7: CART})
    registry = stub.registry()
    first = registry.get(7)
    second = registry.get(7)
    assert first is second
    assert first.schema_id == 7
    assert first.name == "io.connectsignals.events.AddToCartEvent"
    assert first.parsed["type"] == "record"
    assert stub.calls == ["/schemas/ids/7"]


def test_unknown_id_is_remembered_for_the_negative_cache_time() -> None:
    """A 404/40403 raises UnknownSchemaError and is not asked again until the TTL passes."""
    clock = Clock()
    stub = RegistryStub({})
    registry = stub.registry(settings(schema_negative_cache_s=60), clock=clock)
    with pytest.raises(UnknownSchemaError) as first:
        registry.get(9)
    assert first.value.schema_id == 9
    assert "9" in first.value.reason
    clock.now += 59
    with pytest.raises(UnknownSchemaError):
        registry.get(9)
    assert stub.calls == ["/schemas/ids/9"]
    clock.now += 2
    stub.schemas[9] = CART  # registered meanwhile
    assert registry.get(9).schema_id == 9
    assert stub.calls == ["/schemas/ids/9", "/schemas/ids/9"]


def test_zero_negative_cache_asks_every_time() -> None:
    """With schema_negative_cache_s=0 an unknown id is asked for on every look-up."""
    stub = RegistryStub({})
    registry = stub.registry(settings(schema_negative_cache_s=0))
    for _ in range(3):
        with pytest.raises(UnknownSchemaError):
            registry.get(3)
    assert len(stub.calls) == 3


def test_out_of_range_id_is_unknown_without_a_request() -> None:
    """An id above the Java int range (a negative id on the wire) is unknown, no request made."""
    stub = RegistryStub({})
    with pytest.raises(UnknownSchemaError):
        stub.registry().get(MAX_SCHEMA_ID + 1)
    assert stub.calls == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retryable_and_not_cached(status: int) -> None:
    """A 5xx answer raises RegistryUnavailable (retryable) and the next look-up asks again."""
    stub = RegistryStub({7: CART}, status=status)
    registry = stub.registry()
    with pytest.raises(RegistryUnavailable) as raised:
        registry.get(7)
    assert isinstance(raised.value, RetryableError)
    assert raised.value.cause == "registry"
    assert str(status) in str(raised.value)
    stub.status = None
    assert registry.get(7).schema_id == 7


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed"),
    ],
    ids=["connect", "timeout", "protocol"],
)
def test_transport_errors_are_retryable(error: Exception) -> None:
    """Connection errors and timeouts raise RegistryUnavailable, wrapping the httpx error."""
    stub = RegistryStub({7: CART}, error=error)
    with pytest.raises(RegistryUnavailable) as raised:
        stub.registry().get(7)
    assert raised.value.__cause__ is error


def test_throttling_carries_retry_after() -> None:
    """A 429 raises RegistryUnavailable with the Retry-After delay."""
    stub = RegistryStub({7: CART}, status=429, headers={"retry-after": "3"})
    with pytest.raises(RegistryUnavailable) as raised:
        stub.registry().get(7)
    assert raised.value.retry_after_s == 3.0


def test_throttling_reads_an_http_date_retry_after() -> None:
    """A 429 whose Retry-After is an HTTP date carries a hint (the Connect client's parser)."""
    stub = RegistryStub(
        {7: CART}, status=429, headers={"retry-after": "Fri, 01 Jan 2100 00:00:00 GMT"}
    )
    with pytest.raises(RegistryUnavailable) as raised:
        stub.registry().get(7)
    assert raised.value.retry_after_s == MAX_RETRY_AFTER_S


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_retryable_and_name_the_setting(status: int) -> None:
    """401/403 never dead-letter events: RegistryUnavailable naming the basic-auth setting."""
    stub = RegistryStub({7: CART}, status=status)
    with pytest.raises(RegistryUnavailable, match="SIGNALS_SCHEMA_REGISTRY_BASIC_AUTH"):
        stub.registry().get(7)


def test_404_without_schema_error_code_is_a_wrong_url_not_an_unknown_schema() -> None:
    """A 404 that is not error 40403 (e.g. a wrong base path) is retryable, not UnknownSchema."""
    stub = RegistryStub({7: CART}, status=404)
    with pytest.raises(RegistryUnavailable, match="SIGNALS_SCHEMA_REGISTRY_URL"):
        stub.registry().get(7)


def test_non_json_answer_is_retryable() -> None:
    """A 200 whose body is not JSON (a proxy's HTML page) raises RegistryUnavailable."""

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>login</html>")

    from consumer.avro.registry import SchemaRegistry

    registry = SchemaRegistry(settings(), transport=httpx.MockTransport(handler))
    with pytest.raises(RegistryUnavailable, match="not JSON"):
        registry.get(1)


def test_basic_auth_is_sent() -> None:
    """``user:password`` from the settings goes out as HTTP basic auth."""
    stub = RegistryStub({7: CART})
    config = settings(schema_registry_basic_auth=SecretStr("svc:s3cr:et"))
    stub.registry(config).get(7)
    expected = "Basic " + base64.b64encode(b"svc:s3cr:et").decode()
    assert stub.auth == [expected]


def test_malformed_basic_auth_is_a_configuration_error() -> None:
    """A basic-auth value without a colon stops the process naming the setting."""
    with pytest.raises(ConfigurationError) as raised:
        RegistryStub().registry(settings(schema_registry_basic_auth=SecretStr("nocolon")))
    assert raised.value.setting == "SIGNALS_SCHEMA_REGISTRY_BASIC_AUTH"


def test_url_path_prefix_is_kept() -> None:
    """A registry URL with a path prefix prefixes every request path."""
    stub = RegistryStub({7: CART})
    stub.registry(settings(schema_registry_url="http://proxy.test/registry/")).get(7)
    assert stub.calls == ["/registry/schemas/ids/7"]


@pytest.mark.parametrize(
    ("schema", "kind", "match"),
    [
        (CART, "PROTOBUF", "PROTOBUF schema, not Avro"),
        ('{"type": "no-such-type"}', None, "not a valid Avro schema"),
        ("{not json", None, "not a valid Avro schema"),
    ],
    ids=["protobuf", "invalid-avro", "invalid-json"],
)
def test_unreadable_schema_is_incompatible_and_cached(
    schema: Any, kind: str | None, match: str
) -> None:
    """A schema we can never read raises IncompatibleSchemaError, remembered for the id."""
    stub = RegistryStub({4: schema}, schema_types={4: kind} if kind else {})
    registry = stub.registry()
    for _ in range(2):
        with pytest.raises(IncompatibleSchemaError, match=match) as raised:
            registry.get(4)
        assert raised.value.schema_id == 4
    assert stub.calls == ["/schemas/ids/4"]


def test_references_are_fetched_and_parsed_first() -> None:
    """A schema with references gets the referenced types from their subject versions."""
    money = {
        "type": "record",
        "name": "Money",
        "namespace": "com.shop",
        "fields": [{"name": "cents", "type": "long"}],
    }
    order = {
        "type": "record",
        "name": "Order",
        "namespace": "com.shop",
        "fields": [{"name": "total", "type": "com.shop.Money"}],
    }
    stub = RegistryStub(
        {5: order},
        references={5: [{"name": "com.shop.Money", "subject": "money-value", "version": 2}]},
        versions={("money-value", 2): money},
    )
    schema = stub.registry().get(5)
    assert schema.name == "com.shop.Order"
    assert "com.shop.Money" in schema.parsed["__named_schemas"]
    assert stub.calls == ["/schemas/ids/5", "/subjects/money-value/versions/2"]


def test_missing_reference_makes_the_schema_unknown() -> None:
    """A reference whose subject version is gone raises UnknownSchemaError for the id."""
    order = {
        "type": "record",
        "name": "Order",
        "fields": [{"name": "total", "type": "Money"}],
    }
    stub = RegistryStub(
        {5: order}, references={5: [{"name": "Money", "subject": "money", "version": 1}]}
    )
    with pytest.raises(UnknownSchemaError, match="reference money/1"):
        stub.registry().get(5)


def test_subjects_are_fetched_once() -> None:
    """The subjects of an id are asked for once and cached; unknown ids have none."""
    stub = RegistryStub({7: CART}, subjects={7: ["events-value"]})
    registry = stub.registry()
    assert registry.subjects(7) == ("events-value",)
    assert registry.subjects(7) == ("events-value",)
    assert registry.subjects(8) == ()
    assert stub.calls == ["/schemas/ids/7/subjects", "/schemas/ids/8/subjects"]


def test_close_closes_the_client() -> None:
    """close() (or leaving the ``with`` block) closes the one long-lived HTTP client."""
    stub = RegistryStub({7: CART})
    with stub.registry() as registry:
        registry.get(7)
        assert not registry._http.is_closed
    assert registry._http.is_closed


@pytest.mark.parametrize("url", ["ftp://registry.test", "registry.test:8081"])
def test_url_that_is_not_http_is_a_configuration_error(url: str) -> None:
    """A registry URL that is not http(s) stops start-up naming the setting."""
    with pytest.raises(ConfigurationError) as raised:
        RegistryStub().registry(settings(schema_registry_url=url))
    assert raised.value.setting == "SIGNALS_SCHEMA_REGISTRY_URL"


def test_404_with_a_list_body_is_not_an_unknown_schema() -> None:
    """A 404 whose JSON body is not an object is treated as a wrong URL (retryable)."""

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json=["nope"])

    from consumer.avro.registry import SchemaRegistry

    registry = SchemaRegistry(settings(), transport=httpx.MockTransport(handler))
    with pytest.raises(RegistryUnavailable):
        registry.get(1)
