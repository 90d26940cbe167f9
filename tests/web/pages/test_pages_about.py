"""The accessibility statement on /a-propos: the parts an RGAA declaration must have."""

from __future__ import annotations


def test_statement_has_every_required_part(client):
    html = client.get("/a-propos").get_data(as_text=True)
    for heading in (
        "Déclaration d&#39;accessibilité",
        "État de conformité",
        "Résultats des tests",
        "Contenus non accessibles",
        "Établissement de cette déclaration",
        "Retour d&#39;information et contact",
        "Voies de recours",
    ):
        assert heading.replace("&#39;", "'") in html, heading
    assert "<strong>non conforme</strong>" in html and "RGAA" in html
    assert "sur les pages testées par la chaîne de tests automatisée" in html
    assert "4 décembre 2026" in html and "Playwright" in html and "axe-core" in html
    assert "https://formulaire.defenseurdesdroits.fr/" in html
    assert "Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07" in html
    # Reachable from every page, with its status (RGAA obligation).
    assert 'href="/a-propos#accessibilite">Accessibilité : non conforme</a>' in html
    assert "Accessibilité : non conforme" in client.get("/").get_data(as_text=True)


def test_contact_unset_says_so(client):
    html = client.get("/a-propos").get_data(as_text=True)
    assert "n&#39;a pas encore renseigné d&#39;adresse de contact" in html.replace("'", "&#39;")
    assert "mailto:" not in html


def test_contact_setting_is_shown(app, client):
    email = "accessibilite@exemple.fr"
    app.config["RELAIS_CONTACT_EMAIL"] = email  # what config.py or the environment would set
    html = client.get("/a-propos").get_data(as_text=True)
    assert f'<a href="mailto:{email}">{email}</a>' in html
    assert "pas encore renseigné" not in html
