"""``/widget.js`` for partner sites, and ``/widget``, the same search as a framable page."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, render_template, request, send_from_directory, url_for

from recommender.errors import RelaisError

from .. import services
from ..pages import formatting, vocab
from ..pages.views import suggestions_of

bp = Blueprint("widget", __name__)
bp.record_once(lambda state: formatting.install(state.app))

SCRIPT_MAX_AGE = 3600
MAX_LIMIT = 20


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


def _codes(value: str) -> list[str]:
    return list(dict.fromkeys(c.strip() for c in value.split(",") if c.strip()))[:13]


@bp.get("/widget")
def page():
    args = request.args
    configured = _codes(args.get("freins", "")[:500])
    chosen = (args.get("frein") or "").strip()[:500]
    commune = (args.get("commune") or "").strip()[:200]
    departement = (args.get("departement") or "").strip()[:3]
    try:
        limit = max(1, min(int(args.get("limit", "5")), MAX_LIMIT))
    except ValueError:
        limit = 5
    titre = (args.get("titre") or "Trouver un partenaire près de chez vous").strip()[:120]

    labels = vocab.frein_labels()
    configured = [c for c in configured if c in labels]
    choices = [(c, labels[c]) for c in configured] or list(labels.items())
    frein = chosen if chosen in {c for c, _ in choices} else ",".join(configured)

    result = error = None
    suggestions: list[dict[str, str]] = []
    if commune:
        params = {"commune": commune, "per_page": str(limit)}
        if frein:
            params["frein"] = frein
        try:
            result = services.search_partners(params)
        except RelaisError as exc:
            error = exc.message
            suggestions = suggestions_of(exc)
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
