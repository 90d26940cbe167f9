"""French on the public pages: "de" before a commune's name, and how other communes are
announced (homonyms vs communes that only resemble what was typed)."""

from __future__ import annotations

import re

import pytest

from app.pages.formatting import de_commune

pytestmark = pytest.mark.seeded


@pytest.mark.parametrize(
    ("nom", "expected"),
    [
        ("Beauvais", "de Beauvais"),
        ("Amiens", "d'Amiens"),
        ("Évreux", "d'Évreux"),
        ("Hirson", "d'Hirson"),
        ("Yvetot", "d'Yvetot"),
        ("Yaucourt-Bussus", "de Yaucourt-Bussus"),
        ("Le Havre", "du Havre"),
        ("Les Mureaux", "des Mureaux"),
        ("La Rochelle", "de La Rochelle"),
        ("L'Haÿ-les-Roses", "de L'Haÿ-les-Roses"),
        ("Lens", "de Lens"),
        ("Œuilly", "d'Œuilly"),
        ("", ""),
        (None, ""),
    ],
)
def test_de_commune(nom, expected):
    assert de_commune(nom) == expected


def test_search_heading_elides_before_a_vowel(client):
    html = client.get("/?commune=Amiens").get_data(as_text=True)
    assert "autour d&#39;Amiens (80)" in html
    assert "autour de Amiens" not in html
    html = client.get("/?commune=76351").get_data(as_text=True)  # Le Havre
    assert "autour du Havre (76)" in html


def test_search_reason_elides_before_a_vowel(client):
    html = client.get("/?frein=logement&commune=80021").get_data(as_text=True)
    assert re.search(r"Situé (à [\d,]+ km|au centre) d&#39;Amiens\.", html)


def test_orientation_heading_elides_before_a_vowel(client):
    data = {"commune": "Amiens", "freins": ["logement"], "vehicule": "nsp"}
    html = client.post("/orientation", data=data).get_data(as_text=True)
    assert "Propositions autour d&#39;Amiens (80)" in html


def test_homonyms_are_announced_as_homonyms(client):
    html = client.get("/?commune=Sainte-Marie").get_data(as_text=True)
    assert "Autres communes portant ce nom" in html
    assert "Communes proches de votre saisie" not in html
    assert "Sainte-Marie (972)" in html


def test_near_matches_are_not_called_homonyms(client):
    html = client.get("/?commune=Beauvai").get_data(as_text=True)
    assert "autour de Beauvais (60)" in html
    assert "Communes proches de votre saisie" in html
    assert "Beauval (80)" in html
    assert "Autres communes portant ce nom" not in html


def test_orientation_offers_the_other_sainte_marie(client):
    """The name is ambiguous: the page says which one it chose and offers the others."""
    data = {"commune": "Sainte-Marie", "freins": ["mobilite"], "age": "30", "vehicule": "non"}
    html = client.post("/orientation", data=data).get_data(as_text=True)
    assert "Propositions autour de Sainte-Marie (974)" in html
    block = html[html.index("Autres communes portant ce nom") :].split("</div>")[0]
    buttons = re.findall(r'class="button button--link">([^<]+)</button>', block)
    assert "Sainte-Marie (972)" in buttons and "Sainte-Marie (35)" in buttons
    # Each alternative re-runs the orientation with the same profile, by POST.
    form = block[: block.index("Sainte-Marie (972)</button>")].rsplit("<form", 1)[1]
    assert 'method="post"' in form
    assert 'name="commune" value="Sainte-Marie (972)"' in form
    assert 'name="freins" value="mobilite"' in form and 'name="age" value="30"' in form
    rerun = {"commune": "Sainte-Marie (972)", "freins": ["mobilite"], "vehicule": "non"}
    html = client.post("/orientation", data=rerun).get_data(as_text=True)
    assert "Propositions autour de Sainte-Marie (972)" in html
