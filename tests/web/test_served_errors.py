"""Errors the WSGI server answers itself (before the app sees the request) keep our shape.

A raw, un-encoded UTF-8 address (``GET /api/v1/partners?q=é`` sent as bytes) is refused by
waitress's request parser; it must still get the JSON error shape under ``/api/`` and a French
page elsewhere, not waitress's English plain text. Sent over a raw socket to the server that
``relais serve`` runs, on a loopback port.
"""

from __future__ import annotations

import json
import socket
import threading

import pytest

from app.server import create_server

from ..support.apps import build_app

PORT = 5621


@pytest.fixture
def served(tmp_path, monkeypatch):
    app = build_app(tmp_path, f"sqlite:///{tmp_path / 'served.sqlite3'}")
    server = create_server(app, host="127.0.0.1", port=PORT, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"127.0.0.1:{PORT}"
    server.close()
    thread.join(5)
    app.extensions["relais.engine"].dispose()


def raw_get(path: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", PORT), timeout=10) as sock:
        sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.parametrize("path", [b"/api/v1/partners?q=\xc3\xa9", b"/api/v1/partners/\xc3\xa9"])
def test_raw_utf8_address_on_the_api_gets_the_json_error_shape(served, path):
    status, headers, body = raw_get(path)
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["code"] == "requete_invalide"
    assert "adresse" in error["message"].lower()
    assert "Bad" not in body.decode() and "waitress" not in body.decode()


@pytest.mark.parametrize("path", [b"/?q=\xc3\xa9", b"/partenaires/\xff"])
def test_raw_utf8_address_on_a_page_gets_a_french_page(served, path):
    status, headers, body = raw_get(path)
    assert status == 400
    assert headers["content-type"].startswith("text/html")
    html = body.decode()
    assert '<html lang="fr">' in html and "adresse" in html.lower()
    assert "Bad Request" not in html and "waitress" not in html


def test_encoded_address_still_works(served):
    status, _, body = raw_get(b"/api/v1/partners?q=%C3%A9")
    assert status == 200, body
