"""Parameter checks and the fitted guard of the engine's estimators.

The conventions are scikit-learn's (parameters stored as given in ``__init__`` and
checked by ``fit``; learned state ends in ``_``; use before ``fit`` raises
:class:`NotFittedError`), written here because serving must not load scikit-learn.
These errors are for developers, so they are in English; a user never sees them.
"""

from __future__ import annotations

import math
from datetime import date
from numbers import Integral, Real


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before ``fit`` (the same bases as scikit-learn's, so code
    catching either ``ValueError`` or ``AttributeError`` keeps working)."""


def check_is_fitted(estimator: object, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has its learned ``attribute``.

    >>> class Model:
    ...     pass
    >>> try:
    ...     check_is_fitted(Model(), "table_")
    ... except NotFittedError as exc:
    ...     print(exc)
    This Model instance is not fitted yet: call 'fit' before using it.
    """
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise NotFittedError(f"This {name} instance is not fitted yet: call 'fit' before using it.")


def check_int(name: str, value: object, *, minimum: int) -> None:
    """``value`` must be an integer (not a bool) of at least ``minimum``.

    >>> check_int("candidate_k", -5, minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: candidate_k must be an integer >= 1, got -5.
    """
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")


def check_number(
    name: str,
    value: object,
    *,
    positive: bool = False,
    fraction: bool = False,
    optional: bool = False,
) -> None:
    """``value`` must be a finite real number: ``> 0`` when ``positive``, within [0, 1]
    when ``fraction``; ``None`` is accepted when ``optional``.

    >>> check_number("side_weight", 1.5, fraction=True)
    Traceback (most recent call last):
    ...
    ValueError: side_weight must be a number between 0 and 1, got 1.5.
    """
    if value is None and optional:
        return
    if fraction:
        wanted = "a number between 0 and 1"
    elif positive:
        wanted = "a number > 0"
    else:
        wanted = "a finite number"
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be {wanted}, got {value!r}.")
    if (positive and value <= 0) or (fraction and not 0 <= value <= 1):
        raise ValueError(f"{name} must be {wanted}, got {value!r}.")


def check_date(name: str, value: object) -> None:
    """``value`` must be ``None`` or a :class:`datetime.date`."""
    if value is not None and not isinstance(value, date):
        raise ValueError(f"{name} must be a datetime.date or None, got {value!r}.")
