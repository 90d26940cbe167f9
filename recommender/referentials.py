"""The process's shared referentials kept out of pickled estimators.

``default_taxonomy()`` and ``default_gazetteer()`` are loaded once per process and shared
by every estimator; a saved index that copied them would weigh megabytes more and load
as a second copy. The estimators that hold them (``Recommender``, ``PartnerSearch``)
pickle them as ``None`` and the loading process puts its own defaults back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .geo import default_gazetteer
from .taxonomy import default_taxonomy

_DEFAULTS: dict[str, Callable[[], Any]] = {
    "taxonomy": default_taxonomy,
    "gazetteer": default_gazetteer,
}


def _is_default(name: str, value: Any) -> bool:
    loader = _DEFAULTS.get(name.rstrip("_"))
    # only a default already loaded can be ``value``: never load one just to compare
    return (
        loader is not None
        and value is not None
        and loader.cache_info().currsize > 0  # type: ignore[attr-defined]
        and value is loader()
    )


def without_shared(state: dict[str, Any]) -> dict[str, Any]:
    """A copy of an estimator's ``__dict__`` where each attribute holding a default
    referential (the parameter ``taxonomy`` or the fitted ``taxonomy_``, the same for
    ``gazetteer``) is ``None``."""
    return {name: None if _is_default(name, value) else value for name, value in state.items()}


def with_shared(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with its fitted referentials pickled as ``None`` (``taxonomy_``,
    ``gazetteer_``) back to this process's defaults. A parameter stays ``None``, which
    means the defaults at fit time."""
    for kind, loader in _DEFAULTS.items():
        if kind + "_" in state and state[kind + "_"] is None:
            state[kind + "_"] = loader()
    return state
