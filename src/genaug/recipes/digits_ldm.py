"""The course's class-conditional digits latent diffusion model (lesson 5.3.3).

A recipe: the 16x16 training digits, sizes per profile, two cache names (the
autoencoder ``ldm-autoencoder-digits`` and the latent model ``ldm-digits``). The
algorithm is :mod:`genaug.diffusion.autoencoder` and :mod:`genaug.diffusion.ldm`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from functools import partial

import torch
from torch import Tensor, nn

from genaug.cache import data_hash, load_or_train
from genaug.config import by_profile
from genaug.config import device as default_device
from genaug.diffusion.autoencoder import (
    AutoencoderConfig,
    KLAutoencoder,
    autoencoder_loss,
    latent_scale_factor,
)
from genaug.diffusion.ddpm import ddpm_loss
from genaug.diffusion.ldm import LatentDiffusion
from genaug.diffusion.schedule import NoiseSchedule
from genaug.nn import UNet, UNetConfig
from genaug.recipes.digits_ddpm import digits_training_set
from genaug.train import EMA, draw_batch, fit_adam, fit_noise_predictor
from genaug.vae.elbo import reparameterize


@dataclass
class DigitsLDMConfig:
    """Everything that determines the course's digits latent diffusion model (the cache key)."""

    latent_channels: int = 4  # C of the 4x4xC latent
    ae_base_channels: int = 16  # autoencoder width at 16x16
    ae_channel_mults: tuple[int, ...] = (1, 2, 2)  # 16x16, 8x8, 4x4: f = 4
    kl_weight: float = 1e-3  # weight of KL(q(z | x) || N(0, I)) in the first-stage loss
    ae_steps: int = 300  # autoencoder optimiser steps
    ae_batch_size: int = 64  # images per autoencoder step
    ae_lr: float = 2e-3  # autoencoder Adam learning rate (cosine decay to 0)
    base_channels: int = 32  # latent UNet width at 4x4
    channel_mults: tuple[int, ...] = (1, 2)  # latent UNet levels: 4x4, 2x2
    schedule: str = "cosine"  # "linear" or "cosine" (NoiseSchedule)
    num_timesteps: int = 1000  # T
    steps: int = 1500  # diffusion optimiser steps
    batch_size: int = 128  # latents per diffusion step
    lr: float = 1e-3  # diffusion Adam learning rate (after a linear warm-up)
    warmup: int = 50  # warm-up steps
    ema_decay: float = 0.995  # EMA of the latent UNet's weights
    label_dropout: float = 0.1  # probability of the null label (classifier-free guidance)
    seed: int = 0  # seed of all training randomness

    def autoencoder_config(self) -> AutoencoderConfig:
        """The :class:`~genaug.diffusion.autoencoder.AutoencoderConfig` of the first stage."""
        return AutoencoderConfig(
            latent_channels=self.latent_channels,
            base_channels=self.ae_base_channels,
            channel_mults=self.ae_channel_mults,
        )


def digits_ldm_config(profile: str | None = None) -> DigitsLDMConfig:
    """The recipe of a profile (smoke: seconds; cpu: one to two minutes on 2 cores; gpu: longer).

    Args:
        profile: ``"smoke"``, ``"cpu"`` or ``"gpu"``; default the active profile.

    Returns:
        The config used by :func:`pretrained_digits_ldm`.
    """
    return by_profile(
        smoke=DigitsLDMConfig(
            ae_base_channels=8,
            ae_steps=60,
            ae_batch_size=32,
            base_channels=16,
            steps=80,
            batch_size=32,
            warmup=10,
            ema_decay=0.9,
        ),
        cpu=DigitsLDMConfig(),
        gpu=DigitsLDMConfig(
            ae_base_channels=32,
            ae_steps=3000,
            base_channels=64,
            steps=10000,
            lr=4e-4,
            ema_decay=0.999,
        ),
        profile=profile,
    )


@dataclass
class TrainedLatentDiffusion:
    """A trained latent diffusion model.

    Attributes:
        ldm: the :class:`~genaug.diffusion.ldm.LatentDiffusion` (EMA latent UNet, eval mode).
        raw_model: the last raw weights of the latent UNet.
        config: the training config.
        history: ``{"autoencoder": {"loss", "reconstruction", "kl", "seconds"},
            "diffusion": {"loss", "seconds"}, "seconds": total}``.
        loaded: True if both stages came from the cache.
    """

    ldm: LatentDiffusion
    raw_model: nn.Module
    config: DigitsLDMConfig
    history: dict
    loaded: bool


def _train_autoencoder(config: DigitsLDMConfig, images: Tensor, *, progress: bool, retrain: bool):
    torch.manual_seed(config.seed)
    autoencoder = KLAutoencoder(config.autoencoder_config()).to(images.device)
    key = {
        name: value
        for name, value in asdict(config).items()
        if name in ("latent_channels", "kl_weight", "seed") or name.startswith("ae_")
    }
    key["num_train"] = len(images)
    key["data"] = data_hash(images)  # the autoencoder sees the images, not the labels

    def train(_module: nn.Module, checkpoint) -> dict:
        rng = torch.Generator().manual_seed(config.seed)

        def loss_step(_number: int) -> tuple[Tensor, dict[str, float]]:
            (batch,) = draw_batch(rng, config.ae_batch_size, images)
            out = autoencoder_loss(autoencoder, batch, kl_weight=config.kl_weight, generator=rng)
            return out.loss, {"reconstruction": out.reconstruction.item(), "kl": out.kl.item()}

        start = time.perf_counter()
        history = fit_adam(
            loss_step,
            autoencoder,
            lr=config.ae_lr,
            num_steps=config.ae_steps,
            cosine=True,
            generator=rng,
            checkpoint=checkpoint,
            progress=progress,
            description="autoencoder",
        )
        return {**history, "seconds": time.perf_counter() - start}

    result = load_or_train("ldm-autoencoder-digits", key, autoencoder, train, retrain=retrain)
    return autoencoder.eval(), result


