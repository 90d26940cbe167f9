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

from .compiled import compiled
from .geo import haversine_km
from .geo.names import departement_phrase, region_name
from .geoindex import DEPARTEMENT, EPCI, FRANCE, RAYON, REGION, GeoIndex, PartnerTable
from .rules import active_rules
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
        commune = commune_or_none(gazetteer, loc.code_insee)
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


def commune_or_none(gazetteer: GazetteerLike, code: str) -> CommuneLike | None:
    try:
        return gazetteer.get(code)
    except (KeyError, LookupError):
        return None


# The flags of :class:`Checks`, in the order of the rows of ``Checks.flags``.
FLAGS = (
    "active",
    "recommendable",
    "addresses",
    "zone_ok",
    "competent",
    "age_ok",
    "age_unknown",
    "public_ok",
    "public_unknown",
    "public_by_age",
    "too_far",
    "far_but_competent",
    "eligible",
)
_N_FLAGS = len(FLAGS)


class Checks:
    """Every rule for an array of candidate ``rows``: ``distance`` (km, NaN without a
    point), ``rule_block`` (the first ``ecarter`` rule holding, -1: none) and one boolean
    per rule of :data:`FLAGS` (``checks.zone_ok``…), all aligned on ``rows``.

    The booleans are the rows of one ``(len(FLAGS), n)`` array: a subset is one
    fancy index, and a flag is a view (the ranking reads few of them, the explanations
    all)."""

    __slots__ = ("distance", "flags", "frein", "rows", "rule_block")

    def __init__(
        self,
        rows: np.ndarray,
        frein: int,
        distance: np.ndarray,
        rule_block: np.ndarray,
        flags: np.ndarray,
    ):
        self.rows = rows
        self.frein = frein
        self.distance = distance
        self.rule_block = rule_block
        self.flags = flags

    def subset(self, keep: np.ndarray) -> Checks:
        return Checks(
            self.rows[keep],
            self.frein,
            self.distance[keep],
            self.rule_block[keep],
            self.flags[:, keep],
        )

    def join(self, other: Checks) -> Checks:
        """These checks and ``other``'s (same frein), in that order."""
        return Checks(
            np.concatenate([self.rows, other.rows]),
            self.frein,
            np.concatenate([self.distance, other.distance]),
            np.concatenate([self.rule_block, other.rule_block]),
            np.concatenate([self.flags, other.flags], axis=1),
        )


def _flag(position: int) -> property:
    return property(lambda self: self.flags[position])


for _position, _name in enumerate(FLAGS):
    setattr(Checks, _name, _flag(_position))


@compiled
def _rules(
    rows: np.ndarray,
    frein: int,
    distance: np.ndarray,
    person: np.ndarray,
    bits: np.ndarray,
    covered: np.ndarray,
    exclude_rules: np.ndarray,
    has_point: np.ndarray,
    radius: np.ndarray,
    zone_kind: np.ndarray,
    age_min: np.ndarray,
    age_max: np.ndarray,
    exclusive_mask: np.ndarray,
    active: np.ndarray,
    recommendable: np.ndarray,
    mission: np.ndarray,
    mission_weight: np.ndarray,
    rule_rows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled (run through check)
    """The rules of the module docstring for each row, in one compiled pass (a numpy
    expression per rule cost ~50 calls per frein and request). ``person`` is
    ``(age or -1, distance cap)``, ``bits`` ``(publics_bits, age_bits)``; the result is
    ``FLAGS`` by row, and ``rule_block``."""
    n = rows.size
    flags = np.zeros((_N_FLAGS, n), dtype=np.bool_)
    block = np.full(n, -1, dtype=np.int16)
    age, cap = person[0], person[1]
    publics_bits, age_bits = bits[0], bits[1]
    for j in range(n):
        r = rows[j]
        d = distance[j]
        rayon = zone_kind[r] == RAYON
        in_cover = covered[r]
        zone_ok = (has_point[r] and d <= radius[r]) if rayon else in_cover  # NaN: False
        competent = (not rayon) and in_cover
        amin, amax = age_min[r], age_max[r]
        restricted = not (np.isnan(amin) and np.isnan(amax))
        if age < 0:
            age_ok, age_unknown = True, restricted
        else:
            age_ok = (np.isnan(amin) or age >= amin) and (np.isnan(amax) or age <= amax)
            age_unknown = False
        excl = exclusive_mask[r]
        exclusive = excl != 0
        matches = (excl & publics_bits) != 0
        # Exclusive publics defined by age only ("jeunes") are judged by the age range
        # when the partner has one, and cannot be ruled out while the age is unknown.
        age_based = exclusive and (excl & ~age_bits) == 0
        if age < 0:
            soft = exclusive and not matches and (excl & age_bits) != 0
            public_ok = (not exclusive) or matches or soft
        else:
            soft = False
            public_ok = (not exclusive) or matches or (age_based and restricted and age_ok)
        too_far = d > cap  # NaN (no point) compares False
        addresses = mission_weight[mission[r, frein]] > 0
        for k in exclude_rules:
            if rule_rows[r, k]:
                block[j] = k
                break
        flags[0, j] = active[r]
        flags[1, j] = recommendable[r]
        flags[2, j] = addresses
        flags[3, j] = zone_ok
        flags[4, j] = competent
        flags[5, j] = age_ok
        flags[6, j] = age_unknown
        flags[7, j] = public_ok
        flags[8, j] = soft
        flags[9, j] = age_based and restricted
        flags[10, j] = too_far
        flags[11, j] = too_far and competent
        flags[12, j] = (
            active[r]
            and recommendable[r]
            and addresses
            and zone_ok
            and age_ok
            and public_ok
            and not (too_far and not competent)
            and block[j] < 0
        )
    return flags, block


def check(table: PartnerTable, ctx: PersonContext, rows: np.ndarray, frein: int) -> Checks:
    """Evaluate every hard rule for ``rows`` and frein column ``frein`` at once (``ctx.lat``
    and ``ctx.lon`` may be arrays aligned on ``rows``: one place per row)."""
    rows = np.asarray(rows, dtype=np.int64)
    distance = np.asarray(
        haversine_km(ctx.lat, ctx.lon, table.lat[rows], table.lon[rows]), dtype=float
    ).reshape(rows.size)
    person = np.array(
        [-1.0 if ctx.age is None else float(ctx.age), np.inf if ctx.max_km is None else ctx.max_km]
    )
    bits = np.array([ctx.publics_bits, ctx.age_bits], dtype=np.int64)
    flags, rule_block = _rules(
        rows,
        frein,
        distance,
        person,
        bits,
        ctx.covered,
        excluding_rules(table, ctx, frein),
        table.has_point,
        table.radius,
        table.zone_kind,
        table.age_min,
        table.age_max,
        table.exclusive_mask,
        table.active,
        table.recommendable,
        table.mission,
        table.mission_weight,
        table.rule_rows,
    )
    return Checks(rows, frein, distance, rule_block, flags)


def excluding_rules(table: PartnerTable, ctx: PersonContext, frein: int) -> np.ndarray:
    """The ``ecarter`` rules holding for the person and frein, in their order."""
    return np.array([k for k in table.exclude_rules[frein] if ctx.rules_active[k]], dtype=np.int64)


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
        commune = commune_or_none(gazetteer, code) if gazetteer is not None else None
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
    commune = commune_or_none(gazetteer, ctx.communes[0]) if gazetteer is not None else None
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
