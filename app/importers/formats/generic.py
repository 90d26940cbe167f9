"""The generic CSV of hand-kept lists (documented in ``docs/import.md``).

Headers are matched after folding (case, accents, punctuation) against synonyms; unknown
columns are ignored (and listed in the report). A file without an identifier column gets a
stable one per row: a hash of the folded name and place.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Any

from ..normalize import (
    ages_from_text,
    clean,
    clean_multiline,
    fold,
    normalize_departement,
    normalize_email,
    normalize_phone,
    normalize_postal_code,
    normalize_url,
    parse_coord,
    parse_date,
    publics_from_text,
)
from .base import Context, Format, Parsed, RowError

SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "identifiant", "identifiant unique", "ref", "reference", "code structure"),
    "nom": (
        "nom",
        "name",
        "raison sociale",
        "denomination",
        "nom de la structure",
        "nom structure",
        "structure",
        "libelle",
        "intitule",
        "nom du partenaire",
        "partenaire",
    ),
    "type": (
        "type",
        "type de structure",
        "type structure",
        "categorie",
        "type code",
        "typologie",
        # The DILA pivot code, as the annuaire's hand-made additions name it.
        "pivotlocal",
        "pivot local",
        "type service local",
    ),
    "adresse": (
        "adresse",
        "address",
        "adresse postale",
        "rue",
        "voie",
        "adresse 1",
        "numero et voie",
    ),
    "complement_adresse": (
        "complement",
        "complement adresse",
        "complement d adresse",
        "adresse 2",
        "address2",
    ),
    "code_postal": ("code postal", "cp", "codepostal", "postal code", "post code", "code post"),
    "commune": ("commune", "ville", "city", "localite", "nom commune", "nom de la commune"),
    "code_insee": ("code insee", "insee", "code commune", "code insee commune", "cog"),
    "departement": ("departement", "dept", "dep", "dpt", "code departement", "department"),
    "telephone": ("telephone", "tel", "phone", "numero de telephone", "telephone fixe", "portable"),
    "email": (
        "email",
        "e mail",
        "courriel",
        "mail",
        "adresse mail",
        "adresse email",
        "adresse electronique",
        "adresse courriel",
    ),
    "site_web": ("site web", "site", "website", "url", "site internet", "web"),
    "horaires": (
        "horaires",
        "horaire",
        "horaires d ouverture",
        "heures d ouverture",
        "ouverture",
        "horaires json",
    ),
    "publics": (
        "public",
        "publics",
        "public cible",
        "publics cibles",
        "publics accueillis",
        "public accueilli",
    ),
    "description": (
        "description",
        "presentation",
        "commentaire",
        "commentaires",
        "remarques",
        "notes",
        "observations",
    ),
    "freins": ("freins", "frein", "freins leves"),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "lng", "long", "longitude", "x"),
    "siret": ("siret", "n siret", "numero siret", "no siret"),
    "operateur": ("operateur", "porteur", "gestionnaire", "structure porteuse", "organisme"),
    "source_url": ("source url", "source", "sources", "lien source", "url source"),
    "statut": ("statut", "status", "etat"),
    "age_min": ("age min", "age minimum"),
    "age_max": ("age max", "age maximum"),
    "date_maj": ("date maj", "maj", "mise a jour", "date de mise a jour", "derniere mise a jour"),
}
_PARENTHESES = re.compile(r"\s*\(([^()]*)\)")
_DEP_SEP = re.compile(r"[/,;|+]|\s+et\s+")
_NON_DIGIT = re.compile(r"\D")
_BY_SYNONYM = {syn: field for field, syns in SYNONYMS.items() for syn in syns}
_LOCATION_FIELDS = {"commune", "code_postal", "code_insee", "departement", "lat", "adresse"}

# A row that says the partner no longer exists or lost its approval.
INACTIVE_TEXT = re.compile(
    r"agrement (perdu|retire|suspendu)|n est plus agree|plus agree|ferme definitivement|"
    r"definitivement ferme|a ferme ses portes|n existe plus|cessation d activite|"
    r"structure fermee|liquidation"
)
# Every phrase of INACTIVE_TEXT holds one of these (lowercased, as typed): a description
# without any is not folded.
_INACTIVE_HINTS = ("agr", "ferm", "exist", "cessation", "liquidation")
INACTIVE_STATUS = {
    "inactif",
    "inactive",
    "ferme",
    "fermee",
    "archive",
    "archivee",
    "clos",
    "supprime",
    "non",
    "0",
    "false",
    "faux",
    "non agree",
    "plus agree",
}


def map_headers(headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """``{field: header}`` for recognised headers, and the ignored headers."""
    mapping: dict[str, str] = {}
    ignored = []
    for header in headers:
        key = fold(header)
        field = _BY_SYNONYM.get(key)
        if field is None:
            if "siret" in key.split():
                field = "siret"
            elif "postal" in key:
                field = "code_postal"
            elif "insee" in key.split():
                field = "code_insee"
            elif "mail" in key or "courriel" in key:
                field = "email"
            elif key.split()[:1] in (["tel"], ["telephone"]):
                field = "telephone"
        if field and field not in mapping:
            mapping[field] = header
        elif header:
            ignored.append(header)
    return mapping, ignored


def stable_id(nom: str, place: str) -> str:
    """A short id from the folded name and place (stable across re-imports and re-orderings)."""
    return hashlib.sha1(f"{fold(nom)}|{fold(place)}".encode()).hexdigest()[:12]


def says_inactive(description: str) -> bool:
    """The description says the partner closed or lost its approval."""
    lowered = description.lower()
    if not any(hint in lowered for hint in _INACTIVE_HINTS):
        return False
    return bool(INACTIVE_TEXT.search(fold(description)))


@functools.lru_cache(maxsize=4096)
def declared_freins(cell: str) -> tuple[str, ...]:
    """Frein codes of a "freins" cell (``Mobilité ; Santé`` → ``mobilite``, ``sante``): a
    column of a few repeated values."""
    return tuple(fold(f).replace(" ", "-") for f in re.split(r"[,;|/]", cell) if f.strip())


def split_inactive_note(nom: str) -> tuple[str, str]:
    """Move a parenthesised "no longer approved" note out of the name.

    >>> split_inactive_note("Auto-école X (agrément perdu au 01/01/2017 selon la source)")
    ('Auto-école X', 'agrément perdu au 01/01/2017 selon la source')
    """
    if "(" not in nom:
        return nom, ""
    for m in _PARENTHESES.finditer(nom):
        if INACTIVE_TEXT.search(fold(m[1])):
            return (nom[: m.start()] + nom[m.end() :]).strip(), m[1].strip()
    return nom, ""


class GenericCsv(Format):
    name = "generic-csv"
    label = "CSV générique (liste tenue à la main)"
    default_source = ""
    taxonomy_source = "generic-csv"
    duplicate_ids = "reject"

    def sniff_csv(self, headers: set[str]) -> bool:
        mapping, _ = map_headers(sorted(headers))
        return "nom" in mapping and bool(_LOCATION_FIELDS & set(mapping))

    def parse(self, line: int, raw: dict[str, Any], ctx: Context) -> Parsed:
        mapping = self._mapping(ctx)
        row = {field: clean(raw.get(header)) for field, header in mapping.items()}
        if not row.get("nom"):
            raise RowError("nom manquant")
        warnings: list[str] = []
        nom, inactive = _name_and_inactive(row)
        cp, deps, lat, lon = _location(row, warnings)
        email = normalize_email(row.get("email"))
        if email is None:
            warnings.append(f"courriel « {row['email']} » invalide, ignoré")
            email = ""

        def multiline(field: str) -> str:
            return clean_multiline(raw.get(mapping.get(field, ""), ""))

        public_text = multiline("publics")
        fields: dict[str, Any] = {
            "nom": nom,
            "type_hint": row.get("type", ""),
            "adresse": row.get("adresse", ""),
            "complement_adresse": row.get("complement_adresse", ""),
            "code_postal": cp,
            "code_insee": row.get("code_insee", ""),
            "commune": row.get("commune", ""),
            "departement": deps[0] if deps else "",
            "lat": lat,
            "lon": lon,
            "telephone": normalize_phone(row.get("telephone")),
            "email": email,
            "site_web": normalize_url(row.get("site_web")),
            "horaires": multiline("horaires"),
            "description": _notes(row, multiline("description"), public_text, inactive),
            "siret": _NON_DIGIT.sub("", row["siret"]) or None if row.get("siret") else None,
            "source_updated_at": parse_date(row.get("date_maj")) or ctx.file_date,
        }
        if len(deps) > 1:
            fields["zone_kind"], fields["zone_codes"] = "departement", deps
        if inactive:
            fields["inactive"] = inactive
        if public_text:
            fields.update(self._public_fields(public_text, ctx))
        fields.update(_ages(row, warnings))
        if row.get("freins"):
            fields["freins_declared"] = list(declared_freins(row["freins"]))
        if row.get("id"):
            return Parsed(line, row["id"], raw, fields, warnings)
        place = row.get("commune") or row.get("code_insee") or cp or "/".join(deps)
        return Parsed(line, stable_id(nom, place), raw, fields, warnings, generated_id=True)

    def _public_fields(self, text: str, ctx: Context) -> dict[str, Any]:
        """The publics and the non-zero age bounds a "public" cell states."""
        publics, age_min, age_max = self._publics(text, ctx)
        out: dict[str, Any] = {"publics": list(publics)} if publics else {}
        out.update({k: v for k, v in (("age_min", age_min), ("age_max", age_max)) if v})
        return out

    @staticmethod
    def _publics(text: str, ctx: Context) -> tuple[list[str], int | None, int | None]:
        """Publics and ages of a "public" cell, read once per distinct cell and run (the
        column repeats a few values; the known publics are the run's)."""
        memo = ctx.cache.setdefault("generic_publics", {})
        found = memo.get(text)
        if found is None:
            found = memo[text] = (
                publics_from_text(text, ctx.publics or None),
                *ages_from_text(text),
            )
        return found

    def _mapping(self, ctx: Context) -> dict[str, str]:
        cached = ctx.cache.get("generic_mapping")
        if cached is None:
            cached, ignored = map_headers(ctx.headers)
            ctx.cache["generic_mapping"] = cached
            if ignored:
                ctx.notes.append("colonnes ignorées : " + ", ".join(ignored))
        return cached


def _name_and_inactive(row: dict[str, str]) -> tuple[str, str]:
    """The name without its "no longer approved" note, and why the row is inactive ("" when
    it is not): that note, the status cell, or the description."""
    nom, note = split_inactive_note(row["nom"])
    if note:
        return nom, note
    statut = fold(row["statut"]) if row.get("statut") else ""
    if statut in INACTIVE_STATUS or INACTIVE_TEXT.search(statut):
        return nom, f"statut « {row['statut']} »"
    if row.get("description") and says_inactive(row["description"]):
        return nom, "signalé comme fermé ou plus agréé dans la description"
    return nom, ""


def _location(
    row: dict[str, str], warnings: list[str]
) -> tuple[str, list[str], float | None, float | None]:
    """Postal code, départements and point; RowError when the row says nowhere."""
    cp = normalize_postal_code(row.get("code_postal"))
    if cp is None:
        warnings.append(f"code postal « {row['code_postal']} » invalide, ignoré")
        cp = ""
    deps = _departements(row.get("departement", ""), warnings)
    lat, lon = _point(row, warnings)
    if not (row.get("commune") or cp or row.get("code_insee") or deps or lat is not None):
        raise RowError("aucune localisation (ni commune, ni code postal, ni département)")
    return cp, deps, lat, lon


def _departements(cell: str, warnings: list[str]) -> list[str]:
    """The département codes of a cell that may list several (``01 / 38``)."""
    deps = []
    for d in _DEP_SEP.split(cell) if cell else []:
        if not d.strip():
            continue
        if code := normalize_departement(d):
            deps.append(code)
        else:
            warnings.append(f"département « {clean(d)} » inconnu, ignoré")
    return deps


def _point(row: dict[str, str], warnings: list[str]) -> tuple[float | None, float | None]:
    lat, lon = parse_coord(row.get("lat")), parse_coord(row.get("lon"))
    if (row.get("lat") or row.get("lon")) and (lat is None or lon is None):
        warnings.append("coordonnées illisibles, ignorées")
        return None, None
    return lat, lon


def _notes(row: dict[str, str], description: str, public_text: str, inactive: str) -> str:
    """The description, then what has no column of its own: operator, public, closure, source."""
    notes = [description] if description else []
    if operateur := row.get("operateur"):
        notes.append(f"Porteur : {operateur}")
    if public_text:
        notes.append(f"Public : {public_text}")
    if inactive:
        notes.append(
            f"Attention : {inactive}. Fiche archivée à l'import : "
            "vérifier la situation avant toute orientation."
        )
    if source_url := row.get("source_url"):
        notes.append(f"Source : {source_url}")
    return "\n".join(notes)


def _ages(row: dict[str, str], warnings: list[str]) -> dict[str, int]:
    """Explicit age columns (they win over ages read in the "public" cell)."""
    out = {}
    for key in ("age_min", "age_max"):
        if row.get(key):
            try:
                out[key] = int(float(row[key].replace(",", ".")))
            except ValueError:
                warnings.append(f"{key} « {row[key]} » illisible, ignoré")
    return out
