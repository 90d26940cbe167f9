"""Partner pages: the list, the edit form, "à jour", archive and restore."""

from __future__ import annotations

import math
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select

from recommender.records import ZONE_KINDS

from .. import db
from ..importers.hours import from_text as hours_from_text
from ..index.holder import data_changed
from ..models import AuditLog, CorrectionRequest, Partner, utcnow
from ..pages import vocab
from .auth import current_scope, login_required, require_edit, require_read
from .blueprint import audit, bp, partner_row, user_emails
from .partner_form import TEXT_FIELDS, read_partner_form

PER_PAGE = 50
ZONE_LABELS = {
    "rayon": "Rayon autour de la structure",
    "communes": "Liste de communes",
    "epci": "Intercommunalité (EPCI)",
    "departement": "Département(s)",
    "region": "Région(s)",
    "france": "Toute la France",
}


@bp.get("/partenaires")
@login_required
def partners():
    q = (request.args.get("q") or "").strip()[:200]
    statut = request.args.get("statut", "active")
    dep = (request.args.get("departement") or "").strip()[:3]
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    query = current_scope().filter(select(Partner))
    if statut in ("active", "archived"):
        query = query.where(Partner.status == statut)
    if dep:
        query = query.where(Partner.departement == dep)
    if q:
        like = f"%{q}%"
        query = query.where(
            or_(Partner.nom.ilike(like), Partner.commune_nom.ilike(like), Partner.id == q)
        )
    s = db.get_session()
    total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = s.scalars(
        query.order_by(Partner.departement, Partner.nom)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "admin/partners.html",
        rows=rows,
        total=total,
        page=page,
        last_page=max(1, math.ceil(total / PER_PAGE)),
        q=q,
        statut=statut,
        departement=dep,
        type_labels=vocab.type_labels(),
    )


EDITABLE = (
    *TEXT_FIELDS,
    "type_code",
    "freins",
    "publics",
    "age_min",
    "age_max",
    "zone_kind",
    "zone_codes",
    "zone_radius_km",
    "departement",
)


def _values_of(row: Partner) -> dict[str, Any]:
    return {name: getattr(row, name) for name in EDITABLE}


@bp.route("/partenaires/<partner_id>", methods=["GET", "POST"])
@login_required
def partner_edit(partner_id: str):
    row = partner_row(partner_id)
    errors: list[tuple[str, str]] = []
    values = _values_of(row)
    if request.method == "POST":
        require_edit(row)
        values, errors = read_partner_form(row)
        if not errors:
            before = _values_of(row)
            changes = {
                name: [before[name], values[name]]
                for name in EDITABLE
                if (before[name] or None) != (values[name] or None)
            }
            if changes:
                for name in changes:
                    setattr(row, name, values[name])
                if "horaires" in changes:  # the week follows the text the admin wrote
                    row.horaires_structures = hours_from_text(values["horaires"] or "")
                row.updated_at = utcnow()
                audit("partner.edit", row.id, changes)
                db.get_session().commit()
                data_changed()
                flash(f"Fiche enregistrée ({len(changes)} champ(s) modifié(s)).", "success")
            else:
                flash("Aucune modification à enregistrer.", "info")
            return redirect(url_for("admin.partner_edit", partner_id=row.id), 303)
    require_read(row)
    history = (
        db.get_session()
        .scalars(
            select(AuditLog).where(AuditLog.target == row.id).order_by(AuditLog.id.desc()).limit(20)
        )
        .all()
    )
    reports = (
        db.get_session()
        .scalars(
            select(CorrectionRequest)
            .where(CorrectionRequest.partner_id == row.id)
            .order_by(CorrectionRequest.id.desc())
        )
        .all()
    )
    return (
        render_template(
            "admin/partner_edit.html",
            row=row,
            values=values,
            errors=errors,
            history=history,
            reports=reports,
            users=user_emails(h.user_id for h in history),
            text_fields=TEXT_FIELDS,
            type_choices=vocab.partner_types(),
            frein_choices=vocab.freins(),
            public_choices=vocab.publics(),
            zone_choices=[(k, ZONE_LABELS.get(k, k)) for k in ZONE_KINDS],
        ),
        400 if errors else 200,
    )


@bp.post("/partenaires/<partner_id>/a-jour")
@login_required
def partner_verify(partner_id: str):
    row = partner_row(partner_id)
    require_edit(row)
    audit("partner.verify", row.id, row.mark_verified())
    db.get_session().commit()
    data_changed()
    flash("La fiche est marquée comme à jour.", "success")
    return redirect(url_for("admin.partner_edit", partner_id=row.id), 303)


@bp.post("/partenaires/<partner_id>/archiver")
@login_required
def partner_archive(partner_id: str):
    return _set_status(partner_id, "archived")


@bp.post("/partenaires/<partner_id>/restaurer")
@login_required
def partner_unarchive(partner_id: str):
    return _set_status(partner_id, "active")


def _set_status(partner_id: str, status: str):
    row = partner_row(partner_id)
    require_edit(row)
    if row.status != status:
        audit(
            "partner.archive" if status == "archived" else "partner.unarchive",
            row.id,
            {"status": [row.status, status]},
        )
        row.status = status
        row.updated_at = utcnow()
        db.get_session().commit()
        data_changed()
    flash(
        "La fiche est archivée : elle n'apparaît plus dans les recherches."
        if status == "archived"
        else "La fiche est de nouveau active.",
        "success",
    )
    return redirect(url_for("admin.partner_edit", partner_id=row.id), 303)
