"""A local HTTP server (127.0.0.1 only) standing for the national sources ``relais sync``
reads: files of a folder with ``ETag`` and ``Last-Modified``, answered « 304 » to a matching
conditional request, and the failures a real source has (an HTTP error, a transfer cut
before its ``Content-Length``, a bearer token required)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from .chromium_support import serving

TOKEN = "jeton-de-test"


@dataclass
class SourcesServer:
    """What the handler serves and what it saw. Paths:

    - ``/fichiers/NAME``: the file, with validators (``cut`` names files sent truncated);
    - ``/sans-validateurs/NAME``: the file, without ETag nor Last-Modified;
    - ``/prive/NAME``: the file, for ``Authorization: Bearer TOKEN`` only (401 otherwise);
    - ``/erreur/CODE``: that HTTP status.
    """

    root: Path
    url: str = ""
    cut: set[str] = field(default_factory=set)
    log: list[tuple[str, int]] = field(default_factory=list)  # (path, status) per request
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self, status: int | None = None) -> list[str]:
        with self.lock:
            return [p for p, s in self.log if status is None or s == status]

    def clear(self) -> None:
        with self.lock:
            self.log.clear()
            self.headers_seen.clear()


def _handler(state: SourcesServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep the test output clean
            pass

        def _status(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None):
            with state.lock:
                state.log.append((self.path, code))
                state.headers_seen.append(dict(self.headers))
            self.send_response(code)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:
            kind, _, name = self.path.lstrip("/").partition("/")
            if kind == "erreur":
                self._status(int(name), b"Erreur du serveur de test")
                return
            path = state.root / name
            if not name or "/" in name or not path.is_file():
                self._status(404)
                return
            if kind == "prive" and self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._status(401, b"jeton requis")
                return
            body = path.read_bytes()
            validators: dict[str, str] = {}
            if kind != "sans-validateurs":
                validators = {
                    "ETag": f'"{hashlib.sha256(body).hexdigest()[:16]}"',
                    "Last-Modified": formatdate(int(path.stat().st_mtime), usegmt=True),
                }
                if self._not_modified(validators, path):
                    self._status(304, headers=validators)
                    return
            if name in state.cut:
                self._cut(body)
                return
            self._status(200, body, validators)

        def _not_modified(self, validators: dict[str, str], path: Path) -> bool:
            if etag := self.headers.get("If-None-Match"):
                return etag == validators["ETag"]
            if since := self.headers.get("If-Modified-Since"):
                return int(path.stat().st_mtime) <= parsedate_to_datetime(since).timestamp()
            return False

        def _cut(self, body: bytes) -> None:
            """Announce the whole body, send half of it, close the connection."""
            with state.lock:
                state.log.append((self.path, 200))
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True

    return Handler


@contextmanager
def sources_server(root: Path) -> Iterator[SourcesServer]:
    """Serve ``root`` on a free port of 127.0.0.1 while the block runs."""
    state = SourcesServer(root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    with serving(server) as url:
        state.url = url
        yield state
