"""The same recommendation answered by PostgreSQL + PostGIS, the way the peers answer.

``python -m bench.postgis --size 200000 --out FILE`` (``make bench-postgis``)

data·inclusion's API (and DORA through it) answers "services of this thématique near this
person" from PostgreSQL + PostGIS. This lane loads the bench's synthetic partners into a
throwaway cluster with PostGIS and races, interleaved on the same seeded 3-frein profiles:
the engine in-process, the engine through the service (database fetch + JSON), the plain
SQL of :mod:`bench.sqlbaseline`, and two PostGIS queries:

- ``first``: one row per partner, ``geography(Point)`` with a GiST index, GIN on the freins,
  publics and zone-key arrays, B-tree on the département; per frein (one ``LATERAL`` per
  frein, one round trip per request) two branches — ``rayon`` partners by ``ST_DWithin``
  and zone-wide partners by zone keys — each nearest first (``<->``), top 5;
- ``tuned``: one row per (frein, partner), a ``btree_gist`` index on ``(frein, geog)`` that
  the table is clustered on, a ``btree_gin`` index on ``(frein, zone_keys)``, JIT off.

Both answer the engine's question on eligibility (:mod:`recommender.eligibility`): partner
active and recommendable, addressing the frein, age range, exclusive publics (with the
publics implied by age and freins), zone (département, région, communes/EPCI with the
arrondissement's parent commune, France; ``rayon`` within its radius) and the ``max_km``
cap. **Not reproduced**: the situation rules of effect ``ecarter``
(``data/taxonomy/rules.json``); the agreement test compares candidate sets without them.
They rank by distance only (no score, no reasons, no plan): less work than the engine.

The rows are exported from the engine's fitted table (the same partners, the same
normalised zones, freins including the inferred ones), so both sides answer from the
same data.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.eligibility import AGE_PUBLICS, implied_publics
from recommender.geoindex import COMMUNES, DEPARTEMENT, EPCI, FRANCE, RAYON, REGION

from .stats import percentile

if TYPE_CHECKING:
    import psycopg
    from flask import Flask

    from recommender.engine import Recommender
    from recommender.geoindex import PartnerTable
    from recommender.profile import Profile
    from recommender.types import GazetteerLike

ROOT = Path(__file__).resolve().parent.parent
DEBIAN_PACKAGE = "postgresql-15-postgis-3"
LIMIT = 5

# Zone keys, prefixed by kind: département 84 (Vaucluse) and région 84 (Auvergne-Rhône-Alpes)
# share a code.
_PREFIX = {DEPARTEMENT: "d:", REGION: "r:", COMMUNES: "c:", EPCI: "c:"}

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS btree_gin;
DROP TABLE IF EXISTS pg_partner, pg_partner_frein;
CREATE TABLE pg_partner (
  id text PRIMARY KEY,
  geog geography(Point, 4326),
  freins text[] NOT NULL,
  exclusive_publics text[] NOT NULL,
  age_min real,
  age_max real,
  zone_kind text NOT NULL,
  zone_keys text[] NOT NULL,
  radius_km double precision,
  departement text
);
"""
INDEXES = """
CREATE INDEX pg_partner_geog ON pg_partner USING gist (geog);
CREATE INDEX pg_partner_freins ON pg_partner USING gin (freins);
CREATE INDEX pg_partner_publics ON pg_partner USING gin (exclusive_publics);
CREATE INDEX pg_partner_zone ON pg_partner USING gin (zone_keys);
CREATE INDEX pg_partner_departement ON pg_partner (departement);
CREATE TABLE pg_partner_frein AS
  SELECT f.frein, p.id, p.geog, p.exclusive_publics, p.age_min, p.age_max, p.zone_kind,
         p.zone_keys, p.radius_km
  FROM pg_partner p CROSS JOIN LATERAL unnest(p.freins) AS f(frein);
CREATE INDEX pg_partner_frein_geog ON pg_partner_frein USING gist (frein, geog);
CREATE INDEX pg_partner_frein_zone ON pg_partner_frein USING gin (frein, zone_keys);
CLUSTER pg_partner_frein USING pg_partner_frein_geog;
ANALYZE pg_partner;
ANALYZE pg_partner_frein;
"""

