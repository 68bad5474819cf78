"""Writer schemas by id from a Confluent-compatible schema registry (REST, Avro only).

:class:`SchemaRegistry` keeps ONE long-lived ``httpx.Client`` (explicit timeouts and limits,
basic auth from ``SIGNALS_SCHEMA_REGISTRY_BASIC_AUTH`` or a bearer token, CA bundle and client
certificate from :mod:`consumer.avro.registry_tls`) and three caches:

- parsed writer schemas, forever (a schema id never changes its schema);
- ids the registry does not know (``404`` + ``error_code`` 40403), for
  ``SIGNALS_SCHEMA_NEGATIVE_CACHE_S`` -> :class:`UnknownSchemaError` without asking again.
  Before that, a missing id is asked for again over ``SIGNALS_SCHEMA_NOT_FOUND_RETRY_S``
  (:class:`RegistryUnavailable`, retry hint <= 1 s): a registry follower may not have a schema
  that a producer registered a moment ago;
- ids whose schema we can never read (not Avro, unparsable) -> :class:`IncompatibleSchemaError`.

Everything that is the registry's fault or ours - connection errors, timeouts, 5xx, 429, a
refused password, an unexpected answer (a wrong URL) - is :class:`RegistryUnavailable`: the
pipeline pauses the partition and retries, nothing is dead-lettered for it. Schema references
(``references``: subject + version) are fetched and parsed into the same named types.

Fetches are serialised by a lock; cache hits take none (one dict look-up on the poll thread).
``get(schema_id, wait=False)`` and ``subjects(schema_id, wait=False)`` (the pipeline's poll
thread) never wait on the network: what is not cached is fetched on a small background pool and
:class:`SchemaPending` is raised until that fetch has ended - a registry that accepts
connections and never answers costs the poll loop nothing.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, TypeVar
from urllib.parse import quote

import fastavro
import httpx

from consumer import __version__
from consumer.avro.registry_tls import registry_headers, registry_verify
from consumer.avro.schemas import full_name
from consumer.config import Settings
from consumer.connect.backoff import parse_retry_after
from consumer.errors import (
    ConfigurationError,
    IncompatibleSchemaError,
    RegistryUnavailable,
    SchemaPending,
    UnknownSchemaError,
)
from consumer.logs import get_logger

__all__ = ["MAX_SCHEMA_ID", "SchemaRegistry", "WriterSchema"]

#: Confluent schema ids are Java ints: a frame whose id is above this cannot name a schema.
MAX_SCHEMA_ID: Final = 0x7FFF_FFFF
_ACCEPT: Final = (
    "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json"
)
_NOT_FOUND: Final = 40403
#: 40401 subject, 40402 version, 40403 schema not found: a reference that is gone.
_REFERENCE_GONE: Final = frozenset({40401, 40402, 40403})
_EXCERPT: Final = 200
#: Background fetch threads (``wait=False``); the fetches are serialised by the lock anyway.
_FETCH_THREADS: Final = 2
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WriterSchema:
    """A writer schema: its id, full (record) name and the fastavro-parsed schema."""

    schema_id: int
    name: str
    parsed: Any


class _NotFound(Exception):
    """The registry answered 404; ``error_code`` is its Confluent error code (or None)."""

    def __init__(self, error_code: int | None, message: str, reference: bool = False) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.reference = reference


def _auth(settings: Settings) -> tuple[str, str] | None:
    secret = settings.schema_registry_basic_auth
    if secret is None:
        return None
    user, sep, password = secret.get_secret_value().partition(":")
    if not sep or not user:
        raise ConfigurationError(
            "SIGNALS_SCHEMA_REGISTRY_BASIC_AUTH must be 'user:password'",
            setting="SIGNALS_SCHEMA_REGISTRY_BASIC_AUTH",
        )
    return user, password


def _not_found(response: httpx.Response, excerpt: str) -> _NotFound:
    """The _NotFound of a 404, with the Confluent error code when the body has one."""
    try:
        payload = response.json()
    except ValueError:
        return _NotFound(None, excerpt)
    if not isinstance(payload, dict):
        return _NotFound(None, excerpt)
    code = payload.get("error_code")
    message = str(payload.get("message", excerpt))[:_EXCERPT]
    return _NotFound(code if isinstance(code, int) else None, message)


class SchemaRegistry:
    """Schema-registry client with positive and negative caches (see the module doc)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = settings.schema_registry_url.rstrip("/")
        try:
            scheme = httpx.URL(self.url).scheme
        except httpx.InvalidURL as exc:
            raise ConfigurationError(
                f"SIGNALS_SCHEMA_REGISTRY_URL is not a URL: {exc}",
                setting="SIGNALS_SCHEMA_REGISTRY_URL",
            ) from exc
        if scheme not in ("http", "https"):
            raise ConfigurationError(
                "SIGNALS_SCHEMA_REGISTRY_URL must be an http:// or https:// URL",
                setting="SIGNALS_SCHEMA_REGISTRY_URL",
            )
        self._negative_ttl_s = settings.schema_negative_cache_s
        self._not_found_retry_s = settings.schema_not_found_retry_s
        #: id -> when the registry first answered 40403 for it (the retry window's start)
        self._not_found_since: dict[int, float] = {}
        self._clock = clock
        timeout = httpx.Timeout(
            connect=settings.http_connect_timeout_s,
            read=settings.schema_registry_timeout_s,
            write=settings.schema_registry_timeout_s,
            pool=settings.schema_registry_timeout_s,
        )
        self._http = httpx.Client(
            base_url=self.url + "/",
            auth=_auth(settings),
            timeout=timeout,
            limits=httpx.Limits(max_connections=2, max_keepalive_connections=2),
            transport=transport,
            verify=registry_verify(settings),
            headers={
                "accept": _ACCEPT,
                "user-agent": f"connect-signals-consumer/{__version__}",
                **registry_headers(settings),
            },
        )
        self._schemas: dict[int, WriterSchema] = {}
        self._subjects: dict[int, tuple[str, ...]] = {}
        self._missing: dict[int, tuple[float, str]] = {}  # id -> (expiry, reason)
        self._broken: dict[int, str] = {}  # id -> why it can never be read
        self._lock = threading.Lock()
        #: background fetches by (kind, schema id); touched by the caller's thread only
        self._pending: dict[tuple[str, int], Future[Any]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self.log = get_logger("schema_registry")

    # --- public ----------------------------------------------------------------------------------
    def get(self, schema_id: int, *, wait: bool = True) -> WriterSchema:
        """The writer schema of ``schema_id``; UnknownSchemaError / IncompatibleSchemaError /
        RegistryUnavailable. With ``wait=False`` nothing waits on the network: SchemaPending
        while a background fetch runs, then its schema or its error (once)."""
        found = self._schemas.get(schema_id)
        if found is not None:
            return found
        if not wait:
            if ("schema", schema_id) not in self._pending:
                self._known_refusal(schema_id)  # what the caches know is answered on the spot
            return self._background(("schema", schema_id), lambda: self.get(schema_id))
        with self._lock:
            found = self._schemas.get(schema_id)
            if found is None:
                found = self._fetch(schema_id)
                self._schemas[schema_id] = found
            return found

    def subjects(self, schema_id: int, *, wait: bool = True) -> tuple[str, ...]:
        """The subjects that hold ``schema_id`` (cached; empty when the registry cannot say).
        With ``wait=False``: SchemaPending while they are fetched in the background."""
        found = self._subjects.get(schema_id)
        if found is not None:
            return found
        if not wait:
            return self._background(("subjects", schema_id), lambda: self.subjects(schema_id))
        with self._lock:
            try:
                body = self._get_json(f"schemas/ids/{schema_id}/subjects")
            except _NotFound:
                body = []
            names = tuple(str(s) for s in body) if isinstance(body, list) else ()
            self._subjects[schema_id] = names
            return names

    def list_subjects(self) -> list[str]:
        """Every subject of the registry (``GET /subjects``; ``signals-consumer check``).
        RegistryUnavailable when it does not answer with a list."""
        try:
            body = self._get_json("subjects")
        except _NotFound as exc:
            raise RegistryUnavailable(
                f"schema registry answered 404 to GET /subjects ({exc}); "
                "check SIGNALS_SCHEMA_REGISTRY_URL"
            ) from exc
        if not isinstance(body, list):
            raise RegistryUnavailable("schema registry answered GET /subjects with no list")
        return [str(subject) for subject in body]

    def latest_schema(self, subject: str) -> Any:
        """The parsed JSON schema text of ``subject``'s latest version, or None when the
        registry has none (deleted, or not Avro)."""
        try:
            body = self._get_json(f"subjects/{quote(subject, safe='')}/versions/latest")
        except _NotFound:
            return None
        if not isinstance(body, dict) or body.get("schemaType", "AVRO") != "AVRO":
            return None
        try:
            return json.loads(str(body.get("schema", "")))
        except ValueError:
            return None

    def close(self) -> None:
        """Close the HTTP client (background fetches are abandoned, not waited for)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    def _background(self, key: tuple[str, int], fetch: Callable[[], T]) -> T:
        """``fetch()`` on the background pool: SchemaPending until it has ended, then its
        result or its error, once (the next call after an error fetches again)."""
        future = self._pending.get(key)
        if future is None:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(_FETCH_THREADS, thread_name_prefix="schema-fetch")
            future = self._pending[key] = self._pool.submit(fetch)
        if not future.done():
            raise SchemaPending(key[1], future.done)
        del self._pending[key]
        result: T = future.result()
        return result

    def _known_refusal(self, schema_id: int) -> None:
        """Raise what the caches already know about ``schema_id`` (no request)."""
        if schema_id > MAX_SCHEMA_ID:
            raise UnknownSchemaError(
                f"schema id {schema_id} is out of range (a negative Java int)",
                schema_id=schema_id,
            )
        broken = self._broken.get(schema_id)
        if broken is not None:
            raise IncompatibleSchemaError(broken, schema_id=schema_id)
        missing = self._missing.get(schema_id)
        if missing is not None and self._clock() < missing[0]:
            raise UnknownSchemaError(missing[1], schema_id=schema_id)

    def __enter__(self) -> SchemaRegistry:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- fetching ----------------------------------------------------------------------------
    def _fetch(self, schema_id: int) -> WriterSchema:
        self._known_refusal(schema_id)
        self._missing.pop(schema_id, None)  # not found before, but its time to ask again is up
        try:
            body = self._get_json(f"schemas/ids/{schema_id}")
            named: dict[str, Any] = {}
            self._references(body, named, f"schema {schema_id}", set())
            parsed = self._parse(body, named, f"schema {schema_id}")
        except _NotFound as exc:
            if exc.error_code not in _REFERENCE_GONE or (
                exc.error_code != _NOT_FOUND and not exc.reference
            ):
                raise RegistryUnavailable(
                    f"schema registry answered 404 without error code {_NOT_FOUND} for "
                    f"schema {schema_id} ({exc}); check SIGNALS_SCHEMA_REGISTRY_URL"
                ) from exc
            if exc.error_code == _NOT_FOUND and not exc.reference:
                self._not_found_yet(schema_id, exc)
            reason = f"schema id {schema_id} is not in the registry: {exc}"
            if self._negative_ttl_s > 0:
                self._missing[schema_id] = (self._clock() + self._negative_ttl_s, reason)
            self.log.warning("schema_unknown", schema_id=schema_id)
            raise UnknownSchemaError(reason, schema_id=schema_id) from exc
        except IncompatibleSchemaError as exc:
            self._broken[schema_id] = exc.reason
            exc.schema_id = schema_id
            raise
        schema = WriterSchema(schema_id, full_name(parsed), parsed)
        self._not_found_since.pop(schema_id, None)
        self.log.info("schema_fetched", schema_id=schema_id, record=schema.name)
        return schema

    def _not_found_yet(self, schema_id: int, exc: _NotFound) -> None:
        """Within the retry window of ``schema_id``'s first 40403: RegistryUnavailable (ask
        again); after it, return (the caller makes the id unknown) and forget the window."""
        now = self._clock()
        if len(self._not_found_since) >= 10_000:  # ids never asked for again: keep it bounded
            self._not_found_since.clear()
        left = self._not_found_since.setdefault(schema_id, now) + self._not_found_retry_s - now
        if left <= 0:
            self._not_found_since.pop(schema_id, None)
            return
        self.log.info("schema_not_found_yet", schema_id=schema_id, retry_window_left_s=left)
        raise RegistryUnavailable(
            f"schema id {schema_id} is not in the registry yet ({exc}); asking again for "
            f"{self._not_found_retry_s:g} s (SIGNALS_SCHEMA_NOT_FOUND_RETRY_S): a registry "
            "follower may not have a schema registered a moment ago",
            retry_after_s=min(1.0, left),
        ) from exc

    def _references(
        self, body: Mapping[str, Any], named: dict[str, Any], what: str, done: set[str]
    ) -> None:
        """Fetch and parse the schemas ``body`` references (depth first) into ``named``."""
        for ref in body.get("references") or ():
            if not isinstance(ref, Mapping) or "subject" not in ref or "version" not in ref:
                raise IncompatibleSchemaError(f"{what}: malformed reference {ref!r}"[:_EXCERPT])
            key = f"{ref['subject']}/{ref['version']}"
            if key in done:
                continue
            done.add(key)
            path = f"subjects/{quote(str(ref['subject']), safe='')}/versions/{ref['version']}"
            try:
                referenced = self._get_json(path)
            except _NotFound as exc:
                raise _NotFound(exc.error_code, f"reference {key} not found: {exc}", True) from exc
            if not isinstance(referenced, Mapping):
                raise RegistryUnavailable(f"schema registry answered GET /{path} with no object")
            self._references(referenced, named, f"reference {key} of {what}", done)
            self._parse(referenced, named, f"reference {key} of {what}")

    def _parse(self, body: Any, named: dict[str, Any], what: str) -> Any:
        if not isinstance(body, Mapping) or not isinstance(body.get("schema"), str):
            raise RegistryUnavailable(f"schema registry answered without a schema for {what}")
        kind = body.get("schemaType") or "AVRO"
        if kind != "AVRO":
            raise IncompatibleSchemaError(f"{what} is a {kind} schema, not Avro")
        try:
            return fastavro.parse_schema(json.loads(body["schema"]), named)
        except Exception as exc:  # fastavro raises several types on a bad schema
            raise IncompatibleSchemaError(
                f"{what} is not a valid Avro schema: {type(exc).__name__}: {str(exc)[:_EXCERPT]}"
            ) from exc

    def _get_json(self, path: str) -> Any:
        """GET ``path`` -> the JSON body of a 200; _NotFound on 404; else RegistryUnavailable."""
        try:
            response = self._http.get(path)
        except httpx.TimeoutException as exc:
            raise RegistryUnavailable(
                f"schema registry timed out ({type(exc).__name__}) on GET /{path}"
            ) from exc
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(
                f"schema registry unreachable ({type(exc).__name__}: {exc}) on GET /{path}"
            ) from exc
        status = response.status_code
        if status == 200:
            try:
                return response.json()
            except ValueError as exc:
                raise RegistryUnavailable(
                    f"schema registry answered GET /{path} with a body that is not JSON"
                ) from exc
        excerpt = response.text[:_EXCERPT]
        if status == 404:
            raise _not_found(response, excerpt)
        if status in (401, 403):
            self.log.error("schema_registry_refused_credentials", status=status)
            raise RegistryUnavailable(
                f"schema registry refused the credentials (HTTP {status}); "
                "check SIGNALS_SCHEMA_REGISTRY_BASIC_AUTH"
            )
        if status == 429:
            raise RegistryUnavailable(
                "schema registry is throttling (HTTP 429)",
                retry_after_s=parse_retry_after(response.headers.get("retry-after")),
            )
        if status >= 500:
            raise RegistryUnavailable(f"schema registry answered HTTP {status}: {excerpt}")
        raise RegistryUnavailable(
            f"schema registry answered HTTP {status} to GET /{path}: {excerpt}; "
            "check SIGNALS_SCHEMA_REGISTRY_URL"
        )
