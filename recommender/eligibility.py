"""Hard filters: may this person be received by this partner at all?

One vectorised pass (:func:`check`) computes every rule for an array of
candidate rows; :func:`blockers` and :func:`eligibility_warnings` turn one
row's flags into French sentences. ``recommend`` and ``fit_check`` both go
through here, so they cannot disagree on a pair.

Rules
-----
- archived partners are out;
- zone: ``departement`` / ``region`` / ``communes`` / ``epci`` zones serve only
  their code lists (a départemental SPIP serves its own département even when
  another département's office is nearer); ``rayon`` is the only zone read
  from the distance; ``france`` serves everyone;
- age range (a mission locale receives 16–25 year olds); an unknown age does
  not exclude but warns;
- exclusive publics: a type marked ``publics_exclusive`` receives only its
  publics; publics implied by the age or by the freins count;
- ``max_km`` is a hard cap, except for zone-wide services whose competence
  covers the person: they stay, with a warning;
- rules by situation (``data/taxonomy/rules.json``, :mod:`recommender.rules`)
  of effect ``ecarter``: a PMI for an adult alone, a SPIP for someone who is not
  under a justice measure…; their French ``raison`` is the blocker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .geo import haversine_km
from .geo.names import departement_phrase, region_name
from .geoindex import DEPARTEMENT, EPCI, FRANCE, RAYON, REGION, GeoIndex, PartnerTable
from .rules import EXCLUDE, active_rules
from .types import CommuneLike, GazetteerLike

if TYPE_CHECKING:
    from .profile import Profile

# Publics a person belongs to without saying so.
YOUTH_AGES = (16, 25)
SENIOR_AGE = 60
AGE_PUBLICS = ("jeunes", "seniors")
# A person asking for childcare has children. (The "justice" frein implies nothing: it is
# also access to law; being under a justice measure is a public the person states.)
FREIN_PUBLICS = {"garde-enfants": ("familles",)}


@dataclass(frozen=True)
class PersonContext:
    """What the rules need about the person, computed once per request."""

    lat: float
    lon: float
    departement: str | None
    region: str | None
    communes: tuple[str, ...]
    age: int | None
    publics: tuple[str, ...]
    publics_bits: int
    age_bits: int
    vehicule: bool | None
    max_km: float | None
    covering: np.ndarray
    covered: np.ndarray
    rules_active: np.ndarray


def implied_publics(age: int | None, freins: tuple[str, ...]) -> tuple[str, ...]:
    """Publics a profile belongs to from its age and freins.

    >>> implied_publics(19, ("justice", "garde-enfants"))
    ('jeunes', 'familles')
    """
    out: list[str] = []
    if age is not None and YOUTH_AGES[0] <= age <= YOUTH_AGES[1]:
        out.append("jeunes")
    if age is not None and age >= SENIOR_AGE:
        out.append("seniors")
    for frein in freins:
        out.extend(p for p in FREIN_PUBLICS.get(frein, ()) if p not in out)
    return tuple(out)


def make_context(
    profile: Profile,
    table: PartnerTable,
    index: GeoIndex,
    gazetteer: GazetteerLike,
    *,
    max_km_default: float | None,
) -> PersonContext:
    loc = profile.location
    communes: list[str] = []
    if loc.code_insee:
        communes.append(loc.code_insee)
        commune = _safe_get(gazetteer, loc.code_insee)
        parent = getattr(commune, "parent", None) if commune is not None else None
        if parent and parent not in communes:
            communes.append(parent)
    publics = tuple(profile.publics) + tuple(
        p for p in implied_publics(profile.age, profile.freins) if p not in profile.publics
    )
    covering = index.covering(departement=loc.departement, region=loc.region, communes=communes)
    covered = np.zeros(len(table), dtype=bool)
    covered[covering] = True
    max_km = profile.max_km if profile.max_km is not None else max_km_default
    return PersonContext(
        lat=loc.lat,
        lon=loc.lon,
        departement=loc.departement,
        region=loc.region,
        communes=tuple(communes),
        age=profile.age,
        publics=publics,
        publics_bits=table.publics_bits(publics),
        age_bits=table.publics_bits(AGE_PUBLICS),
        vehicule=profile.vehicule,
        max_km=max_km,
        covering=covering,
        covered=covered,
        rules_active=active_rules(table.rules, publics),
    )


def _safe_get(gazetteer: GazetteerLike, code: str) -> CommuneLike | None:
    try:
        return gazetteer.get(code)
    except (KeyError, LookupError):
        return None


@dataclass
class Checks:
    """Every rule for an array of candidate ``rows`` (all arrays aligned on ``rows``)."""

    rows: np.ndarray
    frein: int
    distance: np.ndarray
    active: np.ndarray
    recommendable: np.ndarray
    addresses: np.ndarray
    zone_ok: np.ndarray
    competent: np.ndarray
    age_ok: np.ndarray
    age_unknown: np.ndarray
    public_ok: np.ndarray
    public_unknown: np.ndarray
    public_by_age: np.ndarray
    too_far: np.ndarray
    far_but_competent: np.ndarray
    rule_block: np.ndarray
    eligible: np.ndarray

    def subset(self, keep: np.ndarray) -> Checks:
        values = {
            name: (getattr(self, name)[keep] if name != "frein" else self.frein)
            for name in self.__dataclass_fields__
        }
        return Checks(**values)


def check(table: PartnerTable, ctx: PersonContext, rows: np.ndarray, frein: int) -> Checks:
    """Evaluate every hard rule for ``rows`` and frein column ``frein`` at once."""
    rows = np.asarray(rows, dtype=np.int64)
    distance = haversine_km(ctx.lat, ctx.lon, table.lat[rows], table.lon[rows])
    kind = table.zone_kind[rows]
    has_point = table.has_point[rows]
    in_cover = ctx.covered[rows]
    within_radius = has_point & (distance <= table.radius[rows])  # NaN compares False
    rayon = kind == RAYON
    zone_ok = np.where(rayon, within_radius, in_cover)
    competent = ~rayon & in_cover

    amin, amax = table.age_min[rows], table.age_max[rows]
    restricted = ~(np.isnan(amin) & np.isnan(amax))
    if ctx.age is None:
        age_ok = np.ones(rows.size, dtype=bool)
        age_unknown = restricted
    else:
        age_ok = (np.isnan(amin) | (ctx.age >= amin)) & (np.isnan(amax) | (ctx.age <= amax))
        age_unknown = np.zeros(rows.size, dtype=bool)

    excl = table.exclusive_mask[rows]
    exclusive = excl != 0
    matches = (excl & ctx.publics_bits) != 0
    # Exclusive publics defined by age only ("jeunes") are judged by the age range
    # when the partner has one, and cannot be ruled out while the age is unknown.
    age_based = exclusive & ((excl & ~ctx.age_bits) == 0)
    if ctx.age is None:
        soft = exclusive & ~matches & ((excl & ctx.age_bits) != 0)
        public_ok = ~exclusive | matches | soft
    else:
        soft = np.zeros(rows.size, dtype=bool)
        public_ok = ~exclusive | matches | (age_based & restricted & age_ok)
    public_by_age = age_based & restricted

    cap = np.inf if ctx.max_km is None else ctx.max_km
    too_far = distance > cap  # NaN (no point) compares False
    far_but_competent = too_far & competent

    active = table.active[rows]
    recommendable = table.recommendable[rows]
    addresses = table.weight[rows, frein] > 0
    rule_block = excluding_rule(table, ctx, rows, frein)
    eligible = (
        active
        & recommendable
        & addresses
        & zone_ok
        & age_ok
        & public_ok
        & ~(too_far & ~competent)
        & (rule_block < 0)
    )
    return Checks(
        rows=rows,
        frein=frein,
        distance=distance,
        active=active,
        recommendable=recommendable,
        addresses=addresses,
        zone_ok=zone_ok,
        competent=competent,
        age_ok=age_ok,
        age_unknown=age_unknown,
        public_ok=public_ok,
        public_unknown=soft,
        public_by_age=public_by_age,
        too_far=too_far,
        far_but_competent=far_but_competent,
        rule_block=rule_block,
        eligible=eligible,
    )


def excluding_rule(
    table: PartnerTable, ctx: PersonContext, rows: np.ndarray, frein: int
) -> np.ndarray:
    """Per row, the index of the first ``ecarter`` rule holding for it (-1: none)."""
    out = np.full(rows.size, -1, dtype=np.int16)
    code = table.freins[frein]
    for k, rule in enumerate(table.rules):
        if rule.effect != EXCLUDE or not ctx.rules_active[k] or code not in rule.freins:
            continue
        out[(out < 0) & table.rule_rows[rows, k]] = k
    return out


# --------------------------------------------------------------------------- French text


def format_km(value: float) -> str:
    """French formatting of a distance: ``4,2 km``; whole kilometres beyond 100.

    >>> format_km(4.23), format_km(0.04), format_km(123.4)
    ('4,2 km', '0,1 km', '123 km')
    """
    if value >= 100:
        return f"{value:.0f} km"
    return f"{max(value, 0.1):.1f}".replace(".", ",") + " km"


def age_range_text(amin: float, amax: float) -> str:
    """The age range of a partner, in words.

    >>> age_range_text(16, 25), age_range_text(18, float("nan"))
    ('personnes de 16 à 25 ans', 'personnes de 18 ans et plus')
    """
    if not np.isnan(amin) and not np.isnan(amax):
        return f"personnes de {int(amin)} à {int(amax)} ans"
    if not np.isnan(amin):
        return f"personnes de {int(amin)} ans et plus"
    return f"personnes de {int(amax)} ans et moins"


def _listing(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def zone_text(table: PartnerTable, row: int, gazetteer: GazetteerLike | None) -> str:
    """Where a zone-wide partner is competent: ``l'Oise``, ``la région Bretagne``…"""
    kind = int(table.zone_kind[row])
    codes = list(table.zone_codes[row])
    if kind == DEPARTEMENT:
        return _listing([departement_phrase(c, gazetteer) for c in codes[:4]]) + (
            " (et d'autres départements)" if len(codes) > 4 else ""
        )
    if kind == REGION:
        return _listing([f"la région {region_name(c)}" for c in codes[:3]])
    if kind == FRANCE:
        return "toute la France"
    if kind == EPCI:
        return f"son intercommunalité ({len(codes)} communes)"
    names = []
    for code in codes[:3]:
        commune = _safe_get(gazetteer, code) if gazetteer is not None else None
        names.append(getattr(commune, "nom", None) or code)
    more = f" et {len(codes) - 3} autres communes" if len(codes) > 3 else ""
    return _listing(names) + more


