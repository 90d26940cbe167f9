"""A plain HTTP client (stdlib) with its own cookie: the crawler's and the API walk's.

The session cookie is ``Secure`` in production; a browser sends it to http://127.0.0.1 (a
trustworthy origin) but :mod:`http.cookiejar` would not, so the cookie is kept by hand.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin


@dataclass(frozen=True)
class Answer:
    url: str
    status: int
    content_type: str
    body: str
    location: str = ""

    def json(self):
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(
        self,
        method: str,
        url: str,
        *,
        form: dict[str, str] | None = None,
        body: object = None,
        follow: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        data = None
        sent = dict(headers or {})
        if form is not None:
            data = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        req = urllib.request.Request(urljoin(self.base_url, url), data, sent, method=method)
        try:
            resp = self.opener.open(req, timeout=60)
        except urllib.error.HTTPError as error:
            resp = error
        with resp:
            raw = resp.read()
            for header in resp.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            answer = Answer(
                req.full_url,
                resp.status,
                resp.headers.get("Content-Type", ""),
                raw.decode("utf-8", "replace"),
                resp.headers.get("Location", ""),
            )
        if follow and answer.status in (301, 302, 303, 307, 308) and answer.location:
            return self.request("GET", urljoin(answer.url, answer.location))
        return answer

    def get(self, url: str, **kwargs) -> Answer:
        return self.request("GET", url, **kwargs)

    def login(self, email: str, password: str) -> Answer:
        page = self.get("/admin/connexion")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.body)
        assert token, "jeton CSRF absent de la page de connexion"
        form = {"csrf_token": token.group(1), "email": email, "password": password}
        return self.request("POST", "/admin/connexion", form=form)


class Links(HTMLParser):
    """Every href/src of a page (links, stylesheets, scripts, images)."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name == "href" or (name == "src" and tag in ("script", "img"))):
                self.found.append(value)


def links_of(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.found