# Eligibility on age and exclusive publics, as recommender.eligibility.check.
_PERSON = """
  AND (%(age)s::int IS NULL OR ((p.age_min IS NULL OR p.age_min <= %(age)s::int)
                               AND (p.age_max IS NULL OR p.age_max >= %(age)s::int)))
  AND (cardinality(p.exclusive_publics) = 0
       OR p.exclusive_publics && %(publics)s::text[]
       OR (%(age)s::int IS NULL AND p.exclusive_publics && %(age_publics)s::text[])
       OR (%(age)s::int IS NOT NULL AND p.exclusive_publics <@ %(age_publics)s::text[]
           AND (p.age_min IS NOT NULL OR p.age_max IS NOT NULL)))"""
_RAYON = """p.zone_kind = 'rayon'
  AND ST_DWithin(p.geog, pt.g, %(reach_m)s, false)
  AND ST_DWithin(p.geog, pt.g, LEAST(p.radius_km, %(max_km)s::float8) * 1000, false)"""
_ZONE = "p.zone_kind <> 'rayon' AND p.zone_keys && %(keys)s::text[]"


def _query(table: str, frein_filter: str) -> str:
    def branch(where: str) -> str:
        return f"""(SELECT p.id, ST_Distance(p.geog, pt.g, false) / 1000 AS km
     FROM {table} p
     WHERE {frein_filter} AND {where}{_PERSON}
     ORDER BY p.geog <-> pt.g LIMIT {LIMIT})"""

    return f"""
SELECT f.frein, c.id, c.km
FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS g) pt
CROSS JOIN unnest(%(freins)s::text[]) WITH ORDINALITY AS f(frein, n)
CROSS JOIN LATERAL (
  SELECT u.id, u.km FROM (
    {branch(_RAYON)}
    UNION ALL
    {branch(_ZONE)}
  ) u ORDER BY u.km NULLS LAST, u.id LIMIT {LIMIT}
) c
ORDER BY f.n, c.km NULLS LAST, c.id"""


QUERIES = {
    "first": _query("pg_partner", "p.freins @> ARRAY[f.frein]"),
    "tuned": _query("pg_partner_frein", "p.frein = f.frein"),
}

# Every eligible partner of one frein, unranked: the agreement test's candidate set.
CANDIDATES = f"""
SELECT p.id FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS g) pt,
  pg_partner p
WHERE p.freins @> ARRAY[%(frein)s::text] AND (({_RAYON}) OR ({_ZONE})){_PERSON}"""


# --------------------------------------------------------------------------- PostGIS


def postgis_missing() -> str | None:
    """Why PostGIS cannot run here (French), or None when its extension is installed."""
    if not glob.glob("/usr/share/postgresql/*/extension/postgis.control"):
        return f"PostGIS n'est pas installé (paquet Debian {DEBIAN_PACKAGE})"
    return None


def ensure_postgis() -> None:
    """Install Debian's PostGIS package when missing (as root, like ``.ci/run`` does for
    PostgreSQL), else stop with a French message."""
    if postgis_missing() is None:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for cmd in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", DEBIAN_PACKAGE],
        ):
            subprocess.run(cmd, check=False, env=env, capture_output=True)
    reason = postgis_missing()
    if reason:
        raise SystemExit(f"Voie PostGIS impossible : {reason} ; installez-le avec apt-get.")


def zone_keys(kind: int, codes: tuple[str, ...]) -> list[str]:
    """The prefixed keys of a zone-wide partner's codes (``rayon``: none).

    >>> zone_keys(DEPARTEMENT, ("60",)), zone_keys(FRANCE, ()), zone_keys(RAYON, ())
    (['d:60'], ['f'], [])
    """
    if kind == FRANCE:
        return ["f"]
    prefix = _PREFIX.get(kind)
    return [prefix + code for code in codes] if prefix else []


