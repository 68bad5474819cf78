"""Domain values for Connect signals.

A :class:`Signal` is what one ``createSignals`` input object holds. :meth:`Signal.as_input`
returns it in the API's own shape (``appKey``, ``identifiableAttributes``, ``sessionId``,
``signalContent``, ``test``) - the shape the validation rules (:mod:`consumer.signals.rules`)
and the GraphQL literal encoder take, and the shape the sandbox receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["IDENTITY_KINDS", "IdentityKind", "Signal", "Violation"]

IdentityKind = Literal["contactKey", "email", "sms", "whatsapp"]
IDENTITY_KINDS: tuple[IdentityKind, ...] = ("contactKey", "email", "sms", "whatsapp")


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: ``field`` is a dotted path (``signalContent.unitPrice``)."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal for ``createSignals``; ``content`` is ``signalContent`` (has ``signalType``)."""

    app_key: str
    identity_kind: IdentityKind
    identity_value: str
    content: dict[str, Any]
    session_id: str | None = None
    test: bool = False

    @property
    def signal_type(self) -> str:
        """The ``signalType`` inside the content ("" when absent)."""
        return str(self.content.get("signalType", ""))

    def as_input(self) -> dict[str, Any]:
        """The GraphQL input object, keys in the documented order."""
        out: dict[str, Any] = {
            "appKey": self.app_key,
            "identifiableAttributes": {self.identity_kind: self.identity_value},
        }
        if self.session_id is not None:
            out["sessionId"] = self.session_id
        out["signalContent"] = self.content
        if self.test:
            out["test"] = True
        return out
