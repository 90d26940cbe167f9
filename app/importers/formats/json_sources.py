"""JSON sources: the current DILA annuaire export and data·inclusion v1 exports."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from recommender.taxonomy import GENERIC_TYPE

from ..hours import from_dila, from_osm_or_text
from ..normalize import (
    ages_from_text,
    clean,
    clean_multiline,
    dila_opening_hours,
    normalize_email,
    normalize_insee,
    normalize_phone,
    normalize_url,
    osm_opening_hours,
    parse_date,
)
from ..reader import iter_json_records
from ..services import service
from .base import Context, Format, Parsed, RowError, trimmed
from .csv_sources import split_address
from .mediation_numerique import mediation_service, service_fields, split_labels

# DILA fields that say nothing about the partner (kept out of the stored raw record).
_DILA_NOISE = {"copyright", "version_type", "statut_de_diffusion", "categorie", "itm_identifiant"}


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


class DilaAnnuaire(Format):
    name = "dila-annuaire"
    label = "Annuaire de l'administration (DILA, export JSON)"
    default_source = "dila-annuaire"
    taxonomy_source = "annuaire-service-public"
    duplicate_ids = "reject"
    kind = "json"

    def sniff_json(self, sample: str) -> bool:
        return bool(re.search(r'^\s*\{\s*"service"\s*:', sample)) or (
            '"pivot"' in sample and '"type_service_local"' in sample
        )

    def records(self, path: Path, ctx: Context) -> Iterator[tuple[int, dict[str, Any] | str]]:
        for _key, line, item in iter_json_records(path, ("service",)):
            if not isinstance(item, dict):
                yield line, "élément qui n'est pas un objet JSON"
                continue
            yield line, {k: v for k, v in item.items() if k not in _DILA_NOISE}

    def parse(self, line: int, raw: dict[str, Any], ctx: Context) -> Parsed:
        warnings: list[str] = []
        uid, nom = clean(raw.get("id")), clean(raw.get("nom"))
        if not uid or not nom:
            raise RowError("champ obligatoire vide : " + ("id" if not uid else "nom"))
        pivots = [p for p in raw.get("pivot") or [] if isinstance(p, dict)]
        types = [clean(p.get("type_service_local")) for p in pivots if p.get("type_service_local")]
        adr = _dila_address(raw)
        adresse, complement = _dila_street(adr)
        site = _first(raw.get("site_internet"))
        fields = {
            "nom": nom,
            "source_type": types or ["autre"],
            "siret": re.sub(r"\D", "", clean(raw.get("siret"))) or None,
            "adresse": adresse,
            "complement_adresse": complement,
            "code_insee": _dila_insee(raw, pivots),
            "code_postal": clean(adr.get("code_postal")),
            "commune": clean(adr.get("nom_commune")),
            "lat": adr.get("latitude"),
            "lon": adr.get("longitude"),
            "telephone": _dila_phone(raw),
            "email": _dila_email(raw, warnings),
            "site_web": normalize_url(site.get("valeur") if isinstance(site, dict) else site),
            "horaires": dila_opening_hours(
                raw.get("plage_ouverture"), raw.get("commentaire_plage_ouverture")
            ),
            "horaires_structures": from_dila(
                raw.get("plage_ouverture"), raw.get("commentaire_plage_ouverture")
            ),
            "description": _joined_text(raw, ("mission", "information_complementaire")),
            "source_updated_at": parse_date(raw.get("date_modification")) or ctx.file_date,
        }
        statut = clean(raw.get("statut")).lower()
        if statut and statut not in ("active", "actif", "publiable"):
            fields["inactive"] = f"statut « {statut} » dans l'annuaire"
        links = []
        if old := clean(raw.get("ancien_code_pivot")):
            links.append(("annuaire-service-public", old))
        return Parsed(line, uid, trimmed(raw), fields, warnings, links)


def _joined_text(raw: dict[str, Any], keys: tuple[str, ...]) -> str:
    """The non-empty multi-line texts of ``keys``, one after the other."""
    return "\n".join(x for x in (clean_multiline(raw.get(k)) for k in keys) if x)


def _dila_insee(raw: dict[str, Any], pivots: list[dict[str, Any]]) -> str:
    """The service's commune code, else its first pivot's."""
    insee = normalize_insee(_first(raw.get("code_insee_commune")))
    if not insee and pivots:
        insee = normalize_insee(_first(pivots[0].get("code_insee_commune")))
    return insee or ""


def _dila_address(raw: dict[str, Any]) -> dict[str, Any]:
    """The first physical address, else the first address (a postal one)."""
    adresses = [a for a in raw.get("adresse") or [] if isinstance(a, dict)]
    physical = [a for a in adresses if "postale" not in clean(a.get("type_adresse")).lower()]
    return (physical or adresses or [{}])[0]


def _dila_street(adr: dict[str, Any]) -> tuple[str, str]:
    """(street, complement): the postal box goes with the complement."""
    parts = [clean(adr.get(k)) for k in ("numero_voie", "complement1", "complement2")]
    adresse, complement = split_address(" / ".join(p for p in parts if p))
    if box := clean(adr.get("service_distribution")):
        complement = ", ".join(x for x in (complement, box) if x)
    return adresse, complement


def _dila_phone(raw: dict[str, Any]) -> str:
    phones = (
        clean(t.get("valeur") if isinstance(t, dict) else t) for t in raw.get("telephone") or []
    )
    return normalize_phone(" / ".join(p for p in phones if p))


def _dila_email(raw: dict[str, Any], warnings: list[str]) -> str:
    email = normalize_email(_first(raw.get("adresse_courriel")) or "")
    if email is None:
        warnings.append("courriel invalide ignoré")
        return ""
    if email and re.search(r"x{4,}@y{4,}", email):
        return ""  # masked in the published extract
    return email


# --- data·inclusion --------------------------------------------------------------------------

# The taxonomy table of data·inclusion sub-sources (``monenfant`` → crèche, ``siao``…).
SUB_SOURCE_TYPES = "data-inclusion-sources"
_DI_KEYS = ("items", "structures", "services", "data", "results")
_DI_ZONE_KINDS = {
    "commune": "communes",
    "epci": "epci",
    "departement": "departement",
    "region": "region",
    "pays": "france",
}


def data_inclusion_zone(item: dict[str, Any]) -> tuple[str | None, list[str], list[str]]:
    """``zone_eligibilite`` (v1) or ``zone_diffusion_type/code`` (v0) → (zone kind, codes,
    communes to lift to the kind's level: a zone mixing départements and communes becomes a
    zone of départements)."""
    codes = item.get("zone_eligibilite")
    if isinstance(codes, list) and codes:
        return _eligibility_zone(_texts(codes))
    kind = _DI_ZONE_KINDS.get(clean(item.get("zone_diffusion_type")).lower())
    code = clean(item.get("zone_diffusion_code"))
    if kind == "france":
        return "france", [], []
    if kind and code:
        return kind, [code.upper()], []
    return None, [], []


def _eligibility_zone(codes: list[str]) -> tuple[str | None, list[str], list[str]]:
    """The v1 zone: France, else the départements, else the EPCIs, else the communes."""
    if any(c.lower() == "france" or c == "99100" for c in codes):
        return "france", [], []
    deps = [c.upper() for c in codes if 2 <= len(c) <= 3]
    epcis = [c for c in codes if len(c) == 9 and c.isdigit()]
    communes = [c.upper() for c in codes if len(c) == 5]
    if deps:
        return "departement", deps, communes
    if epcis:
        return "epci", epcis, communes
    if communes:
        return "communes", communes, []
    return None, [], []


def _texts(values: Any) -> list[str]:
    """The non-empty cleaned strings of a JSON list (nothing for a missing one)."""
    return [clean(v) for v in values or [] if clean(v)]


def data_inclusion_key(source: str, ident: str) -> str:
    """A data·inclusion id is unique within its ``source`` only (schema v0 and v1): the key is
    ``source--id``, the form v1 exports already use (``dora--s1`` stays as is)."""
    if not source or not ident or ident.startswith(f"{source}--"):
        return ident
    return f"{source}--{ident}"


def data_inclusion_sub_source(source_id: str) -> str | None:
    """``dora--123`` → ``dora`` (the key :func:`data_inclusion_key` builds)."""
    head, sep, _ = source_id.partition("--")
    return head if sep and head else None


class DataInclusion(Format):
    name = "data-inclusion"
    label = "data·inclusion v1 (structures et services)"
    default_source = "data-inclusion"
    taxonomy_source = "data-inclusion"
    duplicate_ids = "reject"
    kind = "json"
    archives_by_kind = True
    sub_source = staticmethod(data_inclusion_sub_source)

    def sniff_json(self, sample: str) -> bool:
        return '"date_maj"' in sample and ('"nom"' in sample or '"structure_id"' in sample)

    def records(self, path: Path, ctx: Context) -> Iterator[tuple[int, dict[str, Any] | str]]:
        for key, line, item in iter_json_records(path, _DI_KEYS):
            if not isinstance(item, dict):
                yield line, "élément qui n'est pas un objet JSON"
                continue
            if key == "services" and "structure_id" not in item:
                yield line, "service sans structure_id"
                continue
            yield line, item

    def parse(self, line: int, raw: dict[str, Any], ctx: Context) -> Parsed:
        is_service = "structure_id" in raw
        date_maj = _checked_date(raw, is_service)
        warnings: list[str] = []
        email = normalize_email(raw.get("courriel"))
        if email is None:
            warnings.append(f"courriel invalide ignoré : « {clean(raw.get('courriel'))} »")
            email = ""
        # v1 structures ``horaires_accueil``, v1 services ``horaires_ouverture``, v0 ``horaires``.
        osm_hours = next(
            (raw[k] for k in ("horaires_accueil", "horaires_ouverture", "horaires") if raw.get(k)),
            None,
        )
        fields: dict[str, Any] = {
            "nom": clean(raw.get("nom")),
            "nom_quality": 2,
            "siret": clean(raw.get("siret")) or None,
            **{key: clean(raw.get(key)) for key in _DI_TEXTS},
            "lat": raw.get("latitude"),
            "lon": raw.get("longitude"),
            "telephone": normalize_phone(raw.get("telephone")),
            "email": email,
            "site_web": normalize_url(raw.get("site_web") or raw.get("lien_source")),
            # Schema v0 names them ``horaires`` and ``presentation_detail/resume``.
            "horaires": osm_opening_hours(osm_hours),
            "horaires_structures": from_osm_or_text(clean(osm_hours)),
            "description": clean_multiline(
                raw.get("description")
                or raw.get("presentation_detail")
                or raw.get("presentation_resume")
            ),
            "source_updated_at": date_maj,
        }
        # v1 networks, then the v0 typology (``CCAS``, ``CHRS``…): one table reads both.
        reseaux = _texts(raw.get("reseaux_porteurs"))
        if typologie := clean(raw.get("typologie")):
            reseaux.append(typologie)
        if reseaux:
            fields["source_type"] = reseaux
        # v0 national labels (``CNFS;France Services``) and médiation numérique services.
        if labels := split_labels(raw.get("labels_nationaux")):
            fields["labels"] = labels
        if not is_service and (services := split_labels(raw.get("services"))):
            fields.update(service_fields(services, ctx.taxonomy))
            fields["services"] = mediation_service(services, fields, raw, clean(raw.get("source")))
        source = clean(raw.get("source"))
        if ctx.taxonomy is not None:
            # What the sub-source itself says (``siao`` lists housing operators only), tried
            # once the name says nothing.
            found = ctx.taxonomy.source_type(SUB_SOURCE_TYPES, source)
            if found != GENERIC_TYPE:
                fields["type_default"] = found
        parent = None
        if is_service:
            parent = data_inclusion_key(source, clean(raw.get("structure_id")))
            fields.update(_service_fields(raw, ctx, fields["description"]))
        uid = data_inclusion_key(source, clean(raw.get("id")))
        return Parsed(line, uid, trimmed(raw), fields, warnings, [], parent)


# Fields read as they are (one-line text) from the column of the same name.
_DI_TEXTS = ("adresse", "complement_adresse", "code_insee", "code_postal", "commune")


def _checked_date(raw: dict[str, Any], is_service: bool) -> date:
    """``date_maj``, once the schema's required fields are checked (RowError otherwise)."""
    required = ["id", "nom", "date_maj", "source"]
    if is_service:
        required += ["structure_id", "description"]
    missing = [k for k in required if not clean(raw.get(k))]
    if missing:
        raise RowError("champ obligatoire du schéma data·inclusion absent : " + ", ".join(missing))
    date_maj = parse_date(raw.get("date_maj"))
    if date_maj is None:
        raise RowError(f"date_maj invalide : « {clean(raw.get('date_maj'))} »")
    return date_maj


