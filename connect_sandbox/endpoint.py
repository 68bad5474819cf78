"""One GraphQL-over-HTTP request: body decoding, the API key, parsing, validation, execution.

Answers (status, JSON body):

* wrong or missing ``x-api-key``: 200 ``{"errors":[{"message":"Unauthorized","extensions":
  {"code":"401","status":"UNAUTHORIZED"}}]}`` - what the real API answered an anonymous probe;
* a body that is not ``{"query": str, "variables"?: object, "operationName"?: str}``: 400,
  code ``BAD_REQUEST``;
* a syntax error: 400, ``GRAPHQL_PARSE_FAILED``; a document the schema rejects: 400,
  ``GRAPHQL_VALIDATION_FAILED`` (in the ``indexed`` dialect with ``extensions.index`` when the
  error lies inside one of the ``signals`` literals);
* otherwise 200 with graphql-core's execution result; a refused mutation is worded by
  :mod:`.dialect` (``data`` null and domain codes, or ``BAD_USER_INPUT`` with indexes).

``createSignals`` documents with inline literals take :mod:`.fastpath` when they can.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, Final

from graphql import ExecutionResult, GraphQLError, execute, validate
from graphql.language import (
    DocumentNode,
    FieldNode,
    ListValueNode,
    OperationDefinitionNode,
    parse,
)
from graphql.pyutils import AwaitableOrValue

from connect_sandbox.dialect import ErrorDialect, Rejected
from connect_sandbox.fastpath import make_splitter
from connect_sandbox.jsontext import json_object
from connect_sandbox.schema import SCHEMA, RequestContext
from connect_sandbox.service import Sandbox

__all__ = ["UNAUTHORIZED", "Reply", "error_body", "handle_graphql"]

UNAUTHORIZED: Final = {
    "errors": [{"message": "Unauthorized", "extensions": {"code": "401", "status": "UNAUTHORIZED"}}]
}

_split = make_splitter(SCHEMA)


@dataclass(frozen=True, slots=True)
class Reply:
    """The HTTP answer to one GraphQL request and its outcome label for the counters."""

    status: int
    body: dict[str, Any]
    outcome: str


def error_body(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    """``{"errors": [{"message": ..., "extensions": {"code": ..., ...}}]}``."""
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


def _decode(body: bytes) -> tuple[str, dict[str, Any] | None, str | None] | str:
    data = json_object(body, "a JSON object with a query")
    if isinstance(data, str):
        return data
    query, variables, name = data.get("query"), data.get("variables"), data.get("operationName")
    if type(query) is not str or not query:
        return "the body must carry the GraphQL document in 'query'"
    if variables is not None and type(variables) is not dict:
        return "'variables' must be a JSON object"
    if name is not None and type(name) is not str:
        return "'operationName' must be a string"
    return query, variables, name


def _signal_spans(document: DocumentNode) -> list[int]:
    """Start offsets of the items of every ``createSignals(signals: [...])`` list literal."""
    starts: list[int] = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        for selection in definition.selection_set.selections:
            if not isinstance(selection, FieldNode) or selection.name.value != "createSignals":
                continue
            for argument in selection.arguments or ():
                if argument.name.value == "signals" and isinstance(argument.value, ListValueNode):
                    starts.extend(item.loc.start for item in argument.value.values if item.loc)
    return starts


def _formatted(error: GraphQLError, code: str, starts: list[int]) -> dict[str, Any]:
    out = error.formatted
    extensions = {"code": code, **(out.get("extensions") or {})}
    nodes = error.nodes or []
    if starts and nodes and nodes[0].loc is not None:
        position = nodes[0].loc.start
        index = bisect.bisect_right(starts, position) - 1
        if index >= 0:
            extensions["index"] = index
    return {**out, "extensions": extensions}


def _rejected(error: Rejected, located: dict[str, Any]) -> Reply:
    """The answer to a refused mutation: one ``errors[]`` item per entry, each ``located``."""
    errors = [
        {"message": e["message"], **located, "extensions": e["extensions"]} for e in error.entries
    ]
    data = None if error.data_null else {"createSignals": None}
    return Reply(200, {"data": data, "errors": errors}, "rejected")


def _result(result: AwaitableOrValue[ExecutionResult]) -> Reply:
    assert isinstance(result, ExecutionResult), "the resolvers are synchronous"
    if result.data is None and result.errors:  # variables that do not coerce: nothing ran
        errors = [_formatted(e, "BAD_USER_INPUT", []) for e in result.errors]
        return Reply(400, {"errors": errors}, "invalid")
    for error in result.errors or ():
        if isinstance(error.original_error, Rejected):
            shown: dict[str, Any] = dict(error.formatted)
            located: dict[str, Any] = {k: shown[k] for k in ("locations", "path") if k in shown}
            return _rejected(error.original_error, located)
    body: dict[str, Any] = {"data": result.data}
    outcome = "ok"
    if result.errors:
        errors = []
        for error in result.errors:
            formatted = error.formatted
            extensions = formatted.get("extensions") or {}
            if "code" not in extensions:
                formatted = {**formatted, "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
            elif extensions["code"] == "BAD_USER_INPUT":
                outcome = "rejected"
            errors.append(dict(formatted))
        body["errors"] = errors
        if outcome == "ok":
            outcome = "failed"
    return Reply(200, body, outcome)


def _plain_create(sandbox: Sandbox, signals: list[Any], location: dict[str, int] | None) -> Reply:
    """``createSignals(...) { signalIds }`` answered the way graphql-core's execution answers it.

    The skeleton was validated; the only resolver is called directly, which saves graphql-core
    completing 500 ids one by one (the result shape is the schema's, see the unit tests).
    """
    try:
        ids = sandbox.create_signals(signals)
    except Rejected as error:
        located: dict[str, Any] = {} if location is None else {"locations": [location]}
        return _rejected(error, {**located, "path": ["createSignals"]})
    return Reply(200, {"data": {"createSignals": {"signalIds": ids}}}, "ok")


def handle_graphql(sandbox: Sandbox, body: bytes, api_key: str | None) -> Reply:
    """Answer one POST /graphql request."""
    if not sandbox.authorised(api_key):
        return Reply(200, UNAUTHORIZED, "unauthorized")
    decoded = _decode(body)
    if isinstance(decoded, str):
        return Reply(400, error_body(decoded, "BAD_REQUEST"), "bad_request")
    query, variables, operation_name = decoded
    if not variables and operation_name is None:  # clients often send "variables": {}
        fast = _split(query)
        if fast is not None and fast.plain:
            return _plain_create(sandbox, fast.signals, fast.location)
        if fast is not None:
            context = RequestContext(sandbox, fast.signals)
            return _result(execute(SCHEMA, fast.skeleton, context_value=context))
    try:
        document = parse(query)
    except GraphQLError as error:
        return Reply(400, {"errors": [_formatted(error, "GRAPHQL_PARSE_FAILED", [])]}, "invalid")
    errors = validate(SCHEMA, document)
    if errors:
        indexed = sandbox.error_dialect is ErrorDialect.INDEXED
        starts = _signal_spans(document) if indexed else []
        formatted = [_formatted(e, "GRAPHQL_VALIDATION_FAILED", starts) for e in errors]
        return Reply(400, {"errors": formatted}, "invalid")
    result = execute(
        SCHEMA,
        document,
        context_value=RequestContext(sandbox),
        variable_values=variables,
        operation_name=operation_name,
    )
    reply = _result(result)
    if reply.outcome == "ok" and _is_query(document, operation_name):
        return Reply(reply.status, reply.body, "query")
    return reply


def _is_query(document: DocumentNode, operation_name: str | None) -> bool:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None
            or (definition.name is not None and definition.name.value == operation_name)
        ):
            return definition.operation.value == "query"
    return False
