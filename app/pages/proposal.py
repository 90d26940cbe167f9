"""« Proposer une structure »: a public form whose proposals wait in the admin's review queue.

Rate-limited and CSRF-checked as the report form is (stateless: a reader gets no cookie).
"""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from .. import db
from ..models import CorrectionRequest
from . import report as report_form
from . import vocab
from .contribution_form import ProposalForm
from .views import bp

SUBJECT = "proposition"


def _page(form: ProposalForm | None, sent: bool = False, status: int = 200):
    form = form or ProposalForm()
    return (
        render_template(
            "pages/proposal.html",
            form=form,
            errors=form.error_list() if request.method == "POST" else [],
            sent=sent,
            type_choices=vocab.partner_types(),
            form_token=report_form.form_token(SUBJECT),
        ),
        status,
    )


@bp.route("/proposer-une-structure", methods=["GET", "POST"])
def proposal():
    if request.method == "GET":
        return _page(None, sent=request.args.get("proposition") == "envoyee")
    report_form.check_csrf(SUBJECT)
    form = ProposalForm()
    if not form.validate():
        return _page(form, status=400)
    report_form.check_rate_limit(SUBJECT)
    session = db.get_session()
    session.add(
        CorrectionRequest(
            kind="proposition",
            message=form.note.data or "",
            contact=form.contact.data,
            changes=form.values(),
            departement=form.departement(),
        )
    )
    session.commit()
    current_app.logger.info("Proposition de structure reçue (%s)", form.departement() or "?")
    return redirect(
        url_for("pages.proposal", proposition="envoyee", _anchor="proposition-envoyee"), 303
    )
