"""The crawler: every same-origin link reachable from the public entry points and the admin.

Breadth-first, bounded (``MAX_PAGES``), with a cap per kind of page so the partner pages are
sampled from the results of several freins around several communes rather than from one list.
Each answer is checked for a 5xx, a broken internal link (4xx), an English default message
and a traceback.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit

from .findings import Finding, body_findings
from .http_client import Client, links_of

MAX_PAGES = {"public": 320, "admin": 80}
# Large communes in several regions: results from several sources and départements.
COMMUNES = ("Amiens", "Beauvais", "Lille", "Marseille")
CAP_PER_KIND = {"search": 70, "/partenaires/<id>": 160, "/admin/partenaires/<id>": 15}
CAP_DEFAULT = 25
NEW_PARTNERS_PER_PAGE = 6
# Wrong addresses and methods: the answer must be a French error page, never a default one.
PROBES = (
    ("GET", "/page-inexistante", 404),
    ("GET", "/partenaires/inexistant", 404),
    ("POST", "/a-propos", 405),
    ("POST", "/partenaires/inexistant/signaler", 404),
    ("GET", "/mise-a-jour/lien-invente", 404),
    ("POST", "/mise-a-jour/lien-invente/confirmer", 404),
    ("GET", "/?commune=%00", 400),
    ("GET", "/api/v1/inexistant", 404),
)


def kind_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.path == "/" and parts.query:
        return "search"
    return re.sub(r"/(?=[^/]*\d)[^/]+", "/<id>", parts.path)


def crawl(client: Client, ledger, seeds: list[str], limit: int, allowed) -> Counter:
    origin = urlsplit(client.base_url).netloc
    queue = deque(urljoin(client.base_url, s) for s in seeds)
    seen = set(queue)
    per_kind: Counter[str] = Counter()
    visited: Counter[str] = Counter()
    while queue and sum(visited.values()) < limit:
        url = queue.popleft()
        answer = client.get(url)
        kind = kind_of(url)
        visited[kind] += 1
        found = body_findings(url, answer.status, answer.body)
        if 400 <= answer.status < 500:
            found.append(Finding("4xx", url, f"HTTP {answer.status} (lien interne)"))
        ledger.add(found)
        if "text/html" not in answer.content_type:
            continue
        new_partners = 0
        for link in links_of(answer.body):
            target = urldefrag(urljoin(answer.url, link)).url
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or parts.netloc != origin:
                continue
            if target in seen or not allowed(parts.path):
                continue
            target_kind = kind_of(target)
            if per_kind[target_kind] >= CAP_PER_KIND.get(target_kind, CAP_DEFAULT):
                continue
            if target_kind == "/partenaires/<id>":
                if new_partners >= NEW_PARTNERS_PER_PAGE:
                    continue
                new_partners += 1
            per_kind[target_kind] += 1
            seen.add(target)
            queue.append(target)
    return visited


def _record(ledger, name: str, visited: Counter) -> None:
    ledger.surfaces.update(f"crawl {kind}" for kind in visited if not kind.startswith("/static/"))
    ledger.count("pages_crawled", sum(visited.values()))
    ledger.count(f"pages_crawled_{name}", sum(visited.values()))


def test_crawl_public_pages(base_url, ledger):
    client = Client(base_url)
    freins = [f["code"] for f in client.get("/api/v1/freins").json()["freins"]]
    searches = [
        "/?" + urlencode({"frein": frein, "commune": commune})
        for i, frein in enumerate(freins)
        for commune in COMMUNES[i % 2 :: 2]
    ]
    # The opening filter, with cards showing each partner's week and today's status.
    searches += ["/?" + urlencode({"commune": c, "ouvert": "aujourdhui"}) for c in COMMUNES[:2]]
    seeds = ["/", "/orientation", "/a-propos", "/carnet", "/widget", "/partenaires/", *searches]
    seeds += ["/couverture", "/couverture?frein=justice&territoire=d%3A60"]
    seeds += ["/proposer-une-structure"]
    visited = crawl(
        client, ledger, seeds, MAX_PAGES["public"], lambda path: not path.startswith("/admin")
    )
    _record(ledger, "public", visited)
    for method, path, expected in PROBES:
        answer = client.request(method, path)
        ledger.count("error_probes")
        ledger.add(body_findings(answer.url, answer.status, answer.body))
        assert answer.status == expected, f"{method} {path} : {answer.status}"
        assert "Erreur" in answer.body or '"error"' in answer.body, answer.body[:300]
    assert visited["/partenaires/<id>"] >= 50, visited
    ledger.verdict()


def test_crawl_admin_pages(base_url, admin, ledger):
    client = Client(base_url)
    landed = client.login(*admin)
    assert urlsplit(landed.url).path == "/admin/", f"connexion refusée : {landed.url}"
    seeds = ["/admin/", "/admin/partenaires", "/admin/signalements", "/admin/fusions"]
    seeds += ["/admin/imports", "/admin/imports/nouveau", "/admin/journal", "/admin/campagnes"]
    visited = crawl(
        client, ledger, seeds, MAX_PAGES["admin"], lambda path: path.startswith("/admin")
    )
    _record(ledger, "admin", visited)
    assert visited["/admin/imports/<id>"] >= 1, visited
    ledger.verdict()
