"""dev/sample_producer.py (docker-compose.yml's producer) writes events the consumer translates."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dev.sample_producer import SAMPLES
from tests.integration.test_decode_registry import consume, translator

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_sample_producer_events_translate_to_signals(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str]
) -> None:
    """`python -m dev.sample_producer --count N` delivers N events, one per sample type in turn."""
    topic = make_topic(partitions=1)
    count = len(SAMPLES) + 2
    args = ["--topic", topic, "--count", str(count), "--bootstrap-servers", kafka_bootstrap]
    proc = subprocess.run(
        [sys.executable, "-m", "dev.sample_producer", *args, "--registry-url", schema_registry_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"{count} delivered, 0 failed" in proc.stdout
    tr = translator(schema_registry_url)
    try:
        records = []
        for msg in consume(kafka_bootstrap, topic, count):
            event, _signal = tr.translate_event(msg)
            assert (msg.key() or b"").endswith(b"@example.com")
            records.append(event.record_name.rsplit(".", 1)[-1])
    finally:
        tr.close()
    names = [json.loads((ROOT / "schemas" / f"{n}.avsc").read_text())["name"] for n in SAMPLES]
    assert records == [names[i % len(names)] for i in range(count)]
