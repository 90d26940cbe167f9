"""Synthetic partners at national scale, for benchmarks only (a developer tool: ``bench``
is not installed with the app).

``python -m bench.generate --partners N [--seed S]`` fills the database named by
``DATABASE_URL`` with N synthetic partners spread over the real communes (in
proportion to their population), with a realistic mix of partner types, zones,
publics, ages, missing fields and source dates. Every row is labelled
synthetic (``Partner.synthetic``, a name prefixed ``[Synthétique]``, one
``PartnerSource`` of source ``synthetique``) and the command refuses a
database that holds real partners, so synthetic data is never mixed with real
data. ``--csv PATH`` writes the same partners as a generic CSV instead (the
importer's ``generic-csv`` format), to measure import throughput.

The generation is a pure function of ``(n, seed)`` (:func:`generate_partners`).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import sqltypes

# Importing app.cli puts click in French before the command below is declared.
from app.cli import AppCommand
from app.cli.context import ensure_schema, with_app
from app.db import refresh_statistics
from app.models import ImportRun, Partner, PartnerSource, utcnow

if TYPE_CHECKING:
    from recommender.geo import Gazetteer
    from recommender.taxonomy import PartnerType, Taxonomy

PROG = "python -m bench.generate"
SOURCE = "synthetique"
NAME_PREFIX = "[Synthétique] "
BATCH = 5000
#: SQLite page cache while bulk inserting (negative: KiB), restored afterwards.
SQLITE_CACHE_KIB = -262144
#: Source update dates are spread over this window (fixed, so a seed gives the same rows).
FIRST_DATE = date(2014, 1, 1)
LAST_DATE = date(2026, 6, 30)

# Relative weight of each recommendable partner type in the synthetic mix (other
# recommendable types get DEFAULT_WEIGHT). Roughly the shape of the real networks: many
# SIAE, France Services, mairies and CCAS, few départemental services (SPIP, CPAM, CAF…).
TYPE_WEIGHTS: dict[str, float] = {
    "mairie": 12.0,
    "ccas-cias": 8.0,
    "aci": 6.0,
    "ei": 3.5,
    "ai": 3.5,
    "etti": 1.5,
    "geiq": 0.8,
    "ea": 1.5,
    "esat": 2.5,
    "france-service": 7.0,
    "france-travail": 2.0,
    "mission-locale": 2.5,
    "association-insertion": 5.0,
    "association-solidarite": 4.0,
    "aide-alimentaire": 3.5,
    "epicerie-sociale": 2.0,
    "centre-social": 4.0,
    "creche": 5.0,
    "relais-petite-enfance": 2.0,
    "pmi": 1.5,
    "organisme-formation": 4.0,
    "greta": 0.8,
    "atelier-sociolinguistique": 2.0,
    "espace-numerique": 3.0,
    "mds": 1.2,
    "cmp": 1.5,
    "centre-sante": 1.5,
    "csapa": 0.6,
    "point-justice": 0.8,
    "plateforme-mobilite": 0.8,
    "auto-ecole-sociale": 0.5,
    "garage-solidaire": 0.4,
    "residence-sociale": 1.2,
    "chrs": 0.8,
    "hebergement-urgence": 0.8,
    "fjt": 0.6,
    "information-jeunesse": 1.0,
    "points-conseil-budget": 0.5,
    "spip": 0.15,
    "pjj": 0.15,
    "cpam": 0.25,
    "caf": 0.25,
    "msa": 0.15,
    "cap-emploi": 0.2,
    "siao": 0.1,
    "adil": 0.1,
    "cidff": 0.2,
    "autre": 2.0,
}
DEFAULT_WEIGHT = 0.3
#: Types placed uniformly over communes (one per commune in reality), not by population.
PER_COMMUNE_TYPES = frozenset({"mairie", "ccas-cias"})

QUALIFIERS = (
    "Tremplin", "Passerelle", "Horizon", "Avenir", "L'Escale", "Envol", "Le Relais",
    "Solidarité", "Les Jardins", "Cap Emploi Solidaire", "Le Phare", "La Boussole", "Ensemble",
    "Entraide", "Renouveau", "Trait d'Union", "L'Étape", "Les Ateliers", "Le Fil", "Archipel",
)  # fmt: skip
STREETS = (
    "rue de la République", "avenue Jean Jaurès", "place de la Mairie", "rue Victor Hugo",
    "boulevard Pasteur", "rue du Général de Gaulle", "rue des Écoles", "chemin des Vignes",
    "rue de la Gare", "allée des Tilleuls", "rue Jules Ferry", "avenue de la Libération",
    "rue du Moulin", "impasse des Lilas", "rue Émile Zola", "place du Marché",
)  # fmt: skip
HOURS = (
    "Lundi au vendredi : 9h-12h / 14h-17h",
    "Lundi, mardi, jeudi : 8h30-12h30 ; mercredi : 14h-18h",
    "Du lundi au jeudi 9h-17h, vendredi 9h-12h",
    "Mardi et jeudi : 9h-12h, sur rendez-vous l'après-midi",
    "Lundi au vendredi 8h30-17h30 (fermé le mercredi après-midi)",
)
EXTRA_SENTENCES = (
    "Accueil sur rendez-vous.",
    "Permanences délocalisées dans les communes voisines.",
    "Accompagnement individuel et ateliers collectifs.",
    "Orientation par un prescripteur (France Travail, mission locale, SPIP, SIAO).",
    "Accès à internet et aide aux démarches en ligne.",
    "Aide à la mobilité : transport solidaire, location de véhicules.",
    "Atelier de remobilisation et de levée des freins périphériques à l'emploi.",
    "Aide alimentaire et vestiaire solidaire.",
    "",
)
MODES = (["en-presentiel"], ["en-presentiel", "a-distance"], [])


@dataclass(frozen=True)
class _Place:
    code_insee: str
    nom: str
    code_postal: str
    departement: str
    region: str
    lat: float
    lon: float


def _places(gazetteer: Gazetteer) -> list[_Place]:
    """Communes with a point, Paris/Lyon/Marseille replaced by their arrondissements."""
    communes = gazetteer.communes.values()
    parents = {c.parent for c in communes if c.kind == "arrondissement" and c.lat is not None}
    places = []
    for c in communes:
        if c.lat is None or c.lon is None or c.code_insee in parents:
            continue
        if c.kind == "arrondissement" and c.parent not in parents:
            continue
        places.append(
            _Place(
                c.code_insee,
                c.nom,
                c.codes_postaux[0] if c.codes_postaux else "",
                c.departement,
                c.region,
                float(c.lat),
                float(c.lon),
            )
        )
    places.sort(key=lambda p: p.code_insee)
    return places


def _populations(gazetteer: Gazetteer, places: list[_Place]) -> list[int]:
    return [max(1, gazetteer.communes[p.code_insee].population) for p in places]


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _short_label(label: str) -> str:
    """``Atelier et chantier d'insertion (ACI)`` → ``Atelier et chantier d'insertion``."""
    return label.split(" (")[0].split(" / ")[0].strip()


@functools.lru_cache(maxsize=65536)
def _slug(text: str) -> str:
    from recommender.text import fold

    return "-".join(fold(text).split())[:24] or "structure"


def partner_id(seed: int, index: int) -> str:
    """The id of the ``index``-th synthetic partner of ``seed`` (at most 32 characters)."""
    return f"syn-{seed}-{index:07d}"


def generate_partners(
    n: int, seed: int = 0, *, gazetteer: Gazetteer | None = None, taxonomy: Taxonomy | None = None
) -> Iterator[dict[str, Any]]:
    """N synthetic partners as ``Partner`` column dicts (without timestamps), by seed.

    The same ``(n, seed)`` always gives the same rows; the first rows of a larger ``n``
    are the rows of a smaller one.
    """
    if gazetteer is None:
        from recommender.geo import default_gazetteer

        gazetteer = default_gazetteer()
    if taxonomy is None:
        from recommender.taxonomy import default_taxonomy

        taxonomy = default_taxonomy()
    draw = _Draw(random.Random(seed), gazetteer, taxonomy)
    for i in range(n):
        yield draw.partner(partner_id(seed, i), i + 1)


class _Draw:
    """One seeded stream of synthetic partners: each field drawn by a small method.

    The methods are called in a fixed order (``partner``), so a seed gives the same
    random draws, hence the same rows.
    """

    def __init__(self, rng: random.Random, gazetteer: Gazetteer, taxonomy: Taxonomy) -> None:
        self.rng = rng
        self.gazetteer = gazetteer
        self.taxonomy = taxonomy
        self.places = _places(gazetteer)
        self.by_population = _cumulative([float(p) for p in _populations(gazetteer, self.places)])
        self.types = [t for t in taxonomy.partner_types.values() if t.recommendable]
        self.type_cum = _cumulative([TYPE_WEIGHTS.get(t.code, DEFAULT_WEIGHT) for t in self.types])
        self.frein_codes = list(taxonomy.freins)
        self.public_codes = [c for c in taxonomy.publics if c != "tous-publics"]
        self.thematiques: dict[tuple[str, ...], list[str]] = {}
        self.span = (LAST_DATE - FIRST_DATE).days

    def partner(self, pid: str, number: int) -> dict[str, Any]:
        rng = self.rng
        ptype = rng.choices(self.types, cum_weights=self.type_cum)[0]
        place = self.place(ptype)
        exact, lat, lon = self.point(place)
        freins = self.freins(ptype)
        publics = self.publics(ptype)
        age_min, age_max = self.ages(ptype)
        kind, codes, radius = self.zone(ptype, place)
        base, description, phone = self.identity(ptype)
        slug = f"{_slug(base)}-{_slug(place.nom)}"
        updated = FIRST_DATE.toordinal() + int(self.span * rng.random() ** 0.7)
        return {
            "id": pid,
            "nom": f"{NAME_PREFIX}{base} de {place.nom} n°{number}"[:300],
            "type_code": ptype.code,
            "description": description,
            "siret": None,
            "adresse": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            "complement_adresse": "",
            "code_postal": place.code_postal,
            "code_insee": place.code_insee,
            "commune_nom": place.nom,
            "departement": place.departement,
            "region": place.region,
            "lat": lat,
            "lon": lon,
            "coords_exact": exact,
            "telephone": phone,
            "email": f"contact@{slug}.example.org" if rng.random() >= 0.4 else "",
            "site_web": f"https://{slug}.example.org" if rng.random() >= 0.6 else "",
            "horaires": rng.choice(HOURS) if rng.random() >= 0.5 else "",
            "freins": freins,
            "freins_inferred": [],
            "thematiques": self.thematiques_of(freins),
            "publics": publics,
            "modes_accueil": list(rng.choice(MODES)),
            "frais": [],
            "age_min": age_min,
            "age_max": age_max,
            "zone_kind": kind,
            "zone_codes": codes,
            "zone_radius_km": radius,
            "status": "archived" if rng.random() < 0.03 else "active",
            "synthetic": True,
            "source_updated_at": date.fromordinal(updated),
            "verified_at": None,
        }

    def place(self, ptype: PartnerType) -> _Place:
        """A commune drawn by population, or uniformly for the one-per-commune types."""
        if ptype.code in PER_COMMUNE_TYPES:
            return self.places[self.rng.randrange(len(self.places))]
        return self.rng.choices(self.places, cum_weights=self.by_population)[0]

    def point(self, place: _Place) -> tuple[bool, float, float]:
        """Exact (jittered around the centre) or approximate (the commune's centre)."""
        if self.rng.random() < 0.3:
            return False, place.lat, place.lon
        lat = round(place.lat + self.rng.gauss(0.0, 0.012), 6)
        lon = round(place.lon + self.rng.gauss(0.0, 0.016), 6)
        return True, lat, lon

    def freins(self, ptype: PartnerType) -> list[str]:
        """The type's freins, sometimes one more declared by the source (taxonomy order)."""
        if ptype.code == "autre":
            return []
        freins = list(ptype.freins)
        if self.rng.random() < 0.12:
            extra = self.rng.choice(self.frein_codes)
            if extra not in freins:
                freins.append(extra)
        return [c for c in self.frein_codes if c in freins]

    def thematiques_of(self, freins: list[str]) -> list[str]:
        key = tuple(freins)
        if key not in self.thematiques:
            self.thematiques[key] = list(self.taxonomy.thematiques_of(freins))
        return self.thematiques[key]

    def publics(self, ptype: PartnerType) -> list[str]:
        publics = list(ptype.publics)
        if self.rng.random() < 0.1:
            extra = self.rng.choice(self.public_codes)
            if extra not in publics:
                publics.append(extra)
        return publics

    def ages(self, ptype: PartnerType) -> tuple[int | None, int | None]:
        """The type's ages; a few open types get an adult or a youth limit."""
        if ptype.age_min is not None or ptype.age_max is not None or ptype.publics_exclusive:
            return ptype.age_min, ptype.age_max
        draw = self.rng.random()
        if draw < 0.05:
            return 18, None
        if draw < 0.07:
            return 16, 30
        return None, None

    def zone(self, ptype: PartnerType, place: _Place) -> tuple[str, list[str], float | None]:
        """The type's default zone, with a few wider or custom ones."""
        kind = ptype.zone_kind
        if kind == "departement":
            return kind, self.departements(place), None
        if kind == "region":
            return kind, [place.region], None
        if kind == "communes":
            return kind, [place.code_insee], None
        if kind == "epci":
            epci = getattr(self.gazetteer.get(place.code_insee), "epci", None)
            if epci:
                return kind, [epci], None
            kind = "rayon"
        if kind == "rayon":
            return kind, [], self.radius(ptype)
        return kind, [], None

    def departements(self, place: _Place) -> list[str]:
        codes = [place.departement]
        if self.rng.random() < 0.05:
            other = self.rng.choice(self.places).departement
            if other not in codes:
                codes.append(other)
        return codes

    def radius(self, ptype: PartnerType) -> float:
        radius = ptype.zone_radius_km or 30.0
        if self.rng.random() < 0.15:
            radius = float(self.rng.choice((5, 10, 15, 20, 40, 60)))
        return radius

    def identity(self, ptype: PartnerType) -> tuple[str, str, str]:
        """The name's base (qualifier and type), the description and the phone number."""
        rng = self.rng
        qualifier = rng.choice(QUALIFIERS) if rng.random() < 0.5 else ""
        label = _short_label(ptype.label)
        base = f"{qualifier} – {label}" if qualifier else label
        description = " ".join(filter(None, [ptype.description, rng.choice(EXTRA_SENTENCES)]))
        phone = ""
        if rng.random() >= 0.25:
            digits = f"{rng.randrange(100_000_000):08d}"
            phone = f"0{rng.randint(1, 5)} {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"
        return base, description, phone


# --------------------------------------------------------------------------- database


class RealDataPresent(click.ClickException):
    """The target database holds real partners: synthetic ones are never mixed in."""


def count_real_partners(conn: Connection) -> int:
    return conn.scalar(
        select(func.count()).select_from(Partner).where(Partner.synthetic.is_(False))
    )


def _source_row(row: dict[str, Any], now: datetime, run_id: int, seed: int) -> dict[str, Any]:
    digest = hashlib.sha256(f"{SOURCE}:{seed}:{row['id']}".encode()).hexdigest()
    return {
        "partner_id": row["id"],
        "source": SOURCE,
        "source_id": row["id"],
        "raw": {"synthetic": True, "seed": seed},
        "content_hash": digest,
        "source_updated_at": row["source_updated_at"],
        "imported_at": now,
        "import_run_id": run_id,
        "archived": False,
    }


def _sqlite_value(column_type: Any) -> Any:
    """How SQLAlchemy stores a Python value of that type in SQLite (None: as is).

    Values repeat a lot (the same thematiques, the same timestamp), so conversions are
    memoised.
    """
    if isinstance(column_type, sqltypes.JSON):
        memo: dict[Any, str] = {}

        def to_json(value: Any) -> str:
            key = tuple(value) if isinstance(value, list) else None
            if key is None:
                return json.dumps(value)
            if key not in memo:
                memo[key] = json.dumps(value)
            return memo[key]

        return to_json
    if isinstance(column_type, sqltypes.DateTime):
        return functools.lru_cache(maxsize=64)(lambda v: v.strftime("%Y-%m-%d %H:%M:%S.%f"))
    if isinstance(column_type, sqltypes.Date):
        return date.isoformat
    if isinstance(column_type, sqltypes.Boolean):
        return int
    return None


def bulk_insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Core ``insert(table)`` executemany of rows sharing their keys.

    On SQLite the statement compiled by SQLAlchemy is sent straight to the driver with
    the values converted here (SQLAlchemy's per-value bind processing would cost more
    than the generation itself); other databases go through ``conn.execute``.
    """
    if not rows:
        return
    keys = list(rows[0])
    statement = insert(table)
    if conn.dialect.name != "sqlite":
        conn.execute(statement, rows)
        return
    compiled = statement.compile(dialect=conn.dialect, column_keys=keys)
    order = compiled.positiontup or keys
    converters = [(k, _sqlite_value(table.c[k].type)) for k in order]
    params = [
        tuple(v if (v := row[k]) is None or conv is None else conv(v) for k, conv in converters)
        for row in rows
    ]
    conn.exec_driver_sql(str(compiled), params)


def write_partners(
    conn: Connection, n: int, seed: int, *, replace: bool = False, echo: Any = None
) -> dict[str, Any]:
    """Insert N synthetic partners through ``conn`` (Core executemany, in batches).

    Raises :class:`RealDataPresent` when the database holds real partners, and a
    ``click.ClickException`` when partners of the same seed are already there (unless
    ``replace``, which first deletes every synthetic partner).
    """
    real = count_real_partners(conn)
    if real:
        raise RealDataPresent(
            f"Refus : la base contient {real} partenaire(s) réel(s) (non synthétique(s)). "
            "Les données synthétiques ne sont jamais mélangées aux données réelles : "
            "utilisez une base dédiée (DATABASE_URL et RELAIS_INSTANCE_PATH d'un dossier "
            "de test)."
        )
    if replace:
        synthetic_ids = select(Partner.id).where(Partner.synthetic.is_(True))
        conn.execute(delete(PartnerSource).where(PartnerSource.partner_id.in_(synthetic_ids)))
        conn.execute(delete(Partner).where(Partner.synthetic.is_(True)))
    elif conn.scalar(select(func.count()).where(Partner.id == partner_id(seed, 0))):
        raise click.ClickException(
            f"Des partenaires synthétiques de la graine {seed} existent déjà : "
            "ajoutez --replace pour les remplacer, ou choisissez une autre graine."
        )
    started = time.perf_counter()
    now = utcnow()
    run_id = conn.execute(
        insert(ImportRun).values(
            source=SOURCE,
            filename=f"{PROG} --partners {n} --seed {seed}",
            format=SOURCE,
            dry_run=False,
            started_at=now,
            counts={},
            report={},
        )
    ).inserted_primary_key[0]
    partner_table, source_table = Partner.__table__, PartnerSource.__table__
    partners: list[dict[str, Any]] = []
    written = 0

    def flush() -> None:
        nonlocal written
        bulk_insert(conn, partner_table, partners)
        bulk_insert(conn, source_table, [_source_row(r, now, run_id, seed) for r in partners])
        written += len(partners)
        partners.clear()
        if echo is not None:
            echo(f"  {written} / {n} partenaires écrits")

    sqlite = conn.dialect.name == "sqlite"
    if sqlite:  # a bigger page cache for this connection: index inserts stay in memory
        cache_size = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")
    try:
        for row in generate_partners(n, seed):
            row["created_at"] = row["updated_at"] = now
            partners.append(row)
            if len(partners) >= BATCH:
                flush()
        if partners:
            flush()
    finally:
        if sqlite:
            conn.exec_driver_sql(f"PRAGMA cache_size={int(cache_size)}")
    refresh_statistics(conn, (partner_table.name, source_table.name))  # as `relais import`
    counts = {"created": written, "rows": written}
    conn.execute(
        ImportRun.__table__.update()
        .where(ImportRun.id == run_id)
        .values(finished_at=utcnow(), counts=counts)
    )
    return {"partners": written, "seconds": time.perf_counter() - started, "import_run": run_id}


# --------------------------------------------------------------------------- CSV

CSV_COLUMNS = (
    "id", "nom", "type", "adresse", "code_postal", "commune", "code_insee", "departement",
    "latitude", "longitude", "telephone", "email", "site_web", "horaires", "publics",
    "freins", "age_min", "age_max", "statut", "date_maj", "description",
)  # fmt: skip


def csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """A partner as a line of the generic CSV (``docs/import.md``)."""
    exact = row["coords_exact"]
    return {
        "id": row["id"],
        "nom": row["nom"],
        "type": row["type_code"],
        "adresse": row["adresse"],
        "code_postal": row["code_postal"],
        "commune": row["commune_nom"],
        "code_insee": row["code_insee"],
        "departement": row["departement"],
        "latitude": row["lat"] if exact else "",
        "longitude": row["lon"] if exact else "",
        "telephone": row["telephone"],
        "email": row["email"],
        "site_web": row["site_web"],
        "horaires": row["horaires"],
        "publics": ", ".join(row["publics"]),
        "freins": ", ".join(row["freins"]),
        "age_min": "" if row["age_min"] is None else row["age_min"],
        "age_max": "" if row["age_max"] is None else row["age_max"],
        "statut": "inactif" if row["status"] != "active" else "",
        "date_maj": row["source_updated_at"].isoformat(),
        "description": row["description"],
    }


def write_csv(path: Path, n: int, seed: int) -> int:
    """Write N synthetic partners as a generic CSV (UTF-8, comma); returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in generate_partners(n, seed):
            writer.writerow(csv_row(row))
            count += 1
    return count


# --------------------------------------------------------------------------- CLI


@click.command("generate", cls=AppCommand)
@click.option(
    "--partners",
    "n",
    required=True,
    type=click.IntRange(1, 2_000_000),
    help="Nombre de partenaires synthétiques à produire.",
)
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0), help="Graine.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Écrire un CSV générique (format generic-csv) au lieu de remplir la base.",
)
@click.option(
    "--replace", is_flag=True, help="Supprimer d'abord les partenaires synthétiques existants."
)
@with_app
def generate_command(n: int, seed: int, csv_path: Path | None, replace: bool) -> None:
    """Génère N partenaires SYNTHÉTIQUES répartis sur les communes réelles (outil de
    développement, pour les mesures de performance).

    Chaque fiche est marquée synthétique (nom préfixé « [Synthétique] », source
    « synthetique »). La commande refuse une base qui contient des partenaires réels.
    """
    started = time.perf_counter()
    if csv_path is not None:
        count = write_csv(csv_path, n, seed)
        click.echo(
            f"{count} partenaires synthétiques écrits dans {csv_path} "
            f"({time.perf_counter() - started:.1f} s). "
            f"Import, dans une base jetable seulement : relais import {csv_path} "
            "--format generic-csv"
        )
        return
    ensure_schema()
    with current_app.extensions["relais.engine"].begin() as conn:
        result = write_partners(conn, n, seed, replace=replace, echo=None)
    click.echo(
        f"{result['partners']} partenaires synthétiques écrits en "
        f"{time.perf_counter() - started:.1f} s (graine {seed}). "
        "Lancez « relais reindex » pour reconstruire les index."
    )


if __name__ == "__main__":
    generate_command.main(prog_name=PROG)