def _publics_labels(table: PartnerTable, mask: int, labels: dict[str, str]) -> str:
    return ", ".join(lower_first(labels.get(c, c)) for c in table.publics_of(mask))


def lower_first(text: str) -> str:
    """Lowercase the first letter unless the word is an acronym.

    >>> lower_first("Mobilité"), lower_first("CAF")
    ('mobilité', 'CAF')
    """
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def blockers(
    table: PartnerTable,
    ctx: PersonContext,
    checks: Checks,
    j: int,
    *,
    gazetteer: GazetteerLike | None = None,
    type_label: str = "",
    public_labels: dict[str, str] | None = None,
) -> list[str]:
    """French reasons why row ``checks.rows[j]`` cannot receive the person (frein aside)."""
    row = int(checks.rows[j])
    out: list[str] = []
    if checks.rule_block[j] >= 0:
        out.append(table.rules[int(checks.rule_block[j])].raison)
    if not checks.active[j]:
        out.append("structure archivée : elle n'est plus active")
    if not checks.recommendable[j]:
        out.append(f"type de structure non proposé pour une orientation ({type_label})")
    if not checks.zone_ok[j]:
        kind = int(table.zone_kind[row])
        dist = float(checks.distance[j])
        if kind == RAYON:
            if not table.has_point[row]:
                out.append("adresse inconnue : la zone d'intervention ne peut pas être vérifiée")
            else:
                out.append(
                    f"hors de la zone d'intervention : à {format_km(dist)} "
                    f"pour un rayon de {format_km(float(table.radius[row]))}"
                )
        else:
            where = _person_where(ctx, kind, gazetteer)
            out.append(f"compétent seulement pour {zone_text(table, row, gazetteer)} : {where}")
    if not checks.age_ok[j]:
        out.append(
            f"réservé aux {age_range_text(table.age_min[row], table.age_max[row])} "
            f"(la personne a {ctx.age} ans)"
        )
    by_rule = checks.rule_block[j] >= 0  # its raison already says whom the partner serves
    if (
        not checks.public_ok[j]
        and not by_rule
        and not (checks.public_by_age[j] and not checks.age_ok[j])
    ):
        labels = _publics_labels(table, int(table.exclusive_mask[row]), public_labels or {})
        out.append(f"réservé aux publics : {labels}")
    if checks.too_far[j] and not checks.competent[j]:
        out.append(
            f"à {format_km(float(checks.distance[j]))}, au-delà de la distance maximale "
            f"de {format_km(ctx.max_km or 0.0)}"
        )
    return out


