"""What the ``relais`` command says when something fails: French, one line, no traceback.

:func:`as_click_exception` is the one translation the root group applies to whatever a
command raises; ``relais --verbose`` (or ``RELAIS_VERBOSE=1``) lets the original
exception and its traceback through for developers.
"""

from __future__ import annotations

import errno
import socket
import sqlite3
from pathlib import Path

import click
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from recommender.errors import RelaisError

from ..db import DatabaseUrlError

VERBOSE_HINT = "Relancez avec « relais --verbose … » pour voir le détail."

OS_REASONS = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOSPC: "plus de place sur le disque",
    errno.EISDIR: "c'est un dossier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EEXIST: "existe déjà",
    errno.ECONNREFUSED: "connexion refusée",
    errno.EADDRINUSE: "adresse déjà utilisée",
    errno.EADDRNOTAVAIL: "adresse indisponible sur cette machine",
}


def as_click_exception(exc: Exception, url: URL | None) -> click.ClickException:
    """``exc`` as a French :class:`click.ClickException` (printed ``Erreur : …``, exit 1)."""
    message = known_message(exc, url)
    if message is None:
        message = f"Problème inattendu ({type(exc).__name__}). {VERBOSE_HINT}"
    return click.ClickException(message)


def known_message(exc: BaseException, url: URL | None) -> str | None:
    """The French message for an error we know, else None."""
    if isinstance(exc, RelaisError):
        return exc.message
    if isinstance(exc, DatabaseUrlError):
        return str(exc)
    if isinstance(exc, SQLAlchemyError | sqlite3.Error):
        return database_message(exc, url)
    if isinstance(exc, OSError):
        return os_message(exc)
    return None


def os_reason(exc: OSError) -> str:
    """Why a system call failed, in a few French words."""
    return OS_REASONS.get(exc.errno or 0, f"erreur système {exc.errno}")


def os_message(exc: OSError) -> str:
    reason = os_reason(exc)
    where = f" : « {exc.filename} »" if exc.filename else ""
    return f"{reason[0].upper()}{reason[1:]}{where}."


def listen_message(exc: OSError, host: str, port: int) -> str:
    """Why the server cannot listen on ``host:port``."""
    if isinstance(exc, socket.gaierror):
        return f"Adresse d'écoute inconnue : « {host} »."
    if exc.errno == errno.EADDRINUSE:
        return (
            f"Le port {port} est déjà utilisé sur {host} : arrêtez l'autre serveur "
            "ou choisissez un autre port (--port)."
        )
    if exc.errno == errno.EACCES:
        return f"Écoute sur le port {port} refusée : utilisez un port supérieur à 1023."
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"L'adresse {host} n'appartient pas à cette machine (--host)."
    return f"Impossible d'écouter sur {host}:{port} : {os_message(exc)}"


def database_message(exc: SQLAlchemyError | sqlite3.Error, url: URL | None) -> str:
    """A database failure in terms of what to check, without the driver's English."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    text = str(orig).lower()
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return "La base n'a pas de schéma : lancez « relais init-db »."
    backend = url.get_backend_name() if url is not None else ""
    if backend == "sqlite" or isinstance(orig, sqlite3.Error):
        return _sqlite_message(text, url) or f"Échec de la base SQLite. {VERBOSE_HINT}"
    if isinstance(exc, OperationalError) and url is not None and backend == "postgresql":
        return _postgres_message(text, url)
    return f"Échec de la base de données ({type(orig).__name__}). {VERBOSE_HINT}"


def _sqlite_message(text: str, url: URL | None) -> str | None:
    path = Path(url.database) if url is not None and url.database else None
    name = f"« {path} »" if path else "SQLite"
    if "unable to open database file" in text:
        if path and not path.parent.is_dir():
            return (
                f"Impossible d'ouvrir la base {name} : le dossier « {path.parent} » n'existe "
                "pas (vérifiez DATABASE_URL)."
            )
        return f"Impossible d'ouvrir la base {name} : fichier ou dossier inaccessible (droits ?)."
    if "file is not a database" in text:
        return f"{name} n'est pas une base SQLite (vérifiez DATABASE_URL)."
    if "locked" in text:
        return f"La base {name} est occupée par un autre processus : réessayez dans un instant."
    if "readonly" in text:
        return f"La base {name} est en lecture seule (droits du fichier ou de son dossier)."
    if "disk" in text and "full" in text:
        return f"Plus de place sur le disque pour la base {name}."
    return None


def _postgres_message(text: str, url: URL) -> str:
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    if "password authentication failed" in text or "no password supplied" in text:
        return f"Connexion PostgreSQL refusée pour l'utilisateur « {url.username} » ({where})."
    if "database" in text and "does not exist" in text:
        return f"La base PostgreSQL « {url.database} » n'existe pas sur {where} (createdb)."
    if "role" in text and "does not exist" in text:
        return f"L'utilisateur PostgreSQL « {url.username} » n'existe pas sur {where}."
    return (
        f"Base PostgreSQL injoignable ({where}, base « {url.database} ») : vérifiez "
        "DATABASE_URL et que le serveur est démarré."
    )
