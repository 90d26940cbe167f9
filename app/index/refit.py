"""``python -m app.index.refit``: fit and save the current data version's indexes, then
print that version. Run by a serving worker (:func:`.holder.fit_elsewhere`) so that the
fit holds this process's GIL, not the worker's; it writes no data, only ``INDEX_DIR``."""

from __future__ import annotations

import os

from .. import create_app
from ..db import session_scope
from .version import data_version

REFIT_NICENESS = 10  # the serving workers keep the CPU first


def main() -> None:
    os.nice(REFIT_NICENESS)
    app = create_app()
    with app.app_context(), session_scope(app) as session:
        version = data_version(session)
        app.extensions["relais.index"].build(session, version)
    app.extensions["relais.engine"].dispose()
    print(version)


if __name__ == "__main__":
    main()
