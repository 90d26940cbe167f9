"""``bench.postgis``: the PostGIS lane answers the engine's question (same candidate sets)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from werkzeug.datastructures import MultiDict

from bench import postgis
from bench.workload import Workload
from recommender.geo import default_gazetteer
from recommender.params import parse_profile
from recommender.taxonomy import default_taxonomy
from tests.support.pgcluster import _bin

pytestmark = pytest.mark.skipif(
    postgis.postgis_missing() is not None or _bin("initdb") is None,
    reason=f"PostgreSQL + PostGIS absents (paquet Debian {postgis.DEBIAN_PACKAGE})",
)


def test_engine_and_postgis_agree_on_candidates_before_ranking(tmp_path, monkeypatch):
    monkeypatch.setenv("RELAIS_INSTANCE_PATH", str(tmp_path / "instance"))
    gazetteer, taxonomy = default_gazetteer(), default_taxonomy()
    with postgis.postgis_database("relais_postgis_test") as url:
        app, recommender, _ = postgis.build_engine(url, 2000, 3, tmp_path)
        raw = Workload(3, gazetteer=gazetteer, taxonomy=taxonomy).profiles(30, 3)
        profiles = [parse_profile(MultiDict(p), gazetteer, taxonomy) for p in raw]
        profiles += [replace(p, max_km=8.0) for p in profiles[:5]]  # the distance cap
        with postgis.connect(url) as pg:
            loaded = postgis.load(pg, recommender.table_)
            largest = postgis.largest_radius_km(pg)
            params = [
                postgis.person(p, gazetteer, recommender.max_km_default, largest) for p in profiles
            ]
            agreement = postgis.agreement(recommender, pg, profiles, params)
            # both queries return, per frein, the nearest of those candidates
            for p in params[:10]:
                first = postgis.recommend(pg, "first", p, distances=True)
                assert first == postgis.recommend(pg, "tuned", p, distances=True)
                for frein, ids in postgis.recommend(pg, "tuned", p).items():
                    assert set(ids) <= postgis.candidates(pg, p, frein)
        app.extensions["relais.engine"].dispose()
    assert loaded["partners"] > 1500
    assert agreement["pairs"] == 105
    assert agreement["candidates"] > 3 * agreement["pairs"]  # not a vacuous agreement
    assert agreement["same"] == agreement["pairs"], agreement["differences"]
