"""Classical (model-free) augmentations, one stateless function per kind.

:func:`random_shift` is the translation the reference classifier trains with.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from genaug._checks import check_int


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by an integer offset in [-max_shift, max_shift], zero-filled.

    Args:
        images: (B, C, H, W).
        max_shift: largest shift in pixels (>= 0).
        generator: source of the random offsets.

    Returns:
        (B, C, H, W) shifted images.
    """
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
