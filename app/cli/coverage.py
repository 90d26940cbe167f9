"""``relais coverage``: the national coverage table (every frein × every commune) for one
reference profile, written as CSV, with the time it took and each frein's national summary."""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import click
import numpy as np
from werkzeug.datastructures import MultiDict

from recommender.coverage import SEUIL_KM, ReferenceProfile, france, summary
from recommender.params import AGE_MAX, AGE_MIN, MAX_KM, parse_float, parse_int, parse_publics
from recommender.taxonomy import default_taxonomy

from ..coverage import national_tables, table_rows
from ..db import session_scope
from ..index.holder import current_index
from .context import ensure_schema, with_app

COLUMNS = (
    "frein", "code_insee", "nom", "departement", "region", "population",
    "distance_km", "partner_id", "zone_blanche",
)  # fmt: skip


@click.command("coverage")
@click.option("--age", default=None, help="Âge de la personne de référence (30 par défaut).")
@click.option(
    "--publics", default=None, help="Publics de la personne de référence (codes séparés par ,)."
)
@click.option("--vehicule", is_flag=True, help="La personne de référence a un véhicule.")
@click.option("--seuil-km", default=None, help="Seuil des zones blanches (15 ou 30 km).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Fichier CSV de la table nationale (sur la sortie standard : « - »).",
)
@with_app
def coverage_command(
    age: str | None, publics: str | None, vehicule: bool, seuil_km: str | None, output: Path | None
) -> None:
    """Précalcule la couverture nationale : pour chaque frein et chaque commune, le
    partenaire accessible le plus proche de la personne de référence et sa distance."""
    params = MultiDict({k: v for k, v in (("age", age), ("publics", publics)) if v})
    if seuil_km:
        params["seuil_km"] = seuil_km
    profile = ReferenceProfile(
        age=parse_int(params, "age", default=30, minimum=AGE_MIN, maximum=AGE_MAX),
        publics=parse_publics(params, default_taxonomy()),
        vehicule=vehicule,
    )
    seuil = parse_float(params, "seuil_km", minimum=0.0, maximum=MAX_KM, min_exclusive=True)
    seuil = seuil or SEUIL_KM[vehicule]
    ensure_schema()
    with session_scope() as session:
        recommender = current_index(session).recommender
    territory = france(recommender.gazetteer_)
    started = time.perf_counter()
    tables = list(national_tables(recommender, territory, profile))
    elapsed = time.perf_counter() - started
    to_stdout = output is not None and str(output) == "-"
    if output is not None:
        handle = sys.stdout if to_stdout else output.open("w", newline="", encoding="utf-8")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for frein, nearest in tables:
            writer.writerows(table_rows(frein, territory, nearest, recommender.table_.ids, seuil))
        if not to_stdout:
            handle.close()
    click.echo(
        f"Couverture nationale : {len(tables)} freins × {len(territory.communes)} communes "
        f"en {elapsed:.1f} s (seuil {seuil:g} km).",
        err=to_stdout,
    )
    populations = np.array([c.population for c in territory.communes], dtype=np.int64)
    for frein, nearest in tables:
        resume = summary(populations, nearest.distance, seuil)
        share = f"{resume['part_population_couverte']:.1%}".replace(".", ",")
        click.echo(
            f"  {frein} : {share} de la population couverte, "
            f"{resume['population_zone_blanche']} habitants en zone blanche",
            err=to_stdout,
        )
