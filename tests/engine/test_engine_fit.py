"""fit_check and recommend agree, on hand-made pairs and on many random profiles.

The property test compares the engine with a plain-Python oracle of the
eligibility rules, written independently from the vectorised code.
"""

from __future__ import annotations

import copy
import math
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.eligibility import implied_publics
from recommender.engine import Recommender
from recommender.errors import NotFound
from recommender.geo import haversine_km
from recommender.profile import Location, Profile, location_from_commune
from recommender.records import PartnerRecord
from recommender.taxonomy import default_taxonomy
from recommender.text import fold
from tests.support.factories import COMMUNES, FakeGazetteer, make_profile, make_record

TAX = default_taxonomy()
GAZ = FakeGazetteer()
TODAY = date(2026, 1, 1)
FREINS = list(TAX.freins)
TYPES = list(TAX.partner_types)
PUBLICS = [p for p in TAX.publics if p != "tous-publics"]
DEPS = sorted({c.departement for c in COMMUNES})
REGIONS = sorted({c.region for c in COMMUNES})
EPCIS = sorted({c.epci for c in COMMUNES if c.epci})


def test_fit_check_answers_the_contract_keys():
    engine = Recommender(taxonomy=TAX, gazetteer=GAZ).fit([make_record(id="a")])
    fit = engine.fit_check(make_profile(), "a")
    assert set(fit) == {"verdict", "score", "reasons", "blockers", "distance_km", "partner_id"}
    fit = engine.fit_check(make_profile(("justice",)), "a")
    assert set(fit) == {"verdict", "score", "reasons", "blockers", "distance_km", "partner_id"}
    assert fit["verdict"] == "incompatible"


def test_fit_check_unknown_partner_is_not_found():
    engine = Recommender(taxonomy=TAX, gazetteer=GAZ).fit([make_record(id="a")])
    with pytest.raises(NotFound) as caught:
        engine.fit_check(make_profile(), "nope")
    assert caught.value.status == 404
    assert caught.value.message == "Partenaire introuvable : « nope »."


def test_fit_check_matches_recommend_for_the_same_pair():
    partner = make_record(
        id="ml", type_code="mission-locale", freins=("emploi", "mobilite"), lat=49.44, lon=2.1
    )
    engine = Recommender(taxonomy=TAX, gazetteer=GAZ, reference_date=TODAY).fit([partner])
    profile = make_profile(("mobilite", "emploi", "justice"), age=20, vehicule=False)
    answer = engine.recommend(profile)
    fit = engine.fit_check(profile, "ml", details=True)
    emploi = answer["freins"][1]["results"][0]
    assert fit == {
        "partner_id": "ml",
        "distance_km": emploi["distance_km"],
        "freins_traites": ["mobilite", "emploi"],
        "freins_non_traites": ["justice"],
        "verdict": emploi["verdict"],
        "score": emploi["score"],
        "reasons": emploi["reasons"],
        "warnings": emploi["warnings"],
        "blockers": [],
        "frein": "emploi",
    }
    assert fit["verdict"] == "compatible"
    assert fit["reasons"] == [
        "à 0,6 km",
        "mission principale : emploi",
        "public accueilli : jeunes",
    ]


def test_fit_check_without_freins_judges_the_partner_missions():
    partner = make_record(id="fs", type_code="france-service", freins=("numerique",))
    engine = Recommender(taxonomy=TAX, gazetteer=GAZ, reference_date=TODAY).fit([partner])
    profile = Profile(make_profile().location, ())
    fit = engine.fit_check(profile, "fs", details=True)
    assert (fit["verdict"], fit["frein"], fit["freins_traites"]) == (
        "compatible",
        "numerique",
        ["numerique"],
    )


# ---------------------------------------------------------------------- random worlds


