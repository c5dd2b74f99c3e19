"""Geometric transforms that move pixels without resampling: the random horizontal flip.

Taught in lesson 7.2 (``lessons/ch07_tools/02_augmentation_libraries.ipynb``), where it is
checked against Albumentations, Augmentor, imgaug, torchvision v2 and Kornia. The
translation lives in :mod:`genaug.augment.classical`
(:class:`~genaug.augment.classical.RandomShift`) and, vectorised, in
:func:`genaug.gan.diffaugment.translation`.

The functional core draws nothing itself: :func:`horizontal_flip` takes the per-sample
decisions, :class:`RandomHorizontalFlip` draws them from a ``torch.Generator``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from genaug.augment.transform import Transform


def _check_layout(images: object) -> None:
    """Raise unless ``images`` is a floating (B, C, H, W) tensor. The finiteness check of
    :func:`~genaug.augment.transform.check_batch` (a full pass over the batch) is left to
    :class:`~genaug.augment.transform.Transform`'s call, so a pipeline pays it once."""
    if not isinstance(images, Tensor) or not images.is_floating_point():
        raise TypeError(f"images must be a floating point tensor, got {type(images).__name__}")
    if images.ndim != 4:
        raise ValueError(f"images must be a (B, C, H, W) batch, got {tuple(images.shape)}")


def _check_probability(name: str, value: object) -> float:
    """Raise unless ``value`` is a real number in [0, 1]; return it as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number in [0, 1], got {type(value).__name__} {value!r}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1], got {value}")
    return float(value)


def horizontal_flip(images: Tensor, flip: Tensor) -> Tensor:
    """Mirror the selected images left to right: pixel (i, j) becomes pixel (i, W - 1 - j).

    Args:
        images: (B, C, H, W) floating images.
        flip: (B,) bool, True where an image is flipped.

    Returns:
        (B, C, H, W) images; the unselected ones are returned unchanged.
    """
    _check_layout(images)
    if not isinstance(flip, Tensor) or flip.dtype != torch.bool or flip.shape != images.shape[:1]:
        raise ValueError(
            f"flip must be a bool tensor of shape ({images.shape[0]},), got "
            + (f"{flip.dtype} {tuple(flip.shape)}" if isinstance(flip, Tensor) else repr(flip))
        )
    flip = flip.to(images.device).view(-1, 1, 1, 1)  # (B, 1, 1, 1), broadcast over C, H, W
    return torch.where(flip, images.flip(-1), images)


class RandomHorizontalFlip(Transform):
    """Flip each image left to right with probability ``p``, one draw per image.

    Unlike ``torchvision.transforms.v2.RandomHorizontalFlip`` called on a batch tensor (one
    draw for the whole batch), every image of the batch decides for itself.

    Args:
        p: probability of flipping an image (default 0.5).
    """

    def __init__(self, p: float = 0.5) -> None:
        self.p = _check_probability("p", p)

    def forward(self, images: Tensor, generator: torch.Generator | None) -> Tensor:
        """Flip a random subset of a (B, C, H, W) batch."""
        device = generator.device if generator is not None else torch.device("cpu")
        flip = torch.rand(images.shape[0], generator=generator, device=device) < self.p  # (B,)
        return horizontal_flip(images, flip)
