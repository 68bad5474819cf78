"""The sandbox's Starlette application: GraphQL, the web page and the admin endpoints.

==========================  ===============================================================
``POST /graphql``, ``POST /``  GraphQL (JSON body ``{query, variables, operationName}``,
                            header ``x-api-key``); faults apply here only
``GET /``                   the contacts page
``GET /contacts/{id}``      a contact's activity feed and sessions
``GET /admin/stats``        counters (requests by outcome, signals by outcome and reason,
                            signals that "may be discarded by Connect", faults by kind), the
                            fault settings, the error dialect, stored row counts, and
                            ``latency`` with ``--record-latency``
``GET /admin/faults``       the fault settings and their runtime state
``POST /admin/faults``      replace the fault settings (JSON object of :class:`Faults` fields;
                            missing fields take their no-fault defaults)
``GET /admin/settings``     ``{"error_dialect": "realistic" | "indexed"}``
``POST /admin/settings``    change the error dialect (``{"error_dialect": "indexed"}``)
``POST /admin/reset``       zero the counters; ``{"data": true}`` also deletes all data
``POST /admin/contacts``    create a contact (``contactKey``/``email``/``sms``/``whatsapp``)
==========================  ===============================================================
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from connect_sandbox.dialect import GATEWAY_TIMEOUT_BODY, ErrorDialect, rate_limit_body
from connect_sandbox.endpoint import Reply, error_body, handle_graphql
from connect_sandbox.faults import Decision, FaultKind, Faults
from connect_sandbox.jsontext import dumps, json_object
from connect_sandbox.page import contact_page, index_page, not_found_page
from connect_sandbox.service import Sandbox
from connect_sandbox.store import COLUMNS
from consumer.logs import get_logger

__all__ = ["create_app"]

_log = get_logger("sandbox")

_FAULT_ANSWERS: Final = {
    FaultKind.THROTTLE: ("throttled", "Too Many Requests", "429", "TOO_MANY_REQUESTS"),
    FaultKind.ERROR: ("error", "Internal Server Error", "500", "INTERNAL_SERVER_ERROR"),
    FaultKind.UNAVAILABLE: ("unavailable", "Service Unavailable", "503", "SERVICE_UNAVAILABLE"),
    FaultKind.OUTAGE: ("outage", "Service Unavailable (outage)", "503", "SERVICE_UNAVAILABLE"),
}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status_code=status, headers=headers, media_type="application/json")


def _sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def _fault_answer(sandbox: Sandbox, decision: Decision) -> Response:
    assert decision.kind is not None
    outcome, message, code, status = _FAULT_ANSWERS[decision.kind]
    sandbox.stats.fault(decision.kind.value)
    sandbox.stats.request(outcome)
    headers = None
    if decision.retry_after_s is not None:
        headers = {"Retry-After": str(decision.retry_after_s)}
    return _json(error_body(message, code, status=status), decision.status, headers)


def _spoiled(sandbox: Sandbox, reply: Reply) -> Reply:
    """An accepted mutation's answer with a wrong ``signalIds`` count or a null id, when the
    answer faults ask for one (the signals stay stored)."""
    data = reply.body.get("data") if reply.outcome == "ok" else None
    created = data.get("createSignals") if isinstance(data, dict) else None
    if not isinstance(created, dict):
        return reply
    ids = created.get("signalIds")
    if not isinstance(ids, list) or not ids:
        return reply
    kind = sandbox.faults.answer_fault()
    if kind is None:
        return reply
    sandbox.stats.fault(kind.value)
    spoiled: list[str | None] = ids[:-1] if kind is FaultKind.WRONG_COUNT else [None, *ids[1:]]
    body = {**reply.body, "data": {"createSignals": {**created, "signalIds": spoiled}}}
    return Reply(reply.status, body, reply.outcome)


async def graphql(request: Request) -> Response:
    """POST /graphql and POST /: faults first, then the GraphQL request itself."""
    sandbox = _sandbox(request)
    body = await request.body()
    decision = sandbox.faults.decide()
    if decision.latency_s:
        sandbox.stats.fault(FaultKind.LATENCY.value)
        await asyncio.sleep(decision.latency_s)
    if decision.kind is FaultKind.RATE_LIMIT:
        sandbox.stats.fault(FaultKind.RATE_LIMIT.value)
        sandbox.stats.request("rate_limited")
        retry_after_ms = round((decision.retry_after_s or 0.0) * 1000)
        return _json(rate_limit_body(retry_after_ms))
    if decision.kind in _FAULT_ANSWERS:
        return _fault_answer(sandbox, decision)
    reply = _spoiled(sandbox, handle_graphql(sandbox, body, request.headers.get("x-api-key")))
    sandbox.stats.request(reply.outcome)
    if decision.kind in (FaultKind.TIMEOUT, FaultKind.GATEWAY_TIMEOUT):
        sandbox.stats.fault(decision.kind.value)
        await asyncio.sleep(decision.hold_s)
    if decision.kind is FaultKind.GATEWAY_TIMEOUT:
        return _json(GATEWAY_TIMEOUT_BODY, 504)
    return _json(reply.body, reply.status)


async def index(request: Request) -> Response:
    """GET /: the contacts."""
    sandbox = _sandbox(request)
    html = index_page(
        sandbox.store.contacts(limit=500), sandbox.store.counts(), sandbox.stats.snapshot()
    )
    return HTMLResponse(html)


async def contact(request: Request) -> Response:
    """GET /contacts/{id}: one contact's feed and sessions."""
    sandbox = _sandbox(request)
    contact_id = request.path_params["contact_id"]
    row = sandbox.store.contact(id=contact_id)
    if row is None:
        return HTMLResponse(not_found_page(f"no contact {contact_id}"), status_code=404)
    feed = sandbox.store.feed(row.id, sandbox.now_ms())
    sessions = sandbox.store.sessions(row.id)
    return HTMLResponse(contact_page(row, feed, sessions))


