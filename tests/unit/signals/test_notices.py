"""Signals sent although Connect may discard them: counted per kind, type and field; logged."""

from __future__ import annotations

from structlog.testing import capture_logs

from consumer.pipeline.metrics import Metrics
from consumer.signals.notices import (
    ENUM_VALUE_UNKNOWN,
    MISSING_EXPECTED_FIELD,
    Notice,
    NoticeCounts,
)

URL = Notice(MISSING_EXPECTED_FIELD, "pageView", "url")
MEDIA = Notice(ENUM_VALUE_UNKNOWN, "richMediaInteraction", "interactionType")


def test_counts_by_kind_type_and_field() -> None:
    """Each notice adds one to its own (kind, signal type, field) count."""
    counts = NoticeCounts()
    counts.add([URL, MEDIA])
    counts.add([URL])
    assert counts.counts == {URL: 2, MEDIA: 1}


def test_logs_the_first_and_every_tenfold_notice_without_values() -> None:
    """One log line at the 1st, 10th and 100th notice of a kind, with names and count only."""
    counts = NoticeCounts()
    with capture_logs() as logs:
        for _ in range(150):
            counts.add([URL])
    assert [entry["count"] for entry in logs] == [1, 10, 100]
    assert set(logs[0]) - {"component", "event", "log_level"} == {
        "notice",
        "signal_type",
        "field",
        "count",
    }
    assert logs[0]["event"] == "signal_may_be_discarded"


def test_metrics_expose_both_counters_by_signal_type_and_field() -> None:
    """The pipeline's metrics render the counts the translator feeds them."""
    metrics = Metrics()
    metrics.notices.add([URL, URL, MEDIA])
    text = metrics.render().decode()
    assert 'signals_missing_expected_field_total{field="url",signal_type="pageView"} 2.0' in text
    assert (
        'signals_enum_value_unknown_total{field="interactionType",'
        'signal_type="richMediaInteraction"} 1.0'
    ) in text
