"""Review lists: the queue of reports, partners' corrections and proposed structures
(signalements), and merge decisions (fusions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select, tuple_

from recommender.errors import NotFound, RelaisError

from .. import db
from ..campaigns.contributions import (
    APPLIED,
    REJECTED,
    SOURCE,
    accept_proposal,
    apply_correction,
)
from ..importers.dedup import RULE_LABELS
from ..importers.unmerge import UnmergeImpossible, undo_merge
from ..index.holder import data_changed
from ..models import CorrectionRequest, MergeDecision, Partner, PartnerSource
from ..pages import vocab
from ..pages.views import pages_window
from .auth import current_scope, login_required, require_edit, require_edit_in
from .blueprint import audit, bp, partner_row, safe_next
from .partner_form import TEXT_FIELDS


class Conflict(RelaisError):
    status = 409
    code = "deja_traitee"
    default_message = "Cette demande a déjà été traitée."


KINDS = {
    "signalement": "Signalement",
    "correction": "Correction du partenaire",
    "proposition": "Nouvelle structure proposée",
}
STATUS_LABELS = {
    "ouverte": "À traiter",
    "traitee": "Traité",
    APPLIED: "Appliqué",
    REJECTED: "Rejeté",
}


CORRECTION_FILTERS = {
    "ouverte": CorrectionRequest.status == "ouverte",
    "traitee": CorrectionRequest.status != "ouverte",
}


def _review(model, item_id: int, missing: str, apply: Callable[[Any], str], back: str):
    """One review button: the item, the right to edit its partner, the change, back to a list.

    ``apply`` writes the audit row and the change, and returns the confirmation message. An
    item without partner (a proposed structure) is checked on its own département.
    """
    s = db.get_session()
    item = s.get(model, item_id)
    if item is None:
        raise NotFound(missing)
    if item.partner_id is None:
        require_edit_in(item.departement)
    else:
        require_edit(partner_row(item.partner_id))
    message = apply(item)
    s.commit()
    flash(message, "success")
    return redirect(back, 303)


@bp.get("/signalements")
@login_required
def corrections():
    """The review queue: reports, partners' corrections and proposed structures of the
    user's départements, filtered by ``?statut=`` and ``?type=``."""
    statut = request.args.get("statut", "ouverte")
    kind = request.args.get("type", "")
    query = current_scope().filter(
        select(CorrectionRequest, Partner).outerjoin(
            Partner, Partner.id == CorrectionRequest.partner_id
        ),
        func.coalesce(Partner.departement, CorrectionRequest.departement),
    )
    if statut in CORRECTION_FILTERS:
        query = query.where(CORRECTION_FILTERS[statut])
    if kind in KINDS:
        query = query.where(CorrectionRequest.kind == kind)
    rows = db.get_session().execute(query.order_by(CorrectionRequest.id.desc()).limit(500)).all()
    return render_template(
        "admin/corrections.html",
        rows=rows,
        statut=statut,
        kind=kind,
        kinds=KINDS,
        field_labels={name: label for name, (label, _max, _req) in TEXT_FIELDS.items()},
        type_labels=vocab.type_labels(),
        status_labels=STATUS_LABELS,
    )


def _toggle_correction(item: CorrectionRequest) -> str:
    new = "ouverte" if item.status == "traitee" else "traitee"
    audit(
        "correction.treat" if new == "traitee" else "correction.reopen",
        item.partner_id or "",
        {"correction_request": item.id, "status": [item.status, new]},
    )
    item.status = new
    return "Signalement marqué comme traité." if new == "traitee" else "Signalement rouvert."


@bp.post("/signalements/<int:request_id>/traiter")
@login_required
def correction_treat(request_id: int):
    back = request.form.get("retour")
    return _review(
        CorrectionRequest,
        request_id,
        "Signalement introuvable.",
        _toggle_correction,
        safe_next(back) if back else url_for("admin.corrections"),
    )


def _check_open_contribution(item: CorrectionRequest) -> None:
    """Only an open correction or proposal is applied or rejected (a report is "traité")."""
    if item.kind not in ("correction", "proposition"):
        raise Conflict("Un signalement se marque comme traité : il ne modifie pas la fiche.")
    if item.status != "ouverte":
        raise Conflict()


def _apply(item: CorrectionRequest) -> str:
    """A partner's correction written on its record, or a proposal made a partner."""
    _check_open_contribution(item)
    if item.kind == "proposition":
        partner = accept_proposal(db.get_session(), item)
        audit(
            "proposal.accept",
            partner.id,
            {"correction_request": item.id, "nom": [None, partner.nom], "source": [None, SOURCE]},
        )
        message = f"Structure « {partner.nom} » ajoutée à l'annuaire."
    else:
        partner = partner_row(item.partner_id)
        changes = apply_correction(item, partner)
        audit("correction.apply", partner.id, {"correction_request": item.id, **changes})
        message = f"Corrections appliquées à la fiche « {partner.nom} »."
    return message


