"""Where an import's file comes from and what it holds: an http(s) download, the format
detected from its first bytes, the source name its file name gives."""

from __future__ import annotations

import csv
import io
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from recommender.errors import ImportFailed

from .formats import FORMATS, Format
from .normalize import fold
from .reader import check_not_binary, detect_encoding, excel_separator, head, sniff_delimiter

MAX_DOWNLOAD_BYTES = 1 << 30


def source_from_stem(name: str) -> str:
    """``auto_ecoles_sociales_liste_manuelle.csv`` → ``auto-ecoles-sociales-liste-manuelle``."""
    stem = name
    for suffix in (".gz", ".csv", ".json", ".txt", ".tsv"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    slug = fold(stem).replace(" ", "-")
    return slug[:64] or "import"


def fetch(url: str) -> Path:
    """Download an http(s) URL to a temporary file (the caller deletes it)."""
    parsed = urlparse(url)
    suffix = "".join(Path(parsed.path).suffixes[-2:]) or ".dat"
    request = urllib.request.Request(url, headers={"User-Agent": "Relais-import/1.0"})
    fd, name = tempfile.mkstemp(prefix="relais-import-", suffix=suffix)
    target = Path(name)
    try:
        with open(fd, "wb") as out, urllib.request.urlopen(request, timeout=120) as response:
            size = 0
            while chunk := response.read(1 << 20):
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise ImportFailed("Fichier distant trop volumineux (plus de 1 Go).")
                out.write(chunk)
    except ImportFailed:
        target.unlink(missing_ok=True)
        raise
    except (urllib.error.URLError, OSError, ValueError) as exc:
        target.unlink(missing_ok=True)
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()
        reason = getattr(exc, "reason", None) or exc
        raise ImportFailed(f"Téléchargement impossible de « {url} » : {reason}.") from None
    return target


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
