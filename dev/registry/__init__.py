"""A small Confluent-compatible schema registry for the local dev/test stack.

Speaks the subset of the Confluent Schema Registry REST API that confluent-kafka's
``SchemaRegistryClient``, ``AvroSerializer`` and ``AvroDeserializer`` use (Avro only): global
stable ids (same schema text -> same id), subjects with versions, soft/hard deletes, global and
per-subject compatibility levels checked by Avro schema-resolution rules, errors as
``{"error_code": 40401, "message": ...}``. State is one JSON file. Run with
``python -m dev.registry --port 8081 --data .cache/registry/registry.json``.
"""

__all__: list[str] = []