def pretrained_digits_ldm(
    config: DigitsLDMConfig | None = None,
    *,
    train_images: Tensor | None = None,
    train_labels: Tensor | None = None,
    progress: bool = False,
    retrain: bool = False,
    device: torch.device | str | None = None,
) -> TrainedLatentDiffusion:
    """Train (or load from the cache) a class-conditional latent diffusion model on 16x16 digits.

    Stage 1 trains the :class:`~genaug.diffusion.autoencoder.KLAutoencoder` with
    :func:`~genaug.diffusion.autoencoder.autoencoder_loss` (cache name ``ldm-autoencoder-digits``);
    the training images are then encoded once, their latents' std gives the scale factor,
    and stage 2 trains a class-conditional :class:`genaug.nn.unet.UNet` on scaled latents drawn
    from q(z | x) with :func:`genaug.diffusion.ddpm.ddpm_loss`, label dropout for
    classifier-free guidance and an EMA of the weights (cache name ``ldm-digits``).
    Both keys hold a :func:`~genaug.cache.data_hash` of the training set; the
    latent model's also names the autoencoder's cache file and hashes its
    weights, so a latent model is never reused on a retrained autoencoder.

    Args:
        config: the recipe; default :func:`digits_ldm_config` of the
            active profile.
        train_images: (N, 1, 16, 16) images in [0, 1]; default ``digits("train")``.
        train_labels: (N,) int64 labels for ``train_images``.
        progress: show progress bars while training.
        retrain: train both stages even if cached.
        device: where to train; default :func:`genaug.config.device`.

    Returns:
        A :class:`TrainedLatentDiffusion`.
    """
    config = config or digits_ldm_config()
    if not isinstance(config, DigitsLDMConfig):
        raise TypeError(f"config must be a DigitsLDMConfig, got {type(config).__name__}")
    device = torch.device(device) if device is not None else default_device()
    train_images, train_labels = digits_training_set(train_images, train_labels)
    images, labels = train_images.to(device), train_labels.to(device)

    # 1. first stage, then encode the training set once: q(z | x) for every image
    autoencoder, ae_result = _train_autoencoder(config, images, progress=progress, retrain=retrain)
    with torch.no_grad():
        mean, logvar = autoencoder.encode(images)  # (N, C, h, w) each
        noise_rng = torch.Generator().manual_seed(config.seed)
        scale_factor = latent_scale_factor(reparameterize(mean, logvar, generator=noise_rng))

    # 2. the latent noise predictor
    schedule = NoiseSchedule(config.num_timesteps, schedule=config.schedule)
    latent_channels, side, _ = autoencoder.config.latent_shape
    torch.manual_seed(config.seed)
    model = UNet(
        UNetConfig(
            in_channels=latent_channels,
            image_size=side,
            base_channels=config.base_channels,
            channel_mults=config.channel_mults,
            num_classes=10,
        )
    ).to(device)
    ema = EMA(model, decay=config.ema_decay)
    modules = nn.ModuleDict({"model": model, "ema": ema.module})
    key = {
        **asdict(config),
        "num_train": len(images),
        "label_sum": int(labels.sum()),
        "data": data_hash(train_images, train_labels),
        # the latent model is only valid on the autoencoder it was trained on
        "autoencoder": ae_result.path.name,
        "autoencoder_weights": data_hash(autoencoder.state_dict()),
    }

    def draw_batch(rng: torch.Generator) -> tuple[Tensor, Tensor]:
        index = torch.randint(0, len(images), (config.batch_size,), generator=rng).to(device)
        # z ~ q(z | x), scaled to unit variance: the "images" the diffusion model sees
        latents = reparameterize(mean[index], logvar[index], generator=rng) * scale_factor
        return latents, labels[index]

    def train(_modules: nn.Module, checkpoint) -> dict:
        history = fit_noise_predictor(
            model,
            ema,
            draw_batch,
            partial(ddpm_loss, schedule=schedule, label_dropout=config.label_dropout),
            config,
            generator=torch.Generator().manual_seed(config.seed + 1),
            checkpoint=checkpoint,
            progress=progress,
            description="latent diffusion",
        )
        return {**history, "scale_factor": scale_factor}

    result = load_or_train("ldm-digits", key, modules, train, retrain=retrain)
    model.eval()
    ema.module.eval()
    history = {
        "autoencoder": ae_result.history,
        "diffusion": result.history,
        "seconds": ae_result.history["seconds"] + result.history["seconds"],
    }
    return TrainedLatentDiffusion(
        ldm=LatentDiffusion(autoencoder, ema.module, schedule, scale_factor),
        raw_model=model,
        config=config,
        history=history,
        loaded=ae_result.loaded and result.loaded,
    )
