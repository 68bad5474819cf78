"""``ConnectClient``: one long-lived httpx client that sends ``createSignals`` mutations.

The client is shared by the sender threads (httpx.Client is thread-safe); timeouts and the
connection pool come from configuration. The API key travels only in the ``x-api-key`` header
and never appears in a log line or an error message.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import orjson

from consumer import __version__
from consumer.config import Settings, require
from consumer.connect.classify import classify_response
from consumer.connect.ratelimit import RequestRate
from consumer.errors import ApiThrottled, ApiUnavailable
from consumer.signals.graphql_literal import build_mutation

__all__ = ["ConnectClient"]


class ConnectClient:
    """Sends mutations to ``settings.endpoint_url``; see :mod:`consumer.connect.classify`."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
        require(settings, "connect_api_key")
        assert settings.connect_api_key is not None
        self.url = settings.endpoint_url
        timeout = httpx.Timeout(
            connect=settings.http_connect_timeout_s,
            read=settings.http_read_timeout_s,
            write=settings.http_read_timeout_s,
            pool=settings.http_read_timeout_s,
        )
        limits = httpx.Limits(
            max_connections=settings.http_max_connections,
            max_keepalive_connections=settings.http_max_connections,
            keepalive_expiry=30.0,
        )
        self._http = httpx.Client(
            timeout=timeout,
            limits=limits,
            transport=transport,
            headers={
                "x-api-key": settings.connect_api_key.get_secret_value(),
                "content-type": "application/json",
                "user-agent": f"connect-signals-consumer/{__version__}",
            },
        )
        pod, group = settings.request_rate_limit_per_s, settings.connect_group_rate_limit_per_s
        #: the request-rate cap (None: none set); the pipeline sets its group share
        self.rate = RequestRate(pod, group) if pod or group else None

    def send(self, literals: Sequence[str]) -> list[str]:
        """POST pre-encoded literals as one mutation (the ``SendFn`` of pipeline and ops); the
        ``signalIds`` in order, or raise."""
        mutation, count = build_mutation(literals), len(literals)
        rate = self.rate
        if rate is None:
            return self._post(mutation, count)
        sent_at = rate.acquire()
        try:
            ids = self._post(mutation, count)
        except ApiThrottled:
            rate.on_answer(throttled=True, sent_at=sent_at)
            raise
        rate.on_answer(throttled=False)
        return ids

    def _post(self, mutation: str, count: int) -> list[str]:
        body = b'{"query":' + orjson.dumps(mutation) + b',"variables":{}}'
        try:
            response = self._http.post(self.url, content=body)
        except httpx.TimeoutException as exc:
            raise ApiUnavailable(f"timed out: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise ApiUnavailable(f"connection failed: {type(exc).__name__}: {exc}") from exc
        return classify_response(
            response.status_code, response.content, count, response.headers.get("retry-after")
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()
