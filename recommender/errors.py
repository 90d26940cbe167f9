"""One error tree for the engine and the app, so every layer answers with the
same JSON shape: ``{"error": {"code", "message", "details"}}``.

Messages are in French: they reach CIPs and partner webmasters as they are.
"""

from __future__ import annotations

from typing import Any


class RelaisError(Exception):
    """Base of every error a user may see; ``status`` is the HTTP status."""

    status = 400
    code = "erreur"
    default_message = "La requête est invalide."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class InvalidParameter(RelaisError):
    """A parameter is malformed, out of range or too large."""

    code = "parametre_invalide"
    default_message = "Un paramètre est invalide."

    def __init__(self, param: str, message: str, **details: Any):
        super().__init__(message, details={"parameter": param, **details})


class MissingParameter(InvalidParameter):
    code = "parametre_manquant"


class UnknownParameter(InvalidParameter):
    """A query parameter the endpoint does not take (a typo would otherwise be ignored)."""

    code = "parametre_inconnu"


class UnknownFrein(InvalidParameter):
    code = "frein_inconnu"


class UnknownPublic(InvalidParameter):
    code = "public_inconnu"


class UnlocatedCommune(InvalidParameter):
    """The commune exists but has no coordinates (some overseas collectivities): nothing can
    be measured from it. 404, as for a commune that cannot be found: the request is valid."""

    status = 404
    code = "commune_non_localisee"


class UnknownCommune(RelaisError):
    status = 404
    code = "commune_inconnue"
    default_message = "Commune introuvable."


class NotFound(RelaisError):
    status = 404
    code = "introuvable"
    default_message = "Ressource introuvable."


class ImportFailed(RelaisError):
    """A whole import file is unusable (unknown format, unreadable, too large)."""

    status = 422
    code = "import_impossible"
    default_message = "Le fichier ne peut pas être importé."
