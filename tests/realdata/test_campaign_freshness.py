"""The Oise's freshness figure before and after a simulated campaign on the real data: every
shared partner file imported, ``relais campaign send --departement 60`` through a local SMTP
server, one partner in four confirming from its mailed link."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app import db
from app.admin.scope import Scope
from app.campaigns import freshness
from app.cli.serve import SHIPPED_PARTNERS
from app.importers import ImportOptions, run_import
from app.models import utcnow

from ..support.apps import build_app
from ..support.pages_support import csrf_token
from ..support.shared_data import partner_files

pytestmark = pytest.mark.slow
OISE = "60"
ANSWER_EVERY = 4


def oise_line(app) -> freshness.DepartementFreshness:
    with app.app_context(), db.session_scope(app) as session:
        lines = freshness.by_departement(session, Scope(frozenset({OISE})), utcnow().date())
    [line] = lines
    return line


def test_oise_freshness_before_and_after_a_campaign(tmp_path, database_url, shared_data, smtp):
    app = build_app(
        tmp_path,
        database_url,
        RELAIS_SMTP_URL=smtp.url,
        RELAIS_PUBLIC_URL="http://relais.test",
        CAMPAIGN_MAILS_PER_MINUTE=600_000,  # production paces mails; a test does not wait
    )
    with app.app_context():
        for path in [SHIPPED_PARTNERS / "mairies.csv.gz", *partner_files(shared_data / "partners")]:
            with db.session_scope(app) as session:
                run_import(session, path, ImportOptions())
    before = oise_line(app)
    result = app.test_cli_runner().invoke(args=["campaign", "send", "--departement", OISE])
    assert result.exit_code == 0, result.output
    assert len(smtp.messages) > 0
    client = app.test_client()
    confirmed = 0
    for mail in smtp.messages[::ANSWER_EVERY]:
        page = urlsplit(smtp.link(mail)).path
        response = client.post(page + "/confirmer", data={"csrf_token": csrf_token(client, page)})
        assert response.status_code == 303
        confirmed += 1
    after = oise_line(app)
    print(
        f"\nOise : {before.active} partenaires actifs, {len(smtp.messages)} courriels, "
        f"{confirmed} confirmations ; à jour depuis 12 mois : {before.share(12):.1%} "
        f"({before.recent[12]}) → {after.share(12):.1%} ({after.recent[12]}) ; "
        f"24 mois : {before.share(24):.1%} → {after.share(24):.1%}"
    )
    assert after.active == before.active
    assert before.recent[12] < after.recent[12] <= before.recent[12] + confirmed
    assert (after.sent, after.answered) == (len(smtp.messages), confirmed)
    app.extensions["relais.engine"].dispose()
