"""Small import files made at test time of real rows of the shared data (``../shared/data``) and
of the shipped mairies, in the format of their source: the import tests never run on invented
partners.

Rows are chosen by a predicate on their content (« a FINESS row whose postal code lost its
leading zero »), never by name or line number, so that a refreshed file still gives a sample.
Where a test needs a property no real row has (a missing name, an unknown commune…), the builder
alters that one field of a real row and says so in a comment. Each builder writes its file into
the given directory and returns a :class:`Sample`: the path, the real rows it holds by role, and
the file line of each role.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.importers.formats.generic import split_inactive_note
from app.importers.normalize import ages_from_text, fold

from .shared_data import PARTNERS

MAIRIES = Path(__file__).resolve().parents[2] / "data" / "partners" / "mairies.csv.gz"

Row = dict[str, Any]


@dataclass
class Sample:
    """A file written for one test: ``rows`` are the real rows by role, ``lines`` their file
    line (header = 1), ``extra`` anything else the test compares with."""

    path: Path
    rows: dict[str, Row] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading


def _source(name: str) -> Path:
    path = PARTNERS / name
    if not path.exists():
        pytest.skip(f"fichier partagé absent ({path}) : test sur données réelles ignoré")
    return path


def read_csv_rows(name: str) -> tuple[list[str], list[Row]]:
    """The header and rows of a shared CSV file (UTF-8, comma)."""
    with _source(name).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def read_json(name: str) -> Any:
    return json.loads(_source(name).read_text(encoding="utf-8"))


def mairies_rows() -> tuple[list[str], list[Row]]:
    """The shipped mairies file (built by ``scripts/``), skipped when it has not been built."""
    if not MAIRIES.exists():
        pytest.skip("data/partners/mairies.csv.gz absent (construit par scripts/)")
    with gzip.open(MAIRIES, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def first(rows: Iterable[Row], predicate: Callable[[Row], bool], what: str) -> Row:
    """The first row meeting ``predicate``; a refreshed file without one skips the test."""
    for row in rows:
        if predicate(row):
            return row
    pytest.skip(f"aucune ligne réelle ne convient ({what}) : échantillon impossible")


def _write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str, delimiter: str = ","
) -> list[int]:
    """Write ``rows`` and return the file line each starts on (a quoted cell may span lines)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    starts, line = [], 2
    for row in rows:
        starts.append(line)
        line += sum(str(cell).count("\n") for cell in row) + 1
        writer.writerow(row)
    # As Excel saves a sheet in Windows-1252: a character it lacks (« ≤ ») becomes « ? ».
    path.write_bytes(out.getvalue().encode(encoding, errors="replace"))
    return starts


