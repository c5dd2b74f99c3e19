"""Classical (model-free) augmentations, one stateless function per kind.

Each kind is a stateless function (parameters drawn per sample from a
``torch.Generator``) with a :class:`~genaug.augment.transform.Transform` class over it.
:func:`random_shift` is the translation the reference classifier trains with.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from genaug._checks import check_int, check_tensor
from genaug.augment.transform import Transform


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by an integer offset in [-max_shift, max_shift], zero-filled.

    Args:
        images: (B, C, H, W).
        max_shift: largest shift in pixels (>= 0).
        generator: source of the random offsets.

    Returns:
        (B, C, H, W) shifted images.
    """
    check_tensor("images", images, ndim=4, finite=False)
    check_int("max_shift", max_shift, min=0)
    if max_shift == 0:
        return images
    batch, _, height, width = images.shape
    padded = F.pad(images, [max_shift] * 4)
    offsets = torch.randint(0, 2 * max_shift + 1, (batch, 2), generator=generator)
    return torch.stack(
        [
            padded[i, :, dy : dy + height, dx : dx + width]
            for i, (dy, dx) in enumerate(offsets.tolist())
        ]
    )


class RandomShift(Transform):
    """Translate each image by its own integer offset in [-max_shift, max_shift], zero-filled.

    The augmentation the reference classifier trains with (:func:`random_shift`).

    Args:
        max_shift: largest shift in pixels (>= 0).
    """

    def __init__(self, max_shift: int) -> None:
        check_int("max_shift", max_shift, min=0)
        self.max_shift = max_shift

    def forward(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """Shift each image of a (B, C, H, W) batch."""
        if generator is None:
            generator = torch.default_generator
        return random_shift(images, self.max_shift, generator)