def _rows(table: PartnerTable) -> Iterator[tuple[Any, ...]]:
    from recommender.records import ZONE_KINDS

    addresses = table.weights() > 0
    servable = np.flatnonzero(table.active & table.recommendable & addresses.any(axis=1))
    for i in servable.tolist():
        kind = int(table.zone_kind[i])
        point = (
            f"SRID=4326;POINT({float(table.lon[i])!r} {float(table.lat[i])!r})"
            if table.has_point[i]
            else None
        )
        amin, amax = float(table.age_min[i]), float(table.age_max[i])
        yield (
            table.ids[i],
            point,
            [table.freins[f] for f in np.flatnonzero(addresses[i]).tolist()],
            table.publics_of(int(table.exclusive_mask[i])),
            None if np.isnan(amin) else amin,
            None if np.isnan(amax) else amax,
            ZONE_KINDS[kind],
            zone_keys(kind, table.zone_codes[i]),
            float(table.radius[i]) if kind == RAYON else None,
        )


def load(conn: psycopg.Connection, table: PartnerTable) -> dict[str, Any]:
    """Create both PostGIS tables from the engine's table (département from the app's
    ``partner`` table of the same database), with their indexes."""
    started = time.perf_counter()
    conn.execute(SCHEMA)
    n = 0
    with conn.cursor().copy(
        "COPY pg_partner (id, geog, freins, exclusive_publics, age_min, age_max, zone_kind,"
        " zone_keys, radius_km) FROM STDIN"
    ) as copy:
        for row in _rows(table):
            copy.write_row(row)
            n += 1
    conn.execute(
        "UPDATE pg_partner p SET departement = partner.departement FROM partner"
        " WHERE partner.id = p.id"
    )
    copied = time.perf_counter() - started
    conn.execute(INDEXES)
    conn.commit()
    pair_rows = conn.execute("SELECT count(*) FROM pg_partner_frein").fetchone()[0]
    return {
        "partners": n,
        "partner_frein_rows": pair_rows,
        "copy_s": round(copied, 2),
        "indexes_s": round(time.perf_counter() - started - copied, 2),
    }


def person(
    profile: Profile, gazetteer: GazetteerLike, max_km_default: float | None, largest_km: float
) -> dict:
    """The query parameters of a profile: what ``make_context`` computes for the engine."""
    loc = profile.location
    keys = ["f"]
    if loc.departement:
        keys.append("d:" + loc.departement)
    if loc.region:
        keys.append("r:" + loc.region)
    if loc.code_insee:
        keys.append("c:" + loc.code_insee)
        try:
            parent = getattr(gazetteer.get(loc.code_insee), "parent", None)
        except (KeyError, LookupError):
            parent = None
        if parent:
            keys.append("c:" + parent)
    publics = list(profile.publics) + [
        p for p in implied_publics(profile.age, profile.freins) if p not in profile.publics
    ]
    max_km = profile.max_km if profile.max_km is not None else max_km_default
    return {
        "lat": loc.lat,
        "lon": loc.lon,
        "freins": list(profile.freins),
        "age": profile.age,
        "publics": publics,
        "age_publics": list(AGE_PUBLICS),
        "keys": keys,
        "max_km": max_km,
        "reach_m": 1000.0 * (largest_km if max_km is None else min(largest_km, max_km)),
    }


def largest_radius_km(conn: psycopg.Connection) -> float:
    """The largest radius of a ``rayon`` partner: the GiST prefilter's distance."""
    return conn.execute(
        "SELECT coalesce(max(radius_km), 0) FROM pg_partner WHERE zone_kind = 'rayon'"
    ).fetchone()[0]


def recommend(
    conn: psycopg.Connection, variant: str, params: dict, *, distances: bool = False
) -> dict[str, list[Any]]:
    """Per frein, the ids (or the distances, metre-rounded) of the ``LIMIT`` nearest
    eligible partners."""
    out: dict[str, list[Any]] = {f: [] for f in params["freins"]}
    for frein, pid, km in conn.execute(QUERIES[variant], params):
        out[frein].append((None if km is None else round(km, 3)) if distances else pid)
    return out


def candidates(conn: psycopg.Connection, params: dict, frein: str) -> set[str]:
    return {r[0] for r in conn.execute(CANDIDATES, {**params, "frein": frein})}


