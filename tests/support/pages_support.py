"""Shared helpers for the page, widget and admin tests: an app with CSRF on, a few partners."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import Flask
from sqlalchemy import select

from app import db
from app.admin.auth import hash_password
from app.models import Partner, PartnerSource, User

XSS_NAME = "<script>alert('relais')</script> Garage solidaire"
PASSWORD = "un-mot-de-passe-solide"


PARTNERS = [
    dict(
        id="mobil60",
        nom="Plateforme mobilité du Beauvaisis",
        type_code="plateforme-mobilite",
        description="Location de scooters, aide au permis, conseil en mobilité.",
        adresse="12 rue de la Gare",
        code_postal="60000",
        code_insee="60057",
        commune_nom="Beauvais",
        departement="60",
        region="32",
        lat=49.4290,
        lon=2.0890,
        coords_exact=True,
        telephone="03 44 12 34 56",
        email="contact@mobilite-beauvaisis.example",
        horaires="Lundi : 09:00 - 12:00 / 13:30 - 17:00\nMardi : 09:00 - 12:00",
        freins=["mobilite"],
        zone_kind="rayon",
        zone_radius_km=40,
        source_updated_at=date(2024, 5, 2),
    ),
    dict(
        id="garage60",
        nom=XSS_NAME,
        type_code="garage-solidaire",
        adresse="3 impasse des Ateliers",
        code_postal="60000",
        code_insee="60057",
        commune_nom="Beauvais",
        departement="60",
        region="32",
        lat=49.4303,
        lon=2.0952,
        coords_exact=False,
        telephone="06 11 22 33 44",
        freins=["mobilite"],
        zone_kind="rayon",
        zone_radius_km=30,
        source_updated_at=date(2016, 1, 12),
    ),
    dict(
        id="spip60",
        nom="SPIP de l'Oise",
        type_code="spip",
        adresse="5 rue du Palais",
        code_postal="60000",
        code_insee="60057",
        commune_nom="Beauvais",
        departement="60",
        region="32",
        lat=49.4320,
        lon=2.0830,
        coords_exact=True,
        telephone="03 44 00 00 01",
        freins=["justice"],
        zone_kind="departement",
        zone_codes=["60"],
        source_updated_at=date(2023, 3, 1),
    ),
    dict(
        id="ccas80",
        nom="CCAS d'Amiens",
        type_code="ccas-cias",
        adresse="Place de l'Hôtel de Ville",
        code_postal="80000",
        code_insee="80021",
        commune_nom="Amiens",
        departement="80",
        region="32",
        lat=49.8941,
        lon=2.2958,
        coords_exact=True,
        freins=["acces-aux-droits", "logement", "difficultes-financieres"],
        zone_kind="communes",
        zone_codes=["80021"],
        source_updated_at=date(2024, 1, 5),
    ),
    dict(
        id="ml60",
        nom="Mission locale du Beauvaisis",
        type_code="mission-locale",
        adresse="13 rue Jean Racine",
        code_postal="60000",
        code_insee="60057",
        commune_nom="Beauvais",
        departement="60",
        region="32",
        lat=49.4350,
        lon=2.0800,
        coords_exact=True,
        telephone="03 44 45 11 11",
        email="accueil@ml-beauvaisis.example",
        freins=["emploi", "formation", "mobilite", "logement"],
        publics=["jeunes"],
        age_min=16,
        age_max=25,
        zone_kind="rayon",
        zone_radius_km=30,
        source_updated_at=date(2024, 6, 1),
    ),
]


def seed(app: Flask) -> None:
    """A handful of partners around Beauvais and Amiens, each with one source row."""
    with db.session_scope(app) as session:
        for values in PARTNERS:
            partner = Partner(**values)
            partner.sources.append(
                PartnerSource(
                    source="test",
                    source_id=values["id"],
                    raw={},
                    content_hash=values["id"],
                    source_updated_at=values.get("source_updated_at"),
                    imported_at=datetime(2024, 8, 1, 10, 0),
                )
            )
            session.add(partner)


def add_user(app: Flask, email: str, role: str = "admin", departements=("60",)) -> int:
    with db.session_scope(app) as session:
        user = User(
            email=email,
            password_hash=hash_password(PASSWORD),
            role=role,
            departements=list(departements),
        )
        session.add(user)
        session.flush()
        return user.id


def csrf_token(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"pas de jeton CSRF dans {url}"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/admin/connexion")
    return client.post(
        "/admin/connexion",
        data={"email": email, "password": password, "csrf_token": token},
    )


def partner_row(app: Flask, partner_id: str) -> Partner:
    with db.session_scope(app) as session:
        return session.scalar(select(Partner).where(Partner.id == partner_id))
