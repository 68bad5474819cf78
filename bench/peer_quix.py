"""The peer pipeline on quixstreams (run by the quixstreams venv, see :mod:`bench.peer`).

The same job as ``signals-consumer run``, written the way a quixstreams user would:

* source: a quixstreams ``Application`` consuming ``PEER_TOPIC`` from the earliest offset, the
  values decoded by quixstreams' ``AvroDeserializer`` against our schema registry
  (``SchemaRegistryClientConfig``) - confluent-kafka's registry deserializer underneath,
  writer schema per id. A thin subclass also hands on the record name (read once per schema
  id from the registry), which the mapping needs to pick the signal type;
* mapping: **the consumer's own** :class:`consumer.mapping.Mapper` tables, validation
  (:func:`consumer.signals.rules.validate_signal`) and literal encoder, so the per-event work
  of the mapping is identical and the comparison is about the frameworks;
* sink: a ``BatchingSink`` whose ``write`` posts ``createSignals`` mutations of at most 500
  signals to the sandbox with one ``httpx.Client`` (the body built like our client's).

Stops when no message arrived for ``PEER_IDLE_S`` seconds (``Application.run(timeout=...)``).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import orjson  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from quixstreams import Application  # noqa: E402
from quixstreams.models.serializers.avro import AvroDeserializer  # noqa: E402
from quixstreams.models.serializers.schema_registry import (  # noqa: E402
    SchemaRegistryClientConfig,
)
from quixstreams.sinks import BatchingSink, SinkBatch  # noqa: E402

from consumer.config import Settings  # noqa: E402
from consumer.mapping.custom import CustomMappings  # noqa: E402
from consumer.mapping.event import DecodedEvent  # noqa: E402
from consumer.mapping.mapper import Mapper  # noqa: E402
from consumer.signals.graphql_literal import build_mutation, encode_input  # noqa: E402
from consumer.signals.rules import validate_signal  # noqa: E402

__all__ = ["ConnectSink", "NamedAvroDeserializer", "main"]

BATCH = 500


class NamedAvroDeserializer(AvroDeserializer):  # type: ignore[misc]
    """quixstreams' registry Avro deserializer, returning ``(schema_id, record name, data)``."""

    def __init__(self, registry_url: str) -> None:
        super().__init__(schema_registry_client_config=SchemaRegistryClientConfig(url=registry_url))
        self._client = httpx.Client(base_url=registry_url, timeout=10)
        self._names: dict[int, str] = {}

    def _name(self, schema_id: int) -> str:
        name = self._names.get(schema_id)
        if name is None:
            schema = json.loads(self._client.get(f"/schemas/ids/{schema_id}").json()["schema"])
            namespace = schema.get("namespace")
            name = f"{namespace}.{schema['name']}" if namespace else schema["name"]
            self._names[schema_id] = name
        return name

    def __call__(self, value: bytes, ctx: Any) -> Any:
        data = super().__call__(value, ctx)
        schema_id = int.from_bytes(value[1:5], "big")
        return (schema_id, self._name(schema_id), data)


class ConnectSink(BatchingSink):  # type: ignore[misc]
    """Posts the batched literals as createSignals mutations of at most 500 signals."""

    def __init__(self, url: str, api_key: str) -> None:
        super().__init__()
        self._url = url
        self._http = httpx.Client(
            timeout=30, headers={"x-api-key": api_key, "content-type": "application/json"}
        )
        self.sent = 0

    def write(self, batch: SinkBatch) -> None:
        literals = [item.value for item in batch]
        for start in range(0, len(literals), BATCH):
            chunk = literals[start : start + BATCH]
            body = b'{"query":' + orjson.dumps(build_mutation(chunk)) + b',"variables":{}}'
            response = self._http.post(self._url, content=body)
            response.raise_for_status()
            ids = response.json()["data"]["createSignals"]["signalIds"]
            if len(ids) != len(chunk):
                raise RuntimeError(f"expected {len(chunk)} ids, got {len(ids)}")
            self.sent += len(chunk)


def main() -> int:
    """Run the peer until idle; prints one JSON line with the count sent."""
    env = os.environ
    topic_name, idle_s = env["PEER_TOPIC"], float(env.get("PEER_IDLE_S", "2"))
    settings = Settings(
        topics=[topic_name],
        connect_api_key=SecretStr(env["PEER_API_KEY"]),
        default_app_key=env["PEER_APP_KEY"],
        tier="premium",
        metrics_port=0,
    )
    mapper = Mapper(settings, custom=CustomMappings())

    def to_literal(value: tuple[int, str, dict[str, Any]]) -> str:
        schema_id, record, data = value
        signal = mapper.map(DecodedEvent(schema_id, record, None, data), topic=topic_name)
        validate_signal(signal, tier="premium")
        return encode_input(signal.as_input())

    with tempfile.TemporaryDirectory() as state_dir:
        app = Application(
            broker_address=env["PEER_BOOTSTRAP"],
            consumer_group=env["PEER_GROUP"],
            auto_offset_reset="earliest",
            state_dir=state_dir,
            loglevel="WARNING",
        )
        topic = app.topic(
            topic_name,
            value_deserializer=NamedAvroDeserializer(env["PEER_REGISTRY"]),
            key_deserializer="bytes",
        )
        sink = ConnectSink(env["PEER_SANDBOX_URL"], env["PEER_API_KEY"])
        sdf = app.dataframe(topic)
        sdf = sdf.apply(to_literal)
        sdf.sink(sink)
        app.run(timeout=idle_s, collect=False)
    print(json.dumps({"peer_sent": sink.sent}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
