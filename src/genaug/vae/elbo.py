"""The evidence lower bound (ELBO) of a variational autoencoder, piece by piece.

Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014, and Rezende,
Mohamed & Wierstra, "Stochastic Backpropagation and Approximate Inference in
Deep Generative Models", ICML 2014. Derived and checked numerically in lesson
4.2 (``lessons/ch04_math/02_vae_math.ipynb``); used by every model of
``genaug.vae``.

Symbol map (lesson 4.2):

* ``mean``, ``logvar`` -> mu_phi(x), log sigma_phi^2(x): the encoder's diagonal
  Gaussian q_phi(z | x);
* ``z`` -> a latent sample, z = mu + sigma * eps with eps ~ N(0, I);
* ``log_likelihood`` -> log p_theta(x | z), summed over pixels;
* ``kl`` -> KL(q_phi(z | x) || p(z)), summed over latent dimensions;
* ``beta`` -> the weight of the KL term (1 for the ELBO, beta-VAE otherwise).

The ELBO of one image, Eq. (eq-vae-elbo) of the lesson:
ELBO(x) = E_q[log p(x | z)] - beta * KL(q(z | x) || p(z)) <= log p(x) when beta = 1.

Also here: the linear-Gaussian model x = W z + b + noise, whose log p(x),
exact posterior and exact ELBO are closed forms, to check the bound on.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from genaug._checks import check_float, check_int, check_tensor

__all__ = [
    "bernoulli_log_likelihood",
    "elbo",
    "gaussian_kl",
    "gaussian_log_density",
    "linear_gaussian_elbo",
    "linear_gaussian_log_marginal",
    "linear_gaussian_posterior",
    "reparameterize",
]

LOG_2PI = math.log(2 * math.pi)


def _check_pair(first: Tensor, second: Tensor, names: tuple[str, str]) -> None:
    for name, value in zip(names, (first, second), strict=True):
        # no NaN scan: these run every training step, where the loop's NaN guard reports
        check_tensor(name, value, floating=True, finite=False, non_empty=False)
        if value.ndim < 1:
            raise ValueError(f"{name} must have a batch dimension, got a scalar")
    if first.shape != second.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, got "
            f"{tuple(first.shape)} and {tuple(second.shape)}"
        )


def _sum_per_sample(values: Tensor) -> Tensor:
    """Sum every dimension but the first: (B, ...) -> (B,)."""
    return values.flatten(1).sum(1) if values.ndim > 1 else values


def gaussian_kl(
    mean: Tensor,
    logvar: Tensor,
    prior_mean: Tensor | None = None,
    prior_logvar: Tensor | None = None,
) -> Tensor:
    """KL divergence between two diagonal Gaussians, in closed form, summed over dimensions.

    KL(N(mu, s^2) || N(m, v)) = 1/2 sum_j [ log v_j - log s_j^2 + (s_j^2 + (mu_j - m_j)^2) / v_j - 1 ],
    Eq. (eq-vae-kl) of lesson 4.2; with the standard normal prior (m = 0, v = 1)
    it is 1/2 sum_j [ mu_j^2 + s_j^2 - log s_j^2 - 1 ].

    Args:
        mean: ``(B, D)`` (or ``(B, ...)``) means mu of q.
        logvar: same shape, log variances log s^2 of q.
        prior_mean: means m of the prior, broadcastable (default 0).
        prior_logvar: log variances log v of the prior, broadcastable (default 0).

    Returns:
        ``(B,)`` KL divergences in nats, each >= 0.
    """
    _check_pair(mean, logvar, ("mean", "logvar"))
    if prior_mean is None:
        prior_mean = torch.zeros_like(mean)
    if prior_logvar is None:
        prior_logvar = torch.zeros_like(logvar)
    variance_ratio = torch.exp(logvar - prior_logvar)  # s^2 / v
    mean_term = (mean - prior_mean).square() * torch.exp(-prior_logvar)  # (mu - m)^2 / v
    kl = 0.5 * (variance_ratio + mean_term - 1.0 - (logvar - prior_logvar))
    return _sum_per_sample(kl)


def reparameterize(
    mean: Tensor,
    logvar: Tensor,
    *,
    generator: torch.Generator | None = None,
    num_samples: int | None = None,
) -> Tensor:
    """Draw z ~ N(mean, exp(logvar)) as a differentiable function of mean and logvar.

    The reparameterisation trick, Eq. (eq-vae-reparam): z = mu + sigma * eps with
    eps ~ N(0, I) drawn independently of the parameters, so gradients flow
    through mu and sigma = exp(logvar / 2).

    Args:
        mean: ``(B, D)`` means.
        logvar: ``(B, D)`` log variances.
        generator: source of eps (default: torch's global generator). eps is
            drawn on the CPU and moved to ``mean``'s device, so a seeded
            generator gives the same z on every device.
        num_samples: if given, draw that many samples per row: output ``(S, B, D)``.

    Returns:
        ``(B, D)`` samples, or ``(S, B, D)`` with ``num_samples=S``.
    """
    _check_pair(mean, logvar, ("mean", "logvar"))
    shape = tuple(mean.shape)
    if num_samples is not None:
        check_int("num_samples", num_samples, min=1)
        shape = (num_samples, *shape)
    eps = torch.randn(shape, generator=generator, dtype=mean.dtype).to(mean.device)  # eps
    return mean + torch.exp(0.5 * logvar) * eps  # z = mu + sigma * eps


def gaussian_log_density(x: Tensor, mean: Tensor, logvar: Tensor) -> Tensor:
    """log N(x; mean, diag(exp(logvar))), summed over all but the first dimension.

    Used as a Gaussian decoder's log-likelihood log p(x | z) and for the
    log densities of q(z | x) and p(z) in Monte Carlo estimates.

    Args:
        x: ``(B, ...)`` points.
        mean: means, broadcastable to ``x``.
        logvar: log variances, broadcastable to ``x``.

    Returns:
        ``(B,)`` log densities in nats.
    """
    for name, value in (("x", x), ("mean", mean), ("logvar", logvar)):
        check_tensor(name, value, finite=False, non_empty=False)
    try:
        log_density = -0.5 * (LOG_2PI + logvar + (x - mean).square() * torch.exp(-logvar))
    except RuntimeError as error:
        raise ValueError(f"x, mean and logvar do not broadcast: {error}") from None
    return _sum_per_sample(log_density)


def bernoulli_log_likelihood(logits: Tensor, target: Tensor) -> Tensor:
    """log p(x | z) of a Bernoulli decoder, summed over pixels.

    sum_i [ x_i log p_i + (1 - x_i) log(1 - p_i) ] with p = sigmoid(logits),
    computed stably from the logits. For grey images, x in [0, 1] is used as a
    soft target, as in Kingma & Welling's experiments; the value is then the
    negative binary cross-entropy, not a normalised density.

    Args:
        logits: ``(B, C, H, W)`` (or ``(B, ...)``) decoder outputs before the sigmoid.
        target: same shape, pixel values in [0, 1].

    Returns:
        ``(B,)`` log-likelihoods in nats (<= 0).
    """
    _check_pair(logits, target, ("logits", "target"))
    if float(target.min()) < 0 or float(target.max()) > 1:
        raise ValueError(
            f"target must be in [0, 1] for a Bernoulli likelihood, got values in "
            f"[{float(target.min()):.3f}, {float(target.max()):.3f}]"
        )
    log_likelihood = -F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return _sum_per_sample(log_likelihood)


def elbo(log_likelihood: Tensor, kl: Tensor, *, beta: float = 1.0) -> Tensor:
    """The (beta-weighted) evidence lower bound per sample: log p(x | z) - beta * KL.

    Eq. (eq-vae-elbo) with a one-sample estimate of the expectation; beta = 1 is
    the ELBO of Kingma & Welling, beta > 1 the beta-VAE objective of Higgins et al.

    Args:
        log_likelihood: ``(B,)`` reconstruction log-likelihoods log p(x | z).
        kl: ``(B,)`` KL(q(z | x) || p(z)).
        beta: weight of the KL term, >= 0.

    Returns:
        ``(B,)`` ELBO values (maximise them; train on ``-elbo(...).mean()``).
    """
    _check_pair(log_likelihood, kl, ("log_likelihood", "kl"))
    check_float("beta", beta, min=0.0)
    if log_likelihood.ndim != 1:
        raise ValueError(
            f"log_likelihood and kl must be per-sample (B,) tensors, got {tuple(kl.shape)}"
        )
    return log_likelihood - beta * kl


def _check_linear_model(x: Tensor, weight: Tensor, bias: Tensor, noise_var: float) -> None:
    for name, value in (("x", x), ("weight", weight), ("bias", bias)):
        check_tensor(name, value)
    if weight.ndim != 2:
        raise ValueError(f"weight W must be a (D_x, D_z) matrix, got shape {tuple(weight.shape)}")
    if x.ndim != 2 or x.shape[1] != weight.shape[0]:
        raise ValueError(f"x must be (B, {weight.shape[0]}), got {tuple(x.shape)}")
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"bias b must be ({weight.shape[0]},), got {tuple(bias.shape)}")
    check_float("noise_var", noise_var, min=0.0, min_open=True)


def linear_gaussian_log_marginal(
    x: Tensor, weight: Tensor, bias: Tensor, noise_var: float
) -> Tensor:
    """Exact log p(x) of the linear-Gaussian model z ~ N(0, I), x | z ~ N(W z + b, s^2 I).

    Integrating z out gives x ~ N(b, W W^T + s^2 I) (probabilistic PCA).

    Args:
        x: ``(B, D_x)`` observations.
        weight: ``(D_x, D_z)`` matrix W.
        bias: ``(D_x,)`` offset b.
        noise_var: observation noise variance s^2 > 0.

    Returns:
        ``(B,)`` log p(x) in nats.
    """
    _check_linear_model(x, weight, bias, noise_var)
    dim = weight.shape[0]
    covariance = weight @ weight.T + noise_var * torch.eye(dim, dtype=weight.dtype)  # (D_x, D_x)
    distribution = torch.distributions.MultivariateNormal(bias, covariance_matrix=covariance)
    return distribution.log_prob(x)


def linear_gaussian_posterior(
    x: Tensor, weight: Tensor, bias: Tensor, noise_var: float
) -> tuple[Tensor, Tensor]:
    """Exact posterior p(z | x) = N(m, S) of the linear-Gaussian model.

    S = (I + W^T W / s^2)^{-1} and m = S W^T (x - b) / s^2.

    Args:
        x: ``(B, D_x)`` observations.
        weight: ``(D_x, D_z)`` matrix W.
        bias: ``(D_x,)`` offset b.
        noise_var: observation noise variance s^2 > 0.

    Returns:
        ``(mean, covariance)``: ``(B, D_z)`` and ``(D_z, D_z)`` (the same for every x).
    """
    _check_linear_model(x, weight, bias, noise_var)
    latent = weight.shape[1]
    precision = torch.eye(latent, dtype=weight.dtype) + weight.T @ weight / noise_var
    covariance = torch.linalg.inv(precision)  # (D_z, D_z)
    mean = (x - bias) @ weight @ covariance.T / noise_var  # (B, D_z)
    return mean, covariance


def linear_gaussian_elbo(
    x: Tensor,
    weight: Tensor,
    bias: Tensor,
    noise_var: float,
    mean: Tensor,
    logvar: Tensor,
) -> Tensor:
    """Exact ELBO of the linear-Gaussian model for a diagonal Gaussian q(z | x) = N(mean, e^logvar).

    E_q[log p(x | z)] = log N(x; W mu + b, s^2 I) - tr(W diag(sigma^2) W^T) / (2 s^2),
    since E_q ||x - W z - b||^2 = ||x - W mu - b||^2 + sum_j sigma_j^2 ||W_:j||^2.
    Subtracting KL(q || N(0, I)) gives the ELBO with no Monte Carlo error.

    Args:
        x: ``(B, D_x)`` observations.
        weight: ``(D_x, D_z)`` matrix W.
        bias: ``(D_x,)`` offset b.
        noise_var: observation noise variance s^2 > 0.
        mean: ``(B, D_z)`` means of q.
        logvar: ``(B, D_z)`` log variances of q.

    Returns:
        ``(B,)`` ELBO values in nats, each <= :func:`linear_gaussian_log_marginal`.
    """
    _check_linear_model(x, weight, bias, noise_var)
    _check_pair(mean, logvar, ("mean", "logvar"))
    if mean.shape != (x.shape[0], weight.shape[1]):
        raise ValueError(f"mean must be (B, D_z) = {(x.shape[0], weight.shape[1])}")
    noise_logvar = torch.full_like(x, math.log(noise_var))
    at_mean = gaussian_log_density(x, mean @ weight.T + bias, noise_logvar)  # (B,)
    spread = (torch.exp(logvar) * weight.square().sum(0)).sum(1) / (2 * noise_var)  # (B,)
    return at_mean - spread - gaussian_kl(mean, logvar)