def random_partners(seed: int, n: int = 160) -> list[PartnerRecord]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        home = COMMUNES[rng.integers(len(COMMUNES))]
        ptype = TAX.partner_types[TYPES[rng.integers(len(TYPES))]]
        kind = str(rng.choice(["rayon", "rayon", "departement", "region", "communes", "epci",
                               "france", "default"]))  # fmt: skip
        codes: tuple[str, ...] = ()
        radius = None
        if kind == "rayon":
            radius = None if rng.random() < 0.3 else float(rng.uniform(2, 60))
        elif kind == "departement" and rng.random() < 0.8:
            codes = tuple(rng.choice(DEPS, size=rng.integers(1, 3), replace=False))
        elif kind == "region" and rng.random() < 0.8:
            codes = (str(rng.choice(REGIONS)),)
        elif kind == "communes" and rng.random() < 0.8:
            codes = tuple(c.code_insee for c in rng.choice(COMMUNES, size=2, replace=False))
        elif kind == "epci" and rng.random() < 0.8:
            codes = (str(rng.choice(EPCIS)),)
        if kind == "default":
            kind = "rayon"
        pool = list(ptype.freins) or FREINS
        freins = tuple(rng.choice(pool, size=min(len(pool), rng.integers(0, 3)), replace=False))
        inferred = tuple(rng.choice(FREINS, size=rng.integers(0, 2), replace=False))
        no_point = rng.random() < 0.1
        out.append(
            PartnerRecord(
                id=f"r{i}",
                nom=f"Partenaire {i}",
                type_code=ptype.code,
                lat=None if no_point else home.lat + float(rng.normal(0, 0.15)),
                lon=None if no_point else home.lon + float(rng.normal(0, 0.15)),
                coords_exact=bool(rng.random() < 0.7),
                code_insee=None if rng.random() < 0.05 else home.code_insee,
                departement=home.departement,
                region=home.region,
                freins=freins,
                freins_inferred=inferred,
                publics=tuple(rng.choice(PUBLICS, size=rng.integers(0, 2), replace=False)),
                age_min=int(rng.integers(14, 30)) if rng.random() < 0.15 else None,
                age_max=int(rng.integers(20, 70)) if rng.random() < 0.15 else None,
                zone_kind=kind,
                zone_codes=codes,
                zone_radius_km=radius,
                updated_at=TODAY - timedelta(days=int(rng.integers(0, 4000))),
                status="archived" if rng.random() < 0.1 else "active",
            )
        )
    return out


