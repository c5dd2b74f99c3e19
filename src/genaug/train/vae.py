"""The VAE trainers: Adam on the negative (beta-)ELBO with a KL warm-up.

:func:`fit_vae` trains the (C)VAEs of lessons 5.2.1 and 5.2.2 (and the
beta-VAE), :func:`fit_nvae` the hierarchical NVAE of lesson 5.2.3. Both take
the model's own ``loss`` (the families define the objective; this file only
repeats the step), so they import nothing from :mod:`genaug.vae`.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from genaug._checks import check_float, check_images, check_int, check_labels
from genaug.train.loop import fit_adam
from genaug.train.scaffold import draw_batch, linear_warmup, reinitialise


def _fit(model, loss_step, lr, steps, generator, checkpoint, progress, description) -> dict:
    """Adam on the loss (:func:`~genaug.train.loop.fit_adam`); the model ends in eval mode."""
    history = fit_adam(
        loss_step,
        model,
        lr=lr,
        num_steps=steps,
        generator=generator,
        checkpoint=checkpoint,
        progress=progress,
        description=description,
    )
    model.eval()
    return history


def _check_vae(model: nn.Module) -> None:
    if not isinstance(model, nn.Module) or not callable(getattr(model, "loss", None)):
        raise TypeError(
            f"model must be a VAE module with a loss() method (CVAE, NVAE), got "
            f"{type(model).__name__}"
        )


def fit_vae(
    model: nn.Module,
    images: Tensor,
    labels: Tensor | None = None,
    *,
    steps: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    beta: float = 1.0,
    warmup_steps: int = 0,
    seed: int = 0,
    checkpoint: str | Path | None = None,
    progress: bool = False,
    description: str = "VAE",
) -> dict[str, list[float]]:
    """Train a (C)VAE with Adam on the negative beta-ELBO, minibatches drawn with replacement.

    The step is the one lesson 5.2.2 writes out: draw a batch, ``model.loss``,
    one Adam step. KL warm-up (Bowman et al., 2016) ramps the KL weight linearly
    from 0 to ``beta`` over ``warmup_steps``, which keeps the decoder from
    ignoring z early on. All randomness comes from one generator seeded with
    ``seed``; the model is re-initialised from ``seed`` first, so equal arguments
    give equal weights (what :func:`genaug.cache.load_or_train` relies on).

    Args:
        model: a :class:`~genaug.vae.cvae.CVAE` (anything with its ``loss``) to train in place (on its current device).
        images: ``(N, C, H, W)`` training images in [0, 1] (on the model's device).
        labels: ``(N,)`` labels, or None for an unconditional VAE.
        steps: number of optimiser steps (>= 1).
        batch_size: images per step.
        lr: Adam learning rate.
        beta: final weight of the KL term.
        warmup_steps: steps of the linear KL warm-up (0: none).
        seed: seed of the initialisation, batches and noise.
        checkpoint: file for resumable checkpoints (see :func:`genaug.train.loop.fit`).
        progress: show a progress bar.
        description: the progress bar's label.

    Returns:
        The history: per step ``loss``, ``reconstruction``, ``kl``, ``neg_elbo`` and ``beta``.
    """
    _check_vae(model)
    check_int("steps", steps, min=1)
    check_int("warmup_steps", warmup_steps, min=0)
    check_images("images", images)
    check_float("lr", lr, min=0.0, min_open=True)
    check_float("beta", beta, min=0.0)
    if labels is not None:
        check_labels("labels", labels, num=len(images))
    reinitialise(model, seed)
    generator = torch.Generator().manual_seed(seed)

    def loss_step(index: int) -> tuple[Tensor, dict[str, float]]:
        batch_images, batch_labels = draw_batch(generator, batch_size, images, labels)
        weight = beta * linear_warmup(index, warmup_steps)  # KL warm-up
        terms = model.loss(batch_images, batch_labels, beta=weight, generator=generator)
        return terms["loss"], {
            **{key: value.item() for key, value in terms.items()},
            "beta": weight,
        }

    return _fit(model, loss_step, lr, steps, generator, checkpoint, progress, description)


def fit_nvae(
    model: nn.Module,
    images: Tensor,
    *,
    steps: int,
    batch_size: int = 64,
    lr: float = 2e-3,
    warmup_steps: int = 0,
    balance: bool = True,
    seed: int = 0,
    checkpoint: str | Path | None = None,
    progress: bool = False,
    description: str = "NVAE",
) -> dict[str, list[float]]:
    """Train an :class:`~genaug.vae.nvae.NVAE` with Adam: KL warm-up, KL balancing during the warm-up.

    The step is the one lesson 5.2.3 writes out: draw a batch (with replacement),
    :meth:`~genaug.vae.nvae.NVAE.loss` with ``kl_weight = min(1, (step + 1) / warmup_steps)`` and
    ``balance`` while that weight is below 1, one Adam step. Everything else
    matches :func:`genaug.train.vae.fit_vae`, so the two models can be compared
    at equal data, steps, batch size and optimiser: the model is re-initialised
    from ``seed`` and all randomness comes from one generator seeded with it.

    Args:
        model: an :class:`~genaug.vae.nvae.NVAE` (anything with its ``loss``) to train in place (on its current device).
        images: ``(N, C, H, W)`` training images in [0, 1] (on the model's device).
        steps: number of optimiser steps (>= 1).
        batch_size: images per step.
        lr: Adam learning rate.
        warmup_steps: steps of the linear KL warm-up (0: none, weight 1 throughout).
        balance: apply :func:`~genaug.vae.nvae.kl_balance_weights` during the warm-up.
        seed: seed of the initialisation, batches and noise.
        checkpoint: file for resumable checkpoints (see :func:`genaug.train.loop.fit`).
        progress: show a progress bar.
        description: the progress bar's label.

    Returns:
        The history: per step ``loss``, ``reconstruction``, ``kl``, ``neg_elbo``,
        ``kl_group0``, ``kl_group1`` and ``kl_weight``.
    """
    _check_vae(model)
    check_int("steps", steps, min=1)
    check_int("warmup_steps", warmup_steps, min=0)
    check_images("images", images)
    check_float("lr", lr, min=0.0, min_open=True)
    reinitialise(model, seed)  # NVAE.reset_parameters: fresh weights, q = p = N(0, I)
    generator = torch.Generator().manual_seed(seed)

    def loss_step(index: int) -> tuple[Tensor, dict[str, float]]:
        (batch,) = draw_batch(generator, batch_size, images)
        weight = linear_warmup(index, warmup_steps)  # KL warm-up
        terms = model.loss(
            batch, kl_weight=weight, balance=balance and weight < 1.0, generator=generator
        )
        logs = {key: value.item() for key, value in terms.items()}
        return terms["loss"], {**logs, "kl_weight": weight}

    return _fit(model, loss_step, lr, steps, generator, checkpoint, progress, description)
