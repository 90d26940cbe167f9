"""Coverage timings on the instance's data (``relais demo`` loaded): the national table
(13 freins × every commune), one département's API answer cold (first request of that
département, indexes loaded) and warm (cached), and the « zones blanches » table: per
région, the five freins with the largest population beyond the threshold.

    RELAIS_INSTANCE_PATH=instance python -m bench.coverage [--departements 60,59,13]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from app import create_app
from app.coverage import national_tables
from app.db import session_scope
from app.index.holder import current_index
from recommender.coverage import ReferenceProfile, france, summary
from recommender.geo.names import region_name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--departements", default="60,59,13,2A,974")
    parser.add_argument("--frein", default="justice")
    args = parser.parse_args()
    app = create_app()
    with app.app_context(), session_scope(app) as session:
        recommender = current_index(session).recommender
    client = app.test_client()
    client.get("/api/v1/couverture?frein=emploi&departement=01")  # process warm-up
    for dep in args.departements.split(","):
        url = f"/api/v1/couverture?frein={args.frein}&departement={dep}"
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        cold = time.perf_counter() - started
        warm = []
        for _ in range(5):
            started = time.perf_counter()
            client.get(url, headers={"Cache-Control": "no-cache"})
            warm.append(time.perf_counter() - started)
        print(
            f"département {dep}: froid {cold * 1000:.0f} ms, "
            f"chaud {statistics.median(warm) * 1000:.0f} ms"
        )

    territory, profile = france(recommender.gazetteer_), ReferenceProfile()
    started = time.perf_counter()
    tables = list(national_tables(recommender, territory, profile))
    print(
        f"table nationale : {len(tables)} freins × {len(territory.communes)} communes "
        f"en {time.perf_counter() - started:.1f} s"
    )

    populations = np.array([c.population for c in territory.communes], dtype=np.int64)
    regions = np.array([c.region for c in territory.communes])
    print(
        "\nZones blanches (profil par défaut, seuil 15 km) : par région, les cinq freins "
        "laissant le plus d'habitants au-delà du seuil"
    )
    for code in sorted(set(regions.tolist())):
        mask = regions == code
        if populations[mask].sum() == 0:
            continue
        ranked = []
        for frein, nearest in tables:
            resume = summary(populations[mask], nearest.distance[mask], profile.seuil_km)
            ranked.append((resume["population_zone_blanche"], frein, resume))
        ranked.sort(reverse=True)
        cells = ", ".join(
            f"{frein} {count:,} ({1 - r['part_population_couverte']:.0%})".replace(",", " ")
            for count, frein, r in ranked[:5]
        )
        print(f"- {region_name(code)} : {cells}")


if __name__ == "__main__":
    main()
