"""Admin accounts: password hashing, the signed-in user, roles and login rate limiting."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, flash, g, redirect, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from recommender.errors import RelaisError

from .. import db
from ..models import Partner, User
from ..ratelimit import RateLimiter
from .scope import Scope

ROLES = ("admin", "global")
ROLE_LABELS = {"global": "Administrateur national", "admin": "Administrateur départemental"}
MIN_PASSWORD = 12
# Verified when the e-mail is unknown, so that a wrong e-mail costs the same time.
_DUMMY_HASH = generate_password_hash("relais-dummy-password", method="scrypt")


class Forbidden(RelaisError):
    """403 with a French message saying why (the generic handler keeps it)."""

    status = 403
    code = "acces_refuse"
    default_message = "Accès refusé."


class TooManyAttempts(RelaisError):
    status = 429
    code = "trop_de_tentatives"
    default_message = "Trop de tentatives de connexion infructueuses. Réessayez dans 15 minutes."


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(user: User | None, password: str) -> bool:
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password)


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()[:200]


def clock() -> float:
    """Wall-clock seconds, for the idle timeout (tests replace it)."""
    return time.time()


def start_session(user: User) -> None:
    """A fresh signed session (no fixation) bound to the account's current session epoch."""
    session.clear()
    session["user_id"] = user.id
    session["epoch"] = user.session_epoch
    session["seen"] = int(clock())


def revoke_sessions(user: User) -> None:
    """Every session of ``user`` stops working, wherever its cookie was copied (commit after)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def change_password(user: User, password: str) -> None:
    """Hash and set a new password; the model then revokes every session of the account."""
    user.password_hash = hash_password(password)


def _session_user() -> User | None:
    """The session's account, if its epoch is current and it was active recently enough."""
    user_id = session.get("user_id")
    if not isinstance(user_id, int):
        return None
    user = db.get_session().get(User, user_id)
    seen = session.get("seen")
    now = clock()
    idle_s = current_app.config["ADMIN_SESSION_IDLE_MINUTES"] * 60
    if (
        user is None
        or session.get("epoch") != user.session_epoch
        or not isinstance(seen, int)
        or now - seen > idle_s
    ):
        session.clear()
        flash("Session expirée, reconnectez-vous.", "info")
        return None
    session["seen"] = int(now)
    return user


def current_user() -> User | None:
    if "admin_user" not in g:
        g.admin_user = _session_user()
    return g.admin_user


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def global_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user().role != "global":
            raise Forbidden("Cette action est réservée aux administrateurs nationaux.")
        return view(*args, **kwargs)

    return wrapped


def current_scope() -> Scope:
    """The signed-in admin's territorial scope (empty when nobody is signed in)."""
    return Scope.for_user(current_user())


def require_read(partner: Partner) -> None:
    """Reports (with the reporter's contact) and edit history stay within the admin's scope."""
    scope = current_scope()
    if not scope.allows(partner):
        raise Forbidden(f"Ce partenaire est hors de vos départements{scope.label()}.")


def require_edit(partner: Partner) -> None:
    require_edit_in(partner.departement)


def require_edit_in(departement: str | None) -> None:
    """The right to write in ``departement`` (a partner's, or a proposed structure's)."""
    scope = current_scope()
    if not scope.allows_departement(departement):
        raise Forbidden(
            f"Vous ne pouvez modifier que les partenaires de vos départements{scope.label()}."
        )


class LoginLimiter:
    """Failed sign-ins per (client, e-mail), and a looser cap per client across accounts.

    Counted by the app's :class:`~app.ratelimit.RateLimiter` (one mechanism for every limit;
    shared by several servers when ``RATELIMIT_STORAGE_URI`` points at a shared store).
    """

    def __init__(
        self, counter: RateLimiter, max_failures: int = 5, window_s: int = 15 * 60, per_ip: int = 50
    ):
        self.counter = counter
        self.max_failures = max_failures
        self.window_s = window_s
        self.per_ip = per_ip

    def _limits(self) -> tuple[str, str]:
        window = f"per {int(self.window_s)} seconds"
        return f"{self.max_failures} {window}", f"{self.per_ip} {window}"

    def blocked(self, ip: str, email: str) -> bool:
        per_account, per_client = self._limits()
        return not (
            self.counter.allowed(per_account, "login", ip, email)
            and self.counter.allowed(per_client, "login", ip)
        )

    def failed(self, ip: str, email: str) -> None:
        per_account, per_client = self._limits()
        self.counter.hit(per_account, "login", ip, email)
        self.counter.hit(per_client, "login", ip)

    def succeeded(self, ip: str, email: str) -> None:
        self.counter.clear(self._limits()[0], "login", ip, email)


def limiter() -> LoginLimiter:
    return current_app.extensions["relais.login_limiter"]
