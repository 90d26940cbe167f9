"""From what a source states to what a partner needs: a checked commune, valid coordinates,
a partner type. One :class:`Resolver` per run; it caches its gazetteer look-ups."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from recommender.hours import hours_text

from ..text_limits import MAX_LENGTH, capped
from .formats.base import Format, Parsed, RowError
from .hours import from_text as hours_from_text
from .normalize import (
    clean,
    clean_commune_name,
    departement_of_postal_code,
    fold,
    in_france,
    normalize_departement,
    normalize_insee,
    normalize_postal_code,
    parse_coord,
    truncate,
)

# A point farther than this from its commune's centre is suspicious.
MAX_KM_FROM_COMMUNE = 20.0

# Chef-lieu of each département: where a row known only by its département is placed.
CHEFS_LIEUX = {
    "01": "01053", "02": "02408", "03": "03190", "04": "04070", "05": "05061", "06": "06088",
    "07": "07186", "08": "08105", "09": "09122", "10": "10387", "11": "11069", "12": "12202",
    "13": "13055", "14": "14118", "15": "15014", "16": "16015", "17": "17300", "18": "18033",
    "19": "19272", "2A": "2A004", "2B": "2B033", "21": "21231", "22": "22278", "23": "23096",
    "24": "24322", "25": "25056", "26": "26362", "27": "27229", "28": "28085", "29": "29232",
    "30": "30189", "31": "31555", "32": "32013", "33": "33063", "34": "34172", "35": "35238",
    "36": "36044", "37": "37261", "38": "38185", "39": "39300", "40": "40192", "41": "41018",
    "42": "42218", "43": "43157", "44": "44109", "45": "45234", "46": "46042", "47": "47001",
    "48": "48095", "49": "49007", "50": "50502", "51": "51108", "52": "52121", "53": "53130",
    "54": "54395", "55": "55029", "56": "56260", "57": "57463", "58": "58194", "59": "59350",
    "60": "60057", "61": "61001", "62": "62041", "63": "63113", "64": "64445", "65": "65440",
    "66": "66136", "67": "67482", "68": "68066", "69": "69123", "70": "70550", "71": "71270",
    "72": "72181", "73": "73065", "74": "74010", "75": "75056", "76": "76540", "77": "77288",
    "78": "78646", "79": "79191", "80": "80021", "81": "81004", "82": "82121", "83": "83137",
    "84": "84007", "85": "85191", "86": "86194", "87": "87085", "88": "88160", "89": "89024",
    "90": "90010", "91": "91228", "92": "92050", "93": "93008", "94": "94028", "95": "95127",
    "971": "97105", "972": "97209", "973": "97302", "974": "97411", "976": "97611",
}  # fmt: skip

log = logging.getLogger(__name__)


@dataclass
class Location:
    code_insee: str | None
    commune_nom: str
    code_postal: str
    departement: str | None
    region: str | None
    epci: str | None
    lat: float | None
    lon: float | None
    coords_exact: bool


class TypeGuesser:
    """``Taxonomy.type_from_name`` as one regular expression: the keyword found earliest
    in the folded name wins, then the longest (alternatives sorted longest first), then
    the first type in file order — the same answer, in a few microseconds."""

    def __init__(self, taxonomy: Any):
        first: dict[str, str] = {}
        for ptype in taxonomy.partner_types.values():
            for keyword in ptype.keywords:
                folded = fold(keyword)
                if folded and folded not in first:
                    first[folded] = ptype.code
        self.types = first
        alternatives = "|".join(re.escape(k) for k in sorted(first, key=len, reverse=True))
        self.regex = re.compile(f"(?<= )(?:{alternatives})(?= )") if first else None

    @functools.lru_cache(maxsize=65536)  # noqa: B019 (one guesser per run)
    def __call__(self, name: str | None) -> str | None:
        if not name or self.regex is None:
            return None
        m = self.regex.search(f" {fold(name)} ")
        return self.types[m[0]] if m else None


class Resolver:
    def __init__(
        self, gazetteer: Any, taxonomy: Any, fmt: Format, source: str, address_geocoder=None
    ):
        self.address_geocoder = address_geocoder
        self.gaz = gazetteer
        self.tax = taxonomy
        self.fmt = fmt
        self.source = source
        self.haversine = _haversine()
        # Source keys to try for the taxonomy's source-type table: the given name and its
        # prefixes ("auto-ecoles-sociales-liste-manuelle" → "auto-ecoles-sociales").
        parts = source.split("-")
        self.source_keys = [fmt.taxonomy_source] + [
            "-".join(parts[:n]) for n in range(len(parts), 0, -1)
        ]
        self._match = functools.lru_cache(maxsize=65536)(self._match_uncached)
        self._type_from_hint = functools.lru_cache(maxsize=4096)(self._type_from_hint_uncached)
        self._type_from_name = TypeGuesser(taxonomy)
        # A source repeats a few hours texts ("Du lundi au vendredi…"); read once, as JSON
        # so that each record gets its own copy of the week.
        self._week_json = functools.lru_cache(maxsize=4096)(_week_json)

    # ---------------------------------------------------------------- record
    def resolve(self, parsed: Parsed) -> dict[str, Any]:
        """The record's partner fields (JSON-ready); warnings go to ``parsed.warnings``."""
        f = parsed.fields
        nom = clean(f.get("nom"))
        if len(nom) < 2:
            raise RowError("nom manquant")
        loc = self._location_of(parsed)
        type_code, how = self.typed(f, nom)
        out: dict[str, Any] = {
            "nom": _cut("nom", nom),
            "nom_quality": f.get("nom_quality", 1),
            "type_code": type_code,
            "adresse": _cut("adresse", clean(f.get("adresse"))),
            "complement_adresse": _cut("complement_adresse", clean(f.get("complement_adresse"))),
            "code_postal": loc.code_postal,
            "code_insee": loc.code_insee,
            "commune_nom": _cut("commune_nom", loc.commune_nom),
            "departement": loc.departement,
            "region": loc.region,
            "epci": loc.epci,
            "lat": round(loc.lat, 6) if loc.lat is not None else None,
            "lon": round(loc.lon, 6) if loc.lon is not None else None,
            "coords_exact": loc.coords_exact,
            **{key: _cut(key, f.get(key) or "") for key in ("telephone", "email", "site_web")},
            **self._hours(f.get("horaires") or "", f.get("horaires_structures"), parsed.warnings),
            "description": capped("description", f.get("description") or "", parsed.warnings),
            "siret": f["siret"] if _is_siret(f.get("siret")) else None,
        }
        updated = f.get("source_updated_at")
        out["source_updated_at"] = updated.isoformat() if isinstance(updated, date) else None
        mediation = self._mediation(f, type_code)
        for key in ("thematiques", "publics", "modes_accueil", "frais"):
            if f.get(key) and (key != "thematiques" or mediation is not False):
                out[key] = list(dict.fromkeys(f[key]))
        if f.get("publics_declared"):
            out["publics_declared"] = True
        if how == "nom":
            out["type_inferred"] = True  # from the name only: counted apart in the report
        if mediation is not False and (freins := self._freins(f, parsed.warnings)) is not None:
            if mediation:
                # Médiation numérique offered in a place of another type: both its freins.
                wanted = set(freins) | set(self.tax.partner_type(type_code).freins)
                freins = [c for c in self.tax.freins if c in wanted]
            out["freins"] = freins
        if f.get("services") and mediation is not False:
            out["services"] = f["services"]
        out.update(self._scope(f))
        return out

    def _hours(
        self, text: str, structured: dict[str, Any] | None, warnings: list[str]
    ) -> dict[str, Any]:
        """The hours as the source wrote them and as a week: a format gives the week when its
        form is structured, else regular French text (or JSON) is read; JSON is shown as text."""
        week = structured or orjson.loads(self._week_json(text))
        if week and text.lstrip().startswith(("{", "[")):
            text = hours_text(week)
        return {"horaires": capped("horaires", text, warnings), "horaires_structures": week}

    def _mediation(self, f: dict[str, Any], type_code: str) -> bool | None:
        """Whether a place of another type offers the public the médiation numérique
        services it lists: only with a label saying so (CNFS, Aidants Connect, France
        Services). False: the services are left aside (a résidence sociale of SI-SIAO listing
        « Accéder à une connexion internet » for its residents); None: no such services, or
        the place is a lieu de médiation numérique itself."""
        fallback = f.get("type_fallback")
        if not fallback or type_code == fallback:
            return None
        labels = f.get("labels") or []
        return bool(
            self._type_from_labels(labels, "labels-lieu")
            or self._type_from_labels(labels, "labels-structure")
        )

    def _location_of(self, parsed: Parsed) -> Location:
        """:meth:`locate`; a data·inclusion service without an address takes its structure's."""
        f = parsed.fields
        try:
            return self.locate(f, parsed.warnings)
        except RowError:
            if not parsed.parent_id or any(
                clean(f.get(k)) for k in ("commune", "code_postal", "code_insee")
            ):
                raise
            return Location(None, "", "", None, None, None, None, None, False)

    def _freins(self, f: dict[str, Any], warnings: list[str]) -> list[str] | None:
        """The freins a format derived and the known ones a source declared, in taxonomy order
        (None when there are none)."""
        freins = list(f.get("freins") or [])
        for code in f.get("freins_declared") or []:
            if code in self.tax.freins:
                freins.append(code)
            else:
                warnings.append(f"frein « {code} » inconnu, ignoré")
        wanted = set(freins)
        return [c for c in self.tax.freins if c in wanted] if freins else None

    def _scope(self, f: dict[str, Any]) -> dict[str, Any]:
        """Ages, zone, inactivity and the service marks, when the record states them."""
        out: dict[str, Any] = {k: f[k] for k in ("age_min", "age_max") if isinstance(f.get(k), int)}
        if f.get("zone_kind"):
            out["zone_kind"] = f["zone_kind"]
            out["zone_codes"] = self._zone_codes(f)
        if f.get("inactive"):
            out["inactive"] = f["inactive"]
        if f.get("service"):
            out["service"] = True
        if f.get("service_nom"):
            out["service_nom"] = truncate(clean(f["service_nom"]), 300)
        return out

    def _zone_codes(self, f: dict[str, Any]) -> list[str]:
        codes = list(f.get("zone_codes") or [])
        kind = f["zone_kind"]
        for insee in f.get("zone_lift") or []:
            commune = self.gaz.get(insee)
            if commune is None:
                continue
            code = commune.departement if kind == "departement" else commune.epci
            if code and code not in codes:
                codes.append(code)
        return codes

    # ---------------------------------------------------------------- type
    def typed(self, f: dict[str, Any], nom: str) -> tuple[str, str]:
        """(type, how it was found): the source's own codes first (its type code, a
        national label the structure holds such as France Services), then its name
        ("nom": inferred), then its sub-source's default, then what the place offers (a
        label such as CNFS names a service given there, the médiation numérique services),
        else "autre"."""
        if f.get("type_code") and f["type_code"] in self.tax.partner_types:
            return f["type_code"], "source"
        source_types = f.get("source_type")
        if isinstance(source_types, str):
            source_types = [source_types]
        for code in source_types or []:
            if code in self.tax.partner_types and code != "autre":
                return code, "source"  # a format that states the type itself
            found = self.tax.source_type(self.fmt.taxonomy_source, code)
            if found != "autre":
                return found, "source"
        labels = f.get("labels") or []
        if found := self._type_from_labels(labels, "labels-structure"):
            return found, "label"
        if (hint := clean(f.get("type_hint"))) and (found := self._type_from_hint(hint)):
            return found, "source"
        if not source_types:
            for key in self.source_keys:
                if key in self.tax.source_types:
                    found = self.tax.source_type(key, "*")
                    if found != "autre":
                        return found, "source"
        if found := self._type_from_name(nom):
            return found, "nom"
        if (found := f.get("type_default")) and found in self.tax.partner_types:
            return found, "source"
        if found := self._type_from_labels(labels, "labels-lieu"):
            return found, "label"
        if (found := f.get("type_fallback")) and found in self.tax.partner_types:
            return found, "services"
        return "autre", ""

    def _type_from_labels(self, labels: list[str], table: str) -> str | None:
        for label in labels:
            found = self.tax.source_type(table, label)
            if found != "autre":
                return found
        return None

    def _type_from_hint_uncached(self, hint: str) -> str | None:
        """The type a source's own type cell names: a code, a label, a source type or a
        keyword (memoised per run: the column repeats a few values)."""
        folded = fold(hint).replace(" ", "-")
        if folded in self.tax.partner_types:
            return folded
        # The source's own table, then the DILA pivot codes (the national vocabulary of
        # local public services, which hand-made lists reuse: ``ccas``, ``sdsei``…).
        for key in (*self.source_keys, "annuaire-service-public"):
            found = self.tax.source_type(key, hint)
            if found != "autre":
                return found
        by_label = {fold(t.label): t.code for t in self.tax.partner_types.values()}
        return by_label.get(fold(hint)) or self._type_from_name(hint)

    # ---------------------------------------------------------------- location
    def _match_uncached(self, nom: str, cp: str, dep: str, insee: str) -> tuple[Any, str]:
        """(commune, how): ``how`` is "" for a full match, "nom" when only the name was
        kept, "cp" when only the postal code was (the name is unknown)."""
        gaz = self.gaz
        try:
            commune = gaz.match(
                nom=nom or None,
                code_postal=cp or None,
                departement=dep or None,
                code_insee=insee or None,
            )
            if commune is not None:
                return commune, ""
            if nom and (cp or insee):
                # CEDEX and old postal codes: the name alone (None among homonyms).
                commune = gaz.match(nom=nom, departement=dep if not cp else None)
                if commune is not None:
                    return commune, "nom"
            if cp and nom:
                commune = gaz.match(code_postal=cp)
                if commune is not None:
                    return commune, "cp"
        except Exception:  # the gazetteer is tolerant; never let a look-up kill a row
            log.exception("gazetteer match failed")
        return None, ""

    def chef_lieu(self, dep: str) -> Any:
        code = CHEFS_LIEUX.get(dep)
        return self.gaz.get(code) if code else None

    def _geocode_address(self, f, cp: str, commune: Any, warnings: list[str]):
        """The street address's point when the optional geocoder finds it in the commune."""
        point = self.address_geocoder.locate(clean(f.get("adresse")), cp, commune.nom)
        if point is None or commune.lat is None:
            return None
        if self.haversine(*point, commune.lat, commune.lon) > MAX_KM_FROM_COMMUNE:
            warnings.append("adresse géocodée hors de la commune : ignorée")
            return None
        warnings.append("position calculée à partir de l'adresse")
        return point

    def locate(self, f: dict[str, Any], warnings: list[str]) -> Location:
        insee = normalize_insee(clean(f.get("code_insee")))
        cp = normalize_postal_code(f.get("code_postal"))
        if cp is None:
            warnings.append(f"code postal « {clean(f.get('code_postal'))} » invalide, ignoré")
            cp = ""
        name = clean_commune_name(clean(f.get("commune")))
        explicit_dep = normalize_departement(f.get("departement"))
        dep = explicit_dep or departement_of_postal_code(cp)
        commune, cp = self._commune(insee, name, cp, explicit_dep or "", warnings)
        point = self._point(f, warnings)
        if point is not None and commune is not None and commune.lat is not None:
            point = self._checked_point(point, commune, warnings)
        if commune is None:
            commune = self._fallback_commune(point, dep, name, warnings)
        if commune is None and point is None:
            if name or cp:
                raise RowError(
                    "commune introuvable : "
                    + " ".join(x for x in (cp, f"« {name} »" if name else "") if x)
                )
            raise RowError("aucune localisation (ni commune, ni code postal, ni coordonnées)")
        if point is None and commune is not None and self.address_geocoder is not None:
            point = self._geocode_address(f, cp, commune, warnings)
        return _location(commune, point, name, cp, dep)

    def _commune(
        self, insee: str | None, name: str, cp: str, dep: str, warnings: list[str]
    ) -> tuple[Any, str]:
        """The commune the codes and name designate, and the postal code kept (dropped when
        it contradicts a commune found by its name)."""
        commune = self.gaz.get(insee) if insee else None
        if commune is not None or not (name or cp or insee):
            return commune, cp
        commune, how = self._match(name, cp, dep, insee or "")
        if how == "cp":
            warnings.append(
                f"commune « {name} » introuvable : commune du code postal {cp} "
                f"retenue ({commune.nom})"
            )
        elif how == "nom" and cp and departement_of_postal_code(cp) != commune.departement:
            warnings.append(f"code postal {cp} incohérent avec {commune.nom} : ignoré")
            cp = ""
        if insee and commune is not None and commune.code_insee != insee:
            warnings.append(
                f"code INSEE « {insee} » ancien ou inconnu : commune {commune.nom} "
                f"({commune.code_insee}) retenue"
            )
        return commune, cp

    def _checked_point(
        self, point: tuple[float, float], commune: Any, warnings: list[str]
    ) -> tuple[float, float] | None:
        """The point, swapped when its latitude and longitude were inverted; None when it
        lies far from its commune (in another one)."""
        d = self.haversine(point[0], point[1], commune.lat, commune.lon)
        if d <= MAX_KM_FROM_COMMUNE:
            return point
        at = self._commune_at(*point)
        if at is not None and at.code_insee == commune.code_insee:
            return point
        swapped = (point[1], point[0])
        if (
            in_france(*swapped)
            and self.haversine(*swapped, commune.lat, commune.lon) <= MAX_KM_FROM_COMMUNE
        ):
            warnings.append("latitude et longitude inversées : corrigées")
            return swapped
        warnings.append(
            f"point à {d:.0f} km de {commune.nom} : "
            "centre de la commune utilisé (position approximative)"
        )
        return None

    def _fallback_commune(
        self, point: tuple[float, float] | None, dep: str | None, name: str, warnings: list[str]
    ) -> Any:
        """Without a known commune: the one under the point, else the département's chef-lieu."""
        if point is not None and (commune := self._commune_at(*point)) is not None:
            return commune
        if not dep:
            return None
        commune = self.chef_lieu(dep)
        if commune is not None:
            what = f"commune « {name} » introuvable : " if name else ""
            warnings.append(
                f"{what}placé au chef-lieu du département ({commune.nom}), position approximative"
            )
        return commune

    def _commune_at(self, lat: float, lon: float) -> Any:
        try:
            return self.gaz.commune_at(lat, lon)
        except Exception:
            return None

    @staticmethod
    def _point(f: dict[str, Any], warnings: list[str]) -> tuple[float, float] | None:
        lat, lon = parse_coord(f.get("lat")), parse_coord(f.get("lon"))
        if lat is None or lon is None:
            if clean(f.get("lat")) or clean(f.get("lon")):
                warnings.append("coordonnées incomplètes ou illisibles, ignorées")
            return None
        if lat == 0 and lon == 0:
            return None
        if in_france(lat, lon):
            return lat, lon
        if in_france(lon, lat):
            warnings.append("latitude et longitude inversées : corrigées")
            return lon, lat
        warnings.append(f"coordonnées hors de France ({lat}, {lon}) ignorées")
        return None


def _location(
    commune: Any, point: tuple[float, float] | None, name: str, cp: str, dep: str | None
) -> Location:
    """The location block: the commune's codes, the point or else the commune's centre."""
    if point is not None:
        lat, lon = point
    else:
        lat, lon = (commune.lat, commune.lon) if commune is not None else (None, None)
    exact = point is not None
    if commune is None:
        return Location(None, name, cp, dep, None, None, lat, lon, exact)
    codes = tuple(getattr(commune, "codes_postaux", ()) or ())
    return Location(
        commune.code_insee,
        commune.nom,
        cp or (codes[0] if codes else cp),
        commune.departement,
        commune.region,
        getattr(commune, "epci", None),
        lat,
        lon,
        exact,
    )


def _cut(column: str, value: str) -> str:
    """``value`` within the column's length."""
    return truncate(value, MAX_LENGTH[column])


def _is_siret(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 14 and value.isdigit()


def _haversine():
    from recommender.geo import haversine_km

    return haversine_km


def _week_json(text: str) -> bytes:
    return orjson.dumps(hours_from_text(text))
