"""genaug.metrics.leak: the augmentation-leak detector."""

import pytest
import torch

from genaug.data import digits
from genaug.gan import DiffAugment
from genaug.metrics import AugmentationDetector, train_augmentation_detector


@pytest.fixture(scope="module")
def detector_and_images():
    images = digits("train").images[:400] * 2 - 1  # (400, 1, 16, 16) in [-1, 1]
    augment = DiffAugment("translation,cutout")
    detector = train_augmentation_detector(images, augment, steps=60, seed=0)
    return detector, images, augment


def test_detector_tells_clean_from_augmented(detector_and_images):
    detector, images, augment = detector_and_images
    augmented = augment(images, generator=torch.Generator().manual_seed(1))
    assert detector.flagged(augmented) - detector.flagged(images) > 0.5


def test_detector_is_deterministic_for_a_seed(detector_and_images):
    detector, images, augment = detector_and_images
    again = train_augmentation_detector(images, augment, steps=60, seed=0)
    batch = images[:50]
    assert torch.equal(detector.model(batch), again.model(batch))


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="steps"):
        train_augmentation_detector(torch.zeros(4, 1, 16, 16), lambda x, generator: x, steps=0)
    with pytest.raises(ValueError, match="N, C, H, W"):
        train_augmentation_detector(torch.zeros(16, 16), lambda x, generator: x)
    with pytest.raises(ValueError, match="N, C, H, W"):
        AugmentationDetector(torch.nn.Identity()).flagged(torch.zeros(3))