def _digest(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


# --------------------------------------------------------------------------- FINESS


def finess_file(directory: Path) -> Sample:
    """ESAT rows of the FINESS export: one whose postal code lost its leading zero (with a
    SIRET, a street address and a capacity), a secondary site in Corse-du-Sud, one without an
    address, then that last row again (a repeated identifier)."""
    header, rows = read_csv_rows("esat_finess_2026.csv")
    lost_zero = first(
        rows,
        lambda r: (
            len(r["ET-Code Postal"]) == 4
            and r["ET-Type"] == "Principal"
            and r["ET-SIRET"]
            and any(c.isdigit() for c in r["ET-Adresse"])
            and int(r["Capacité autorisée agrégée"] or 0) > 0
        ),
        "FINESS à code postal sans zéro initial",
    )
    corse = first(
        rows,
        lambda r: r["ET-Département Code"] == "2A" and r["ET-Type"] == "Secondaire",
        "FINESS secondaire en Corse-du-Sud",
    )
    blank = first(rows, lambda r: not r["ET-Adresse"].strip(), "FINESS sans adresse")
    chosen = [lost_zero, corse, blank, blank]
    path = directory / "esat_finess_extrait.csv"
    starts = _write_csv(path, header, [[r[h] for h in header] for r in chosen], "utf-8")
    return Sample(
        path,
        rows={"lost_zero": lost_zero, "corse": corse, "repeated": blank},
        lines=dict(zip(("lost_zero", "corse", "first", "repeated"), starts, strict=True)),
    )


# --------------------------------------------------------------------------- DILA annuaire


def _dila_records() -> list[Row]:
    records = []
    for path in sorted(PARTNERS.glob("dila_annuaire_extrait_*.json")):
        records += json.loads(path.read_text(encoding="utf-8"))["service"]
    if not records:
        pytest.skip("aucun extrait DILA partagé : test sur données réelles ignoré")
    return records


def annuaire_and_dila_files(directory: Path) -> tuple[Sample, Sample]:
    """A 2016 annuaire CSV and a current DILA export in which one record names the other's by
    its old pivot id (``ancien_code_pivot``): the cross-source merge by identifier.

    The annuaire file holds the CIDFF of the Oise and the record the DILA one names; the 2016
    file is filtered to partner-like types, so a mairie it lacks is taken from the shipped
    mairies file and written in the annuaire's columns under that pivot id (the id the 2016
    annuaire gave it: ``mairie-<insee>-01``). The DILA file holds that record, another real
    record, and the other one again with its name emptied (a record the import rejects).
    """
    header, annuaire = read_csv_rows("annuaire_services_publics_2016-02.csv")
    records = _dila_records()
    linked = first(records, lambda r: r.get("ancien_code_pivot"), "DILA avec ancien_code_pivot")
    other = first(records, lambda r: r is not linked and r.get("nom"), "autre fiche DILA")
    old_id = linked["ancien_code_pivot"]
    old = next((r for r in annuaire if r["id"] == old_id), None)
    if old is None:
        kind, insee = old_id.split("-")[0], old_id.split("-")[1]
        if kind != "mairie":
            pytest.skip(f"fiche « {old_id} » absente de l'annuaire 2016 partagé")
        _, mairies = mairies_rows()
        mairie = first(mairies, lambda r: r["code_insee"] == insee, f"mairie {insee}")
        old = {h: mairie.get(h, "") for h in header} | {"id": old_id, "type": kind, "maj": ""}
    cidf = first(
        annuaire,
        lambda r: r["type"] == "cidf" and r["code_insee"].startswith("60"),
        "CIDFF de l'Oise",
    )
    csv_path = directory / "annuaire_extrait.csv"
    _write_csv(csv_path, header, [[r[h] for h in header] for r in (cidf, old)], "utf-8")
    nameless = {**other, "nom": ""}  # altered: a record without a name, which is rejected
    json_path = directory / "dila_extrait.json"
    services = [linked, other, nameless]
    json_path.write_text(json.dumps({"service": services}, ensure_ascii=False, indent=1))
    return (
        Sample(csv_path, rows={"cidf": cidf, "linked": old}),
        Sample(json_path, rows={"linked": linked, "other": other}),
    )


def mairies_file(directory: Path, beside: Row) -> Sample:
    """Shipped mairies: the mairie of ``beside``'s commune (another type of partner in the
    same place, which must not merge with it) and one whose point is doubtful (``coord_ok=0``)."""
    header, rows = mairies_rows()
    same_place = first(rows, lambda r: r["code_insee"] == beside["code_insee"], "mairie voisine")
    doubtful = first(rows, lambda r: r["coord_ok"] == "0" and r["lat"], "mairie au point douteux")
    path = directory / "mairies_extrait.csv"
    _write_csv(path, header, [[r[h] for h in header] for r in (same_place, doubtful)], "utf-8")
    return Sample(path, rows={"same_place": same_place, "doubtful": doubtful})


def mairies_beside_other_sources(directory: Path) -> Sample:
    """Shipped mairies another shared file also places: one a few metres from a France
    Services of its commune (role ``at_france_services``, the France Services row in
    ``extra``), and the mairie a DILA extract holds (role ``in_dila``)."""
    header, rows = mairies_rows()
    _, services = read_csv_rows("france_services_2024-08.csv")
    by_insee = {r["code_insee"]: r for r in rows}

    def metres(mairie: Row, service: Row) -> float:
        lat = float(mairie["lat"]) - float(service["latitude"])
        lon = (float(mairie["lon"]) - float(service["longitude"])) * 0.66  # at 49°N
        return (lat * lat + lon * lon) ** 0.5 * 111_000

    def beside(service: Row) -> bool:
        mairie = by_insee.get(service["insee_com"])
        return (
            bool(mairie and mairie["coord_ok"] == "1" and service["latitude"])
            and metres(mairie, service) < 15
        )

    service = first(services, beside, "mairie à quelques mètres d'une France services")
    dila = first(
        _dila_records(),
        lambda r: any(p.get("type_service_local") == "mairie" for p in r.get("pivot") or []),
        "mairie d'un extrait DILA",
    )
    in_dila = first(rows, lambda r: r["code_insee"] == dila["code_insee_commune"], "sa mairie")
    at_service = by_insee[service["insee_com"]]
    path = directory / "mairies_extrait.csv"
    _write_csv(path, header, [[r[h] for h in header] for r in (at_service, in_dila)], "utf-8")
    return Sample(
        path,
        rows={"at_france_services": at_service, "in_dila": in_dila},
        extra={"france_services": service},
    )


# --------------------------------------------------------------------------- generic CSV


def _cp1252(row: Row, keys: Iterable[str]) -> bool:
    """Whether the cells ``keys`` of ``row`` can be written in Windows-1252."""
    try:
        "".join(str(row[k]) for k in keys).encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


GENERIC_HEADER = [
    "Nom",
    "Type",
    "Adresse",
    "CP",
    "Ville",
    "Département",
    "Tél.",
    "Courriel",
    "Latitude",
    "Longitude",
    "Public",
    "Description",
]
SERVICE_KEYS = ("lib_fs", "adresse", "code_postal", "lib_com", "telephone", "mail", "commentaire")


def generic_cp1252_file(directory: Path) -> Sample:
    """A hand-kept list as a CIP saves it from Excel (cp1252, semicolons, French headers): real
    France Services of the Oise and real auto-écoles sociales, with the slips such a list has.

    Roles: ``full`` (every column), ``no_name``, ``swapped`` (latitude and longitude
    exchanged), ``bad_email``, ``departement_only`` (an auto-école known by its département,
    whose public states ages), ``bad_postal``, ``unknown_commune`` (a comment over several
    lines), ``repeated`` (``full`` again) and ``closed`` (an auto-école no longer approved).
    """
    _, services = read_csv_rows("france_services_2024-08.csv")
    oise = [
        r
        for r in services
        if r["insee_dep"] == "60"
        and r["telephone"]
        and r["mail"]
        and r["latitude"]
        and _cp1252(r, SERVICE_KEYS)
    ]
    if len(oise) < 5:
        pytest.skip("pas assez de France services de l'Oise : échantillon impossible")
    _, ecoles = read_csv_rows("auto_ecoles_sociales_liste_manuelle.csv")
    departement_only = first(
        ecoles,
        lambda r: (
            not r["commune"]
            and r["departement"].isdigit()
            and ages_from_text(r["public"]) != (None, None)
        ),
        "auto-école connue par son seul département, aux âges précisés",
    )
    closed = first(ecoles, lambda r: split_inactive_note(r["nom"])[1], "auto-école plus agréée")
    spanning = first(
        services,
        lambda r: "\n" in r["commentaire"] and _cp1252(r, SERVICE_KEYS),
        "commentaire sur deux lignes",
    )

    def service(r: Row, **changes: str) -> list[str]:
        cells = {
            "Nom": r["lib_fs"],
            "Type": "france-service",  # what the source file says they all are
            "Adresse": r["adresse"],
            "CP": r["code_postal"],
            "Ville": r["lib_com"],
            "Département": r["insee_dep"],
            "Tél.": r["telephone"],
            "Courriel": r["mail"],
            "Latitude": r["latitude"],
            "Longitude": r["longitude"],
            "Public": "",
            "Description": r["commentaire"],
        }
        return [(cells | changes)[h] for h in GENERIC_HEADER]

    def ecole(r: Row) -> list[str]:
        cells = {
            "Nom": r["nom"],
            "Type": "",
            "Adresse": r["adresse"],
            "CP": r["code_postal"],
            "Ville": r["commune"],
            "Département": r["departement"],
            "Tél.": r["telephone"],
            "Courriel": r["email"],
            "Latitude": "",
            "Longitude": "",
            "Public": r["public"],
            "Description": "",
        }
        return [cells[h] for h in GENERIC_HEADER]

    full, no_name, swapped, bad_email, bad_postal = oise[:5]
    roles = {
        "full": service(full),
        "no_name": service(no_name, Nom=""),  # altered: the name left out
        # altered: the two coordinates typed in each other's column
        "swapped": service(swapped, Latitude=swapped["longitude"], Longitude=swapped["latitude"]),
        # altered: the phone typed in the e-mail column
        "bad_email": service(bad_email, Courriel=bad_email["telephone"]),
        "departement_only": ecole(departement_only),
        "bad_postal": service(bad_postal, CP="ABCDE"),  # altered: a postal code typed wrong
        # altered: a commune no referential knows, without postal code or point
        "unknown_commune": service(
            spanning, Ville="Xyzville-sur-Rien", CP="", Département="", Latitude="", Longitude=""
        ),
        "repeated": service(full),
        "closed": ecole(closed),
    }
    path = directory / "generic_cp1252_semicolon.csv"
    starts = _write_csv(path, GENERIC_HEADER, list(roles.values()), "cp1252", ";")
    return Sample(
        path,
        rows={
            "full": full,
            "swapped": swapped,
            "bad_email": bad_email,
            "bad_postal": bad_postal,
            "unknown_commune": spanning,
            "departement_only": departement_only,
            "closed": closed,
        },
        lines=dict(zip(roles, starts, strict=True)),
    )


BOM_HEADER = ["identifiant", "nom", "code_postal", "commune", "telephone", "site", "freins"]
BOM_HEADER += ["description"]


def generic_bom_file(directory: Path, name: str = "generic_bom_comma.csv") -> Sample:
    """A list with its own identifiers, UTF-8 with a BOM and commas: local records of the DILA
    annuaire (a mission locale, a CCAS and another record of the CCAS's département, so that a
    file without the CCAS still covers where it was), the first one's identifier again, and a
    row with cells too many.

    Roles: ``ml``, ``ccas``, ``repeated`` (``ml`` again), ``wide``, ``neighbour``. The
    ``freins`` column is the CIP's own note: no source has one, so the builder writes it
    (declared freins on ``ml``, an unknown one on ``neighbour``).
    """
    _, rows = read_csv_rows("annuaire_ajouts_locaux_2018-2021.csv")

    def departement(r: Row) -> str:
        return r["zonage_communes"][:2]

    ml = first(
        rows,
        lambda r: r["pivotLocal"] == "mission_locale" and r["telephone"] and r["url"],
        "mission locale avec téléphone et site",
    )
    ccas = first(
        rows,
        lambda r: (
            r["pivotLocal"] == "ccas"
            and r["telephone"]
            and len(r["code_postal"]) == 5
            and ";" not in r["zonage_communes"]
            and any(o is not r and departement(o) == departement(r) for o in rows)
        ),
        "CCAS d'une commune, avec téléphone, et une autre fiche de son département",
    )
    neighbour = first(
        rows,
        lambda r: r is not ccas and departement(r) == departement(ccas),
        "autre fiche du département du CCAS",
    )
    wide = first(
        rows,
        lambda r: r not in (ml, ccas, neighbour) and len(r["code_postal"]) == 5,
        "autre fiche locale",
    )

    def cells(r: Row, freins: str = "") -> list[str]:
        columns = ("id", "nom", "code_postal", "commune", "telephone", "url")
        return [*(r[c] for c in columns), freins, ""]

    roles = {
        "ml": cells(ml, "emploi, mobilite"),
        "ccas": cells(ccas),
        "repeated": cells(ml),
        "wide": [*cells(wide), "", "", "en trop"],  # altered: three cells too many
        "neighbour": cells(neighbour, "inconnu"),  # altered: a frein no taxonomy knows
    }
    path = directory / name
    starts = _write_csv(path, BOM_HEADER, list(roles.values()), "utf-8-sig")
    return Sample(
        path,
        rows={"ml": ml, "ccas": ccas, "wide": wide, "neighbour": neighbour},
        lines=dict(zip(roles, starts, strict=True)),
    )


# --------------------------------------------------------------------------- data·inclusion


def _v1_services() -> dict[str, list[Row]]:
    return read_json("data_inclusion_v1_services_lille_2026-04.json")


def data_inclusion_api_file(directory: Path) -> Sample:
    """Services as the data·inclusion API gives them (``{zone: [service…]}``): every service
    of a carif-oref structure with two or more French courses at one point, a monenfant crèche
    without a point and a dora service. Zones keep their names."""
    zones = _v1_services()
    services = [(zone, s) for zone, items in zones.items() for s in items]
    groups: dict[tuple, list[tuple[str, Row]]] = defaultdict(list)
    for zone, s in services:
        if s["latitude"] is not None:
            point = (round(s["latitude"], 4), round(s["longitude"], 4))
            groups[(s["structure_name"], *point)].append((zone, s))
    course = first(
        (
            g
            for g in groups.values()
            if len(g) >= 2
            and len({s["nom"] for _, s in g}) == len(g)
            and all(s["source"] == "carif-oref" for _, s in g)
            and all("maitriser-le-francais" in s["thematiques"] for _, s in g)
        ),
        lambda g: True,
        "structure carif-oref à plusieurs cours de français distincts",
    )
    creche = first(
        services,
        lambda zs: zs[1]["source"] == "monenfant" and zs[1]["latitude"] is None,
        "crèche monenfant sans point",
    )
    dora = first(
        services,
        lambda zs: zs[1]["source"] == "dora" and zs[1]["latitude"] is not None,
        "service dora placé",
    )
    out: dict[str, list[Row]] = defaultdict(list)
    for zone, s in [*course, creche, dora]:
        out[zone].append(s)
    path = directory / "data_inclusion_services_api.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1))
    return Sample(
        path,
        rows={"creche": creche[1], "dora": dora[1]},
        extra={"course": [s for _, s in course], "count": sum(len(v) for v in out.values())},
    )


def _v0_as_v1_structure(r: Row) -> Row:
    """A v0 structure in the v1 schema's names (``pivot`` → ``siret``, ``horaires`` →
    ``horaires_accueil``…); the values are the real row's."""
    siret = r.get("pivot") or ""
    out = {
        "source": r["source"],
        "id": r["id"],
        "nom": r["nom"],
        "date_maj": r["date_maj"],
        "siret": siret if len(siret) == 14 and siret.isdigit() else None,
        "adresse": r.get("adresse"),
        "complement_adresse": r.get("complement_adresse"),
        "code_postal": r.get("code_postal"),
        "commune": r.get("commune"),
        "code_insee": r.get("code_insee"),
        "latitude": r.get("latitude"),
        "longitude": r.get("longitude"),
        "telephone": r.get("telephone"),
        "courriel": r.get("courriel"),
        "site_web": r.get("site_web"),
        "horaires_accueil": r.get("horaires"),
        "description": r.get("presentation_detail") or r.get("presentation_resume"),
    }
    return {k: v for k, v in out.items() if v not in (None, "")}


def _v1_service(s: Row, structure_id: str, date_maj: str) -> Row:
    """An API service in the v1 export's shape: it gains the ``id``, ``structure_id`` and
    ``date_maj`` the API leaves out (derived: a digest of what it states, the structure it
    names, the extract's month) and its thematiques as a list."""
    out = {
        "source": s["source"],
        "id": f"{s['source']}--{_digest(s['structure_name'], s['nom'], s['lien_source'] or '')}",
        "structure_id": structure_id,
        "nom": s["nom"],
        "description": s["description"],
        "date_maj": date_maj,
        "thematiques": json.loads(s["thematiques"]),
        "commune": s["commune"],
        "code_postal": s["code_postal"],
        "latitude": s["latitude"],
        "longitude": s["longitude"],
        "telephone": s["telephone"],
        "lien_source": s["lien_source"],
        "lien_mobilisation": s["lien_mobilisation"],
    }
    return {k: v for k, v in out.items() if v not in (None, "")}


# One span of days, one or two ranges of hours: ``Mo-Fr 09:00-12:30,13:30-17:00``.
SIMPLE_OSM_HOURS = re.compile(
    r"[A-Z][a-z](-[A-Z][a-z])? \d\d:\d\d-\d\d:\d\d(,\d\d:\d\d-\d\d:\d\d)?$"
)


def data_inclusion_export(directory: Path) -> tuple[Sample, Sample]:
    """A v1 export in two files, structures then services.

    Structures: two v0 structures of the national referential that Lille services of the same
    source name as theirs (same name and commune, one structure each), and one with opening
    hours, a phone and a SIRET (``hours``). Services: every service naming the two (its
    ``structure_id`` is the structure's id), a service of a structure the file does not hold,
    and the first service again without its description (the schema requires one: rejected).
    """
    v0 = read_json("data_inclusion_v0_structures_2023-01.json")
    by_place: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for r in v0:
        by_place[(r["source"], fold(r["nom"]), fold(r["commune"]))].append(r)

    def place(s: Row) -> tuple[str, str, str]:
        return s["source"], fold(s["structure_name"] or ""), fold(s["commune"])

    services = [s for items in _v1_services().values() for s in items]
    named: dict[str, list[Row]] = defaultdict(list)  # structure key → its services
    structures: dict[str, Row] = {}
    for s in services:
        if len(found := by_place.get(place(s), [])) == 1:
            key = f"{found[0]['source']}--{found[0]['id']}"
            structures[key] = found[0]
            named[key].append(s)
    keys = list(structures)[:2]
    if len(keys) < 2:
        pytest.skip("moins de deux structures data·inclusion nommées par leurs services")
    hours = first(
        v0,
        lambda r: (
            SIMPLE_OSM_HOURS.match(r.get("horaires") or "")
            and r.get("telephone")
            and len(r.get("pivot") or "") == 14
        ),
        "structure v0 avec horaires simples, téléphone et SIRET",
    )
    alone = first(
        services,
        lambda s: s["description"] and s["latitude"] is not None and not by_place.get(place(s)),
        "service d'une structure inconnue du référentiel",
    )
    date_maj = "2026-04-01"  # the API extract's month (its file name)
    items = [_v1_service(s, structures[k]["id"], date_maj) for k in keys for s in named[k]]
    items.append(_v1_service(alone, f"structure-{_digest(alone['structure_name'])}", date_maj))
    bare = {k: v for k, v in items[0].items() if k != "description"}  # altered: no description
    items.append(bare)
    struct_path = directory / "data_inclusion_structures.json"
    struct_rows = [_v0_as_v1_structure(r) for r in (*(structures[k] for k in keys), hours)]
    struct_path.write_text(json.dumps(struct_rows, ensure_ascii=False, indent=1))
    serv_path = directory / "data_inclusion_services.json"
    serv_path.write_text(json.dumps({"items": items}, ensure_ascii=False, indent=1))
    return (
        Sample(
            struct_path,
            rows={"first": structures[keys[0]], "second": structures[keys[1]], "hours": hours},
            extra={"keys": keys, "count": len(struct_rows)},
        ),
        Sample(serv_path, rows={"alone": items[-2]}, extra={"items": items}),
    )


def data_inclusion_v0_file(directory: Path) -> Sample:
    """v0 structures: two rows of two sources sharing one id (the second with a v0 typology),
    then the first again (a repeated id within its source)."""
    v0 = read_json("data_inclusion_v0_structures_2023-01.json")
    by_id: dict[str, list[Row]] = defaultdict(list)
    for r in v0:
        by_id[r["id"]].append(r)
    pair = first(
        by_id.values(),
        lambda rs: (
            len(rs) == 2
            and rs[0]["source"] != rs[1]["source"]
            and not rs[0].get("typologie")
            and rs[1].get("typologie")
            and all(r.get("code_insee") for r in rs)
        ),
        "même id dans deux sources, la seconde typée",
    )
    path = directory / "data_inclusion_v0_extrait.json"
    path.write_text(json.dumps([*pair, pair[0]], ensure_ascii=False, indent=1))
    return Sample(path, rows={"untyped": pair[0], "typed": pair[1]})


# --------------------------------------------------------------------------- opening hours


def france_services_hours_file(directory: Path) -> Sample:
    """France Services places, hours one column a day: one open mornings and afternoons on
    appointment, one without any hours."""
    header, rows = read_csv_rows("france_services_2024-08.csv")
    days = [f"h_{d}" for d in ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi")]
    on_appointment = first(
        rows,
        lambda r: r["prise_rdv"].lower() == "oui" and " / " in r["h_lundi"] and r["insee_com"],
        "France services sur rendez-vous, ouverte le lundi matin et après-midi",
    )
    no_hours = first(
        rows,
        lambda r: not any(r[d] for d in days) and r["insee_com"],
        "France services sans horaires",
    )
    path = directory / "france_services_horaires.csv"
    starts = _write_csv(
        path, header, [[r[h] for h in header] for r in (on_appointment, no_hours)], "utf-8"
    )
    return Sample(
        path,
        rows={"rdv": on_appointment, "none": no_hours},
        lines={"rdv": starts[0], "none": starts[1]},
    )


def cnfs_hours_file(directory: Path) -> Sample:
    """Conseillers numériques places with OSM hours: one with an appointment link."""
    header, rows = read_csv_rows("conseillers_numeriques_lieux_2022.csv")
    with_link = first(
        rows,
        lambda r: r["horaires"].startswith("Mo-Fr ") and r["prise_rdv"].startswith("http"),
        "lieu de conseiller numérique ouvert du lundi au vendredi, avec lien de rendez-vous",
    )
    path = directory / "cnfs_horaires.csv"
    _write_csv(path, header, [[with_link[h] for h in header]], "utf-8")
    return Sample(path, rows={"rdv": with_link})
