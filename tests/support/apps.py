"""The one way tests build an app (every in-process app of the suite comes from here).

Subprocess tests (gunicorn's ``app:create_app()``, the inference script, ``relais`` commands)
build theirs as production does, on purpose.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from app import create_app, db
from app.settings import INSTANCE_ENV


def build_app(
    tmp_path: Path, database_url: str, *, migrate: bool = True, **overrides: object
) -> Flask:
    """An app on ``database_url`` whose instance folder is ``tmp_path / "instance"``.

    Settings production does not set, and why:

    - ``TESTING``: errors propagate to the test instead of becoming a 500 page, and the
      engine rebuilds at the request instead of in a background thread (deterministic);
    - ``SECRET_KEY="test"``: a fixed key so sessions and CSRF tokens are reproducible
      (production refuses to start without its own);
    - ``INDEX_DIR`` in ``tmp_path``: the fitted indexes never touch a real instance;
    - ``ENGINE_CHECK_SECONDS=0``: the data version is checked at every request, so a test
      that writes sees its data at once (production checks every 2 s).

    ``RELAIS_INSTANCE_PATH`` is set only while the app is created (Flask reads it then).
    ``overrides`` replace any of these or add others (``WTF_CSRF_ENABLED=False``…);
    ``migrate=False`` leaves the schema as found (an app start after a crash).
    """
    settings: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": database_url,
        "INDEX_DIR": str(tmp_path / "index"),
        "ENGINE_CHECK_SECONDS": 0,
    }
    settings.update(overrides)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(INSTANCE_ENV, str(tmp_path / "instance"))
        app = create_app(settings)
    if migrate:
        db.upgrade(app.extensions["relais.engine"])
    return app
