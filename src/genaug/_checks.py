"""The house input checks: one place for every argument check in ``genaug``.

Each check raises a ``TypeError`` (wrong kind of value) or a ``ValueError``
(right kind, wrong value) whose message names the argument, what was expected
and what came, so a reader can fix the call without opening the source
(STYLE.md, principle 6). Every check takes the argument's ``name`` (for the
message) and the value the caller passed, and returns that value (numbers as a
plain ``int`` or ``float``), so a call can sit inside an assignment.

Two traps every hand-written check falls into, handled once here:

* ``bool`` is a subclass of ``int`` (``True == 1``): :func:`check_int` and
  :func:`check_float` refuse it.
* NaN compares false with everything, so ``x < lo or x > hi`` lets it through:
  :func:`check_float` and :func:`check_tensor` refuse non-finite values first.

This module sits at the bottom of the import graph: it imports only the
standard library, numpy and torch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import torch

__all__ = [
    "check_choice",
    "check_float",
    "check_images",
    "check_int",
    "check_labels",
    "check_probability",
    "check_seed",
    "check_seeds",
    "check_tensor",
]

MAX_SEED = 2**63 - 1  # the largest seed torch.Generator.manual_seed and numpy both take


def _describe(value: Any) -> str:
    """``'float 1.5'``, ``'Tensor of shape (2, 3)'``: what came, for a message."""
    if isinstance(value, torch.Tensor):
        return f"Tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if isinstance(value, np.ndarray):
        return f"ndarray of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def check_choice(name: str, value: Any, choices: Collection[Any]) -> Any:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``.

    Args:
        choices: the allowed values.

    Raises:
        ValueError: if ``value`` is not in ``choices`` (unhashable values too).
    """
    try:
        allowed = value in choices
    except TypeError:  # an unhashable value tested against a set
        allowed = False
    if not allowed:
        options = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}.")
    return value


