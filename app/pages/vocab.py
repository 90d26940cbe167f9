"""Labels for the codes the pages show (freins, partner types, publics), from the taxonomy."""

from __future__ import annotations

from typing import Any

from flask import current_app


def _label(code: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("label") or code)
    return str(getattr(value, "label", None) or code)


def _taxonomy():
    from recommender.taxonomy import default_taxonomy

    return default_taxonomy()


def freins() -> list[dict[str, Any]]:
    """``[{"code", "label", "description"}]`` in the taxonomy's order."""
    from app import services

    return services.list_freins()["freins"]


def frein_labels() -> dict[str, str]:
    return {f["code"]: f["label"] for f in freins()}


def partner_types() -> list[tuple[str, str]]:
    """``[(code, label)]`` sorted by label."""
    types = _taxonomy().partner_types
    return sorted(((c, _label(c, v)) for c, v in types.items()), key=lambda x: x[1].casefold())


def type_labels() -> dict[str, str]:
    return dict(partner_types())


def publics() -> list[tuple[str, str]]:
    """``[(code, label)]`` of the data·inclusion publics, in the vocabulary's order."""
    try:
        values = _taxonomy().publics
    except Exception:  # taxonomy without publics: keep the page usable
        current_app.logger.warning("Vocabulaire des publics indisponible", exc_info=True)
        return []
    return [(c, _label(c, v)) for c, v in values.items()]


def public_labels() -> dict[str, str]:
    return dict(publics())
