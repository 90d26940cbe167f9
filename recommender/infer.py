"""Frein inference: guess what a generic partner helps with from its name and description.

:class:`FreinClassifier` is a TF-IDF (word 1–2-grams and character 3–5-grams
over accent-folded French text) followed by one logistic regression per
frein. :func:`infer_missing_freins` trains it on a sample of the partners whose
freins are known (``PER_TYPE`` per partner type, ``MAX_EXAMPLES`` in all, plus the
taxonomy's own wording: labels, descriptions, synonyms, keywords) and applies it to
partners of a generic type with no frein. The sample bounds training time whatever the size
of the data, and a trained model is reused while the sample stays the same. The
app stores the result as ``freins_inferred``; the engine weighs those less and
says so in its reasons.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from .records import PartnerRecord
from .text import fold
from .validation import check_int, check_is_fitted, check_number

if TYPE_CHECKING:
    from scipy import sparse

    from .taxonomy import Taxonomy

GENERIC_TYPES = frozenset({"autre", "association", "association-solidarite-generique"})
# Known partners kept for training, per type and in all: on the shared data a model of
# 1,500 is as good as one of them all (held-out F1 0.891, against 0.895 with up to 300
# per type and 6,000 in all), and training takes seconds at any scale.
PER_TYPE = 100
MAX_EXAMPLES = 1500


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
        """Both TF-IDFs read texts already folded (:func:`fold` once per text, not per
        vectorizer and pass)."""
        return FeatureUnion(
            [
                (
                    "words",
                    TfidfVectorizer(
                        lowercase=False,
                        ngram_range=(1, 2),
                        sublinear_tf=True,
                        max_features=self.max_features,
                        token_pattern=r"(?u)\b\w\w+\b",
                    ),
                ),
                (
                    "chars",
                    TfidfVectorizer(
                        lowercase=False,
                        analyzer="char_wb",
                        ngram_range=(3, 5),
                        sublinear_tf=True,
                        max_features=self.max_features,
                    ),
                ),
            ]
        )

    def fit(self, texts: Sequence[str], labels: Sequence[Iterable[str]]) -> FreinClassifier:
        """Learn one model per frein from ``texts`` and their frein tuples.

        Raises
        ------
        ValueError
            When a parameter is out of its range, or ``texts`` and ``labels`` differ in length.
        """
        check_number("min_proba", self.min_proba, fraction=True)
        check_number("C", self.C, positive=True)
        check_int("max_features", self.max_features, minimum=1)
        texts = list(texts)
        labels = [tuple(label) for label in labels]
        if len(texts) != len(labels):
            raise ValueError("texts and labels must have the same length")
        classes: list[str] = []
        for label in labels:
            classes.extend(code for code in label if code not in classes)
        self.classes_ = tuple(classes)
        self.vectorizer_ = self._vectorizer()
        features = self.vectorizer_.fit_transform([fold(text) for text in texts]).tocsr()
        answers = [np.array([code in label for label in labels]) for code in self.classes_]
        # one after the other: liblinear's shared random state makes concurrent fits in
        # threads unsafe (scikit-learn issue #31883; a CI run aborted on it)
        self.models_ = [self._fit_one(features, y) for y in answers]
        return self

    def _fit_one(self, features: sparse.csr_matrix, y: np.ndarray) -> LogisticRegression | bool:
        if y.all() or not y.any():  # a constant answer needs no model
            return bool(y.all())
        # The dual problem: the primal one's model, several times faster when there are
        # more features than texts.
        model = LogisticRegression(
            C=self.C, class_weight="balanced", solver="liblinear", dual=True, max_iter=1000
        )
        return model.fit(features, y)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of each frein of ``classes_`` for each text, shape (n, n_classes)."""
        check_is_fitted(self, "models_")
        texts = list(texts)
        out = np.zeros((len(texts), len(self.classes_)))
        if not texts:
            return out
        features = self.vectorizer_.transform([fold(text) for text in texts])
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


def record_text(record: PartnerRecord, taxonomy: Taxonomy) -> str:
    """The text a partner is judged on: name, type label, description."""
    ptype = taxonomy.partner_types.get(record.type_code)
    label = ptype.label if ptype is not None and record.type_code not in GENERIC_TYPES else ""
    return " ".join(filter(None, [record.nom, label, record.description]))


