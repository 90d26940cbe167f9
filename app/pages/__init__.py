"""Public pages: search ``/``, orientation ``/orientation``, partner pages ``/partenaires/<id>``."""

from .views import bp

__all__ = ["bp"]
