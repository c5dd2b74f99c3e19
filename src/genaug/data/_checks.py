"""Argument checks shared by the dataset loaders.

Each check raises a ``TypeError`` (wrong kind of value) or a ``ValueError``
(right kind, wrong value) whose message names the argument, what was expected
and what came, so a reader can fix the call without opening the source.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import torch
from torch.nn import functional


def check_choice(name: str, value: Any, choices: Collection[Any]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``.

    Args:
        name: argument name used in the message, e.g. ``"split"``.
        value: the value the caller passed.
        choices: the allowed values.

    Raises:
        ValueError: if ``value`` is not in ``choices``.
    """
    if value not in choices:
        allowed = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}.")


def check_int(
    name: str,
    value: Any,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    choices: Collection[int] | None = None,
) -> None:
    """Raise unless ``value`` is a plain integer within the allowed values.

    Args:
        name: argument name used in the message, e.g. ``"size"``.
        value: the value the caller passed.
        minimum: smallest allowed value (inclusive), or ``None`` for no bound.
        maximum: largest allowed value (inclusive), or ``None`` for no bound.
        choices: the only allowed values, or ``None`` to allow any in range.

    Raises:
        TypeError: if ``value`` is not an ``int`` (``bool`` is refused too).
        ValueError: if ``value`` is out of range or not among ``choices``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}.")
    if choices is not None and value not in choices:
        allowed = ", ".join(str(choice) for choice in sorted(choices))
        raise ValueError(f"{name} must be one of {allowed}; got {value}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}; got {value}.")


def resize_images(images: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Resize a batch of images with antialiased bilinear interpolation.

    Antialiasing matters when shrinking (it averages over the footprint of each
    output pixel instead of sampling a few input pixels); when enlarging it
    changes nothing.

    Args:
        images: ``(N, C, H, W)`` float32 in ``[0, 1]``.
        height: output height in pixels.
        width: output width in pixels.

    Returns:
        ``(N, C, height, width)`` float32, clamped to ``[0, 1]`` (bilinear
        interpolation with antialiasing can overshoot slightly). A new tensor,
        also when the size is unchanged.
    """
    # images: (N, C, H, W)
    if images.shape[-2:] == (height, width):
        return images.clone()
    resized = functional.interpolate(
        images, size=(height, width), mode="bilinear", align_corners=False, antialias=True
    )
    return resized.clamp_(0.0, 1.0)
