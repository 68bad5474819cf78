"""Behaviour of the built-in mapper: envelope handling, defaults, pass-through, errors."""

from __future__ import annotations

from typing import Any

import pytest

from consumer.config import Settings
from consumer.errors import MappingError
from consumer.mapping import DecodedEvent, Mapper
from tests.unit.mapping.samples import sample

NAME = "io.connectsignals.events."


def _map(data: dict[str, Any], record: str = "PageViewEvent", **settings: Any) -> Any:
    mapper = Mapper(Settings(**{"default_app_key": "app-default", **settings}))
    return mapper.map(DecodedEvent(1, NAME + record, None, data), topic="shop")


def test_event_app_key_wins_over_configuration() -> None:
    """An app key carried by the event is used instead of the configured one."""
    assert _map(sample("PageViewEvent", appKey="app-own")).app_key == "app-own"


def test_topic_app_key_is_used_when_event_has_none() -> None:
    """Without an event app key the topic's configured app key is used."""
    signal = _map(sample("PageViewEvent"), topic_app_keys={"shop": "app-shop"})
    assert signal.app_key == "app-shop"


def test_missing_app_key_everywhere_names_app_key() -> None:
    """No app key in the event nor in the configuration is a MappingError naming appKey."""
    with pytest.raises(MappingError) as err:
        _map(sample("PageViewEvent"), default_app_key=None)
    assert err.value.field == "appKey"


@pytest.mark.parametrize("identity", [{}, {"email": "a@b.io", "contactKey": "K-1"}, {"email": ""}])
def test_identity_must_be_exactly_one(identity: dict[str, Any]) -> None:
    """Zero or two identity fields are a MappingError naming identifiableAttributes."""
    data = sample("PageViewEvent", **{"email": None, **identity})
    with pytest.raises(MappingError) as err:
        _map(data)
    assert err.value.field == "identifiableAttributes"


def test_sms_identity_is_used() -> None:
    """An sms number becomes the sms identifiable attribute."""
    signal = _map(sample("PageViewEvent", email=None, sms="+4915112345678"))
    assert signal.as_input()["identifiableAttributes"] == {"sms": "+4915112345678"}


def test_on_site_search_effect_is_positive_with_results() -> None:
    """An on-site search with results defaults to a positive effect."""
    signal = _map(sample("OnSiteSearchEvent", numberOfResults=3), "OnSiteSearchEvent")
    assert signal.content["effect"] == "positive"


def test_event_name_and_effect_override_defaults() -> None:
    """A name and effect given by the event replace the type's defaults."""
    signal = _map(sample("PageViewEvent", name="Help page", effect="negative"))
    assert (signal.content["name"], signal.content["effect"]) == ("Help page", "negative")


def test_unknown_extra_fields_pass_through() -> None:
    """Fields that are neither envelope nor table fields reach signalContent unchanged."""
    signal = _map(sample("PageViewEvent", referrer="https://x.example", score=None))
    assert signal.content["referrer"] == "https://x.example"
    assert "score" not in signal.content


def test_test_flag_from_settings_or_event() -> None:
    """The test flag is set by the event or by settings.test_signals."""
    assert _map(sample("PageViewEvent", test=True)).test is True
    assert _map(sample("PageViewEvent"), test_signals=True).test is True
    assert _map(sample("PageViewEvent")).test is False


def test_event_id_attribute_is_appended_once() -> None:
    """The eventId custom attribute is last and replaces a same-named event attribute."""
    data = sample("PageViewEvent", attributes={"eventId": "spoof", "a": "1"})
    attrs = _map(data).content["signalCustomAttributes"]
    assert attrs == [{"name": "a", "value": "1"}, {"name": "eventId", "value": "evt-0001"}]


def test_unknown_record_is_a_mapping_error() -> None:
    """A record that is neither ours nor custom-mapped is a MappingError."""
    mapper = Mapper(Settings(default_app_key="k"))
    with pytest.raises(MappingError, match="no mapping"):
        mapper.map(
            DecodedEvent(1, "com.other.PageViewEvent", None, sample("PageViewEvent")), topic="t"
        )


def test_bad_event_time_names_event_time() -> None:
    """An eventTime that is not a timestamp is a MappingError naming eventTime."""
    with pytest.raises(MappingError) as err:
        _map(sample("PageViewEvent", eventTime="yesterday"))
    assert err.value.field == "eventTime"
