"""Public pages: search ``/``, orientation ``/orientation``, partner pages ``/partenaires/<id>``,
territorial coverage ``/couverture``."""

from . import coverage as _coverage  # noqa: F401 (registers /couverture on the blueprint)
from .views import bp

__all__ = ["bp"]
