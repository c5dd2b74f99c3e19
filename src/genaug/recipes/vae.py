"""The course's trained VAEs: the digits CVAE (lessons 5.2.2, 3.2) and the shapes beta-VAEs
(lessons 5.2.1, 3.2).

Each recipe fixes the data, the sizes per profile and the cache key in one
place, so the lessons that share a model cannot drift apart.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import torch

from genaug._checks import check_float
from genaug.cache import CacheResult, data_hash, load_or_train
from genaug.config import by_profile
from genaug.config import device as default_device
from genaug.data import digits, shapes
from genaug.train import fit_vae
from genaug.vae.cvae import CVAE, CVAEConfig


def digits_cvae_settings(profile: str | None = None) -> tuple[CVAEConfig, dict[str, Any]]:
    """The CVAE of lesson 5.2.2 on the 16x16 training digits: its model and its cache key.

    Lesson 3.2 reuses this model; both lessons build their settings here, so the
    cache key that :func:`genaug.cache.load_or_train` computes from them (under
    the name ``"cvae-digits"``) cannot drift between the lessons.

    Args:
        profile: ``"smoke"``, ``"cpu"`` or ``"gpu"`` (default: the active profile).

    Returns:
        ``(model_config, train_config)``: the :class:`~genaug.vae.cvae.CVAEConfig`, and a dict of
        everything that determines the trained weights (the model's fields,
        ``steps``, ``batch_size``, ``lr``, ``warmup_steps``, ``beta``, ``seed`` and
        ``data``, the :func:`~genaug.cache.data_hash` of the training images and
        labels), to pass to :func:`genaug.train.vae.fit_vae` and as the cache key.
    """
    sizes = by_profile(
        smoke=dict(steps=150, base_channels=16, hidden_dim=64),
        cpu=dict(steps=3000, base_channels=32, hidden_dim=256),
        gpu=dict(steps=10000, base_channels=32, hidden_dim=256),
        profile=profile,
    )
    model_config = CVAEConfig(
        image_size=16,
        channels=1,
        latent_dim=16,
        base_channels=sizes["base_channels"],
        hidden_dim=sizes["hidden_dim"],
        num_classes=10,
    )
    train_config = {
        **vars(model_config),
        "steps": sizes["steps"],
        "batch_size": 64,
        "lr": 2e-3,
        "warmup_steps": sizes["steps"] // 5,
        "beta": 1.0,
        "seed": 0,
        "data": _digits_data_hash(),
    }
    return model_config, train_config


def shapes_beta_vae_settings(
    beta: float, profile: str | None = None
) -> tuple[CVAEConfig, dict[str, Any]]:
    """The beta-VAE of lesson 5.2.1 on grey 16x16 ``shapes``: its model and its cache key.

    Lesson 3.2 reuses the beta = 4 model; both lessons build their settings here,
    so the cache key (name ``"beta-vae-shapes"``) cannot drift between them. The
    training images are the first ``num_train`` of
    ``genaug.data.shapes(num_train + 2000, size=16, seed=0, colour=False)``.

    Args:
        beta: the KL weight the model is trained with.
        profile: ``"smoke"``, ``"cpu"`` or ``"gpu"`` (default: the active profile).

    Returns:
        ``(model_config, train_config)``: the :class:`~genaug.vae.cvae.CVAEConfig`
        and a dict of everything that determines the trained weights (the model's
        fields, ``num_train``, ``steps``, ``batch_size``, ``lr``, ``warmup_steps``,
        ``beta``, ``seed`` and ``data``, the :func:`~genaug.cache.data_hash` of
        :func:`shapes_training_images`).
    """
    check_float("beta", beta, min=0.0)
    sizes = _beta_vae_sizes(profile)
    model_config = CVAEConfig(
        image_size=16, channels=1, latent_dim=8, base_channels=16, hidden_dim=128, num_classes=0
    )
    train_config = {
        **vars(model_config),
        "num_train": sizes["num_train"],
        "steps": sizes["steps"],
        "batch_size": 64,
        "lr": 2e-3,
        "warmup_steps": sizes["steps"] // 5,
        "beta": beta,
        "seed": 0,
        "data": _shapes_data_hash(sizes["num_train"]),
    }
    return model_config, train_config


def _beta_vae_sizes(profile: str | None) -> dict[str, int]:
    return by_profile(
        smoke=dict(num_train=1024, steps=100),
        cpu=dict(num_train=4096, steps=1500),
        gpu=dict(num_train=8192, steps=6000),
        profile=profile,
    )


@lru_cache(maxsize=1)
def _digits_data_hash() -> str:
    train_set = digits("train", size=16)
    return data_hash(train_set.images, train_set.labels)


@lru_cache(maxsize=4)
def _shapes_data_hash(num_train: int) -> str:
    return data_hash(_shapes_images(num_train))


def _shapes_images(num_train: int) -> torch.Tensor:
    return shapes(num_train + 2000, size=16, seed=0, colour=False).images[:num_train]


def _train_vae(
    name: str,
    model_config: CVAEConfig,
    train_config: dict[str, Any],
    images: torch.Tensor,
    labels: torch.Tensor | None,
    *,
    progress: bool,
    retrain: bool,
    description: str,
) -> CacheResult:
    """Train (or load) one VAE with :func:`genaug.train.vae.fit_vae` under ``name`` + ``train_config``."""

    def train(model: CVAE, checkpoint) -> dict:
        start = time.perf_counter()
        history = fit_vae(
            model,
            images,
            labels,
            steps=train_config["steps"],
            batch_size=train_config["batch_size"],
            lr=train_config["lr"],
            beta=train_config["beta"],
            warmup_steps=train_config["warmup_steps"],
            seed=train_config["seed"],
            checkpoint=checkpoint,
            progress=progress,
            description=description,
        )
        return {**history, "seconds": time.perf_counter() - start}

    model = CVAE(model_config).to(images.device)
    result = load_or_train(name, train_config, model, train, retrain=retrain)
    result.model.eval()
    return result


def pretrained_digits_cvae(
    *,
    progress: bool = False,
    retrain: bool = False,
    device: torch.device | str | None = None,
    profile: str | None = None,
) -> CacheResult:
    """The CVAE of lesson 5.2.2 on the 16x16 training digits, trained once and cached.

    Args:
        progress: show a progress bar while training.
        retrain: train even if cached.
        device: where to train; default :func:`genaug.config.device`.
        profile: the profile whose sizes to use (default: the active one).

    Returns:
        A :class:`genaug.cache.CacheResult` whose ``model`` is the CVAE (eval mode) and whose
        ``history`` holds the loss curves and ``seconds`` of training.
    """
    device = torch.device(device) if device is not None else default_device()
    model_config, train_config = digits_cvae_settings(profile)
    train_set = digits("train", size=16)
    return _train_vae(
        "cvae-digits",
        model_config,
        train_config,
        train_set.images.to(device),
        train_set.labels.to(device),
        progress=progress,
        retrain=retrain,
        description="CVAE",
    )


def shapes_training_images(profile: str | None = None) -> torch.Tensor:
    """The beta-VAEs' training images: the first ``num_train`` of the grey 16x16 ``shapes``.

    Args:
        profile: the profile whose ``num_train`` to use (default: the active one).

    Returns:
        ``(num_train, 1, 16, 16)`` images in [0, 1]; the 2,000 shapes after them (same
        call to :func:`genaug.data.shapes`) are the lessons' test images.
    """
    return _shapes_images(_beta_vae_sizes(profile)["num_train"])


def pretrained_shapes_beta_vae(
    beta: float,
    *,
    progress: bool = False,
    retrain: bool = False,
    device: torch.device | str | None = None,
    profile: str | None = None,
) -> CacheResult:
    """The beta-VAE of lesson 5.2.1 on grey 16x16 ``shapes`` at one ``beta``, trained once and cached.

    Args:
        beta: the KL weight (>= 0).
        progress: show a progress bar while training.
        retrain: train even if cached.
        device: where to train; default :func:`genaug.config.device`.
        profile: the profile whose sizes to use (default: the active one).

    Returns:
        A :class:`genaug.cache.CacheResult` whose ``model`` is the VAE (eval mode).
    """
    device = torch.device(device) if device is not None else default_device()
    model_config, train_config = shapes_beta_vae_settings(beta, profile)
    return _train_vae(
        "beta-vae-shapes",
        model_config,
        train_config,
        shapes_training_images(profile).to(device),
        None,
        progress=progress,
        retrain=retrain,
        description=f"beta={beta}",
    )
