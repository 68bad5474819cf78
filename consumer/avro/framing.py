"""The Confluent wire format: magic byte ``0``, a 4-byte big-endian schema id, the Avro body."""

from __future__ import annotations

from typing import Final

from consumer.errors import DecodeError

__all__ = ["HEADER_SIZE", "MAGIC", "frame_error", "schema_id_of"]

MAGIC: Final = 0
HEADER_SIZE: Final = 5


def schema_id_of(value: bytes | None) -> int | None:
    """The schema id of a well-framed value, else None."""
    if value is None or len(value) < HEADER_SIZE or value[0] != MAGIC:
        return None
    return int.from_bytes(value[1:HEADER_SIZE], "big")


def frame_error(value: bytes | None) -> DecodeError:
    """The DecodeError of a value that is not Confluent-framed, with the precise reason."""
    if value is None:
        return DecodeError(
            "the record value is null (a tombstone); expected a Confluent-framed Avro record"
        )
    if len(value) < HEADER_SIZE:
        return DecodeError(
            f"the record value is {len(value)} byte(s), shorter than the {HEADER_SIZE}-byte "
            "Confluent header (magic byte 0 and a 4-byte schema id)"
        )
    hint = ""
    if value[:1] in (b"{", b"["):
        hint = " (the value looks like JSON)"
    elif value[:4] == b"Obj\x01":
        hint = " (the value is an Avro object container file)"
    return DecodeError(
        f"magic byte is 0x{value[0]:02x}, expected 0x00: not the Confluent wire format{hint}"
    )