async def stats(request: Request) -> Response:
    """GET /admin/stats."""
    sandbox = _sandbox(request)
    body = {
        **sandbox.stats.snapshot(),
        "faults_active": sandbox.faults.state(),
        "stored": sandbox.store.counts(),
        "tier": sandbox.config.tier,
        "error_dialect": sandbox.error_dialect.value,
        "benchmark": sandbox.config.benchmark,
    }
    if sandbox.latency is not None:
        body["latency"] = sandbox.latency.snapshot()
    return _json(body)


async def _body(request: Request) -> dict[str, Any] | str:
    raw = await request.body()
    return json_object(raw, "a JSON object") if raw.strip() else {}


async def faults(request: Request) -> Response:
    """GET /admin/faults: the state; POST: replace the settings."""
    sandbox = _sandbox(request)
    if request.method == "POST":
        data = await _body(request)
        if isinstance(data, str):
            return _json({"error": data}, 400)
        try:
            settings = Faults.from_mapping(data)
        except (TypeError, ValueError) as exc:
            return _json({"error": str(exc)}, 400)
        if settings.outage_s and settings.outage_mode == "refuse":
            return _json(
                {
                    "error": "a 'refuse' outage stops the process; the sandbox cannot refuse "
                    "connections while it answers this request. Stop and restart it (the test "
                    "fixture's outage(seconds) does) or use outage_mode '503'."
                },
                400,
            )
        sandbox.faults.replace(settings)
        _log.info("sandbox_faults_set", **settings.as_dict())
    return _json(sandbox.faults.state())


async def settings(request: Request) -> Response:
    """GET /admin/settings: ``{"error_dialect": ...}``; POST: change it."""
    sandbox = _sandbox(request)
    if request.method == "POST":
        data = await _body(request)
        if isinstance(data, str):
            return _json({"error": data}, 400)
        unknown = set(data) - {"error_dialect"}
        if unknown:
            return _json({"error": f"unknown settings: {', '.join(sorted(unknown))}"}, 400)
        if "error_dialect" in data:
            try:
                sandbox.error_dialect = ErrorDialect(data["error_dialect"])
            except ValueError:
                choices = ", ".join(ErrorDialect)
                return _json({"error": f"error_dialect must be one of {choices}"}, 400)
            _log.info("sandbox_settings_set", error_dialect=sandbox.error_dialect.value)
    return _json({"error_dialect": sandbox.error_dialect.value})


async def reset(request: Request) -> Response:
    """POST /admin/reset: counters, and with ``{"data": true}`` every stored row."""
    sandbox = _sandbox(request)
    data = await _body(request)
    if isinstance(data, str):
        return _json({"error": data}, 400)
    wipe = data.get("data", False)
    if type(wipe) is not bool:
        return _json({"error": "'data' must be a boolean"}, 400)
    sandbox.reset(data=wipe)
    _log.info("sandbox_reset", data=wipe)
    return _json({"reset": True, "data": wipe})


async def add_contact(request: Request) -> Response:
    """POST /admin/contacts: create a contact (or return the one holding a given value)."""
    sandbox = _sandbox(request)
    data = await _body(request)
    if isinstance(data, str):
        return _json({"error": data}, 400)
    if set(data) - set(COLUMNS) or not all(type(v) is str for v in data.values()):
        return _json({"error": f"give string values for {', '.join(COLUMNS)}"}, 400)
    try:
        row = sandbox.store.add_contact(
            sandbox.now_ms(), **{COLUMNS[k]: v for k, v in data.items()}
        )
    except ValueError as exc:
        return _json({"error": str(exc)}, 400)
    return _json({"id": row.id, **{name: getattr(row, column) for name, column in COLUMNS.items()}})


def create_app(sandbox: Sandbox) -> Starlette:
    """The ASGI application serving ``sandbox``."""
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["POST"]),
            Route("/", graphql, methods=["POST"]),
            Route("/", index, methods=["GET"]),
            Route("/contacts/{contact_id}", contact, methods=["GET"]),
            Route("/admin/stats", stats, methods=["GET"]),
            Route("/admin/faults", faults, methods=["GET", "POST"]),
            Route("/admin/settings", settings, methods=["GET", "POST"]),
            Route("/admin/reset", reset, methods=["POST"]),
            Route("/admin/contacts", add_contact, methods=["POST"]),
        ]
    )
    app.state.sandbox = sandbox
    return app
