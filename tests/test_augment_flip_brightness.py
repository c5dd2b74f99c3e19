"""genaug.augment.geometry and color: the random horizontal flip and brightness factor,
per-sample draws, and parity with torchvision v2's functional ops."""

from __future__ import annotations

import pytest
import torch
from torchvision.transforms.v2 import functional as TF

from genaug.augment import (
    Compose,
    RandomBrightness,
    RandomHorizontalFlip,
    adjust_brightness,
    horizontal_flip,
)


def batch(n: int = 8, size: int = 6) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(0))


def test_horizontal_flip_matches_torchvision_and_the_definition():
    images = batch()
    flip = torch.tensor([True, False] * 4)
    out = horizontal_flip(images, flip)
    assert torch.equal(out[flip], TF.horizontal_flip(images[flip]))
    assert torch.equal(out[~flip], images[~flip])
    assert torch.equal(out[0, :, :, 0], images[0, :, :, -1])  # pixel (i, 0) <- (i, W - 1)


def test_random_flip_draws_per_image_and_is_deterministic():
    images = batch(n=64)
    out = RandomHorizontalFlip()(images, generator=torch.Generator().manual_seed(1))
    flipped = (out == images.flip(-1)).flatten(1).all(1)
    unchanged = (out == images).flatten(1).all(1)
    assert (flipped | unchanged).all()
    assert 10 < flipped.sum() < 54  # some of each within one batch: per-sample draws
    again = RandomHorizontalFlip()(images, generator=torch.Generator().manual_seed(1))
    assert torch.equal(out, again)
    assert torch.equal(RandomHorizontalFlip(p=1.0)(images), images.flip(-1))
    assert torch.equal(RandomHorizontalFlip(p=0.0)(images), images)


def test_adjust_brightness_matches_torchvision():
    images = batch()
    for factor in (0.0, 0.6, 1.0, 1.3):
        expected = TF.adjust_brightness(images, factor)
        torch.testing.assert_close(adjust_brightness(images, factor), expected)
    factors = torch.linspace(0.5, 1.5, len(images))
    out = adjust_brightness(images, factors)
    for image, factor, result in zip(images, factors, out, strict=True):
        torch.testing.assert_close(result, TF.adjust_brightness(image, factor.item()))
    assert out.min() >= 0 and out.max() <= 1


def test_random_brightness_factors_lie_in_range_and_differ_per_image():
    images = torch.full((32, 1, 2, 2), 0.5)
    out = RandomBrightness(0.8, 1.2)(images, generator=torch.Generator().manual_seed(2))
    factors = out[:, 0, 0, 0] / 0.5  # (B,)
    assert factors.min() >= 0.8 - 1e-6 and factors.max() <= 1.2 + 1e-6
    assert factors.unique().numel() == 32
    pipeline = Compose([RandomHorizontalFlip(), RandomBrightness()])
    first = pipeline(batch(), generator=torch.Generator().manual_seed(3))
    assert torch.equal(first, pipeline(batch(), generator=torch.Generator().manual_seed(3)))


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: RandomHorizontalFlip(p=1.5), ValueError),
        (lambda: RandomHorizontalFlip(p="half"), TypeError),
        (lambda: horizontal_flip(batch(), torch.ones(3, dtype=torch.bool)), ValueError),
        (lambda: horizontal_flip(batch(), torch.ones(8)), ValueError),
        (lambda: RandomBrightness(1.2, 0.8), ValueError),
        (lambda: RandomBrightness(-0.1, 1.0), ValueError),
        (lambda: RandomBrightness("dim", 1.0), TypeError),
        (lambda: adjust_brightness(batch(), -1.0), ValueError),
        (lambda: adjust_brightness(batch(), torch.ones(3)), ValueError),
        (lambda: RandomBrightness()(torch.rand(4, 4)), ValueError),
    ],
)
def test_bad_inputs(call, error):
    with pytest.raises(error):
        call()
