"""A TCP proxy in front of the schema registry that can turn into a black hole.

The fault suite's consumers reach the registry through it. ``hang()`` makes it accept
connections and never answer (new connections are held unread, bytes on open ones are no longer
forwarded either way): a registry behind a broken load balancer, which a stopped registry
(connection refused) does not show. ``resume()`` closes what was held and forwards again.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit

__all__ = ["BlackHoleProxy"]


class BlackHoleProxy:
    """Forwards ``127.0.0.1:<port>`` to ``upstream_url``'s host and port, unless hanging."""

    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._hanging = threading.Event()
        self._open = threading.Event()  # set while forwarding is allowed
        self._open.set()
        self._closed = False
        self._lock = threading.Lock()
        self._held: list[socket.socket] = []
        self.held_connections = 0  # connections accepted while hanging (for the report)
        threading.Thread(target=self._accept, name="registry-proxy", daemon=True).start()

    @property
    def hanging(self) -> bool:
        """True between ``hang()`` and ``resume()``."""
        return self._hanging.is_set()

    def hang(self) -> None:
        """Accept and never answer, from now on."""
        self._hanging.set()
        self._open.clear()

    def resume(self) -> None:
        """Close every connection held while hanging and forward again."""
        with self._lock:
            held, self._held = self._held, []
        for sock in held:
            _close(sock)
        self._hanging.clear()
        self._open.set()

    def close(self) -> None:
        """Stop accepting; held connections are closed."""
        self._closed = True
        self.resume()
        _close(self._listener)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._hanging.is_set():
                with self._lock:
                    self._held.append(client)
                    self.held_connections += 1
                continue
            try:
                upstream = socket.create_connection(self._upstream, timeout=5)
            except OSError:  # the registry is stopped: the client sees the connection closed
                _close(client)
                continue
            upstream.settimeout(None)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        """Copy ``src`` to ``dst``; while hanging nothing is forwarded and the pair is held."""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if not self._open.is_set():
                    with self._lock:
                        self._held += [src, dst]
                    self._open.wait()
                    break  # the connection was closed by resume(): its bytes are stale
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(src)
            _close(dst)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
