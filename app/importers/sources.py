"""The sources file of ``relais sync``: a TOML list of ``[[source]]`` tables, each checked on
its own, so that one wrong entry is reported and skipped while the others run."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recommender.errors import ImportFailed

from .formats import by_name
from .options import ArchiveScope

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
KEYS = ("name", "url", "format", "token_env", "source", "scope", "schedule")


@dataclass(frozen=True)
class SyncSource:
    """One entry of the file: where to download, how to read it, what it may archive."""

    name: str  # the entry's identity (its sync state, its lines in the output)
    url: str
    format: str
    token_env: str | None = None  # the variable holding an API token (sent as Bearer)
    source: str | None = None  # the import's source name (None: the format's, else ``name``)
    scope: ArchiveScope | None = None
    schedule: str | None = None  # a hint for whoever writes the timer, not read by Relais


@dataclass(frozen=True)
class SourceEntry:
    """A checked entry: its source, or why it cannot run (French)."""

    name: str
    source: SyncSource | None = None
    error: str | None = None


def load_sources(path: Path) -> list[SourceEntry]:
    """Every ``[[source]]`` of ``path``, in order. ImportFailed (French) when the file itself
    is unusable: unreadable, not TOML (with its line), or without any source."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportFailed(f"Fichier de sources introuvable : « {path} ».") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"Fichier de sources illisible « {path} » : {exc}.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ImportFailed(
            f"Fichier de sources « {path.name} » invalide : {_toml_error(exc)}."
        ) from None
    tables = data.get("source")
    if not isinstance(tables, list) or not tables:
        raise ImportFailed(
            f"Le fichier « {path.name} » ne déclare aucune source : une table [[source]] "
            "par source est attendue (voir docs/sync.md)."
        )
    entries: list[SourceEntry] = []
    seen: set[str] = set()
    for number, table in enumerate(tables, start=1):
        entry = _entry(number, table)
        if entry.source is not None and entry.name in seen:
            entry = SourceEntry(entry.name, error="nom déjà utilisé par une source précédente")
        seen.add(entry.name)
        entries.append(entry)
    return entries


def _toml_error(exc: tomllib.TOMLDecodeError) -> str:
    """tomllib's message in French: « ligne 3, colonne 7 : … »."""
    message = str(exc)
    if m := re.search(r"\(at line (\d+), column (\d+)\)", message):
        detail = message[: m.start()].strip()
        return f"ligne {m[1]}, colonne {m[2]} (TOML : {detail})"
    if m := re.search(r"\(at end of document\)", message):
        return f"fin du fichier (TOML : {message[: m.start()].strip()})"
    return f"TOML : {message}"


def _entry(number: int, table: Any) -> SourceEntry:
    label = f"source n° {number}"
    if not isinstance(table, dict):
        return SourceEntry(label, error="chaque source doit être une table [[source]]")
    name = table.get("name")
    if isinstance(name, str) and NAME.fullmatch(name):
        label = name
    try:
        return SourceEntry(label, source=_checked(table))
    except ImportFailed as exc:
        return SourceEntry(label, error=exc.message)


def _checked(table: dict[str, Any]) -> SyncSource:
    if unknown := sorted(set(table) - set(KEYS)):
        raise ImportFailed(
            f"clé(s) inconnue(s) : {', '.join(unknown)} (clés possibles : {', '.join(KEYS)})"
        )
    name = _text(table, "name", required=True)
    if not NAME.fullmatch(name):
        raise ImportFailed(
            f"nom « {name} » invalide (minuscules, chiffres, points et tirets, 64 caractères "
            "au plus)"
        )
    url = _text(table, "url", required=True)
    if not re.match(r"^https?://[^\s/]+", url, re.I):
        raise ImportFailed(f"adresse « {url} » invalide (http:// ou https:// attendu)")
    fmt = by_name(_text(table, "format", required=True)).name
    token_env = _text(table, "token_env") or None
    if token_env and not VARIABLE.fullmatch(token_env):
        raise ImportFailed(f"token_env « {token_env} » n'est pas un nom de variable valide")
    scope = table.get("scope")
    if isinstance(scope, str):
        scope = [scope]
    if scope is not None and not (
        isinstance(scope, list) and all(isinstance(s, str) for s in scope)
    ):
        raise ImportFailed("scope : un texte ou une liste de textes est attendu")
    return SyncSource(
        name=name,
        url=url,
        format=fmt,
        token_env=token_env,
        source=_text(table, "source") or None,
        scope=ArchiveScope.parse(scope or []),
        schedule=_text(table, "schedule") or None,
    )


def _text(table: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = table.get(key)
    if value is None:
        if required:
            raise ImportFailed(f"clé « {key} » manquante")
        return ""
    if not isinstance(value, str):
        raise ImportFailed(f"« {key} » doit être un texte entre guillemets")
    return value.strip()
