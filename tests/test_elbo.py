"""The ELBO's pieces against closed forms, Monte Carlo and torch.distributions."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from genaug.vae import (
    bernoulli_log_likelihood,
    elbo,
    gaussian_kl,
    gaussian_log_density,
    linear_gaussian_elbo,
    linear_gaussian_log_marginal,
    linear_gaussian_posterior,
    reparameterize,
)


def random_gaussian(batch=4, dim=3, seed=0):
    rng = torch.Generator().manual_seed(seed)
    mean = torch.randn(batch, dim, generator=rng, dtype=torch.float64)
    logvar = torch.randn(batch, dim, generator=rng, dtype=torch.float64) * 0.5
    return mean, logvar


def test_kl_matches_torch_distributions():
    mean, logvar = random_gaussian()
    prior_mean, prior_logvar = random_gaussian(seed=1)
    q = Normal(mean, torch.exp(0.5 * logvar))
    p = Normal(prior_mean, torch.exp(0.5 * prior_logvar))
    expected = kl_divergence(q, p).sum(1)
    assert torch.allclose(gaussian_kl(mean, logvar, prior_mean, prior_logvar), expected)
    standard = kl_divergence(q, Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(gaussian_kl(mean, logvar), standard)


def test_kl_closed_form_matches_monte_carlo_within_standard_error():
    mean, logvar = random_gaussian(batch=3, dim=5)
    samples = reparameterize(
        mean, logvar, num_samples=20000, generator=torch.Generator().manual_seed(2)
    )  # (S, B, D)
    log_q = Normal(mean, torch.exp(0.5 * logvar)).log_prob(samples).sum(-1)  # (S, B)
    log_p = Normal(0.0, 1.0).log_prob(samples).sum(-1)
    terms = log_q - log_p
    estimate = terms.mean(0)
    standard_error = terms.std(0) / math.sqrt(len(terms))
    closed = gaussian_kl(mean, logvar)
    assert ((estimate - closed).abs() < 4 * standard_error).all(), (estimate, closed)


def test_kl_is_zero_only_at_the_prior():
    zeros = torch.zeros(2, 4)
    assert torch.equal(gaussian_kl(zeros, zeros), torch.zeros(2))
    mean, logvar = random_gaussian()
    assert (gaussian_kl(mean, logvar) > 0).all()


def test_reparameterize_moments_and_shapes():
    mean = torch.tensor([[1.0, -2.0]])
    logvar = torch.log(torch.tensor([[0.25, 4.0]]))
    z = reparameterize(mean, logvar, num_samples=40000, generator=torch.Generator().manual_seed(0))
    assert z.shape == (40000, 1, 2)
    assert torch.allclose(z.mean(0), mean, atol=0.05)
    assert torch.allclose(z.var(0), torch.exp(logvar), rtol=0.05)
    again = reparameterize(
        mean, logvar, num_samples=40000, generator=torch.Generator().manual_seed(0)
    )
    assert torch.equal(z, again)
    assert reparameterize(mean, logvar).shape == (1, 2)


def test_reparameterized_gradient_matches_the_analytic_gradient():
    # E_q[z^2] = mu^2 + sigma^2, so d/dmu = 2 mu and d/dlogvar = sigma^2 (per dimension)
    mean = torch.tensor([0.7, -1.3], dtype=torch.float64)
    logvar = torch.tensor([-0.4, 0.6], dtype=torch.float64)
    num_samples = 20000
    # one leaf copy of (mu, log sigma^2) per sample: one backward gives per-sample gradients
    means = mean.repeat(num_samples, 1).requires_grad_()  # (S, 2)
    logvars = logvar.repeat(num_samples, 1).requires_grad_()  # (S, 2)
    z = reparameterize(means, logvars, generator=torch.Generator().manual_seed(4))  # (S, 2)
    grad_mean, grad_logvar = torch.autograd.grad(z.square().sum(), (means, logvars))
    for grads, exact in [(grad_mean, 2 * mean), (grad_logvar, torch.exp(logvar))]:
        error = (grads.mean(0) - exact).abs()
        standard_error = grads.std(0) / math.sqrt(num_samples)
        assert (error < 4 * standard_error).all(), (grads.mean(0), exact)
        assert (standard_error < 0.05).all()


def test_gaussian_log_density_matches_normal():
    x, mean = random_gaussian(seed=3)
    _, logvar = random_gaussian(seed=4)
    expected = Normal(mean, torch.exp(0.5 * logvar)).log_prob(x).sum(1)
    assert torch.allclose(gaussian_log_density(x, mean, logvar), expected)


def test_bernoulli_log_likelihood_matches_bernoulli():
    rng = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 1, 4, 4, generator=rng)
    target = (torch.rand(3, 1, 4, 4, generator=rng) > 0.5).float()
    expected = Bernoulli(logits=logits).log_prob(target).flatten(1).sum(1)
    assert torch.allclose(bernoulli_log_likelihood(logits, target), expected, atol=1e-5)
    soft = torch.rand(3, 1, 4, 4, generator=rng)
    p = torch.sigmoid(logits)
    manual = (soft * p.log() + (1 - soft) * (1 - p).log()).flatten(1).sum(1)
    assert torch.allclose(bernoulli_log_likelihood(logits, soft), manual, atol=1e-5)


def linear_model(seed=0, data_dim=5, latent_dim=2, orthogonal=False):
    rng = torch.Generator().manual_seed(seed)
    weight = torch.randn(data_dim, latent_dim, generator=rng, dtype=torch.float64)
    if orthogonal:  # orthogonal columns make the exact posterior diagonal
        weight = torch.linalg.qr(weight).Q * torch.tensor([2.0, 0.7], dtype=torch.float64)
    bias = torch.randn(data_dim, generator=rng, dtype=torch.float64)
    z = torch.randn(6, latent_dim, generator=rng, dtype=torch.float64)
    x = z @ weight.T + bias + 0.5 * torch.randn(6, data_dim, generator=rng, dtype=torch.float64)
    return x, weight, bias, 0.25


def test_elbo_is_below_log_marginal_on_a_linear_gaussian_model():
    x, weight, bias, noise_var = linear_model()
    log_px = linear_gaussian_log_marginal(x, weight, bias, noise_var)
    for seed in range(5):
        mean, logvar = random_gaussian(batch=6, dim=2, seed=10 + seed)
        bound = linear_gaussian_elbo(x, weight, bias, noise_var, mean, logvar)
        assert (bound <= log_px + 1e-9).all()


def test_elbo_gap_is_kl_to_the_exact_posterior_and_closes_there():
    x, weight, bias, noise_var = linear_model(orthogonal=True)
    log_px = linear_gaussian_log_marginal(x, weight, bias, noise_var)
    post_mean, post_cov = linear_gaussian_posterior(x, weight, bias, noise_var)
    assert torch.allclose(post_cov, torch.diag(post_cov.diagonal()), atol=1e-12)
    post_logvar = post_cov.diagonal().log().expand_as(post_mean)
    at_posterior = linear_gaussian_elbo(x, weight, bias, noise_var, post_mean, post_logvar)
    assert torch.allclose(at_posterior, log_px, atol=1e-9)
    mean, logvar = random_gaussian(batch=6, dim=2, seed=7)
    gap = log_px - linear_gaussian_elbo(x, weight, bias, noise_var, mean, logvar)
    assert torch.allclose(gap, gaussian_kl(mean, logvar, post_mean, post_logvar), atol=1e-9)


def test_monte_carlo_elbo_from_the_pieces_matches_the_closed_form():
    x, weight, bias, noise_var = linear_model()
    mean, logvar = random_gaussian(batch=6, dim=2, seed=5)
    z = reparameterize(mean, logvar, num_samples=20000, generator=torch.Generator().manual_seed(1))
    num_samples, batch, _ = z.shape  # (S, B, D_z)
    decoded = (z @ weight.T + bias).reshape(num_samples * batch, -1)  # (S * B, D_x)
    targets = x.repeat(num_samples, 1)  # (S * B, D_x), row s * B + b is x_b
    noise_logvar = torch.full_like(targets, math.log(noise_var))
    log_likelihood = gaussian_log_density(targets, decoded, noise_logvar)  # (S * B,)
    kl = gaussian_kl(mean, logvar).repeat(num_samples)  # (S * B,)
    estimates = elbo(log_likelihood, kl).view(num_samples, batch)  # (S, B)
    exact = linear_gaussian_elbo(x, weight, bias, noise_var, mean, logvar)
    standard_error = estimates.std(0) / math.sqrt(len(estimates))
    assert ((estimates.mean(0) - exact).abs() < 4 * standard_error).all()


def test_log_marginal_matches_importance_sampling():
    x, weight, bias, noise_var = linear_model(data_dim=3, latent_dim=2)
    z = torch.randn(200000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    noise_logvar = torch.full((len(z), 3), math.log(noise_var), dtype=torch.float64)
    for row in x[:2]:
        log_weights = gaussian_log_density(row.expand(len(z), 3), z @ weight.T + bias, noise_logvar)
        estimate = torch.logsumexp(log_weights, 0) - math.log(len(z))
        exact = linear_gaussian_log_marginal(row[None], weight, bias, noise_var)[0]
        assert abs(float(estimate - exact)) < 0.05


def test_beta_weights_the_kl():
    log_likelihood, kl = torch.tensor([-10.0, -5.0]), torch.tensor([2.0, 1.0])
    assert torch.equal(elbo(log_likelihood, kl), torch.tensor([-12.0, -6.0]))
    assert torch.equal(elbo(log_likelihood, kl, beta=4), torch.tensor([-18.0, -9.0]))


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 4)), ValueError),
        (lambda: gaussian_kl([0.0], torch.zeros(1)), TypeError),
        (lambda: gaussian_kl(torch.zeros(2, dtype=torch.long), torch.zeros(2)), TypeError),
        (lambda: reparameterize(torch.zeros(2, 3), torch.zeros(3, 2)), ValueError),
        (lambda: reparameterize(torch.zeros(2), torch.zeros(2), num_samples=0), ValueError),
        (lambda: bernoulli_log_likelihood(torch.zeros(2, 4), torch.full((2, 4), 2.0)), ValueError),
        (lambda: elbo(torch.zeros(2), torch.zeros(2), beta=-1.0), ValueError),
        (lambda: elbo(torch.zeros(2, 3), torch.zeros(2, 3)), ValueError),
        (
            lambda: gaussian_log_density(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(1)),
            ValueError,
        ),
        (
            lambda: linear_gaussian_log_marginal(
                torch.zeros(2, 3), torch.zeros(4, 2), torch.zeros(4), 1.0
            ),
            ValueError,
        ),
        (
            lambda: linear_gaussian_log_marginal(
                torch.zeros(2, 4), torch.zeros(4, 2), torch.zeros(4), 0.0
            ),
            ValueError,
        ),
    ],
)
def test_bad_input_is_rejected(call, error):
    with pytest.raises(error):
        call()
