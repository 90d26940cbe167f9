"""Hostile and broken import files: a clear French report, and nothing half-written.

Every file is written in ``tmp_path`` by the test. Each import either fails as a whole with
a French :class:`ImportFailed` and leaves ``partner`` / ``partner_source`` / ``import_run``
exactly as they were, or succeeds with its bad rows rejected at their line numbers.

Relais has no CSV export (the only CSV writer is the benchmark data generator), so formula
injection is checked where imported text comes out: stored as plain text, escaped in HTML
and JSON.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import os
import tarfile

import pytest
from sqlalchemy import func, select

from app import db
from app.importers import ImportOptions, reader, run_import
from app.models import ImportRun, Partner, PartnerSource
from recommender.errors import ImportFailed

from ..support.apps import build_app
from ..support.pages_support import add_user, csrf_token, login

HEADER = "id,nom,type,adresse,code_postal,commune,departement,lat,lon"
ROWS = [
    "ae1,Auto-école sociale du Beauvaisis,auto-ecole-sociale,3 rue des Jacobins,60000,Beauvais,60,"
    "49.4301,2.0810",
    "ae2,Auto-école sociale du Soissonnais,auto-ecole-sociale,,02200,Soissons,02,,",
    "ae3,Auto-école « Trajectoire »,auto-ecole-sociale,,02500,Hirson,02,,",
]
FORMULAS = ['=HYPERLINK("http://x","clic")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(1+1)"]


@pytest.fixture
def site(tmp_path, database_url):
    app = build_app(tmp_path, database_url)
    yield app
    app.extensions["relais.engine"].dispose()


def counts(app) -> tuple[int, int, int]:
    """Partners, sources and runs that went through (a failure is kept in the history)."""
    with db.session_scope(app) as session:
        partners, sources = (
            session.scalar(select(func.count()).select_from(model))
            for model in (Partner, PartnerSource)
        )
        runs = sum(1 for r in session.scalars(select(ImportRun)) if r.error is None)
        return partners, sources, runs


def last_failure(app) -> str | None:
    with db.session_scope(app) as session:
        run = session.scalar(select(ImportRun).order_by(ImportRun.id.desc()).limit(1))
        return run.error if run is not None else None


def do_import(app, path, **options):
    with app.app_context(), db.session_scope(app) as session:
        return run_import(session, path, ImportOptions(**options))


def refused(app, path, *words, **options) -> str:
    """The import fails with a French message containing ``words``; nothing was written."""
    before = counts(app)
    with pytest.raises(ImportFailed) as info:
        do_import(app, path, **options)
    assert counts(app) == before
    message = info.value.message
    if not options.get("dry_run"):
        assert last_failure(app) == message  # shown in the admin's import history
    assert "Traceback" not in message
    for word in words:
        assert word in message, message
    return message


def write(tmp_path, name: str, data: bytes | str):
    path = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def csv_text(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


# --------------------------------------------------------------------------- broken files


def test_csv_cut_mid_row(site, tmp_path):
    """A CSV cut inside a quoted cell: the good rows are imported, the cut one is reported."""
    text = csv_text(*ROWS) + 'ae4,"Garage solidaire, coupé en plein'
    report = do_import(site, write(tmp_path, "coupe.csv", text))
    assert report.counts["created"] == 3
    assert report.counts["rejected"] == 1
    assert report.rejections[0]["line"] == 5
    assert counts(site) == (3, 3, 1)


def test_json_cut_mid_object(site, tmp_path):
    items = [{"id": "s1", "nom": "Structure", "code_insee": "60057", "source": "x"}] * 2
    text = json.dumps({"structures": items})[:-40]
    refused(site, write(tmp_path, "coupe.json", text), "JSON")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("hasard.csv", os.urandom(4096) + b"\x00"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(512)),
        ("classeur.csv", b"PK\x03\x04" + os.urandom(512)),
        ("vide.csv", b"  \n\n"),
    ],
)
def test_binary_and_empty_files_are_refused(site, tmp_path, name, data):
    refused(site, write(tmp_path, name, data), name)


def test_windows_1252_behind_a_utf8_bom(site, tmp_path):
    """A BOM that lies about the encoding: refused or read without crashing, never half-done."""
    data = b"\xef\xbb\xbf" + csv_text(ROWS[0].replace("Auto-école", "Auto-\xe9cole")).encode(
        "latin-1", "replace"
    )
    path = write(tmp_path, "bom.csv", data)
    before = counts(site)
    try:
        report = do_import(site, path)
    except ImportFailed as exc:
        assert (counts(site) == before and "UTF-8" in exc.message) or "illisibles" in exc.message
    else:
        assert report.counts["created"] + report.counts["rejected"] == 1


def test_format_that_does_not_match(site, tmp_path):
    """--format siae on a generic list: every row rejected with its line, nothing archived."""
    path = write(tmp_path, "liste.csv", csv_text(*ROWS))
    before = counts(site)
    try:
        report = do_import(site, path, format="siae")
    except ImportFailed as exc:
        assert counts(site) == before
        assert exc.message
    else:
        assert report.counts["created"] == 0
        assert [r["line"] for r in report.rejections] == [2, 3, 4]
    refused(site, path, "Format inconnu", format="excel")


def test_mixed_line_endings(site, tmp_path):
    text = HEADER + "\r\n" + ROWS[0] + "\n" + ROWS[1] + "\r" + ROWS[2] + "\r\n"
    report = do_import(site, write(tmp_path, "fins.csv", text))
    assert report.counts["created"] == 3, report.rejections


def test_ten_megabyte_single_line(site, tmp_path):
    refused(site, write(tmp_path, "ligne.csv", "a" * (10 << 20)), "ligne.csv")
    # The same line as one cell of a real row: the row is read, its name cut, the file imported.
    long_row = ROWS[0].replace("Auto-école sociale du Beauvaisis", "A" * (10 << 20))
    report = do_import(site, write(tmp_path, "cellule.csv", csv_text(long_row)))
    assert report.counts["created"] + report.counts["rejected"] == 1


def test_gzip_bomb_is_refused_without_expanding_it(site, tmp_path, monkeypatch):
    """200 MB of zeros in a 200 KB .gz: refused at the cap (64 MB here: ratio 200)."""
    path = tmp_path / "bombe.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write((HEADER + "\n").encode())
        block = b"0" * (1 << 20)
        for _ in range(200):
            out.write(block)
    assert path.stat().st_size < 1 << 20
    refused(site, path, "se décompresse en plus de", "Mo")
    monkeypatch.setattr(reader, "MAX_DECOMPRESSED_BYTES", 1 << 20)
    json_bomb = tmp_path / "bombe.json.gz"
    with gzip.open(json_bomb, "wb") as out:
        out.write(b'{"structures": [' + b" " * (3 << 20) + b"]}")
    refused(site, json_bomb, "se décompresse", format="data-inclusion")


class _Zeros(io.RawIOBase):
    """``size`` zero bytes, produced as they are read."""

    def __init__(self, size: int):
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def tar_bz2(path, members: dict[str, int]):
    """A .tar.bz2 of members of zeros (name → size)."""
    with tarfile.open(path, "w:bz2") as tar:
        for name, size in members.items():
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BufferedReader(_Zeros(size)))
    return path


def test_tar_bz2_bomb_is_refused_without_expanding_it(site, tmp_path):
    """65 MB of zeros declared by a 200-byte archive: refused before reading a byte of it."""
    path = tar_bz2(tmp_path / "annuaire.tar.bz2", {"annuaire.json": 65 << 20})
    assert path.stat().st_size < 1000
    refused(site, path, "démesuré", "archive piégée", format="dila-annuaire")


def test_tar_bz2_without_data_file_or_not_a_tar(site, tmp_path):
    path = tar_bz2(tmp_path / "notes.tar.bz2", {"notice.pdf": 10})
    refused(site, path, "aucun fichier JSON ou CSV", format="dila-annuaire")
    plain = write(tmp_path, "annuaire.json.bz2", bz2.compress(b'{"service": []}'))
    refused(site, plain, "illisible", ".tar.bz2", format="dila-annuaire")


def test_oversized_admin_upload_gets_a_french_413(tmp_path, database_url):
    app = build_app(tmp_path, database_url, ADMIN_IMPORT_MAX_BYTES=10_000)
    add_user(app, "national@relais.test", role="global", departements=())
    client = app.test_client()
    login(client, "national@relais.test")
    token = csrf_token(client, "/admin/imports/nouveau")
    before = counts(app)
    response = client.post(
        "/admin/imports/nouveau",
        data={"csrf_token": token, "fichier": (io.BytesIO(b"a" * 50_000), "gros.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "trop volumineux" in response.get_data(as_text=True)
    assert counts(app) == before
    app.extensions["relais.engine"].dispose()


# --------------------------------------------------------------------------- bad rows


def test_duplicate_identifiers_are_rejected_at_their_line(site, tmp_path):
    text = csv_text(ROWS[0], ROWS[1], ROWS[1].replace("Soissonnais", "Soissonnais bis"))
    report = do_import(site, write(tmp_path, "doublons.csv", text))
    assert report.counts["created"] == 2
    assert [r["line"] for r in report.rejections] == [4]
    assert "ae2" in json.dumps(report.to_dict(), ensure_ascii=False)


def test_coordinates_swapped_outside_france_or_far_from_the_commune(site, tmp_path):
    rows = [
        ROWS[0].replace("49.4301,2.0810", "2.0810,49.4301"),  # swapped
        ROWS[1].replace(",,", ",40.7128,-74.0060").replace("02,40", "02,40"),  # New York
        ROWS[2].replace(",,", ",43.2965,5.3698"),  # Marseille, not Hirson
    ]
    report = do_import(site, write(tmp_path, "coords.csv", csv_text(*rows)))
    assert report.counts["created"] == 3, report.rejections
    messages = " ".join(w["message"] for w in report.warnings)
    assert "inversées" in messages
    with db.session_scope(site) as session:
        partners = {p.commune_nom: p for p in session.scalars(select(Partner))}
    beauvais, soissons, hirson = partners["Beauvais"], partners["Soissons"], partners["Hirson"]
    assert round(beauvais.lat, 2) == 49.43 and round(beauvais.lon, 2) == 2.08
    for partner, lat in ((soissons, 49.38), (hirson, 49.92)):  # back at the commune
        assert abs(partner.lat - lat) < 0.1 and 2 < partner.lon < 4.5
        assert partner.coords_exact is False


def test_invalid_postal_codes_and_empty_mandatory_fields(site, tmp_path):
    rows = [
        ROWS[0].replace(",60000,Beauvais,60,", ",ABCDE,Beauvais,60,"),
        ROWS[1].replace(",02200,", ",²²²²²,"),
        ",,auto-ecole-sociale,,60000,Beauvais,60,,",  # no name
        "ae9,Sans lieu,auto-ecole-sociale,,,,,,",  # no place at all
        "ae10,Code postal seul faux,auto-ecole-sociale,,999999,,,,",
    ]
    report = do_import(site, write(tmp_path, "codes.csv", csv_text(*rows)))
    rejected = {r["line"]: r["reason"] for r in report.rejections}
    assert {4, 5} <= set(rejected), report.rejections
    assert all(reason for reason in rejected.values())
    with db.session_scope(site) as session:
        codes = set(session.scalars(select(Partner.code_postal)))
    assert not codes & {"ABCDE", "²²²²²", "999999"}
    assert report.balanced


def test_formula_injection_is_stored_as_text_and_escaped(site, tmp_path):
    rows = [
        ROWS[0].replace(
            "Auto-école sociale du Beauvaisis", f'"{FORMULAS[0].replace(chr(34), chr(34) * 2)}"'
        ),
        ROWS[1].replace("Auto-école sociale du Soissonnais", FORMULAS[1]),
        ROWS[2].replace("Auto-école « Trajectoire »", FORMULAS[2] + " <b>gras</b>"),
        "ae4,@SUM(1+1),auto-ecole-sociale,,60000,Beauvais,60,,",
    ]
    report = do_import(site, write(tmp_path, "formules.csv", csv_text(*rows)))
    assert report.counts["created"] == 4, report.rejections
    with db.session_scope(site) as session:
        names = {p.id: p.nom for p in session.scalars(select(Partner))}
    stored = " ".join(names.values())
    for formula in FORMULAS:
        assert formula.split("(")[0] in stored
    client = site.test_client()
    for pid, name in names.items():
        body = client.get(f"/api/v1/partners/{pid}").get_json()
        assert body["nom"] == name  # JSON: the text as is, a string, never evaluated
        html = client.get(f"/partenaires/{pid}").get_data(as_text=True)
        assert "<b>gras</b>" not in html
        if "HYPERLINK" in name:
            assert "HYPERLINK(&#34;http://x&#34;" in html or "HYPERLINK(&quot;" in html
