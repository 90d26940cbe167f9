"""Test factories: engine records, small gazetteers and profiles.

``make_record(**overrides)`` gives a valid :class:`PartnerRecord` (a partner in
Beauvais by default); ``FakeGazetteer`` is a tiny, real-coordinates referential
of a few communes (Oise, Somme, Paris, La Réunion, Guadeloupe) for fast unit
tests that do not need the full one. ``partner(**overrides)`` and
``partner_record(**overrides)`` give a database ``Partner`` and an engine record built
from a real shipped row (the mairie of Beauvais by default), never an invented one.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from dataclasses import dataclass, field
from typing import Any

from app.models import Partner
from recommender.errors import UnknownCommune
from recommender.geo import haversine_km
from recommender.profile import Location, Profile, location_from_commune
from recommender.records import PartnerRecord
from recommender.taxonomy import default_taxonomy
from recommender.text import fold

from .real_rows import first, mairies_rows

_ids = itertools.count(1)


def make_record(**overrides: Any) -> PartnerRecord:
    """A partner record in Beauvais (Oise), declaring ``emploi``, with any field overridden.

    >>> make_record(type_code="spip", departement="80").departement
    '80'
    """
    values: dict[str, Any] = {
        "id": f"p{next(_ids)}",
        "nom": "Structure de test",
        "type_code": "autre",
        "lat": 49.4303,
        "lon": 2.0952,
        "coords_exact": True,
        "code_insee": "60057",
        "departement": "60",
        "region": "32",
        "freins": ("emploi",),
        "zone_kind": "rayon",
    }
    values.update(overrides)
    return PartnerRecord(**values)


@dataclass(frozen=True)
class FakeCommune:
    code_insee: str
    nom: str
    departement: str
    region: str
    lat: float
    lon: float
    epci: str | None = None
    codes_postaux: tuple[str, ...] = ()
    population: int = 0
    kind: str = "commune"
    parent: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code_insee": self.code_insee,
            "nom": self.nom,
            "codes_postaux": list(self.codes_postaux),
            "departement": self.departement,
            "lat": self.lat,
            "lon": self.lon,
        }


@dataclass(frozen=True)
class FakeResolution:
    commune: FakeCommune
    alternatives: tuple[FakeCommune, ...] = ()
    matched_by: str = "code"


COMMUNES = (
    FakeCommune("60057", "Beauvais", "60", "32", 49.436128, 2.0952, "200067999", ("60000",), 55550),
    FakeCommune("60104", "Breteuil", "60", "32", 49.634172, 2.2953, "246000749", ("60120",), 4222),
    FakeCommune("60286", "Grandvilliers", "60", "32", 49.666277, 1.9411, None, ("60210",), 2786),
    FakeCommune("60175", "Creil", "60", "32", 49.253189, 2.4801, "200067981", ("60100",), 36301),
    FakeCommune("60463", "Nogent-sur-Oise", "60", "32", 49.276003, 2.4674, "200067981"),
    FakeCommune("80021", "Amiens", "80", "32", 49.900485, 2.2900, "248000531", ("80000",), 136449),
    FakeCommune("80001", "Abbeville", "80", "32", 50.108371, 1.8339, None, ("80100",), 22395),
    FakeCommune("75056", "Paris", "75", "11", 48.856589, 2.3426, "200054781", ("75001",), 2103778),
    FakeCommune("93066", "Saint-Denis", "93", "11", 48.92983, 2.3574, "200054781", (), 149077),
    FakeCommune("97411", "Saint-Denis", "974", "04", -20.932999, 55.4467, None, ("97400",), 155634),
    FakeCommune("97415", "Saint-Paul", "974", "04", -21.044419, 55.2718, None, ("97460",)),
    FakeCommune("97120", "Pointe-à-Pitre", "971", "01", 16.23781, -61.5342, None, ("97110",)),
)  # fmt: skip


@dataclass
class FakeGazetteer:
    """The gazetteer interface over :data:`COMMUNES` (nearest commune within 8 km for a point)."""

    communes: tuple[FakeCommune, ...] = COMMUNES
    by_code: dict[str, FakeCommune] = field(init=False)

    def __post_init__(self) -> None:
        self.by_code = {c.code_insee: c for c in self.communes}

    def get(self, code: str) -> FakeCommune | None:
        return self.by_code.get(code)

    def resolve(self, text: str) -> FakeResolution:
        if text in self.by_code:
            return FakeResolution(self.by_code[text])
        folded = fold(text)
        hits = [c for c in self.communes if fold(c.nom) == folded]
        hits.sort(key=lambda c: -c.population)
        if not hits:
            raise UnknownCommune(f"Commune inconnue : « {text} ».", details={"suggestions": []})
        return FakeResolution(hits[0], tuple(hits[1:]), "nom")

    def commune_at(self, lat: float, lon: float) -> FakeCommune | None:
        best = min(self.communes, key=lambda c: _km(lat, lon, c.lat, c.lon))
        return best if _km(lat, lon, best.lat, best.lon) < 8 else None

    def departement_at(self, lat: float, lon: float) -> str | None:
        commune = self.commune_at(lat, lon)
        return commune.departement if commune else None

    def epci_members(self, code: str) -> frozenset[str]:
        return frozenset(c.code_insee for c in self.communes if c.epci == code)

    def departement_name(self, code: str) -> str | None:
        return None


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    import numpy as np

    return float(haversine_km(lat1, lon1, np.array([lat2]), np.array([lon2]))[0])


def make_location(code: str = "60057", gazetteer: FakeGazetteer | None = None) -> Location:
    """A location at a commune of the fake gazetteer (Beauvais by default)."""
    gazetteer = gazetteer or FakeGazetteer()
    return location_from_commune(gazetteer.by_code[code])


def make_profile(freins: tuple[str, ...] = ("emploi",), code: str = "60057", **kw: Any) -> Profile:
    """A profile in a fake-gazetteer commune."""
    return Profile(location=make_location(code), freins=tuple(freins), **kw)


BEAUVAIS = "60057"


@functools.cache
def _shipped_mairie(code_insee: str) -> tuple[tuple[str, object], ...]:
    """A mairie of ``data/partners/mairies.csv.gz`` in the partner's columns, read at runtime.

    Its type is the one the taxonomy reads in its name, its freins and zone that type's; its
    département and région those of its commune in :data:`COMMUNES`.
    """
    _, rows = mairies_rows()
    row = first(rows, lambda r: r["code_insee"] == code_insee, f"mairie {code_insee}")
    commune = next(c for c in COMMUNES if c.code_insee == code_insee)
    taxonomy = default_taxonomy()
    kind = taxonomy.partner_type(taxonomy.type_from_name(row["nom"]))
    values = {
        "nom": row["nom"],
        "type_code": kind.code,
        "adresse": row["adresse"],
        "code_postal": row["code_postal"],
        "code_insee": code_insee,
        "commune_nom": row["commune"],
        "departement": commune.departement,
        "region": commune.region,
        "lat": float(row["lat"]),
        "lon": float(row["lon"]),
        "coords_exact": row["coord_ok"] == "1",
        "telephone": row["telephone"],
        "email": row["email"],
        "site_web": row["site_web"],
        "horaires": row["horaires"],
        "freins": list(kind.freins),
        "zone_kind": kind.zone_kind,
        "zone_codes": [code_insee],
    }
    return tuple(values.items())


def partner_values(code_insee: str = BEAUVAIS, **overrides: Any) -> dict[str, Any]:
    """The columns of a real partner with a fresh id: the shipped mairie of ``code_insee``
    (Beauvais by default, one of :data:`COMMUNES`), each field replaced by ``overrides``.

    No partner is invented: a test changes only what it is about (``freins=[…]``,
    ``age_min=16``…) and keeps the rest of a row Relais really ships.
    """
    values = {"id": f"mairie-{code_insee}-{next(_ids)}", **dict(_shipped_mairie(code_insee))}
    values.update(overrides)
    return values


def partner(code_insee: str = BEAUVAIS, **overrides: Any) -> Partner:
    """A database :class:`~app.models.Partner` (not added to any session) from
    :func:`partner_values`."""
    return Partner(**partner_values(code_insee, **overrides))


def partner_record(code_insee: str = BEAUVAIS, **overrides: Any) -> PartnerRecord:
    """The engine's :class:`PartnerRecord` of the same real row (list columns become tuples;
    columns the engine does not read are dropped)."""
    values = partner_values(code_insee, **overrides)
    fields = {f.name for f in dataclasses.fields(PartnerRecord)}
    return PartnerRecord(
        **{
            key: tuple(value) if isinstance(value, list) else value
            for key, value in values.items()
            if key in fields
        }
    )
