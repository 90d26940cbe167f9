"""The fiche the person takes away: one partner, in French beside the person's language
(gettext catalogues, ``app/translations``) or in plain French (« facile à lire et à
comprendre »). Partner names, addresses and the source's own words stay as they are.
"""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale, gettext

from recommender.errors import InvalidParameter

from . import formatting, handover


def N_(message: str) -> str:
    """Marks a message for ``pybabel extract`` (translated later, under the fiche's locale)."""
    return message


# Every text of the fiche, by key; the catalogues translate these msgids.
TEXTS: dict[str, str] = {
    "titre": N_("Où aller"),
    "intro": N_("Cette structure peut vous aider."),
    "adresse": N_("Adresse"),
    "telephone": N_("Téléphone"),
    "courriel": N_("Courriel"),
    "site": N_("Site internet"),
    "horaires": N_("Horaires d'ouverture"),
    "horaires_inconnus": N_("Horaires non communiqués : appelez avant de venir."),
    "sur_rdv": N_("Sur rendez-vous : appelez pour avoir un rendez-vous."),
    "sans_rdv": N_("Sans rendez-vous : venez pendant les horaires d'ouverture."),
    "a_apporter": N_("À apporter"),
    "apporter_fiche": N_("Apportez cette fiche avec vous."),
    "rendez_vous": N_("Votre rendez-vous"),
    "date": N_("Date"),
    "heure": N_("Heure"),
    "avec": N_("Avec"),
    "plan": N_("Plan : le point montre où se trouve la structure dans la commune."),
    "anciennes": N_("Informations de %(annee)s : horaires à vérifier par téléphone."),
    "date_inconnue": N_("Date des informations inconnue : horaires à vérifier par téléphone."),
    "empeche": N_("Si vous ne pouvez pas venir, appelez la structure."),
    "pied": N_("Fiche préparée avec Relais. Elle ne contient aucune information sur vous."),
    "lundi": N_("Lundi"),
    "mardi": N_("Mardi"),
    "mercredi": N_("Mercredi"),
    "jeudi": N_("Jeudi"),
    "vendredi": N_("Vendredi"),
    "samedi": N_("Samedi"),
    "dimanche": N_("Dimanche"),
}

# The plain-language variant: short sentences, one idea each, common words.
FALC_TEXTS: dict[str, str] = {
    **TEXTS,
    "titre": "Où aller",
    "intro": "Vous pouvez aller dans ce lieu. Des personnes vont vous aider.",
    "horaires": "Quand c'est ouvert",
    "horaires_inconnus": "Nous ne savons pas quand c'est ouvert. Téléphonez avant d'y aller.",
    "sur_rdv": "Il faut un rendez-vous. Téléphonez pour avoir un rendez-vous.",
    "sans_rdv": "Pas besoin de rendez-vous. Venez quand c'est ouvert.",
    "a_apporter": "Ce que vous devez prendre avec vous",
    "apporter_fiche": "Prenez cette feuille avec vous.",
    "rendez_vous": "Votre rendez-vous",
    "avec": "Vous allez voir",
    "plan": "Le point sur le plan montre le lieu.",
    "anciennes": "Ces informations sont anciennes (%(annee)s). Téléphonez pour vérifier.",
    "date_inconnue": "Ces informations sont peut-être anciennes. Téléphonez pour vérifier.",
    "empeche": "Vous ne pouvez pas y aller ? Téléphonez au lieu.",
    "pied": "Cette feuille ne contient rien sur vous.",
}


def language_of(value: str | None) -> handover.Language | str | None:
    """The ``?langue=`` choice: a :class:`handover.Language`, :data:`handover.FALC`, or
    ``None`` for French alone."""
    if not value or value == "fr":
        return None
    if value == handover.FALC:
        return handover.FALC
    if value in handover.LANGUAGES:
        return handover.LANGUAGES[value]
    raise InvalidParameter(
        "langue", "Langue inconnue : choisissez une langue de la liste.", value=value[:20]
    )


def texts(language: handover.Language | str | None) -> dict[str, tuple[str, str | None]]:
    """Each key's ``(French, translation or None)``; the plain variant replaces the French."""
    if language == handover.FALC:
        return {key: (text, None) for key, text in FALC_TEXTS.items()}
    if isinstance(language, handover.Language):
        with force_locale(language.code):
            return {key: (text, gettext(text)) for key, text in TEXTS.items()}
    return {key: (text, None) for key, text in TEXTS.items()}


def context(partner: dict[str, Any], language: handover.Language | str | None) -> dict[str, Any]:
    """Everything the fiche template prints."""
    fresh = formatting.freshness(partner)
    return {
        "p": partner,
        "facts": handover.sheet_facts(partner),
        "week": handover.hours_week(partner),
        "map": handover.map_svg(partner),
        "fresh": fresh,
        "stale_year": fresh["date"].year if fresh["stale"] and fresh["date"] else None,
        "t": texts(language),
        "language": language if isinstance(language, handover.Language) else None,
        "falc": language == handover.FALC,
        "choice": (
            language.code if isinstance(language, handover.Language) else (language or "fr")
        ),
        "languages": list(handover.LANGUAGES.values()),
    }
