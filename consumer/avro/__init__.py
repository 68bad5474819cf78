"""Confluent-framed Avro: the schema-registry client, reader schemas and the decoder."""

from __future__ import annotations

from consumer.avro.decoder import Decoder
from consumer.avro.registry import SchemaRegistry, WriterSchema
from consumer.avro.schemas import ReaderSchemas, default_schemas_dir

__all__ = ["Decoder", "ReaderSchemas", "SchemaRegistry", "WriterSchema", "default_schemas_dir"]