def check_int(
    name: str,
    value: Any,
    *,
    min: int | None = None,  # noqa: A002 - reads as the bound it is
    max: int | None = None,  # noqa: A002
    choices: Collection[int] | None = None,
) -> int:
    """Check a plain integer (Python or numpy ``int``; not ``bool``, not ``float``).

    Args:
        min: smallest allowed value (inclusive), or ``None`` for no bound.
        max: largest allowed value (inclusive), or ``None`` for no bound.
        choices: the only allowed values, or ``None`` to allow any in range.

    Raises:
        TypeError: if ``value`` is not an integer (``bool`` and ``2.0`` are refused).
        ValueError: if ``value`` is out of range or not among ``choices``.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {_describe(value)}.")
    value = int(value)
    if choices is not None and value not in choices:
        allowed = ", ".join(str(choice) for choice in sorted(choices))
        raise ValueError(f"{name} must be one of {allowed}; got {value}.")
    if min is not None and value < min:
        raise ValueError(f"{name} must be >= {min}; got {value}.")
    if max is not None and value > max:
        raise ValueError(f"{name} must be <= {max}; got {value}.")
    return value


def check_float(
    name: str,
    value: Any,
    *,
    min: float | None = None,  # noqa: A002
    max: float | None = None,  # noqa: A002
    min_open: bool = False,
    max_open: bool = False,
) -> float:
    """Check a finite real number (an ``int`` is welcome; ``bool``, NaN and inf are not).

    Args:
        value: a Python or numpy number, or a 0-d tensor.
        min: lower bound, or ``None`` for none.
        max: upper bound, or ``None`` for none.
        min_open: exclude ``min`` itself (``value > min``).
        max_open: exclude ``max`` itself (``value < max``).

    Raises:
        TypeError: if ``value`` is not a real number.
        ValueError: if ``value`` is NaN, infinite or outside the bounds.
    """
    if isinstance(value, torch.Tensor) and value.ndim == 0 and not value.dtype == torch.bool:
        value = value.item()
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {_describe(value)}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value}.")
    too_low = min is not None and (value <= min if min_open else value < min)
    too_high = max is not None and (value >= max if max_open else value > max)
    if too_low or too_high:
        if max is None:
            allowed = f"{'>' if min_open else '>='} {min:g}"
        elif min is None:
            allowed = f"{'<' if max_open else '<='} {max:g}"
        else:
            allowed = f"in {'(' if min_open else '['}{min:g}, {max:g}{')' if max_open else ']'}"
        raise ValueError(f"{name} must be {allowed}; got {value:g}.")
    return value


def check_probability(name: str, value: Any) -> float:
    """Check a probability in [0, 1]; see :func:`check_float`."""
    return check_float(name, value, min=0.0, max=1.0)


def check_seed(name: str, value: Any) -> int:
    """Check a random seed: an ``int`` in ``[0, 2**63 - 1]`` (see :func:`check_int`)."""
    return check_int(name, value, min=0, max=MAX_SEED)


def check_seeds(name: str, seeds: Any, *, num: int | None = None) -> list[int]:
    """Check per-sample seeds: a non-empty sequence or 1-D integer tensor of seeds.

    Args:
        seeds: a list, tuple or range of ints, or a 1-D integer tensor or array.
        num: the number of seeds required, or ``None`` for any (at least one).

    Returns:
        The seeds as a list of Python ``int``.

    Raises:
        TypeError: if ``seeds`` is not a sequence or holds non-integers (``1.5``).
        ValueError: if it is empty, has the wrong length or a seed is out of range.
    """
    if isinstance(seeds, torch.Tensor | np.ndarray):
        if seeds.ndim != 1 or seeds.dtype in (torch.bool, np.bool_):
            raise TypeError(f"{name} must be a 1-D integer tensor; got {_describe(seeds)}.")
        seeds = seeds.tolist()
    elif not isinstance(seeds, Sequence) or isinstance(seeds, str | bytes):
        raise TypeError(f"{name} must be a sequence of int seeds; got {_describe(seeds)}.")
    if len(seeds) == 0:
        raise ValueError(f"{name} must hold at least one seed; got an empty {name}.")
    if num is not None and len(seeds) != num:
        raise ValueError(f"{name} must hold {num} seeds, one per sample; got {len(seeds)}.")
    return [check_seed(f"{name}[{i}]", seed) for i, seed in enumerate(seeds)]


def check_tensor(
    name: str,
    x: Any,
    *,
    ndim: int | Collection[int] | None = None,
    shape: Sequence[int | None] | None = None,
    floating: bool | None = None,
    finite: bool = True,
    value_range: tuple[float, float] | None = None,
    non_empty: bool = True,
    tolerance: float = 0.0,
) -> torch.Tensor:
    """Check a tensor's kind, shape and values.

    Args:
        ndim: required number of dimensions (or a collection of allowed ones).
        shape: required shape; ``None`` entries match any size.
        floating: ``True``: a float dtype is required; ``False``: an integer (not bool)
            dtype; ``None``: any dtype.
        finite: refuse NaN and infinite values (float tensors only).
        value_range: ``(low, high)`` the values must lie in, or ``None``.
        non_empty: refuse a tensor with no elements.
        tolerance: slack allowed beyond ``value_range`` for rounding error.

    Raises:
        TypeError: if ``x`` is not a tensor or has the wrong kind of dtype.
        ValueError: if its shape is wrong, it is empty, or a value is non-finite or
            out of range.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {_describe(x)}.")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and x.ndim not in allowed:
        want = " or ".join(str(d) for d in allowed)
        raise ValueError(f"{name} must have {want} dimensions; got shape {tuple(x.shape)}.")
    if shape is not None and (
        x.ndim != len(shape)
        or any(s is not None and s != d for s, d in zip(shape, x.shape, strict=False))
    ):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have shape {want}; got {tuple(x.shape)}.")
    if floating is True and not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor; got dtype {x.dtype}.")
    if floating is False and (x.is_floating_point() or x.is_complex() or x.dtype == torch.bool):
        raise TypeError(f"{name} must be an integer tensor; got dtype {x.dtype}.")
    if non_empty and x.numel() == 0:
        raise ValueError(f"{name} must not be empty; got shape {tuple(x.shape)}.")
    if finite and x.is_floating_point() and x.numel() and not torch.isfinite(x).all():
        count = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name} must be finite; got {count} NaN or infinite values.")
    if value_range is not None and x.numel():
        low, high = float(x.min()), float(x.max())
        if low < value_range[0] - tolerance or high > value_range[1] + tolerance:
            raise ValueError(
                f"{name} must be in [{value_range[0]:g}, {value_range[1]:g}]; "
                f"got values in [{low:.4g}, {high:.4g}]."
            )
    return x


