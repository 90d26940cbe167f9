"""The gazetteer: one object over the referential that answers every geographic question
the engine, the API and the importers ask (see :func:`default_gazetteer`)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, Unpack

from .autocomplete import Autocomplete
from .communes import Commune, Referential, ReferentialFiles
from .fuzzy import NameIndex
from .match import Matcher, SourceFields
from .resolve import Resolution, Resolver
from .shapes import Shapes


class Gazetteer(Referential):
    """The communes referential, loaded once per process (see :func:`default_gazetteer`).

    ``communes`` maps INSEE codes to :class:`Commune`: the 34,969 communes of the official
    list and the 45 municipal arrondissements. Typo indexes, autocomplete indexes and
    polygons are built on first use, by the parts this façade composes.
    """

    def __init__(self, communes: Iterable[Commune], **files: Unpack[ReferentialFiles]):
        super().__init__(communes, **files)
        self.names = NameIndex(self)
        self.resolver = Resolver(self, self.names)
        self.matcher = Matcher(self, self.names)
        self.autocompleter = Autocomplete(self)
        self.shapes = Shapes(self.communes, self.directory)

    def resolve(self, text: str) -> Resolution:
        """Understand the API's ``commune`` parameter.

        Parameters
        ----------
        text
            What the user typed: an INSEE code, a postal code, or a name with optional
            qualifiers (postal code, département code or name, arrondissement number).

        Returns
        -------
        Resolution
            The best commune, up to five alternatives, and how it was matched.

        Notes
        -----
        Accepts an INSEE code, a postal code, a name with or without accents, case,
        hyphens, apostrophes, abbreviations or a typo, optionally with a postal code, a
        département code or name, and the arrondissements of Paris, Lyon and Marseille. An
        ambiguous name resolves to the best candidate — exact name, then the postal code or
        département given, then population — and the others are listed in
        ``alternatives``.

        A five-digit number is first an INSEE code (the API's identifier), then a postal
        code: ``02100`` is Bony (INSEE 02100); Saint-Quentin (postal code 02100) comes
        first in the alternatives. With a name (``02100 Saint-Quentin``) it is a postal code.

        Examples
        --------
        >>> gaz = default_gazetteer()
        >>> r = gaz.resolve("Saint-Denis")
        >>> r.commune.code_insee, r.matched_by, [a.code_insee for a in r.alternatives][:1]
        ('97411', 'nom', ['93066'])
        >>> gaz.resolve("Saint-Denis (974)").commune.code_insee
        '97411'
        >>> gaz.resolve("02100 St Quentin").commune.code_insee
        '02691'
        >>> gaz.resolve("75015").commune.nom, gaz.resolve("Paris 15e").matched_by
        ('Paris 15e Arrondissement', 'nom')
        >>> gaz.resolve("Atlantide")
        Traceback (most recent call last):
        ...
        recommender.errors.UnknownCommune: Commune « Atlantide » introuvable.

        Raises
        ------
        InvalidParameter
            Empty text, or more than 200 characters.
        UnknownCommune
            Nothing close enough; ``details["suggestions"]`` lists the closest communes.
        """
        return self.resolver.resolve(text)

    def match(self, **fields: Unpack[SourceFields]) -> Commune | None:
        """The commune a source row designates, or ``None`` when unsure.

        Parameters
        ----------
        nom, code_postal, departement, code_insee
            The row's fields, as written (any may be missing or damaged).

        Returns
        -------
        Commune or None
            ``None`` unless one commune fits.

        Notes
        -----
        Tolerates spreadsheet damage (lost leading zero), CEDEX, abbreviations, old INSEE
        codes of merged communes, names of delegated communes and small typos, but never
        chooses between homonyms without a postal code or a département to decide.

        Examples
        --------
        >>> gaz = default_gazetteer()
        >>> gaz.match(nom="ST QUENTIN CEDEX", code_postal="02100").code_insee
        '02691'
        >>> gaz.match(nom="Saint-Denis") is None  # homonyms, nothing to choose
        True
        >>> gaz.match(nom="Saint Denis", departement="974").code_insee
        '97411'
        >>> gaz.match(code_insee="1053").nom
        'Bourg-en-Bresse'
        >>> gaz.match(nom="Paris", code_postal="75015").code_insee
        '75115'
        """
        return self.matcher.match(**fields)

    def autocomplete(self, q: str, limit: int = 10) -> list[Commune]:
        """Communes for a search box.

        Parameters
        ----------
        q
            The text typed so far (a name or its beginning, or digits).
        limit
            At most this many communes (capped at 100).

        Returns
        -------
        list of Commune
            The exact name, then names starting with the input, then names with a later word
            starting with it (each by population, arrondissements last), then names whose
            beginning is a typo away; for digits, the INSEE code itself, the communes of the
            postal code, then postal code prefixes.

        Examples
        --------
        >>> gaz = default_gazetteer()
        >>> [c.nom for c in gaz.autocomplete("beauv", limit=3)]
        ['Beauvais', 'Beauvoisin', 'Beauvallon']
        >>> [c.nom for c in gaz.autocomplete("quentin", limit=1)]
        ['Saint-Quentin']
        >>> [c.nom for c in gaz.autocomplete("baeuvais", limit=1)]
        ['Beauvais']
        >>> [c.nom for c in gaz.autocomplete("6000", limit=1)]
        ['Beauvais']
        """
        return self.autocompleter.autocomplete(q, limit)

    # ------------------------------------------------------------------ points
    def commune_at(self, lat: float, lon: float) -> Commune | None:
        """The commune containing a point (never an arrondissement: see
        :meth:`arrondissement_at`).

        Parameters
        ----------
        lat, lon
            Degrees (WGS 84).

        Returns
        -------
        Commune or None
            The commune whose polygon contains the point, else the nearest one within about
            1 km (a beach beyond the simplified coastline); ``None`` elsewhere or for invalid
            coordinates. Polygons are loaded on the first call (about 0.3 s).

        Examples
        --------
        >>> gaz = default_gazetteer()
        >>> gaz.commune_at(48.8414, 2.3004).nom  # Paris 15e: the commune, not the arrondissement
        'Paris'
        >>> gaz.commune_at(46.5, -5.0) is None  # Atlantic Ocean
        True
        """
        return self.shapes.at("commune", lat, lon, nearest=True)

    def arrondissement_at(self, lat: float, lon: float) -> Commune | None:
        """The municipal arrondissement of Paris, Lyon or Marseille containing the point.

        >>> default_gazetteer().arrondissement_at(48.8414, 2.3004).code_insee
        '75115'
        """
        return self.shapes.at("arrondissement", lat, lon, nearest=False)

    def locate(self, lat: float, lon: float) -> Resolution | None:
        """A point as a :class:`Resolution` (``matched_by="point"``), or ``None``."""
        c = self.commune_at(lat, lon)
        return Resolution(c, (), "point") if c is not None else None

    def departement_at(self, lat: float, lon: float) -> str | None:
        """The département code of the point: the commune's, else by the département
        polygons (which also cover the few areas the commune polygons miss).

        >>> default_gazetteer().departement_at(41.9192, 8.7386)  # Ajaccio
        '2A'
        """
        c = self.commune_at(lat, lon)
        if c is not None:
            return c.departement
        return self.shapes.departement_by_polygon(lat, lon)

    def commune_polygon(self, code: str) -> Any | None:
        """The simplified polygon of a commune (shapely), ``None`` when unknown.

        >>> default_gazetteer().commune_polygon("60057").geom_type in ("Polygon", "MultiPolygon")
        True
        """
        return self.shapes.commune_polygon(code)

    def departement_polygon(self, code: str) -> Any | None:
        """The simplified polygon of a département (shapely), ``None`` when unknown."""
        return self.shapes.departement_polygon(code)


@functools.cache
def default_gazetteer() -> Gazetteer:
    """The gazetteer of the repository's ``data/referentiels``, loaded once per process."""
    return Gazetteer.load()