def is_generic(record: PartnerRecord, taxonomy: Taxonomy) -> bool:
    """A partner whose type says nothing about the freins it addresses."""
    return is_generic_type(record.type_code, taxonomy)


def is_generic_type(type_code: str, taxonomy: Taxonomy) -> bool:
    """A type that says nothing about the freins its partners address (or an unknown one)."""
    ptype = taxonomy.partner_types.get(type_code)
    if ptype is None or type_code in GENERIC_TYPES:
        return True
    return bool(ptype.recommendable) and not ptype.freins_core and not ptype.freins_side


def training_examples(
    records: Iterable[PartnerRecord],
    taxonomy: Taxonomy,
    *,
    per_type: int = PER_TYPE,
    limit: int = MAX_EXAMPLES,
) -> list[tuple[PartnerRecord, tuple[str, ...]]]:
    """Partners to learn from, with their main freins (the type's side freins dropped).

    Of each non-generic type, the first ``per_type`` active partners by id that declare
    freins (those with side freins only are then left out); at most ``limit`` in all,
    taken from each type in turn (a type with few partners keeps them all). A database
    can select the candidates itself: the first ``per_type`` rows by id of each type.
    """
    by_type: dict[str, list[PartnerRecord]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r.id):
        if not record.freins or is_generic(record, taxonomy) or not record.active:
            continue
        if len(by_type[record.type_code]) < per_type:
            by_type[record.type_code].append(record)
    groups = []
    for type_code, group in by_type.items():
        side = taxonomy.partner_types[type_code].freins_side
        cores = [(r, tuple(f for f in r.freins if f not in side)) for r in group]
        groups.append([(r, core) for r, core in cores if core])
    chosen = []
    for rank in range(max(map(len, groups), default=0)):
        chosen.extend(examples[rank] for examples in groups if rank < len(examples))
    return chosen[:limit]


def training_set(
    records: Iterable[PartnerRecord], taxonomy: Taxonomy, *, per_type: int = PER_TYPE
) -> tuple[list[str], list[tuple[str, ...]]]:
    """Texts and frein labels: the taxonomy's wording of each frein and partner type, plus
    the :func:`training_examples` of ``records``."""
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
    for record, core in training_examples(records, taxonomy, per_type=per_type):
        texts.append(record_text(record, taxonomy))
        labels.append(core)
    return texts, labels


_TRAINED: dict[str, FreinClassifier] = {}


def trained_classifier(
    texts: Sequence[str], labels: Sequence[tuple[str, ...]], *, min_proba: float = 0.5
) -> FreinClassifier:
    """A classifier fitted on ``texts`` and ``labels``. The last one is kept and reused
    while its training set stays the same: an import then ``relais reindex``, or imports
    that add no partner to the sample, train once."""
    key = hashlib.sha256(repr((min_proba, list(texts), list(labels))).encode()).hexdigest()
    model = _TRAINED.get(key)
    if model is None:
        model = FreinClassifier(min_proba=min_proba).fit(texts, labels)
        _TRAINED.clear()
        _TRAINED[key] = model
    return model


def infer_missing_freins(
    records: Iterable[PartnerRecord],
    taxonomy: Taxonomy,
    *,
    targets: Iterable[PartnerRecord] | None = None,
    min_proba: float = 0.5,
) -> dict[str, tuple[str, ...]]:
    """Guessed freins of the generic partners that declare none: ``{partner_id: freins}``.

    The model learns from ``records``; it guesses for the generic partners without freins
    among ``targets`` (by default, among ``records``). Only partners with at least one
    guessed frein are in the answer.
    """
    records = list(records)
    pool = records if targets is None else targets
    targets = [r for r in pool if not r.freins and is_generic(r, taxonomy)]
    if not targets:
        return {}
    texts, labels = training_set(records, taxonomy)
    model = trained_classifier(texts, labels, min_proba=min_proba)
    guesses = model.predict([record_text(r, taxonomy) for r in targets])
    return {r.id: guess for r, guess in zip(targets, guesses, strict=True) if guess}
