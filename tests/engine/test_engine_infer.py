"""Frein inference for generic partners, and how the engine weighs inferred freins."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from recommender.engine import Recommender
from recommender.infer import (
    FreinClassifier,
    infer_missing_freins,
    is_generic,
    trained_classifier,
    training_examples,
    training_set,
)
from recommender.taxonomy import default_taxonomy
from tests.support.factories import FakeGazetteer, make_profile, make_record

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


def test_training_takes_a_bounded_sample_from_every_type():
    def typed(id, type_code, frein, **values):
        return make_record(id=id, type_code=type_code, freins=(frein,), **values)

    records = [
        *[typed(f"ml{i:03}", "mission-locale", "emploi") for i in range(50)],
        *[typed(f"gs{i:03}", "garage-solidaire", "mobilite") for i in range(3)],
        typed("gs999", "garage-solidaire", "mobilite", status="archived"),
        typed("asso", "autre", "emploi"),  # generic: never learnt
    ]
    chosen = [r.id for r, _core in training_examples(records, TAX, per_type=10)]
    assert chosen[:6] == ["gs000", "ml000", "gs001", "ml001", "gs002", "ml002"]
    assert len(chosen) == 13 and "asso" not in chosen and "gs999" not in chosen
    small = training_examples(records, TAX, per_type=10, limit=4)
    assert [r.id for r, _core in small] == chosen[:4]


def test_side_freins_are_not_learnt_and_the_cap_comes_first():
    ptype = next(t for t in TAX.partner_types.values() if t.freins_side and t.freins_core)
    core, side = ptype.freins_core[0], ptype.freins_side[0]
    side_only = make_record(id="a", type_code=ptype.code, freins=(side,))
    both = make_record(id="b", type_code=ptype.code, freins=(core, side))
    examples = training_examples([side_only, both], TAX, per_type=1)
    assert examples == []  # "a" takes the type's one place, then has no main frein
    assert training_examples([both], TAX, per_type=1) == [(both, (core,))]


def test_a_trained_model_is_reused_while_its_training_set_is_the_same():
    texts, labels = ["garage solidaire", "épicerie sociale"], [("mobilite",), ("sante",)]
    model = trained_classifier(texts, labels)
    assert trained_classifier(list(texts), list(labels)) is model
    assert trained_classifier(texts, labels, min_proba=0.4) is not model


# --------------------------------------------------------------------------- stored


def _generic(app, partner_id, **values):
    from app.db import session_scope
    from app.models import Partner, utcnow

    with session_scope(app) as session:
        session.add(
            Partner(
                id=partner_id,
                nom=values.pop("nom", "Les Amis du Plateau"),
                type_code=values.pop("type_code", "autre"),
                description=values.pop(
                    "description", "Aide alimentaire, épicerie sociale, conseil en budget"
                ),
                code_insee="60057",
                departement="60",
                lat=49.43,
                lon=2.08,
                updated_at=values.pop("updated_at", utcnow()),
                **values,
            )
        )
        session.commit()


def _inferred(app) -> dict[str, list[str]]:
    from sqlalchemy import select

    from app.db import session_scope
    from app.models import Partner

    with session_scope(app) as session:
        return dict(session.execute(select(Partner.id, Partner.freins_inferred)).all())


def test_after_an_import_only_changed_partners_are_guessed(app):
    from datetime import datetime, timedelta

    from app.db import session_scope
    from app.inference import store_inferred_freins

    now = datetime(2026, 1, 1)
    _generic(app, "old", freins_inferred=["emploi"], updated_at=now - timedelta(days=1))
    _generic(app, "new", updated_at=now)
    _generic(app, "typed", freins=["mobilite"], freins_inferred=["sante"], updated_at=now)
    with session_scope(app) as session:
        assert store_inferred_freins(session, changed_since=now) == 2
        session.commit()
    inferred = _inferred(app)
    assert inferred["old"] == ["emploi"]  # not changed by the import: kept as it was
    assert "difficultes-financieres" in inferred["new"]
    assert inferred["typed"] == []  # declares its freins now: the old guess goes
    with session_scope(app) as session:  # relais reindex: every partner
        assert store_inferred_freins(session) == 1
        session.commit()
    assert _inferred(app)["old"] == _inferred(app)["new"]
    with session_scope(app) as session:
        assert store_inferred_freins(session) == 0


def test_serving_never_loads_scikit_learn(tmp_path):
    """Freins are guessed by imports and ``relais reindex`` only: a worker that answers
    recommendations does not pay the second scikit-learn takes to load."""
    import subprocess
    import sys
    from pathlib import Path

    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'relais.sqlite3'}",
        "INDEX_DIR": str(tmp_path / "index"),
    }
    code = (
        "import sys\n"
        "from app import create_app, db\n"
        f"app = create_app({config!r})\n"
        "db.upgrade(app.extensions['relais.engine'])\n"
        "answer = app.test_client().get('/api/v1/recommendations?commune=60057&freins=mobilite')\n"
        "assert answer.status_code == 200, answer.status_code\n"
        "assert 'sklearn' not in sys.modules, 'scikit-learn loaded while serving'\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {"RELAIS_INSTANCE_PATH": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_an_inferred_secondary_mission_weighs_both_factors_and_says_so():
    ptype = next(t for t in TAX.partner_types.values() if t.freins_side and t.recommendable)
    side = next(c for c in ptype.freins_side if c not in ptype.freins_core)
    twins = [
        make_record(id="declared", type_code=ptype.code, freins=(side,)),
        make_record(id="inferred", type_code=ptype.code, freins=(), freins_inferred=(side,)),
    ]
    engine = Recommender(
        taxonomy=TAX, gazetteer=FakeGazetteer(), reference_date=date(2026, 1, 1)
    ).fit(twins)
    rows = [engine.table_.row_of(r.id) for r in twins]
    weights = engine.table_.weights(rows, engine.table_.frein_index(side))
    assert weights.tolist() == pytest.approx([0.4, 0.4 * 0.5])  # side, then side × inferred
    results = engine.recommend(make_profile((side,)))["freins"][0]["results"]
    assert [r["partner_id"] for r in results] == ["declared", "inferred"]
    assert any(reason.startswith("mission probable") for reason in results[1]["reasons"])