def _reject(item: CorrectionRequest) -> str:
    _check_open_contribution(item)
    audit(
        "proposal.reject" if item.kind == "proposition" else "correction.reject",
        item.partner_id or "",
        {"correction_request": item.id, "status": [item.status, REJECTED]},
    )
    item.status = REJECTED
    return "Demande rejetée : rien n'a été modifié dans l'annuaire."


@bp.post("/signalements/<int:request_id>/appliquer")
@login_required
def correction_apply(request_id: int):
    response = _review(
        CorrectionRequest,
        request_id,
        "Demande introuvable.",
        _apply,
        url_for("admin.corrections"),
    )
    data_changed()
    return response


@bp.post("/signalements/<int:request_id>/rejeter")
@login_required
def correction_reject(request_id: int):
    return _review(
        CorrectionRequest,
        request_id,
        "Demande introuvable.",
        _reject,
        url_for("admin.corrections"),
    )


MERGES_PER_PAGE = 100
MERGE_FILTERS = {
    "a-verifier": MergeDecision.reviewed.is_(False),
    "verifiees": MergeDecision.reviewed.is_(True) & MergeDecision.undone_at.is_(None),
    "annulees": MergeDecision.undone_at.is_not(None),
}


@bp.get("/fusions")
@login_required
def merges():
    """Merge decisions of the user's départements, a page at a time, each with the name of
    the record that was attached (read from its stored source row)."""
    s = db.get_session()
    statut = request.args.get("statut", "a-verifier")
    query = current_scope().filter(
        select(MergeDecision, Partner).join(Partner, Partner.id == MergeDecision.partner_id)
    )
    if statut in MERGE_FILTERS:
        query = query.where(MERGE_FILTERS[statut])
    total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
    last_page = max(1, -(-total // MERGES_PER_PAGE))
    try:
        page = min(max(1, int(request.args.get("page", "1"))), last_page)
    except ValueError:
        page = 1
    rows = s.execute(
        query.order_by(MergeDecision.id.desc())
        .offset((page - 1) * MERGES_PER_PAGE)
        .limit(MERGES_PER_PAGE)
    ).all()
    incoming = _incoming_names([d for d, _p in rows])
    return render_template(
        "admin/merges.html",
        rows=rows,
        statut=statut,
        incoming=incoming,
        rule_labels=RULE_LABELS,
        total=total,
        page=page,
        last_page=last_page,
        first=(page - 1) * MERGES_PER_PAGE + 1,
        last=(page - 1) * MERGES_PER_PAGE + len(rows),
        pages=pages_window(page, last_page),
    )


def _incoming_names(decisions: list[MergeDecision]) -> dict[int, str]:
    """The name each decision's record had in its source (its stored fields, or the raw
    record's ``nom``), by decision id; missing when the source row is gone."""
    if not decisions:
        return {}
    keys = {(d.source, d.source_id) for d in decisions}
    rows = db.get_session().execute(
        select(PartnerSource.source, PartnerSource.source_id, PartnerSource.raw).where(
            tuple_(PartnerSource.source, PartnerSource.source_id).in_(list(keys))
        )
    )
    names: dict[tuple[str, str], str] = {}
    for source, source_id, raw in rows:
        raw = raw if isinstance(raw, dict) else {}
        fields = raw.get("fields") if isinstance(raw.get("fields"), dict) else {}
        record = raw.get("record") if isinstance(raw.get("record"), dict) else {}
        name = fields.get("nom") or record.get("nom") or ""
        if name:
            names[(source, source_id)] = str(name)
    return {
        d.id: names[(d.source, d.source_id)] for d in decisions if (d.source, d.source_id) in names
    }


@bp.post("/fusions/<int:decision_id>/annuler")
@login_required
def merge_undo(decision_id: int):
    """Give the merged record its own partner again (see ``app.importers.unmerge``)."""
    s = db.get_session()
    decision = s.get(MergeDecision, decision_id)
    if decision is None:
        raise NotFound("Décision de fusion introuvable.")
    require_edit(partner_row(decision.partner_id))
    try:
        new = undo_merge(s, decision)
    except UnmergeImpossible as exc:
        s.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.merges", statut="toutes"), 303)
    audit(
        "merge.undo",
        decision.partner_id,
        {
            "merge_decision": decision.id,
            "source": decision.source,
            "source_id": decision.source_id,
            "new_partner": new.id,
        },
    )
    s.commit()
    data_changed()
    flash(f"Fusion annulée : « {new.nom} » a de nouveau sa propre fiche.", "success")
    return redirect(url_for("admin.merges", statut="annulees"), 303)


def _mark_merge_reviewed(item: MergeDecision) -> str:
    if not item.reviewed:
        item.reviewed = True
        audit(
            "merge.review",
            item.partner_id,
            {"merge_decision": item.id, "source": item.source, "source_id": item.source_id},
        )
    return "Fusion marquée comme vérifiée."


@bp.post("/fusions/<int:decision_id>/verifiee")
@login_required
def merge_review(decision_id: int):
    return _review(
        MergeDecision,
        decision_id,
        "Décision de fusion introuvable.",
        _mark_merge_reviewed,
        url_for("admin.merges"),
    )
