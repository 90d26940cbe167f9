"""The admin blueprint and what its views share: the audit log, safe redirects, user names.

Every change an admin makes writes an :class:`AuditLog` row and refreshes the search indexes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, url_for
from sqlalchemy import select

from .. import db, services
from ..models import AuditLog, Partner, User
from ..pages import formatting
from .auth import ROLE_LABELS, current_user

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.record_once(lambda state: formatting.install(state.app))

AUDIT_LABELS = {
    "partner.edit": "Modification d'un partenaire",
    "partner.verify": "Marqué comme à jour",
    "partner.archive": "Archivage",
    "partner.unarchive": "Désarchivage",
    "import": "Import",
    "import.simulation": "Simulation d'import",
    "correction.treat": "Signalement traité",
    "correction.reopen": "Signalement rouvert",
    "merge.review": "Fusion vérifiée",
    "partner.confirm": "Confirmé par le partenaire (campagne)",
    "correction.apply": "Correction du partenaire appliquée",
    "correction.reject": "Correction du partenaire rejetée",
    "proposal.accept": "Structure proposée ajoutée",
    "proposal.reject": "Structure proposée rejetée",
    "campaign.unsubscribe": "Désabonnement des campagnes",
    "login": "Connexion",
}

# Who acted, for rows without a user that no command wrote (a partner through its link).
AUDIT_ACTORS = {
    "partner.confirm": "le partenaire (lien de campagne)",
    "campaign.unsubscribe": "le partenaire (lien de campagne)",
}


@bp.app_context_processor
def admin_context() -> dict[str, Any]:
    return {
        "admin_user": current_user,
        "ROLE_LABELS": ROLE_LABELS,
        "AUDIT_LABELS": AUDIT_LABELS,
        "AUDIT_ACTORS": AUDIT_ACTORS,
    }


def audit(action: str, target: str = "", changes: dict[str, Any] | None = None) -> None:
    user = current_user()
    db.get_session().add(
        AuditLog(
            user_id=user.id if user else None,
            action=action,
            target=target[:200],
            changes=changes or {},
        )
    )


def safe_next(target: str | None) -> str:
    """Only local admin paths are valid after sign-in: no open redirect, and no control
    character or backslash (a CR/LF cannot go in a ``Location`` header, browsers read
    ``\\`` as ``/``)."""
    if target and target.isprintable() and "\\" not in target:
        parts = urlsplit(target)
        segments = parts.path.split("/")
        if (
            not parts.scheme
            and not parts.netloc
            and (parts.path == "/admin" or parts.path.startswith("/admin/"))
            and ".." not in segments
        ):
            return target
    return url_for("admin.dashboard")


def user_emails(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.get_session().execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def partner_row(partner_id: str) -> Partner:
    return services.get_partner_row(partner_id)
