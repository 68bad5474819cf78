"""The doctor's Connect check: the API key proved by the query ``{ __typename }``.

Why it is harmless: ``{ __typename }`` is a GraphQL *query* (never a mutation) of the
meta-field every GraphQL server resolves itself, without a resolver of Connect's data; a query
has no side effects by the GraphQL specification, so it creates, changes and counts nothing.
Connect checks the key before any document (an anonymous request gets ``Unauthorized``, code
401, at HTTP 200: reference section 1), so a data answer proves the key.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from consumer import __version__
from consumer.config import Settings
from consumer.ops.doctor import Check, why
from consumer.text import clip

__all__ = ["TYPENAME_QUERY", "check_connect"]

#: The harmless request that proves the Connect API key (see the module doc).
TYPENAME_QUERY = "{ __typename }"
_AUTH_CODES = frozenset({"401", "403", "UNAUTHENTICATED", "UNAUTHORIZED", "FORBIDDEN"})


def _codes(body: Any) -> set[str]:
    errors = body.get("errors") if isinstance(body, dict) else None
    codes: set[str] = set()
    for error in errors if isinstance(errors, list) else []:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if isinstance(extensions, dict):
            codes |= {str(extensions[k]).upper() for k in ("code", "status") if k in extensions}
    return codes


def check_connect(
    settings: Settings, *, timeout_s: float, transport: httpx.BaseTransport | None = None
) -> Check:
    """POST ``{ __typename }`` with the configured key (harmless: see the module doc)."""
    label, url = "connect API key", settings.endpoint_url
    where = "SIGNALS_CONNECT_URL" if settings.connect_url else "SIGNALS_CONNECT_REGION"
    if settings.connect_api_key is None or not settings.connect_api_key.get_secret_value():
        return Check(label, "fail", "not set", "SIGNALS_CONNECT_API_KEY")
    headers = {
        "x-api-key": settings.connect_api_key.get_secret_value(),
        "content-type": "application/json",
        "user-agent": f"connect-signals-consumer/{__version__} (check)",
    }
    body = orjson.dumps({"query": TYPENAME_QUERY, "variables": {}})
    try:
        with httpx.Client(timeout=timeout_s, transport=transport, headers=headers) as http:
            response = http.post(url, content=body)
    except httpx.HTTPError as exc:
        return Check(label, "fail", f"cannot reach {url}: {why(exc)}", where)
    try:
        answer: Any = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        answer = None
    status = response.status_code
    if status in (401, 403) or _codes(answer) & _AUTH_CODES:
        return Check(label, "fail", f"refused by {url} (HTTP {status})", "SIGNALS_CONNECT_API_KEY")
    data = answer.get("data") if isinstance(answer, dict) else None
    if status == 200 and isinstance(data, dict) and isinstance(data.get("__typename"), str):
        return Check(label, "ok", f"accepted by {url} (query {{ __typename }}, nothing created)")
    excerpt = clip(response.text, 200)
    return Check(
        label,
        "fail",
        f"{url} answered HTTP {status}, not GraphQL: {excerpt}",
        where,
    )
