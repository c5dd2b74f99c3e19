"""beta-VAE tools and the shared VAE training loop."""

from __future__ import annotations

import pytest
import torch

from genaug.train import fit_vae
from genaug.vae import (
    CVAE,
    CVAEConfig,
    capacity_loss,
    gaussian_kl,
    kl_per_dimension,
    latent_traversal,
)


def tiny(num_classes=0):
    return CVAEConfig(
        image_size=8, latent_dim=3, base_channels=4, hidden_dim=16, num_classes=num_classes
    )


def test_kl_per_dimension_adds_up_to_the_kl():
    rng = torch.Generator().manual_seed(0)
    mean, logvar = torch.randn(7, 3, generator=rng), torch.randn(7, 3, generator=rng)
    per_dim = kl_per_dimension(mean, logvar)
    assert per_dim.shape == (3,) and (per_dim >= 0).all()
    assert torch.allclose(per_dim.sum(), gaussian_kl(mean, logvar).mean())
    inactive = kl_per_dimension(torch.zeros(5, 2), torch.zeros(5, 2))
    assert torch.equal(inactive, torch.zeros(2))


def test_latent_traversal_sweeps_one_coordinate():
    torch.manual_seed(0)
    model = CVAE(tiny())
    z = torch.randn(3)
    values = torch.linspace(-2, 2, 5)
    images = latent_traversal(model, z, 1, values)
    assert images.shape == (5, 1, 8, 8) and images.min() >= 0 and images.max() <= 1
    expected = z.repeat(5, 1)
    expected[:, 1] = values
    assert torch.allclose(images, torch.sigmoid(model.decode(expected)))
    unchanged = latent_traversal(model, z, 1, z[1:2])
    assert torch.allclose(unchanged[0], torch.sigmoid(model.decode(z[None]))[0])
    conditional = CVAE(tiny(num_classes=2))
    assert latent_traversal(conditional, z, 0, values, labels=torch.tensor([1])).shape[0] == 5


def test_capacity_loss():
    reconstruction, kl = torch.tensor(50.0), torch.tensor(3.0)
    assert capacity_loss(reconstruction, kl, capacity=5.0, gamma=10.0) == 70.0
    assert capacity_loss(reconstruction, kl, capacity=3.0) == 50.0


def test_fit_vae_is_deterministic_and_warms_up():
    images = torch.rand(40, 1, 8, 8)
    first, second = CVAE(tiny()), CVAE(tiny())
    history = fit_vae(first, images, steps=12, batch_size=8, beta=2.0, warmup_steps=4, seed=3)
    fit_vae(second, images, steps=12, batch_size=8, beta=2.0, warmup_steps=4, seed=3)
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert history["beta"][:5] == [0.5, 1.0, 1.5, 2.0, 2.0]
    assert len(history["neg_elbo"]) == 12


def test_fit_vae_lowers_the_loss():
    images = torch.zeros(64, 1, 8, 8)
    images[:32, :, :4] = 1.0  # two kinds of image: top half or bottom half lit
    images[32:, :, 4:] = 1.0
    history = fit_vae(CVAE(tiny()), images, steps=150, batch_size=32, lr=3e-3, seed=0)
    assert sum(history["neg_elbo"][-10:]) < 0.5 * sum(history["neg_elbo"][:10])


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: kl_per_dimension(torch.zeros(2, 3), torch.zeros(2, 2)), ValueError),
        (lambda: kl_per_dimension([0.0], torch.zeros(1)), TypeError),
        (lambda: latent_traversal(CVAE(tiny()), torch.zeros(3), 3, torch.zeros(2)), ValueError),
        (lambda: latent_traversal(CVAE(tiny()), torch.zeros(4), 0, torch.zeros(2)), ValueError),
        (lambda: latent_traversal("model", torch.zeros(3), 0, torch.zeros(2)), TypeError),
        (lambda: capacity_loss(torch.tensor(1.0), torch.tensor(1.0), capacity=-1), ValueError),
        (lambda: fit_vae(CVAE(tiny()), torch.rand(4, 1, 8, 8), steps=0), ValueError),
        (lambda: fit_vae("model", torch.rand(4, 1, 8, 8), steps=1), TypeError),
        (
            lambda: fit_vae(CVAE(tiny(2)), torch.rand(4, 1, 8, 8), torch.zeros(3).long(), steps=1),
            ValueError,
        ),
    ],
)
def test_bad_input(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize("profile", ["smoke", "cpu", "gpu"])
def test_shapes_beta_vae_settings(profile):
    from genaug.cache import data_hash
    from genaug.recipes import shapes_beta_vae_settings, shapes_training_images

    model_config, train_config = shapes_beta_vae_settings(4.0, profile)
    assert model_config.num_classes == 0 and model_config.latent_dim == 8
    assert train_config.items() >= vars(model_config).items()
    assert train_config["beta"] == 4.0
    assert shapes_beta_vae_settings(1.0, profile)[1]["beta"] == 1.0
    images = shapes_training_images(profile)  # the key names the training data by its content
    assert len(images) == train_config["num_train"]
    assert train_config["data"] == data_hash(images)
    with pytest.raises(ValueError):
        shapes_beta_vae_settings(-1.0, profile)