def check_images(
    name: str,
    x: Any,
    *,
    channels: int | Collection[int] | None = None,
    size: int | tuple[int, int] | None = None,
    value_range: tuple[float, float] | None = (0.0, 1.0),
    non_empty: bool = True,
) -> torch.Tensor:
    """Check a ``(B, C, H, W)`` float image batch with finite values in range.

    Args:
        channels: required channel count (or a collection of allowed ones).
        size: required side (square) or ``(H, W)``.
        value_range: the pixel range, ``(0, 1)`` by default; ``None`` for any.
            A rounding slack of 1e-4 is allowed.
        non_empty: refuse an empty batch.

    Raises:
        TypeError: if ``x`` is not a float tensor.
        ValueError: wrong shape, empty, non-finite or out of range; the message
            hints at the usual cause ([0, 255] bytes, [-1, 1] tanh outputs).
    """
    x = check_tensor(name, x, ndim=4, floating=True, non_empty=non_empty)
    allowed = (channels,) if isinstance(channels, int) else channels
    if allowed is not None and x.shape[1] not in allowed:
        want = " or ".join(str(c) for c in allowed)
        raise ValueError(
            f"{name} must have {want} channels (shape (B, C, H, W)); got shape {tuple(x.shape)}."
        )
    if size is not None:
        height, width = (size, size) if isinstance(size, int) else size
        if tuple(x.shape[-2:]) != (height, width):
            raise ValueError(f"{name} must be {height}x{width} pixels; got shape {tuple(x.shape)}.")
    if value_range is None or x.numel() == 0:
        return x
    try:
        return check_tensor(name, x, value_range=value_range, tolerance=1e-4)
    except ValueError as error:
        low, high = float(x.min()), float(x.max())
        unit, symmetric = tuple(value_range) == (0.0, 1.0), tuple(value_range) == (-1.0, 1.0)
        hint = ""
        if unit and high > 1 + 1e-4 and low >= 0:
            hint = " They look like [0, 255] pixel values: divide by 255."
        elif unit and low >= -1 - 1e-4 and high <= 1 + 1e-4:
            hint = " They look like [-1, 1] (tanh) values: map them with (x + 1) / 2."
        elif symmetric and high > 1 + 1e-4 and low >= 0:
            hint = " They look like [0, 255] pixel values: map them with x / 127.5 - 1."
        raise ValueError(f"{error}{hint}") from None


def check_labels(
    name: str,
    labels: Any,
    *,
    num: int | None = None,
    num_classes: int | None = None,
) -> torch.Tensor:
    """The one label check: a 1-D integer tensor of class indices.

    Args:
        name: argument name used in the message, usually ``"labels"``.
        num: required number of labels (the batch size), or ``None`` for any.
        num_classes: labels must lie in ``[0, num_classes)``; ``None``: only ``>= 0``.

    Raises:
        TypeError: if ``labels`` is not an integer tensor (float and bool refused).
        ValueError: if it is not 1-D, has the wrong length or a label is out of range.
    """
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"{name} must be a 1-D int64 tensor; got {_describe(labels)}.")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise TypeError(f"{name} must be an integer (int64) tensor; got dtype {labels.dtype}.")
    if labels.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D, one label per sample; got shape {tuple(labels.shape)}."
        )
    if num is not None and len(labels) != num:
        raise ValueError(f"{name} must hold {num} labels, one per sample; got {len(labels)}.")
    if labels.numel():
        low, high = int(labels.min()), int(labels.max())
        allowed = ">= 0" if num_classes is None else f"in [0, {num_classes})"
        allowed += " (class indices)" if num_classes is None else f" for num_classes={num_classes}"
        if low < 0 or (num_classes is not None and high >= num_classes):
            raise ValueError(f"{name} must be {allowed}; got labels in [{low}, {high}].")
    return labels
