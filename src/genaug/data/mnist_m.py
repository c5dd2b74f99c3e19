"""digits-M: the MNIST-M construction applied to the scikit-learn digits.

Ganin et al. (2016), "Domain-Adversarial Training of Neural Networks" (JMLR
17(59)), made MNIST-M by blending each MNIST digit over a random patch of a
colour photograph (BSDS500): ``out = |patch - digit|``, per channel. The digit
keeps its shape and label while colour and texture change, which makes a
target domain for unpaired translation (CycleGAN,
``lessons/ch05_practice/03_cyclegan``) and domain-adaptive augmentation
(``lessons/ch08_trends/02``).

Here the digits come from :func:`genaug.data.digits` and the photographs from
the colour photographs scikit-image bundles (``DIGITS_M_PHOTO_NAMES``: all of
``COLOUR_PHOTO_NAMES`` except the mostly black Hubble deep field, whose patches
would leave the digits unchanged).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from genaug._checks import check_choice, check_int, check_seed
from genaug.data.images import (
    DIGIT_SIZES,
    SPLITS,
    _digit_arrays,
    _digit_split_indices,
    digits,
    photos,
    resize_images,
)
from genaug.data.imageset import ImageSet

#: The photographs patches come from.
DIGITS_M_PHOTO_NAMES: tuple[str, ...] = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
)
#: Photographs are rescaled so their shorter side is this many digit sides: a
#: patch then shows a small part of a scene, as a 28x28 patch of a 481x321
#: BSDS500 photograph did in the original.
PHOTO_TO_DIGIT = 8


def digits_m(
    split: Literal["train", "test", "all"] = "train", *, size: int = 32, seed: int = 0
) -> ImageSet:
    """Blend the digits over random colour-photo patches (the MNIST-M construction).

    For digit ``i`` (grayscale, ink bright) and a ``size x size`` patch ``p`` of
    a colour photograph, the image is ``|p - digit_i|`` in each RGB channel:
    the background is the photo, the strokes are its inverse.

    The photographs (``DIGITS_M_PHOTO_NAMES``: astronaut, chelsea, coffee,
    rocket, immunohistochemistry) are rescaled so their shorter side
    is ``8 * size`` pixels. Which photo and where the patch sits are drawn
    uniformly for all 1,797 digits by ``numpy.random.default_rng(seed)`` and
    then looked up by the digit's global index, so a digit gets the same patch
    in ``"all"`` as in its own split.

    Args:
        split: ``"train"`` (default, N = 1,438), ``"test"`` (N = 359) or
            ``"all"`` (N = 1,797); the fixed split of :func:`genaug.data.digits`.
        size: image side in pixels, one of 8, 16 or 32 (default).
        seed: seed of the patch draw (default 0); the same seed gives the same images.

    Returns:
        ``ImageSet`` named ``"digits_m-<split>"``: images ``(N, 3, size, size)``
        float32 in ``[0, 1]``, labels ``(N,)`` int64 equal to those of
        ``digits(split)``, classes ``("0", ..., "9")``.

    Raises:
        ValueError: if ``split`` or ``size`` is not one of the values above.
        TypeError: if ``size`` or ``seed`` is not an int.
    """
    check_choice("split", split, SPLITS)
    check_int("size", size, choices=DIGIT_SIZES)
    check_seed("seed", seed)
    source = digits(split, size=size)
    global_indices = _digit_split_indices(split)
    num_digits = len(_digit_arrays()[1])
    backgrounds = _scaled_photos(size)
    # 1. draw a photo and a patch corner for every one of the 1,797 digits
    generator = np.random.default_rng(seed)
    photo_choice = generator.integers(0, len(backgrounds), size=num_digits)
    corners = generator.random((num_digits, 2))  # (1797, 2) uniforms for (top, left)
    patches = []
    for global_index in global_indices:
        photo = backgrounds[photo_choice[global_index]]  # (3, H, W)
        _, height, width = photo.shape
        top = int(corners[global_index, 0] * (height - size + 1))
        left = int(corners[global_index, 1] * (width - size + 1))
        patches.append(photo[:, top : top + size, left : left + size])
    patch_batch = torch.stack(patches)  # (N, 3, size, size)
    # 2. blend: |patch - digit|, the grayscale digit broadcast over RGB
    images = (patch_batch - source.images).abs()  # (N, 3, size, size)
    return ImageSet(
        images=images,
        labels=source.labels,
        classes=source.classes,
        name=f"digits_m-{split}",
    )


@lru_cache(maxsize=len(DIGIT_SIZES))
def _scaled_photos(size: int) -> tuple[Tensor, ...]:
    """The colour photos, each ``(3, H, W)`` with shorter side ``PHOTO_TO_DIGIT * size``."""
    scaled = []
    for image in photos(DIGITS_M_PHOTO_NAMES).values():
        _, height, width = image.shape
        factor = PHOTO_TO_DIGIT * size / min(height, width)
        new_height, new_width = round(height * factor), round(width * factor)
        scaled.append(resize_images(image.unsqueeze(0), new_height, new_width).squeeze(0))
    return tuple(scaled)