def engine_candidates(recommender: Recommender, profile: Profile, frein: str) -> set[str]:
    """The engine's eligible partners for one frein, situation rules aside."""
    from recommender.eligibility import check

    table = recommender.table_
    f = table.frein_index(frein)
    ctx = recommender._context(profile)
    rows = np.flatnonzero(table.weights(frein=f) > 0)
    c = check(table, ctx, rows, f)
    ok = (
        c.active
        & c.recommendable
        & c.addresses
        & c.zone_ok
        & c.age_ok
        & c.public_ok
        & ~(c.too_far & ~c.competent)
    )
    return {table.ids[r] for r in c.rows[ok].tolist()}


@contextmanager
def postgis_database(name: str) -> Iterator[str]:
    """A throwaway cluster (``tests/support/pgcluster.py``) with one database: its URL."""
    sys.path.insert(0, str(ROOT))
    from tests.support.pgcluster import PostgresCluster

    cluster = PostgresCluster().start()
    try:
        yield cluster.create_database(name)
    finally:
        cluster.stop()


def connect(url: str) -> psycopg.Connection:
    import psycopg

    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    conn.execute("SET jit = off")  # the tuned lane's setting; short queries never gain from JIT
    return conn


# --------------------------------------------------------------------------- the race


def _summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "median_ms": round(percentile(samples, 50), 3),
        "p95_ms": round(percentile(samples, 95), 3),
        "p99_ms": round(percentile(samples, 99), 3),
    }


def race(lanes: dict[str, Callable[[int], Any]], n: int, *, warmup: int, every: dict) -> dict:
    """Time each lane once per input ``i``, in an order rotated per input (interleaved:
    the machine's load hits every lane alike). ``every[lane] = k`` times that lane on one
    input in ``k`` only (plain SQL is three orders of magnitude slower)."""
    names = list(lanes)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i in range(-warmup, n):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            if i >= 0 and i % every.get(name, 1):
                continue
            started = time.perf_counter_ns()
            lanes[name](i % n)
            if i >= 0:
                samples[name].append((time.perf_counter_ns() - started) / 1e6)
    return {name: _summary(values) for name, values in samples.items()}


def build_engine(url: str, size: int, seed: int, workdir: Path) -> tuple[Flask, Recommender, dict]:
    """Fill the database with ``size`` synthetic partners and fit the engine on it."""
    from app import create_app, db
    from app.db import get_session
    from app.index.version import data_version
    from bench.generate import write_partners

    os.environ["RELAIS_INSTANCE_PATH"] = str(workdir / "instance")
    app = create_app(
        {"DATABASE_URL": url, "INDEX_DIR": str(workdir / "index"), "SECRET_KEY": "bench"}
    )
    engine = app.extensions["relais.engine"]
    db.upgrade(engine)
    with engine.begin() as conn:
        info = {"generation": write_partners(conn, size, seed, replace=True)}
    holder = app.extensions["relais.index"]
    with app.app_context():
        session = get_session()
        started = time.perf_counter()
        state = holder.build(session, data_version(session), refit=True)
        holder.state, holder.checked_at = state, time.monotonic()
        info["engine_build_s"] = round(time.perf_counter() - started, 2)
    return app, state.recommender, info


