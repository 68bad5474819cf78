"""The sandbox's GraphQL schema (graphql-core, built from SDL) and its resolvers.

``createSignals(signals: [SignalInput!]!)`` is the documented mutation; ``signalContent`` is a
``JSON`` scalar that accepts inline object and list literals (and variables). The Query type
is the sandbox's own: the documentation publishes no query API for the activity feed, so these
names are ours (see docs/sandbox.md); the contact list is ``sandboxContacts``, not ``contacts``,
which is a real Connect query of another shape (reference 9).

Resolvers read :class:`RequestContext` from ``info.context``: the :class:`~.service.Sandbox`
and, on the fast path (:mod:`.fastpath`), the already parsed ``signals`` that replace the empty
list literal of the skeleton document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from graphql import (
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
)
from graphql.language import ValueNode
from graphql.utilities import value_from_ast_untyped

from connect_sandbox.store import ContactRow, SessionRow, SignalRow

if TYPE_CHECKING:
    from connect_sandbox.service import Sandbox

__all__ = ["SCHEMA", "SDL", "RequestContext", "iso_ms"]

Info: TypeAlias = GraphQLResolveInfo

SDL: Final = '''
"""Any JSON value: objects and lists may be written inline as GraphQL literals."""
scalar JSON

"""Exactly one attribute maps the signal to a contact."""
input IdentifiableAttributes {
  contactKey: String
  email: String
  sms: String
  whatsapp: String
}

input SignalInput {
  appKey: String!
  identifiableAttributes: IdentifiableAttributes!
  sessionId: String
  signalContent: JSON!
  test: Boolean
}

type CreateSignalsResult {
  """One id per submitted signal, in submission order."""
  signalIds: [String!]!
}

type Mutation {
  createSignals(signals: [SignalInput!]!): CreateSignalsResult
}

type ActivitySignal {
  signalId: ID!
  signalType: String!
  name: String
  appKey: String!
  """The stored session id (the submitted id with .<epoch ms> appended)."""
  sessionId: String
  test: Boolean!
  """Which identifiable attribute mapped the signal: contactKey, email, sms or whatsapp."""
  identifiedBy: String!
  receivedAt: String!
  signalTimestamp: String
  signalContent: JSON!
}

type Session {
  sessionId: ID!
  submittedId: String!
  appKey: String!
  startedAt: String!
  lastActivityAt: String!
  signalCount: Int!
  """The 5 most recent signals of the session, newest first."""
  signals: [ActivitySignal!]!
}

type Contact {
  id: ID!
  contactKey: String
  email: String
  sms: String
  whatsapp: String
  createdAt: String!
  updatedAt: String!
  signalCount: Int!
  lastActivityAt: String
  """The last 1000 signals or the last 30 days, newest first."""
  activityFeed(limit: Int = 1000): [ActivitySignal!]!
  sessions(limit: Int = 50): [Session!]!
}

type Query {
  """The sandbox's own contact list (Connect's real contacts query returns a ContactConnection)."""
  sandboxContacts(limit: Int = 100, offset: Int = 0): [Contact!]!
  contact(id: ID, contactKey: String, email: String, sms: String, whatsapp: String): Contact
  activityFeed(
    contactId: ID, contactKey: String, email: String, sms: String, whatsapp: String,
    limit: Int = 1000
  ): [ActivitySignal!]!
  sessions(
    contactId: ID, contactKey: String, email: String, sms: String, whatsapp: String,
    limit: Int = 50
  ): [Session!]!
}
'''


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What resolvers see as ``info.context``."""

    sandbox: Sandbox
    signals: Sequence[Any] | None = None  # fast path: replaces the skeleton's empty literal


