"""The production server (waitress), with its own errors answered like the app's.

waitress refuses some requests before the app sees them (a raw non-ASCII address: "Bad URI",
headers too large…) with an English ``text/plain`` body. :class:`FrenchErrorTask` answers
those with the app's error shape instead: JSON under ``/api/``, the French error page
elsewhere (:func:`app.errors.error_response`).
"""

from __future__ import annotations

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer
from waitress.server import create_server as waitress_server
from waitress.task import ErrorTask

from .errors import HTTP_MESSAGES, error_response

BAD_ADDRESS = (
    "Adresse invalide : les caractères accentués ou spéciaux doivent y être encodés "
    "(par exemple %C3%A9 pour « é »)."
)


def french_error(app: Flask, status: int, raw_uri: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) of the app's answer to a request the server refused."""
    code, message = HTTP_MESSAGES.get(status, ("requete_invalide", "La requête est invalide."))
    if status == 400:
        message = BAD_ADDRESS
    path = "/api/" if raw_uri.startswith("/api/") else "/"
    with app.test_request_context(path):
        response = app.make_response(error_response(status, code, message))
        response.headers["Cache-Control"] = "no-store"
        body = response.get_data()
        return response.status, list(response.headers.items()), body


class FrenchErrorTask(ErrorTask):
    app: Flask

    def execute(self) -> None:
        error = self.request.error
        uri = getattr(self.request, "request_uri", "") or ""
        status, headers, body = french_error(self.app, error.code, uri)
        self.status = status
        self.response_headers.extend(
            (k, v) for k, v in headers if k.lower() not in ("content-length", "connection")
        )
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


def create_server(
    app: Flask, host: str, port: int, threads: int
) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server for ``app`` whose own error answers are French (see module doc)."""
    task = type("AppErrorTask", (FrenchErrorTask,), {"app": app})
    channel = type("AppChannel", (HTTPChannel,), {"error_task_class": task})
    server = waitress_server(app, host=host, port=port, threads=threads)
    server.channel_class = channel
    return server
