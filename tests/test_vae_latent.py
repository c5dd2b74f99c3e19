"""Latent interpolation and attribute editing augmenters."""

from __future__ import annotations

import math

import pytest
import torch
from helpers import BandClassifier, bands

from genaug.augment import label_agreement
from genaug.train import fit_vae
from genaug.vae import (
    CVAE,
    AttributeEditAugmenter,
    CVAEConfig,
    InterpolationAugmenter,
    attribute_direction,
    lerp,
    slerp,
)


def test_lerp_and_slerp_endpoints_and_norm():
    rng = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(5, 16, generator=rng), torch.randn(5, 16, generator=rng)
    for mix in (lerp, slerp):
        assert torch.allclose(mix(z0, z1, 0.0), z0, atol=1e-5)
        assert torch.allclose(mix(z0, z1, 1.0), z1, atol=1e-5)
    # equal norms: slerp stays on the sphere, lerp's midpoint is shorter
    z1 = z1 / z1.norm(dim=1, keepdim=True) * z0.norm(dim=1, keepdim=True)
    middle = slerp(z0, z1, 0.5)
    assert torch.allclose(middle.norm(dim=1), z0.norm(dim=1), rtol=1e-4)
    assert (lerp(z0, z1, 0.5).norm(dim=1) < z0.norm(dim=1)).all()
    # slerp of orthogonal unit vectors at t is (cos, sin) of t * pi / 2
    e0, e1 = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    point = slerp(e0, e1, 1 / 3)
    assert torch.allclose(point, torch.tensor([[math.cos(math.pi / 6), math.sin(math.pi / 6)]]))
    assert torch.allclose(slerp(e0, e0, 0.3), e0)  # parallel codes fall back to lerp


def test_attribute_direction_recovers_a_linear_attribute():
    rng = torch.Generator().manual_seed(1)
    codes = torch.randn(5000, 4, generator=rng)
    w = torch.tensor([2.0, 0.0, -1.0, 0.5])
    values = 3.0 + codes @ w
    d = attribute_direction(codes, values)
    assert torch.allclose(d @ w, torch.tensor(1.0), atol=0.05)  # one unit of attribute per step
    assert torch.allclose(d / d.norm(), w / w.norm(), atol=0.05)
    # an almost constant coordinate gets no weight, however well it fits by chance
    codes[:, 1] *= 1e-4
    noisy = values + 50.0 * codes[:, 1]
    assert abs(attribute_direction(codes, noisy)[1]) < 1e-3


def test_attribute_direction_within_groups_ignores_group_differences():
    rng = torch.Generator().manual_seed(2)
    groups = torch.arange(600) % 3
    codes = torch.randn(600, 3, generator=rng)
    codes[:, 0] += 5.0 * groups  # coordinate 0 encodes the group...
    values = 10.0 * groups + codes[:, 1]  # ...which dominates the attribute across groups
    across = attribute_direction(codes, values)
    within = attribute_direction(codes, values, groups=groups)
    assert abs(across[0]) > abs(across[1])  # the pooled fit follows the group coordinate
    assert torch.allclose(within / within.norm(), torch.tensor([0.0, 1.0, 0.0]), atol=0.05)


@pytest.fixture(scope="module")
def trained():
    labels = torch.arange(64) % 4
    widths = torch.randint(2, 9, (64, 1, 1, 1), generator=torch.Generator().manual_seed(0))
    images = bands(labels) * (torch.arange(8) < widths).float()  # bands of random length
    config = CVAEConfig(image_size=8, latent_dim=2, base_channels=8, hidden_dim=32, num_classes=4)
    model = CVAE(config)
    fit_vae(model, images, labels, steps=300, batch_size=32, lr=3e-3, seed=0)
    return model, images, labels


@pytest.mark.parametrize("mode", ["slerp", "lerp"])
def test_interpolation_augmenter(trained, mode):
    model, images, labels = trained
    augmenter = InterpolationAugmenter(model, mode=mode)
    new_images, new_labels = augmenter(
        images, labels, 30, generator=torch.Generator().manual_seed(0)
    )
    assert new_images.shape == (30, 1, 8, 8) and new_labels.shape == (30,)
    assert label_agreement(new_images, new_labels, BandClassifier()) >= 0.95


def test_attribute_edit_augmenter_moves_the_attribute(trained):
    model, images, labels = trained
    with torch.no_grad():
        codes, _ = model.encode(images, labels)
    brightness = images.mean(dim=(1, 2, 3))  # the attribute: how long the band is
    direction = attribute_direction(codes, brightness)
    augmenter = AttributeEditAugmenter(model, direction[None], torch.tensor([0.1]))
    new_images, new_labels = augmenter(
        images, labels, 40, generator=torch.Generator().manual_seed(1)
    )
    assert new_images.shape == (40, 1, 8, 8)
    assert label_agreement(new_images, new_labels, BandClassifier()) >= 0.95
    # stepping along the direction brightens the decoded images, stepping against it darkens
    with torch.no_grad():
        brighter = torch.sigmoid(model.decode(codes + 0.2 * direction, labels))
        darker = torch.sigmoid(model.decode(codes - 0.2 * direction, labels))
    assert (brighter.mean(dim=(1, 2, 3)) > darker.mean(dim=(1, 2, 3))).float().mean() > 0.9


def test_bad_input(trained):
    model, images, labels = trained
    with pytest.raises(ValueError):
        lerp(torch.zeros(2, 3), torch.zeros(2, 4), 0.5)
    with pytest.raises(ValueError):
        slerp(torch.zeros(2, 3), torch.zeros(2, 3), 1.5)
    with pytest.raises(ValueError):
        attribute_direction(torch.zeros(3, 4), torch.zeros(3))
    with pytest.raises(ValueError):
        InterpolationAugmenter(model, mode="cubic")
    with pytest.raises(ValueError):
        InterpolationAugmenter(model, t_range=(0.8, 0.2))
    with pytest.raises(TypeError):
        InterpolationAugmenter("model")
    with pytest.raises(ValueError):
        AttributeEditAugmenter(model, torch.zeros(1, 3), torch.ones(1))
    with pytest.raises(ValueError):
        AttributeEditAugmenter(model, torch.zeros(1, 2), -torch.ones(1))
    with pytest.raises(ValueError):
        InterpolationAugmenter(model)(images, labels, 0)


@pytest.mark.parametrize("training", [True, False])
def test_augmenters_give_the_caller_its_model_back_in_the_same_mode(training):
    config = CVAEConfig(image_size=8, latent_dim=2, base_channels=8, hidden_dim=16, num_classes=4)
    model = CVAE(config).train(training)
    images, labels = torch.rand(8, 1, 8, 8), torch.arange(8) % 4
    outputs = []
    for augmenter in (
        InterpolationAugmenter(model),
        AttributeEditAugmenter(model, torch.randn(1, 2), torch.tensor([0.5])),
    ):
        outputs.append(augmenter(images, labels, 4, generator=torch.Generator().manual_seed(0)))
        assert model.training is training
        assert all(module.training is training for module in model.modules())
    # the numbers do not depend on the caller's mode: both run the model in eval mode
    model.train(not training)
    again = InterpolationAugmenter(model)(
        images, labels, 4, generator=torch.Generator().manual_seed(0)
    )
    assert torch.equal(again[0], outputs[0][0])
