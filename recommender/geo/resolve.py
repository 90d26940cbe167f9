"""What a user typed in the ``commune`` parameter, understood as a commune: an INSEE or
postal code, an exact name with its qualifiers, else the closest names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from recommender.errors import InvalidParameter, UnknownCommune

from .communes import Commune, Referential
from .fuzzy import NameIndex, max_edits
from .keys import normalize_code, query_words
from .query import Query, parse_query

MAX_QUERY_LENGTH = 200
MAX_ALTERNATIVES = 5
MAX_SUGGESTIONS = 5
# Similarity (rapidfuzz ratio, 0-100) a name needs within a postal code or a département.
POOL_CUTOFF = 80.0


@dataclass(frozen=True, slots=True)
class Resolution:
    """What :meth:`Gazetteer.resolve` understood: the best commune, the other candidates
    (best first, at most five) and how it was found: ``"code_insee"``, ``"code_postal"``,
    ``"nom"`` (exact name, accents, case and separators aside), ``"fuzzy"`` (typos, a name
    cut short) or ``"point"``."""

    commune: Commune
    alternatives: tuple[Commune, ...]
    matched_by: str

    def to_dict(self) -> dict[str, Any]:
        """The API's ``location`` object."""
        c = self.commune
        return {
            "code_insee": c.code_insee,
            "nom": c.nom,
            "departement": c.departement,
            "lat": c.lat,
            "lon": c.lon,
            "matched_by": self.matched_by,
            "alternatives": [a.to_dict() for a in self.alternatives],
        }


def _checked(text: object) -> str:
    """The text stripped, or :class:`InvalidParameter` (not a text, empty, too long)."""
    if not isinstance(text, str):
        raise InvalidParameter("commune", "Le paramètre « commune » doit être un texte.")
    if not text.strip():
        raise InvalidParameter("commune", "Le paramètre « commune » est vide.")
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidParameter(
            "commune",
            f"Le paramètre « commune » est trop long ({MAX_QUERY_LENGTH} caractères au plus).",
        )
    return text.strip()


def _mismatch(c: Commune, q: Query) -> int:
    """How many of the qualifiers given (postal code, département) the commune fails."""
    miss = 0
    if q.postal and q.postal not in c.codes_postaux:
        miss += 1
    if q.departement and c.departement != q.departement:
        miss += 1
    return miss


