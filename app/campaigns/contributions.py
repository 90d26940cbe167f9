"""What the admin's review queue applies: a partner's correction, a proposed structure.

Nothing a partner or a CIP sends reaches the directory before an admin applies it; applying
writes the audit row (the caller commits, then signals the data change).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.orm import Session

from recommender.geo import default_gazetteer
from recommender.taxonomy import default_taxonomy

from ..importers.compose import compose
from ..importers.plan import partner_id_for
from ..models import CorrectionRequest, Partner, PartnerSource, utcnow

SOURCE = "contribution"
# The partner fields a correction or a proposal may carry (the public forms' fields).
PUBLIC_FIELDS = (
    "nom",
    "type_code",
    "adresse",
    "complement_adresse",
    "code_postal",
    "commune_nom",
    "code_insee",
    "telephone",
    "email",
    "site_web",
    "horaires",
    "description",
)
APPLIED, REJECTED = "appliquee", "rejetee"


def apply_correction(item: CorrectionRequest, partner: Partner) -> dict[str, list[Any]]:
    """Write the proposed values on ``partner``; the changes as the audit keeps them.

    A new commune brings its département, région and centre point (the exact point is
    unknown until a source gives it); the record counts as checked today."""
    changes: dict[str, list[Any]] = {}
    for name, value in (item.changes or {}).items():
        if name in PUBLIC_FIELDS and getattr(partner, name) != value:
            changes[name] = [getattr(partner, name), value]
            setattr(partner, name, value)
    if "code_insee" in changes:
        commune = default_gazetteer().communes.get(partner.code_insee or "")
        if commune is not None:
            partner.departement, partner.region = commune.departement, commune.region
            partner.lat, partner.lon, partner.coords_exact = commune.lat, commune.lon, False
    changes.update(partner.mark_verified())
    item.status = APPLIED
    return changes


def accept_proposal(session: Session, item: CorrectionRequest) -> Partner:
    """A new active partner from a proposal, with its ``contribution`` source record."""
    fields = {k: v for k, v in (item.changes or {}).items() if k in PUBLIC_FIELDS}
    commune = default_gazetteer().communes.get(fields.get("code_insee") or "")
    today = utcnow().date()
    record = {
        **fields,
        "departement": commune.departement if commune else item.departement,
        "region": commune.region if commune else None,
        "epci": commune.epci if commune else None,
        "lat": commune.lat if commune else None,
        "lon": commune.lon if commune else None,
        "coords_exact": False,
        "source_updated_at": today.isoformat(),
    }
    columns = compose([record], default_taxonomy())
    source_id = f"proposition-{item.id}"
    partner_id = partner_id_for(SOURCE, source_id, set())
    if session.get(Partner, partner_id) is not None:
        partner_id = partner_id_for(SOURCE, source_id, {partner_id})
    partner = Partner(id=partner_id, **columns)
    raw = {"fields": fields}
    partner.sources.append(
        PartnerSource(
            source=SOURCE,
            source_id=source_id,
            raw=raw,
            content_hash=hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest(),
            source_updated_at=today,
        )
    )
    session.add(partner)
    session.flush()  # the partner row first: no relationship orders the two writes
    item.partner_id = partner_id
    item.status = APPLIED
    return partner
