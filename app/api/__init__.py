"""JSON API v1 (contract: shared API.md), with its OpenAPI document generated from the routes."""

from .routes import bp

__all__ = ["bp"]
