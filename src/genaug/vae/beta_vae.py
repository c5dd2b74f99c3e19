"""beta-VAE: Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a
Constrained Variational Framework", ICLR 2017; and the controlled-capacity
variant of Burgess et al., "Understanding disentangling in beta-VAE", 2018.

Taught in lesson 5.2.1 (``lessons/ch05_practice/04_beta_vae.ipynb``); the
attribute editing of lesson 3.2 moves codes along the directions studied here.

The model is the plain VAE (:class:`genaug.vae.cvae.CVAE` with
``num_classes=0``); what changes is the objective, Eq. (eq-beta-vae) of the lesson:

    L_beta = E_q[log p(x | z)] - beta * KL(q(z | x) || N(0, I)),  beta > 1,

which :meth:`~genaug.vae.cvae.CVAE.loss` computes with its ``beta`` argument. This file adds the
tools to read a trained code: the KL of each latent dimension (which ones are
used), latent traversals (decode while one coordinate sweeps), and Burgess et
al.'s capacity objective ``reconstruction + gamma * |KL - C|``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from genaug._checks import check_float, check_int, check_tensor
from genaug.nn import eval_mode
from genaug.vae.cvae import CVAE

__all__ = ["capacity_loss", "kl_per_dimension", "latent_traversal"]


def kl_per_dimension(mean: Tensor, logvar: Tensor) -> Tensor:
    """Average KL(q(z_j | x) || N(0, 1)) of each latent dimension over a batch.

    A dimension whose KL is near 0 is *inactive*: its posterior equals the prior
    for every x, so it carries no information. beta > 1 switches dimensions off.

    Args:
        mean: ``(B, D)`` posterior means.
        logvar: ``(B, D)`` posterior log variances.

    Returns:
        ``(D,)`` KL in nats per dimension (their sum is the batch-mean KL).
    """
    check_tensor("mean", mean, finite=False)
    check_tensor("logvar", logvar, finite=False)
    if mean.ndim != 2 or mean.shape != logvar.shape:
        raise ValueError(
            f"mean and logvar must both be (B, D), got {tuple(mean.shape)} and "
            f"{tuple(logvar.shape)}"
        )
    return (0.5 * (mean.square() + logvar.exp() - logvar - 1)).mean(0)  # (D,)


@torch.no_grad()
def latent_traversal(
    model: CVAE,
    z: Tensor,
    dim: int,
    values: Tensor,
    *,
    labels: Tensor | None = None,
) -> Tensor:
    """Decode copies of ``z`` in which coordinate ``dim`` is set to each of ``values``.

    Args:
        model: a trained :class:`~genaug.vae.cvae.CVAE`.
        z: ``(D,)`` the code to start from (e.g. a posterior mean).
        dim: the latent coordinate to sweep, ``0 <= dim < D``.
        values: ``(T,)`` the values it takes (e.g. ``torch.linspace(-3, 3, 9)``).
        labels: for a CVAE, the label of the decoded images (a ``(1,)`` tensor).

    Returns:
        ``(T, C, H, W)`` decoded images in [0, 1].
    """
    if not isinstance(model, CVAE):
        raise TypeError(f"model must be a CVAE, got {type(model).__name__}")
    latent_dim = model.config.latent_dim
    if not isinstance(z, Tensor) or z.shape != (latent_dim,):
        raise ValueError(f"z must be a ({latent_dim},) tensor")
    check_int("dim", dim, min=0, max=latent_dim - 1)
    check_tensor("values", values, ndim=1)
    device = next(model.parameters()).device
    codes = z.to(device).repeat(len(values), 1)  # (T, D)
    codes[:, dim] = values.to(device, codes.dtype)
    if labels is not None:
        labels = labels.to(device).expand(len(values))
    with eval_mode(model):
        return torch.sigmoid(model.decode(codes, labels))


def capacity_loss(
    reconstruction: Tensor, kl: Tensor, *, capacity: float, gamma: float = 100.0
) -> Tensor:
    """Burgess et al.'s controlled-capacity objective: ``reconstruction + gamma * |KL - C|``.

    Increasing the capacity ``C`` (nats) slowly during training lets the code take
    in information one factor at a time, instead of a fixed beta that trades
    reconstruction for disentanglement everywhere.

    Args:
        reconstruction: scalar, -E_q[log p(x | z)] (batch mean).
        kl: scalar, KL(q || p) (batch mean).
        capacity: target KL C >= 0 in nats.
        gamma: weight of the penalty, > 0.

    Returns:
        The scalar loss to minimise.
    """
    check_float("capacity", capacity, min=0.0)
    check_float("gamma", gamma, min=0.0, min_open=True)
    return reconstruction + gamma * (kl - capacity).abs()
