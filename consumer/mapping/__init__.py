"""Decoded events -> Connect signals: declarative tables per signal type, custom mapping files."""

from __future__ import annotations

from consumer.mapping.event import DecodedEvent
from consumer.mapping.mapper import Mapper

__all__ = ["DecodedEvent", "Mapper"]
