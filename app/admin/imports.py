"""Imports from the administration: upload a file, the history and each run's report."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import current_app, render_template, request
from sqlalchemy import select
from werkzeug.utils import secure_filename

from recommender.errors import NotFound, RelaisError

from .. import db
from ..index.holder import data_changed
from ..inference import store_inferred_freins
from ..models import ImportRun
from .auth import current_scope, current_user, global_required, login_required
from .blueprint import audit, bp, user_emails


def _stored_filename(name: str) -> str:
    """An uploaded file's name made safe to save: ASCII, and short enough for any file
    system (255 bytes), keeping its extension."""
    name = secure_filename(name)
    suffix = "".join(Path(name).suffixes[-2:])[:16]
    stem = name[: len(name) - len(suffix)] if suffix else name
    return f"{stem[:100]}{suffix}" if stem else ""


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
        "admin/imports.html", runs=runs, users=user_emails(r.user_id for r in runs)
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
        users=user_emails([run.user_id]),
    )
