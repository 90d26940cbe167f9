"""data·inclusion v1 services given without their structures file, as the data·inclusion API
returns them to a client: ``{"<zone>": [service, …]}``, each service naming its structure
(``structure_name``) and its point but carrying no identifier.

The services of one structure share its name and point: they become one partner. Each service
gets a stable identifier derived from what it states (its sub-source, structure, point, name and
links); the structure's identifier is derived from its name and point, and the import pipeline
joins the services of one structure to the first of them (see ``_Run.deduplicate``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..normalize import (
    clean,
    clean_multiline,
    fold,
    is_upper_label,
    normalize_phone,
    normalize_url,
    parse_coord,
    smart_title,
)
from ..reader import iter_json_records
from ..services import service
from .base import Context, Format, Parsed, RowError, trimmed
from .json_sources import data_inclusion_key, data_inclusion_sub_source


def _digest(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def thematiques_of(value: Any) -> list[str]:
    """v1 thematique codes: a list, or the JSON text of one (``"[\\"numerique--…\\"]"``)."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        try:
            value = json.loads(text) if text.startswith("[") else text.split(",")
        except ValueError:
            return []
    if not isinstance(value, list):
        return []
    return [clean(t) for t in value if isinstance(t, str) and clean(t)]


def structure_point(raw: dict[str, Any]) -> str:
    """Where the structure is, as grouping sees it: its point to about 10 m, else its postal
    code and commune."""
    lat, lon = parse_coord(raw.get("latitude")), parse_coord(raw.get("longitude"))
    if lat is not None and lon is not None:
        return f"{lat:.4f},{lon:.4f}"
    return f"{clean(raw.get('code_postal'))} {fold(clean(raw.get('commune')))}"


class DataInclusionServices(Format):
    name = "data-inclusion-services"
    label = "data·inclusion v1 : services sans fichier de structures (extraction de l'API)"
    default_source = "data-inclusion"
    # Codes read: the service's sub-source (``monenfant``), or sub-source and thematique.
    taxonomy_source = "data-inclusion-sources"
    duplicate_ids = "reject"
    kind = "json"
    archives_by_kind = True
    sub_source = staticmethod(data_inclusion_sub_source)

    def sniff_json(self, sample: str) -> bool:
        return (
            sample.startswith("{")
            and '"structure_name"' in sample
            and '"thematiques"' in sample
            and '"structure_id"' not in sample
        )

    def records(self, path: Path, ctx: Context) -> Iterator[tuple[int, dict[str, Any] | str]]:
        for _zone, line, item in iter_json_records(path, None):
            if not isinstance(item, dict):
                yield line, "élément qui n'est pas un objet JSON"
                continue
            yield line, item

    def parse(self, line: int, raw: dict[str, Any], ctx: Context) -> Parsed:
        service_nom = clean(raw.get("nom"))
        structure = clean(raw.get("structure_name")) or service_nom
        source = fold(clean(raw.get("source"))).replace(" ", "-")
        if not structure:
            raise RowError("ni nom de service ni nom de structure")
        if not source:
            raise RowError("champ « source » vide (sous-source data·inclusion inconnue)")
        point = structure_point(raw)
        parent = "structure--" + _digest(fold(structure), point)
        links = [clean(raw.get(k)) for k in ("lien_source", "lien_mobilisation")]
        uid = data_inclusion_key(source, _digest(fold(structure), point, fold(service_nom), *links))
        thematiques = thematiques_of(raw.get("thematiques"))
        notes = [clean_multiline(raw.get("description"))]
        if mobilisation := normalize_url(raw.get("lien_mobilisation")):
            notes.append(f"Orienter une personne : {mobilisation}")
        fields: dict[str, Any] = {
            "nom": smart_title(structure) if is_upper_label(structure) else structure,
            "nom_quality": 0 if is_upper_label(structure) else 1,
            "service": True,
            "service_nom": service_nom,
            "code_postal": clean(raw.get("code_postal")),
            "commune": clean(raw.get("commune")),
            "lat": raw.get("latitude"),
            "lon": raw.get("longitude"),
            "telephone": normalize_phone(raw.get("telephone")),
            "site_web": normalize_url(raw.get("site_web") or raw.get("lien_source")),
            "description": "\n\n".join(n for n in notes if n),
            "thematiques": thematiques,
            # The thematique first: a French course of carif-oref is not any training.
            "source_type": [f"{source}--{t}" for t in thematiques] + [source],
            "source_updated_at": ctx.file_date,
        }
        if ctx.taxonomy is not None and thematiques:
            fields["freins"] = list(ctx.taxonomy.freins_of_thematiques(thematiques))
        fields["services"] = [
            service(
                service_nom or structure,
                fields.get("freins") or [],
                text=clean_multiline(raw.get("description")),
                lien_mobilisation=clean(raw.get("lien_mobilisation")),
                telephone=clean(raw.get("telephone")),
                source=source,
            )
        ]
        parsed = Parsed(line, uid, trimmed(raw), fields, parent_id=parent)
        parsed.generated_id = True
        return parsed