def iso_ms(epoch_ms: int) -> str:
    """``2025-05-01T10:00:00.123Z`` for epoch milliseconds."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


# --- the JSON scalar ----------------------------------------------------------------------------


def _json_identity(value: Any) -> Any:
    return value


def _json_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    return value_from_ast_untyped(node, variables)


# --- resolvers ----------------------------------------------------------------------------------


def _signal(row: SignalRow) -> dict[str, Any]:
    return {
        "signalId": row.id,
        "signalType": row.signal_type,
        "name": row.name,
        "appKey": row.app_key,
        "sessionId": row.session_id,
        "test": row.test,
        "identifiedBy": row.identified_by,
        "receivedAt": iso_ms(row.received_ms),
        "signalTimestamp": row.signal_timestamp,
        "signalContent": row.content,
    }


def _session(row: SessionRow) -> dict[str, Any]:
    return {
        "sessionId": row.session_id,
        "submittedId": row.submitted_id,
        "appKey": row.app_key,
        "startedAt": iso_ms(row.started_ms),
        "lastActivityAt": iso_ms(row.last_ms),
        "signalCount": row.signal_count,
        "signals": [_signal(s) for s in row.signals],
    }


def _contact(row: ContactRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "contactKey": row.contact_key,
        "email": row.email,
        "sms": row.sms,
        "whatsapp": row.whatsapp,
        "createdAt": iso_ms(row.created_ms),
        "updatedAt": iso_ms(row.updated_ms),
        "signalCount": row.signal_count,
        "lastActivityAt": None if row.last_activity_ms is None else iso_ms(row.last_activity_ms),
    }


def _find(info: Info, args: dict[str, Any]) -> ContactRow | None:
    sandbox: Sandbox = info.context.sandbox
    return sandbox.store.contact(
        id=args.get("contactId", args.get("id")),
        contact_key=args.get("contactKey"),
        email=args.get("email"),
        sms=args.get("sms"),
        whatsapp=args.get("whatsapp"),
    )


def _create_signals(_root: Any, info: Info, signals: list[Any]) -> dict[str, Any]:
    context: RequestContext = info.context
    inputs = context.signals if context.signals is not None else signals
    return {"signalIds": context.sandbox.create_signals(inputs)}


def _contacts(_root: Any, info: Info, limit: int, offset: int) -> list[Any]:
    sandbox: Sandbox = info.context.sandbox
    return [_contact(row) for row in sandbox.store.contacts(limit, offset)]


def _one_contact(_root: Any, info: Info, **args: Any) -> dict[str, Any] | None:
    row = _find(info, args)
    return None if row is None else _contact(row)


def _contact_id(root: dict[str, Any] | None, info: Info, args: dict[str, Any]) -> str | None:
    """The contact of ``Contact.<field>`` (``root``), else the one the Query arguments find."""
    if root is not None:
        return str(root["id"])
    row = _find(info, args)
    return None if row is None else row.id


def _feed(root: dict[str, Any] | None, info: Info, limit: int, **args: Any) -> list[Any]:
    contact_id = _contact_id(root, info, args)
    if contact_id is None:
        return []
    sandbox: Sandbox = info.context.sandbox
    return [_signal(row) for row in sandbox.store.feed(contact_id, sandbox.now_ms(), limit)]


def _sessions(root: dict[str, Any] | None, info: Info, limit: int, **args: Any) -> list[Any]:
    contact_id = _contact_id(root, info, args)
    if contact_id is None:
        return []
    sandbox: Sandbox = info.context.sandbox
    return [_session(row) for row in sandbox.store.sessions(contact_id, limit)]


def _build() -> GraphQLSchema:
    schema = build_schema(SDL)
    scalar = schema.type_map["JSON"]
    assert isinstance(scalar, GraphQLScalarType)
    scalar.serialize = _json_identity  # type: ignore[method-assign]
    scalar.parse_value = _json_identity  # type: ignore[method-assign]
    scalar.parse_literal = _json_literal  # type: ignore[method-assign]
    resolvers: dict[str, dict[str, Any]] = {
        "Mutation": {"createSignals": _create_signals},
        "Query": {
            "sandboxContacts": _contacts,
            "contact": _one_contact,
            "activityFeed": _feed,
            "sessions": _sessions,
        },
        "Contact": {"activityFeed": _feed, "sessions": _sessions},
    }
    for type_name, fields in resolvers.items():
        object_type = schema.type_map[type_name]
        assert isinstance(object_type, GraphQLObjectType)
        for field_name, resolve in fields.items():
            object_type.fields[field_name].resolve = resolve
    return schema


#: The executable schema (resolvers attached).
SCHEMA: Final = _build()