def run(args: argparse.Namespace) -> dict[str, Any]:
    from werkzeug.datastructures import MultiDict

    from app import services
    from bench import sqlbaseline
    from bench.workload import Workload
    from recommender.geo import default_gazetteer
    from recommender.params import parse_profile
    from recommender.taxonomy import default_taxonomy

    ensure_postgis()
    result: dict[str, Any] = {"size": args.size, "seed": args.seed, "started": time.ctime()}
    with postgis_database("relais_postgis") as url:
        app, recommender, info = build_engine(url, args.size, args.seed, Path(args.workdir))
        result.update(info)
        engine = app.extensions["relais.engine"]
        gazetteer, taxonomy = default_gazetteer(), default_taxonomy()
        pg = connect(url)
        result["load"] = load(pg, recommender.table_)
        result["postgis_version"] = pg.execute("SELECT postgis_lib_version()").fetchone()[0]
        largest = largest_radius_km(pg)

        wl = Workload(args.seed, gazetteer=gazetteer, taxonomy=taxonomy)
        raw = wl.profiles(args.profiles, 3)
        parsed = [parse_profile(MultiDict(p), gazetteer, taxonomy) for p in raw]
        params = [person(p, gazetteer, recommender.max_km_default, largest) for p in parsed]
        statement = sqlbaseline.statements(engine.dialect.name)["json"]
        sql_conn = engine.connect()

        def service(i: int) -> None:
            with app.app_context():
                app.json.dumps(services.recommend(MultiDict(raw[i])))

        lanes = {
            "engine": lambda i: recommender.recommend(parsed[i], limit=LIMIT),
            "engine_rank_only": lambda i: rank_only(recommender, parsed[i]),
            "service": service,
            "plain_sql": lambda i: sqlbaseline.recommend_sql(sql_conn, statement, parsed[i]),
            "postgis_first": lambda i: recommend(pg, "first", params[i]),
            "postgis_tuned": lambda i: recommend(pg, "tuned", params[i]),
        }
        result["latency"] = race(
            lanes, args.profiles, warmup=args.warmup, every={"plain_sql": args.sql_every}
        )
        sql_conn.close()
        result["agreement"] = agreement(recommender, pg, parsed[: args.check], params)
        result["top5_same_first_tuned"] = _same_top(pg, params[: args.check])
        pg.close()
        engine.dispose()
    lat = result["latency"]
    result["ratios"] = {
        f"{lane}_over_{base}_{stat}": round(lat[lane][stat] / lat[base][stat], 2)
        for lane in ("postgis_first", "postgis_tuned", "plain_sql")
        for base in ("engine", "engine_rank_only", "service")
        for stat in ("median_ms", "p95_ms", "p99_ms")
    }
    result["load_average"] = os.getloadavg()
    return result


def agreement(
    recommender: Recommender,
    pg: psycopg.Connection,
    profiles: list[Profile],
    params: list[dict],
) -> dict[str, Any]:
    """Candidate sets before ranking, engine against PostGIS, per (profile, frein)."""
    pairs = same = total = 0
    differences = []
    for profile, p in zip(profiles, params, strict=False):
        for frein in profile.freins:
            pairs += 1
            by_engine = engine_candidates(recommender, profile, frein)
            by_sql = candidates(pg, p, frein)
            total += len(by_engine)
            if by_engine == by_sql:
                same += 1
            elif len(differences) < 5:
                differences.append(
                    {
                        "frein": frein,
                        "commune": profile.location.code_insee,
                        "engine_only": sorted(by_engine - by_sql)[:5],
                        "postgis_only": sorted(by_sql - by_engine)[:5],
                    }
                )
    return {"pairs": pairs, "same": same, "candidates": total, "differences": differences}


def _same_top(pg: psycopg.Connection, params: list[dict]) -> float:
    """Share of requests where both PostGIS queries give the same top 5 distances (sanity;
    partners placed at their commune's centre tie, and either may come first)."""
    same = sum(
        recommend(pg, "first", p, distances=True) == recommend(pg, "tuned", p, distances=True)
        for p in params
    )
    return round(same / max(len(params), 1), 3)


def rank_only(recommender: Recommender, profile: Profile) -> None:
    """The engine's share of the PostGIS query's work: candidates, eligibility and ranking
    per frein, without the reasons, the left-out partners' explanations and the plan
    (private methods of the engine: a bench-only probe)."""
    ctx = recommender._context(profile)
    for code in profile.freins:
        recommender._rank(ctx, recommender.table_.frein_index(code), LIMIT, None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profiles", type=int, default=200, help="Profils de 3 freins.")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--sql-every", type=int, default=5, help="SQL simple : 1 profil sur N.")
    parser.add_argument("--check", type=int, default=30, help="Profils du contrôle d'accord.")
    parser.add_argument("--workdir", default="bench/out/postgis")
    parser.add_argument("--out", default="bench/out/postgis.json")
    args = parser.parse_args(argv)
    result = run(args)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
