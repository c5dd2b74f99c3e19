"""Colour transforms: the random brightness factor.

Taught in lesson 7.2 (``lessons/ch07_tools/02_augmentation_libraries.ipynb``), where it is
checked against the libraries that share its definition (torchvision, Kornia's
``ColorJitter``, Albumentations' ``ColorJitter``, imgaug's ``Multiply``, PIL's
``ImageEnhance.Brightness`` used by Augmentor) and contrasted with those that do not (Kornia's
``RandomBrightness`` and Albumentations' ``RandomBrightnessContrast`` add an offset).

Brightness here is multiplicative, Eq. (eq-augmentation-libraries-brightness):
``out = clamp(factor * x, 0, 1)``, the definition of torchvision and PIL.
"""

from __future__ import annotations

import torch
from torch import Tensor

from genaug.augment.geometry import _check_layout
from genaug.augment.transform import Transform


def adjust_brightness(images: Tensor, factor: Tensor | float) -> Tensor:
    """Multiply each image by its brightness factor and clamp to [0, 1].

    Args:
        images: (B, C, H, W) floating images in [0, 1].
        factor: a number >= 0, or a (B,) tensor of per-image factors >= 0; 1 leaves an
            image unchanged, 0 makes it black.

    Returns:
        (B, C, H, W) images in [0, 1]; Eq. (eq-augmentation-libraries-brightness).
    """
    _check_layout(images)
    factor = torch.as_tensor(factor, dtype=images.dtype, device=images.device)
    if factor.ndim == 0:
        factor = factor.expand(images.shape[0])
    if factor.shape != images.shape[:1]:
        raise ValueError(
            f"factor must be a number or a ({images.shape[0]},) tensor, got {tuple(factor.shape)}"
        )
    if not torch.isfinite(factor).all() or (factor < 0).any():
        raise ValueError("brightness factors must be finite and >= 0")
    return (images * factor.view(-1, 1, 1, 1)).clamp(0.0, 1.0)


class RandomBrightness(Transform):
    """Scale each image's brightness by its own factor drawn uniformly from [low, high].

    ``RandomBrightness(0.75, 1.25)`` is the brightness part of torchvision's
    ``ColorJitter(brightness=0.25)``, with one draw per image instead of one per call.

    Args:
        low: smallest factor (>= 0).
        high: largest factor (>= low).
    """

    def __init__(self, low: float = 0.75, high: float = 1.25) -> None:
        for name, value in (("low", low), ("high", high)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
        if not 0 <= low <= high:
            raise ValueError(f"need 0 <= low <= high, got low={low}, high={high}")
        self.low, self.high = float(low), float(high)

    def forward(self, images: Tensor, generator: torch.Generator | None) -> Tensor:
        """Brighten or darken each image of a (B, C, H, W) batch."""
        device = generator.device if generator is not None else torch.device("cpu")
        uniform = torch.rand(images.shape[0], generator=generator, device=device)  # (B,)
        return adjust_brightness(
            images, self.low + (self.high - self.low) * uniform.to(images.device)
        )
