"""Signing in and out of the administration (``/admin/connexion``, ``/admin/deconnexion``)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select

from .. import db
from ..models import User
from .auth import (
    TooManyAttempts,
    current_user,
    limiter,
    normalize_email,
    revoke_sessions,
    start_session,
    verify_password,
)
from .blueprint import bp, safe_next


def _client_ip() -> str:
    return request.remote_addr or "inconnue"


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
            return redirect(safe_next(request.args.get("next")), 303)
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