class Resolver:
    """:meth:`Gazetteer.resolve` and the ranking of its candidates."""

    def __init__(self, ref: Referential, names: NameIndex):
        self.ref = ref
        self.names = names

    def resolve(self, text: str) -> Resolution:
        """See :meth:`Gazetteer.resolve`."""
        stripped = _checked(text)
        if re.fullmatch(r"[0-9AaBb ]{4,6}", stripped):
            code = normalize_code(stripped)
            found = self.resolve_code(code) if code else None
            if found is not None:
                return found
        q = parse_query(self.ref, stripped)
        found = self._by_codes(q)
        if found is not None:
            return found
        if not q.key:
            raise self.unknown(text, [])
        found = self._by_name_or_typo(q, stripped)
        if found is not None:
            return found
        raise self.unknown(text, self._closest(q.key))

    def _by_codes(self, q: Query) -> Resolution | None:
        """An arrondissement, an INSEE code next to a name, or codes given alone."""
        communes = self.ref.communes
        if q.arrondissement and q.arrondissement in communes:
            c = communes[q.arrondissement]
            return Resolution(c, (communes[c.parent],) if c.parent else (), "nom")
        if not q.key:
            for code in (q.code, q.postal):
                found = self.resolve_code(code) if code else None
                if found is not None:
                    return found
            return None
        if q.code and q.code in communes:
            return Resolution(communes[q.code], (), "code_insee")
        return None

    def _by_name_or_typo(self, q: Query, stripped: str) -> Resolution | None:
        """The exact name, else a typo away, else the text read with a département name
        last, else its longest run of first words naming a commune."""
        found = self._by_name(q, in_place=True)
        if found is None and q.variant is not None:
            found = self._by_name(q.variant, in_place=False)
        if found is not None:
            return found
        ranked = self._approximate(q)
        if ranked:
            return self._resolution(ranked, q, "fuzzy")
        if q.variant is not None:
            found = self._by_name(q.variant, in_place=True)
            if found is not None:
                return found
            ranked = self._approximate(q.variant)
            if ranked:
                return self._resolution(ranked, q.variant, "fuzzy")
        ranked = self._leading_words(stripped)
        return self._resolution(ranked, q, "fuzzy") if ranked else None

    def _closest(self, key: str) -> list[Commune]:
        """Suggestions for an unknown commune: a département alone gives its main
        communes."""
        if not key.isalpha() and self.ref.is_departement(key.upper()):
            communes = self.ref.communes
            top = sorted(
                self.ref.by_departement.get(key.upper(), ()),
                key=lambda c: -communes[c].population,
            )
            return [communes[c] for c in top[:MAX_SUGGESTIONS]]
        return self._suggestions(key)

    def _by_name(self, q: Query, *, in_place: bool) -> Resolution | None:
        """The exact name (homonyms ranked by the qualifiers, then population); with a
        qualifier that no homonym satisfies, a name of that place starting so or close."""
        communes, weight = self.ref.communes, self.ref.weight
        exact = [(communes[code], p) for code, p in self.ref.by_key.get(q.key, ())]
        if exact and all(p == 2 for _c, p in exact):
            # Only former communes bear this name: current names starting with it compete
            # ("Boulogne" → Boulogne-Billancourt rather than a delegated village).
            known = {c.code_insee for c, _p in exact}
            exact += [
                (communes[code], 2)
                for code in self.names.index().first_words.get(q.key, ())
                if code not in known
            ]
        exact.sort(
            key=lambda cp: (cp[1] > 1, _mismatch(cp[0], q), cp[1], -weight(cp[0]), cp[0].code_insee)
        )
        exact_communes = [c for c, _p in exact]
        qualified = bool(q.postal or q.departement)
        if exact and (not qualified or _mismatch(exact[0][0], q) == 0):
            return self._resolution(exact_communes, q, "nom")
        if qualified and in_place:
            found = self._in_place(q)
            if found:
                return self._resolution(found + exact_communes, q, "fuzzy")
        if exact:
            return self._resolution(exact_communes, q, "nom")
        return None

    def _leading_words(self, text: str) -> list[Commune]:
        """Last resort: the longest run of first words that names a commune exactly
        ("Cergy Pontoise" → Cergy)."""
        tokens = query_words(text)
        for n in range(len(tokens) - 1, 0, -1):
            key = "".join(tokens[:n])
            if len(key) >= 4 and key in self.ref.by_key:
                found = [self.ref.communes[code] for code, _p in self.ref.by_key[key]]
                return sorted(found, key=lambda c: (-self.ref.weight(c), c.code_insee))
        return []

    def _resolution(self, ranked: list[Commune], q: Query, matched_by: str) -> Resolution:
        best = self.ref.descend(ranked[0], q.postal)
        alternatives: list[Commune] = [ranked[0]] if best is not ranked[0] else []
        seen = {best.code_insee, ranked[0].code_insee}
        for c in ranked[1:]:
            if c.code_insee not in seen:
                seen.add(c.code_insee)
                alternatives.append(c)
        return Resolution(best, tuple(alternatives[:MAX_ALTERNATIVES]), matched_by)

    def resolve_code(self, code: str) -> Resolution | None:
        """A bare code: current INSEE code, else postal code, else old INSEE code."""
        communes = self.ref.communes
        postal = self.ref.postal_ranked(code)
        if code in communes:
            others = [c for c in postal if c.code_insee != code]
            return Resolution(communes[code], tuple(others[:MAX_ALTERNATIVES]), "code_insee")
        if postal:
            best = postal[0]
            others = [c for c in postal[1:] if c.code_insee != best.parent]
            return Resolution(best, tuple(others[:MAX_ALTERNATIVES]), "code_postal")
        if code in self.ref.successors:
            return Resolution(communes[self.ref.successors[code]], (), "code_insee")
        return None

    def _pool(self, q: Query) -> list[str]:
        """Communes of the postal code given, else of the département given."""
        postal = self.ref.postal_communes(q.postal)
        if postal is not None:
            return postal
        if q.departement:
            return self.ref.by_departement.get(q.departement, [])
        return []

    def _in_place(self, q: Query) -> list[Commune]:
        """Names starting with the key, else similar names, else names the words designate
        (see :meth:`NameIndex.words_in_pool`), among the pool's communes."""
        pool = self._pool(q)
        if not pool:
            return []
        communes, weight = self.ref.communes, self.ref.weight
        starting = set(self.names.index().first_words.get(q.key, ())) & set(pool)
        if starting:
            return sorted((communes[c] for c in starting), key=lambda c: (-weight(c), c.code_insee))
        similar = [c for c, score in self.names.scored(q.key, pool) if score >= POOL_CUTOFF]
        if similar:
            return similar
        found = self.names.words_in_pool(q.words, pool, loose=bool(q.postal))
        return [found] if found is not None else []

    def _approximate(self, q: Query) -> list[Commune]:
        """Names within one edit (a transposition counts as one), and names whose first
        words are the key ("Châlons" → Châlons-en-Champagne), ranked by edits (a name cut
        short counts as one), then qualifiers, then population; two or three edits are tried
        for long names when nothing is one edit away."""
        cost: dict[str, tuple[int, int]] = {}
        for code in self.names.index().first_words.get(q.key, ()):
            cost[code] = (1, 0)
        most = max_edits(len(q.key))
        for edits in sorted({min(1, most), most}):
            if edits == 0:
                continue
            self._add_typos(q.key, edits, cost)
            if cost:
                break
        communes, weight = self.ref.communes, self.ref.weight
        ranked = sorted(
            cost,
            key=lambda code: (
                cost[code][0],
                _mismatch(communes[code], q),
                cost[code][1],
                -weight(communes[code]),
                code,
            ),
        )
        return [communes[code] for code in ranked]

    def _add_typos(self, key: str, edits: int, cost: dict[str, tuple[int, int]]) -> None:
        """Codes whose names are at most ``edits`` away, with (distance, priority)."""
        choices = (
            self.names.one_edit_candidates(key) if edits == 1 else self.names.band(len(key), edits)
        )
        hits = process.extract(key, choices, scorer=OSA.distance, score_cutoff=edits, limit=None)
        for k, distance, _i in hits:
            for code, priority in self.ref.by_key[k]:
                rank = (int(distance), priority)
                if code not in cost or rank < cost[code]:
                    cost[code] = rank

    def _suggestions(self, key: str) -> list[Commune]:
        """The closest communes for an error message: similar names, names starting so."""
        found: dict[str, float] = {}
        for k, score, _i in process.extract(
            key, self.names.band(len(key), 4), scorer=fuzz.ratio, limit=3 * MAX_SUGGESTIONS
        ):
            for code, _priority in self.ref.by_key[k]:
                found.setdefault(code, score)
        communes, weight = self.ref.communes, self.ref.weight
        ranked = sorted(found, key=lambda code: (-round(found[code] / 5), -weight(communes[code])))
        return [communes[code] for code in ranked[:MAX_SUGGESTIONS]]

    @staticmethod
    def unknown(text: str, suggestions: list[Commune]) -> UnknownCommune:
        return UnknownCommune(
            f"Commune « {text.strip()} » introuvable.",
            details={"query": text, "suggestions": [c.to_dict() for c in suggestions]},
        )
