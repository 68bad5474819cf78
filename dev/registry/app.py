"""The registry's REST API (Starlette): the Confluent Schema Registry routes the clients use."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dev.registry.store import RegistryError, SchemaStore

__all__ = ["MEDIA_TYPE", "create_app"]

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"

Handler = Callable[[Request], Awaitable[Response]]


def _json(content: Any, status: int = 200) -> Response:
    return JSONResponse(content, status_code=status, media_type=MEDIA_TYPE)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").lower() == "true"


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError as exc:
        raise RegistryError(422, 42201, f"Invalid request body: {exc}") from exc
    if not isinstance(data, dict):
        raise RegistryError(422, 42201, "Invalid request body: expected a JSON object")
    return data


def _schema_view(store: SchemaStore, schema_id: int) -> dict[str, Any]:
    entry = store.schema(schema_id)
    view: dict[str, Any] = {"schema": entry["schema"]}
    if entry.get("references"):
        view["references"] = entry["references"]
    return view


def create_app(store: SchemaStore) -> Starlette:
    """The ASGI app serving ``store``."""

    async def root(_: Request) -> Response:
        return _json({})

    async def get_schema(request: Request) -> Response:
        return _json(_schema_view(store, int(request.path_params["id"])))

    async def get_schema_subjects(request: Request) -> Response:
        pairs = _id_versions(request)
        return _json(sorted({p["subject"] for p in pairs}))

    async def get_schema_versions(request: Request) -> Response:
        return _json(_id_versions(request))

    def _id_versions(request: Request) -> list[dict[str, Any]]:
        """Subject and version of each use of the schema ``id`` (40403 when it is unknown)."""
        schema_id = int(request.path_params["id"])
        store.schema(schema_id)
        deleted = _flag(request, "deleted")
        return [
            {"subject": name, "version": v.version}
            for name, subject in sorted(store.subjects.items())
            for v in subject.live(deleted=deleted)
            if v.schema_id == schema_id
        ]

    async def schema_types(_: Request) -> Response:
        return _json(["AVRO"])

    async def list_subjects(request: Request) -> Response:
        deleted = _flag(request, "deleted")
        return _json(sorted(n for n, s in store.subjects.items() if s.live(deleted=deleted)))

    async def subject_versions(request: Request) -> Response:
        name = request.path_params["subject"]
        if request.method == "POST":
            return _json({"id": store.register(name, await _body(request))})
        subject = store.subject(name, deleted=_flag(request, "deleted"))
        return _json([v.version for v in subject.live(deleted=_flag(request, "deleted"))])

    async def subject_version(request: Request) -> Response:
        name, version = request.path_params["subject"], request.path_params["version"]
        if request.method == "DELETE":
            permanent = _flag(request, "permanent")
            return _json(store.delete_version(name, version, permanent=permanent))
        item = store.version(name, version, deleted=_flag(request, "deleted"))
        view = {"subject": name, "version": item.version, "id": item.schema_id}
        return _json(view | _schema_view(store, item.schema_id))

    async def subject_version_schema(request: Request) -> Response:
        name, version = request.path_params["subject"], request.path_params["version"]
        item = store.version(name, version)
        return Response(store.schema(item.schema_id)["schema"], media_type=MEDIA_TYPE)

    async def subject(request: Request) -> Response:
        name = request.path_params["subject"]
        if request.method == "DELETE":
            return _json(store.delete_subject(name, permanent=_flag(request, "permanent")))
        body = await _body(request)
        item = store.lookup(name, body, deleted=_flag(request, "deleted"))
        view = {"subject": name, "version": item.version, "id": item.schema_id}
        return _json(view | _schema_view(store, item.schema_id))

    async def compatibility(request: Request) -> Response:
        name = request.path_params["subject"]
        version = request.path_params.get("version")
        body = await _body(request)
        if version is not None:
            store.version(name, version)
        problems = store.is_compatible(name, version, body)
        result: dict[str, Any] = {"is_compatible": not problems}
        if _flag(request, "verbose"):
            result["messages"] = problems
        return _json(result)

    async def global_config(request: Request) -> Response:
        if request.method == "PUT":
            body = await _body(request)
            return _json({"compatibility": store.set_level(None, body.get("compatibility"))})
        return _json({"compatibilityLevel": store.compatibility})

    async def subject_config(request: Request) -> Response:
        name = request.path_params["subject"]
        if request.method == "PUT":
            body = await _body(request)
            return _json({"compatibility": store.set_level(name, body.get("compatibility"))})
        if request.method == "DELETE":
            return _json({"compatibilityLevel": store.delete_level(name)})
        default = _flag(request, "defaultToGlobal")
        return _json({"compatibilityLevel": store.subject_level(name, default_to_global=default)})

    async def mode(_: Request) -> Response:
        return _json({"mode": "READWRITE"})

    async def on_registry_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RegistryError)
        return _json({"error_code": exc.error_code, "message": exc.message}, exc.status)

    async def on_http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _json({"error_code": exc.status_code, "message": exc.detail}, exc.status_code)

    async def on_value_error(_: Request, exc: Exception) -> Response:
        return _json({"error_code": 42201, "message": f"Invalid input: {exc}"}, 422)

    routes = [
        Route("/", root),
        Route("/schemas/types", schema_types),
        Route("/schemas/ids/{id:int}", get_schema),
        Route("/schemas/ids/{id:int}/subjects", get_schema_subjects),
        Route("/schemas/ids/{id:int}/versions", get_schema_versions),
        Route("/subjects", list_subjects),
        Route("/subjects/{subject}/versions", subject_versions, methods=["GET", "POST"]),
        Route("/subjects/{subject}/versions/{version}", subject_version, methods=["GET", "DELETE"]),
        Route("/subjects/{subject}/versions/{version}/schema", subject_version_schema),
        Route("/subjects/{subject}", subject, methods=["POST", "DELETE"]),
        Route("/compatibility/subjects/{subject}/versions", compatibility, methods=["POST"]),
        Route(
            "/compatibility/subjects/{subject}/versions/{version}", compatibility, methods=["POST"]
        ),
        Route("/config", global_config, methods=["GET", "PUT"]),
        Route("/config/{subject}", subject_config, methods=["GET", "PUT", "DELETE"]),
        Route("/mode", mode),
        Route("/mode/{subject}", mode),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={
            RegistryError: on_registry_error,
            HTTPException: on_http_error,
            ValueError: on_value_error,
        },
    )
