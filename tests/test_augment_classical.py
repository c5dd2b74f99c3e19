"""genaug.augment.transform, classical and mixing: the Transform interface, RandomShift,
mixup and CutMix."""

from __future__ import annotations

import pytest
import torch

from genaug.augment import Compose, RandomShift, Transform, cutmix, mixup, random_shift
from genaug.augment.mixing import _draw


def batch(n: int = 6, size: int = 8) -> torch.Tensor:
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(0))


def test_random_shift_moves_each_image_by_its_own_offset():
    images = torch.zeros(64, 1, 9, 9)
    images[:, :, 4, 4] = 1.0  # one bright pixel in the centre
    shifted = RandomShift(2)(images, generator=torch.Generator().manual_seed(1))
    positions = shifted.flatten(1).argmax(1)  # (B,) where the pixel went
    rows, cols = positions // 9, positions % 9
    assert rows.min() >= 2 and rows.max() <= 6 and cols.min() >= 2 and cols.max() <= 6
    assert len(set(zip(rows.tolist(), cols.tolist(), strict=True))) > 10  # per-sample offsets
    assert shifted.sum(dim=(1, 2, 3)).eq(1).all()  # nothing lost inside the shift range


def test_transforms_are_deterministic_per_generator_and_compose():
    images = batch()
    first = RandomShift(1)(images, generator=torch.Generator().manual_seed(3))
    again = RandomShift(1)(images, generator=torch.Generator().manual_seed(3))
    other = RandomShift(1)(images, generator=torch.Generator().manual_seed(4))
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert torch.equal(RandomShift(0)(images), images)
    both = Compose([RandomShift(1), RandomShift(1)])(
        images, generator=torch.Generator().manual_seed(5)
    )
    rng = torch.Generator().manual_seed(5)
    by_hand = random_shift(random_shift(images, 1, rng), 1, rng)
    assert torch.equal(both, by_hand)
    assert isinstance(RandomShift(1), Transform) and "max_shift=1" in repr(RandomShift(1))


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: RandomShift(-1), ValueError),
        (lambda: RandomShift(1.5), TypeError),
        (lambda: RandomShift(1)(torch.rand(0, 1, 4, 4)), ValueError),
        (lambda: RandomShift(1)(torch.rand(4, 4)), ValueError),
        (lambda: RandomShift(1)(torch.full((1, 1, 4, 4), float("nan"))), ValueError),
        (lambda: RandomShift(1)(torch.zeros(1, 1, 4, 4, dtype=torch.long)), TypeError),
        (lambda: RandomShift(1)(torch.rand(1, 1, 4, 4), generator=3), TypeError),
        (lambda: Compose([RandomShift(1), "flip"]), TypeError),
    ],
)
def test_transform_bad_inputs(call, error):
    with pytest.raises(error):
        call()


def test_mixup_mixes_images_and_labels_with_the_same_weight():
    images, labels = batch(), torch.tensor([0, 1, 2, 0, 1, 2])
    mixed, soft = mixup(
        images, labels, num_classes=3, alpha=0.4, generator=torch.Generator().manual_seed(0)
    )
    assert mixed.shape == images.shape and soft.shape == (6, 3)
    assert torch.allclose(soft.sum(1), torch.ones(6, dtype=soft.dtype))
    # each mixed image is lam * own + (1 - lam) * partner, with the same lam on the labels
    lam, perm = _draw(6, 0.4, torch.Generator().manual_seed(0))
    lam = lam.float()
    expected = lam.view(-1, 1, 1, 1) * images + (1 - lam.view(-1, 1, 1, 1)) * images[perm]
    assert torch.allclose(mixed, expected, atol=1e-6)
    one_hot = torch.nn.functional.one_hot(labels, 3).float()
    assert torch.allclose(soft, lam[:, None] * one_hot + (1 - lam[:, None]) * one_hot[perm])
    assert 0 < lam.min() and lam.max() < 1
    assert not torch.equal(mixed, images)


def test_cutmix_label_weight_is_the_pasted_area():
    images = torch.zeros(32, 1, 10, 10)
    images[16:] = 1.0  # half black, half white: the pasted share is visible in the mean
    labels = torch.cat([torch.zeros(16), torch.ones(16)]).long()
    mixed, soft = cutmix(images, labels, num_classes=2, generator=torch.Generator().manual_seed(2))
    white_share = mixed.flatten(1).mean(1)  # (B,) share of white pixels
    assert torch.allclose(soft[:, 1].float(), white_share, atol=1e-6)
    assert torch.allclose(soft.sum(1), torch.ones(32))


@pytest.mark.parametrize("mix", [mixup, cutmix])
def test_mixing_bad_inputs(mix):
    images = batch()
    with pytest.raises(ValueError, match="labels"):
        mix(images, torch.zeros(5).long(), num_classes=3)
    with pytest.raises(ValueError, match="labels"):
        mix(images, torch.full((6,), 3), num_classes=3)
    with pytest.raises(ValueError, match="alpha"):
        mix(images, torch.zeros(6).long(), num_classes=3, alpha=float("nan"))
    with pytest.raises(TypeError, match="num_classes"):
        mix(images, torch.zeros(6).long(), num_classes=2.0)
