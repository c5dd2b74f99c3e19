"""The conditional VAE: shapes, the loss's terms, a tiny full training loop, the augmenter."""

from __future__ import annotations

import pytest
import torch
from helpers import BandClassifier, bands

from genaug.augment import label_agreement
from genaug.vae import CVAE, CVAEAugmenter, CVAEConfig, bernoulli_log_likelihood, gaussian_kl


def tiny(**overrides):
    settings = dict(image_size=8, latent_dim=4, base_channels=8, hidden_dim=32, num_classes=4)
    settings.update(overrides)
    return CVAEConfig(**settings)


@pytest.mark.parametrize(
    ("size", "channels", "num_classes"), [(8, 1, 4), (16, 1, 10), (32, 3, 0), (16, 3, 3)]
)
def test_shapes(size, channels, num_classes):
    config = tiny(image_size=size, channels=channels, num_classes=num_classes)
    model = CVAE(config)
    images = torch.rand(5, channels, size, size)
    labels = torch.arange(5) % num_classes if num_classes else None
    mean, logvar = model.encode(images, labels)
    assert mean.shape == logvar.shape == (5, config.latent_dim)
    assert model.decode(mean, labels).shape == (5, channels, size, size)
    samples = model.sample(5, labels=labels, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (5, channels, size, size)
    assert samples.min() >= 0 and samples.max() <= 1
    assert model.reconstruct(images, labels).shape == images.shape


def test_loss_terms_are_the_elbo_pieces():
    torch.manual_seed(0)
    model = CVAE(tiny())
    images, labels = torch.rand(6, 1, 8, 8), torch.arange(6) % 4
    terms = model.loss(images, labels, beta=3.0, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(terms["loss"], terms["reconstruction"] + 3.0 * terms["kl"])
    assert torch.allclose(terms["neg_elbo"], terms["reconstruction"] + terms["kl"])
    # recompute by hand with the same noise
    mean, logvar = model.encode(images, labels)
    eps = torch.randn(mean.shape, generator=torch.Generator().manual_seed(1))
    z = mean + torch.exp(0.5 * logvar) * eps
    reconstruction = -bernoulli_log_likelihood(model.decode(z, labels), images).mean()
    assert torch.allclose(terms["reconstruction"], reconstruction)
    assert torch.allclose(terms["kl"], gaussian_kl(mean, logvar).mean())
    assert terms["kl"] >= 0


def test_labels_condition_the_decoder():
    torch.manual_seed(0)
    model = CVAE(tiny())
    z = torch.randn(4, 4)
    assert not torch.allclose(
        model.decode(z, torch.zeros(4).long()), model.decode(z, torch.ones(4).long())
    )


def test_sampling_is_reproducible():
    model = CVAE(tiny())
    labels = torch.tensor([0, 1, 2, 3])
    first = model.sample(4, labels=labels, generator=torch.Generator().manual_seed(5))
    again = model.sample(4, labels=labels, generator=torch.Generator().manual_seed(5))
    assert torch.equal(first, again)


def train_on_bands(steps=300, seed=0):
    torch.manual_seed(seed)
    model = CVAE(tiny())
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    rng = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        labels = torch.randint(0, 4, (32,), generator=rng)
        images = (bands(labels) * (0.6 + 0.4 * torch.rand(32, 1, 1, 1, generator=rng))).clamp(0, 1)
        terms = model.loss(images, labels, generator=rng)
        optimizer.zero_grad()
        terms["loss"].backward()
        optimizer.step()
        losses.append(terms["neg_elbo"].item())
    return model, losses


@pytest.fixture(scope="module")
def trained():
    return train_on_bands()


def test_training_lowers_the_negative_elbo(trained):
    _, losses = trained
    first, last = sum(losses[:20]) / 20, sum(losses[-20:]) / 20
    assert last < 0.6 * first, (first, last)


def test_augmenter_shapes_and_label_preservation(trained):
    model, _ = trained
    augmenter = CVAEAugmenter(model)
    labels = torch.tensor([0, 1, 2, 3, 1, 2])
    images = bands(labels)
    new_images, new_labels = augmenter(
        images, labels, 40, generator=torch.Generator().manual_seed(0)
    )
    assert new_images.shape == (40, 1, 8, 8) and new_labels.shape == (40,)
    assert torch.bincount(new_labels, minlength=4).tolist() == [10, 10, 10, 10]
    assert label_agreement(new_images, new_labels, BandClassifier()) >= 0.95
    # an untrained CVAE does not preserve labels: the check can fail
    untrained = CVAEAugmenter(CVAE(tiny()))
    noisy_images, noisy_labels = untrained(
        images, labels, 40, generator=torch.Generator().manual_seed(0)
    )
    assert label_agreement(noisy_images, noisy_labels, BandClassifier()) < 0.6


def test_augmenter_only_draws_classes_it_was_given(trained):
    model, _ = trained
    labels = torch.tensor([1, 3])
    _, new_labels = CVAEAugmenter(model)(bands(labels), labels, 10)
    assert set(new_labels.tolist()) == {1, 3}


@pytest.mark.parametrize(
    "overrides",
    [
        dict(image_size=12),
        dict(image_size=4),
        dict(latent_dim=0),
        dict(num_classes=-1),
    ],
)
def test_bad_config(overrides):
    with pytest.raises(TypeError):
        tiny(channels=1.5)
    with pytest.raises(ValueError):
        tiny(**overrides)


def test_bad_input():
    model = CVAE(tiny())
    images = torch.rand(2, 1, 8, 8)
    with pytest.raises(ValueError, match="one label per sample"):
        model.encode(images)
    with pytest.raises(ValueError, match="num_classes"):
        model.encode(images, torch.tensor([0, 4]))
    with pytest.raises(ValueError, match="images must be"):
        model.encode(torch.rand(2, 1, 16, 16), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="z must be"):
        model.decode(torch.zeros(2, 5), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="beta"):
        model.loss(images, torch.tensor([0, 1]), beta=-1)
    with pytest.raises(ValueError, match="num_samples must be"):
        model.sample(0, labels=torch.tensor([0]))
    unconditional = CVAE(tiny(num_classes=0))
    with pytest.raises(ValueError, match="unconditional"):
        unconditional.encode(images, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="conditional"):
        CVAEAugmenter(unconditional)
    with pytest.raises(TypeError):
        CVAEAugmenter("model")


@pytest.mark.parametrize("profile", ["smoke", "cpu", "gpu"])
def test_digits_cvae_settings_are_the_cache_key(profile):
    from genaug.cache import config_hash, data_hash
    from genaug.data import digits
    from genaug.recipes import digits_cvae_settings

    model_config, train_config = digits_cvae_settings(profile)
    assert model_config.num_classes == 10 and model_config.image_size == 16
    assert train_config.items() >= vars(model_config).items()
    assert train_config["warmup_steps"] == train_config["steps"] // 5
    again = digits_cvae_settings(profile)[1]
    assert config_hash(train_config, profile=profile) == config_hash(again, profile=profile)
    train = digits("train", size=16)  # the key names the training data by its content
    assert train_config["data"] == data_hash(train.images, train.labels)
