"""A partner's personal page from a campaign mail: confirm, correct, unsubscribe.

The signed link (:mod:`app.campaigns.tokens`) is the only credential; the forms carry the
report form's stateless CSRF token for that message (no cookie). Pages are ``no-store`` and
send no referrer to other sites: the link must not leak to a site the record points to.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from .. import db
from ..campaigns import answers
from ..campaigns.letter import record_lines
from ..index.holder import data_changed
from ..models import CampaignMessage, Partner
from . import report as report_form
from .contribution_form import CorrectionForm
from .views import bp

# same-origin, not no-referrer: browsers then send "Origin: null", which the CSRF check refuses
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
ANSWERS = ("confirmee", "corrigee")


def _subject(message: CampaignMessage) -> str:
    return f"campagne:{message.id}"


def _page(token: str, message: CampaignMessage, partner: Partner, form: CorrectionForm, status=200):
    answer = request.args.get("reponse")
    return (
        render_template(
            "pages/campaign.html",
            token=token,
            partner=partner,
            lines=record_lines(partner),
            form=form,
            errors=form.error_list(),
            form_token=report_form.form_token(_subject(message)),
            answer=answer if answer in ANSWERS else None,
        ),
        status,
        PRIVATE,
    )


@bp.get("/mise-a-jour/<token>")
def campaign_record(token: str):
    message, partner = answers.message_of(db.get_session(), token)
    return _page(token, message, partner, CorrectionForm(partner))


def _answered(token: str, answer: str):
    return redirect(
        url_for("pages.campaign_record", token=token, reponse=answer, _anchor="reponse"), 303
    )


@bp.post("/mise-a-jour/<token>/confirmer")
def campaign_confirm(token: str):
    session = db.get_session()
    message, partner = answers.message_of(session, token)
    report_form.check_csrf(_subject(message))
    answers.confirm(session, message, partner)
    data_changed()
    return _answered(token, "confirmee")


@bp.post("/mise-a-jour/<token>/corriger")
def campaign_correct(token: str):
    session = db.get_session()
    message, partner = answers.message_of(session, token)
    report_form.check_csrf(_subject(message))
    form = CorrectionForm(partner)
    valid = form.validate()
    changes = form.changes() if valid else {}
    if valid and not changes and not form.note.data:
        form.nom.errors = [
            *form.nom.errors,
            "Aucune modification : changez un champ, ou confirmez que la fiche est exacte.",
        ]
        valid = False
    if not valid:
        return _page(token, message, partner, form, 400)
    report_form.check_rate_limit("correction")
    answers.propose_correction(session, message, partner, changes, form.note.data or "")
    return _answered(token, "corrigee")


@bp.route("/mise-a-jour/<token>/desabonnement", methods=["GET", "POST"])
def campaign_unsubscribe(token: str):
    session = db.get_session()
    message, partner = answers.message_of(session, token)
    done = False
    if request.method == "POST":
        report_form.check_csrf(_subject(message))
        answers.unsubscribe(session, message)
        done = True
    return (
        render_template(
            "pages/unsubscribe.html",
            token=token,
            partner=partner,
            email=message.email,
            done=done,
            form_token=report_form.form_token(_subject(message)),
        ),
        200,
        PRIVATE,
    )
