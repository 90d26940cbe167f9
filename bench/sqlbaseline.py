"""The same recommendation answered by a straightforward SQL query, for comparison.

One query per frein, as the engine does: active partners that declare the frein (a
``LIKE`` on the JSON text, or ``json_each`` / ``jsonb ?``), eligible by zone
(département, région, commune/EPCI lists; ``rayon`` within its radius) and age, ordered
by the great-circle distance computed in SQL (haversine), ``LIMIT``. No ranking beyond
distance, no explanation: the cheapest honest SQL answer.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

EARTH_KM = 6371.0088
DEFAULT_RADIUS_KM = 30.0

_DISTANCE = (
    f"2 * {EARTH_KM} * asin(sqrt("
    "power(sin(radians(lat - :lat) / 2), 2) + "
    "cos(radians(:lat)) * cos(radians(lat)) * power(sin(radians(lon - :lon) / 2), 2)))"
)


def _filters(dialect: str, variant: str) -> tuple[str, str]:
    """SQL of "declares the frein" and "zone lists contain a code" for a dialect."""
    if dialect == "postgresql":
        if variant == "like":
            return "freins::text LIKE :frein_like", "zone_codes::text LIKE {like}"
        return "freins::jsonb ? :frein", "zone_codes::jsonb ? {code}"
    if variant == "like":
        return "freins LIKE :frein_like", "zone_codes LIKE {like}"
    return (
        "EXISTS (SELECT 1 FROM json_each(partner.freins) WHERE value = :frein)",
        "EXISTS (SELECT 1 FROM json_each(partner.zone_codes) WHERE value = {code})",
    )


def recommendation_sql(dialect: str, variant: str = "like") -> str:
    frein_sql, zone_sql = _filters(dialect, variant)

    def zone(name: str) -> str:
        return zone_sql.format(like=f":{name}_like", code=f":{name}")

    return f"""
SELECT id, dist FROM (
  SELECT id, zone_kind, zone_radius_km, {_DISTANCE} AS dist
  FROM partner
  WHERE status = 'active' AND lat IS NOT NULL AND lon IS NOT NULL
    AND {frein_sql}
    AND (age_min IS NULL OR CAST(:age AS INTEGER) IS NULL OR age_min <= CAST(:age AS INTEGER))
    AND (age_max IS NULL OR CAST(:age AS INTEGER) IS NULL OR age_max >= CAST(:age AS INTEGER))
    AND (zone_kind IN ('rayon', 'france')
         OR (zone_kind = 'departement' AND {zone("dep")})
         OR (zone_kind = 'region' AND {zone("reg")})
         OR (zone_kind = 'communes' AND {zone("insee")})
         OR (zone_kind = 'epci' AND {zone("epci")}))
) AS candidates
WHERE zone_kind <> 'rayon' OR dist <= COALESCE(zone_radius_km, {DEFAULT_RADIUS_KM})
ORDER BY dist, id
LIMIT :limit
"""


def _quoted(code: str | None) -> str:
    return f'%"{code}"%' if code else "%\x00%"  # a pattern nothing matches


def recommend_sql(
    conn: Connection, statement: Any, profile: Any, limit: int = 5
) -> list[list[tuple[str, float]]]:
    """Per frein of ``profile``, the ``limit`` nearest eligible partners (id, km)."""
    loc = profile.location
    base = {
        "lat": loc.lat,
        "lon": loc.lon,
        "age": profile.age,
        "dep": loc.departement or "",
        "reg": loc.region or "",
        "insee": loc.code_insee or "",
        "epci": loc.epci or "",
        "dep_like": _quoted(loc.departement),
        "reg_like": _quoted(loc.region),
        "insee_like": _quoted(loc.code_insee),
        "epci_like": _quoted(loc.epci),
        "limit": limit,
    }
    out = []
    for frein in profile.freins:
        params = {**base, "frein": frein, "frein_like": f'%"{frein}"%'}
        out.append([(r[0], float(r[1])) for r in conn.execute(statement, params)])
    return out


def ensure_math(engine: Engine) -> str:
    """``native`` when the database has SQL math functions, else register Python ones
    (SQLite compiled without them) and say ``python``."""
    with engine.connect() as conn:
        try:
            conn.exec_driver_sql("SELECT sin(1), asin(0.5), radians(1), power(2, 2)").one()
            return "native"
        except Exception:  # any driver error means "missing"
            conn.rollback()
    if engine.dialect.name != "sqlite":
        raise RuntimeError("fonctions mathématiques SQL absentes")

    @event.listens_for(engine, "connect")
    def _register(dbapi_conn, _record):  # pragma: no cover - depends on the SQLite build
        for name, fn in (
            ("sin", math.sin),
            ("cos", math.cos),
            ("asin", math.asin),
            ("sqrt", math.sqrt),
            ("radians", math.radians),
            ("power", math.pow),
        ):
            dbapi_conn.create_function(name, 1 if name != "power" else 2, fn, deterministic=True)

    engine.dispose()
    return "python"


def statements(dialect: str) -> dict[str, Any]:
    return {variant: text(recommendation_sql(dialect, variant)) for variant in ("like", "json")}
