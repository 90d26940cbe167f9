"""Admin pages. Every change writes an :class:`AuditLog` row and refreshes the search indexes."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import func, or_, select, tuple_
from werkzeug.utils import secure_filename

from recommender.errors import NotFound, RelaisError
from recommender.records import ZONE_KINDS

from .. import db, services
from ..engine import store_inferred_freins
from ..importers.dedup import RULE_LABELS
from ..importers.unmerge import UnmergeImpossible, undo_merge
from ..models import (
    AuditLog,
    CorrectionRequest,
    ImportRun,
    MergeDecision,
    Partner,
    PartnerSource,
    User,
    utcnow,
)
from ..pages import formatting, vocab
from ..pages.views import pages_window
from ..text_limits import MAX_LENGTH
from .auth import (
    ROLE_LABELS,
    TooManyAttempts,
    current_scope,
    current_user,
    global_required,
    limiter,
    login_required,
    normalize_email,
    require_edit,
    require_read,
    revoke_sessions,
    start_session,
    verify_password,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.record_once(lambda state: formatting.install(state.app))

PER_PAGE = 50
ZONE_LABELS = {
    "rayon": "Rayon autour de la structure",
    "communes": "Liste de communes",
    "epci": "Intercommunalité (EPCI)",
    "departement": "Département(s)",
    "region": "Région(s)",
    "france": "Toute la France",
}
TEXT_FIELDS = {
    # name: (label, max length, required); the lengths are the imports' too.
    name: (label, MAX_LENGTH[name], name == "nom")
    for name, label in (
        ("nom", "Nom"),
        ("description", "Présentation"),
        ("adresse", "Adresse"),
        ("complement_adresse", "Complément d'adresse"),
        ("code_postal", "Code postal"),
        ("commune_nom", "Commune"),
        ("code_insee", "Code INSEE de la commune"),
        ("telephone", "Téléphone"),
        ("email", "Courriel"),
        ("site_web", "Site web"),
        ("horaires", "Horaires"),
    )
}
AUDIT_LABELS = {
    "partner.edit": "Modification d'un partenaire",
    "partner.verify": "Marqué comme à jour",
    "partner.archive": "Archivage",
    "partner.unarchive": "Désarchivage",
    "import": "Import",
    "import.simulation": "Simulation d'import",
    "correction.treat": "Signalement traité",
    "correction.reopen": "Signalement rouvert",
    "merge.review": "Fusion vérifiée",
    "login": "Connexion",
}


@bp.app_context_processor
def admin_context() -> dict[str, Any]:
    return {"admin_user": current_user, "ROLE_LABELS": ROLE_LABELS, "AUDIT_LABELS": AUDIT_LABELS}


def audit(action: str, target: str = "", changes: dict[str, Any] | None = None) -> None:
    user = current_user()
    db.get_session().add(
        AuditLog(
            user_id=user.id if user else None,
            action=action,
            target=target[:200],
            changes=changes or {},
        )
    )


def data_changed() -> None:
    services.data_changed()


def _safe_next(target: str | None) -> str:
    """Only local admin paths are valid after sign-in: no open redirect, and no control
    character or backslash (a CR/LF cannot go in a ``Location`` header, browsers read
    ``\\`` as ``/``)."""
    if target and target.isprintable() and "\\" not in target:
        parts = urlsplit(target)
        segments = parts.path.split("/")
        if (
            not parts.scheme
            and not parts.netloc
            and (parts.path == "/admin" or parts.path.startswith("/admin/"))
            and ".." not in segments
        ):
            return target
    return url_for("admin.dashboard")


def _stored_filename(name: str) -> str:
    """An uploaded file's name made safe to save: ASCII, and short enough for any file
    system (255 bytes), keeping its extension."""
    name = secure_filename(name)
    suffix = "".join(Path(name).suffixes[-2:])[:16]
    stem = name[: len(name) - len(suffix)] if suffix else name
    return f"{stem[:100]}{suffix}" if stem else ""


def _client_ip() -> str:
    return request.remote_addr or "inconnue"


def _departement_of(code_insee: str) -> str | None:
    if not code_insee:
        return None
    return code_insee[:3] if code_insee.startswith("97") else code_insee[:2]


# --------------------------------------------------------------------------- sign-in


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    errors: list[tuple[str, str]] = []
    email = ""
    if request.method == "POST":
        email = normalize_email(request.form.get("email", ""))
        password = request.form.get("password", "")[:1000]
        ip = _client_ip()
        if limiter().blocked(ip, email):
            raise TooManyAttempts()
        user = db.get_session().scalar(select(User).where(User.email == email)) if email else None
        if email and password and verify_password(user, password):
            limiter().succeeded(ip, email)
            start_session(user)
            flash(f"Vous êtes connecté·e ({user.email}).", "success")
            return redirect(_safe_next(request.args.get("next")), 303)
        limiter().failed(ip, email)
        current_app.logger.warning("Échec de connexion à l'administration depuis %s", ip)
        errors.append(("email", "Adresse électronique ou mot de passe incorrect."))
    status = 401 if errors else 200
    return render_template("admin/login.html", errors=errors, email=email), status


@bp.post("/deconnexion")
def logout():
    user = current_user()
    if user is not None:  # every copy of this account's session cookie stops working
        revoke_sessions(user)
        db.get_session().commit()
    session.clear()
    flash("Vous êtes déconnecté·e.", "success")
    return redirect(url_for("admin.login"), 303)


# --------------------------------------------------------------------------- dashboard


@bp.get("/")
@login_required
def dashboard():
    s = db.get_session()
    scope = current_scope()
    counts = dict(
        s.execute(
            scope.filter(select(Partner.status, func.count(Partner.id))).group_by(Partner.status)
        ).all()
    )
    open_reports = s.scalar(
        scope.filter(
            select(func.count(CorrectionRequest.id))
            .join(Partner, Partner.id == CorrectionRequest.partner_id)
            .where(CorrectionRequest.status == "ouverte")
        )
    )
    merges_to_review = s.scalar(
        scope.filter(
            select(func.count(MergeDecision.id))
            .join(Partner, Partner.id == MergeDecision.partner_id)
            .where(MergeDecision.reviewed.is_(False))
        )
    )
    runs = s.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(5)).all()
    return render_template(
        "admin/dashboard.html",
        active=counts.get("active", 0),
        archived=sum(n for k, n in counts.items() if k != "active"),
        open_reports=open_reports or 0,
        merges_to_review=merges_to_review or 0,
        runs=runs,
    )


# --------------------------------------------------------------------------- partners


@bp.get("/partenaires")
@login_required
def partners():
    q = (request.args.get("q") or "").strip()[:200]
    statut = request.args.get("statut", "active")
    dep = (request.args.get("departement") or "").strip()[:3]
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    query = current_scope().filter(select(Partner))
    if statut in ("active", "archived"):
        query = query.where(Partner.status == statut)
    if dep:
        query = query.where(Partner.departement == dep)
    if q:
        like = f"%{q}%"
        query = query.where(
            or_(Partner.nom.ilike(like), Partner.commune_nom.ilike(like), Partner.id == q)
        )
    s = db.get_session()
    total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = s.scalars(
        query.order_by(Partner.departement, Partner.nom)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "admin/partners.html",
        rows=rows,
        total=total,
        page=page,
        last_page=max(1, math.ceil(total / PER_PAGE)),
        q=q,
        statut=statut,
        departement=dep,
        type_labels=vocab.type_labels(),
    )


def _partner(partner_id: str) -> Partner:
    return services.get_partner_row(partner_id)


def _read_partner_form(row: Partner) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    form = request.form
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for name, (label, max_len, required) in TEXT_FIELDS.items():
        value = (form.get(name) or "").strip()
        if required and not value:
            errors.append((name, f"Le champ « {label} » est obligatoire."))
        if len(value) > max_len:
            errors.append((name, f"« {label} » : {max_len} caractères au maximum."))
        values[name] = value[:max_len]
    if values["code_postal"] and not (
        len(values["code_postal"]) == 5
        and values["code_postal"].isascii()
        and values["code_postal"].isdigit()
    ):
        errors.append(("code_postal", "Le code postal doit compter 5 chiffres."))
    code = values["code_insee"].upper()
    values["code_insee"] = code or None
    if code and not (len(code) == 5 and (code.isdigit() or code[:2] in ("2A", "2B"))):
        errors.append(("code_insee", "Le code INSEE doit compter 5 caractères (ex. 60057, 2A004)."))
    if values["site_web"] and not values["site_web"].startswith(("http://", "https://")):
        errors.append(("site_web", "Le site web doit commencer par http:// ou https://."))
    if values["email"] and ("@" not in values["email"] or " " in values["email"]):
        errors.append(("email", "Le courriel n'est pas valide."))

    types = vocab.type_labels()
    values["type_code"] = form.get("type_code", "")
    if values["type_code"] not in types:
        errors.append(("type_code", "Choisissez un type de structure."))
    freins = vocab.frein_labels()
    values["freins"] = [f for f in dict.fromkeys(form.getlist("freins")) if f in freins]
    publics = vocab.public_labels()
    values["publics"] = [p for p in dict.fromkeys(form.getlist("publics")) if p in publics]
    for name, label in (("age_min", "Âge minimum"), ("age_max", "Âge maximum")):
        raw = (form.get(name) or "").strip()
        if not raw:
            values[name] = None
        elif raw.isascii() and raw.isdigit() and 0 <= int(raw) <= 120:
            values[name] = int(raw)
        else:
            values[name] = raw
            errors.append((name, f"« {label} » doit être un nombre entier de 0 à 120."))
    if (
        isinstance(values.get("age_min"), int)
        and isinstance(values.get("age_max"), int)
        and values["age_min"] > values["age_max"]
    ):
        errors.append(("age_max", "L'âge maximum doit être supérieur à l'âge minimum."))
    values["zone_kind"] = form.get("zone_kind", "")
    if values["zone_kind"] not in ZONE_KINDS:
        errors.append(("zone_kind", "Choisissez le type de territoire couvert."))
    codes = [c.strip().upper() for c in (form.get("zone_codes") or "").replace(";", ",").split(",")]
    values["zone_codes"] = [c for c in dict.fromkeys(codes) if c][:2000]
    raw_radius = (form.get("zone_radius_km") or "").strip().replace(",", ".")
    values["zone_radius_km"] = None
    if raw_radius:
        try:
            radius = float(raw_radius)
            if not 0 < radius <= 1000:
                raise ValueError
            values["zone_radius_km"] = radius
        except ValueError:
            values["zone_radius_km"] = raw_radius
            errors.append(("zone_radius_km", "Le rayon doit être un nombre de km entre 0 et 1000."))

    new_dep = _departement_of(values["code_insee"] or "") or row.departement
    if not current_scope().allows_departement(new_dep):
        errors.append(("code_insee", "Cette commune est hors de vos départements."))
    values["departement"] = new_dep
    return values, errors


EDITABLE = (
    *TEXT_FIELDS,
    "type_code",
    "freins",
    "publics",
    "age_min",
    "age_max",
    "zone_kind",
    "zone_codes",
    "zone_radius_km",
    "departement",
)


def _values_of(row: Partner) -> dict[str, Any]:
    return {name: getattr(row, name) for name in EDITABLE}


@bp.route("/partenaires/<partner_id>", methods=["GET", "POST"])
@login_required
def partner_edit(partner_id: str):
    row = _partner(partner_id)
    errors: list[tuple[str, str]] = []
    values = _values_of(row)
    if request.method == "POST":
        require_edit(row)
        values, errors = _read_partner_form(row)
        if not errors:
            before = _values_of(row)
            changes = {
                name: [before[name], values[name]]
                for name in EDITABLE
                if (before[name] or None) != (values[name] or None)
            }
            if changes:
                for name in changes:
                    setattr(row, name, values[name])
                row.updated_at = utcnow()
                audit("partner.edit", row.id, changes)
                db.get_session().commit()
                data_changed()
                flash(f"Fiche enregistrée ({len(changes)} champ(s) modifié(s)).", "success")
            else:
                flash("Aucune modification à enregistrer.", "info")
            return redirect(url_for("admin.partner_edit", partner_id=row.id), 303)
    require_read(row)
    history = (
        db.get_session()
        .scalars(
            select(AuditLog).where(AuditLog.target == row.id).order_by(AuditLog.id.desc()).limit(20)
        )
        .all()
    )
    reports = (
        db.get_session()
        .scalars(
            select(CorrectionRequest)
            .where(CorrectionRequest.partner_id == row.id)
            .order_by(CorrectionRequest.id.desc())
        )
        .all()
    )
    return (
        render_template(
            "admin/partner_edit.html",
            row=row,
            values=values,
            errors=errors,
            history=history,
            reports=reports,
            users=_user_emails(h.user_id for h in history),
            text_fields=TEXT_FIELDS,
            type_choices=vocab.partner_types(),
            frein_choices=vocab.freins(),
            public_choices=vocab.publics(),
            zone_choices=[(k, ZONE_LABELS.get(k, k)) for k in ZONE_KINDS],
        ),
        400 if errors else 200,
    )


def _user_emails(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.get_session().execute(select(User.id, User.email).where(User.id.in_(ids))).all())


@bp.post("/partenaires/<partner_id>/a-jour")
@login_required
def partner_verify(partner_id: str):
    row = _partner(partner_id)
    require_edit(row)
    before = row.verified_at
    row.verified_at = utcnow()
    row.updated_at = row.verified_at
    audit(
        "partner.verify",
        row.id,
        {"verified_at": [before.isoformat() if before else None, row.verified_at.isoformat()]},
    )
    db.get_session().commit()
    data_changed()
    flash("La fiche est marquée comme à jour.", "success")
    return redirect(url_for("admin.partner_edit", partner_id=row.id), 303)


@bp.post("/partenaires/<partner_id>/archiver")
@login_required
def partner_archive(partner_id: str):
    return _set_status(partner_id, "archived")


@bp.post("/partenaires/<partner_id>/restaurer")
@login_required
def partner_unarchive(partner_id: str):
    return _set_status(partner_id, "active")


def _set_status(partner_id: str, status: str):
    row = _partner(partner_id)
    require_edit(row)
    if row.status != status:
        audit(
            "partner.archive" if status == "archived" else "partner.unarchive",
            row.id,
            {"status": [row.status, status]},
        )
        row.status = status
        row.updated_at = utcnow()
        db.get_session().commit()
        data_changed()
    flash(
        "La fiche est archivée : elle n'apparaît plus dans les recherches."
        if status == "archived"
        else "La fiche est de nouveau active.",
        "success",
    )
    return redirect(url_for("admin.partner_edit", partner_id=row.id), 303)


# --------------------------------------------------------------------------- reviews


def _review_list(model, filters: dict[str, Any], default: str, template: str):
    """One review list: the items of the user's departements, filtered by ``?statut=``."""
    statut = request.args.get("statut", default)
    query = current_scope().filter(
        select(model, Partner).join(Partner, Partner.id == model.partner_id)
    )
    if statut in filters:
        query = query.where(filters[statut])
    rows = db.get_session().execute(query.order_by(model.id.desc()).limit(500)).all()
    return render_template(template, rows=rows, statut=statut)


