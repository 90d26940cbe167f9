"""« Couverture du territoire » (``/couverture``): for pilots (DREETS, départements, SIAE
networks), where a frein has no reachable partner — summary, map, zones blanches, EPCI,
comparison of the freins, downloads. Nothing about a person: a GET form, cacheable."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from werkzeug.datastructures import MultiDict

from recommender.coverage import DEFAULT_AGE, SEUIL_KM, parse_coverage
from recommender.errors import RelaisError
from recommender.geo import default_gazetteer
from recommender.geo.names import region_names
from recommender.taxonomy import default_taxonomy

from .. import coverage as service
from . import vocab
from .views import bp, field_errors

FIELDS = ("frein", "territoire", "age", "vehicule", "seuil_km", "publics")
# Long enough for every code (« personnes-en-situation-juridique-specifique »).
FIELD_MAX = 100
ZONES_BLANCHES_SHOWN = 50
# Distance classes of the map and the table (upper bound in km; the last: beyond the
# threshold). Each has a pattern as well as a colour, so the map reads without colour.
CLASSES = (
    ("proche", "à moins de 5 km"),
    ("moyen", "de 5 à 10 km"),
    ("loin", "de 10 km au seuil"),
    ("blanche", "au-delà du seuil (zone blanche)"),
    ("aucun", "aucune structure accessible"),
)


def distance_class(distance: float | None, seuil: float) -> str:
    """The map class of a commune's distance.

    >>> distance_class(3.0, 15), distance_class(12.0, 15), distance_class(None, 15)
    ('proche', 'loin', 'aucun')
    """
    if distance is None:
        return "aucun"
    if distance > seuil:
        return "blanche"
    return "proche" if distance < 5 else "moyen" if distance < 10 else "loin"


def _territories() -> dict[str, list[tuple[str, str]]]:
    gazetteer = default_gazetteer()
    present = {c.region for c in gazetteer.communes.values() if c.kind == "commune"}
    return {
        "departements": [
            (f"d:{code}", f"{nom} ({code})") for code, nom in gazetteer.departements()
        ],
        "regions": sorted(
            ((f"r:{code}", nom) for code, nom in region_names().items() if code in present),
            key=lambda item: item[1],
        ),
    }


def _params(form: dict[str, str]) -> MultiDict:
    """The page's fields as the API's parameters (one parser for both)."""
    params = MultiDict({"frein": form["frein"]})
    kind, _, code = form["territoire"].partition(":")
    params["departement" if kind != "r" else "region"] = code
    for name in ("age", "seuil_km", "publics"):
        if form[name]:
            params[name] = form[name]
    params["vehicule"] = "oui" if form["vehicule"] == "oui" else "non"
    return params


def _api_url(params: MultiDict, **extra: str) -> str:
    return url_for("api.couverture", **params.to_dict(), **extra)


@bp.get("/couverture")
def couverture():
    args = request.args
    form = {name: (args.get(name) or "").strip()[:FIELD_MAX] for name in FIELDS}
    form["frein"] = form["frein"] or "mobilite"
    form["territoire"] = form["territoire"] or "d:60"
    form["vehicule"] = "oui" if form["vehicule"] == "oui" else "non"
    errors: list[tuple[str, str]] = []
    body: dict[str, Any] | None = None
    comparison: list[dict[str, object]] = []
    params = _params(form)
    if args:
        try:
            query = parse_coverage(params, default_gazetteer(), default_taxonomy())
            body = dict(service.answer(query))
            comparison = service.compare_freins(query)
        except RelaisError as exc:
            field, _ = field_errors(exc)
            field = "territoire" if field in ("departement", "region") else field
            errors.append((field or "frein", exc.message))
    communes = body["communes"] if body else []
    seuil = body["seuil_km"] if body else SEUIL_KM[form["vehicule"] == "oui"]
    for c in communes:
        c["classe"] = distance_class(c["distance_km"], seuil)
    blanches = sorted(
        (c for c in communes if c["zone_blanche"]), key=lambda c: (-c["population"], c["nom"])
    )
    counts = {code: sum(c["classe"] == code for c in communes) for code, _ in CLASSES}
    return render_template(
        "pages/couverture.html",
        form=form,
        errors=errors,
        body=body,
        communes=communes,
        blanches=blanches[:ZONES_BLANCHES_SHOWN],
        blanches_total=len(blanches),
        comparison=comparison,
        classes=CLASSES,
        counts=counts,
        seuil=seuil,
        default_age=DEFAULT_AGE,
        frein_choices=vocab.freins(),
        public_choices=vocab.publics(),
        territories=_territories(),
        csv_url=_api_url(params, format="csv") if body else None,
        geojson_url=_api_url(params, format="geojson") if body else None,
        link=lambda **changes: url_for("pages.couverture", **{**form, **changes}),
    )