def oracle_blocked(record: PartnerRecord, profile: Profile, frein: str) -> bool:
    """The eligibility rules, one partner at a time, in plain Python."""
    ptype = TAX.partner_types.get(record.type_code)
    loc = profile.location
    if record.status != "active" or (ptype is not None and not ptype.recommendable):
        return True
    declared = record.freins or (() if record.freins_inferred or ptype is None else ptype.freins)
    if frein not in declared and frein not in record.freins_inferred:
        return True
    publics = set(profile.publics) | set(implied_publics(profile.age, profile.freins))
    for rule in TAX.rules:  # data/taxonomy/rules.json: "ecarter" unless a public saves
        if (
            rule.effect == "ecarter"
            and frein in rule.freins
            and rule.concerns(record.type_code, fold(record.nom))
            and not set(rule.sauf_publics) & publics
        ):
            return True
    home = GAZ.get(record.code_insee) if record.code_insee else None
    lat, lon = record.lat, record.lon
    if lat is None and home is not None:
        lat, lon = home.lat, home.lon
    distance = None
    if lat is not None:
        distance = float(haversine_km(loc.lat, loc.lon, np.array([lat]), np.array([lon]))[0])
    kind, codes, radius = record.zone_kind, record.zone_codes, record.zone_radius_km
    if kind == "rayon" and radius is None and ptype is not None and ptype.zone_kind != "rayon":
        kind = ptype.zone_kind
    if kind == "departement" and not codes:
        codes = (record.departement,)
    if kind == "region" and not codes:
        codes = (record.region,)
    if kind == "communes" and not codes:
        codes = (record.code_insee,) if record.code_insee else ()
    if kind == "epci":
        epcis = codes or ((home.epci,) if home is not None and home.epci else ())
        codes = tuple(c.code_insee for c in COMMUNES if c.epci in epcis)
    if kind != "france" and kind != "rayon" and not codes:
        kind = "rayon"
    competent = False
    if kind == "rayon":
        if radius is None:
            radius = ptype.zone_radius_km if ptype and ptype.zone_kind == "rayon" else None
        radius = radius or 30.0
        if distance is None or distance > radius:
            return True
    elif kind == "france":
        competent = True
    else:
        place = {"departement": loc.departement, "region": loc.region}.get(kind, loc.code_insee)
        if place is None or place not in codes:
            return True
        competent = True
    too_far = profile.max_km is not None and distance is not None and distance > profile.max_km
    if too_far and not competent:
        return True
    amin = record.age_min if record.age_min is not None else (ptype.age_min if ptype else None)
    amax = record.age_max if record.age_max is not None else (ptype.age_max if ptype else None)
    age = profile.age
    if age is not None and ((amin is not None and age < amin) or (amax is not None and age > amax)):
        return True
    if ptype is not None and ptype.publics_exclusive:
        exclusive = set(ptype.publics or record.publics) - {"tous-publics"}
        person = set(profile.publics)
        if age is not None and 16 <= age <= 25:
            person.add("jeunes")
        if age is not None and age >= 60:
            person.add("seniors")
        if "justice" in profile.freins:
            person.add("personnes-en-situation-juridique-specifique")
        if exclusive and not exclusive & person:
            by_age = exclusive <= {"jeunes", "seniors"}
            if age is None and exclusive & {"jeunes", "seniors"}:
                return False
            if not (by_age and age is not None and (amin is not None or amax is not None)):
                return True
    return False


locations = st.one_of(
    st.sampled_from([location_from_commune(c) for c in COMMUNES]),
    st.builds(
        lambda lat, lon: Location(None, None, None, None, None, lat, lon),
        st.floats(-60, 60),
        st.floats(-70, 60),
    ),
)
profiles = st.builds(
    Profile,
    location=locations,
    freins=st.lists(st.sampled_from(FREINS), min_size=1, max_size=4, unique=True).map(tuple),
    age=st.one_of(st.none(), st.integers(0, 100)),
    publics=st.lists(st.sampled_from(PUBLICS), max_size=2, unique=True).map(tuple),
    vehicule=st.one_of(st.none(), st.booleans()),
    max_km=st.one_of(st.none(), st.floats(1, 120)),
)

_ENGINES: dict[int, tuple[Recommender, dict[str, PartnerRecord]]] = {}


def engine_for(seed: int) -> tuple[Recommender, dict[str, PartnerRecord]]:
    if seed not in _ENGINES:
        records = random_partners(seed)
        engine = Recommender(taxonomy=TAX, gazetteer=GAZ, reference_date=TODAY, candidate_k=8)
        _ENGINES[seed] = (engine.fit(records), {r.id: r for r in records})
    return _ENGINES[seed]


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(seed=st.integers(0, 5), profile=profiles)
def test_recommendations_are_eligible_and_fit_agrees(seed, profile):
    engine, records = engine_for(seed)
    answer = engine.recommend(profile, limit=50)
    for item in answer["freins"]:
        frein = item["frein"]
        got = [r["partner_id"] for r in item["results"]]
        expected = {pid for pid, rec in records.items() if not oracle_blocked(rec, profile, frein)}
        assert set(got) <= expected  # never an ineligible partner
        if len(expected) <= 50:
            assert set(got) == expected  # and none missed by the candidate retrieval
        for result in item["results"]:
            assert 0.0 <= result["score"] <= 1.0
            fit = engine.fit_check(profile, result["partner_id"], frein=frein, details=True)
            assert (fit["verdict"], fit["score"], fit["reasons"], fit["warnings"]) == (
                result["verdict"],
                result["score"],
                result["reasons"],
                result["warnings"],
            )
            assert engine.fit_check(profile, result["partner_id"])["verdict"] != "incompatible"
        scores = [r["score"] for r in item["results"]]
        assert scores == sorted(scores, reverse=True)
    for pid, freins in answer["plan"]["covers"].items():
        for frein in freins:
            proposed = next(f for f in answer["freins"] if f["frein"] == frein)["results"]
            assert pid in [r["partner_id"] for r in proposed]
    assert set(answer["plan"]["uncovered"]) == {
        f["frein"] for f in answer["freins"] if not f["results"]
    }
    for result in (r for f in answer["freins"] for r in f["results"]):
        d = result["distance_km"]
        assert d is None or (d >= 0 and not math.isnan(d))


