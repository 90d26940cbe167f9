"""Review lists: error reports (signalements) and merge decisions (fusions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select, tuple_

from recommender.errors import NotFound

from .. import db
from ..importers.dedup import RULE_LABELS
from ..importers.unmerge import UnmergeImpossible, undo_merge
from ..index.holder import data_changed
from ..models import CorrectionRequest, MergeDecision, Partner, PartnerSource
from ..pages.views import pages_window
from .auth import current_scope, login_required, require_edit
from .blueprint import audit, bp, partner_row, safe_next


def _review_list(model, filters: dict[str, Any], default: str, template: str):
    """One review list: the items of the user's departements, filtered by ``?statut=``."""
    statut = request.args.get("statut", default)
    query = current_scope().filter(
        select(model, Partner).join(Partner, Partner.id == model.partner_id)
    )
    if statut in filters:
        query = query.where(filters[statut])
    rows = db.get_session().execute(query.order_by(model.id.desc()).limit(500)).all()
    return render_template(template, rows=rows, statut=statut)


def _review(model, item_id: int, missing: str, apply: Callable[[Any], str], back: str):
    """One review button: the item, the right to edit its partner, the change, back to a list.

    ``apply`` writes the audit row and the change, and returns the confirmation message.
    """
    s = db.get_session()
    item = s.get(model, item_id)
    if item is None:
        raise NotFound(missing)
    require_edit(partner_row(item.partner_id))
    message = apply(item)
    s.commit()
    flash(message, "success")
    return redirect(back, 303)


@bp.get("/signalements")
@login_required
def corrections():
    return _review_list(
        CorrectionRequest,
        {status: CorrectionRequest.status == status for status in ("ouverte", "traitee")},
        "ouverte",
        "admin/corrections.html",
    )


def _toggle_correction(item: CorrectionRequest) -> str:
    new = "ouverte" if item.status == "traitee" else "traitee"
    audit(
        "correction.treat" if new == "traitee" else "correction.reopen",
        item.partner_id,
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
