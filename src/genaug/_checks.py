"""The house input checks: each raises a ``TypeError`` or ``ValueError`` that names the
argument, what was expected and what came.

The bottom of the import graph: it imports only the standard library and torch.
"""

from __future__ import annotations

from typing import Any


def check_int(name: str, value: Any, *, min: int | None = None, max: int | None = None) -> None:  # noqa: A002
    """Raise unless ``value`` is an int (not a bool) in ``[min, max]``.

    Args:
        name: the argument's name, used in the message.
        value: what the caller passed.
        min: smallest allowed value (None: no bound).
        max: largest allowed value (None: no bound).

    Raises:
        TypeError: if ``value`` is not an int, or is a bool.
        ValueError: if it lies outside ``[min, max]``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if (min is not None and value < min) or (max is not None and value > max):
        low = "-inf" if min is None else min
        high = "inf" if max is None else max
        raise ValueError(f"{name} must be an int in [{low}, {high}], got {value}")
