"""Public pages: search ``/``, orientation ``/orientation``, partner pages ``/partenaires/<id>``,
« Proposer une structure », a partner's campaign page ``/mise-a-jour/<jeton>``."""

from . import campaign, proposal  # noqa: F401 (routes)
from .views import bp

__all__ = ["bp"]
