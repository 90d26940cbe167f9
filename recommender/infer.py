"""Frein inference: guess what a generic partner helps with from its name and description.

:class:`FreinClassifier` is a TF-IDF (word 1–2-grams and character 3–5-grams
over accent-folded French text) followed by one logistic regression per
frein. :func:`infer_missing_freins` trains it on the partners whose freins are
known (plus the taxonomy's own wording: labels, descriptions, synonyms,
keywords) and applies it to partners of a generic type with no frein. The app
stores the result as ``freins_inferred``; the engine weighs those less and says
so in its reasons.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from .records import PartnerRecord
from .text import fold

GENERIC_TYPES = frozenset({"autre", "association", "association-solidarite-generique"})


class FreinClassifier(BaseEstimator):
    """Multi-label frein classifier over short French texts.

    Parameters
    ----------
    min_proba : float
        A frein is predicted when its probability reaches this value.
    C : float
        Inverse regularisation strength of each logistic regression.
    max_features : int
        Vocabulary cap of each TF-IDF (words, characters).

    Attributes
    ----------
    classes_ : tuple of str
        The frein codes seen in training, in first-seen order.

    Examples
    --------
    >>> clf = FreinClassifier(min_proba=0.5).fit(
    ...     ["auto-école sociale", "garage solidaire", "plateforme mobilité permis",
    ...      "épicerie sociale", "aide alimentaire", "point conseil budget dettes"],
    ...     [("mobilite",), ("mobilite",), ("mobilite",),
    ...      ("difficultes-financieres",), ("difficultes-financieres",),
    ...      ("difficultes-financieres",)])
    >>> clf.predict(["Auto-école solidaire du Vexin", "Épicerie solidaire"])
    [('mobilite',), ('difficultes-financieres',)]
    """

    def __init__(self, *, min_proba: float = 0.5, C: float = 4.0, max_features: int = 50_000):
        self.min_proba = min_proba
        self.C = C
        self.max_features = max_features

    def _vectorizer(self) -> FeatureUnion:
        return FeatureUnion(
            [
                (
                    "words",
                    TfidfVectorizer(
                        preprocessor=fold,
                        ngram_range=(1, 2),
                        sublinear_tf=True,
                        max_features=self.max_features,
                        token_pattern=r"(?u)\b\w\w+\b",
                    ),
                ),
                (
                    "chars",
                    TfidfVectorizer(
                        preprocessor=fold,
                        analyzer="char_wb",
                        ngram_range=(3, 5),
                        sublinear_tf=True,
                        max_features=self.max_features,
                    ),
                ),
            ]
        )

    def fit(self, texts: Sequence[str], labels: Sequence[Iterable[str]]) -> FreinClassifier:
        """Learn one model per frein from ``texts`` and their frein tuples."""
        texts = list(texts)
        labels = [tuple(label) for label in labels]
        if len(texts) != len(labels):
            raise ValueError("texts and labels must have the same length")
        classes: list[str] = []
        for label in labels:
            classes.extend(code for code in label if code not in classes)
        self.classes_ = tuple(classes)
        self.vectorizer_ = self._vectorizer().fit(texts)
        features = self.vectorizer_.transform(texts)
        self.models_: list[LogisticRegression | bool] = []
        for code in self.classes_:
            y = np.array([code in label for label in labels])
            if y.all() or not y.any():  # a constant answer needs no model
                self.models_.append(bool(y.all()))
                continue
            model = LogisticRegression(
                C=self.C, class_weight="balanced", solver="liblinear", max_iter=1000
            )
            self.models_.append(model.fit(features, y))
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of each frein of ``classes_`` for each text, shape (n, n_classes)."""
        texts = list(texts)
        out = np.zeros((len(texts), len(self.classes_)))
        if not texts:
            return out
        features = self.vectorizer_.transform(texts)
        for j, model in enumerate(self.models_):
            if isinstance(model, bool):
                out[:, j] = float(model)
            else:
                out[:, j] = model.predict_proba(features)[:, 1]
        return out

    def predict(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        """The freins whose probability reaches ``min_proba``, most probable first."""
        proba = self.predict_proba(texts)
        out = []
        for row in proba:
            order = np.argsort(-row, kind="stable")
            out.append(tuple(self.classes_[j] for j in order if row[j] >= self.min_proba))
        return out


def record_text(record: PartnerRecord, taxonomy: Any) -> str:
    """The text a partner is judged on: name, type label, description."""
    ptype = taxonomy.partner_types.get(record.type_code)
    label = ptype.label if ptype is not None and record.type_code not in GENERIC_TYPES else ""
    return " ".join(filter(None, [record.nom, label, record.description]))


def is_generic(record: PartnerRecord, taxonomy: Any) -> bool:
    """A partner whose type says nothing about the freins it addresses."""
    ptype = taxonomy.partner_types.get(record.type_code)
    if ptype is None or record.type_code in GENERIC_TYPES:
        return True
    return bool(ptype.recommendable) and not ptype.freins_core and not ptype.freins_side


def training_set(
    records: Sequence[PartnerRecord], taxonomy: Any, *, per_type: int = 300
) -> tuple[list[str], list[tuple[str, ...]]]:
    """Texts and frein labels: partners with known freins (main missions), capped per type,
    plus the taxonomy's wording of each frein and partner type."""
    texts: list[str] = []
    labels: list[tuple[str, ...]] = []
    for frein in taxonomy.freins.values():
        texts.append(f"{frein.label}. {frein.description}")
        labels.append((frein.code,))
        for synonym in frein.synonyms:
            texts.append(synonym)
            labels.append((frein.code,))
    for ptype in taxonomy.partner_types.values():
        if ptype.freins_core and ptype.recommendable:
            texts.append(" ".join([ptype.label, ptype.description, *ptype.keywords]))
            labels.append(tuple(ptype.freins_core))
    seen: dict[str, int] = defaultdict(int)
    for record in sorted(records, key=lambda r: r.id):
        if not record.freins or is_generic(record, taxonomy) or not record.active:
            continue
        if seen[record.type_code] >= per_type:
            continue
        ptype = taxonomy.partner_types.get(record.type_code)
        core = tuple(f for f in record.freins if ptype is None or f not in ptype.freins_side)
        if not core:
            continue
        seen[record.type_code] += 1
        texts.append(record_text(record, taxonomy))
        labels.append(core)
    return texts, labels


def infer_missing_freins(
    records: Iterable[PartnerRecord], taxonomy: Any, *, min_proba: float = 0.5
) -> dict[str, tuple[str, ...]]:
    """Guessed freins of the generic partners that declare none: ``{partner_id: freins}``.

    Only partners with at least one guessed frein are in the answer.
    """
    records = list(records)
    targets = [r for r in records if not r.freins and is_generic(r, taxonomy)]
    if not targets:
        return {}
    texts, labels = training_set(records, taxonomy)
    model = FreinClassifier(min_proba=min_proba).fit(texts, labels)
    guesses = model.predict([record_text(r, taxonomy) for r in targets])
    return {r.id: guess for r, guess in zip(targets, guesses, strict=True) if guess}
