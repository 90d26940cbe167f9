"""Admin sessions are revocable (logout, password change) and expire after inactivity."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import db
from app.admin import auth
from app.models import User

from ...support.pages_support import csrf_token, login

pytestmark = [pytest.mark.seeded, pytest.mark.admins]


def _copied_cookie(app, client) -> str:
    """Sign in and copy the session cookie, as a thief or a second browser would."""
    assert login(client, "oise@relais.test").status_code == 303
    assert client.get("/admin/").status_code == 200
    return client.get_cookie("session").value


def _replay(app, cookie: str):
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/admin/")


def test_logout_invalidates_every_copy_of_the_session(app, client):
    cookie = _copied_cookie(app, client)
    assert _replay(app, cookie).status_code == 200  # the copy works while signed in
    token = csrf_token(client, "/admin/")
    assert client.post("/admin/deconnexion", data={"csrf_token": token}).status_code == 303
    response = _replay(app, cookie)
    assert response.status_code == 302
    assert "/admin/connexion" in response.headers["Location"]


def test_password_change_invalidates_existing_sessions(app, client):
    cookie = _copied_cookie(app, client)
    with db.session_scope(app) as session:
        user = session.scalar(select(User).where(User.email == "oise@relais.test"))
        auth.change_password(user, "un-tout-nouveau-mot-de-passe")
    response = _replay(app, cookie)
    assert response.status_code == 302 and "/admin/connexion" in response.headers["Location"]
    assert client.get("/admin/").status_code == 302
    assert login(client, "oise@relais.test", "un-tout-nouveau-mot-de-passe").status_code == 303


def test_set_password_command_invalidates_existing_sessions(app, client):
    cookie = _copied_cookie(app, client)
    result = app.test_cli_runner().invoke(
        args=["user", "set-password", "oise@relais.test", "--password-stdin"],
        input="un-tout-nouveau-mot-de-passe\n",
    )
    assert result.exit_code == 0, result.output
    assert _replay(app, cookie).status_code == 302


def test_other_accounts_keep_their_sessions(app, client):
    other = app.test_client()
    assert login(other, "national@relais.test").status_code == 303
    cookie = _copied_cookie(app, client)
    token = csrf_token(client, "/admin/")
    client.post("/admin/deconnexion", data={"csrf_token": token})
    assert _replay(app, cookie).status_code == 302
    assert other.get("/admin/").status_code == 200


def test_session_expires_after_inactivity(app, client, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(auth, "clock", lambda: now[0])
    idle = app.config["ADMIN_SESSION_IDLE_MINUTES"] * 60
    assert login(client, "oise@relais.test").status_code == 303
    now[0] += idle - 5
    assert client.get("/admin/").status_code == 200  # activity refreshes the session
    now[0] += idle - 5
    assert client.get("/admin/").status_code == 200
    now[0] += idle + 1
    response = client.get("/admin/partenaires")
    assert response.status_code == 302 and "/admin/connexion" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Session expirée, reconnectez-vous" in page
    assert client.get("/admin/").status_code == 302  # still signed out


def test_idle_setting_is_honoured(app, client, monkeypatch):
    now = [2_000_000.0]
    monkeypatch.setattr(auth, "clock", lambda: now[0])
    app.config["ADMIN_SESSION_IDLE_MINUTES"] = 5
    login(client, "oise@relais.test")
    now[0] += 6 * 60
    assert client.get("/admin/").status_code == 302


def test_any_password_change_revokes_sessions(app, client):
    """Not only through change_password: the model itself bumps the epoch."""
    cookie = _copied_cookie(app, client)
    with db.session_scope(app) as session:
        user = session.scalar(select(User).where(User.email == "oise@relais.test"))
        epoch = user.session_epoch
        session.expire(user)  # the old hash is not loaded: the change must still be seen
        user.password_hash = auth.hash_password("encore-un-autre-mot-de-passe")
        assert user.session_epoch == epoch + 1
    assert _replay(app, cookie).status_code == 302
