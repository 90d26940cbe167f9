"""The orientation page: POST only, per-frein proposals, plan, fit check, printable sheet."""

from __future__ import annotations

import json
import logging
import re

import pytest

pytestmark = pytest.mark.seeded


PROFILE = {
    "commune": "60057",
    "freins": ["mobilite", "justice"],
    "age": "22",
    "publics": ["personnes-en-situation-juridique-specifique"],
    "vehicule": "non",
}


def test_form_is_post_and_labelled(client):
    html = client.get("/orientation").get_data(as_text=True)
    assert "<h1>Préparer une orientation</h1>" in html
    assert '<form method="post" action="/orientation"' in html
    assert '<label for="commune">Commune de la personne' in html
    assert '<label for="age">Âge' in html
    assert "La personne dispose-t-elle d'un véhicule ?" in html
    assert ">Ne sait pas</label>" in html
    assert 'name="freins" value="justice"' in html
    assert "ni enregistrées, ni placées dans l'adresse" in html


def test_two_freins_give_proposals_plan_and_sheet(client, caplog):
    caplog.set_level(logging.DEBUG)
    response = client.post("/orientation", data=PROFILE)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "Propositions autour de Beauvais (60)" in html
    assert re.search(r"Proposition : \d structures? couvren?t? ", html)
    assert 'id="frein-mobilite-titre">Mobilité' in html
    assert 'id="frein-justice-titre">Justice' in html
    assert "SPIP de l&#39;Oise" in html
    assert "Plateforme mobilité du Beauvaisis" in html
    assert re.search(r"Pertinence : \d+ %", html)
    assert "badge--ok" in html or "badge--warn" in html
    # Printable sheet, print button (revealed by JS), no personal data in it.
    assert "Fiche d'orientation" in html
    assert "Imprimer / Enregistrer en PDF" in html
    sheet = html[html.index("data-fiche-sheet") :].split("</section>")[0]
    assert "Âge" not in sheet and "22 ans" not in sheet
    assert "SPIP de l&#39;Oise" in sheet
    # Fit-check form carries the profile in hidden POST fields, never in a URL.
    assert '<input type="hidden" name="freins" value="justice">' in html
    assert "?commune=" not in html and "age=22" not in html
    # The form is never logged.
    assert "22" not in " ".join(r.getMessage() for r in caplog.records if "orientation" in r.name)


def test_missing_fields_show_an_error_summary(client):
    html = client.post("/orientation", data={"commune": ""}).get_data(as_text=True)
    assert 'class="error-summary"' in html
    assert '<a href="#commune">Indiquez la commune de la personne.</a>' in html
    assert '<a href="#freins">Cochez au moins un frein à lever.</a>' in html
    html = client.post(
        "/orientation", data={"commune": "60057", "freins": "mobilite", "age": "abc"}
    ).get_data(as_text=True)
    assert "L&#39;âge doit être un nombre entier" in html
    assert 'aria-invalid="true" aria-describedby="age-erreur"' in html


def test_unknown_commune_is_reported_inline(client):
    response = client.post("/orientation", data={"commune": "zzzqqqxxx", "freins": "mobilite"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html
    assert "Traceback" not in html


def test_fit_check_shows_verdict_reasons_and_blockers(client):
    data = dict(PROFILE, action="verifier", verifier_id="spip60")
    html = client.post("/orientation", data=data).get_data(as_text=True)
    assert '<div class="fit-result"' in html
    assert re.search(r'badge--(ok|warn|ko)">(Compatible|À vérifier|Incompatible)<', html)
    # An out-of-zone partner: the Amiens CCAS serves Amiens only.
    data = dict(PROFILE, action="verifier", verifier_id="ccas80")
    html = client.post("/orientation", data=data).get_data(as_text=True)
    assert "CCAS d&#39;Amiens" in html
    assert "Points bloquants" in html or "Incompatible" in html or "À vérifier" in html


def test_fit_check_by_name_search(client):
    data = dict(PROFILE, action="verifier", verifier_q="mission locale")
    html = client.post("/orientation", data=data).get_data(as_text=True)
    assert "Structures correspondant à « mission locale »" in html
    assert 'name="verifier_choisi" value="ml60"' in html
    data = dict(PROFILE, action="verifier", verifier_choisi="ml60", verifier_q="mission locale")
    html = client.post("/orientation", data=data).get_data(as_text=True)
    assert '<div class="fit-result"' in html and "Mission locale du Beauvaisis" in html


def test_fit_check_unknown_partner(client):
    data = dict(PROFILE, action="verifier", verifier_id="nope")
    html = client.post("/orientation", data=data).get_data(as_text=True)
    assert "Partenaire introuvable." in html


def test_proposals_carry_what_the_browser_needs_for_the_fiche_de_liaison(client):
    html = client.post("/orientation", data=PROFILE).get_data(as_text=True)
    data = json.loads(re.search(r'id="liaison-donnees">(.*?)</script>', html, re.S).group(1))
    assert [f["code"] for f in data["freins"]] == ["mobilite", "justice"]
    mobil = next(p for p in data["partenaires"] if p["id"] == "mobil60")
    assert mobil["nom"] == "Plateforme mobilité du Beauvaisis" and mobil["telephone"]
    assert 'data-liaison-choose="mobil60"' in html
    assert 'href="/partenaires/mobil60/fiche"' in html
    # the letter's fields are no form: nothing typed there can be submitted
    section = html[html.index('id="liaison"') :]
    assert "<form" not in section.split("</section>")[0]


def test_verdict_and_fiabilite_are_shown_apart(client):
    # the garage solidaire (record of 2016) next door, mobilité its main mission: a good
    # fit, and a separate line saying its data are old
    profile = {"commune": "60057", "freins": "mobilite", "age": "30", "vehicule": "oui"}
    html = client.post("/orientation", data=profile).get_data(as_text=True)
    card = html[html.index('id="r-mobilite-garage60"') :].split("</article>")[0]
    verdicts = card[card.index("Verdict de l'orientation") :].split("</ul>")[0]
    assert ">Compatible<" in verdicts and "2016" not in verdicts
    fiabilite = card[card.index("Fiabilité des informations") :].split("</ul>")[0]
    assert "Données de 2016 : à vérifier par téléphone" in fiabilite
    sheet = html[html.index("data-fiche-sheet") :].split("</section>")[0]
    assert "Orientation : compatible" in sheet and "Données de 2016" in sheet
    fit = client.post(
        "/orientation", data=dict(profile, action="verifier", verifier_id="garage60")
    ).get_data(as_text=True)
    result = fit[fit.index('<div class="fit-result"') :].split("</form>")[0]
    assert ">Compatible<" in result and "Données de 2016 : à vérifier par téléphone" in result


def test_an_expected_partner_left_out_is_said_with_its_reason(client):
    # justice without a justice measure: the Oise's SPIP is not proposed, and the page says why
    profile = {**PROFILE, "freins": ["justice"], "publics": []}
    html = client.post("/orientation", data=profile).get_data(as_text=True)
    block = html[html.index('id="frein-justice-titre"') :].split("</section>")[0]
    assert "Structures écartées pour ce frein" in block
    assert "SPIP de l&#39;Oise" in block
    assert "écarté : SPIP : réservé aux personnes sous main de justice" in block
