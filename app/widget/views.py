"""``/widget.js`` for partner sites, and ``/widget``, the same search as a framable page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from flask import Blueprint, current_app, render_template, request, send_from_directory, url_for
from werkzeug.datastructures import MultiDict

from recommender.errors import RelaisError
from recommender.params import parse_freins, parse_int
from recommender.taxonomy import default_taxonomy

from .. import services
from ..pages import formatting, vocab
from ..pages.views import suggestions_of

bp = Blueprint("widget", __name__)
bp.record_once(lambda state: formatting.install(state.app))

SCRIPT_MAX_AGE = 3600
MAX_LIMIT = 20
T = TypeVar("T")


@bp.app_template_global()
def public_url_for(endpoint: str, **values: object) -> str:
    """A link to Relais from a page framed by another site: ``RELAIS_PUBLIC_URL`` + path, or the
    path alone (the frame's own origin), never built from the request's Host header."""
    return current_app.config["RELAIS_PUBLIC_URL"].rstrip("/") + url_for(endpoint, **values)


@bp.get("/widget.js")
def script():
    static = Path(current_app.static_folder or "")
    response = send_from_directory(
        static, "widget.js", mimetype="application/javascript", max_age=SCRIPT_MAX_AGE
    )
    response.headers["Content-Type"] = "application/javascript; charset=utf-8"
    # Any site may load it; it carries no cookie-bound data.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE}"
    response.headers["Vary"] = "Accept-Encoding"
    return response


@bp.get("/widget")
def page():
    args = request.args
    commune = (args.get("commune") or "").strip()[:200]
    departement = (args.get("departement") or "").strip()[:3]
    titre = (args.get("titre") or "Trouver un partenaire près de chez vous").strip()[:120]
    taxonomy = default_taxonomy()
    errors: list[RelaisError] = []

    def read(parse: Callable[[], T], fallback: T) -> T:
        """The parser's value, or ``fallback`` with its error shown (the widget still works)."""
        try:
            return parse()
        except RelaisError as exc:
            errors.append(exc)
            return fallback

    configured = list(read(lambda: parse_freins(args, taxonomy, names=("freins",)), ()))
    chosen = read(lambda: parse_freins(args, taxonomy, names=("frein",)), ())
    limit = read(lambda: parse_int(args, "limit", default=5, minimum=1, maximum=MAX_LIMIT), 5)
    assert limit is not None

    labels = vocab.frein_labels()
    choices = [(c, labels[c]) for c in configured] or list(labels.items())
    frein = chosen[0] if len(chosen) == 1 and chosen[0] in dict(choices) else ",".join(configured)

    result = None
    suggestions: list[dict[str, str]] = []
    if commune and not errors:
        params = MultiDict({"commune": commune, "per_page": str(limit)})
        if frein:
            params["frein"] = frein
        result = read(lambda: services.search_partners(params), None)
        suggestions = suggestions_of(errors[0]) if errors else []
    error = errors[0].message if errors else None
    return render_template(
        "widget/page.html",
        titre=titre,
        configured=configured,
        choices=choices,
        frein=frein,
        commune=commune,
        departement=departement,
        limit=limit,
        result=result,
        error=error,
        suggestions=suggestions,
    )