def _review(model, item_id: int, missing: str, apply: Callable[[Any], str], back: str):
    """One review button: the item, the right to edit its partner, the change, back to a list.

    ``apply`` writes the audit row and the change, and returns the confirmation message.
    """
    s = db.get_session()
    item = s.get(model, item_id)
    if item is None:
        raise NotFound(missing)
    require_edit(_partner(item.partner_id))
    message = apply(item)
    s.commit()
    flash(message, "success")
    return redirect(back, 303)


@bp.get("/signalements")
@login_required
def corrections():
    return _review_list(
        CorrectionRequest,
        {status: CorrectionRequest.status == status for status in ("ouverte", "traitee")},
        "ouverte",
        "admin/corrections.html",
    )


def _toggle_correction(item: CorrectionRequest) -> str:
    new = "ouverte" if item.status == "traitee" else "traitee"
    audit(
        "correction.treat" if new == "traitee" else "correction.reopen",
        item.partner_id,
        {"correction_request": item.id, "status": [item.status, new]},
    )
    item.status = new
    return "Signalement marqué comme traité." if new == "traitee" else "Signalement rouvert."


@bp.post("/signalements/<int:request_id>/traiter")
@login_required
def correction_treat(request_id: int):
    back = request.form.get("retour")
    return _review(
        CorrectionRequest,
        request_id,
        "Signalement introuvable.",
        _toggle_correction,
        _safe_next(back) if back else url_for("admin.corrections"),
    )


