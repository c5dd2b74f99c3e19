"""The small NVAE: shapes, the hierarchical KL, balancing, sampling, a short training run."""

from __future__ import annotations

import pytest
import torch

from genaug.train import fit_nvae
from genaug.vae.nvae import NVAE, NVAEConfig, ResidualCell, kl_balance_weights


def tiny(**overrides):
    settings = dict(image_size=8, hidden_channels=8, latent_channels=2)
    settings.update(overrides)
    return NVAEConfig(**settings)


def test_group_sizes():
    assert NVAEConfig().group_sizes == (4 * 16, 4 * 64)
    assert tiny().group_sizes == (2 * 4, 2 * 16)


def test_residual_cell_keeps_shape():
    cell = ResidualCell(8)
    x = torch.randn(2, 8, 4, 4)
    assert cell(x).shape == x.shape


@pytest.mark.parametrize(("size", "channels"), [(8, 1), (16, 1), (16, 3)])
def test_loss_and_sample_shapes(size, channels):
    torch.manual_seed(0)
    model = NVAE(tiny(image_size=size, channels=channels))
    images = torch.rand(3, channels, size, size)
    terms = model.loss(images, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(terms["neg_elbo"], terms["reconstruction"] + terms["kl"])
    assert torch.allclose(terms["kl"], terms["kl_group0"] + terms["kl_group1"])
    samples = model.sample(4, generator=torch.Generator().manual_seed(1))
    assert samples.shape == (4, channels, size, size)
    assert samples.min() >= 0 and samples.max() <= 1


def test_posterior_starts_at_the_prior():
    # the posterior and prior convolutions start at zero: q = p = N(0, I), KL = 0
    model = NVAE(tiny())
    terms = model.loss(torch.rand(4, 1, 8, 8))
    assert terms["kl"].abs() < 1e-6


def test_kl_weight_and_balance_enter_the_loss_only():
    torch.manual_seed(0)
    model = NVAE(tiny())
    images = torch.rand(4, 1, 8, 8)
    with torch.no_grad():  # move q away from p so the KL is non-zero
        for conv in model.posterior:
            conv.bias.normal_()
    full = model.loss(images, generator=torch.Generator().manual_seed(0))
    half = model.loss(images, kl_weight=0.5, generator=torch.Generator().manual_seed(0))
    assert full["kl"] > 0
    assert torch.allclose(half["neg_elbo"], full["neg_elbo"])
    assert torch.allclose(half["loss"], half["reconstruction"] + 0.5 * half["kl"])
    balanced = model.loss(images, balance=True, generator=torch.Generator().manual_seed(0))
    weights = kl_balance_weights(
        torch.stack([balanced["kl_group0"], balanced["kl_group1"]]), model.config.group_sizes
    )
    expected = (
        balanced["reconstruction"]
        + (weights * torch.stack([balanced["kl_group0"], balanced["kl_group1"]])).sum()
    )
    assert torch.allclose(balanced["loss"], expected)


def test_kl_balance_weights():
    weights = kl_balance_weights(torch.tensor([1.0, 1.0]), (10, 30))
    assert torch.allclose(weights, torch.tensor([0.5, 1.5]))
    weights = kl_balance_weights(torch.tensor([6.0, 2.0]), (10, 10))
    assert torch.allclose(weights, torch.tensor([1.5, 0.5]))
    assert torch.allclose(
        kl_balance_weights(torch.rand(3) + 0.1, (1, 2, 3)).mean(), torch.tensor(1.0)
    )


def test_sampling_is_reproducible_and_groups_can_be_fixed():
    torch.manual_seed(0)
    model = NVAE(tiny())
    with torch.no_grad():
        for conv in model.prior:
            conv.bias.normal_()
    first = model.sample(3, generator=torch.Generator().manual_seed(2))
    again = model.sample(3, generator=torch.Generator().manual_seed(2))
    assert torch.equal(first, again)
    top, bottom = model.prior_latents(3, generator=torch.Generator().manual_seed(3))
    assert top.shape == (3, 2, 2, 2) and bottom.shape == (3, 2, 4, 4)
    both = model.sample(3, generator=torch.Generator().manual_seed(4), fixed={0: top, 1: bottom})
    other = model.sample(3, generator=torch.Generator().manual_seed(5), fixed={0: top, 1: bottom})
    assert torch.allclose(both, other)  # everything fixed: the noise no longer matters


def test_training_lowers_the_negative_elbo():
    torch.manual_seed(0)
    model = NVAE(tiny())
    images = torch.zeros(32, 1, 8, 8)
    images[:16, :, :4] = 1.0
    images[16:, :, :, :4] = 1.0
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    rng = torch.Generator().manual_seed(0)
    values = []
    for step in range(120):
        terms = model.loss(
            images, kl_weight=min(1.0, (step + 1) / 40), balance=step < 40, generator=rng
        )
        optimizer.zero_grad()
        terms["loss"].backward()
        optimizer.step()
        values.append(terms["neg_elbo"].item())
    assert sum(values[-10:]) < 0.5 * sum(values[:10])


def test_bad_input():
    with pytest.raises(ValueError):
        NVAEConfig(image_size=12)
    with pytest.raises(ValueError):
        NVAEConfig(latent_channels=0)
    model = NVAE(tiny())
    with pytest.raises(ValueError, match="images must be"):
        model.loss(torch.rand(2, 1, 16, 16))
    with pytest.raises(ValueError, match="kl_weight"):
        model.loss(torch.rand(2, 1, 8, 8), kl_weight=2.0)
    with pytest.raises(ValueError, match="num_samples must be >= 1"):
        model.sample(0)
    with pytest.raises(ValueError, match="unconditional: pass no labels"):
        model.sample(2, labels=torch.tensor([0, 1]))
    with pytest.raises(ValueError):
        kl_balance_weights(torch.ones(2), (1, 2, 3))


def test_importance_weights_average_to_the_elbo():
    # E_q[log w] = ELBO: the mean of many log weights matches -neg_elbo (analytic KL)
    torch.manual_seed(0)
    model = NVAE(tiny())
    with torch.no_grad():  # q differs from p so that the KL is not zero
        for conv in [*model.posterior, *model.prior]:
            conv.bias.normal_(0, 0.5)
    images = (torch.rand(3, 1, 8, 8) > 0.5).float()
    log_weights = model.log_importance_weights(
        images, 1000, generator=torch.Generator().manual_seed(0)
    )
    assert log_weights.shape == (1000, 3)
    with torch.no_grad():
        terms = [model.loss(images, generator=torch.Generator().manual_seed(s)) for s in range(200)]
    neg_elbo = torch.stack([t["neg_elbo"] for t in terms]).mean()
    assert abs(-log_weights.mean() - neg_elbo) < 0.02 * neg_elbo
    iwae = torch.logsumexp(log_weights, 0) - torch.log(torch.tensor(1000.0))
    assert (iwae >= log_weights.mean(0)).all()  # Jensen: the IW bound is tighter
    with pytest.raises(ValueError):
        model.log_importance_weights(images, 0)


def test_fit_nvae_is_deterministic_and_logs_the_groups():
    images = (torch.rand(16, 1, 8, 8) > 0.5).float()
    first, second = NVAE(tiny()), NVAE(tiny())
    history = fit_nvae(first, images, steps=6, batch_size=4, warmup_steps=3, seed=1)
    fit_nvae(second, images, steps=6, batch_size=4, warmup_steps=3, seed=1)
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)
    assert set(history) >= {"neg_elbo", "kl_group0", "kl_group1", "kl_weight"}
    assert history["kl_weight"] == [1 / 3, 2 / 3, 1.0, 1.0, 1.0, 1.0]
    with pytest.raises(TypeError):
        fit_nvae(torch.nn.Linear(2, 2), images, steps=1)
    with pytest.raises(ValueError):
        fit_nvae(first, images, steps=0)