def _service_fields(raw: dict[str, Any], ctx: Context, description: str) -> dict[str, Any]:
    """What a service states beyond a structure: thematiques, publics, ages, reception modes,
    fees, zone; its precisions go below the description."""
    thematiques = _texts(raw.get("thematiques"))
    publics = _texts(raw.get("publics"))
    frais = raw.get("frais")
    fields: dict[str, Any] = {"service": True, "thematiques": thematiques}
    if ctx.taxonomy is not None and thematiques:
        fields["freins"] = list(ctx.taxonomy.freins_of_thematiques(thematiques))
    fields["publics"] = [] if "tous-publics" in publics else publics
    fields["publics_declared"] = bool(publics)
    ages = ages_from_text(clean(raw.get("publics_precisions")))
    fields.update(
        (k, age) for k, age in zip(("age_min", "age_max"), ages, strict=True) if age is not None
    )
    fields["modes_accueil"] = _texts(raw.get("modes_accueil"))
    fields["frais"] = _texts(frais if isinstance(frais, list) else [frais] if frais else [])
    kind, codes, lift = data_inclusion_zone(raw)
    if kind:
        fields["zone_kind"], fields["zone_codes"] = kind, codes
        if lift:
            fields["zone_lift"] = lift
    fields["services"] = [
        service(
            clean(raw.get("nom")),
            fields.get("freins") or [],
            text=clean_multiline(raw.get("description")),
            conditions=clean(raw.get("conditions_acces")),
            frais=fields["frais"],
            modes_accueil=fields["modes_accueil"],
            lien_mobilisation=clean(raw.get("lien_mobilisation")),
            rendez_vous=clean(raw.get("prise_rdv")),
            telephone=clean(raw.get("telephone")),
            source=clean(raw.get("source")),
        )
    ]
    extra = _joined_text(raw, ("publics_precisions", "conditions_acces", "frais_precisions"))
    if extra:
        fields["description"] = "\n".join(x for x in (description, extra) if x)
    return fields