MERGES_PER_PAGE = 100
MERGE_FILTERS = {
    "a-verifier": MergeDecision.reviewed.is_(False),
    "verifiees": MergeDecision.reviewed.is_(True) & MergeDecision.undone_at.is_(None),
    "annulees": MergeDecision.undone_at.is_not(None),
}


@bp.get("/fusions")
@login_required
def merges():
    """Merge decisions of the user's départements, a page at a time, each with the name of
    the record that was attached (read from its stored source row)."""
    s = db.get_session()
    statut = request.args.get("statut", "a-verifier")
    query = current_scope().filter(
        select(MergeDecision, Partner).join(Partner, Partner.id == MergeDecision.partner_id)
    )
    if statut in MERGE_FILTERS:
        query = query.where(MERGE_FILTERS[statut])
    total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
    last_page = max(1, -(-total // MERGES_PER_PAGE))
    try:
        page = min(max(1, int(request.args.get("page", "1"))), last_page)
    except ValueError:
        page = 1
    rows = s.execute(
        query.order_by(MergeDecision.id.desc())
        .offset((page - 1) * MERGES_PER_PAGE)
        .limit(MERGES_PER_PAGE)
    ).all()
    incoming = _incoming_names([d for d, _p in rows])
    return render_template(
        "admin/merges.html",
        rows=rows,
        statut=statut,
        incoming=incoming,
        rule_labels=RULE_LABELS,
        total=total,
        page=page,
        last_page=last_page,
        first=(page - 1) * MERGES_PER_PAGE + 1,
        last=(page - 1) * MERGES_PER_PAGE + len(rows),
        pages=pages_window(page, last_page),
    )


def _incoming_names(decisions: list[MergeDecision]) -> dict[int, str]:
    """The name each decision's record had in its source (its stored fields, or the raw
    record's ``nom``), by decision id; missing when the source row is gone."""
    if not decisions:
        return {}
    keys = {(d.source, d.source_id) for d in decisions}
    rows = db.get_session().execute(
        select(PartnerSource.source, PartnerSource.source_id, PartnerSource.raw).where(
            tuple_(PartnerSource.source, PartnerSource.source_id).in_(list(keys))
        )
    )
    names: dict[tuple[str, str], str] = {}
    for source, source_id, raw in rows:
        raw = raw if isinstance(raw, dict) else {}
        fields = raw.get("fields") if isinstance(raw.get("fields"), dict) else {}
        record = raw.get("record") if isinstance(raw.get("record"), dict) else {}
        name = fields.get("nom") or record.get("nom") or ""
        if name:
            names[(source, source_id)] = str(name)
    return {
        d.id: names[(d.source, d.source_id)] for d in decisions if (d.source, d.source_id) in names
    }


@bp.post("/fusions/<int:decision_id>/annuler")
@login_required
def merge_undo(decision_id: int):
    """Give the merged record its own partner again (see ``app.importers.unmerge``)."""
    s = db.get_session()
    decision = s.get(MergeDecision, decision_id)
    if decision is None:
        raise NotFound("Décision de fusion introuvable.")
    require_edit(_partner(decision.partner_id))
    try:
        new = undo_merge(s, decision)
    except UnmergeImpossible as exc:
        s.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.merges", statut="toutes"), 303)
    audit(
        "merge.undo",
        decision.partner_id,
        {
            "merge_decision": decision.id,
            "source": decision.source,
            "source_id": decision.source_id,
            "new_partner": new.id,
        },
    )
    s.commit()
    data_changed()
    flash(f"Fusion annulée : « {new.nom} » a de nouveau sa propre fiche.", "success")
    return redirect(url_for("admin.merges", statut="annulees"), 303)


def _mark_merge_reviewed(item: MergeDecision) -> str:
    if not item.reviewed:
        item.reviewed = True
        audit(
            "merge.review",
            item.partner_id,
            {"merge_decision": item.id, "source": item.source, "source_id": item.source_id},
        )
    return "Fusion marquée comme vérifiée."


@bp.post("/fusions/<int:decision_id>/verifiee")
@login_required
def merge_review(decision_id: int):
    return _review(
        MergeDecision,
        decision_id,
        "Décision de fusion introuvable.",
        _mark_merge_reviewed,
        url_for("admin.merges"),
    )


# --------------------------------------------------------------------------- imports


@bp.route("/imports/nouveau", methods=["GET", "POST"])
@global_required
def import_new():
    errors: list[tuple[str, str]] = []
    report: dict[str, Any] | None = None
    form = {"source": "", "dry_run": True, "partial": False, "mass_archive": False}
    if request.method == "POST":
        upload = request.files.get("fichier")
        form = {
            "source": (request.form.get("source") or "").strip()[:64],
            "dry_run": request.form.get("dry_run") == "1",
            "partial": request.form.get("partiel") == "1",
            "mass_archive": request.form.get("archivage_massif") == "1",
        }
        filename = _stored_filename(upload.filename or "") if upload else ""
        if not upload or not filename:
            errors.append(("fichier", "Choisissez le fichier à importer."))
        elif Path(filename).suffix.lower() not in (".csv", ".json", ".txt", ".tsv", ".gz"):
            errors.append(("fichier", "Format non pris en charge : fichier CSV ou JSON attendu."))
        if not errors:
            report = _run_import(upload, filename, form, errors)
    return (
        render_template("admin/import_new.html", errors=errors, form=form, report=report),
        400 if errors else 200,
    )


def _run_import(upload, filename: str, form: dict[str, Any], errors: list) -> Any:
    from ..importers import ImportOptions, MassArchiveRefused, run_import

    s = db.get_session()
    dry_run = form["dry_run"]
    with tempfile.TemporaryDirectory(prefix="relais-import-") as tmp:
        path = Path(tmp) / filename
        upload.save(path)
        try:
            options = ImportOptions(
                source=form["source"] or None,
                dry_run=dry_run,
                archive_missing=not form["partial"],
                max_archive_share=(
                    None if form["mass_archive"] else current_app.config["IMPORT_MAX_ARCHIVE_SHARE"]
                ),
                user_id=current_user().id,
                after_write=store_inferred_freins,
            )
            result = run_import(s, path, options)
        except MassArchiveRefused as exc:
            s.rollback()
            partial, force = "cochez « Import partiel »", "cochez « Confirmer l'archivage »"
            errors.append(("partiel", exc.explain(partial, force)))
            return None
        except RelaisError as exc:
            s.rollback()
            errors.append(("fichier", exc.message))
            return None
    report = result.to_dict()
    report["filename"] = upload.filename or filename
    audit(
        "import.simulation" if dry_run else "import",
        filename,
        {"counts": report.get("counts", {}), "import_run_id": report.get("import_run_id")},
    )
    s.commit()
    if not dry_run:
        data_changed()
    return report


@bp.get("/imports")
@login_required
def imports():
    runs = (
        db.get_session().scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(200)).all()
    )
    return render_template(
        "admin/imports.html", runs=runs, users=_user_emails(r.user_id for r in runs)
    )


@bp.get("/imports/<int:run_id>")
@login_required
def import_detail(run_id: int):
    run = db.get_session().get(ImportRun, run_id)
    if run is None:
        raise NotFound("Import introuvable.")
    report = dict(run.report or {})
    if report.get("merges"):  # merged partners of other territories stay out of sight
        visible = current_scope().partner_ids(
            db.get_session(), (m.get("partner_id") for m in report["merges"])
        )
        report["merges"] = [m for m in report["merges"] if m.get("partner_id") in visible]
    return render_template(
        "admin/import_detail.html",
        run=run,
        report=report,
        users=_user_emails([run.user_id]),
    )


@bp.get("/journal")
@global_required
def journal():
    rows = db.get_session().scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(300)).all()
    return render_template(
        "admin/journal.html", rows=rows, users=_user_emails(r.user_id for r in rows)
    )
