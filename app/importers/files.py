"""Where an import's file comes from and what it holds: an http(s) download (conditional for
``relais sync``), the format detected from its first bytes, the source name its file name
gives."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import requests

from recommender.errors import ImportFailed

from .formats import FORMATS, Format
from .normalize import fold
from .reader import check_not_binary, detect_encoding, excel_separator, head, sniff_delimiter

MAX_DOWNLOAD_BYTES = 1 << 30


def source_from_stem(name: str) -> str:
    """``auto_ecoles_sociales_liste_manuelle.csv`` → ``auto-ecoles-sociales-liste-manuelle``."""
    stem = name
    for suffix in (".gz", ".bz2", ".tar", ".csv", ".json", ".txt", ".tsv"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    slug = fold(stem).replace(" ", "-")
    return slug[:64] or "import"


@dataclass(frozen=True)
class Validators:
    """What a server said identifies the version of its file (``ETag``, ``Last-Modified``):
    sent back on the next request, they let it answer « 304 Not Modified »."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        sent = {}
        if self.etag:
            sent["If-None-Match"] = self.etag
        if self.last_modified:
            sent["If-Modified-Since"] = self.last_modified
        return sent


@dataclass(frozen=True)
class Download:
    """A finished download: ``path`` is None when the server answered « 304 Not Modified »."""

    path: Path | None
    validators: Validators
    sha256: str = ""


def download(url: str, validators: Validators | None = None, token: str | None = None) -> Download:
    """Stream an http(s) URL to a temporary file (the caller deletes it), hashing it on the
    way; conditional when ``validators`` are given, with a bearer ``token`` when given.

    Raises ImportFailed (French) on a network failure, an HTTP error, a file past
    :data:`MAX_DOWNLOAD_BYTES` or a transfer shorter than its ``Content-Length``: no
    partial file is ever returned.
    """
    headers = {"User-Agent": USER_AGENT} | (validators or Validators()).headers()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    target: Path | None = None
    try:
        with requests.get(url, headers=headers, stream=True, timeout=TIMEOUTS) as response:
            got = Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))
            if response.status_code == 304:
                return Download(None, validators or got)
            if response.status_code >= 400:
                reason = f"erreur HTTP {response.status_code} ({response.reason or 'sans motif'})"
                raise ImportFailed(f"Téléchargement impossible de « {url} » : {reason}.")
            target = _temporary(url)
            digest, size = _stream_to(response, target)
            _check_complete(response, size, url)
            return Download(target, got, digest)
    except ImportFailed:
        if target is not None:
            target.unlink(missing_ok=True)
        raise
    except (requests.RequestException, OSError, ValueError) as exc:
        if target is not None:
            target.unlink(missing_ok=True)
        raise ImportFailed(_failure(url, exc)) from None


def fetch(url: str) -> Path:
    """Download an http(s) URL to a temporary file (the caller deletes it)."""
    path = download(url).path
    assert path is not None  # an unconditional request is never answered 304
    return path


USER_AGENT = "Relais-import/1.0"
# (connect, read) seconds: a national file is long to send, never silent for two minutes.
TIMEOUTS = (30, 120)
CHUNK = 1 << 20


def _temporary(url: str) -> Path:
    suffix = "".join(Path(urlparse(url).path).suffixes[-2:]) or ".dat"
    fd, name = tempfile.mkstemp(prefix="relais-import-", suffix=suffix)
    os.close(fd)
    return Path(name)


def _stream_to(response: requests.Response, target: Path) -> tuple[str, int]:
    """Write the body to ``target`` chunk by chunk; (sha256, bytes written)."""
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > MAX_DOWNLOAD_BYTES:
                raise ImportFailed("Fichier distant trop volumineux (plus de 1 Go).")
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def _check_complete(response: requests.Response, size: int, url: str) -> None:
    """A body shorter than its announced length is a cut transfer (compressed bodies are
    announced compressed: only the connection library can check those)."""
    announced = response.headers.get("Content-Length", "")
    encoded = response.headers.get("Content-Encoding")
    if announced.isdigit() and not encoded and size != int(announced):
        raise ImportFailed(_cut(url, f"{size} octets reçus sur {announced} annoncés"))


def _cut(url: str, detail: str) -> str:
    return f"Téléchargement interrompu de « {url} » ({detail}) : rien n'a été importé."


def _failure(url: str, exc: BaseException) -> str:
    """The French message for a failed request."""
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return _cut(url, "connexion coupée avant la fin du fichier")
    if isinstance(exc, requests.Timeout):
        reason = "délai dépassé"
    elif isinstance(exc, requests.ConnectionError):
        reason = "serveur injoignable ou connexion refusée"
    elif isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        reason = "adresse invalide"
    else:
        reason = str(exc)
    return f"Téléchargement impossible de « {url} » : {reason}."


def detect_format(path: Path, display_name: str) -> Format:
    """The format of a file, from its first bytes (JSON keys or CSV headers)."""
    sample = head(path)
    check_not_binary(sample, display_name)
    encoding = detect_encoding(sample)
    text = sample.decode(encoding, errors="replace").lstrip("\ufeff")
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        for fmt in FORMATS:
            if fmt.kind == "json" and fmt.sniff_json(stripped):
                return fmt
        raise ImportFailed(
            f"Format JSON non reconnu pour « {display_name} » : ni export de l'annuaire DILA "
            "(clé « service »), ni export data·inclusion (structures ou services). "
            "Précisez --format si besoin."
        )
    delimiter, text = excel_separator(text)
    delimiter = delimiter or sniff_delimiter(text[:20000])
    try:
        headers = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    except (StopIteration, csv.Error):
        headers = []
    names = {h.strip().lstrip("\ufeff").lower() for h in headers}
    for fmt in FORMATS:
        if fmt.kind == "csv" and fmt.sniff_csv(names):
            return fmt
    shown = ", ".join(h for h in headers[:12] if h.strip()) or "aucune"
    raise ImportFailed(
        f"Format non reconnu pour « {display_name} » (colonnes : {shown}). Un CSV générique "
        "doit avoir au moins une colonne « nom » et une colonne de localisation (commune, "
        "code postal, département ou latitude/longitude) ; voir docs/import.md."
    )
