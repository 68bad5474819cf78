"""The local Kafka's storage formats on every start: 200 fresh formats in a row.

``make test`` on a fresh machine used to fail now and then at ``stack-up``: the cluster id is
base64url of a random UUID, about one in 64 of which starts with ``-``, and kafka-storage's
argument parser reads such an id as an option ("argument --cluster-id/-t: expected one
argument"). The format step is the one that failed, so this test repeats exactly that step
through the code path ``start_kafka`` uses (:func:`dev.stack_kafka.prepare_storage`: render
``server.properties``, draw an id, run ``kafka-storage format``) with a fresh data directory
each time, without starting the broker. Each format starts a JVM (about 1.8 s on two idle
cores), so 200 take six minutes or more (16 with the cores shared): it is marked ``soak`` and
runs only under ``make stack-soak``
(``pytest -m soak``), never in ``make test``. ``KAFKA_FORMAT_RUNS`` changes the count.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dev.stack_kafka import ensure_jars, prepare_storage

__all__: list[str] = []

pytestmark = [pytest.mark.slow, pytest.mark.soak]

RUNS = int(os.environ.get("KAFKA_FORMAT_RUNS", "200"))


def test_storage_formats_every_time_with_fresh_data(tmp_path: Path) -> None:
    """Formatting fresh data directories succeeds ``RUNS`` times in a row, each with a new id."""
    ensure_jars()
    ids: set[str] = set()
    for run in range(RUNS):
        data = tmp_path / "data"
        prepare_storage(data=data, properties=tmp_path / "server.properties", logs=tmp_path)
        meta = (data / "meta.properties").read_text(encoding="utf-8")
        ids.add(next(line for line in meta.splitlines() if line.startswith("cluster.id=")))
        assert len(ids) == run + 1, "a fresh format reused a cluster id"
        shutil.rmtree(data)
