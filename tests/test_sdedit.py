"""genaug.diffusion.sdedit: SDEdit and the diffusion augmenters."""

import pytest
import torch
from helpers import gaussian_oracle

from genaug.augment.generative import GenerativeAugmenter
from genaug.diffusion import NoiseSchedule
from genaug.diffusion.sdedit import (
    GuidedDiffusionAugmenter,
    SDEditAugmenter,
    sdedit,
    sdedit_timesteps,
)
from genaug.nn import UNet, UNetConfig


def test_strength_maps_to_t0_and_steps():
    assert sdedit_timesteps(0.0, 1000, 50) == []
    steps = sdedit_timesteps(0.5, 1000, 50)
    assert len(steps) == 25 and steps[0] == 499 and steps[-1] == 0
    assert steps == sorted(steps, reverse=True)
    full = sdedit_timesteps(1.0, 1000, 50)
    assert len(full) == 50 and full[0] == 999
    assert sdedit_timesteps(0.002, 1000, 50) == [1]  # t0 = 2: one step, from index 1
    assert sdedit_timesteps(0.001, 1000, 50) == [0]


def test_strength_zero_returns_the_input():
    schedule = NoiseSchedule(100)
    images = torch.rand(3, 1, 4, 4) * 2 - 1
    out = sdedit(
        gaussian_oracle(schedule, 0, 1),
        images,
        schedule,
        strength=0.0,
        num_steps=10,
        seeds=[0, 1, 2],
    )
    assert torch.equal(out, images)


def test_fidelity_falls_and_the_data_distribution_is_reached_as_strength_grows():
    schedule = NoiseSchedule(1000, schedule="cosine")
    mean, std = 0.2, 0.3
    model_fn = gaussian_oracle(schedule, mean, std)
    source = torch.full((400, 1, 2, 2), -0.9)  # far from the data: x_0 = -0.9
    distance = {}
    for strength in (0.05, 0.3, 0.6, 1.0):
        out = sdedit(model_fn, source, schedule, strength=strength, num_steps=50, seeds=range(400))
        distance[strength] = (out - source).abs().mean().item()
    assert distance[0.05] < distance[0.3] < distance[0.6] < distance[1.0]
    assert distance[0.05] < 0.1  # barely touched
    assert out.mean().item() == pytest.approx(mean, abs=0.03)  # s = 1: a fresh sample of the data
    assert out.std().item() == pytest.approx(std, rel=0.1)


def test_reproducible_per_image():
    schedule = NoiseSchedule(100)
    model_fn = gaussian_oracle(schedule, 0.0, 0.5)
    images = torch.rand(3, 1, 4, 4) * 2 - 1
    batch = sdedit(model_fn, images, schedule, strength=0.5, num_steps=10, seeds=[4, 5, 6], eta=1.0)
    alone = sdedit(model_fn, images[1:2], schedule, strength=0.5, num_steps=10, seeds=[5], eta=1.0)
    torch.testing.assert_close(batch[1:2], alone)


def tiny_unet():
    torch.manual_seed(0)
    model = UNet(UNetConfig(base_channels=8, channel_mults=(1, 2), num_classes=3))
    for parameter in model.parameters():
        parameter.data.normal_(0, 0.05)
    return model.eval()


def test_augmenters_follow_the_interface():
    schedule = NoiseSchedule(100)
    images, labels = torch.rand(6, 1, 16, 16), torch.tensor([0, 1, 2, 0, 1, 2])
    for augmenter in (
        SDEditAugmenter(tiny_unet(), schedule, strength=0.3, num_steps=10),
        GuidedDiffusionAugmenter(tiny_unet(), schedule, num_steps=5),
    ):
        assert isinstance(augmenter, GenerativeAugmenter)
        new_images, new_labels = augmenter(
            images, labels, 9, generator=torch.Generator().manual_seed(0)
        )
        assert new_images.shape == (9, 1, 16, 16) and new_labels.shape == (9,)
        assert 0 <= new_images.min() and new_images.max() <= 1
        again, _ = augmenter(images, labels, 9, generator=torch.Generator().manual_seed(0))
        assert torch.equal(new_images, again)
    # SDEdit keeps each source's label; the sampler draws balanced labels
    assert sorted(new_labels.bincount().tolist()) == [3, 3, 3]


def test_sdedit_augmenter_at_zero_strength_copies_its_sources():
    schedule = NoiseSchedule(100)
    images, labels = torch.rand(4, 1, 16, 16), torch.tensor([0, 1, 2, 1])
    augmenter = SDEditAugmenter(tiny_unet(), schedule, strength=0.0)
    new_images, new_labels = augmenter(
        images, labels, 5, generator=torch.Generator().manual_seed(1)
    )
    for image, label in zip(new_images, new_labels, strict=True):
        matches = [i for i in range(4) if torch.allclose(images[i], image, atol=1e-6)]
        assert matches and all(labels[i] == label for i in matches)


def test_bad_inputs():
    schedule = NoiseSchedule(100)
    x = torch.zeros(2, 1, 4, 4)
    model_fn = gaussian_oracle(schedule, 0, 1)
    with pytest.raises(ValueError, match=r"strength must be in \[0, 1\]"):
        sdedit(model_fn, x, schedule, strength=1.5, num_steps=10, seeds=[0, 1])
    with pytest.raises(ValueError, match="got 3 seeds for 2 images"):
        sdedit(model_fn, x, schedule, strength=0.5, num_steps=10, seeds=[0, 1, 2])
    with pytest.raises(ValueError, match="num_steps must be >= 1"):
        sdedit_timesteps(0.5, 100, 0)
    with pytest.raises(ValueError, match="strength"):
        SDEditAugmenter(tiny_unet(), schedule, strength=-0.1)


def test_outputs_are_pinned_for_fixed_seeds():
    # values recorded before SDEdit was rebuilt on DDIMSampler.sample(timesteps=...)
    schedule = NoiseSchedule(100)
    model_fn = gaussian_oracle(schedule, 0.1, 0.4)
    images = torch.linspace(-1, 1, 2 * 16).view(2, 1, 4, 4)
    pinned = {
        0.0: [-0.4323669672012329, -0.34746867418289185, 0.2196415662765503, 0.8501585125923157],
        1.0: [-0.3066592514514923, -0.26658356189727783, 0.11415998637676239, 0.5758765339851379],
    }
    for eta, expected in pinned.items():
        out = sdedit(model_fn, images, schedule, strength=0.6, num_steps=10, seeds=[3, 7], eta=eta)
        values = out.flatten()[[0, 5, 17, -1]]
        torch.testing.assert_close(values, torch.tensor(expected), rtol=0, atol=1e-6)
    augmenter = SDEditAugmenter(tiny_unet(), schedule, strength=0.3, num_steps=10)
    sources = torch.linspace(0, 1, 3 * 256).view(3, 1, 16, 16)
    new_images, new_labels = augmenter(
        sources, torch.tensor([0, 1, 2]), 4, generator=torch.Generator().manual_seed(0)
    )
    expected = [0.6341670155525208, 0.7156544923782349, 0.7291213274002075, 0.27358901500701904]
    torch.testing.assert_close(
        new_images.flatten()[[0, 5, 17, -1]], torch.tensor(expected), rtol=0, atol=1e-6
    )
    assert new_labels.tolist() == [2, 0, 2, 0]
