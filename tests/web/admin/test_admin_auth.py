"""Admin sign-in: hashing, CSRF, anonymous access, rate limiting, roles, the ``user`` command."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import db
from app.models import User

from ...support.apps import build_app
from ...support.pages_support import PASSWORD, add_user, csrf_token, login

pytestmark = [pytest.mark.seeded, pytest.mark.admins]


def test_passwords_are_hashed_with_scrypt(app):
    with db.session_scope(app) as session:
        user = session.scalar(select(User).where(User.email == "oise@relais.test"))
        assert user.password_hash.startswith("scrypt:")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/partenaires", "/admin/imports", "/admin/partenaires/mobil60"]
)
def test_anonymous_reads_redirect_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/admin/connexion" in response.headers["Location"]


def test_anonymous_writes_are_refused(app, client):
    token = csrf_token(client, "/admin/connexion")
    for path in (
        "/admin/partenaires/mobil60",
        "/admin/partenaires/mobil60/archiver",
        "/admin/partenaires/mobil60/a-jour",
        "/admin/imports/nouveau",
    ):
        response = client.post(path, data={"csrf_token": token, "nom": "Piraté"})
        assert response.status_code in (302, 401, 403), path
        if response.status_code == 302:
            assert "/admin/connexion" in response.headers["Location"]
    with db.session_scope(app) as session:
        from app.models import Partner

        assert session.get(Partner, "mobil60").nom == "Plateforme mobilité du Beauvaisis"
        assert session.get(Partner, "mobil60").status == "active"


def test_post_without_csrf_token_is_refused(client):
    response = client.post(
        "/admin/connexion", data={"email": "oise@relais.test", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)
    assert login(client, "oise@relais.test").status_code == 303
    response = client.post("/admin/partenaires/mobil60/archiver")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("POST", "/a-propos", 405), ("DELETE", "/", 405), ("POST", "/page-inexistante", 404)],
)
def test_wrong_method_or_address_is_not_an_expired_form(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert "Le formulaire a expiré" not in response.get_data(as_text=True)
    if status == 405:
        assert "Méthode HTTP non autorisée" in response.get_data(as_text=True)
        assert "GET" in response.headers["Allow"]


def test_json_api_is_not_csrf_protected(client):
    response = client.post(
        "/api/v1/fit", json={"partner_id": "mobil60", "commune": "60057", "freins": ["mobilite"]}
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_login_logout(client):
    page = client.get("/admin/connexion").get_data(as_text=True)
    assert "<h1>Connexion à l'administration</h1>" in page
    assert '<label for="email">Adresse électronique</label>' in page
    assert 'autocomplete="current-password"' in page
    response = login(client, "OISE@relais.test ")
    assert response.status_code == 303
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "Tableau de bord" in dashboard and "oise@relais.test" in dashboard
    token = csrf_token(client, "/admin/")
    assert client.post("/admin/deconnexion", data={"csrf_token": token}).status_code == 303
    assert client.get("/admin/").status_code == 302


def test_login_redirects_only_to_local_admin_paths(client):
    token = csrf_token(client, "/admin/connexion")
    response = client.post(
        "/admin/connexion?next=https://evil.example/admin",
        data={"email": "oise@relais.test", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/admin/"


def test_wrong_password_then_rate_limit(client):
    for _ in range(5):
        response = login(client, "oise@relais.test", "mauvais-mot-de-passe")
        assert response.status_code == 401
        assert "Adresse électronique ou mot de passe incorrect." in response.get_data(as_text=True)
    response = login(client, "oise@relais.test", PASSWORD)  # even the right one, now
    assert response.status_code == 429
    assert "Trop de tentatives de connexion" in response.get_data(as_text=True)
    # Another account from the same address is not blocked by these failures.
    assert login(client, "national@relais.test").status_code == 303


def test_session_cookie_flags(app, client):
    login(client, "oise@relais.test")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_secure_cookie_outside_tests(tmp_path, database_url):
    app = build_app(tmp_path, database_url, TESTING=False)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["relais.engine"].dispose()


def test_cross_territory_edit_is_forbidden(app, client):
    login(client, "oise@relais.test")
    page = client.get("/admin/partenaires/ccas80")  # not even readable (test_admin_scope)
    assert page.status_code == 403
    assert "hors de vos départements (60)" in page.get_data(as_text=True)
    token = csrf_token(client, "/admin/partenaires/mobil60")
    for path in (
        "/admin/partenaires/ccas80",
        "/admin/partenaires/ccas80/archiver",
        "/admin/partenaires/ccas80/a-jour",
    ):
        response = client.post(
            path, data={"csrf_token": token, "nom": "X", "type_code": "ccas-cias"}
        )
        assert response.status_code == 403, path
        html = response.get_data(as_text=True)
        assert "Vous ne pouvez modifier que les partenaires de vos départements (60)." in html
    # A departemental admin cannot import (national data).
    assert client.get("/admin/imports/nouveau").status_code == 403


def test_departemental_admin_lists_only_their_partners(client):
    login(client, "oise@relais.test")
    html = client.get("/admin/partenaires").get_data(as_text=True)
    assert "Plateforme mobilité du Beauvaisis" in html
    assert "CCAS d&#39;Amiens" not in html
    login(client, "national@relais.test")
    html = client.get("/admin/partenaires").get_data(as_text=True)
    assert "CCAS d&#39;Amiens" in html


def test_user_create_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "user",
            "create",
            "Nouvelle@Relais.test",
            "--role",
            "admin",
            "--departement",
            "60",
            "--departement",
            "02",
            "--password-stdin",
        ],
        input="un-tres-long-mot-de-passe\n",
    )
    assert result.exit_code == 0, result.output
    assert "Compte créé : nouvelle@relais.test" in result.output
    with db.session_scope(app) as session:
        user = session.scalar(select(User).where(User.email == "nouvelle@relais.test"))
        assert user.role == "admin" and user.departements == ["60", "02"]
        assert user.password_hash.startswith("scrypt:")
    # Prompted twice (hidden) when not on stdin; mismatches are refused.
    result = runner.invoke(
        args=["user", "create", "autre@relais.test", "--role", "global"],
        input="un-tres-long-mot-de-passe\nun-tres-long-mot-de-passe\n",
    )
    assert result.exit_code == 0, result.output
    assert "Confirmez le mot de passe" in result.output
    result = runner.invoke(
        args=["user", "create", "nouvelle@relais.test", "--role", "global", "--password-stdin"],
        input="un-tres-long-mot-de-passe\n",
    )
    assert result.exit_code != 0 and "existe déjà" in result.output
    result = runner.invoke(
        args=["user", "create", "court@relais.test", "--role", "global", "--password-stdin"],
        input="court\n",
    )
    assert result.exit_code != 0 and "trop court" in result.output
    result = runner.invoke(
        args=["user", "create", "sansdep@relais.test", "--password-stdin"], input="x" * 20 + "\n"
    )
    assert result.exit_code != 0 and "--departement" in result.output
    result = runner.invoke(args=["user", "list"])
    assert "nouvelle@relais.test\tadmin\t60, 02" in result.output


def _client_at(app, address: str, forwarded_for: str | None = None):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if forwarded_for:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client


def _fail_five_times(client, email: str) -> None:
    for _ in range(5):
        assert login(client, email, "mauvais-mot-de-passe").status_code == 401


def test_lockout_is_per_account_and_client(app):
    """Five failures on account A from X block neither B from X nor A from Y."""
    x = _client_at(app, "192.0.2.10")
    y = _client_at(app, "192.0.2.20")
    _fail_five_times(x, "oise@relais.test")
    assert login(x, "oise@relais.test").status_code == 429
    assert login(x, "national@relais.test").status_code == 303
    assert login(y, "oise@relais.test").status_code == 303


def test_lockout_has_a_looser_cap_per_client_across_accounts(app):
    app.extensions["relais.login_limiter"].per_ip = 8
    x = _client_at(app, "192.0.2.10")
    for n in range(8):
        assert login(x, f"inconnu{n}@relais.test", "mauvais-mot-de-passe").status_code == 401
    assert login(x, "national@relais.test").status_code == 429
    y = _client_at(app, "192.0.2.20")
    assert login(y, "national@relais.test").status_code == 303


def _behind_proxy(app, forwarded_for: str):
    # Every client comes from the same proxy address, as behind nginx.
    return _client_at(app, "10.0.0.1", forwarded_for)


def test_forwarded_for_decides_the_client_with_one_trusted_proxy(tmp_path, database_url):
    app = build_app(tmp_path, database_url, RELAIS_PROXY_COUNT=1)
    add_user(app, "oise@relais.test", role="admin", departements=("60",))
    attacker = _behind_proxy(app, "203.0.113.66")
    _fail_five_times(attacker, "oise@relais.test")
    assert login(attacker, "oise@relais.test").status_code == 429
    # The real owner, behind the same proxy, still signs in.
    assert login(_behind_proxy(app, "198.51.100.7"), "oise@relais.test").status_code == 303
    app.extensions["relais.engine"].dispose()


def test_forwarded_for_is_ignored_without_trusted_proxy(app):
    assert app.config["RELAIS_PROXY_COUNT"] == 0
    _fail_five_times(_behind_proxy(app, "203.0.113.66"), "oise@relais.test")
    # A forged header does not give the attacker a fresh counter.
    assert login(_behind_proxy(app, "198.51.100.7"), "oise@relais.test").status_code == 429