def test_widening_to_the_bound_finds_what_looking_at_every_partner_finds():
    """The search stops widening at the distance where no farther partner could outscore
    the limit-th result: fetching every partner there instead changes no result. Dense
    random partners, so that the search does stop there (counted), over every commune,
    frein and a few situations."""
    engine = Recommender(taxonomy=TAX, gazetteer=GAZ, reference_date=TODAY, candidate_k=8)
    engine.fit(random_partners(7, n=600))
    stopped = []
    bounded = copy.copy(engine)
    bounded.index_ = copy.copy(engine.index_)
    bounded.index_.within = lambda *args: stopped.append(args) or engine.index_.within(*args)
    everything = copy.copy(engine)
    everything.index_ = copy.copy(engine.index_)
    everything.index_.within = lambda f, lat, lon, km: engine.index_.tree_rows(f)
    for commune in COMMUNES:
        for frein in FREINS:
            for situation in ({}, {"age": 19, "vehicule": False}, {"age": 45, "vehicule": True}):
                profile = Profile(location_from_commune(commune), (frein,), **situation)
                for limit in (1, 5):
                    got = bounded.recommend(profile, limit=limit)["freins"][0]["results"]
                    full = everything.recommend(profile, limit=limit)["freins"][0]["results"]
                    assert got == full, (commune.code_insee, frein, situation, limit)
    assert stopped  # the bounded widening did run (29 times with these partners)


def test_a_main_mission_partner_beyond_the_first_candidates_is_found():
    """Thirty maisons de l'emploi within 3 km (mobilité is a secondary mission for them)
    and an auto-école sociale 8 km away: the search widens past the nearest ones to the
    distance where a main-mission partner could still outscore them, and finds it."""
    near = [
        make_record(type_code="maison-de-l-emploi", freins=("emploi", "mobilite"),
                    lat=49.4303 + 0.001 * i, zone_radius_km=50)
        for i in range(30)
    ]  # fmt: skip
    school = make_record(
        id="ae", type_code="auto-ecole-sociale", freins=("mobilite",), lat=49.5023,
        zone_radius_km=50,
    )  # fmt: skip
    engine = Recommender(taxonomy=TAX, gazetteer=GAZ, reference_date=TODAY, candidate_k=8)
    results = engine.fit([*near, school]).recommend(make_profile(freins=("mobilite",)))
    first = results["freins"][0]["results"][0]
    assert first["partner_id"] == "ae" and 7 < first["distance_km"] < 9


def test_fit_check_for_one_frein_and_unknown_frein():
    from recommender.errors import UnknownFrein

    partner = make_record(id="fs", type_code="france-service", freins=("numerique",))
    engine = Recommender(taxonomy=TAX, gazetteer=GAZ, reference_date=TODAY).fit([partner])
    profile = make_profile(("numerique", "justice"))
    assert engine.fit_check(profile, "fs", frein="justice")["verdict"] == "incompatible"
    assert engine.fit_check(profile, "fs", frein="numerique")["verdict"] == "compatible"
    with pytest.raises(UnknownFrein):
        engine.fit_check(profile, "fs", frein="velo")
