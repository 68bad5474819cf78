"""The registry proxy of the fault suite forwards, then accepts and never answers, then forwards."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.faults.proxy import BlackHoleProxy

__all__: list[str] = []


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_hang_accepts_and_never_answers_until_resumed(upstream: str) -> None:
    """Forwarded, then a kept-alive and a new connection both time out, then forwarded again."""
    proxy = BlackHoleProxy(upstream)
    try:
        with httpx.Client(base_url=proxy.url, timeout=0.5, trust_env=False) as client:
            assert client.get("/").text == "hello"
            proxy.hang()
            with pytest.raises(httpx.ReadTimeout):
                client.get("/")  # the kept-alive connection
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=2):
                pass  # a new connection is accepted
            fresh = httpx.Client(base_url=proxy.url, timeout=0.5, trust_env=False)
            with fresh, pytest.raises(httpx.ReadTimeout):
                fresh.get("/")
            proxy.resume()
            assert client.get("/").text == "hello"
    finally:
        proxy.close()
