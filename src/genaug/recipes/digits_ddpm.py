"""The course's class-conditional digits DDPM, shared by lessons 5.3.1, 5.3.2, 5.3.3 and 3.3.

A recipe: which data (the 16x16 training digits), which sizes per profile, which
cache name. The algorithm is :mod:`genaug.diffusion.ddpm`; the loop is
:func:`genaug.train.diffusion.fit_noise_predictor`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from genaug.cache import data_hash, load_or_train
from genaug.config import by_profile
from genaug.config import device as default_device
from genaug.data import digits
from genaug.diffusion.ddpm import ddpm_loss
from genaug.diffusion.schedule import NoiseSchedule
from genaug.nn import UNet, UNetConfig
from genaug.train import EMA, fit_noise_predictor


def digits_training_set(
    train_images: torch.Tensor | None, train_labels: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Check a labelled 16x16 training set, or load the digits training split.

    Args:
        train_images: (N, 1, 16, 16) images in [0, 1], or None for ``digits("train")``.
        train_labels: (N,) int64 labels; None exactly when ``train_images`` is None.

    Returns:
        ``(images, labels)``.
    """
    if train_images is None:
        if train_labels is not None:
            raise ValueError("pass train_images together with train_labels")
        data = digits("train", size=16)
        train_images, train_labels = data.images, data.labels
    elif train_labels is None or len(train_labels) != len(train_images):
        raise ValueError("train_labels must give one label per training image")
    if train_images.ndim != 4 or train_images.shape[1:] != (1, 16, 16):
        raise ValueError(f"train_images must be (N, 1, 16, 16), got {tuple(train_images.shape)}")
    return train_images, train_labels


@dataclass
class DigitsDDPMConfig:
    """Everything that determines the course's class-conditional digits DDPM (the cache key)."""

    base_channels: int = 24  # UNet width at 16x16 (590k parameters)
    channel_mults: tuple[int, ...] = (1, 2, 2)  # UNet levels: 16x16, 8x8, 4x4
    schedule: str = "cosine"  # "linear" or "cosine" (NoiseSchedule)
    num_timesteps: int = 1000  # T
    steps: int = 600  # optimiser steps
    batch_size: int = 128  # images per step
    lr: float = 2e-3  # Adam learning rate (after a linear warm-up of warmup steps)
    warmup: int = 50  # warm-up steps
    ema_decay: float = 0.995  # EMA of the weights; sample from the average
    label_dropout: float = 0.1  # probability of the null label (classifier-free guidance)
    seed: int = 0  # seed of the training randomness


def digits_ddpm_config(profile: str | None = None) -> DigitsDDPMConfig:
    """The :class:`DigitsDDPMConfig` of a profile (smoke: seconds; cpu: ~2.5 min; gpu: longer).

    Args:
        profile: ``"smoke"``, ``"cpu"`` or ``"gpu"``; default the active profile.

    Returns:
        The config used by :func:`pretrained_digits_ddpm`.
    """
    return by_profile(
        smoke=DigitsDDPMConfig(base_channels=16, steps=120, batch_size=32, lr=2e-3, ema_decay=0.9),
        cpu=DigitsDDPMConfig(),
        gpu=DigitsDDPMConfig(base_channels=64, steps=10000, lr=4e-4, ema_decay=0.999),
        profile=profile,
    )


@dataclass
class TrainedDiffusion:
    """A trained noise predictor with its schedule.

    Attributes:
        model: the EMA UNet, in eval mode (sample from this one).
        raw_model: the last raw weights.
        schedule: the :class:`~genaug.diffusion.schedule.NoiseSchedule` it was trained with.
        config: the training config.
        history: ``{"loss": [...], "seconds": float}``.
        loaded: True if the weights came from the cache.
    """

    model: nn.Module
    raw_model: nn.Module
    schedule: NoiseSchedule
    config: DigitsDDPMConfig
    history: dict
    loaded: bool


def pretrained_digits_ddpm(
    config: DigitsDDPMConfig | None = None,
    *,
    train_images: torch.Tensor | None = None,
    train_labels: torch.Tensor | None = None,
    name: str = "ddpm-digits",
    progress: bool = False,
    retrain: bool = False,
    device: torch.device | str | None = None,
) -> TrainedDiffusion:
    """Train (or load from the cache) a class-conditional DDPM on 16x16 digits.

    Algorithm 1 of Ho et al. with the loss :func:`~genaug.diffusion.ddpm.ddpm_loss`, labels dropped with
    probability ``config.label_dropout`` for classifier-free guidance, Adam with a
    linear warm-up, and an EMA of the weights. Cached with
    :func:`genaug.cache.load_or_train` under ``name`` + ``config`` + a
    :func:`~genaug.cache.data_hash` of the training set, so every lesson that
    calls this with the same arguments shares one checkpoint, and another
    training set never gets this one's weights.

    Args:
        config: the recipe; default :func:`digits_ddpm_config` of the active profile.
        train_images: (N, 1, 16, 16) images in [0, 1]; default ``digits("train")``.
            Another set (e.g. a small labelled subset) gets its own cache file;
            give it a distinct ``name`` too, to tell the files apart.
        train_labels: (N,) int64 labels for ``train_images``.
        name: cache name.
        progress: show a progress bar while training.
        retrain: train even if cached.
        device: where to train; default :func:`genaug.config.device`.

    Returns:
        A :class:`TrainedDiffusion`.
    """
    config = config or digits_ddpm_config()
    device = torch.device(device) if device is not None else default_device()
    train_images, train_labels = digits_training_set(train_images, train_labels)
    schedule = NoiseSchedule(config.num_timesteps, schedule=config.schedule)
    unet_config = UNetConfig(
        in_channels=1,
        image_size=16,
        base_channels=config.base_channels,
        channel_mults=config.channel_mults,
        num_classes=10,
    )
    torch.manual_seed(config.seed)
    model = UNet(unet_config).to(device)
    ema = EMA(model, decay=config.ema_decay)
    modules = nn.ModuleDict({"model": model, "ema": ema.module})
    images = (train_images * 2 - 1).to(device)  # (N, 1, 16, 16) in [-1, 1]
    labels = train_labels.to(device)
    key = {
        **vars(config),
        "num_train": len(images),
        "label_sum": int(labels.sum()),
        "data": data_hash(train_images, train_labels),
    }

    def draw_batch(rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        index = torch.randint(0, len(images), (config.batch_size,), generator=rng).to(device)
        return images[index], labels[index]

    def train(_modules: nn.Module, checkpoint) -> dict:
        return fit_noise_predictor(
            model,
            ema,
            draw_batch,
            partial(ddpm_loss, schedule=schedule, label_dropout=config.label_dropout),
            config,
            generator=torch.Generator().manual_seed(config.seed),
            checkpoint=checkpoint,
            progress=progress,
            description="DDPM",
        )

    result = load_or_train(name, key, modules, train, retrain=retrain)
    model.eval()
    ema.module.eval()
    return TrainedDiffusion(
        model=ema.module,
        raw_model=model,
        schedule=schedule,
        config=config,
        history=result.history,
        loaded=result.loaded,
    )
