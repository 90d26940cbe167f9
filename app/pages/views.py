"""Public pages, rendered server-side from :mod:`app.services` (they work without JavaScript).

Beneficiary data (orientation form) travels only in POST bodies: it is never put in a URL,
logged or stored.
"""

from __future__ import annotations

import math
import re
from typing import Any

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from recommender.errors import InvalidParameter, MissingParameter, RelaisError, UnknownCommune
from recommender.geo import default_gazetteer
from recommender.params import parse_search, profile_errors
from recommender.taxonomy import default_taxonomy
from recommender.text import fold
from recommender.types import LocationDict

from .. import services
from . import formatting, handover, person_sheet, vocab
from . import report as report_form

bp = Blueprint("pages", __name__)
bp.record_once(lambda state: formatting.install(state.app))

PER_PAGE = 20
RADII = (5, 10, 20, 30, 50, 100)
MAX_KM_CHOICES = (5, 10, 20, 30, 50, 100)
SEARCH_FIELDS = ("q", "commune", "type", "public", "radius_km", "ouvert")
COMMUNE_CODE = re.compile(r"^(\d[\dAB]\d{3})$", re.IGNORECASE)
MAX_REPORT = 2000
MAX_FIELD = 200


# --------------------------------------------------------------------------- helpers


def _split_codes(values: list[str]) -> list[str]:
    codes = [c.strip() for v in values for c in v.split(",")]
    return list(dict.fromkeys(c for c in codes if c))


def field_errors(exc: RelaisError) -> tuple[str | None, dict[str, Any]]:
    """The form field a service error is about (for the error summary links)."""
    param = exc.details.get("parameter") if isinstance(exc.details, dict) else None
    if isinstance(exc, UnknownCommune):
        param = "commune"
    return param, exc.details if isinstance(exc.details, dict) else {}


def suggestions_of(exc: RelaisError) -> list[dict[str, str]]:
    """``[{"label", "value"}]`` from an unknown commune's ``details.suggestions``."""
    out = []
    for s in (exc.details or {}).get("suggestions", []) or []:
        if isinstance(s, dict):
            nom = s.get("nom") or s.get("label") or ""
            dep = s.get("departement") or ""
            cps = s.get("codes_postaux") or []
            value = f"{cps[0]} {nom}" if cps else (s.get("code_insee") or nom)
            out.append({"label": f"{nom} ({dep})" if dep else nom, "value": value})
        elif isinstance(s, str):
            out.append({"label": s, "value": s})
    return out[:8]


def commune_value(c: dict[str, Any]) -> str:
    """How a resolved commune is written back in a field: ``60000 Beauvais``."""
    cps = c.get("codes_postaux") or []
    return f"{cps[0]} {c.get('nom', '')}".strip() if cps else c.get("nom", "")


def pages_window(page: int, last: int) -> list[int | None]:
    """Page numbers to show, ``None`` for a gap.

    >>> pages_window(1, 1)
    [1]
    >>> pages_window(6, 20)
    [1, None, 4, 5, 6, 7, 8, None, 20]
    """
    shown = {1, last, *range(max(1, page - 2), min(last, page + 2) + 1)}
    out: list[int | None] = []
    prev = 0
    for n in sorted(shown):
        if n - prev > 1:
            out.append(None)
        out.append(n)
        prev = n
    return out


