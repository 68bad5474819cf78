"""Custom mapping files: the shipped e-commerce example and start-up errors with file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from consumer.config import Settings
from consumer.errors import ConfigurationError, MappingError
from consumer.mapping import DecodedEvent, Mapper
from consumer.mapping.custom import load_mappings
from consumer.mapping.paths import ALL, compile_path, read_path
from consumer.signals.rules import validate_signal

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "mappings"
RECORD = "com.example.shop.ShopEvent"


def _shop_event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": "e-1", "occurredAt": 1746093600123, "action": "CART_ADD", "storeAppKey": None,
        "customer": {"customerId": None, "email": "  Jane@Example.COM "}, "sessionId": "s-1",
        "currency": "eur",
        "product": {"sku": "S-1", "title": "Shoe", "priceCents": 8950, "url": None},
        "quantity": None, "orderNumber": None, "totalCents": None, "taxCents": None,
        "lines": [], "context": {"locale": "de-DE"},
    }  # fmt: skip
    event.update(changes)
    return event


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    """A mapper loading examples/mappings."""
    return Mapper(Settings(default_app_key="app", mapping_files=[str(EXAMPLES)]))


def _map(mapper: Mapper, data: dict[str, Any]) -> Any:
    return mapper.map(DecodedEvent(3, RECORD, "shop-value", data), topic="shop")


def test_example_maps_cart_add(mapper: Mapper) -> None:
    """A CART_ADD shop event becomes an addToCart with transforms and defaults applied."""
    signal = _map(mapper, _shop_event())
    assert signal.as_input()["identifiableAttributes"] == {"email": "jane@example.com"}
    content = signal.content
    assert content["signalType"] == "addToCart"
    assert (content["currency"], content["unitPrice"], content["itemQuantity"]) == ("EUR", 89.5, 1)
    assert content["signalTimestamp"] == "2025-05-01T10:00:00.123Z"
    assert content["signalCustomAttributes"] == [
        {"name": "locale", "value": "de-DE"},
        {"name": "channel", "value": "web"},
        {"name": "eventId", "value": "e-1"},
    ]
    validate_signal(signal, tier="pro")


def test_example_maps_purchase_with_lines(mapper: Mapper) -> None:
    """A PURCHASE becomes an order whose lines come from lines[*]."""
    lines = [{"sku": "S-1", "title": "Shoe", "qty": 2, "unitCents": 6000}]
    data = _shop_event(action="PURCHASE", product=None, orderNumber="O-1", totalCents=13460,
                       lines=lines, customer={"customerId": "C-9", "email": None})  # fmt: skip
    signal = _map(mapper, data)
    assert signal.identity_kind == "contactKey"
    assert signal.content["orderValue"] == 134.6
    assert signal.content["orderedItems"] == [
        {"productId": "S-1", "productName": "Shoe", "itemQuantity": 2, "unitPrice": 60.0}
    ]
    validate_signal(signal, tier="pro")


def test_example_maps_product_view(mapper: Mapper) -> None:
    """A PRODUCT_VIEW becomes a valid productView with price mirrored."""
    signal = _map(mapper, _shop_event(action="PRODUCT_VIEW"))
    assert signal.content["price"] == signal.content["unitPrice"] == 89.5
    validate_signal(signal, tier="premium")


def test_unmapped_case_is_a_mapping_error(mapper: Mapper) -> None:
    """An action without a case is a MappingError naming the case field."""
    with pytest.raises(MappingError) as err:
        _map(mapper, _shop_event(action="OTHER"))
    assert err.value.field == "action"


def test_missing_required_source_names_source_path(mapper: Mapper) -> None:
    """A required signal field whose source is missing names the source path."""
    with pytest.raises(MappingError) as err:
        _map(mapper, _shop_event(product=None))
    assert err.value.field == "product.sku"


def test_paths() -> None:
    """Paths read nested records, indexes, fan-outs and map keys; missing steps give None."""
    data = {"a": {"b": [{"c": 1}, {"c": 2}, {}]}, "m": {"k.x": "v"}}
    assert compile_path("a.b[*].c") == ("a", "b", ALL, "c")
    assert read_path(compile_path("a.b[*].c"), data) == [1, 2]
    assert read_path(compile_path("a.b[1].c"), data) == 2
    assert read_path(compile_path("a.b[9].c"), data) is None
    assert read_path(compile_path('m["k.x"]'), data) == "v"
    assert read_path(compile_path("a.z.c"), data) is None


@pytest.mark.parametrize("bad", ["", "a..b", "a.", "[0]", "a b", "a.b[x]"])
def test_bad_path_syntax(bad: str) -> None:
    """Malformed paths are refused at compile time."""
    with pytest.raises(ValueError, match="bad path"):
        compile_path(bad)


_BASE = """\
mappings:
  - match: {record: com.example.X}
    signalType: pageView
    identity:
      email: user.email
    fields:
      pageView:
        url: page.url
"""


@pytest.mark.parametrize(
    ("text", "line", "where"),
    [
        (_BASE.replace("url: page.url", "url: {from: page.url, transform: cents}"), 8,
         "mappings[0].fields.pageView.url.transform"),
        (_BASE.replace("signalType: pageView", "signalType: pageVisit"), 3,
         "mappings[0].signalType"),
        (_BASE.replace("url: page.url", "url: page..url"), 8,
         "mappings[0].fields.pageView.url.from"),
        (_BASE.replace("    identity:", "    colour: red\n    identity:"), 4, "mappings[0].colour"),
        (_BASE.replace("email: user.email", "fax: user.fax"), 5, "mappings[0].identity.fax"),
        (_BASE.replace("signalType: pageView", "signalType: order")
         .replace("pageView:", "order:"), 7, "mappings[0].fields.order"),
        ("mappings: {}\n", 1, "mappings"),
    ],
)  # fmt: skip
def test_start_up_errors_name_file_line_and_field(
    tmp_path: Path, text: str, line: int, where: str
) -> None:
    """A broken mapping file stops start-up naming the file, the line and the field."""
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigurationError) as err:
        load_mappings([str(path)])
    assert err.value.setting == "SIGNALS_MAPPING_FILES"
    assert str(err.value).startswith(f"{path}:{line}: {where}:")


def test_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    """A mapping file that does not exist stops start-up."""
    with pytest.raises(ConfigurationError, match="no such mapping file"):
        load_mappings([str(tmp_path / "nope.yaml")])


def test_duplicate_record_across_files(tmp_path: Path) -> None:
    """Two files mapping the same record are refused."""
    (tmp_path / "a.yaml").write_text(_BASE)
    (tmp_path / "b.yaml").write_text(_BASE)
    with pytest.raises(ConfigurationError, match="already mapped"):
        load_mappings([str(tmp_path)])


def test_subject_match_wins(tmp_path: Path) -> None:
    """A mapping matched by subject is used for a record of any name."""
    (tmp_path / "s.yaml").write_text(_BASE.replace("record: com.example.X", "subject: web-value"))
    mapper = Mapper(Settings(default_app_key="k", mapping_files=[str(tmp_path)]))
    data = {"eventId": "e", "eventTime": 0, "user": {"email": "a@b.io"}, "page": {"url": "u"}}
    signal = mapper.map(DecodedEvent(1, "any.Record", "web-value", data), topic="t")
    assert signal.content["url"] == "u"
    assert signal.content["signalTimestamp"] == "1970-01-01T00:00:00.000Z"
