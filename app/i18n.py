"""Translations of the person's fiche (Flask-Babel, gettext catalogues in ``app/translations``).

The site stays French: the locale is always ``fr``; only the person's fiche renders its
texts a second time under :func:`flask_babel.force_locale`.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import Babel

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=lambda: "fr",
        default_locale="fr",
        default_translation_directories=str(TRANSLATIONS),
    )
