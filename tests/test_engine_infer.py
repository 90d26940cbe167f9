"""Frein inference for generic partners, and how the engine weighs inferred freins."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from recommender.engine import Recommender
from recommender.infer import FreinClassifier, infer_missing_freins, is_generic, training_set
from recommender.taxonomy import default_taxonomy
from tests.factories import FakeGazetteer, make_profile, make_record

TAX = default_taxonomy()


def test_classifier_follows_sklearn_conventions():
    clf = FreinClassifier(min_proba=0.3)
    assert clf.get_params() == {"C": 4.0, "max_features": 50000, "min_proba": 0.3}
    assert not hasattr(clf, "classes_")
    assert clf.fit(["alpha beta", "gamma delta"], [("x",), ("y",)]) is clf
    assert clf.classes_ == ("x", "y")


def test_classifier_handles_constant_labels():
    clf = FreinClassifier().fit(["garage", "voiture", "vélo"], [("mobilite",)] * 3)
    assert clf.predict(["n'importe quoi"]) == [("mobilite",)]
    proba = clf.predict_proba(["x", "y"])
    assert proba.shape == (2, 1) and np.all(proba == 1.0)


def test_classifier_rejects_misaligned_input():
    with pytest.raises(ValueError):
        FreinClassifier().fit(["a"], [])


@pytest.fixture(scope="module")
def wording_model():
    texts, labels = training_set([], TAX)
    return FreinClassifier().fit(texts, labels)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Garage associatif solidaire : réparation de voitures à petit prix", "mobilite"),
        ("Les Restos du coeur - antenne de Creil", "difficultes-financieres"),
        ("Ateliers de français langue étrangère pour adultes", "maitrise-du-francais"),
        ("Accueil de jour des femmes victimes de violences", "violences-conjugales"),
        ("Club informatique : ordinateur, internet, démarches en ligne", "numerique"),
        ("Crèche parentale Les Lutins", "garde-enfants"),
    ],
)
def test_taxonomy_wording_alone_trains_a_useful_model(wording_model, text, expected):
    assert wording_model.predict([text])[0][:1] == (expected,)


def test_infer_missing_freins_only_for_generic_partners_without_freins():
    records = [
        make_record(id="garage", nom="Garage associatif Roule", type_code="autre", freins=()),
        make_record(id="typed", nom="Garage solidaire", type_code="garage-solidaire", freins=()),
        make_record(id="declared", nom="Épicerie", type_code="autre", freins=("emploi",)),
        make_record(id="unknown-type", nom="Les Restos du coeur", type_code="??", freins=()),
        make_record(id="nothing", nom="Zzzz", type_code="autre", freins=()),
        *[
            make_record(id=f"ml{i}", nom=f"Mission locale de {town}", type_code="mission-locale",
                        freins=("emploi", "formation", "savoir-etre", "mobilite"))
            for i, town in enumerate(["Creil", "Beauvais", "Amiens"])
        ],
    ]  # fmt: skip
    inferred = infer_missing_freins(records, TAX)
    assert set(inferred) <= {"garage", "unknown-type", "nothing"}
    assert inferred["garage"][0] == "mobilite"
    assert inferred["unknown-type"][0] == "difficultes-financieres"
    assert "nothing" not in inferred


def test_is_generic():
    assert is_generic(make_record(type_code="autre"), TAX)
    assert is_generic(make_record(type_code="aide-aux-aidants"), TAX)
    assert not is_generic(make_record(type_code="spip"), TAX)
    assert not is_generic(make_record(type_code="tresorerie"), TAX)


def test_inferred_freins_weigh_less_and_say_so():
    twins = [
        make_record(id="declared", type_code="garage-solidaire", freins=("mobilite",)),
        make_record(id="inferred", type_code="autre", freins=(), freins_inferred=("mobilite",)),
    ]
    engine = Recommender(taxonomy=TAX, gazetteer=FakeGazetteer(), reference_date=date(2026, 1, 1))
    results = engine.fit(twins).recommend(make_profile(("mobilite",)))["freins"][0]["results"]
    assert [r["partner_id"] for r in results] == ["declared", "inferred"]
    assert results[1]["score"] == pytest.approx(results[0]["score"] * 0.5, abs=1e-3)
    assert results[1]["verdict"] == "a_verifier"
    assert "mission probable (déduite de sa description) : mobilité" in results[1]["reasons"]
