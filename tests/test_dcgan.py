"""genaug.gan.dcgan and genaug.gan.losses."""

import math

import pytest
import torch

from genaug.augment.generative import GenerativeAugmenter
from genaug.gan import (
    DCGANAugmenter,
    DCGANConfig,
    DCGANDiscriminator,
    DCGANGenerator,
    discriminator_loss,
    generator_loss,
)


def make_config(**overrides):
    values = dict(image_size=16, channels=1, latent_dim=8, base_channels=8, num_classes=0)
    values.update(overrides)
    return DCGANConfig(**values)


@pytest.mark.parametrize("size", [8, 16, 32])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_and_range(size, channels):
    config = make_config(image_size=size, channels=channels)
    generator, discriminator = DCGANGenerator(config), DCGANDiscriminator(config)
    images = generator(torch.randn(5, 8))
    assert images.shape == (5, channels, size, size)
    assert images.abs().max() <= 1.0
    assert discriminator(images).shape == (5,)


def test_conditional_models_use_labels():
    config = make_config(num_classes=3)
    torch.manual_seed(0)
    generator, discriminator = DCGANGenerator(config), DCGANDiscriminator(config)
    latent = torch.randn(4, 8)
    a = generator(latent, torch.tensor([0, 0, 0, 0]))
    b = generator(latent, torch.tensor([1, 1, 1, 1]))
    assert not torch.allclose(a, b)
    logits = discriminator(a, torch.tensor([0, 1, 2, 0]))
    assert logits.shape == (4,)
    with pytest.raises(ValueError, match="class-conditional"):
        generator(latent)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        discriminator(a, torch.tensor([0, 1, 3, 0]))
    with pytest.raises(TypeError, match="int64"):
        discriminator(a, torch.tensor([0.0, 1.0, 2.0, 0.0]))


def test_unconditional_models_reject_labels():
    config = make_config()
    with pytest.raises(ValueError, match="unconditional"):
        DCGANGenerator(config)(torch.randn(2, 8), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="unconditional"):
        DCGANDiscriminator(config)(torch.zeros(2, 1, 16, 16), torch.tensor([0, 1]))


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("image_size", 12, "power of two"),
        ("image_size", 4, "power of two"),
        ("latent_dim", 0, "latent_dim"),
        ("channels", -1, "channels"),
        ("num_classes", -2, "num_classes"),
    ],
)
def test_bad_config(field, value, match):
    with pytest.raises(ValueError, match=match):
        make_config(**{field: value})


def test_bad_inputs():
    config = make_config()
    with pytest.raises(ValueError, match=r"latent must have shape \(B, 8\)"):
        DCGANGenerator(config)(torch.randn(2, 9))
    with pytest.raises(ValueError, match="images must have shape"):
        DCGANDiscriminator(config)(torch.zeros(2, 3, 16, 16))
    with pytest.raises(ValueError, match="num_samples"):
        DCGANGenerator(config).sample(0)


def test_initialisation_follows_the_paper():
    generator = DCGANGenerator(make_config(base_channels=32))
    weight = generator.stages[0].weight
    assert abs(weight.std().item() - 0.02) < 0.003
    assert abs(weight.mean().item()) < 0.003


def test_sample_is_reproducible_and_keeps_mode():
    generator = DCGANGenerator(make_config())
    generator.train()
    a = generator.sample(6, generator=torch.Generator().manual_seed(3))
    b = generator.sample(6, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert generator.training


def test_sample_is_the_forward_pass_mapped_to_unit_range():
    torch.manual_seed(0)
    generator = DCGANGenerator(make_config(num_classes=3)).eval()
    with torch.no_grad():
        generator.stages[-2].weight.mul_(5000)  # saturate the tanh: outputs reach -1 and 1
    labels = torch.tensor([0, 1, 2, 1])
    samples = generator.sample(4, labels=labels, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        latent = torch.randn(4, 8, generator=torch.Generator().manual_seed(7))
        raw = generator(latent, labels)  # (4, 1, 16, 16) in [-1, 1]
    assert raw.min() < -0.999 and raw.max() > 0.999
    assert torch.equal(samples, (raw + 1) / 2)
    assert samples.min() >= 0 and samples.max() <= 1


def test_augmenter_draws_balanced_labelled_samples():
    torch.manual_seed(0)
    generator = DCGANGenerator(make_config(num_classes=4))
    augmenter = DCGANAugmenter(generator)
    assert isinstance(augmenter, GenerativeAugmenter)
    images, labels = torch.rand(6, 1, 16, 16), torch.tensor([0, 2, 3, 0, 2, 3])
    new_images, new_labels = augmenter(
        images, labels, 9, generator=torch.Generator().manual_seed(1)
    )
    assert new_images.shape == (9, 1, 16, 16) and new_labels.shape == (9,)
    assert 0 <= new_images.min() and new_images.max() <= 1
    assert sorted(new_labels.tolist()) == [0, 0, 0, 2, 2, 2, 3, 3, 3]  # class 1 is absent
    again = augmenter(images, labels, 9, generator=torch.Generator().manual_seed(1))
    assert torch.equal(new_images, again[0]) and torch.equal(new_labels, again[1])
    other, _ = augmenter(images, labels, 9, generator=torch.Generator().manual_seed(2))
    assert not torch.equal(new_images, other)
    # each image is the generator's sample for its label
    wanted = torch.tensor([3, 0, 2])
    assert torch.equal(
        augmenter.sample(wanted, generator=torch.Generator().manual_seed(5)),
        generator.sample(3, labels=wanted, generator=torch.Generator().manual_seed(5)),
    )
    with pytest.raises(ValueError, match="class-conditional"):
        DCGANAugmenter(DCGANGenerator(make_config()))
    with pytest.raises(TypeError, match="DCGANGenerator"):
        DCGANAugmenter(torch.nn.Linear(2, 2))


def test_losses_match_their_formulas():
    real = torch.tensor([2.0, -1.0, 0.5])
    fake = torch.tensor([-3.0, 0.0])
    sigmoid = torch.sigmoid
    expected_d = -torch.log(sigmoid(real)).mean() - torch.log(1 - sigmoid(fake)).mean()
    assert discriminator_loss(real, fake).item() == pytest.approx(expected_d.item(), rel=1e-6)
    expected_g = -torch.log(sigmoid(fake)).mean()
    assert generator_loss(fake).item() == pytest.approx(expected_g.item(), rel=1e-6)
    # at D = 1/2 everywhere the discriminator loss is 2 log 2
    assert discriminator_loss(torch.zeros(4), torch.zeros(4)).item() == pytest.approx(
        2 * math.log(2)
    )
    with pytest.raises(TypeError, match="floating-point"):
        generator_loss(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="empty"):
        discriminator_loss(torch.zeros(0), torch.zeros(2))


def test_a_few_steps_reduce_discriminator_loss():
    torch.manual_seed(0)
    config = make_config()
    generator, discriminator = DCGANGenerator(config), DCGANDiscriminator(config)
    optimizer = torch.optim.Adam(discriminator.parameters(), lr=1e-3)
    real = torch.rand(16, 1, 16, 16) * 2 - 1
    losses = []
    for _ in range(20):
        with torch.no_grad():
            fake = generator(torch.randn(16, 8))
        loss = discriminator_loss(discriminator(real), discriminator(fake))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
