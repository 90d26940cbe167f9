"""Every setting of the app, documented as data, and the one place that reads the environment.

Precedence, lowest first: the default here, ``<instance>/config.py``, the environment
(only for settings marked ``env``), then a test's own overrides. ``SECRET_KEY`` left
empty by all of them is generated once into ``<instance>/secret_key`` (mode 0600) and
reused by every worker and restart of that instance. ``docs/settings.md`` lists each
setting; a test keeps the two in step.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

INSTANCE_ENV = "RELAIS_INSTANCE_PATH"
SettingValue = str | int | float | bool | None


@dataclass(frozen=True)
class Setting:
    """One configuration key: its default, what it is for, whether the environment sets it."""

    name: str
    default: SettingValue | Callable[[str], SettingValue]
    help: str
    env: bool = False

    def default_for(self, instance_path: str) -> SettingValue:
        return self.default(instance_path) if callable(self.default) else self.default


def _sqlite_in_instance(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'relais.sqlite3'}"


def _index_in_instance(instance_path: str) -> str:
    return str(Path(instance_path) / "index")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        _sqlite_in_instance,
        "Base de données : SQLite dans le dossier d'instance par défaut, ou "
        "`postgresql://utilisateur:mot-de-passe@hôte/base`.",
        env=True,
    ),
    Setting(
        "SECRET_KEY",
        None,
        "Clé qui signe les sessions et les jetons CSRF. Sans valeur, générée une fois dans "
        "`<instance>/secret_key` (droits 0600). Plusieurs serveurs : la même valeur partout.",
        env=True,
    ),
    Setting(
        "INDEX_DIR",
        _index_in_instance,
        "Dossier des index enregistrés (disque local de chaque serveur, jamais un partage réseau).",
        env=True,
    ),
    Setting(
        "ENGINE_CHECK_SECONDS",
        2.0,
        "Intervalle, en secondes, entre deux vérifications de la version des données.",
    ),
    Setting(
        "ENGINE_BACKGROUND_REBUILD",
        True,
        "Reconstruire les index en arrière-plan quand les données changent (sinon à la requête ; "
        "toujours à la requête en mode test).",
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        50 * 1024 * 1024,
        "Taille maximale d'un corps de requête, en octets.",
    ),
    Setting(
        "FORM_MAX_BYTES",
        256 * 1024,
        "Taille maximale d'un formulaire envoyé (hors import), en octets.",
    ),
    Setting(
        "ADMIN_IMPORT_MAX_BYTES",
        50 * 1024 * 1024,
        "Taille maximale d'un fichier importé depuis l'administration, en octets.",
    ),
    Setting(
        "ADMIN_LOGIN_MAX_FAILURES",
        5,
        "Échecs de connexion admis par compte et par client avant blocage temporaire.",
    ),
    Setting(
        "ADMIN_LOGIN_WINDOW_SECONDS",
        15 * 60,
        "Durée, en secondes, de la fenêtre de comptage des échecs de connexion.",
    ),
    Setting(
        "ADMIN_SESSION_IDLE_MINUTES",
        60,
        "Durée d'inactivité, en minutes, après laquelle une session d'administration expire.",
    ),
    Setting(
        "RELAIS_PROXY_COUNT",
        0,
        "Nombre de mandataires inverses de confiance (nginx…) devant Relais : l'adresse du "
        "client est lue dans `X-Forwarded-For` à ce rang. 0 : l'en-tête est ignoré.",
        env=True,
    ),
    Setting(
        "RELAIS_PUBLIC_URL",
        "",
        "Adresse publique de Relais (ex. `https://relais.example.org`) pour les liens absolus du "
        "widget et le document OpenAPI (`servers`) ; vide : liens relatifs, jamais déduits de "
        "l'en-tête Host.",
        env=True,
    ),
    Setting(
        "IMPORT_MAX_ARCHIVE_SHARE",
        0.2,
        "Part maximale des fiches d'une source qu'un import peut archiver sans confirmation "
        "(à partir de 10 fiches) : au-delà, l'import est refusé (`relais import "
        "--allow-mass-archive` ou la case de confirmation de l'administration pour forcer).",
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "memory://",
        "Où sont comptées les limites de débit (signalements) : `memory://` compte par processus ; "
        "plusieurs serveurs partagent leurs compteurs avec par exemple `redis://hôte:6379`.",
        env=True,
    ),
    Setting(
        "REPORT_RATE_LIMIT",
        "5 per 10 minutes",
        "Signalements d'erreur, propositions de structure et corrections de fiche admis par "
        "client (adresse IP), chacun compté à part : au-delà, réponse 429.",
    ),
    Setting(
        "RELAIS_SMTP_URL",
        "",
        "Serveur d'envoi des courriels de campagne : `smtp://hôte:port`, `smtps://hôte:port` "
        "(TLS implicite), `?starttls=1` pour STARTTLS, identifiants `smtp://utilisateur:mot-de-"
        "passe@hôte`. Vide : `relais campaign` refuse d'envoyer.",
        env=True,
    ),
    Setting(
        "RELAIS_MAIL_FROM",
        "",
        "Expéditeur des courriels de campagne ; vide : `relais@` suivi du nom d'hôte de "
        "`RELAIS_PUBLIC_URL`.",
        env=True,
    ),
    Setting(
        "CAMPAIGN_MAILS_PER_MINUTE",
        30,
        "Courriels de campagne envoyés au plus par minute (relances comprises), pour ménager "
        "le serveur d'envoi et la réputation de l'expéditeur.",
    ),
    Setting(
        "CAMPAIGN_LINK_DAYS",
        60,
        "Durée de validité, en jours, du lien personnel envoyé à un partenaire par une campagne.",
    ),
    Setting(
        "RELAIS_SECURE_COOKIES",
        True,
        "Cookie de session réservé à HTTPS (`Secure`), sauf en test et en débogage. Les "
        "navigateurs l'acceptent aussi de http://127.0.0.1 et http://localhost (l'adresse de "
        "`make demo`, vérifié par `make e2e`) ; mettre `False` pour servir en HTTP ailleurs.",
        env=True,
    ),
    Setting(
        "SESSION_COOKIE_SAMESITE",
        "Lax",
        "Attribut SameSite du cookie de session.",
    ),
    Setting(
        "WTF_CSRF_TIME_LIMIT",
        8 * 3600,
        "Durée de validité, en secondes, d'un jeton de formulaire.",
    ),
    Setting(
        "RELAIS_CONTACT_EMAIL",
        "",
        "Adresse électronique de l'exploitant, affichée dans la déclaration d'accessibilité "
        "(`/a-propos`) pour signaler un défaut d'accessibilité ; vide : la page le dit.",
        env=True,
    ),
    Setting(
        "WIDGET_FRAME_ANCESTORS",
        "*",
        "Sites autorisés à intégrer `/widget` dans une iframe (directive CSP frame-ancestors).",
    ),
)

BY_NAME: Mapping[str, Setting] = {setting.name: setting for setting in SETTINGS}


def instance_path() -> str | None:
    """The instance folder from ``RELAIS_INSTANCE_PATH`` (absolute), or None for Flask's."""
    folder = os.environ.get(INSTANCE_ENV)
    return os.path.abspath(folder) if folder else None


