"""Public pages: search ``/``, orientation ``/orientation``, partner pages ``/partenaires/<id>``,
territorial coverage ``/couverture``, « Proposer une structure », a partner's campaign page
``/mise-a-jour/<jeton>``."""

from . import campaign, proposal  # noqa: F401 (routes)
from . import coverage as _coverage  # noqa: F401 (registers /couverture on the blueprint)
from .views import bp

__all__ = ["bp"]