def search_reasons(partner: dict, freins: list[str], form: dict, location: dict | None) -> list:
    """Why a search result is shown, in words (the search itself gives no reasons)."""
    labels = vocab.frein_labels()
    reasons = []
    declared = set(partner.get("freins") or [])
    inferred = set(partner.get("freins_deduits") or [])
    for code in freins:
        label = labels.get(code, code)
        if code in declared:
            reasons.append(f"Répond au frein « {label} » (d'après sa source ou son type).")
        elif code in inferred:
            reasons.append(f"Semble répondre au frein « {label} » (déduit de sa description).")
    if location and partner.get("distance_km") is not None:
        where = formatting.distance(partner["distance_km"])
        if where == "sur place":
            where = "au centre"
        reasons.append(f"Situé {where} {formatting.de_commune(location.get('nom'))}.")
    if form.get("q"):
        reasons.append(f"Correspond à votre recherche « {form['q']} ».")
    if form.get("public") and form["public"] in (partner.get("publics") or []):
        label = vocab.public_labels().get(form["public"], form["public"])
        reasons.append(f"Accueille le public « {label} ».")
    if formatting.approximate(partner):
        reasons.append("Position approximative (centre de la commune) : distance indicative.")
    return reasons


def split_alternatives(location: dict[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    """The other communes a typed place could mean, in two groups: ``homonyms`` bear the
    chosen commune's name (the several Sainte-Marie), ``near`` only resemble what was typed
    (a typo, a postal code shared by several communes): they are not homonyms."""
    groups: dict[str, list[dict[str, Any]]] = {"homonyms": [], "near": []}
    if not location:
        return groups
    name = fold(location.get("nom") or "")
    for alt in location.get("alternatives") or []:
        groups["homonyms" if fold(alt.get("nom") or "") == name else "near"].append(alt)
    return groups


def map_points(partners: list[dict]) -> list[dict[str, Any]]:
    points = []
    for p in partners:
        if p.get("lat") is None or p.get("lon") is None:
            continue
        address = " ".join(
            x for x in (p.get("adresse"), p.get("code_postal"), p["commune"].get("nom")) if x
        )
        points.append(
            {
                "id": p["id"],
                "nom": p["nom"],
                "type": p["type"]["label"],
                "adresse": address,
                "distance": formatting.distance(p.get("distance_km")),
                "telephone": p.get("telephone") or "",
                "url": url_for("pages.partner", partner_id=p["id"]),
                "lat": p["lat"],
                "lon": p["lon"],
                "approx": formatting.approximate(p),
            }
        )
    return points


# --------------------------------------------------------------------------- search


@bp.get("/")
def search():
    args = request.args
    form = {name: (args.get(name) or "").strip()[:MAX_FIELD] for name in SEARCH_FIELDS}
    # the parser reads the raw values; the page only fixes the page size
    params = MultiDict(args)
    params.setlist("per_page", [str(PER_PAGE)])
    notes: list[str] = []
    if form["radius_km"] and not form["commune"]:
        params.poplist("radius_km")
        notes.append("La distance maximale n'est utilisée qu'avec une commune.")
    chosen = _split_codes(args.getlist("frein"))
    searched = bool(chosen) or any(form[name] for name in ("q", "commune", "type", "public"))

    query = result = error = None
    error_field = None
    suggestions: list[dict[str, str]] = []
    try:
        query = parse_search(params, default_gazetteer(), default_taxonomy())
        if searched:
            result = services.search(query)
    except RelaisError as exc:
        error = exc.message
        error_field, _ = field_errors(exc)
        suggestions = suggestions_of(exc)
    freins = list(query.freins) if query else chosen
    page = query.page if query else 1

    location = (result or {}).get("location")
    commune_shown = form["commune"]
    if location and COMMUNE_CODE.match(commune_shown):
        commune_shown = commune_value(location)

    last_page = 1
    reasons: dict[str, list[str]] = {}
    if result:
        last_page = max(1, math.ceil(result["total"] / result["per_page"]))
        if freins or location or form["q"]:
            for p in result["results"]:
                reasons[p["id"]] = search_reasons(p, freins, form, location)

    def link(**changes: Any) -> str:
        """This search's URL with some parameters changed (``None`` removes one)."""
        current: dict[str, Any] = {k: v for k, v in form.items() if v}
        if freins:
            current["frein"] = freins
        current.update(changes)
        return url_for("pages.search", **{k: v for k, v in current.items() if v})

    def toggle_frein(code: str) -> str:
        chosen = [f for f in freins if f != code] if code in freins else [*freins, code]
        return link(frein=chosen or None)

    return render_template(
        "pages/search.html",
        form=form,
        freins=freins,
        commune_shown=commune_shown,
        frein_choices=vocab.freins(),
        type_choices=vocab.partner_types(),
        public_choices=vocab.publics(),
        type_labels=vocab.type_labels(),
        frein_labels=vocab.frein_labels(),
        radii=RADII,
        searched=searched,
        result=result,
        location=location,
        alternatives=split_alternatives(location),
        error=error,
        error_field=error_field,
        suggestions=suggestions,
        notes=notes,
        reasons=reasons,
        page=page,
        last_page=last_page,
        pages=pages_window(page, last_page),
        link=link,
        toggle_frein=toggle_frein,
        active_filters=len(freins) + bool(form["type"]),
        points=map_points(result["results"]) if result else [],
    )


# --------------------------------------------------------------------------- orientation

VEHICULE = {"oui": True, "non": False, "nsp": None}
MISSING_MESSAGES = {
    "commune": "Indiquez la commune de la personne.",
    "freins": "Cochez au moins un frein à lever.",
}
RANGE_MESSAGES = {
    "age": "L'âge doit être un nombre entier entre {low} et {high}.",
    "max_km": "La distance maximale doit être un nombre de km supérieur à {low} et au plus {high}.",
}


def read_profile(form: MultiDict) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The orientation form: (values to show back, [(field, error)]) — the parser's errors,
    every field at once."""
    values = {
        "commune": (form.get("commune") or "").strip()[:MAX_FIELD],
        "freins": _split_codes(form.getlist("freins")),
        "age": (form.get("age") or "").strip()[:8],
        "publics": _split_codes(form.getlist("publics")),
        "vehicule": form.get("vehicule") if form.get("vehicule") in VEHICULE else "nsp",
        "max_km": (form.get("max_km") or "").strip()[:8],
        "ouvert": (form.get("ouvert") or "").strip()[:16],
    }
    errors = [form_error(exc) for exc in profile_errors(form, default_taxonomy())]
    return values, errors


def form_error(exc: InvalidParameter) -> tuple[str, str]:
    """A parser error as (field, French message for the form)."""
    field = str(exc.details.get("parameter", "commune"))
    if isinstance(exc, MissingParameter) and field in MISSING_MESSAGES:
        return field, MISSING_MESSAGES[field]
    bounds = exc.details.get("minimum"), exc.details.get("maximum")
    if field in RANGE_MESSAGES and None not in bounds:
        low, high = (f"{b:g}" if isinstance(b, float) else str(b) for b in bounds)
        return field, RANGE_MESSAGES[field].format(low=low, high=high)
    return field, exc.message


def _plan_summary(answer: services.ApiRecommendations) -> str:
    plan = answer.get("plan") or {}
    n_partners = len(plan.get("partners") or [])
    n_freins = len(answer.get("freins") or [])
    covered = n_freins - len(plan.get("uncovered") or [])
    if n_partners == 0:
        return "Aucune structure proposée ne couvre ces freins."
    structures = formatting.plural(n_partners, "structure")
    verb = "couvre" if n_partners == 1 else "couvrent"
    if covered == n_freins:
        what = "le frein" if n_freins == 1 else f"les {n_freins} freins"
    else:
        what = f"{covered} des {n_freins} freins"
    return f"Proposition : {structures} {verb} {what}"


def _recommend(
    form: MultiDict,
) -> tuple[dict[str, Any], list[tuple[str, str]], services.ApiRecommendations | None]:
    """The form's values, its field errors and the recommendations (``None`` on error)."""
    values, errors = read_profile(form)
    if errors:
        return values, errors, None
    try:
        return values, errors, services.recommend(form)
    except RelaisError as exc:
        param, _ = field_errors(exc)
        errors.append((param or "commune", exc.message))
        for s in suggestions_of(exc):
            errors.append(("commune", f"Vouliez-vous dire : {s['label']} ?"))
        return values, errors, None


class _FitStep:
    """The « vérifier une orientation » part of the form: a name to look up, the
    structures it matches, or the verdict on the one chosen."""

    def __init__(self) -> None:
        self.q = ""
        self.choices: list[services.ApiPartnerHit] = []
        self.errors: list[tuple[str, str]] = []
        self.fit: services.ApiFitCheck | None = None

    def run(self, form: MultiDict, near: LocationDict) -> None:
        self.q = (form.get("verifier_q") or "").strip()[:MAX_FIELD]
        partner_id = (form.get("verifier_id") or "").strip()[:64]
        if self.q and not form.get("verifier_choisi"):
            self._look_up(near)
            partner_id = ""
        elif form.get("verifier_choisi"):
            partner_id = form["verifier_choisi"][:64]
        if partner_id:
            self._check(form, partner_id)
        elif not self.choices and not self.errors:
            self.errors.append(
                ("verifier_id", "Choisissez une structure ou recherchez-la par son nom.")
            )

    def _look_up(self, near: LocationDict) -> None:
        """The structures of that name around the person first (the search is local)."""
        try:
            found = services.search_partners(
                {"q": self.q, "per_page": 8, "lat": near["lat"], "lon": near["lon"]}
            )
            self.choices = found["results"]
            if not self.choices:
                self.errors.append(("verifier_q", "Aucune structure ne correspond."))
        except RelaisError as exc:
            self.errors.append(("verifier_q", exc.message))

    def _check(self, form: MultiDict, partner_id: str) -> None:
        try:
            fit_params = form.copy()
            fit_params["partner_id"] = partner_id
            self.fit = services.fit_check(fit_params)
        except RelaisError as exc:
            self.errors.append(("verifier_id", exc.message))


def _proposed(answer: services.ApiRecommendations, plan_ids: list[str]) -> list[dict]:
    """Every partner shown, once, plan first (for the fiche)."""
    seen: dict[str, dict] = {}
    for block in answer["freins"]:
        for r in block["results"]:
            entry = seen.setdefault(
                r["partner"]["id"],
                {
                    "partner": r["partner"],
                    "distance_km": r.get("distance_km"),
                    "verdict": r["verdict"],
                    "freins": [],
                },
            )
            entry["freins"].append(block["label"])
            if r["verdict"] != "compatible":  # the fiche says the least sure of its verdicts
                entry["verdict"] = r["verdict"]
    return sorted(
        seen.values(),
        key=lambda e: plan_ids.index(e["partner"]["id"]) if e["partner"]["id"] in plan_ids else 999,
    )


def _liaison_data(values: dict[str, Any], proposed: list[dict]) -> dict[str, Any]:
    """What the browser needs to write the fiche de liaison (the partners shown, the freins
    chosen): it is already on the page; the letter itself never comes back to the server."""
    labels = vocab.frein_labels()
    return {
        "partenaires": [handover.sheet_facts(e["partner"]) for e in proposed],
        "freins": [{"code": code, "label": labels.get(code, code)} for code in values["freins"]],
    }


@bp.route("/orientation", methods=["GET", "POST"])
def orientation():
    values: dict[str, Any] = {
        "commune": "",
        "freins": [],
        "age": "",
        "publics": [],
        "vehicule": "nsp",
        "max_km": "",
    }
    errors: list[tuple[str, str]] = []
    answer = None
    step = _FitStep()
    if request.method == "POST":
        values, errors, answer = _recommend(request.form)
        if answer is not None and request.form.get("action") == "verifier":
            step.run(request.form, answer["location"])
    plan_ids = list((answer.get("plan") or {}).get("partners") or []) if answer else []
    proposed = _proposed(answer, plan_ids) if answer else []
    response = render_template(
        "pages/orientation.html",
        values=values,
        errors=errors,
        answer=answer,
        plan_summary=_plan_summary(answer) if answer else "",
        plan_ids=plan_ids,
        alternatives=split_alternatives(answer["location"] if answer else None),
        proposed=proposed,
        fit=step.fit,
        fit_q=step.q,
        fit_choices=step.choices,
        fit_errors=step.errors,
        frein_choices=vocab.freins(),
        frein_labels=vocab.frein_labels(),
        public_choices=vocab.publics(),
        max_km_choices=MAX_KM_CHOICES,
        today=formatting.today(),
        liaison=_liaison_data(values, proposed) if answer else None,
    )
    # The answer describes a person: keep it out of every cache.
    return response, 200, {"Cache-Control": "no-store"}


# --------------------------------------------------------------------------- partner page


def _partner_page(partner_id: str, report: dict[str, str], errors: list, sent: bool = False):
    data = services.get_partner(partner_id)
    row = services.get_partner_row(partner_id)
    return render_template(
        "pages/partner.html",
        p=data,
        row=row,
        sources=row.sources,
        fresh=formatting.freshness(data),
        frein_labels=vocab.frein_labels(),
        public_labels=vocab.public_labels(),
        report=report,
        report_errors=errors,
        report_sent=sent,
        report_token=report_form.form_token(row.id),
        points=map_points([data]),
    )


@bp.get("/partenaires/<partner_id>")
def partner(partner_id: str):
    sent = request.args.get("signalement") == "envoye"
    return _partner_page(partner_id, {"message": "", "contact": ""}, [], sent)


@bp.post("/partenaires/<partner_id>/signaler")
def report_error(partner_id: str):
    """Record a report, then 303 to the page showing its confirmation (no session, no flash).

    A double submit gets the same answer and records nothing more.
    """
    row = services.get_partner_row(partner_id)
    report_form.check_csrf(row.id)
    message = (request.form.get("message") or "").strip()
    contact = (request.form.get("contact") or "").strip()
    errors = []
    if len(message) < 5:
        errors.append(("message", "Décrivez l'erreur constatée (au moins 5 caractères)."))
    if len(message) > MAX_REPORT:
        errors.append(("message", f"Le message ne doit pas dépasser {MAX_REPORT} caractères."))
    if len(contact) > MAX_FIELD:
        errors.append(("contact", f"Le contact ne doit pas dépasser {MAX_FIELD} caractères."))
    if errors:
        kept = {"message": message[: MAX_REPORT * 2], "contact": contact[:MAX_FIELD]}
        return _partner_page(partner_id, kept, errors), 400
    report_form.check_rate_limit()
    if report_form.record(row.id, message, contact):
        current_app.logger.info("Signalement reçu pour le partenaire %s", row.id)
    return redirect(
        url_for(
            "pages.partner", partner_id=row.id, signalement="envoye", _anchor="signalement-envoye"
        ),
        303,
    )


@bp.get("/partenaires/<partner_id>/fiche")
def person_fiche(partner_id: str):
    """The fiche the person takes away, in French beside their language: the partner's public
    record only (nothing about the person reaches this page)."""
    language = person_sheet.language_of(request.args.get("langue"))
    data = services.get_partner(partner_id)
    return render_template("pages/person_fiche.html", **person_sheet.context(data, language))


@bp.get("/carnet")
def carnet():
    """« Mes partenaires »: drawn by the browser from its own storage, nothing on the server."""
    return render_template("pages/carnet.html")


@bp.get("/partenaires/")
def partners_index():
    return redirect(url_for("pages.search"))


@bp.get("/a-propos")
def about():
    contact = (current_app.config.get("RELAIS_CONTACT_EMAIL") or "").strip()
    return render_template("pages/about.html", contact_email=contact)