def _person_where(ctx: PersonContext, kind: int, gazetteer: GazetteerLike | None) -> str:
    if not ctx.communes:
        return "la personne réside hors du territoire couvert"
    if kind == DEPARTEMENT:
        return f"la personne réside dans {departement_phrase(ctx.departement, gazetteer)}"
    if kind == REGION:
        return f"la personne réside dans la région {region_name(ctx.region)}"
    commune = _safe_get(gazetteer, ctx.communes[0]) if gazetteer is not None else None
    return f"la personne réside à {getattr(commune, 'nom', None) or ctx.communes[0]}"


def eligibility_warnings(
    table: PartnerTable,
    ctx: PersonContext,
    checks: Checks,
    j: int,
    *,
    public_labels: dict[str, str] | None = None,
) -> list[str]:
    """Warnings of an eligible row that the person's situation leaves open."""
    row = int(checks.rows[j])
    out: list[str] = []
    if checks.age_unknown[j]:
        out.append(
            f"âge à vérifier : réservé aux {age_range_text(table.age_min[row], table.age_max[row])}"
        )
    if checks.public_unknown[j] and not checks.age_unknown[j]:
        labels = _publics_labels(table, int(table.exclusive_mask[row]), public_labels or {})
        out.append(f"public à vérifier : réservé aux publics {labels}")
    if checks.far_but_competent[j]:
        out.append(
            f"à {format_km(float(checks.distance[j]))}, au-delà de la distance maximale de "
            f"{format_km(ctx.max_km or 0.0)}, mais c'est le service compétent pour le secteur"
        )
    return out
