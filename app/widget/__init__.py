"""The embeddable widget: ``/widget.js`` (script, shadow DOM) and ``/widget`` (iframe page)."""

from .views import bp

__all__ = ["bp"]