def named_secret(variable: str) -> str | None:
    """The value of an environment variable a sources file names (``relais sync``'s
    ``token_env``: an API token kept out of the file), None when unset or empty. Read here,
    the one module that reads the environment."""
    return os.environ.get(variable) or None


def _from_environment(setting: Setting, raw: str) -> SettingValue:
    """An environment string, typed like the setting's default."""
    default = setting.default
    if isinstance(default, bool):
        return raw.strip().lower() not in ("0", "false", "non", "no", "off", "")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def normalize_database_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` go through psycopg 3, the driver we ship."""
    return url.replace("postgres://", "postgresql+psycopg://", 1).replace(
        "postgresql://", "postgresql+psycopg://", 1
    )


def _generated_secret(instance: str) -> str:
    path = Path(instance) / "secret_key"
    if not path.exists():
        # Created with 0600 from the start, and exclusively: two workers starting together
        # keep whichever key was written first.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    return path.read_text().strip()


def load(app: Flask, overrides: Mapping[str, object] | None = None) -> None:
    """Fill ``app.config`` from the defaults, ``config.py``, the environment and overrides."""
    for setting in SETTINGS:
        app.config[setting.name] = setting.default_for(app.instance_path)
    app.config.from_pyfile("config.py", silent=True)
    for setting in SETTINGS:
        raw = os.environ.get(setting.name) if setting.env else None
        if raw:
            app.config[setting.name] = _from_environment(setting, raw)
    if overrides:
        app.config.update(overrides)
    app.config["DATABASE_URL"] = normalize_database_url(app.config["DATABASE_URL"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _generated_secret(app.instance_path)
