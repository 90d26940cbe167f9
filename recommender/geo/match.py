"""The commune a source row designates (importers): never a guess between homonyms."""

from __future__ import annotations

from typing import TypedDict

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from recommender.text import fold

from .communes import Commune, Referential
from .fuzzy import NameIndex
from .keys import departements_of_postal, normalize_code, normalize_departement
from .query import Query, parse_query

# How much better than the runner-up a similar name of the place must score (rapidfuzz
# ratio) to be chosen, and the score it needs.
_POOL_SCORE = 85
_POOL_LEAD = 5


def _unique(cands: list[tuple[Commune, int]]) -> Commune | None:
    """The one candidate, else the one official name among them, else ``None``."""
    if len(cands) == 1:
        return cands[0][0]
    official = [c for c, p in cands if p == 0]
    return official[0] if len(official) == 1 else None


class SourceFields(TypedDict, total=False):
    """A source row's place fields, as written (any may be missing or damaged)."""

    nom: str | None
    code_postal: str | None
    departement: str | None
    code_insee: str | None


class Matcher:
    """:meth:`Gazetteer.match`."""

    def __init__(self, ref: Referential, names: NameIndex):
        self.ref = ref
        self.names = names

    def match(
        self,
        *,
        nom: str | None = None,
        code_postal: str | None = None,
        departement: str | None = None,
        code_insee: str | None = None,
    ) -> Commune | None:
        """See :meth:`Gazetteer.match`."""
        cp = normalize_code(code_postal)
        if cp and not cp.isdigit():
            cp = None
        dep = normalize_departement(departement)
        if not self.ref.is_departement(dep):
            dep = None
        code = normalize_code(code_insee)
        if code:
            found = self.ref.successor(code)
            if found is not None and (not nom or self._name_compatible(found, nom)):
                return found
            if code in self.ref.by_postal and not cp:
                cp = code  # a postal code in the INSEE column
        if not nom or not fold(nom):
            return self._by_postal_alone(cp)
        q = parse_query(self.ref, nom)
        if q.arrondissement and q.arrondissement in self.ref.communes:
            return self.ref.communes[q.arrondissement]
        if not q.key:
            return None
        return self._by_name(q, cp or q.postal, dep or q.departement)

    def _by_postal_alone(self, cp: str | None) -> Commune | None:
        """A postal code without a name: its arrondissement, or its only commune."""
        if not cp:
            return None
        ranked = self.ref.postal_ranked(cp)
        if ranked and ranked[0].kind == "arrondissement":
            return ranked[0]
        return ranked[0] if len(ranked) == 1 else None

    def _by_name(self, q: Query, cp: str | None, dep: str | None) -> Commune | None:
        deps = (dep,) if dep else departements_of_postal(cp) if cp else ()
        exact = [(self.ref.communes[c], p) for c, p in self.ref.by_key.get(q.key, ())]
        candidates = self._exact_in_place(exact, cp, deps) if exact else None
        if candidates is not None:
            found = _unique(candidates)
            return self.ref.descend(found, cp) if found else None
        # No exact name (or none in the place given): a name starting so, or close, there.
        for i, pool in enumerate(self._pools(cp, deps)):
            codes = self._in_pool(q, pool, loose=i == 0 and bool(cp))
            if codes is not None:
                if len(codes) != 1:
                    return None
                return self.ref.descend(self.ref.communes[codes.pop()], cp)
        return self._one_typo(q.key) if not deps else None

    @staticmethod
    def _exact_in_place(
        exact: list[tuple[Commune, int]], cp: str | None, deps: tuple[str, ...]
    ) -> list[tuple[Commune, int]] | None:
        """The homonyms of the postal code, else of the départements; all of them when no
        place is given; ``None`` when none is in the place given."""
        if cp:
            with_cp = [(c, p) for c, p in exact if cp in c.codes_postaux]
            if with_cp:
                return with_cp
        if not deps:
            return exact
        return [(c, p) for c, p in exact if c.departement in deps] or None

    def _pools(self, cp: str | None, deps: tuple[str, ...]) -> list[list[str]]:
        """The communes of the postal code, then of each département."""
        pools: list[list[str]] = []
        postal = self.ref.postal_communes(cp)
        if postal is not None:
            pools.append(postal)
        pools.extend(self.ref.by_departement.get(d, []) for d in deps)
        return pools

    def _in_pool(self, q: Query, pool: list[str], *, loose: bool) -> set[str] | None:
        """The codes of the pool the name designates (one: found; several: ambiguous);
        ``None`` when the pool has nothing to say."""
        starting = set(self.names.index().first_words.get(q.key, ())) & set(pool)
        if starting:
            return starting
        scored = self.names.scored(q.key, pool)
        if (
            scored
            and scored[0][1] >= _POOL_SCORE
            and (len(scored) == 1 or scored[1][1] < scored[0][1] - _POOL_LEAD)
        ):
            return {scored[0][0].code_insee}
        found = self.names.words_in_pool(q.words, pool, loose=loose)
        return {found.code_insee} if found is not None else None

    def _one_typo(self, key: str) -> Commune | None:
        """Without a place: the one commune whose name is a typo away from a long key."""
        if len(key) < 5:
            return None
        hits = process.extract(
            key, self.names.band(len(key), 1), scorer=OSA.distance, score_cutoff=1, limit=None
        )
        codes = {c for k, _d, _i in hits for c, _p in self.ref.by_key[k]}
        return self.ref.communes[codes.pop()] if len(codes) == 1 else None

    def _name_compatible(self, c: Commune, nom: str) -> bool:
        """Does a name written next to an INSEE code fit that commune?"""
        key = parse_query(self.ref, nom).key
        if not key:
            return True
        keys_of = self.names.index().keys_of
        keys = [*keys_of.get(c.code_insee, ()), *keys_of.get(c.parent or "", ())]
        return any(k.startswith(key) or key.startswith(k) or fuzz.ratio(key, k) >= 80 for k in keys)
