"""The diffusion trainer: Algorithm 1 of Ho et al. (2020) with Adam, a linear
learning-rate warm-up and an EMA of the weights.

One loop for the pixel-space digits DDPM and the latent model of latent
diffusion (:mod:`genaug.recipes`). The loss comes in as a function (for the
course, :func:`genaug.diffusion.ddpm.ddpm_loss` with its schedule), so this file
imports nothing from :mod:`genaug.diffusion`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import torch
from torch import nn

from genaug.train.loop import EMA, fit_adam

LossFn = Callable[..., torch.Tensor]
"""``loss_fn(model, x0, *, labels, generator) -> scalar loss`` for one batch."""


class NoisePredictorRecipe(Protocol):
    """What :func:`fit_noise_predictor` reads from a recipe's config."""

    lr: float  # Adam learning rate after the warm-up
    warmup: int  # steps of the linear learning-rate warm-up
    steps: int  # optimiser steps


def fit_noise_predictor(
    model: nn.Module,
    ema: EMA,
    draw_batch: Callable[[torch.Generator], tuple[torch.Tensor, torch.Tensor]],
    loss_fn: LossFn,
    config: NoisePredictorRecipe,
    *,
    generator: torch.Generator,
    checkpoint: str | Path | None,
    progress: bool,
    description: str,
) -> dict:
    """Train a noise predictor: draw a batch, ``loss_fn``, one Adam step, EMA update.

    Args:
        model: the noise predictor, trained in place.
        ema: its :class:`genaug.train.loop.EMA`, updated by :func:`genaug.train.loop.fit`.
        draw_batch: ``draw_batch(generator) -> (x_0, labels)`` for one step.
        loss_fn: ``loss_fn(model, x_0, *, labels, generator)``, e.g. the simple loss of
            :func:`genaug.diffusion.ddpm.ddpm_loss` with the model's schedule.
        config: a recipe with ``lr``, ``warmup`` and ``steps``.
        generator: the training randomness (batches, t, noise, dropped labels).
        checkpoint: where :func:`genaug.train.loop.fit` saves and resumes.
        progress: show a progress bar.
        description: the progress bar's label.

    Returns:
        The history of :func:`genaug.train.loop.fit` with ``"seconds"`` of training added.
    """

    def loss_step(number: int) -> tuple[torch.Tensor, dict[str, float]]:
        x0, labels = draw_batch(generator)
        return loss_fn(model, x0, labels=labels, generator=generator), {}

    start = time.perf_counter()
    history = fit_adam(
        loss_step,
        model,
        lr=config.lr,
        num_steps=config.steps,
        warmup_steps=config.warmup,
        ema=ema,
        generator=generator,
        checkpoint=checkpoint,
        progress=progress,
        description=description,
    )
    return {**history, "seconds": time.perf_counter() - start}
